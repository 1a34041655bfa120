"""The scenario's timeline events as changes to the negotiation's inputs, round by round."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from offramp.negotiate.inputs import scenario_inputs
from offramp.negotiate.protocol import Change
from offramp.scenario.schema import Scenario

__all__ = ["draw_branches", "event_changes"]


def _apply(scenario: Scenario, changes: Mapping[str, Any]) -> Scenario:
    """The scenario with a branch's changes applied at their point values."""
    from offramp.scenario.paths import parse_change, resolve

    actors = list(scenario.actors)
    publics = list(scenario.publics)
    for path, raw in changes.items():
        target = resolve(scenario, path)
        kind, value = parse_change(target, raw)

        def new(current: Any, target: Any = target, kind: str = kind, value: Any = value) -> Any:
            if kind == "set":
                return value if isinstance(value, str) else float(value)
            if isinstance(current, str):  # a position given as an option id
                current = dict(target.options)[current]
            return float(np.clip(float(current) + float(value), target.low, target.high))

        if target.public >= 0:
            public = publics[target.public]
            if target.field == "threshold":
                publics[target.public] = public.model_copy(
                    update={"threshold": new(public.threshold)}
                )
            else:
                rules = list(public.rules)
                rules[target.rule] = rules[target.rule].model_copy(
                    update={"reject": new(rules[target.rule].reject)}
                )
                publics[target.public] = public.model_copy(update={"rules": rules})
            continue
        actor = actors[target.actor]
        if target.issue < 0:
            actors[target.actor] = actor.model_copy(
                update={target.field: new(getattr(actor, target.field))}
            )
            continue
        issue = scenario.issues[target.issue]
        stances = list(actor.stances)
        s = next(k for k, st in enumerate(stances) if st.issue == issue.id)
        stance = stances[s]
        if target.field == "value":
            option = issue.options[target.option].id
            values = dict(stance.values or {})
            values[option] = new(values[option])
            stances[s] = stance.model_copy(update={"values": values})
        else:
            stances[s] = stance.model_copy(
                update={target.field: new(getattr(stance, target.field))}
            )
        actors[target.actor] = actor.model_copy(update={"stances": stances})
    return scenario.model_copy(update={"actors": actors, "publics": publics})


def _branch_probability(branch: Any, parent: str | None) -> float:
    p = branch.probability
    if isinstance(p, Mapping):
        return float(p.get(parent, 0.0)) if parent is not None else 0.0
    return float(p)


def draw_branches(
    scenario: Scenario, days: int, runs: int, rng: np.random.Generator
) -> list[tuple[tuple[str, str], ...]]:
    """For each run, the branch drawn for every event within ``days`` of ``as_of``."""
    events = [
        e
        for e in sorted(getattr(scenario, "events", None) or [], key=lambda e: e.date)
        if 0 < (e.date - scenario.as_of).days < days
    ]
    if not events:
        return [()] * runs
    picks: dict[str, list[str]] = {}
    for event in events:
        u = rng.random(runs)
        chosen = []
        for r in range(runs):
            parent = picks[event.given][r] if event.given and event.given in picks else None
            probs = np.array([_branch_probability(b, parent) for b in event.branches])
            total = probs.sum()
            cdf = np.cumsum(probs / total) if total > 0 else np.linspace(0, 1, len(probs) + 1)[1:]
            chosen.append(event.branches[min(int(np.searchsorted(cdf, u[r])), len(probs) - 1)].id)
        picks[event.id] = chosen
    return [tuple((e.id, picks[e.id][r]) for e in events) for r in range(runs)]


def event_changes(
    scenario: Scenario,
    rounds: int,
    round_days: int = 7,
    *,
    branches: Mapping[str, str] | None = None,
) -> list[Change]:
    """The scenario's timeline events within the deadline, as :class:`Change` records.

    Every event dated after ``as_of`` and before the end of the last round
    becomes a change at the start of round ``ceil(days / round_days)``: the
    batnas, utilities and ratification of the scenario with that event's
    branch (and every earlier event's) applied at their point values. The
    branch of each event is given by ``branches`` ({event id: branch id});
    an event not listed takes its most probable branch (given the branch
    chosen for the event it is conditioned on; ties to the first).

    Returns
    -------
    list of Change
        ``utility`` of shape (k, n) for the veto actors, ``batna`` (k,), and
        ``allowed`` folded into the utility: packages a public would reject
        get utility -1 for every actor, which no one offers or accepts.
    """
    chosen = dict(branches or {})
    events = sorted(getattr(scenario, "events", None) or [], key=lambda e: e.date)
    horizon = rounds * round_days
    out: list[Change] = []
    current = scenario
    for event in events:
        days = (event.date - scenario.as_of).days
        if days <= 0 or days >= horizon:
            continue
        if event.id not in chosen:
            parent = chosen.get(event.given) if event.given else None
            probs = [_branch_probability(b, parent) for b in event.branches]
            chosen[event.id] = event.branches[int(np.argmax(probs))].id
        branch = next(b for b in event.branches if b.id == chosen[event.id])
        current = _apply(current, branch.changes)
        _, veto, utility, allowed = scenario_inputs(current)
        batna = np.array([current.actors[a].batna or 0.0 for a in veto])
        utility = np.where(allowed[None, :], utility, -1.0)
        out.append(
            Change(
                round=-(-days // round_days),
                batna=batna,
                utility=utility,
                label=f"{event.label}: {branch.label}",
            )
        )
    return out
