"""Pareto frontier and bargaining solutions over a set of packages.

All functions maximize and take utilities as arrays of shape (n, k): n
packages, k parties (the veto actors). Gains are utilities minus the
parties' batnas (disagreement points).

Solutions
---------
Nash (1950)
    maximizes the product of gains, prod_a (u_a - d_a).
    Nash, J. F. (1950). The bargaining problem. *Econometrica* 18(2), 155-162.
    https://doi.org/10.2307/1907266
Kalai-Smorodinsky (1975)
    maximizes min_a (u_a - d_a) / (m_a - d_a), where m_a is a's best
    attainable utility in the set (the ideal point).
    Kalai, E. & Smorodinsky, M. (1975). Other solutions to Nash's bargaining
    problem. *Econometrica* 43(3), 513-518. https://doi.org/10.2307/1914280
Egalitarian (Kalai 1977)
    maximizes min_a (u_a - d_a).
    Kalai, E. (1977). Proportional solutions to bargaining situations.
    *Econometrica* 45(7), 1623-1630. https://doi.org/10.2307/1913954
Utilitarian
    maximizes sum_a u_a.

Interpretive choices: on a finite set the maximizer need not be unique. Every
solution is taken among the Pareto-optimal packages (for Nash and utilitarian
every maximizer is Pareto-optimal anyway; for Kalai-Smorodinsky and
egalitarian a weakly dominated maximizer is passed over), and remaining ties
(criteria equal within a relative 1e-12) go to the lowest package index, i.e.
the first package in option order.

Pareto filter
-------------
Columns are replaced by their ranks and one engine handles every k: a sweep
for k = 2; for k = 3 pruning by the best-sum rows, then an offline
divide-and-conquer dominance test (Bentley, J. L. (1980). Multidimensional
divide-and-conquer. *Commun. ACM* 23(4), 214-229.
https://doi.org/10.1145/358841.358850); for k >= 4 rows in decreasing sum
order checked in batches against the rows kept so far (the order of Kung,
H. T., Luccio, F. & Preparata, F. P. (1975). On finding the maxima of a set
of vectors. *J. ACM* 22(4), 469-476. https://doi.org/10.1145/321906.321910).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from offramp.settle import _dominance_kernel

__all__ = ["SOLUTIONS", "pareto_filter", "solve"]

_REL_TIE = 1e-12
_BLOCK = 1024
_KERNEL_MIN = 4096
"""Fewest rows for which three columns go to the compiled sweep.

Importing numba and loading the compiled sweep cost about a second, once per
process; above this size the numpy engine can take as long for one filter of
frontier-like rows (0.2 s for 5,000, 0.9 s for 20,000; the sweep: 7 ms).
"""


def _dominance_rows(
    candidates: NDArray[np.int64], front: NDArray[np.int64], margin: int
) -> NDArray[np.bool_]:
    """For each candidate, whether a row of ``front`` margin-dominates it (see `_nondominated`)."""
    out = np.zeros(len(candidates), dtype=bool)
    if len(front) == 0 or len(candidates) == 0:
        return out
    alive = np.arange(len(candidates))
    step = max(1, (1 << 22) // max(1, len(candidates) * candidates.shape[1]))
    for f0 in range(0, len(front), step):
        c = candidates[alive]
        f = front[f0 : f0 + step]
        at_least = np.ones((len(c), len(f)), dtype=bool)
        beyond = np.zeros((len(c), len(f)), dtype=bool)
        for j in range(candidates.shape[1]):
            diff = f[None, :, j] - c[:, j, None]
            at_least &= diff >= 0
            beyond |= diff >= margin
        hit = np.any(at_least & beyond, axis=1)
        out[alive[hit]] = True
        alive = alive[~hit]
        if len(alive) == 0:
            break
        step = max(1, (1 << 22) // max(1, len(alive) * candidates.shape[1]))
    return out


def _weakly_covered_3d(points: NDArray[np.int64], queries: NDArray[np.int64]) -> NDArray[np.bool_]:
    """For each query, whether some point is at least as large in all three columns.

    Offline divide and conquer over the first column (Bentley 1980), one
    vectorized pass per level: at level L, the points of the first half of
    each block of 2**(L+1) elements (in decreasing order of the first
    column) answer the queries of its second half by a sweep over the second
    column with a running maximum of the third.
    """
    n_p, n_q = len(points), len(queries)
    both = np.concatenate([points, queries])
    is_query = np.concatenate([np.zeros(n_p, dtype=bool), np.ones(n_q, dtype=bool)])
    z = _ranks(both[:, 2:])[:, 0]
    # decreasing first column; points before queries where it is equal
    order = np.lexsort((is_query, -both[:, 0]))
    y, z, is_query = both[order, 1], z[order], is_query[order]
    n = len(order)
    big = n + 2
    position = np.arange(n, dtype=np.int64)
    covered = np.zeros(n, dtype=bool)
    level = 0
    while (1 << level) < n:
        segment = position >> (level + 1)
        second = ((position >> level) & 1).astype(bool)
        use = np.flatnonzero((~second & ~is_query) | (second & is_query))
        # within a segment: decreasing second column, points before queries where equal
        sweep = use[np.lexsort((is_query[use], -y[use], segment[use]))]
        value = np.where(is_query[sweep], -1, segment[sweep] * big + z[sweep] + 1)
        best = np.maximum.accumulate(value)
        asks = is_query[sweep]
        hit = best[asks] >= segment[sweep[asks]] * big + z[sweep[asks]] + 1
        covered[sweep[asks][hit]] = True
        level += 1
    out = np.zeros(n, dtype=bool)
    out[order] = covered
    return out[n_p:]


def _nondominated(points: NDArray[np.int64], margin: int = 1) -> NDArray[np.intp]:
    """Sorted indices of the rows no other row margin-dominates (maximizing every column).

    Row ``a`` margin-dominates row ``b`` when ``a >= b`` in every column and
    ``a - b >= margin`` in at least one. With ``margin = 1`` on integers this
    is Pareto dominance; equal rows never dominate each other. The relation
    is a strict partial order, so the rows kept are exactly the maximal ones.

    Two columns: a sweep (sort by the first column, running maximum of the
    second, binary search), O(n log n). More columns: rows in decreasing
    order of their column sum (a dominator has a larger or equal float sum
    and comes first among equal sums, lexicographically), checked in blocks
    against the rows kept so far, each block pruned as soon as it is
    dominated, then against itself (Kung, Luccio & Preparata 1975 order the
    same way; this is their idea with block pruning, not their divide and
    conquer).
    """
    n, k = points.shape
    if n == 0:
        return np.empty(0, dtype=np.intp)
    if k == 1:
        return np.flatnonzero(points[:, 0] > points[:, 0].max() - margin)
    if k == 2:
        order = np.argsort(-points[:, 0], kind="stable")
        xs = points[order, 0]
        running = np.maximum.accumulate(points[order, 1])
        x_ascending = xs[::-1]
        dominated = np.zeros(n, dtype=bool)
        for shift in ((margin, 0), (0, margin)):
            qx = points[:, 0] + shift[0]
            qy = points[:, 1] + shift[1]
            count = n - np.searchsorted(x_ascending, qx, side="left")
            has = count > 0
            dominated[has] |= running[count[has] - 1] >= qy[has]
        return np.flatnonzero(~dominated)
    if k == 3 and n > _KERNEL_MIN and _dominance_kernel.AVAILABLE:
        return np.flatnonzero(~_dominance_kernel.margin_dominated_3(points, margin))
    fsum = points.astype(np.float64).sum(axis=1)
    rest = np.lexsort((*(-points[:, j] for j in range(k - 1, -1, -1)), -fsum))
    if k == 3 and n > _BLOCK:
        # bulk pruning by the best-sum rows' frontier, then an exact sweep of the rest
        head = rest[:_BLOCK]
        block = points[head]
        block = block[~_dominance_rows(block, block, margin)]
        rest = np.sort(rest[~_dominance_rows(points[rest], block, margin)])
        survivors = points[rest]
        dominated = np.zeros(len(rest), dtype=bool)
        for j in range(3):
            shifted = survivors.copy()
            shifted[:, j] += margin
            dominated |= _weakly_covered_3d(survivors, shifted)
        return rest[~dominated]
    kept: list[NDArray[np.intp]] = []
    head_size = 64
    while len(rest):
        head, rest = rest[:head_size], rest[head_size:]
        block = points[head]
        alive = ~_dominance_rows(block, block, margin)
        head, block = head[alive], block[alive]
        kept.append(head)
        rest = rest[~_dominance_rows(points[rest], block, margin)]
        head_size = min(4 * head_size, _BLOCK)
    return np.sort(np.concatenate(kept))


def _ranks(points: NDArray[np.float64] | NDArray[np.int64]) -> NDArray[np.int64]:
    """Each column replaced by its dense rank (equal values, equal ranks): same dominance."""
    out = np.empty(points.shape, dtype=np.int64)
    for j in range(points.shape[1]):
        # by sorting: numpy's unique(return_inverse=True) is many times slower on large columns
        order = np.argsort(points[:, j], kind="stable")
        column = points[order, j]
        out[order, j] = np.concatenate(([0], np.cumsum(column[1:] != column[:-1])))
    return out


def pareto_filter(points: NDArray[np.float64]) -> NDArray[np.intp]:
    """Indices of the non-dominated rows (maximizing every column).

    A row is dominated when another is at least as large in every column and
    larger in one. Equal rows do not dominate each other: all are kept.

    Parameters
    ----------
    points : ndarray of float64, shape (n, k)

    Returns
    -------
    ndarray of intp
        Sorted indices of the non-dominated rows.

    Examples
    --------
    >>> pareto_filter(np.array([[1.0, 0.0], [0.5, 0.5], [0.4, 0.4], [0.0, 1.0], [0.5, 0.5]]))
    array([0, 1, 3, 4])
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2:
        raise ValueError(f"points must be a 2-d array (n, k); got shape {points.shape}")
    n, k = points.shape
    if n == 0:
        return np.empty(0, dtype=np.intp)
    if k == 1:
        return np.flatnonzero(points[:, 0] == points[:, 0].max())
    compiled = k == 3 and n > _KERNEL_MIN and _dominance_kernel.AVAILABLE
    alive = _prefilter(points) if n > _PREFILTER_MIN and not compiled else np.arange(n)
    return alive[_nondominated(_ranks(points[alive]))]


_PREFILTER_MIN = 4096
_PIVOTS = 64


def _prefilter(points: NDArray[np.float64]) -> NDArray[np.intp]:
    """Rows not dominated by any of a few high-sum pivot rows (cheap pruning, exact).

    Dropping a row that some row dominates never changes the set of
    non-dominated rows (dominance is transitive and the dominator stays), so
    the exact filter can then run on the survivors, usually a small share.
    """
    sums = points.sum(axis=1)
    top = np.argpartition(-sums, _PIVOTS)[:_PIVOTS]
    top = top[np.argsort(-sums[top], kind="stable")]
    alive = np.arange(len(points))
    for pivot in points[top]:
        rows = points[alive]
        dominated = np.all(rows <= pivot, axis=1) & np.any(rows < pivot, axis=1)
        alive = alive[~dominated]
    return alive


def _nash(gain: NDArray[np.float64], ideal: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(np.prod(gain, axis=1))


def _kalai_smorodinsky(
    gain: NDArray[np.float64], ideal: NDArray[np.float64]
) -> NDArray[np.float64]:
    return np.asarray(np.min(gain / ideal, axis=1))


def _egalitarian(gain: NDArray[np.float64], ideal: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(np.min(gain, axis=1))


def _utilitarian(gain: NDArray[np.float64], ideal: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(np.sum(gain, axis=1))


SOLUTIONS: dict[str, Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]] = {
    "nash": _nash,
    "kalai_smorodinsky": _kalai_smorodinsky,
    "egalitarian": _egalitarian,
    "utilitarian": _utilitarian,
}
"""Criterion of each solution, given gains (n, k) and ideal gains (k,)."""


def solve(
    utility: NDArray[np.float64], batna: NDArray[np.float64], index: NDArray[np.int64]
) -> dict[str, int | None]:
    """Every bargaining solution over a Pareto frontier whose gains are all positive.

    Parameters
    ----------
    utility : ndarray of float64, shape (n, k)
        Utilities of the frontier packages for the k parties; every row must
        beat ``batna`` in every column (a ratified-ZOPA frontier).
    batna : ndarray of float64, shape (k,)
    index : ndarray of int64, shape (n,)
        Package indices, for breaking ties towards the lowest.

    Returns
    -------
    dict
        For each name in :data:`SOLUTIONS`, the row of the solution, or None
        when the frontier is empty.

    Examples
    --------
    >>> u = np.array([[0.9, 0.3], [0.7, 0.6], [0.4, 0.8]])
    >>> solve(u, np.array([0.2, 0.2]), np.arange(3))
    {'nash': 1, 'kalai_smorodinsky': 1, 'egalitarian': 1, 'utilitarian': 1}
    """
    if len(utility) == 0:
        return dict.fromkeys(SOLUTIONS)
    gain = utility - batna[None, :]
    ideal = gain.max(axis=0)
    out: dict[str, int | None] = {}
    for name, criterion in SOLUTIONS.items():
        score = criterion(gain, ideal)
        best = score.max()
        tied = np.flatnonzero(score >= best - _REL_TIE * max(1.0, abs(best)))
        out[name] = int(tied[np.argmin(index[tied])])
    return out
