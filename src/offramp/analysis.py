"""Settlement-space analysis of a scenario: ZOPA, ratification, frontier, solutions, blockers.

``analyze`` enumerates every package in blocks (so memory stays bounded),
computes each actor's utility (:mod:`offramp.space`), keeps the packages every
veto actor strictly prefers to its batna (the zone of possible agreement,
ZOPA) and those every public also ratifies (:mod:`offramp.ratify`), finds the
Pareto frontier of that ratified ZOPA over the veto actors' utilities and the
bargaining solutions on it (:mod:`offramp.bargain`), counts who blocks the
rest, and says in words what that means.

Large spaces are analyzed without enumeration (``method="merge"``,
chosen automatically above :data:`ENUMERATION_MAX` packages): the frontier
by merging issues (:mod:`offramp.merge`), the counts by meeting in the
middle (:mod:`offramp.count`). Both methods give identical results where
both run; with three or more veto actors the merge reports some counts as
bounds (``zopa_bounds``, ``ratified_bounds``, ``Blocker.sole_bounds``), and
a frontier over the memory budget as an ε-Pareto approximation
(``frontier_exact``, ``epsilon``).

The result is plain data (:class:`Analysis`); the CLI, the report and the web
app only present it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from offramp._version import __version__
from offramp.bargain import SOLUTIONS, pareto_filter, solve
from offramp.count import Count, count_packages
from offramp.errors import SpaceTooLargeError
from offramp.merge import MAX_POINTS, FrontierTooLargeError, merge_frontier
from offramp.ratify import compile_rules
from offramp.scenario.load import content_hash
from offramp.scenario.schema import Scenario
from offramp.space import Space, iter_blocks, utility_tables

__all__ = [
    "ENUMERATION_MAX",
    "MAX_PACKAGES",
    "METHODS",
    "Analysis",
    "Blocker",
    "FrontierPoint",
    "analyze",
]

MAX_PACKAGES = 20_000_000
"""Largest space ``analyze`` enumerates; larger ones are refused by ``method="enumeration"``."""

ENUMERATION_MAX = 1 << 20
"""Largest space ``method="auto"`` enumerates; larger ones are merged.

Enumeration counts every set exactly and takes under a second at this size;
merging is faster still but, with three or more veto actors, may report the
counts as bounds (see :mod:`offramp.count`).
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
    """A veto actor or public and how many packages it blocks.

    ``packages`` counts the packages it blocks (an actor: utility not above
    its batna; a public: predicted rejection not below its threshold);
    ``sole`` those that it alone blocks.
    """

    who: str
    kind: Literal["actor", "public"]
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
        } | extra


@dataclass
class _Tally:
    """Running totals over blocks of packages."""

    n_veto: int
    n_blockers: int
    zopa: int = 0
    ratified: int = 0
    blocked: NDArray[np.int64] = field(init=False)
    sole: NDArray[np.int64] = field(init=False)
    zopa_rejected: NDArray[np.int64] = field(init=False)
    # best utility of each veto actor among packages every other party accepts
    best_if_others: NDArray[np.float64] = field(init=False)
    others_ok: NDArray[np.int64] = field(init=False)
    front_index: list[NDArray[np.int64]] = field(default_factory=list)
    front_utility: list[NDArray[np.float64]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.blocked = np.zeros(self.n_blockers, dtype=np.int64)
        self.sole = np.zeros(self.n_blockers, dtype=np.int64)
        self.zopa_rejected = np.zeros(self.n_blockers - self.n_veto, dtype=np.int64)
        self.best_if_others = np.full(self.n_veto, -np.inf)
        self.others_ok = np.zeros(self.n_veto, dtype=np.int64)


def _frontier(
    index: NDArray[np.int64], utility: NDArray[np.float64], veto: NDArray[np.intp]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    keep = pareto_filter(utility[veto].T)
    return index[keep], utility[:, keep]


def _veto_batna(scenario: Scenario) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Positions of the veto actors among the actors, and their batnas (0.0 when unset)."""
    veto = np.array([a for a, actor in enumerate(scenario.actors) if actor.veto], dtype=np.intp)
    return veto, np.array([scenario.actors[a].batna or 0.0 for a in veto], dtype=np.float64)


def _blocking(
    scenario: Scenario, space: Space, block_size: int
) -> Iterator[tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_]]]:
    """Every package's utilities and who blocks it, in blocks of consecutive packages.

    The status rules of the analysis, in one place (the report's package
    cloud, :mod:`offramp.report.cloud`, uses them too).

    Yields
    ------
    index : ndarray of int64, shape (m,)
        The block's package indices.
    utility : ndarray of float64, shape (n_actors, m)
    refuses : ndarray of bool, shape (n_veto, m)
        Whether each veto actor's utility is not above its batna.
    rejects : ndarray of bool, shape (n_publics, m)
        Whether each public's predicted rejection is not below its threshold.
    """
    veto, batna = _veto_batna(scenario)
    publics = [(compile_rules(p, scenario.issues)[0], p.threshold) for p in scenario.publics]
    for start, utility in iter_blocks(utility_tables(scenario), block_size):
        m = utility.shape[-1]
        index = np.arange(start, start + m, dtype=np.int64)
        refuses = utility[veto] <= batna[:, None]
        if publics:
            options = space.options_of(index)
            rejects = np.stack([table.lookup(options) >= t for table, t in publics])
        else:
            rejects = np.zeros((0, m), dtype=bool)
        yield index, utility, refuses, rejects


def analyze(
    scenario: Scenario,
    *,
    block_size: int = 1 << 18,
    method: str = "auto",
    forecasts: bool = True,
    durability: bool = True,
) -> Analysis:
    """Analyze a scenario's settlement space, by enumeration or by merging issues.

    Besides the settlement space itself, the result reports every forecast
    model's forecast per issue (:func:`offramp.forecast.scenario.forecasts`)
    and, for scenarios with ``dynamics``, whether each solution would hold
    (:func:`offramp.durability.durability`); both can be switched off when only
    the settlement space is wanted (the web workbench does, for speed).

    Parameters
    ----------
    scenario : Scenario
    block_size : int, default 262144
        Packages per block of enumeration; bounds memory, does not change results.
    method : {"auto", "enumeration", "merge"}, default "auto"
        ``"auto"`` enumerates spaces of at most :data:`ENUMERATION_MAX`
        packages and merges larger ones (:mod:`offramp.merge`); the result's
        ``method`` says which ran. Both give identical results.
    forecasts : bool, default True
        Also run the forecast models on the scenario.
    durability : bool, default True
        Also assess the durability of every solution (scenarios with ``dynamics``).

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
    >>> from offramp.scenario import load_scenario
    >>> path = Path(__file__).parents[2] / "scenarios" / "textbook-two-party.yaml"
    >>> a = analyze(load_scenario(path))
    >>> a.zopa_count, a.ratified_count, a.solutions["nash"].package
    (5, 4, {'border': 'split', 'prisoners': 'all_for_all', 'sanctions': 'lifted'})
    """
    result = _analyze_space(scenario, block_size=block_size, method=method)
    if durability and scenario.dynamics is not None:
        from offramp.durability import durability as durability_of

        result = replace(
            result,
            durability={
                name: None if point is None else durability_of(scenario, point.package).to_dict()
                for name, point in result.solutions.items()
            },
        )
    if forecasts:
        from offramp.forecast.scenario import forecasts as forecasts_of

        result = replace(result, forecasts=forecasts_of(scenario))
    return result


def _analyze_space(scenario: Scenario, *, block_size: int, method: str) -> Analysis:
    """The settlement-space analysis proper (see :func:`analyze`)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    space = Space.of(scenario)
    if method == "merge" or (method == "auto" and space.size > ENUMERATION_MAX):
        return _analyze_by_merging(scenario, space)
    if space.size > MAX_PACKAGES:
        raise SpaceTooLargeError(
            f"the scenario has {space.size:,} packages; exact enumeration handles at most "
            f"{MAX_PACKAGES:,}: use method='merge' (the default for large spaces)"
        )
    veto, batna = _veto_batna(scenario)
    tally = _Tally(len(veto), len(veto) + len(scenario.publics))

    for index, utility, refuses, rejects in _blocking(scenario, space, block_size):
        blocks = np.concatenate([refuses, rejects])
        n_blocking = blocks.sum(axis=0)
        tally.blocked += blocks.sum(axis=1)
        tally.sole += (blocks & (n_blocking == 1)).sum(axis=1)
        in_zopa = ~refuses.any(axis=0)
        ratified = in_zopa & ~rejects.any(axis=0)
        tally.zopa += int(in_zopa.sum())
        tally.ratified += int(ratified.sum())
        tally.zopa_rejected += rejects[:, in_zopa].sum(axis=1)
        for v in range(len(veto)):
            others = n_blocking - refuses[v] == 0
            tally.others_ok[v] += int(others.sum())
            if others.any():
                tally.best_if_others[v] = max(
                    tally.best_if_others[v], utility[veto[v], others].max()
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
            np.empty((len(scenario.actors), 0)),
        )
    order = np.argsort(front_index)
    front_index, front_utility = front_index[order], front_utility[:, order]
    actor_ids = [actor.id for actor in scenario.actors]
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

    labels = [(a.id, "actor", a.label) for a in scenario.actors if a.veto] + [
        (p.id, "public", p.label) for p in scenario.publics
    ]
    blockers = tuple(
        Blocker(who, kind, label, int(tally.blocked[k]), int(tally.sole[k]))  # type: ignore[arg-type]
        for k, (who, kind, label) in enumerate(labels)
    )
    verdict, reasons = _explain(scenario, space, tally, batna, solutions)
    return Analysis(
        scenario=scenario.id,
        scenario_hash=content_hash(scenario),
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
    )


def _merged(scenario: Scenario, **kwargs: Any) -> Any:
    """The merged frontier, or its ε-approximation when the exact one exceeds the budget."""
    try:
        return merge_frontier(scenario, **kwargs)
    except FrontierTooLargeError:
        return merge_frontier(scenario, approximate=True, **kwargs)


def _bounds(count: Count) -> tuple[int, int] | None:
    return None if count.exact else (count.lower, count.upper)


def _analyze_by_merging(scenario: Scenario, space: Space) -> Analysis:
    """The analysis without enumeration: frontier by merging, counts by meeting in the middle."""
    veto, batna = _veto_batna(scenario)
    actor_ids = [actor.id for actor in scenario.actors]
    front = _merged(scenario)
    counts = count_packages(scenario)
    utility = front.utility
    weights = _weights(space.sizes)
    rows_of = front.options.tolist()
    if space.size < 1 << 62:
        index = np.ravel_multi_index(front.options.T.astype(np.intp), space.sizes).tolist()
    else:  # beyond int64: exact Python integers
        index = [sum(o * w for o, w in zip(row, weights, strict=True)) for row in rows_of]
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
    tally = _Tally(len(veto), len(veto) + len(scenario.publics))
    if not frontier:
        zopa = _explain_empty(scenario, veto, tally, zopa)
    tally.zopa, tally.ratified = zopa.lower, ratified.lower
    labels = [(a.id, "actor", a.label) for a in scenario.actors if a.veto] + [
        (p.id, "public", p.label) for p in scenario.publics
    ]
    blockers = tuple(
        Blocker(who, kind, label, b.lower, s.lower, _bounds(s))  # type: ignore[arg-type]
        for (who, kind, label), b, s in zip(labels, counts.blocked, counts.sole, strict=True)
    )
    verdict, reasons = _explain(
        scenario, space, tally, batna, solutions, _bounds(zopa), _bounds(ratified)
    )
    if not front.exact:
        reasons.append(
            f"The Pareto frontier exceeded the memory budget ({MAX_POINTS:,} points per merge "
            f"step): the frontier and the solutions shown are an ε-Pareto approximation with "
            f"ε = {front.epsilon:.2g} (every ratified package is within ε, for every veto "
            "actor, of a package of the approximate frontier before the batna filter)."
        )
    return Analysis(
        scenario=scenario.id,
        scenario_hash=content_hash(scenario),
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
    )


def _weights(sizes: tuple[int, ...]) -> list[int]:
    """Mixed-radix place values of the issues (first issue most significant)."""
    out = [1] * len(sizes)
    for i in range(len(sizes) - 2, -1, -1):
        out[i] = out[i + 1] * sizes[i + 1]
    return out


def _explain_empty(scenario: Scenario, veto: NDArray[np.intp], tally: _Tally, zopa: Count) -> Count:
    """What the verdict needs when the ratified ZOPA is empty, found by merging.

    For each veto actor, the best utility among packages every other veto
    actor accepts and every public ratifies (a maximum is attained on their
    Pareto frontier); whether any package is in the ZOPA (the returned ZOPA
    count is tightened with it); whether each public rejects every ZOPA
    package.
    """
    veto_ids = [scenario.actors[v].id for v in veto]
    for k, v in enumerate(veto):
        others = [a for a in veto_ids if a != veto_ids[k]]
        front = _merged(scenario, batna=others)
        tally.others_ok[k] = len(front.options)
        if len(front.options):
            tally.best_if_others[k] = float(front.utility[v].max())
    in_zopa = len(_merged(scenario, ratify=False).options)
    zopa = Count(0, 0) if not in_zopa else Count(max(zopa.lower, in_zopa), zopa.upper)
    for p, public in enumerate(scenario.publics):
        passed = len(_merged(scenario, ratify=[public.id]).options)
        tally.zopa_rejected[p] = zopa.lower if passed == 0 else -1
    return zopa


def _option_label(scenario: Scenario, issue_id: str, option_id: str) -> str:
    return next(o.label for o in scenario.issue(issue_id).options if o.id == option_id)


def _join(words: list[str]) -> str:
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _explain(
    scenario: Scenario,
    space: Space,
    tally: _Tally,
    batna: NDArray[np.float64],
    solutions: dict[str, FrontierPoint | None],
    zopa_bounds: tuple[int, int] | None = None,
    ratified_bounds: tuple[int, int] | None = None,
) -> tuple[str, list[str]]:
    """The verdict in one sentence and the reasons behind it (counts as bounds when inexact)."""
    veto_actors = [a for a in scenario.actors if a.veto]
    publics = scenario.publics
    total = f"{space.size:,}"
    zopa_words = f"{tally.zopa:,}" if zopa_bounds is None else f"At least {tally.zopa:,}"
    if tally.ratified:
        nash = solutions["nash"]
        assert nash is not None
        labelled = ", ".join(
            f"{issue.label}: {_option_label(scenario, issue.id, nash.package[issue.id])}"
            for issue in scenario.issues
        )
        share = tally.ratified / space.size
        many = f"{tally.ratified:,} of {total} packages ({share:.1%})"
        if ratified_bounds is not None:
            lo, hi = ratified_bounds
            many = f"between {lo:,} and {hi:,} of {total} packages"
        verdict = (
            f"A settlement is possible: {many} beat "
            f"every veto actor's batna{' and pass every public' if publics else ''}; "
            f"the Nash bargaining solution is {labelled}."
        )
        return verdict, [verdict]

    reasons: list[str] = []
    ratified_by = f"ratified by {_join([p.label for p in publics])}" if publics else ""
    for v, actor in enumerate(veto_actors):
        if tally.others_ok[v] == 0:
            continue
        others = [a.label for a in veto_actors if a.id != actor.id]
        clauses = ([f"acceptable to {_join(others)}"] if others else []) + (
            [ratified_by] if ratified_by else []
        )
        which = f"every package {' and '.join(clauses)}" if clauses else "every package"
        reasons.append(
            f"{which} gives {actor.label} at most {tally.best_if_others[v]:.2f}, "
            f"below its batna of {batna[v]:.2f}"
        )
    if tally.zopa and not reasons:
        for p, public in enumerate(publics):
            if tally.zopa_rejected[p] == tally.zopa:
                reasons.append(
                    f"{zopa_words} packages beat every veto actor's batna, but {public.label} "
                    "would reject all of them "
                    f"(predicted rejection at least {public.threshold:.0%})"
                )
        if not reasons:
            reasons.append(
                f"{zopa_words} packages beat every veto actor's batna, but each is rejected by "
                f"at least one of {_join([p.label for p in publics])}"
            )
    if not reasons:
        reasons.append(
            "no package beats every veto actor's batna at once: each side's acceptable "
            "packages are unacceptable to another"
        )
    verdict = f"No settlement: {reasons[0]}."
    return verdict, [r[0].upper() + r[1:] + "." for r in reasons]
