"""One SMP turn: bargains interpolated between positions, and their resolution."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from offramp.forecast.smp.challenge import _best_challenges, _contest
from offramp.forecast.smp.params import _INTERP_MIN_W, FloatArray, IntArray, _Params
from offramp.forecast.smp.pce import _scalar_pce
from offramp.forecast.smp.state import _Assessment, _bs_util, _distance, _own_util

__all__ = []


def _round4(x: FloatArray) -> FloatArray:
    return np.asarray(np.floor(0.5 + x * 10000.0) / 10000.0, dtype=np.float64)


def _interpolate(
    method: str,
    ti: FloatArray,
    si: FloatArray,
    pi: FloatArray,
    tj: FloatArray,
    sj: FloatArray,
    pj: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """KTAB ``SMPActor::interpolateBrgn``: the bargain's positions for challenger and target."""
    if method == "S2PMax":
        di = np.maximum(pj - pi, 0.0)
        dj = np.maximum(pi - pj, 0.0)
        si2, sj2 = si * si, sj * sj
        dik = (di * sj2) / ((di * sj2) + _INTERP_MIN_W + ((1 - di) * si2))
        djk = (dj * si2) / ((dj * si2) + _INTERP_MIN_W + ((1 - dj) * sj2))
        return ti + dik * (tj - ti), tj + djk * (ti - tj)
    k = 1 if method == "S1P1" else 2
    wi = si**k * pi**k
    wj = sj**k * pj**k
    den = wi + _INTERP_MIN_W + wj
    bi = _round4(((wi + _INTERP_MIN_W) * ti + wj * tj) / den)
    bj = _round4((wi * ti + (_INTERP_MIN_W + wj) * tj) / den)
    return bi, bj


@dataclass(frozen=True)
class _Turn:
    positions: FloatArray  # (B, n, d) next positions
    target: IntArray
    gain: FloatArray
    p_init: FloatArray
    p_target: FloatArray
    g_target: FloatArray
    bargains: FloatArray  # (B, n, Q, 2, d)
    chosen: IntArray  # (B, n, 2)


def _turn(
    pos: FloatArray,
    ideal: FloatArray,
    sal: FloatArray,
    cap: FloatArray,
    a: _Assessment,
    prm: _Params,
    rng: np.random.Generator,
) -> _Turn:
    b, n, dim = pos.shape
    ssum = sal.sum(axis=2)
    ws = cap * ssum
    target, p_init, gain = _best_challenges(a, ws, ssum, prm)
    bb, ii = np.nonzero(target >= 0)
    jj = target[bb, ii]
    p_tgt = np.full((b, n), np.nan)
    g_tgt = np.full((b, n), np.nan)
    q = 2 if prm.bargain_model == "InitRcvrInterp" else 1
    brg = np.full((b, n, q, 2, dim), np.nan)
    if len(bb):
        pjij, gjij = _contest(a, ws, ssum, bb, jj, ii, jj, prm)
        p_tgt[bb, ii] = pjij
        g_tgt[bb, ii] = gjij
        piij = p_init[bb, ii]
        ti, tj = pos[bb, ii], pos[bb, jj]
        si, sj = sal[bb, ii], sal[bb, jj]
        iij = _interpolate(prm.interpolation, ti, si, piij[:, None], tj, sj, 1 - piij[:, None])
        # KTAB (smpbcn.cpp) passes the target's estimate of the challenger's expected *gain*
        # (get<1> of probEduChlg), not of its probability, as the target's interpolation weight
        jij = _interpolate(prm.interpolation, ti, si, gjij[:, None], tj, sj, 1 - gjij[:, None])
        if prm.bargain_model == "InitOnlyInterp":
            brg[bb, ii, 0, 0], brg[bb, ii, 0, 1] = iij
        elif prm.bargain_model == "InitRcvrInterp":
            brg[bb, ii, 0, 0], brg[bb, ii, 0, 1] = iij
            brg[bb, ii, 1, 0], brg[bb, ii, 1, 1] = jij
        else:
            wi = (cap[bb, ii] * ssum[bb, ii])[:, None]
            wj = (cap[bb, ii] * ssum[bb, jj])[:, None]  # KTAB: challenger's capability
            brg[bb, ii, 0, 0] = (wi * iij[0] + wj * jij[0]) / (wi + wj)
            brg[bb, ii, 0, 1] = (wi * iij[1] + wj * jij[1]) / (wi + wj)
    new_pos, chosen = _resolve(pos, ideal, sal, cap, a, target, brg, prm, rng)
    return _Turn(new_pos, target, gain, p_init, p_tgt, g_tgt, brg, chosen)


def _resolve(
    pos: FloatArray,
    ideal: FloatArray,
    sal: FloatArray,
    cap: FloatArray,
    a: _Assessment,
    target: IntArray,
    brg: FloatArray,
    prm: _Params,
    rng: np.random.Generator,
) -> tuple[FloatArray, IntArray]:
    """Every actor's election among the status quo and the bargains involving it."""
    b, n, dim = pos.shape
    q = brg.shape[2]
    own = _own_util(a)  # (B, a, m): U^a[a, m]
    total = own.sum(axis=2)  # (B, a)
    # utility to every actor of each proposal's two positions: (B, a, i, q, 2)
    flat = np.nan_to_num(brg.reshape(b, n * q * 2, dim))
    d = _distance(ideal, flat, sal)  # (B, a, n*q*2)
    pu = _bs_util(d, a.risk[:, :, None]).reshape(b, n, n, q, 2)
    tgt = np.where(target >= 0, target, 0)
    u_init = np.take_along_axis(own, np.broadcast_to(np.arange(n)[None, None, :], (b, n, n)), 2)
    u_rcvr = np.take_along_axis(own, np.broadcast_to(tgt[:, None, :], (b, n, n)), 2)
    ub = (total[:, :, None, None] - (u_init + u_rcvr)[:, :, :, None] + pu[..., 0] + pu[..., 1]) / n
    opts = np.concatenate(
        [(total / n)[:, :, None], ub.reshape(b, n, n * q)], axis=2
    )  # (B, a, 1+n*q)
    # option lists: per (draw, actor k): status quo, then bargains by challenger index
    has = target >= 0
    bi, ii = np.nonzero(has)
    entries_b = np.concatenate([bi, bi])
    entries_k = np.concatenate([ii, target[bi, ii]])
    entries_i = np.concatenate([ii, ii])
    eb = np.repeat(entries_b, q)
    ek = np.repeat(entries_k, q)
    ei = np.repeat(entries_i, q)
    eq = np.tile(np.arange(q), len(entries_b))
    order = np.lexsort((eq, ei, ek, eb))
    eb, ek, ei, eq = eb[order], ek[order], ei[order], eq[order]
    count = np.ones((b, n), dtype=np.intp)
    np.add.at(count, (eb, ek), 1)
    first = np.zeros(b * n, dtype=np.intp)
    flat_key = eb * n + ek
    starts = np.searchsorted(flat_key, np.arange(b * n))
    first[:] = starts
    slot = np.arange(len(eb)) - first[flat_key] + 1
    mmax = int(count.max())
    col = np.zeros((b, n, mmax), dtype=np.intp)  # 0 = status quo
    col[eb, ek, slot] = 1 + ei * q + eq
    chosen = np.full((b, n, 2), -1, dtype=np.intp)
    new_pos = pos.copy()
    # one uniform draw per (draw, actor) every turn, in that order: a seed reproduces a run
    uniform = rng.random((b, n)) if prm.transitions == "Stochastic" else None
    for m in np.unique(count):
        gb, gk = np.nonzero(count == m)
        if m == 1:
            continue
        cols = col[gb, gk, :m]  # (G, m)
        # (G, n, m): each voter's value of the m options (never a (G, n, 1 + n q) copy)
        u = opts[gb[:, None, None], np.arange(n)[None, :, None], cols[:, None, :]]
        p = _scalar_pce(u, cap[gb], prm)  # (G, m)
        if prm.transitions == "Deterministic":
            pick = np.argmax(p, axis=1)
        else:
            assert uniform is not None
            draws = uniform[gb, gk]
            cum = np.cumsum(p, axis=1)
            pick = np.minimum((cum < draws[:, None]).sum(axis=1), m - 1)
        c = cols[np.arange(len(gb)), pick]
        moved = c > 0
        gbm, gkm, cm = gb[moved], gk[moved], c[moved] - 1
        ci, cq = cm // q, cm % q
        side = np.where(ci == gkm, 0, 1)
        new_pos[gbm, gkm] = brg[gbm, ci, cq, side]
        chosen[gbm, gkm, 0] = ci
        chosen[gbm, gkm, 1] = cq
    return new_pos, chosen


# ---------------------------------------------------------------------------
# position probabilities and the forecast
