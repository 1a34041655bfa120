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

from offramp.problem import Problem
from offramp.settle.count import Count
from offramp.settle.merge import FrontierTooLargeError, merge_frontier

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
    # of those, the packages that cross none of the actor's own red lines
    others_clear: NDArray[np.int64] = field(init=False)
    front_index: list[NDArray[np.int64]] = field(default_factory=list)
    front_utility: list[NDArray[np.float64]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.blocked = np.zeros(self.n_blockers, dtype=np.int64)
        self.sole = np.zeros(self.n_blockers, dtype=np.int64)
        self.zopa_rejected = np.zeros(self.n_blockers - self.n_veto, dtype=np.int64)
        self.best_if_others = np.full(self.n_veto, -np.inf)
        self.others_ok = np.zeros(self.n_veto, dtype=np.int64)
        self.others_clear = np.zeros(self.n_veto, dtype=np.int64)


def merged(problem: Problem, **kwargs: Any) -> Any:
    """The merged frontier, or its ε-approximation when the exact one exceeds the budget."""
    try:
        return merge_frontier(problem, **kwargs)
    except FrontierTooLargeError:
        return merge_frontier(problem, approximate=True, **kwargs)


def explain_empty(problem: Problem, veto: NDArray[np.intp], tally: Tally, zopa: Count) -> Count:
    """What the verdict needs when the ratified ZOPA is empty, found by merging.

    For each veto actor, the best utility among packages every other veto
    actor accepts and every public ratifies (a maximum is attained on their
    Pareto frontier); whether any package is in the ZOPA (the returned ZOPA
    count is tightened with it); whether each public rejects every ZOPA
    package.
    """
    veto_ids = [problem.actor_ids[v] for v in veto]
    for k, v in enumerate(veto):
        others = [a for a in veto_ids if a != veto_ids[k]]
        tally.others_ok[k] = len(merged(problem, batna=others).options)
        front = merged(problem, batna=others, red_lines=veto_ids)  # and within k's red lines
        tally.others_clear[k] = len(front.options)
        if len(front.options):
            tally.best_if_others[k] = float(front.utility[v].max())
    in_zopa = len(merged(problem, ratify=False).options)
    zopa = Count(0, 0) if not in_zopa else Count(max(zopa.lower, in_zopa), zopa.upper)
    for p, body in enumerate(problem.body_ids):
        passed = len(merged(problem, ratify=[body]).options)
        tally.zopa_rejected[p] = zopa.lower if passed == 0 else -1
    return zopa


def _join(words: list[str]) -> str:
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def explain(
    problem: Problem,
    tally: Tally,
    batna: NDArray[np.float64],
    nash: Mapping[str, str] | None,
    zopa_bounds: tuple[int, int] | None = None,
    ratified_bounds: tuple[int, int] | None = None,
) -> tuple[str, list[str]]:
    """The verdict in one sentence and the reasons behind it (counts as bounds when inexact).

    ``nash`` is the Nash package, needed when the ratified ZOPA is not empty.
    """
    space = problem.space
    veto_labels = [problem.actor_labels[a] for a in problem.veto_index]
    publics = [b.label for b in problem.bodies]  # publics, then legislatures
    total = f"{space.size:,}"
    zopa_words = f"{tally.zopa:,}" if zopa_bounds is None else f"At least {tally.zopa:,}"
    if tally.ratified:
        assert nash is not None
        labelled = ", ".join(
            f"{label}: {options[ids.index(nash[issue])]}"
            for issue, label, ids, options in zip(
                space.issue_ids,
                problem.issue_labels,
                space.option_ids,
                problem.option_labels,
                strict=True,
            )
        )
        share = tally.ratified / space.size
        passes = ""
        if publics:
            legislatures = any(b.kind == "legislature" for b in problem.bodies)
            passes = " and pass every vote" if legislatures else " and pass every public"
        many = f"{tally.ratified:,} of {total} packages ({share:.1%})"
        if ratified_bounds is not None:
            lo, hi = ratified_bounds
            many = f"between {lo:,} and {hi:,} of {total} packages"
        verdict = (
            f"A settlement is possible: {many} beat "
            f"every veto actor's batna{passes}; "
            f"the Nash bargaining solution is {labelled}."
        )
        return verdict, [verdict]

    reasons: list[str] = []
    ratified_by = f"ratified by {_join(list(publics))}" if publics else ""
    for v, label in enumerate(veto_labels):
        if tally.others_ok[v] == 0:
            continue
        others = [x for u, x in enumerate(veto_labels) if u != v]
        clauses = ([f"acceptable to {_join(others)}"] if others else []) + (
            [ratified_by] if ratified_by else []
        )
        which = f"every package {' and '.join(clauses)}" if clauses else "every package"
        if tally.others_clear[v] == 0:
            reasons.append(f"{which} crosses a red line of {label}")
            continue
        a = int(problem.veto_index[v])
        lined = any(m[0][a].any() for m in problem.never)
        within = " within its red lines" if lined else ""
        reasons.append(
            f"{which} gives {label} at most {tally.best_if_others[v]:.2f}{within}, "
            f"below its batna of {batna[v]:.2f}"
        )
    if tally.zopa and not reasons:
        for p, public in enumerate(publics):
            if tally.zopa_rejected[p] == tally.zopa:
                body = problem.bodies[p]
                limit = (
                    f" (predicted rejection at least {float(problem.threshold[0, p]):.0%})"
                    if body.own_vote and (body.route == -1).all()
                    else " by the routes they take there"
                )
                reasons.append(
                    f"{zopa_words} packages beat every veto actor's batna, but {public} "
                    f"would reject all of them{limit}"
                )
        if not reasons:
            reasons.append(
                f"{zopa_words} packages beat every veto actor's batna, but each is rejected by "
                f"at least one of {_join(list(publics))}"
            )
    if not reasons:
        reasons.append(
            "no package beats every veto actor's batna at once: each side's acceptable "
            "packages are unacceptable to another"
        )
    verdict = f"No settlement: {reasons[0]}."
    return verdict, [r[0].upper() + r[1:] + "." for r in reasons]
