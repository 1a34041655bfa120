"""The expected-utility model's numpy engine: one round in the sorted frame.

The arithmetic is the one written in :mod:`offramp.forecast.eu`'s docstring;
:mod:`offramp.forecast._eu_kernel` compiles the common case with numba.
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from offramp.forecast._common import (
    FloatArray,
    weighted_median,
)

__all__ = ["Offer"]


class Offer(IntEnum):
    """How an ordered pair ``(i, j)`` looks to actor ``i`` (codes in ``events``)."""

    NONE = 0
    """Same position (or the diagonal): nothing to challenge."""
    STATUS_QUO = 1
    """Neither side expects to gain from a challenge."""
    CONFLICT = 2
    """Both sides expect to gain: they fight; the lower expectation gives way."""
    COMPROMISE = 3
    """One side expects to gain more than the other expects to lose: partial move."""
    CAPITULATION = 4
    """One side expects to lose more than the other expects to gain: full move."""


# --------------------------------------------------------------------------- engine
#
# Every round works in the *sorted frame*: the actors of each draw are sorted by
# position, every (B, n, n) array is laid out in that order, and only the
# per-actor results (and the pair classification, when asked for) are mapped
# back to the input order.  In that frame the supporters of the lower actor of a
# pair are a prefix of the actors, so every third-party sum over voters comes
# from a prefix sum and one gather (O(n^2 log n) per draw instead of O(n^3)).
# The arithmetic of every pair is the one written in the module docstring, in
# the same order of operations; only sums over actors may differ in the last
# bits from a sum taken in the input order.


_SAME = 1e-12  # normalized distance below which two positions are one
_CHUNK = 32  # draws per block: keeps the (block, n, n) temporaries in cache


class _Frame(NamedTuple):
    """Quantities of one round of a block of draws that do not depend on ``r``."""

    dist: FloatArray  # (B, n, n) normalized distances, sorted frame
    keep: FloatArray  # (B, n, n) 1.0 for pairs at different positions, else 0.0
    gather: NDArray[np.intp]  # (B, n, n) flat index of cum[b, left[a, c], c]
    upper: FloatArray  # (n, n) 1.0 above the diagonal (a left of c), else 0.0
    lower: FloatArray  # (n, n) 1.0 below the diagonal


def _triangles(n: int) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
    """Row and column of every pair ``a < c``, and for every (a, c) its pair's slot.

    The slot of the diagonal is the extra last one (``n (n - 1) / 2``).
    """
    a, c = np.triu_indices(n, 1)
    slot = np.full((n, n), a.size, dtype=np.intp)
    slot[a, c] = np.arange(a.size)
    slot[c, a] = np.arange(a.size)
    return a, c, slot.ravel()


def _units(z: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Sorted positions mapped to [0, 1] per draw, and the offset (B, 1) that separates draws."""
    lo = z[:, :1]
    span = np.maximum(z[:, -1:] - lo, 1e-300)
    offset = 4.0 * np.arange(z.shape[0], dtype=np.float64)[:, None]
    return (z - lo) / span, offset


def _frame(z: FloatArray) -> _Frame:
    """Distances and, for every pair, the voters strictly left of its midpoint.

    ``z`` (B, n) is sorted along the actors.  A voter prefers ``a`` to ``c``
    exactly when it lies on ``a``'s side of their midpoint, whatever its risk
    exponent, so the supporters of the left actor of a pair are the voters
    before the midpoint.  One ``searchsorted`` over the whole block (draws
    offset so they do not overlap) counts them for the pairs ``a < c``; the
    midpoint of ``(c, a)`` is the same number, so the count is symmetric.
    """
    bsz, n = z.shape
    dist = np.abs(z[:, :, None] - z[:, None, :])
    keep = (dist > _SAME).astype(np.float64)
    unit, offset = _units(z)
    keys = (unit + offset).ravel()
    a, c, slot = _triangles(n)
    mids = 0.5 * (unit[:, a] + unit[:, c]) + offset
    half = np.searchsorted(keys, mids.ravel(), side="left").reshape(bsz, a.size)
    # row of cum (B, n + 1, n) per pair, then the flat index of cum[b, left, c]
    rows = np.empty((bsz, a.size + 1), dtype=np.intp)
    np.subtract(half, (np.arange(bsz) * n)[:, None], out=rows[:, :-1])
    np.clip(rows[:, :-1], 0, n, out=rows[:, :-1])
    rows[:, -1] = 0  # the diagonal: any row will do, its difference is 0
    rows *= n
    gather = np.take(rows, slot, axis=1).reshape(bsz, n, n)
    gather += np.arange(n)
    gather += (np.arange(bsz) * ((n + 1) * n))[:, None, None]
    return _Frame(
        dist=dist,
        keep=keep,
        gather=gather,
        upper=np.triu(np.ones((n, n)), 1),
        lower=np.tril(np.ones((n, n)), -1),
    )


def _vote_sums(frame: _Frame, w: FloatArray, r: FloatArray) -> FloatArray:
    """Positive votes ``N[b, a, c] = sum_k w_k max(0, d_kc^r_k - d_ka^r_k)``, sorted frame.

    With ``a`` left of ``c``, ``N[a, c]`` is the prefix sum over the voters
    left of their midpoint of ``w_k (d_kc^r_k - d_ka^r_k)``; the sum over all
    voters minus it is ``-N[c, a]``.  O(n^2) per draw once the midpoints are
    placed.
    """
    bsz, n = w.shape
    dist = frame.dist
    util = w[:, :, None] * (dist if np.all(r == 1.0) else dist ** r[:, :, None])  # (B, k, c)
    cum = np.empty((bsz, n + 1, n))
    cum[:, 0] = 0.0
    for k in range(n):  # sequential like cumsum (same bits), faster for small n
        np.add(cum[:, k], util[:, k], out=cum[:, k + 1])
    total = cum[:, n]  # (B, c)
    at_c = np.take(cum, frame.gather)  # cum[b, left[a, c], c]
    diff = at_c - at_c.transpose(0, 2, 1)
    sums = frame.upper * diff
    rest = total[:, None, :] - total[:, :, None]
    rest -= diff
    rest *= frame.lower
    sums += rest
    np.maximum(sums, 0.0, out=sums)  # rounding only
    return np.asarray(sums, dtype=np.float64)


def _probabilities(votes: FloatArray, rule: str, keep: FloatArray) -> FloatArray:
    """``P[a, c]``: votes for ``a`` over the denominator of ``rule`` (0 when it is 0)."""
    if rule == "pairwise":
        den = votes + votes.transpose(0, 2, 1)
        den += den <= 0.0  # where den is 0 so are the votes: 0 / 1
        prob = votes / den
    else:
        total = 2.0 * votes.sum(axis=(1, 2))
        prob = votes / np.where(total > 0, total, 1.0)[:, None, None]
    prob *= keep
    return prob


def _utilities(
    dist: FloatArray, r: FloatArray, out: tuple[FloatArray, FloatArray] | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``U_s``, ``U_f`` and ``U_sq`` for normalized distances and exponent ``r``.

    ``2 - 4 (1/2 -+ d/2)^r`` is computed as ``(1/2 -+ d/2)^r * -4 + 2``: scaling
    by 4 is exact, so the bits are those of the formula.  ``out`` receives
    ``U_s`` and ``U_f`` if given.
    """
    u_s = np.multiply(dist, 0.5, out=None if out is None else out[0])
    u_f = np.add(u_s, 0.5, out=None if out is None else out[1])
    np.subtract(0.5, u_s, out=u_s)
    if r.size and np.all(r == 1.0):
        u_sq = np.zeros_like(r)
    else:
        np.maximum(u_s, 0.0, out=u_s)
        np.power(u_s, r, out=u_s)
        np.power(u_f, r, out=u_f)
        u_sq = 2.0 - 4.0 * 0.5**r
    for u in (u_s, u_f):
        u *= -4.0
        u += 2.0
    return u_s, u_f, u_sq


def _challenge(
    prob: FloatArray,
    utils: tuple[FloatArray, FloatArray, FloatArray],
    dist: FloatArray,
    gap_challenger: FloatArray,
    s_target: FloatArray,
    r: FloatArray,
    q: float,
    t: float,
) -> FloatArray:
    """Expected utility of challenge, all arguments broadcast to (B, n, n).

    ``prob`` is the challenger's probability of success, ``utils`` the
    success, failure and status-quo utilities from :func:`_utilities`,
    ``dist`` the normalized distance, ``gap_challenger`` the challenger's
    normalized distance to the median, ``s_target`` the target's salience,
    ``r`` the exponent of the actor whose view is computed.
    """
    u_s, u_f, u_sq = utils
    # s (P (U_s - U_f) + U_f) + (1 - s) U_s - Q U_sq, in that order of operations
    eu = u_s - u_f
    eu *= prob
    eu += u_f
    eu *= s_target
    eu += (1.0 - s_target) * u_s
    eu -= q * u_sq
    if q < 1.0:
        spread = 0.25 * (gap_challenger + dist)
        u_b = 2.0 - 4.0 * np.clip(0.5 - spread, 0.0, None) ** r
        u_w = 2.0 - 4.0 * (0.5 + spread) ** r
        eu -= (1.0 - q) * (t * u_b + (1.0 - t) * u_w)
    return eu


def _risk(danger_eu: FloatArray, keep: FloatArray) -> FloatArray:
    """Risk exponents from ``danger_eu[b, j, i] = EU(j -> i)`` (sorted frame)."""
    danger_eu *= keep
    return _risk_from_danger(danger_eu.sum(axis=1))  # sum over the challengers j


def _risk_from_danger(danger: FloatArray) -> FloatArray:
    """Risk exponents ``r_i`` from the danger sums ``D_i`` (B, n)."""
    hi = danger.max(axis=1, keepdims=True)
    lo = danger.min(axis=1, keepdims=True)
    spread = hi - lo
    accept = np.where(spread > 0, (2.0 * danger - hi - lo) / np.where(spread > 0, spread, 1.0), 0)
    return np.asarray((1.0 - accept / 3.0) / (1.0 + accept / 3.0), dtype=np.float64)


class _Moves(NamedTuple):
    """One round's outcome for a block of draws, in the input order of the actors."""

    x: FloatArray  # (B, n) positions after the round
    risk: FloatArray  # (B, n) risk exponents of the round
    accepted: NDArray[np.intp]  # (B, n) whose offer each actor took, -1 if none
    kind: NDArray[np.int8]  # (B, n) Offer code of the accepted offer
    pair: NDArray[np.int8] | None  # (B, n, n) classification of every pair, if asked


_INF_UNLESS = np.array([np.inf, 0.0])  # indexed by a boolean: 0 where it holds


def _sorted_frame(
    x: FloatArray, w: FloatArray, s: FloatArray, scale: FloatArray
) -> tuple[NDArray[np.intp], FloatArray, FloatArray, FloatArray, FloatArray]:
    """Actors sorted by scaled position in each draw (stable, so ties keep actor order).

    Returns ``order`` (B, n), the sorted scaled positions ``z``, and ``x``,
    ``w``, ``s`` permuted by ``order``.
    """
    z_in = x / scale[:, None]
    order = np.argsort(z_in, axis=1, kind="stable")
    z = np.take_along_axis(z_in, order, axis=1)
    xo = np.take_along_axis(x, order, axis=1)
    return (
        order,
        z,
        xo,
        np.take_along_axis(w, order, axis=1),
        np.take_along_axis(s, order, axis=1),
    )


def _round_numpy(
    x: FloatArray,
    w: FloatArray,
    s: FloatArray,
    scale: FloatArray,
    r_prev: FloatArray,
    params: dict[str, object],
) -> _Moves:
    bsz, n = x.shape
    q = float(params["q"])  # type: ignore[arg-type]
    t = float(params["t"])  # type: ignore[arg-type]
    rule = str(params["probability"])
    # to the sorted frame (per-actor arrays only)
    order, z, xo, w, s = _sorted_frame(x, w, s, scale)
    frame = _frame(z)
    dist, keep = frame.dist, frame.keep
    mu = weighted_median(z, w)
    gap_mu = np.abs(z - mu[:, None])
    ones = np.ones_like(z)
    # 2. security -> risk exponents
    prob1 = _probabilities(_vote_sums(frame, w, ones), rule, keep)
    security = params["security"]
    if security == "neutral":
        r_sec = ones[:, :, None]
    else:
        r_prev = np.take_along_axis(r_prev, order, axis=1)
        # EU(j -> i) seen by the threatened i, or by the challenger j
        r_sec = r_prev[:, None, :] if security == "target" else r_prev[:, :, None]
    utils1 = _utilities(dist, r_sec)
    danger_eu = _challenge(prob1, utils1, dist, gap_mu[:, :, None], s[:, None, :], r_sec, q, t)
    r = _risk(danger_eu, keep)
    # 3-5. probabilities with risk-adjusted votes, expected utilities seen by i
    prob = _probabilities(_vote_sums(frame, w, r), rule, keep)
    r_i = r[:, :, None]
    utils = _utilities(dist, r_i)  # the distance is symmetric: one set serves both
    e_ = _challenge(prob, utils, dist, gap_mu[:, :, None], s[:, None, :], r_i, q, t)  # i -> j
    big = _challenge(  # j -> i, as i sees it, laid out (B, i, j)
        prob.transpose(0, 2, 1), utils, dist, gap_mu[:, None, :], s[:, :, None], r_i, q, t
    )
    # 6. classification, as receiver i sees the pair (i, j): F = big, E = e_
    f_pos = big > 0
    e_pos = e_ > 0
    gain = (big + e_) > 0  # F > -E (and E > -F): exactly the sign of the sum
    apart = keep > 0  # also clears the diagonal
    # status quo 1, conflict 2, compromise 3, capitulation 4, same position 0
    one_side = f_pos ^ e_pos
    kind = (f_pos & e_pos).view(np.int8) + 1
    kind += one_side.view(np.int8) * (3 - gain.view(np.int8))
    kind *= apart.view(np.int8)
    # offers i receives and the position each asks of it
    lose = f_pos & e_pos & (big > e_)
    lopsided = f_pos & ~e_pos
    comp = lopsided & gain
    valid = (lose | lopsided) & apart
    frac = np.abs(e_) / np.where(f_pos, big, 1.0)
    x_i = xo[:, :, None]
    x_j = np.broadcast_to(xo[:, None, :], frac.shape)
    target = x_j - x_i
    target *= frac
    target += x_i
    np.copyto(target, x_j, where=~comp)  # full moves exact
    move = np.abs(target - x_i)
    pen = _INF_UNLESS[valid.view(np.int8)]  # 0 for a valid offer, inf otherwise
    tie_f = pen - big
    if params["offer"] == "closest":
        keys = [move + pen, tie_f]
    else:
        tier = np.where(lose, 0.0, np.where(comp, 1.0, 2.0)) + pen
        weighted = (np.abs(e_) * x_i + np.abs(big) * x_j) / np.where(
            np.abs(e_) + np.abs(big) > 0, np.abs(e_) + np.abs(big), 1.0
        )
        within = np.where(comp, weighted, move) + pen
        keys = [tier, within, tie_f]
    best = _argbest(keys, order)  # sorted-frame index of the chosen offer
    pick = best[:, :, None]
    has = np.take_along_axis(valid, pick, axis=2)[:, :, 0]
    chosen = np.take_along_axis(target, pick, axis=2)[:, :, 0]
    new_x = np.where(has, chosen, xo)
    accepted = np.where(has, np.take_along_axis(order, best, axis=1), -1)
    acc_kind = np.where(has, np.take_along_axis(kind, pick, axis=2)[:, :, 0], Offer.NONE)
    # back to the input order
    inv = np.empty_like(order)
    np.put_along_axis(inv, order, np.arange(n)[None, :], axis=1)
    pair = None
    if params["pairs"]:
        flat = inv[:, :, None] * n + inv[:, None, :]
        flat += (np.arange(bsz) * (n * n))[:, None, None]
        pair = np.take(kind, flat)
    return _Moves(
        x=np.take_along_axis(new_x, inv, axis=1),
        risk=np.take_along_axis(r, inv, axis=1),
        accepted=np.take_along_axis(accepted, inv, axis=1),
        kind=np.take_along_axis(acc_kind, inv, axis=1).astype(np.int8),
        pair=pair,
    )


def _argbest(keys: list[FloatArray], order: NDArray[np.intp]) -> NDArray[np.intp]:
    """Index (sorted frame) of the lexicographically smallest keys along the last axis.

    Ties on every key go to the lowest index in the *input* order (``order``
    maps the sorted frame to it), so the choice does not depend on the frame.
    """
    cand = keys[0]
    for nxt in keys[1:]:
        tied = cand <= cand.min(axis=2, keepdims=True)
        cand = np.where(tied, nxt, np.inf)
    best = np.argmin(cand, axis=2)
    low = cand.min(axis=2, keepdims=True)
    tied = cand <= low
    several = np.flatnonzero((np.count_nonzero(tied, axis=2) > 1) & np.isfinite(low[:, :, 0]))
    if several.size:  # rare: exact ties on every key; break them by input index
        b, i = np.unravel_index(several, best.shape)
        label = np.where(tied[b, i], order[b], order.shape[1])
        best[b, i] = np.argmin(label, axis=1)
    return np.asarray(best, dtype=np.intp)
