"""The settlement analysis in words: the verdict and the reasons behind it.

:func:`explain` turns the running totals of :mod:`offramp.settle.analysis`
(:class:`Tally`) into one sentence and its reasons; :func:`explain_empty`
finds, by merging issues, what that needs when the ratified ZOPA is empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from offramp.scenario.schema import Scenario
from offramp.settle.count import Count
from offramp.settle.merge import FrontierTooLargeError, merge_frontier
from offramp.settle.space import Space

__all__ = ["Tally", "explain", "explain_empty", "merged"]


@dataclass
class Tally:
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


def merged(scenario: Scenario, **kwargs: Any) -> Any:
    """The merged frontier, or its ε-approximation when the exact one exceeds the budget."""
    try:
        return merge_frontier(scenario, **kwargs)
    except FrontierTooLargeError:
        return merge_frontier(scenario, approximate=True, **kwargs)


def explain_empty(scenario: Scenario, veto: NDArray[np.intp], tally: Tally, zopa: Count) -> Count:
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
        front = merged(scenario, batna=others)
        tally.others_ok[k] = len(front.options)
        if len(front.options):
            tally.best_if_others[k] = float(front.utility[v].max())
    in_zopa = len(merged(scenario, ratify=False).options)
    zopa = Count(0, 0) if not in_zopa else Count(max(zopa.lower, in_zopa), zopa.upper)
    for p, public in enumerate(scenario.publics):
        passed = len(merged(scenario, ratify=[public.id]).options)
        tally.zopa_rejected[p] = zopa.lower if passed == 0 else -1
    return zopa


def _option_label(scenario: Scenario, issue_id: str, option_id: str) -> str:
    return next(o.label for o in scenario.issue(issue_id).options if o.id == option_id)


def _join(words: list[str]) -> str:
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def explain(
    scenario: Scenario,
    space: Space,
    tally: Tally,
    batna: NDArray[np.float64],
    nash: Mapping[str, str] | None,
    zopa_bounds: tuple[int, int] | None = None,
    ratified_bounds: tuple[int, int] | None = None,
) -> tuple[str, list[str]]:
    """The verdict in one sentence and the reasons behind it (counts as bounds when inexact).

    ``nash`` is the Nash package, needed when the ratified ZOPA is not empty.
    """
    veto_actors = [a for a in scenario.actors if a.veto]
    publics = scenario.publics
    total = f"{space.size:,}"
    zopa_words = f"{tally.zopa:,}" if zopa_bounds is None else f"At least {tally.zopa:,}"
    if tally.ratified:
        assert nash is not None
        labelled = ", ".join(
            f"{issue.label}: {_option_label(scenario, issue.id, nash[issue.id])}"
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
