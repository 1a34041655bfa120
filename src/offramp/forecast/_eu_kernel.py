"""Compiled inner loops of the expected-utility engine (numba, optional).

The numpy engine in :mod:`offramp.forecast.eu` spends most of its time moving
(block, n, n) temporaries through memory: some 60 passes per round.  These two
kernels do the per-pair work of a round in one sweep per draw instead, with the
same arithmetic in the same order of operations as the numpy engine (so the two
agree to the last bits except where a sum over actors is taken in another
order, see the tests).  The powers ``d ** r`` stay in numpy, whose vectorized
``power`` is several times faster than a scalar one; the kernels read them.

Without numba installed (it is a dependency, but the engine does not require
it) :data:`AVAILABLE` is False and the numpy engine runs alone.  numba is
imported, and the kernels compiled (or loaded from numba's on-disk cache), on
first use, so importing offramp stays fast.

Both kernels work in the *sorted frame* of :mod:`offramp.forecast.eu`: the
actors of every draw sorted by position, ``order[b, a]`` the input index of
the actor in sorted place ``a``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from offramp._jit import AVAILABLE, Kernels

__all__ = ["AVAILABLE", "offers", "security"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

SAME = 1e-12  # as offramp.forecast.eu._SAME: normalized distance below which two are one

_KERNELS = Kernels(
    globals(),
    ("_midpoint_counts", "_positive_votes", "_probabilities", "_eu", "_security", "_offers"),
)


def _midpoint_counts(unit: FloatArray, off: float, left: NDArray[np.int32]) -> None:
    """``left[a, c]``: voters strictly left of the midpoint of ``a`` and ``c``.

    Same rounding as the numpy engine's batched ``searchsorted``: keys
    ``unit + off`` against midpoints ``0.5 (unit_a + unit_c) + off``.  For a
    fixed ``a`` the midpoints grow with ``c``, so one pointer sweeps the voters
    once per row: O(n^2).
    """
    n = unit.shape[0]
    for a in range(n):
        left[a, a] = 0
        ptr = 0
        for c in range(a + 1, n):
            mid = 0.5 * (unit[a] + unit[c]) + off
            while ptr < n and unit[ptr] + off < mid:
                ptr += 1
            left[a, c] = ptr
            left[c, a] = ptr


def _positive_votes(
    util: FloatArray, left: NDArray[np.int32], cum: FloatArray, votes: FloatArray
) -> None:
    """``votes[a, c] = sum_k max(0, util[k, c] - util[k, a])`` from prefix sums over voters."""
    n = util.shape[0]
    for j in range(n):
        cum[0, j] = 0.0
    for k in range(n):
        for j in range(n):
            cum[k + 1, j] = cum[k, j] + util[k, j]
    for a in range(n):
        votes[a, a] = 0.0
        for c in range(a + 1, n):
            row = left[a, c]
            diff = cum[row, c] - cum[row, a]
            votes[a, c] = diff if diff > 0.0 else 0.0
            # as the numpy engine: (total_a - total_c) - (cum[row, a] - cum[row, c])
            rest = (cum[n, a] - cum[n, c]) - (cum[row, a] - cum[row, c])
            votes[c, a] = rest if rest > 0.0 else 0.0


def _probabilities(votes: FloatArray, dist: FloatArray, all_pairs: bool, prob: FloatArray) -> None:
    n = votes.shape[0]
    if all_pairs:
        total = 0.0
        for a in range(n):
            for c in range(n):
                total += votes[a, c]
        total *= 2.0
        den = total if total > 0.0 else 1.0
        for a in range(n):
            for c in range(n):
                prob[a, c] = votes[a, c] / den if dist[a, c] > SAME else 0.0
    else:
        for a in range(n):
            for c in range(n):
                den = votes[a, c] + votes[c, a]
                if den <= 0.0:
                    den += 1.0
                prob[a, c] = votes[a, c] / den if dist[a, c] > SAME else 0.0


def _eu(p: float, u_s: float, u_f: float, s_target: float, q: float, u_sq: float) -> float:
    """``s (P (U_s - U_f) + U_f) + (1 - s) U_s - Q U_sq`` in the numpy engine's order."""
    eu = u_s - u_f
    eu *= p
    eu += u_f
    eu *= s_target
    eu += (1.0 - s_target) * u_s
    eu -= q * u_sq
    return eu


def _security(
    unit: FloatArray,
    off: FloatArray,
    w: FloatArray,
    s: FloatArray,
    dist: FloatArray,
    all_pairs: bool,
    q: float,
    left: NDArray[np.int32],
    danger: FloatArray,
) -> None:
    bsz, n = w.shape
    util = np.empty((n, n))
    cum = np.empty((n + 1, n))
    votes = np.empty((n, n))
    prob = np.empty((n, n))
    for b in range(bsz):
        _midpoint_counts(unit[b], off[b], left[b])
        d = dist[b]
        for k in range(n):
            for j in range(n):
                util[k, j] = w[b, k] * d[k, j]
        _positive_votes(util, left[b], cum, votes)
        _probabilities(votes, d, all_pairs, prob)
        for i in range(n):
            danger[b, i] = 0.0
        # danger[i] = sum over challengers j of EU_j(j -> i) at risk exponent 1
        for j in range(n):
            for i in range(n):
                dji = d[j, i]
                u_s = 2.0 - 4.0 * (0.5 - 0.5 * dji)
                u_f = 2.0 - 4.0 * (0.5 + 0.5 * dji)
                eu = _eu(prob[j, i], u_s, u_f, s[b, i], q, 0.0)
                danger[b, i] += eu * (1.0 if dji > SAME else 0.0)


def _offers(
    x: FloatArray,
    s: FloatArray,
    order: IntArray,
    dist: FloatArray,
    left: NDArray[np.int32],
    util: FloatArray,
    u_s: FloatArray,
    u_f: FloatArray,
    u_sq: FloatArray,
    all_pairs: bool,
    by_type: bool,
    q: float,
    new_x: FloatArray,
    accepted: IntArray,
    kind_out: NDArray[np.int8],
    pair_out: NDArray[np.int8],
    want_pairs: bool,
) -> None:
    bsz, n = x.shape
    cum = np.empty((n + 1, n))
    votes = np.empty((n, n))
    prob = np.empty((n, n))
    inf = np.inf
    for b in range(bsz):
        d = dist[b]
        _positive_votes(util[b], left[b], cum, votes)
        _probabilities(votes, d, all_pairs, prob)
        for i in range(n):
            xi = x[b, i]
            best = -1
            k1 = inf
            k2 = inf
            k3 = inf
            lab = n
            best_target = xi
            best_kind = 0
            for j in range(n):
                us = u_s[b, i, j]
                uf = u_f[b, i, j]
                f = _eu(prob[j, i], us, uf, s[b, i], q, u_sq[b, i])  # j -> i, i's view
                f_pos = f > 0
                if not (f_pos or want_pairs):
                    continue  # no offer to i, and its classification is not asked for
                e = _eu(prob[i, j], us, uf, s[b, j], q, u_sq[b, i])  # i -> j
                e_pos = e > 0
                gain = (f + e) > 0
                apart = d[i, j] > SAME
                kind = 0
                if apart:
                    if f_pos and e_pos:
                        kind = 2
                    elif f_pos != e_pos:
                        kind = 3 if gain else 4
                    else:
                        kind = 1
                if want_pairs:
                    pair_out[b, order[b, i], order[b, j]] = kind
                lose = f_pos and e_pos and f > e
                lopsided = f_pos and not e_pos
                if not ((lose or lopsided) and apart):
                    continue
                comp = lopsided and gain
                xj = x[b, j]
                if comp:
                    frac = abs(e) / f
                    target = xj - xi
                    target *= frac
                    target += xi
                else:
                    target = xj
                move = abs(target - xi)
                if by_type:
                    c1 = 0.0 if lose else (1.0 if comp else 2.0)
                    if comp:
                        den = abs(e) + abs(f)
                        c2 = (abs(e) * xi + abs(f) * xj) / (den if den > 0 else 1.0)
                    else:
                        c2 = move
                    c3 = -f
                else:
                    c1 = move
                    c2 = -f
                    c3 = 0.0
                label = order[b, j]
                if c1 < k1 or (
                    c1 == k1 and (c2 < k2 or (c2 == k2 and (c3 < k3 or (c3 == k3 and label < lab))))
                ):
                    best, k1, k2, k3, lab = j, c1, c2, c3, label
                    best_target = target
                    best_kind = kind
            dest = order[b, i]
            if best >= 0:
                new_x[b, dest] = best_target
                accepted[b, dest] = lab
                kind_out[b, dest] = best_kind
            else:
                new_x[b, dest] = xi
                accepted[b, dest] = -1
                kind_out[b, dest] = 0


def security(
    unit: FloatArray,
    off: FloatArray,
    w: FloatArray,
    s: FloatArray,
    dist: FloatArray,
    all_pairs: bool,
    q: float,
    left: NDArray[np.int32],
) -> FloatArray:
    """Danger sums ``D_i = sum_j EU_j(j -> i)`` at risk exponent 1, sorted frame.

    Fills ``left`` (B, n, n) with the voters left of each pairwise midpoint for
    :func:`offers`.  ``unit`` and ``off`` are the numpy engine's midpoint keys.
    """
    _KERNELS.compile()
    danger = np.empty(w.shape)
    _security(unit, off, w, s, dist, all_pairs, q, left, danger)
    return danger


def offers(
    x: FloatArray,
    s: FloatArray,
    order: IntArray,
    dist: FloatArray,
    left: NDArray[np.int32],
    util: FloatArray,
    u_s: FloatArray,
    u_f: FloatArray,
    u_sq: FloatArray,
    *,
    all_pairs: bool,
    by_type: bool,
    q: float,
    pairs: bool,
) -> tuple[FloatArray, IntArray, NDArray[np.int8], NDArray[np.int8] | None]:
    """Votes, probabilities, expected utilities, classification and offer choice.

    ``util`` (B, k, c) holds ``w_k d_kc^r_k``; ``u_s``, ``u_f`` (B, i, j) the
    success and failure utilities at ``r_i``; ``u_sq`` (B, i).  Returns the new
    positions, the input index of the accepted offer (-1 if none) and its
    :class:`~offramp.forecast.eu.Offer` code, all in the input order, and the
    classification of every pair (input order) if ``pairs``.
    """
    _KERNELS.compile()
    bsz, n = x.shape
    new_x = np.empty((bsz, n))
    accepted = np.empty((bsz, n), dtype=np.intp)
    kind = np.empty((bsz, n), dtype=np.int8)
    pair = np.zeros((bsz, n, n) if pairs else (1, 1, 1), dtype=np.int8)
    _offers(
        x, s, order, dist, left, util, u_s, u_f, u_sq, all_pairs, by_type, q,
        new_x, accepted, kind, pair, pairs,
    )  # fmt: skip
    return new_x, accepted, kind, (pair if pairs else None)
