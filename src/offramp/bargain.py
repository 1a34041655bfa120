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
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

__all__ = ["SOLUTIONS", "pareto_filter", "solve"]

_REL_TIE = 1e-12
_BLOCK = 2048


def _pareto_2d(points: NDArray[np.float64]) -> NDArray[np.intp]:
    order = np.lexsort((-points[:, 1], -points[:, 0]))
    x, y = points[order, 0], points[order, 1]
    new_group = np.empty(len(x), dtype=bool)
    new_group[0] = True
    new_group[1:] = x[1:] != x[:-1]
    group = np.cumsum(new_group) - 1
    group_max = y[new_group]  # sorted y descending inside each x group: first is the max
    before = np.concatenate(([-np.inf], np.maximum.accumulate(group_max)[:-1]))
    keep = (y == group_max[group]) & (y > before[group])
    return np.sort(order[keep])


def _dominated_by(candidates: NDArray[np.float64], front: NDArray[np.float64]) -> NDArray[np.bool_]:
    """For each candidate, whether some row of ``front`` dominates it."""
    out = np.zeros(len(candidates), dtype=bool)
    step = max(1, (1 << 22) // max(1, len(candidates) * candidates.shape[1]))
    for f0 in range(0, len(front), step):
        f = front[f0 : f0 + step][None, :, :]
        c = candidates[:, None, :]
        covers = np.all(f >= c, axis=2) & np.any(f > c, axis=2)
        out |= np.any(covers, axis=1)
    return out


def _pareto_kd(points: NDArray[np.float64]) -> NDArray[np.intp]:
    # A dominator has a strictly larger sum, so it comes earlier in this order;
    # checking each block against the frontier found so far is then enough.
    order = np.argsort(-points.sum(axis=1), kind="stable")
    front_idx: list[NDArray[np.intp]] = []
    front = np.empty((0, points.shape[1]))
    for b0 in range(0, len(order), _BLOCK):
        idx = order[b0 : b0 + _BLOCK]
        block = points[idx]
        alive = ~_dominated_by(block, front)
        idx, block = idx[alive], block[alive]
        alive = ~_dominated_by(block, block)
        idx, block = idx[alive], block[alive]
        front_idx.append(idx)
        front = np.concatenate([front, block])
    return np.sort(np.concatenate(front_idx)) if front_idx else np.empty(0, dtype=np.intp)


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
    if k == 2:
        return _pareto_2d(points)
    return _pareto_kd(points)


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
