"""The scenario's timeline events as changes to the negotiation's inputs, round by round.

An event's branch changes the compiled problem's arrays at their point
values (:meth:`offramp.problem.Problem.with_changes`): no scenario is
rebuilt or recompiled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from offramp.negotiate.frontier import IssueChange
from offramp.negotiate.inputs import scenario_inputs, scenario_lines
from offramp.negotiate.protocol import Change
from offramp.problem import CompiledEvent, Problem

__all__ = ["draw_branches", "event_changes", "event_problems", "issue_changes"]


def _in_window(problem: Problem, days: int) -> list[CompiledEvent]:
    """The events dated after ``as_of`` and less than ``days`` days after it, by date."""
    dated = sorted(problem.events, key=lambda e: e.date)
    return [e for e in dated if 0 < (e.date - problem.as_of).days < days]


def _branch_probabilities(problem: Problem, event: CompiledEvent, parent: str | None) -> Any:
    """The event's branch probabilities, given the branch id of its parent event (or None)."""
    if event.parent < 0:
        return event.probability[0]
    ids = problem.events[event.parent].branch_ids
    if parent is None or parent not in ids:
        return np.zeros(len(event.branch_ids))
    return event.probability[ids.index(parent)]


def draw_branches(
    problem: Problem, days: int, runs: int, rng: np.random.Generator
) -> list[tuple[tuple[str, str], ...]]:
    """For each run, the branch drawn for every event within ``days`` of ``as_of``."""
    events = _in_window(problem, days)
    if not events:
        return [()] * runs
    picks: dict[str, list[str]] = {}
    for event in events:
        u = rng.random(runs)
        given = problem.events[event.parent].id if event.parent >= 0 else None
        chosen = []
        for r in range(runs):
            parent = picks[given][r] if given is not None and given in picks else None
            probs = np.asarray(_branch_probabilities(problem, event, parent), dtype=np.float64)
            total = probs.sum()
            cdf = np.cumsum(probs / total) if total > 0 else np.linspace(0, 1, len(probs) + 1)[1:]
            pick = min(int(np.searchsorted(cdf, u[r])), len(probs) - 1)
            chosen.append(event.branch_ids[pick])
        picks[event.id] = chosen
    return [tuple((e.id, picks[e.id][r]) for e in events) for r in range(runs)]


def event_problems(
    problem: Problem,
    rounds: int,
    round_days: int = 7,
    *,
    branches: Mapping[str, str] | None = None,
) -> list[tuple[int, str, Problem, bool]]:
    """The problem in force after each timeline event within the deadline.

    Every event dated after ``as_of`` and before the end of the last round
    applies at the start of round ``ceil(days / round_days)``, with its
    branch (and every earlier event's) at their point values. The branch of
    each event is given by ``branches`` ({event id: branch id}); an event not
    listed takes its most probable branch (given the branch chosen for the
    event it is conditioned on; ties to the first).

    Returns
    -------
    list of (round, label, Problem, moved)
        ``moved``: whether the branch changes a red line (``never_p`` or ``never``).
    """
    chosen = dict(branches or {})
    out: list[tuple[int, str, Problem, bool]] = []
    current = problem
    for event in _in_window(problem, rounds * round_days):
        days = (event.date - problem.as_of).days
        if event.id not in chosen:
            given = problem.events[event.parent].id if event.parent >= 0 else None
            probs = _branch_probabilities(problem, event, chosen.get(given) if given else None)
            chosen[event.id] = event.branch_ids[int(np.argmax(probs))]
        b = event.branch_ids.index(chosen[event.id])
        current = current.with_changes(event.changes[b])
        moved = any(c.slot[0] == "never_p" for c in event.changes[b])
        out.append(
            (-(-days // round_days), f"{event.label}: {event.branch_labels[b]}", current, moved)
        )
    return out


def event_changes(
    problem: Problem,
    rounds: int,
    round_days: int = 7,
    *,
    branches: Mapping[str, str] | None = None,
) -> list[Change]:
    """The scenario's timeline events within the deadline, as :class:`Change` records.

    See :func:`event_problems` for when each event applies and which branch it takes.

    Returns
    -------
    list of Change
        ``utility`` of shape (k, n) for the veto actors, ``batna`` (k,), ``lines``
        (k, n) when the branch changes a red line (``never_p`` or ``never``), and
        ratification is checked at signing (:class:`~offramp.negotiate.protocol.Signing`,
        compiled from the scenario's point values: an event's change to a
        public's numbers does not reach it yet).
    """
    out: list[Change] = []
    for round_, label, current, moved in event_problems(
        problem, rounds, round_days, branches=branches
    ):
        space, veto, utility, _ = scenario_inputs(current)
        batna = current.batna[0, veto].astype(np.float64)
        lines = scenario_lines(current, space, veto) if moved else None
        out.append(Change(round_, batna=batna, utility=utility, label=label, lines=lines))
    return out


def issue_changes(
    problem: Problem,
    rounds: int,
    round_days: int = 7,
    *,
    branches: Mapping[str, str] | None = None,
) -> list[IssueChange]:
    """:func:`event_changes` per issue (the veto actors' option tables and red lines)."""
    veto = problem.veto_index
    return [
        IssueChange(
            round_,
            current.batna[0, veto].astype(np.float64),
            [t[veto] for t in current.tables_of(0)],
            label,
            [~m[0][veto] for m in current.never],
        )
        for round_, label, current, _ in event_problems(
            problem, rounds, round_days, branches=branches
        )
    ]
