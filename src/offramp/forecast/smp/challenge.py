"""Challenges: third parties, principals, each actor's best challenge and the contest."""

from __future__ import annotations

import numpy as np

from offramp.forecast.smp import _kernel
from offramp.forecast.smp.params import (
    _CHUNK,
    _MIN_CONTEST,
    _MIN_GAIN,
    FloatArray,
    IntArray,
    _Params,
)
from offramp.forecast.smp.pce import _vote
from offramp.forecast.smp.state import _Assessment, _bs_util

__all__ = []


def _third_party(
    prm: _Params,
    wn: FloatArray,
    uni: FloatArray,
    unj: FloatArray,
    unn: FloatArray,
    c0ij: FloatArray,
    c0ji: FloatArray,
) -> FloatArray:
    """Vote of third party ``n`` in the contest (i:j).

    KTAB's ``Actor::vProbLittle`` followed by ``Actor::thirdPartyVoteSU``.
    """
    cn = _vote(prm.voting_rule, wn, uni - unj)
    cni = c0ij + np.maximum(cn, 0.0)
    cnj = c0ji + np.maximum(-cn, 0.0)
    pin = cni / (cni + cnj)
    pjn = 1.0 - pin
    if prm.third_party == "FullCommit":
        ikj, jik, ijk, jki = 3 * uni, 3 * unj, 3 * uni, 3 * unj
    elif prm.third_party == "SemiCommit":
        ikj, jik, ijk, jki = 2 * uni + unn, 3 * unj, 3 * uni, 2 * unj + unn
    else:
        ikj, jik, ijk, jki = 2 * uni + unn, 2 * unj + unn, 2 * uni + unn, 2 * unj + unn
    u_ik_j = pin * ikj + pjn * jik
    u_i_jk = pin * ijk + pjn * jki
    return _vote(prm.voting_rule, wn, u_ik_j - u_i_jk)


def _principals(
    prm: _Params,
    wi: FloatArray,
    wj: FloatArray,
    uii: FloatArray,
    uij: FloatArray,
    uji: FloatArray,
    ujj: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    ci = _vote(prm.voting_rule, wi, uii - uij)
    cj = _vote(prm.voting_rule, wj, uji - ujj)
    c0ij = _MIN_CONTEST + np.maximum(ci, 0.0) + np.maximum(cj, 0.0)
    c0ji = _MIN_CONTEST + np.maximum(-ci, 0.0) + np.maximum(-cj, 0.0)
    return c0ij, c0ji


def _best_challenges(
    a: _Assessment, ws: FloatArray, ssum: FloatArray, prm: _Params
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Every actor's best target, its estimated win probability and expected gain.

    Actor ``i`` judges every challenge ``i -> j`` with its own utilities
    ``U^i`` (KTAB ``bestChallengeUtils``: ``probEduChlg(i, i, i, j)``): the
    ``(i, j, third party)`` tensor, in blocks of challengers.  Returns target
    (B, n) (-1: none), probability and gain (B, n).
    """
    b, n, _ = a.dist.shape
    target = np.full((b, n), -1, dtype=np.intp)
    p_best = np.full((b, n), np.nan)
    gain_best = np.full((b, n), np.nan)
    ar = np.arange(n)
    step = max(1, _CHUNK // (n * n))
    fast = prm.voting_rule == "Prop" and prm.third_party == "SemiCommit"
    compiled = fast and n >= _kernel.MIN_ACTORS and _kernel.AVAILABLE
    for bi in range(b):
        d = a.dist[bi]  # (n, n): D[m, j]
        one_d = 1.0 - d
        curv = one_d * d  # u(D, R) = (1 - D) + (1 - D) D R
        rhi = a.rhi[bi]  # (h, i)
        w = ws[bi]
        if compiled:
            # the same quantities for every challenger at once, third parties compiled
            own = np.diagonal(rhi)[:, None]
            uij = curv * own + one_d  # U^i[i, j]
            uji = curv.T * rhi + one_d.T  # U^i[j, i]
            ujj = np.diagonal(curv)[None, :] * rhi + np.diagonal(one_d)[None, :]  # U^i[j, j]
            uii = np.diagonal(uij)[:, None].copy()
            c0ij, c0ji = _principals(prm, w[:, None], w[None, :], uii, uij, uji, ujj)
            chij, chji = _kernel.third_parties_prop_semi(one_d, curv, rhi, w, c0ij, c0ji)
            _choose(ar, ar, chij, chji, ssum[bi], uii, uij, target[bi], p_best[bi], gain_best[bi])
            continue
        for lo in range(0, n, step):
            hs = ar[lo : lo + step]  # perspectives = challengers i
            h_ = np.arange(len(hs))
            # U[h, m, j] = u(D[m, j], R_hm) for h in hs: (H, n, n)
            u = curv[None, :, :] * rhi[hs][:, :, None]
            u += one_d[None, :, :]
            uii = u[h_, hs, hs][:, None]  # (H, 1)
            uij = u[h_, hs, :]  # (H, j): U^i[i, j]
            uji = u[h_, :, hs]  # (H, j): U^i[j, i] (also U^i[m, i] of third parties m)
            ujj = np.diagonal(u, axis1=1, axis2=2).copy()  # (H, j): U^i[j, j]
            c0ij, c0ji = _principals(prm, w[hs][:, None], w[None, :], uii, uij, uji, ujj)
            if fast:
                chij, chji = _third_parties_prop_semi(u, uji, ujj, w, c0ij, c0ji, hs)
            else:
                v = _third_party(
                    prm,
                    w[None, :, None],
                    uji[:, :, None],
                    u,
                    ujj[:, :, None],
                    c0ij[:, None, :],
                    c0ji[:, None, :],
                )  # (H, m, j)
                v[h_, hs, :] = 0.0  # m == i
                v[:, ar, ar] = 0.0  # m == j
                chij = c0ij + np.maximum(v, 0.0).sum(axis=1)
                chji = c0ji + np.maximum(-v, 0.0).sum(axis=1)
            _choose(hs, h_, chij, chji, ssum[bi], uii, uij, target[bi], p_best[bi], gain_best[bi])
    return target, p_best, gain_best


def _choose(
    hs: IntArray,
    h_: IntArray,
    chij: FloatArray,
    chji: FloatArray,
    ssum: FloatArray,
    uii: FloatArray,
    uij: FloatArray,
    target: IntArray,
    p_best: FloatArray,
    gain_best: FloatArray,
) -> None:
    """Challengers ``hs`` pick their best targets from the coalition totals (rows ``h_``)."""
    phij = chij / (chij + chji)
    sj = ssum[None, :]
    vict = 2.0 * uii
    lose = 2.0 * uij
    gain = (1 - sj) * vict + sj * (phij * vict + (1.0 - phij) * lose) - (uii + uij)
    gain[h_, hs] = -np.inf
    ok = gain > _MIN_GAIN
    g = np.where(ok, gain, -np.inf)
    j = np.argmax(g, axis=1)  # first of equal maxima, as KTAB's ascending scan
    has = ok.any(axis=1)
    target[hs] = np.where(has, j, -1)
    p_best[hs] = np.where(has, phij[h_, j], np.nan)
    gain_best[hs] = np.where(has, gain[h_, j], np.nan)


def _third_parties_prop_semi(
    u: FloatArray,
    uni: FloatArray,
    unn: FloatArray,
    w: FloatArray,
    c0ij: FloatArray,
    c0ji: FloatArray,
    hs: IntArray,
) -> tuple[FloatArray, FloatArray]:
    """Coalition totals with third parties, for the default rules (``Prop``, ``SemiCommit``).

    The same arithmetic as :func:`_third_party`, simplified for a linear vote:
    third party ``m``'s "little conflict" probability is
    ``p = (c0ij + w max(d, 0)) / (c0ij + c0ji + w |d|)`` with
    ``d = U[m, i] - U[m, j]``, and its vote ``w ((U[m, j] - U[m, m]) +
    p (2 U[m, m] - U[m, i] - U[m, j]))``.  ``u`` is (H, m, j); the rest as in
    :func:`_best_challenges`.
    """
    h_ = np.arange(len(hs))
    n = u.shape[1]
    ar = np.arange(n)
    wm = w[None, :, None]
    dd = uni[:, :, None] - u  # d = U[m, i] - U[m, j]
    num = np.maximum(dd, 0.0)
    num *= wm
    num += c0ij[:, None, :]
    np.abs(dd, out=dd)
    dd *= wm
    dd += (c0ij + c0ji)[:, None, :]
    num /= dd  # p, the third party's little-conflict probability
    t = (2.0 * unn - uni)[:, :, None] - u
    t *= num
    t += u
    t -= unn[:, :, None]
    t[h_, hs, :] = 0.0  # m == i
    t[:, ar, ar] = 0.0  # m == j
    pos = np.maximum(t, 0.0, out=num)
    chij = c0ij + np.matmul(w, pos)
    neg = np.minimum(t, 0.0, out=t)
    chji = c0ji - np.matmul(w, neg)
    return chij, chji


def _contest(
    a: _Assessment,
    ws: FloatArray,
    ssum: FloatArray,
    bb: IntArray,
    h: IntArray,
    i: IntArray,
    j: IntArray,
    prm: _Params,
) -> tuple[FloatArray, FloatArray]:
    """``h``'s estimates of the challenge ``i -> j`` (KTAB ``probEduChlg(h, i, i, j)``), per pair.

    ``bb``, ``h``, ``i``, ``j`` are (P,) index arrays.  Returns the probability
    that ``i`` beats ``j`` and the expected gain to ``i``, both (P,).
    """
    n = a.dist.shape[1]
    p_ = np.arange(len(bb))
    r = a.rhi[bb, h]  # (P, m): R_hm
    uni = _bs_util(a.dist[bb, :, i], r)  # U^h[m, i]
    unj = _bs_util(a.dist[bb, :, j], r)  # U^h[m, j]
    unn = _bs_util(np.diagonal(a.dist, axis1=1, axis2=2)[bb], r)  # U^h[m, m]
    uii, uij, uji, ujj = uni[p_, i], unj[p_, i], uni[p_, j], unj[p_, j]
    w = ws[bb]
    c0ij, c0ji = _principals(prm, w[p_, i], w[p_, j], uii, uij, uji, ujj)
    v = _third_party(prm, w, uni, unj, unn, c0ij[:, None], c0ji[:, None])
    ar = np.arange(n)[None, :]
    v = np.where((ar != i[:, None]) & (ar != j[:, None]), v, 0.0)
    chij = c0ij + np.maximum(v, 0.0).sum(axis=1)
    chji = c0ji + np.maximum(-v, 0.0).sum(axis=1)
    phij = chij / (chij + chji)
    sj = ssum[bb, j]
    vict, lose = 2.0 * uii, 2.0 * uij
    gain = (1 - sj) * vict + sj * (phij * vict + (1.0 - phij) * lose) - (uii + uij)
    return np.asarray(phij, dtype=np.float64), np.asarray(gain, dtype=np.float64)


# ---------------------------------------------------------------------------
# bargains
