"""Counting packages above the batnas without enumerating them (meet in the middle).

How many packages does every veto actor strictly prefer to its batna (the
ZOPA)? With additive utilities a package's utility vector is the sum of two
halves, the issues of side A and those of side B, so the question becomes a
dominance count between two point sets::

    #{(a, b) : s_A(a)_v + s_B(b)_v > t_v for every veto actor v}
        = sum over a of #{b : s_B(b)_v >= t_v - s_A(a)_v + 1 for every v}

(sums in the exact integer units of :mod:`offramp.settle.merge`, ``t_v`` the largest
sum whose rounded utility is not above the batna, so the count is exactly
enumeration's). Each side has about the square root of the space's size, so
10^12 packages are two sets of about 10^6 (Horowitz & Sahni 1974, *Computing
partitions with applications to the knapsack problem*, J. ACM 21(2),
277-292, https://doi.org/10.1145/321812.321823).

* One condition: sort side B, binary search every a. Exact.
* Two conditions: offline two-dimensional dominance counting. Side B sorted
  by the first coordinate, with a merge-sort tree on the second (one sorted
  level per block size 2^L); every a counts its prefix in O(log^2) binary
  searches, vectorized level by level (Bentley 1980, *Multidimensional
  divide-and-conquer*, Commun. ACM 23(4), 214-229,
  https://doi.org/10.1145/358841.358850). Exact.
* Three or more conditions (three or more veto actors): counted per a from
  the exact one- and two-condition counts by Fréchet-type bounds, an upper
  bound ``min over pairs`` and a lower bound ``max over pivots p of
  sum_{i != p} #(p and i) - (m - 2) #p``. The totals are then reported as
  bounds (``lower``, ``upper``), never as a count; they coincide when exact.

Publics and legislatures: ratification depends only on the options of the
issues their rules and routes mention (the route a package takes too,
:mod:`offramp.problem.bodies`); those issues are put on side A, so each a knows which bodies
reject it and the counts restricted to ratified packages are sums over the
ratified a.

Red lines (:mod:`offramp.settle.redlines`): a veto actor refuses a package
that crosses its red line whatever its utility, so on each side a partial
package that crosses it gets the sum ``-2**62`` for that actor (no
completion can reach the batna, and two such sums still fit in int64);
every count then counts "accepts" as "utility above the batna and no red
line crossed", exactly as enumeration does.

Counts of blocked packages follow by inclusion-exclusion from the counts of
accepted ones: a veto actor ``v`` blocks ``N - #(v accepts)`` packages, and
blocks alone ``#(ratified, all others accept) - #(ratified, all accept)``;
a public blocks (rejected combinations) × (packages per combination).

When side A would exceed ``max_queries`` (spaces beyond about 10^14 with the
default sides), nothing is counted and every count is reported as the
trivial bounds ``[0, N]`` except the publics' (exact by multiplication).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import isqrt, prod

import numpy as np
from numpy.typing import NDArray

from offramp.problem import Problem
from offramp.settle.merge import quantize, threshold_of

__all__ = ["MAX_QUERIES", "MAX_SIDE", "Count", "Counts", "count_packages"]

_CROSSED = -(1 << 62)
"""A side's sum for an actor whose red line it crosses: below any reachable batna."""

MAX_SIDE = 1 << 20
"""Most packages of the indexed side B (its trees take about 21 × 8 bytes each)."""

MAX_QUERIES = 1 << 25
"""Most packages of the streamed side A; beyond it counts are reported as trivial bounds."""

_CHUNK = 1 << 18


@dataclass(frozen=True)
class Count:
    """A number of packages, exact when ``lower == upper``.

    Examples
    --------
    >>> Count(3, 3).exact, Count(2, 5).exact
    (True, False)
    """

    lower: int
    upper: int

    @property
    def exact(self) -> bool:
        """Whether the count is known exactly."""
        return self.lower == self.upper


@dataclass(frozen=True)
class Counts:
    """Package counts of a settlement analysis.

    ``blocked`` and ``sole`` are in blocker order: the veto actors (scenario
    order), then the publics.
    """

    zopa: Count
    ratified: Count
    blocked: tuple[Count, ...]
    sole: tuple[Count, ...]


_Tree = tuple[NDArray[np.int64], NDArray[np.int64], list[NDArray[np.int64]]]


def _tree(first: NDArray[np.int64], second: NDArray[np.int64]) -> _Tree:
    """Merge-sort tree of points: sorted by ``first`` (descending), levels sorted by ``second``."""
    n = len(first)
    order = np.argsort(-first, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(second, kind="stable")] = np.arange(n)
    seq = rank[order]
    position = np.arange(n, dtype=np.int64)
    levels = []
    level = 0
    while (1 << level) <= n:
        levels.append(np.sort((position >> level) * n + seq))
        level += 1
    return np.sort(first), np.sort(second), levels


def _count2(tree: _Tree, q0: NDArray[np.int64], q1: NDArray[np.int64]) -> NDArray[np.int64]:
    """For each query, the number of points with ``first >= q0`` and ``second >= q1``."""
    first, second, levels = tree
    n = len(first)
    prefix = n - np.searchsorted(first, q0, side="left")
    rank = np.searchsorted(second, q1, side="left")
    out = np.zeros(len(q0), dtype=np.int64)
    for level, keys in enumerate(levels):
        has = ((prefix >> level) & 1) == 1
        if not has.any():
            continue
        block = (prefix[has] >> (level + 1)) << 1
        end = (block << level) + (1 << level)
        out[has] += end - np.searchsorted(keys, block * n + rank[has], side="left")
    return out


def _bounds(
    subset: tuple[int, ...],
    single: dict[int, NDArray[np.int64]],
    pair: dict[tuple[int, int], NDArray[np.int64]],
    n_b: int,
    m: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per-query lower and upper bounds of #{b : every condition in ``subset`` holds}."""
    if not subset:
        full = np.full(m, n_b, dtype=np.int64)
        return full, full
    if len(subset) == 1:
        return single[subset[0]], single[subset[0]]
    if len(subset) == 2:
        return pair[subset], pair[subset]
    upper = np.min([pair[p] for p in combinations(subset, 2)], axis=0)
    lower = np.zeros(m, dtype=np.int64)
    for pivot in subset:
        rest = [pair[tuple(sorted((pivot, i)))] for i in subset if i != pivot]  # type: ignore[index]
        lower = np.maximum(lower, np.sum(rest, axis=0) - (len(subset) - 2) * single[pivot])
    return lower, upper


def count_packages(
    problem: Problem, *, max_side: int = MAX_SIDE, max_queries: int = MAX_QUERIES
) -> Counts:
    """Count the ZOPA, the ratified ZOPA and the blocked packages without enumerating them.

    Parameters
    ----------
    problem : Problem
        The compiled scenario, a batch of one.
    max_side : int, default MAX_SIDE
        Most packages on the indexed side (memory: about 170 bytes each per
        pair of veto actors).
    max_queries : int, default MAX_QUERIES
        Most packages on the streamed side (time).

    Returns
    -------
    Counts
        Exact for one or two veto actors; bounds for three or more, except
        the per-actor ``blocked`` counts and the publics' (always exact).

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.problem import compile_problem
    >>> from offramp.scenario import load_scenario
    >>> path = Path(__file__).parents[3] / "scenarios" / "textbook-two-party.yaml"
    >>> c = count_packages(compile_problem(load_scenario(path)))
    >>> c.zopa, c.ratified
    (Count(lower=5, upper=5), Count(lower=4, upper=4))
    """
    qtables = quantize(problem.tables_of(0))
    sizes = [t.shape[1] for t in qtables]
    total = prod(sizes)
    veto = problem.veto_index.tolist()
    k = len(veto)
    thresholds = np.array([threshold_of(float(problem.batna[0, a])) for a in veto])
    masks = [m[0][veto] for m in problem.never]  # red lines (settle/redlines.py)
    lines = any(m.any() for m in masks)
    n_pub = len(problem.bodies)  # publics, then legislatures
    mentioned = sorted({i for body in problem.bodies for i in body.issues})

    # side B: issues not mentioned by any rule, largest first, up to about sqrt(total)
    target = min(max_side, isqrt(total) + 1)
    side_b: list[int] = []
    n_b = 1
    for i in sorted((i for i in range(len(sizes)) if i not in mentioned), key=lambda i: -sizes[i]):
        if n_b * sizes[i] <= target:
            side_b.append(i)
            n_b *= sizes[i]
    side_a = mentioned + [i for i in range(len(sizes)) if i not in mentioned and i not in side_b]
    n_a = prod(sizes[i] for i in side_a)

    if n_a > max_queries:
        unknown = Count(0, total)
        by_public = []
        for q, body in enumerate(problem.bodies):
            grid = np.zeros((len(body.reject), len(sizes)), dtype=np.intp)
            if body.issues:
                cells = np.unravel_index(np.arange(len(body.reject)), body.sizes)
                grid[:, list(body.issues)] = np.stack(cells, axis=1)
            rejected = int(np.count_nonzero(problem.body_rejects(grid)[0, q]))
            n = rejected * (total // len(body.reject))
            by_public.append(Count(n, n))
        blocked = tuple([unknown] * k) + tuple(by_public)
        return Counts(unknown, unknown, blocked, tuple([unknown] * (k + n_pub)))

    def sums_of(
        issues: list[int], index: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.intp]]:
        if not issues:
            empty = np.zeros((len(index), 0), dtype=np.intp)
            return np.zeros((len(veto), len(index)), dtype=np.int64), empty
        options = np.unravel_index(index, [sizes[i] for i in issues])
        out = np.zeros((len(veto), len(index)), dtype=np.int64)
        for column, i in enumerate(issues):
            out += qtables[i][veto][:, options[column]]
        if lines:
            ruled = np.zeros(out.shape, dtype=bool)
            for column, i in enumerate(issues):
                ruled |= masks[i][:, options[column]]
            out[ruled] = _CROSSED
        return out, np.stack(options, axis=1)

    b_sums, _ = sums_of(side_b, np.arange(n_b, dtype=np.int64))
    sorted_b = [np.sort(b_sums[v]) for v in range(k)]
    trees = {(u, v): _tree(b_sums[u], b_sums[v]) for u, v in combinations(range(k), 2)}
    del b_sums

    everyone = tuple(range(k))
    acc_single = [0] * k
    zopa = [0, 0]
    ratified = [0, 0]
    public_rejects = [0] * n_pub
    sole_lo = [0] * (k + n_pub)
    sole_hi = [0] * (k + n_pub)
    for a0 in range(0, n_a, _CHUNK):
        index = np.arange(a0, min(n_a, a0 + _CHUNK), dtype=np.int64)
        m = len(index)
        a_sums, a_options = sums_of(side_a, index)
        need = thresholds[:, None] - a_sums + 1  # b's sum must reach this, per veto actor
        single = {v: n_b - np.searchsorted(sorted_b[v], need[v], side="left") for v in range(k)}
        pair = {(u, v): _count2(tree, need[u], need[v]) for (u, v), tree in trees.items()}
        if n_pub:
            full = np.zeros((m, len(sizes)), dtype=np.intp)
            full[:, side_a] = a_options
            rejects = problem.body_rejects(full)[0]
        else:
            rejects = np.zeros((0, m), dtype=bool)
        n_rejecting = rejects.sum(axis=0)
        ok = n_rejecting == 0
        all_lo, all_hi = _bounds(everyone, single, pair, n_b, m)
        for v in range(k):
            acc_single[v] += int(single[v].sum())
            others = tuple(u for u in everyone if u != v)
            lo, hi = _bounds(others, single, pair, n_b, m)
            sole_lo[v] += int(np.maximum(0, lo - all_hi)[ok].sum())
            sole_hi[v] += int((hi - all_lo)[ok].sum())
        zopa[0] += int(all_lo.sum())
        zopa[1] += int(all_hi.sum())
        ratified[0] += int(all_lo[ok].sum())
        ratified[1] += int(all_hi[ok].sum())
        for p in range(n_pub):
            public_rejects[p] += int(rejects[p].sum())
            alone = rejects[p] & (n_rejecting == 1)
            sole_lo[k + p] += int(all_lo[alone].sum())
            sole_hi[k + p] += int(all_hi[alone].sum())

    blocked = tuple(Count(total - s, total - s) for s in acc_single) + tuple(
        Count(r * n_b, r * n_b) for r in public_rejects
    )
    sole = tuple(Count(lo, hi) for lo, hi in zip(sole_lo, sole_hi, strict=True))
    return Counts(Count(*zopa), Count(*ratified), blocked, sole)
