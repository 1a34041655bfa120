"""Settlement-space analysis of a scenario: ZOPA, ratification, frontier, solutions, blockers.

``analyze`` enumerates every package in blocks (so memory stays bounded),
computes each actor's utility (:mod:`offramp.space`), keeps the packages every
veto actor strictly prefers to its batna (the zone of possible agreement,
ZOPA) and those every public also ratifies (:mod:`offramp.ratify`), finds the
Pareto frontier of that ratified ZOPA over the veto actors' utilities and the
bargaining solutions on it (:mod:`offramp.bargain`), counts who blocks the
rest, and says in words what that means.

The result is plain data (:class:`Analysis`); the CLI, the report and the web
app only present it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from offramp._version import __version__
from offramp.bargain import SOLUTIONS, pareto_filter, solve
from offramp.errors import SpaceTooLargeError
from offramp.ratify import compile_rules
from offramp.scenario.load import content_hash
from offramp.scenario.schema import Scenario
from offramp.space import Space, iter_blocks, utility_tables

__all__ = ["MAX_PACKAGES", "Analysis", "Blocker", "FrontierPoint", "analyze"]

MAX_PACKAGES = 20_000_000
"""Largest space ``analyze`` enumerates; larger ones are refused."""


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

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (``result.json``)."""

        def point(p: FrontierPoint | None) -> dict[str, Any] | None:
            return None if p is None else {"package": p.package, "utility": p.utility}

        return {
            "scenario": self.scenario,
            "scenario_hash": self.scenario_hash,
            "offramp_version": self.offramp_version,
            "method": self.method,
            "space": {"packages": self.packages, "issues": len(self.issues)},
            "zopa": {"count": self.zopa_count},
            "ratified": {"count": self.ratified_count},
            "frontier": [point(p) for p in self.frontier],
            "solutions": {name: point(p) for name, p in self.solutions.items()},
            "blockers": [
                {
                    "who": b.who,
                    "kind": b.kind,
                    "label": b.label,
                    "packages": b.packages,
                    "sole": b.sole,
                }
                for b in self.blockers
            ],
            "verdict": self.verdict,
            "reasons": list(self.reasons),
        }


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


def analyze(scenario: Scenario, *, block_size: int = 1 << 18) -> Analysis:
    """Analyze a scenario's settlement space by enumerating every package.

    Parameters
    ----------
    scenario : Scenario
    block_size : int, default 262144
        Packages per block; bounds memory, does not change results.

    Returns
    -------
    Analysis

    Raises
    ------
    SpaceTooLargeError
        If the space has more than :data:`MAX_PACKAGES` packages.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> path = Path(__file__).parents[2] / "scenarios" / "textbook-two-party.yaml"
    >>> a = analyze(load_scenario(path))
    >>> a.zopa_count, a.ratified_count, a.solutions["nash"].package
    (5, 4, {'border': 'split', 'prisoners': 'all_for_all', 'sanctions': 'lifted'})
    """
    space = Space.of(scenario)
    if space.size > MAX_PACKAGES:
        raise SpaceTooLargeError(
            f"the scenario has {space.size:,} packages; exact enumeration handles at most "
            f"{MAX_PACKAGES:,}: merge options or split the scenario into stages"
        )
    tables = utility_tables(scenario)
    veto = np.array([a for a, actor in enumerate(scenario.actors) if actor.veto], dtype=np.intp)
    batna = np.array([scenario.actors[a].batna or 0.0 for a in veto])
    publics = [(compile_rules(p, scenario.issues)[0], p.threshold) for p in scenario.publics]
    tally = _Tally(len(veto), len(veto) + len(publics))

    for start, utility in iter_blocks(tables, block_size):
        m = utility.shape[-1]
        index = np.arange(start, start + m, dtype=np.int64)
        refuses = utility[veto] <= batna[:, None]
        if publics:
            options = space.options_of(index)
            rejects = np.stack([table.lookup(options) >= t for table, t in publics])
        else:
            rejects = np.zeros((0, m), dtype=bool)
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
) -> tuple[str, list[str]]:
    """The verdict in one sentence and the reasons behind it."""
    veto_actors = [a for a in scenario.actors if a.veto]
    publics = scenario.publics
    total = f"{space.size:,}"
    if tally.ratified:
        nash = solutions["nash"]
        assert nash is not None
        labelled = ", ".join(
            f"{issue.label}: {_option_label(scenario, issue.id, nash.package[issue.id])}"
            for issue in scenario.issues
        )
        share = tally.ratified / space.size
        verdict = (
            f"A settlement is possible: {tally.ratified:,} of {total} packages ({share:.1%}) beat "
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
                    f"{tally.zopa:,} packages beat every veto actor's batna, but {public.label} "
                    "would reject all of them "
                    f"(predicted rejection at least {public.threshold:.0%})"
                )
        if not reasons:
            reasons.append(
                f"{tally.zopa:,} packages beat every veto actor's batna, but each is rejected by "
                f"at least one of {_join([p.label for p in publics])}"
            )
    if not reasons:
        reasons.append(
            "no package beats every veto actor's batna at once: each side's acceptable "
            "packages are unacceptable to another"
        )
    verdict = f"No settlement: {reasons[0]}."
    return verdict, [r[0].upper() + r[1:] + "." for r in reasons]
