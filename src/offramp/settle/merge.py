"""Exact Pareto frontiers of astronomically large settlement spaces, by merging issues.

Utility is additive over issues (:mod:`offramp.settle.space`), so the veto actors'
utility vectors of a product space are the Minkowski sum of the issues'
vectors, and the Pareto frontier of a Minkowski sum is the frontier of the
sum of the frontiers::

    Pareto(A ⊕ B) = Pareto(Pareto(A) ⊕ Pareto(B))

(a point a + b with a dominated by a' is dominated by a' + b). Merging the
issues one at a time therefore never needs more than the current frontier
times one issue's options, whatever the size of the space; each frontier
point keeps its package (the option of every merged issue) as its
back-pointer. This is the classical decomposition of multi-objective
multiple-choice knapsack / product-space problems (Bazgan, Hugot &
Vanderpooten 2009, *Solving efficiently the 0-1 multi-objective knapsack
problem*, Computers & Operations Research 36(1), 260-279,
https://doi.org/10.1016/j.cor.2007.09.009, dynamic programming with
dominance relations; Klamroth & Wiecek 2000, *Dynamic programming approaches
to the multiple criteria knapsack problem*, Naval Research Logistics 47(1),
57-76).

Interpretive choices, each needed to give exactly the answer of
enumeration (:func:`offramp.settle.analysis.analyze_space` with ``method="enumeration"``):

* **Exact integer sums.** Enumeration rounds each package's float sum to
  :data:`offramp.settle.space.DECIMALS` decimals, so that packages equal in exact
  arithmetic compare equal. Here every weighted option value is an integer
  number of units of 2**-60 (:data:`SCALE`) and a package's utility is its
  integer sum converted and rounded the same way (:func:`utility_of`). Sums
  are then exact and independent of the merge order, and the two methods
  agree except for a package whose exact utility lies within about 1e-15 of
  a rounding boundary (where enumeration's own float summation order
  already decides).
* **Ties are all kept.** Rounding can make two packages equal that differ
  before rounding, so a partial sum is only pruned when it is dominated
  with a margin that survives rounding (:data:`MARGIN`, just over 1e-10 in
  one coordinate, and at least as large in all): the dominator then stays
  strictly better for every completion. Near-ties are kept until the end,
  where an exact Pareto filter on the rounded utilities keeps every package
  whose utility vector is not dominated, equal vectors included, as
  :func:`offramp.settle.solutions.pareto_filter` does.
* **Batnas at the end**, plus bound pruning: a package in the ZOPA
  dominated by another is dominated by one in the ZOPA (the dominator has
  higher utilities), so Pareto(ZOPA) = Pareto(space) ∩ ZOPA. A partial sum
  that cannot reach some batna even with the best options of the issues
  still to merge is dropped early (exact: utility is monotone in the sum).
* **Ratification** depends only on the options of the issues the publics'
  and legislatures' rules and routes mention (a route's condition is on
  options, and so is the route a package takes; :mod:`offramp.problem.bodies`),
  so routes keep the merge exact. Partitioning the space by those options, each part's
  frontier is (its fixed options) ⊕ Pareto(remaining issues), and the
  remaining issues are the same in every part; so the ratified combinations
  of the mentioned issues are merged as one compound issue whose options
  are exactly those combinations, which is the partition computed once.
* **Merge order** is a heuristic; any order gives the same frontier. A
  step costs (frontier so far) × (the group's options) candidates, and the
  frontier grows as issues are merged, so the groups with more
  non-dominated options go first (the compound group of the issues the
  publics' rules mention, typically), then those with larger utility
  ranges. On 30 issues × 8 options with 3 veto actors (``benchmarks/bench_huge.py``)
  this keeps every step's candidates within 8 × the frontier so far, where
  merging the 37-option compound group last took 1.8 million at once.
* **Dominance filtering** of a step's candidates with three veto actors is
  an O(n log n) plane sweep compiled with numba
  (:mod:`offramp.settle._dominance_kernel`) for large steps; exact, like
  the numpy engine it replaces there.
* **Memory budget.** When the candidates of a merge step would exceed
  ``max_points``, the frontier so far is thinned on a grid of cell size
  δ: one point (the one with the largest utility sum) per cell, then
  non-dominated. Every removed point p has a kept q in its cell, q ≥ p − δ
  in every coordinate, and this survives later merges (q + b ≥ p + b − δ),
  so the result is an ε-Pareto set with ε = the sum of the δs used plus
  1e-10 for the final rounding (Papadimitriou & Yannakakis 2000, *On the
  approximability of trade-offs and optimal access of web sources*, FOCS,
  https://doi.org/10.1109/SFCS.2000.892068, additive form). Batna pruning is
  off in that mode, so the guarantee covers every ratified package: for
  each, some package of the approximate frontier before the batna filter
  is within ε of it for every veto actor.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from math import prod

import numpy as np
from numpy.typing import NDArray

from offramp.problem import Problem
from offramp.settle.solutions import _nondominated, pareto_filter
from offramp.settle.space import DECIMALS

__all__ = [
    "MARGIN",
    "MAX_POINTS",
    "MAX_RULE_COMBOS",
    "SCALE",
    "Frontier",
    "FrontierTooLargeError",
    "Group",
    "groups_of",
    "merge_frontier",
    "quantize",
    "ratified_combos",
    "threshold_of",
    "utility_of",
]

SCALE = 1 << 60
"""Integer units per unit of utility: weighted option values are multiples of 1/SCALE."""

MARGIN = int(np.ceil(1.001e-10 * SCALE))
"""Smallest difference in integer units that stays a strict difference after rounding."""

MAX_POINTS = 4_000_000
"""Default budget: most candidate points one merge step may hold (about 0.5 GiB)."""

MAX_RULE_COMBOS = 1 << 22
"""Most combinations of options of the issues the bodies' rules and routes mention, together."""


class FrontierTooLargeError(MemoryError):
    """An exact frontier would exceed the memory budget (``needed`` candidate points)."""

    def __init__(self, needed: int, budget: int) -> None:
        self.needed = needed
        self.budget = budget
        super().__init__(
            f"an exact merge step needs {needed:,} candidate points; the budget is {budget:,}"
        )


def quantize(tables: list[NDArray[np.float64]]) -> list[NDArray[np.int64]]:
    """Weighted option values as integers in units of ``1 / SCALE``.

    Parameters
    ----------
    tables : list of ndarray of float64, each of shape (n_actors, n_options_i)
        From :meth:`offramp.problem.Problem.tables_of`.

    Returns
    -------
    list of ndarray of int64, same shapes

    Examples
    --------
    >>> quantize([np.array([[0.5, 0.25]])])[0].tolist() == [[SCALE // 2, SCALE // 4]]
    True
    """
    return [np.rint(np.asarray(t, dtype=np.float64) * SCALE).astype(np.int64) for t in tables]


def utility_of(total: NDArray[np.int64] | int) -> NDArray[np.float64]:
    """Utility of integer sums: converted to float and rounded to ``DECIMALS`` decimals.

    Monotone (non-decreasing) in the sum, which the exactness arguments use.

    Examples
    --------
    >>> float(utility_of(SCALE // 3 + 7))
    0.3333333333
    """
    return np.round(np.asarray(total, dtype=np.int64).astype(np.float64) / SCALE, DECIMALS)


def threshold_of(batna: float) -> int:
    """The largest integer sum whose utility is not above ``batna``.

    ``utility_of(s) > batna`` exactly when ``s > threshold_of(batna)``.

    Examples
    --------
    >>> t = threshold_of(0.5)
    >>> float(utility_of(t)) <= 0.5 < float(utility_of(t + 1))
    True
    """
    # utility_of in Python arithmetic (int to float, a power-of-two division, then numpy's
    # round: multiply by 10**DECIMALS, round half to even, divide), bit for bit the same
    scale = 10.0**DECIMALS

    def utility(total: int) -> float:
        return round(float(total) / SCALE * scale) / scale

    lo, hi = -(1 << 62), 1 << 62  # utility(lo) <= batna < utility(hi) for batna in [0, 1]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if utility(mid) <= batna:
            lo = mid
        else:
            hi = mid
    return lo


@dataclass(frozen=True)
class Group:
    """Issues merged as one step: their allowed option combinations and sums.

    Attributes
    ----------
    issues : tuple of int
        Scenario indices of the issues.
    options : ndarray of int16, shape (n, len(issues))
        The allowed combinations of their options.
    sums : ndarray of int64, shape (n_actors, n)
        Every actor's integer sum over these issues for each combination.
    """

    issues: tuple[int, ...]
    options: NDArray[np.int16]
    sums: NDArray[np.int64]


def groups_of(
    qtables: list[NDArray[np.int64]],
    mentioned: tuple[int, ...] = (),
    allowed: NDArray[np.bool_] | None = None,
    options_allowed: list[NDArray[np.bool_]] | None = None,
) -> list[Group]:
    """One group per issue, except the ``mentioned`` issues merged into one compound group.

    Parameters
    ----------
    qtables : list of ndarray of int64, each (n_actors, n_options_i)
    mentioned : tuple of int
        Issues whose combinations are restricted (those the publics' rules mention).
    allowed : ndarray of bool, shape (prod of their option counts,), optional
        Which combinations (row-major) are allowed; all when omitted.
    options_allowed : list of ndarray of bool, each (n_options_i,), optional
        Which options of each issue may appear at all (red lines rule the
        others out, :mod:`offramp.settle.redlines`); all when omitted.
    """
    sizes = [t.shape[1] for t in qtables]
    keep = options_allowed or [np.ones(k, dtype=bool) for k in sizes]
    groups = [
        Group((i,), np.flatnonzero(keep[i]).astype(np.int16)[:, None], qtables[i][:, keep[i]])
        for i in range(len(qtables))
        if i not in mentioned
    ]
    if mentioned:
        msizes = [sizes[i] for i in mentioned]
        combos = np.flatnonzero(allowed) if allowed is not None else np.arange(prod(msizes))
        options = np.stack(np.unravel_index(combos, msizes), axis=1).astype(np.int16)
        fine = np.all([keep[i][options[:, c]] for c, i in enumerate(mentioned)], axis=0)
        combos, options = combos[fine], options[fine]
        sums = sum(
            (qtables[i][:, options[:, c]] for c, i in enumerate(mentioned)),
            start=np.zeros((qtables[0].shape[0], len(combos)), dtype=np.int64),
        )
        groups.append(Group(tuple(mentioned), options.reshape(len(combos), len(mentioned)), sums))
    return groups


@dataclass(frozen=True)
class Frontier:
    """The Pareto frontier found by merging.

    Attributes
    ----------
    options : ndarray of int16, shape (n, n_issues)
        Option index of every issue for each frontier package, in package order.
    sums : ndarray of int64, shape (n_actors, n)
        Every actor's integer utility sum; :func:`utility_of` gives utilities.
    exact : bool
        False when the memory budget forced an ε-Pareto approximation.
    epsilon : float
        The guaranteed additive ε of that approximation (0.0 when exact).
    sizes : tuple of int
        Frontier size after each merge step (the largest is the memory driver).
    order : tuple of tuple of int
        The issues merged at each step, in merge order.
    """

    options: NDArray[np.int16]
    sums: NDArray[np.int64]
    exact: bool
    epsilon: float
    sizes: tuple[int, ...]
    order: tuple[tuple[int, ...], ...]

    @property
    def utility(self) -> NDArray[np.float64]:
        """Every actor's utility of each frontier package, shape (n_actors, n)."""
        return utility_of(self.sums)


def _package_order(options: NDArray[np.int16]) -> NDArray[np.intp]:
    """Permutation putting packages (rows of option indices) in package order."""
    if options.shape[1] == 0:
        return np.arange(len(options))
    return np.lexsort(tuple(options[:, j] for j in range(options.shape[1] - 1, -1, -1)))


def _thin(points: NDArray[np.int64], delta: int) -> NDArray[np.intp]:
    """One point per grid cell of side ``delta`` (the largest-sum one), then non-dominated."""
    cells = points // delta
    by_sum = np.argsort(-points.astype(np.float64).sum(axis=1), kind="stable")
    _, first = np.unique(cells[by_sum], axis=0, return_index=True)
    keep = np.sort(by_sum[first])
    return keep[_nondominated(points[keep], 1)]


def _merge_engine(
    groups: list[Group],
    n_issues: int,
    veto: NDArray[np.intp],
    thresholds: list[int | None],
    *,
    order: list[int] | None = None,
    max_points: int = MAX_POINTS,
    approximate: bool = False,
) -> tuple[NDArray[np.int16], NDArray[np.int64], bool, float, list[int], list[int]]:
    """Merge groups; returns options, veto sums, exact, epsilon, sizes, order (private engine)."""
    k = len(veto)
    vsums = [g.sums[veto].T.copy() for g in groups]  # (n_g, k)
    # options of a group dominated (with the margin) by another option of it never
    # appear on the frontier: drop them first
    keep = [_nondominated(v, MARGIN) for v in vsums]
    vsums = [v[kk] for v, kk in zip(vsums, keep, strict=True)]
    gopts = [g.options[kk] for g, kk in zip(groups, keep, strict=True)]
    if order is None:
        spans = [float((v.max(axis=0) - v.min(axis=0)).sum()) for v in vsums]
        order = sorted(range(len(groups)), key=lambda j: (-len(vsums[j]), -spans[j]))
    best_rest = np.zeros((len(order) + 1, k), dtype=np.int64)
    for step in range(len(order) - 1, -1, -1):
        best_rest[step] = best_rest[step + 1] + vsums[order[step]].max(axis=0)
    limit = np.array([np.iinfo(np.int64).min if t is None else t for t in thresholds])
    prune = not approximate and any(t is not None for t in thresholds)
    if prune and np.any(best_rest[0] <= limit):
        return np.zeros((0, n_issues), np.int16), np.zeros((0, k), np.int64), True, 0.0, [], order

    points = np.zeros((1, k), dtype=np.int64)
    options = np.zeros((1, n_issues), dtype=np.int16)
    exact, epsilon = True, 0
    sizes: list[int] = []
    for step, j in enumerate(order):
        add, add_opts, cols = vsums[j], gopts[j], list(groups[j].issues)
        if len(points) * len(add) > max_points:
            if not approximate:
                raise FrontierTooLargeError(len(points) * len(add), max_points)
            delta = MARGIN * 1024
            thinned = _thin(points, delta)
            while len(thinned) * len(add) > max_points and delta < SCALE:
                delta *= 2
                thinned = _thin(points, delta)
            points, options = points[thinned], options[thinned]
            exact, epsilon = False, epsilon + delta
        n, m = len(points), len(add)
        cand = (points[:, None, :] + add[None, :, :]).reshape(n * m, k)
        rows = np.repeat(np.arange(n), m)
        adds = np.tile(np.arange(m), n)
        if prune:
            alive = np.all(cand + best_rest[step + 1] > limit, axis=1)
            cand, rows, adds = cand[alive], rows[alive], adds[alive]
            if len(cand) == 0:
                return np.zeros((0, n_issues), np.int16), cand, True, 0.0, sizes, order
        kept = _nondominated(cand, MARGIN)
        points = cand[kept]
        options = options[rows[kept]]
        options[:, cols] = add_opts[adds[kept]]
        sizes.append(len(points))
    eps = 0.0 if exact else epsilon / SCALE + 10.0**-DECIMALS
    return options, points, exact, eps, sizes, order


def _final(
    qtables: list[NDArray[np.int64]],
    options: NDArray[np.int16],
    veto: NDArray[np.intp],
    thresholds: list[int | None],
) -> tuple[NDArray[np.int16], NDArray[np.int64]]:
    """Exact filter of merged candidates: all actors' sums, batnas, Pareto, package order."""
    sums = np.zeros((qtables[0].shape[0], len(options)), dtype=np.int64)
    for i, table in enumerate(qtables):
        sums += table[:, options[:, i]]
    ok = np.ones(len(options), dtype=bool)
    for row, t in zip(veto, thresholds, strict=True):
        if t is not None:
            ok &= sums[row] > t
    options, sums = options[ok], sums[:, ok]
    keep = pareto_filter(utility_of(sums[veto]).T)
    options, sums = options[keep], sums[:, keep]
    by_package = _package_order(options)
    return options[by_package], sums[:, by_package]


def merge_frontier(
    problem: Problem,
    *,
    batna: bool | Collection[str] = True,
    ratify: bool | Collection[str] = True,
    red_lines: bool | Collection[str] | None = None,
    order: list[int] | None = None,
    max_points: int = MAX_POINTS,
    approximate: bool = False,
) -> Frontier:
    """Pareto frontier of a scenario's (ratified) ZOPA over its veto actors, by merging issues.

    Parameters
    ----------
    problem : Problem
        The compiled scenario, a batch of one.
    batna : bool or collection of str, default True
        Keep only packages every veto actor strictly prefers to its batna
        (or only those the named veto actors do).
    red_lines : bool or collection of str, optional
        Keep only packages that cross no red line of the veto actors (or of
        the named ones); default: of the veto actors whose batna applies.
    ratify : bool or collection of str, default True
        Keep only packages every public and legislature passes, by the route
        each package takes there (or those the named bodies pass).
    order : list of int, optional
        Merge order, as indices into :func:`groups_of`'s groups (issues not
        mentioned by any rule, in scenario order, then the compound group of
        the mentioned issues). Any order gives the same frontier.
    max_points : int, default MAX_POINTS
        Memory budget: most candidate points one merge step may hold.
    approximate : bool, default False
        When the budget is exceeded, return an ε-Pareto set instead of raising.

    Returns
    -------
    Frontier

    Raises
    ------
    FrontierTooLargeError
        When the exact frontier exceeds the budget and ``approximate`` is false.
    ValueError
        When the rules mention more than :data:`MAX_RULE_COMBOS` combinations.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.problem import compile_problem
    >>> from offramp.scenario import load_scenario
    >>> path = Path(__file__).parents[3] / "scenarios" / "textbook-two-party.yaml"
    >>> f = merge_frontier(compile_problem(load_scenario(path)))
    >>> f.exact, f.options.shape[0], f.utility.shape[0]
    (True, 2, 2)
    """
    tables = quantize(problem.tables_of(0))
    veto = problem.veto_index
    thresholds: list[int | None] = [
        threshold_of(float(problem.batna[0, a]))
        if (batna is True or (batna is not False and problem.actor_ids[a] in batna))
        else None
        for a in veto
    ]
    chosen = [
        q
        for q, body in enumerate(problem.body_ids)
        if ratify is True or (ratify is not False and body in ratify)
    ]
    # red lines (settle/redlines.py) rule options out of the space before merging: the
    # packages crossing none of the chosen veto actors' lines are exactly a product
    if red_lines is None:
        lined = [v for v, t in zip(veto, thresholds, strict=True) if t is not None]
    else:
        lined = [
            a
            for a in veto
            if red_lines is True or (red_lines is not False and problem.actor_ids[a] in red_lines)
        ]
    keep = [~m[0][lined].any(axis=0) if lined else np.ones(m.shape[2], bool) for m in problem.never]
    mentioned, allowed = ratified_combos(problem, chosen)
    empty = np.zeros((0, len(tables)), np.int16)
    nothing = Frontier(empty, np.zeros((len(problem.actor_ids), 0), np.int64), True, 0.0, (), ())
    if (allowed is not None and not allowed.any()) or not all(k.any() for k in keep):
        return nothing
    groups = groups_of(tables, mentioned, allowed if mentioned else None, keep)
    if any(len(g.options) == 0 for g in groups):
        return nothing
    options, _, exact, eps, sizes, used = _merge_engine(
        groups,
        len(tables),
        veto,
        thresholds,
        order=order,
        max_points=max_points,
        approximate=approximate,
    )
    options, sums = _final(tables, options, veto, thresholds)
    return Frontier(options, sums, exact, eps, tuple(sizes), tuple(groups[j].issues for j in used))


def ratified_combos(
    problem: Problem, bodies: list[int] | None = None
) -> tuple[tuple[int, ...], NDArray[np.bool_] | None]:
    """The issues the bodies' rules and routes mention, and which of their combinations all pass.

    Parameters
    ----------
    problem : Problem
        A batch of one.
    bodies : list of int, optional
        Which publics and legislatures (indices into ``problem.bodies``); all when omitted.

    Returns
    -------
    mentioned : tuple of int
        Scenario indices of the issues any of those bodies' rules or routes mention.
    allowed : ndarray of bool, shape (prod of their option counts,), or None
        Row-major over the mentioned issues' options: whether every chosen
        body passes (or does not vote on) packages with those options, by
        the route they take there; None when there are no bodies. With no
        mentioned issues it has one entry (all packages ratified or none).

    Raises
    ------
    ValueError
        When the mentioned issues have more than :data:`MAX_RULE_COMBOS` combinations.
    """
    chosen = list(range(len(problem.bodies))) if bodies is None else bodies
    if not chosen:
        return (), None
    mentioned = tuple(sorted({i for q in chosen for i in problem.bodies[q].issues}))
    sizes = [problem.space.sizes[i] for i in mentioned]
    total = prod(sizes)
    if total > MAX_RULE_COMBOS:
        raise ValueError(
            f"the publics' and legislatures' rules and routes mention issues with {total:,} "
            f"combinations of options; the merge handles at most {MAX_RULE_COMBOS:,}: split "
            "or simplify them"
        )
    grid = np.stack(np.unravel_index(np.arange(total), sizes), axis=1) if sizes else None
    full = np.zeros((max(1, total), len(problem.space.sizes)), dtype=np.intp)
    if grid is not None:
        full[:, list(mentioned)] = grid
    rejects = problem.body_rejects(full)[0]  # (P + L, total)
    allowed: NDArray[np.bool_] = ~rejects[chosen].any(axis=0)
    return mentioned, allowed
