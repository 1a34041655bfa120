"""Settlement-space analysis of a scenario: ZOPA, ratification, frontier, solutions, blockers.

``analyze`` enumerates every package in blocks (so memory stays bounded),
computes each actor's utility (:mod:`offramp.settle.space`), keeps the packages every
veto actor strictly prefers to its batna (the zone of possible agreement,
ZOPA) and those every public also ratifies (:mod:`offramp.scenario.rules`), finds the
Pareto frontier of that ratified ZOPA over the veto actors' utilities and the
bargaining solutions on it (:mod:`offramp.settle.solutions`), counts who blocks the
rest, and says in words what that means.

Large spaces are analyzed without enumeration (``method="merge"``,
chosen automatically above :data:`ENUMERATION_MAX` packages): the frontier
by merging issues (:mod:`offramp.settle.merge`), the counts by meeting in the
middle (:mod:`offramp.settle.count`). Both methods give identical results where
both run; with three or more veto actors the merge reports some counts as
bounds (``zopa_bounds``, ``ratified_bounds``, ``Blocker.sole_bounds``), and
a frontier over the memory budget as an ε-Pareto approximation
(``frontier_exact``, ``epsilon``).

The result is plain data (:class:`Analysis`); the CLI, the report and the web
app only present it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from math import prod
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from offramp._version import __version__
from offramp.errors import SpaceTooLargeError
from offramp.problem import Problem, Space
from offramp.settle.count import Count, count_packages
from offramp.settle.explain import Tally, explain, explain_empty, merged
from offramp.settle.merge import MAX_POINTS
from offramp.settle.redlines import crossed
from offramp.settle.routes import stages
from offramp.settle.solutions import SOLUTIONS, pareto_filter, solve
from offramp.settle.space import iter_blocks

__all__ = [
    "ENUMERATION_MAX",
    "MAX_PACKAGES",
    "METHODS",
    "Analysis",
    "Blocker",
    "FrontierPoint",
    "analyze_space",
    "ratification_of",
]

MAX_PACKAGES = 20_000_000
"""Largest space ``analyze`` enumerates; larger ones are refused by ``method="enumeration"``."""

ENUMERATION_MAX = 1 << 20
"""Largest space ``method="auto"`` enumerates; larger ones are merged.

Enumeration counts every set exactly and takes under a second at this size;
merging is faster still but, with three or more veto actors, may report the
counts as bounds (see :mod:`offramp.settle.count`).
"""

METHODS = ("auto", "enumeration", "merge")
"""Values of ``analyze``'s ``method``."""


@dataclass(frozen=True)
class FrontierPoint:
    """A package with every actor's utility for it."""

    index: int
    package: dict[str, str]
    utility: dict[str, float]


@dataclass(frozen=True)
class Blocker:
    """A veto actor, public or legislature and how many packages it blocks.

    ``packages`` counts the packages it blocks (an actor: utility not above
    its batna, or a red line crossed; a public or legislature: its vote, by
    the route the package takes there, fails); ``sole`` those that it alone
    blocks. A non-veto actor with red lines is listed too (kind
    ``red_line``): ``packages`` counts the packages crossing its red lines,
    which count against its support but block nothing (``sole`` is 0).
    """

    who: str
    kind: Literal["actor", "public", "legislature", "red_line"]
    label: str
    packages: int
    sole: int
    sole_bounds: tuple[int, int] | None = None
    """``(lower, upper)`` when ``sole`` is not known exactly (``sole`` is then the lower)."""


@dataclass(frozen=True)
class Analysis:
    """Everything the settlement-space analysis found. See the README for each key."""

    scenario: str
    scenario_hash: str
    method: str
    packages: int
    issues: tuple[str, ...]
    veto: tuple[str, ...]
    batna: dict[str, float]
    zopa_count: int
    ratified_count: int
    frontier: tuple[FrontierPoint, ...]
    solutions: dict[str, FrontierPoint | None]
    blockers: tuple[Blocker, ...]
    verdict: str
    reasons: tuple[str, ...] = field(default=())
    offramp_version: str = __version__
    zopa_bounds: tuple[int, int] | None = None
    """``(lower, upper)`` when ``zopa_count`` is not known exactly (it is then the lower)."""
    ratified_bounds: tuple[int, int] | None = None
    """``(lower, upper)`` when ``ratified_count`` is not known exactly (it is then the lower)."""
    frontier_exact: bool = True
    """False when the frontier exceeded the memory budget and is an ε-Pareto approximation."""
    epsilon: float = 0.0
    """The approximation's guaranteed additive ε (0.0 when exact)."""
    durability: dict[str, dict[str, Any] | None] | None = None
    """For scenarios with ``dynamics``: each solution's durability (:mod:`offramp.durability`)."""
    forecasts: dict[str, dict[str, Any]] | None = None
    """Each forecast model's per-issue forecast and package (:mod:`offramp.forecast.scenario`)."""
    ratification: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    """Per solution: its votes (body, route, rejection, threshold, verdict; in order) and
    its likely path (``body:route`` of each vote in order), :func:`ratification_of`."""

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (``result.json``)."""

        def point(p: FrontierPoint | None) -> dict[str, Any] | None:
            return None if p is None else {"package": p.package, "utility": p.utility}

        def count(n: int, bounds: tuple[int, int] | None) -> dict[str, Any]:
            if bounds is None:
                return {"count": n, "exact": True}
            return {"count": n, "exact": False, "lower": bounds[0], "upper": bounds[1]}

        def sole(b: Blocker) -> dict[str, Any]:
            if b.sole_bounds is None:
                return {"sole_exact": True}
            return {
                "sole_exact": False,
                "sole_lower": b.sole_bounds[0],
                "sole_upper": b.sole_bounds[1],
            }

        extra: dict[str, Any] = {} if self.durability is None else {"durability": self.durability}
        if self.forecasts is not None:
            extra["forecasts"] = self.forecasts
        return {
            "scenario": self.scenario,
            "scenario_hash": self.scenario_hash,
            "offramp_version": self.offramp_version,
            "method": self.method,
            "space": {"packages": self.packages, "issues": len(self.issues)},
            "zopa": count(self.zopa_count, self.zopa_bounds),
            "ratified": count(self.ratified_count, self.ratified_bounds),
            "frontier": [point(p) for p in self.frontier],
            "frontier_size": len(self.frontier),
            "frontier_exact": self.frontier_exact,
            "epsilon": self.epsilon,
            "solutions": {name: point(p) for name, p in self.solutions.items()},
            "blockers": [
                {
                    "who": b.who,
                    "kind": b.kind,
                    "label": b.label,
                    "packages": b.packages,
                    "sole": b.sole,
                    **sole(b),
                }
                for b in self.blockers
            ],
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "ratification": self.ratification,
        } | extra


def _frontier(
    index: NDArray[np.int64], utility: NDArray[np.float64], veto: NDArray[np.intp]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    keep = pareto_filter(utility[veto].T)
    return index[keep], utility[:, keep]


def _veto_batna(problem: Problem) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Positions of the veto actors among the actors, and their batnas (0.0 when unset)."""
    veto = problem.veto_index
    return veto, problem.batna[0, veto].astype(np.float64)


def _crosses(
    problem: Problem, veto: NDArray[np.intp], index: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """Whether each package crosses each veto actor's red line, shape (n_veto, m)."""
    masks = [m[0][veto] for m in problem.never]
    if not any(m.any() for m in masks):
        return np.zeros((len(veto), len(index)), dtype=bool)
    return crossed(masks, problem.space.options_of(index))


_Masks = NDArray[np.bool_]


def _blocking(
    problem: Problem, block_size: int
) -> Iterator[tuple[NDArray[np.int64], NDArray[np.float64], _Masks, _Masks, _Masks]]:
    """Every package's utilities and who blocks it, in blocks of consecutive packages.

    The status rules of the analysis, in one place (the report's package
    cloud, :mod:`offramp.report.cloud`, uses them too).

    Yields
    ------
    index : ndarray of int64, shape (m,)
        The block's package indices.
    utility : ndarray of float64, shape (n_actors, m)
    refuses : ndarray of bool, shape (n_veto, m)
        Whether each veto actor refuses it: utility not above its batna, or a
        red line crossed (:mod:`offramp.settle.redlines`).
    rejects : ndarray of bool, shape (n_publics + n_legislatures, m)
        Whether each public, then each legislature, rejects it, by the route
        it takes there (:meth:`offramp.problem.Problem.body_rejects`; False
        where the body does not vote on it).
    crosses : ndarray of bool, shape (n_veto, m)
        Whether it crosses each veto actor's red line (part of ``refuses``).
    """
    veto, batna = _veto_batna(problem)
    for start, utility in iter_blocks(problem.tables_of(0), block_size):
        m = utility.shape[-1]
        index = np.arange(start, start + m, dtype=np.int64)
        crosses = _crosses(problem, veto, index)
        refuses = (utility[veto] <= batna[:, None]) | crosses
        if problem.bodies:
            rejects = problem.body_rejects(problem.space.options_of(index))[0]
        else:
            rejects = np.zeros((0, m), dtype=bool)
        yield index, utility, refuses, rejects, crosses


def analyze_space(problem: Problem, *, block_size: int = 1 << 18, method: str = "auto") -> Analysis:
    """Analyze a compiled scenario's settlement space, by enumeration or by merging issues.

    The result's ``forecasts`` and ``durability`` are left empty: the whole
    analysis, with those, is :func:`offramp.assess.analyze`.

    Parameters
    ----------
    problem : Problem
        The compiled scenario (:func:`offramp.problem.compile_problem`), a batch of one.
    block_size : int, default 262144
        Packages per block of enumeration; bounds memory, does not change results.
    method : {"auto", "enumeration", "merge"}, default "auto"
        ``"auto"`` enumerates spaces of at most :data:`ENUMERATION_MAX`
        packages and merges larger ones (:mod:`offramp.settle.merge`); the result's
        ``method`` says which ran. Both give identical results.

    Returns
    -------
    Analysis

    Raises
    ------
    SpaceTooLargeError
        If enumeration is asked for a space of more than :data:`MAX_PACKAGES` packages.
    ValueError
        If ``method`` is not one of :data:`METHODS`.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.problem import compile_problem
    >>> from offramp.scenario import load_scenario
    >>> path = Path(__file__).parents[3] / "scenarios" / "textbook-two-party.yaml"
    >>> a = analyze_space(compile_problem(load_scenario(path)))
    >>> a.zopa_count, a.ratified_count, a.solutions["nash"].package
    (5, 4, {'border': 'split', 'prisoners': 'all_for_all', 'sanctions': 'lifted'})
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    space = problem.space
    if method == "merge" or (method == "auto" and space.size > ENUMERATION_MAX):
        return _analyze_by_merging(problem, space)
    if space.size > MAX_PACKAGES:
        raise SpaceTooLargeError(
            f"the scenario has {space.size:,} packages; exact enumeration handles at most "
            f"{MAX_PACKAGES:,}: use method='merge' (the default for large spaces)"
        )
    veto, batna = _veto_batna(problem)
    tally = Tally(len(veto), len(veto) + len(problem.bodies))

    for index, utility, refuses, rejects, _ in _blocking(problem, block_size):
        blocks = np.concatenate([refuses, rejects])
        n_blocking = blocks.sum(axis=0)
        tally.blocked += blocks.sum(axis=1)
        tally.sole += (blocks & (n_blocking == 1)).sum(axis=1)
        in_zopa = ~refuses.any(axis=0)
        ratified = in_zopa & ~rejects.any(axis=0)
        tally.zopa += int(in_zopa.sum())
        tally.ratified += int(ratified.sum())
        tally.zopa_rejected += rejects[:, in_zopa].sum(axis=1)
        crosses = _crosses(problem, veto, index)
        for v in range(len(veto)):
            others = n_blocking - refuses[v] == 0
            tally.others_ok[v] += int(others.sum())
            clear = others & ~crosses[v]  # within v's own red lines
            tally.others_clear[v] += int(clear.sum())
            if clear.any():
                tally.best_if_others[v] = max(
                    tally.best_if_others[v], utility[veto[v], clear].max()
                )
        if ratified.any():
            front = _frontier(index[ratified], utility[:, ratified], veto)
            tally.front_index.append(front[0])
            tally.front_utility.append(front[1])

    if tally.front_index:
        front_index, front_utility = _frontier(
            np.concatenate(tally.front_index), np.concatenate(tally.front_utility, axis=1), veto
        )
    else:
        front_index, front_utility = (
            np.empty(0, dtype=np.int64),
            np.empty((len(problem.actor_ids), 0)),
        )
    order = np.argsort(front_index)
    front_index, front_utility = front_index[order], front_utility[:, order]
    actor_ids = list(problem.actor_ids)
    frontier = tuple(
        FrontierPoint(
            int(i),
            space.package(int(i)),
            {a: float(u) for a, u in zip(actor_ids, front_utility[:, k], strict=True)},
        )
        for k, i in enumerate(front_index)
    )
    rows = solve(front_utility[veto].T, batna, front_index)
    solutions = {
        name: (None if (row := rows[name]) is None else frontier[row]) for name in SOLUTIONS
    }

    labels = _blocker_labels(problem)
    blockers = tuple(
        Blocker(who, kind, label, int(tally.blocked[k]), int(tally.sole[k]))  # type: ignore[arg-type]
        for k, (who, kind, label) in enumerate(labels)
    ) + _red_line_blockers(problem)
    verdict, reasons = explain(problem, tally, batna, _nash(solutions))
    return Analysis(
        scenario=problem.id,
        scenario_hash=problem.scenario_hash,
        method="enumeration",
        packages=space.size,
        issues=space.issue_ids,
        veto=tuple(actor_ids[v] for v in veto),
        batna={actor_ids[v]: float(b) for v, b in zip(veto, batna, strict=True)},
        zopa_count=tally.zopa,
        ratified_count=tally.ratified,
        frontier=frontier,
        solutions=solutions,
        blockers=blockers,
        verdict=verdict,
        reasons=tuple(reasons),
        ratification=ratification_of(problem, solutions),
    )


def _nash(solutions: dict[str, FrontierPoint | None]) -> dict[str, str] | None:
    nash = solutions["nash"]
    return None if nash is None else nash.package


def _blocker_labels(problem: Problem) -> list[tuple[str, str, str]]:
    """``(id, kind, label)`` of the veto actors, the publics, then the legislatures."""
    return [
        (problem.actor_ids[a], "actor", problem.actor_labels[a]) for a in problem.veto_index
    ] + [(b.id, b.kind, b.label) for b in problem.bodies]


def _red_line_blockers(problem: Problem) -> tuple[Blocker, ...]:
    """Non-veto actors with red lines: the packages crossing them (exact: red lines are per option).

    A package crosses none of an actor's lines exactly when every issue's
    option is allowed, so those are a product of the allowed options' counts.
    """
    out = []
    total = problem.space.size
    for a in np.flatnonzero(~problem.veto):
        ruled = [int(m[0, a].sum()) for m in problem.never]
        if not any(ruled):
            continue
        clear = prod(k - r for k, r in zip(problem.space.sizes, ruled, strict=True))
        out.append(
            Blocker(problem.actor_ids[a], "red_line", problem.actor_labels[a], total - clear, 0)
        )
    return tuple(out)


def ratification_of(
    problem: Problem, solutions: dict[str, FrontierPoint | None]
) -> dict[str, dict[str, Any] | None]:
    """Each solution's votes in order and its likely path, at point values.

    The votes are :func:`offramp.settle.routes.stages` (what ``offramp
    evaluate`` shows), so analyze and evaluate agree on them. A solution is
    ratified, so every vote passes and the path is every vote in order; with
    a vote that failed the path would stop there (the first failure decides).

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.problem import compile_problem
    >>> from offramp.scenario import load_scenario
    >>> path = Path(__file__).parents[3] / "scenarios" / "textbook-two-party.yaml"
    >>> a = analyze_space(compile_problem(load_scenario(path)))
    >>> a.ratification["nash"]["path"]
    ['south_parliament:default']
    """
    out: dict[str, dict[str, Any] | None] = {}
    for name, point in solutions.items():
        if point is None:
            out[name] = None
            continue
        votes = stages(problem.scenario, point.package)
        path: list[str] = []
        for vote in votes:
            path.append(f"{vote.body}:{vote.route or 'default'}")
            if not vote.passes:
                break
        out[name] = {
            "votes": [v.to_dict() for v in votes],
            "path": path,
            "ratified": all(v.passes for v in votes),
        }
    return out


def _bounds(count: Count) -> tuple[int, int] | None:
    return None if count.exact else (count.lower, count.upper)


def _analyze_by_merging(problem: Problem, space: Space) -> Analysis:
    """The analysis without enumeration: frontier by merging, counts by meeting in the middle."""
    veto, batna = _veto_batna(problem)
    actor_ids = list(problem.actor_ids)
    front = merged(problem)
    counts = count_packages(problem)
    utility = front.utility
    rows_of = front.options.tolist()
    index = _package_indices(front.options, space.sizes)
    frontier = tuple(
        FrontierPoint(
            i,
            {
                issue: options[o]
                for issue, options, o in zip(space.issue_ids, space.option_ids, row, strict=True)
            },
            dict(zip(actor_ids, u, strict=True)),
        )
        for i, row, u in zip(index, rows_of, utility.T.tolist(), strict=True)
    )
    # frontier rows are in package order, so their positions break ties as indices do
    rows = solve(utility[veto].T, batna, np.arange(len(frontier), dtype=np.int64))
    solutions = {
        name: (None if (row := rows[name]) is None else frontier[row]) for name in SOLUTIONS
    }

    # the frontier's packages are ratified-ZOPA packages: its size is a lower bound,
    # and an exact empty frontier means an empty ratified ZOPA
    zopa, ratified = counts.zopa, counts.ratified
    if front.exact and not frontier:
        ratified = Count(0, 0)
    ratified = Count(max(ratified.lower, len(frontier)), ratified.upper)
    zopa = Count(max(zopa.lower, ratified.lower), zopa.upper)
    tally = Tally(len(veto), len(veto) + len(problem.bodies))
    if not frontier:
        zopa = explain_empty(problem, veto, tally, zopa)
    tally.zopa, tally.ratified = zopa.lower, ratified.lower
    labels = _blocker_labels(problem)
    blockers = tuple(
        Blocker(who, kind, label, b.lower, s.lower, _bounds(s))  # type: ignore[arg-type]
        for (who, kind, label), b, s in zip(labels, counts.blocked, counts.sole, strict=True)
    ) + _red_line_blockers(problem)
    verdict, reasons = explain(
        problem, tally, batna, _nash(solutions), _bounds(zopa), _bounds(ratified)
    )
    if not front.exact:
        reasons.append(
            f"The Pareto frontier exceeded the memory budget ({MAX_POINTS:,} points per merge "
            f"step): the frontier and the solutions shown are an ε-Pareto approximation with "
            f"ε = {front.epsilon:.2g} (every ratified package is within ε, for every veto "
            "actor, of a package of the approximate frontier before the batna filter)."
        )
    return Analysis(
        scenario=problem.id,
        scenario_hash=problem.scenario_hash,
        method="merge",
        packages=space.size,
        issues=space.issue_ids,
        veto=tuple(actor_ids[v] for v in veto),
        batna={actor_ids[v]: float(b) for v, b in zip(veto, batna, strict=True)},
        zopa_count=zopa.lower,
        ratified_count=ratified.lower,
        frontier=frontier,
        solutions=solutions,
        blockers=blockers,
        verdict=verdict,
        reasons=tuple(reasons),
        zopa_bounds=_bounds(zopa),
        ratified_bounds=_bounds(ratified),
        frontier_exact=front.exact,
        epsilon=front.epsilon,
        ratification=ratification_of(problem, solutions),
    )


def _package_indices(options: NDArray[np.int16], sizes: tuple[int, ...]) -> list[int]:
    """Package indices of option rows (first issue most significant), exact beyond int64.

    The issues are cut into runs whose index fits in int64, each run's index
    taken by numpy, and the runs combined with Python integers.

    Examples
    --------
    >>> rows = np.array([[1] * 30, [0] * 29 + [7]], dtype=np.int16)
    >>> _package_indices(rows, (8,) * 30) == [sum(8**k for k in range(30)), 7]
    True
    """
    runs: list[list[int]] = [[]]
    width = 1
    for i, k in enumerate(sizes):
        if width * k >= 1 << 62:
            runs.append([])
            width = 1
        runs[-1].append(i)
        width *= k
    index: list[int] = [0] * len(options)
    for run in runs:
        if not run:
            continue
        part = np.ravel_multi_index(
            tuple(options[:, i].astype(np.intp) for i in run), [sizes[i] for i in run]
        ).tolist()
        width = prod(sizes[i] for i in run)
        index = [a * width + b for a, b in zip(index, part, strict=True)]
    return index
