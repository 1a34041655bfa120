"""Compiling a validated scenario to a :class:`~offramp.problem.model.Problem`, once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from offramp.problem.bodies import compile_bodies
from offramp.problem.model import (
    APPLIES_ABOVE,
    Change,
    CompiledEvent,
    Problem,
    Slot,
    UncertainInput,
)
from offramp.problem.space import Space
from offramp.scenario.distributions import distribution_of
from offramp.scenario.load import content_hash
from offramp.scenario.paths import Target, parse_change, resolve
from offramp.scenario.rules import compile_rules
from offramp.scenario.schema import Scenario

__all__ = ["compile_problem"]


def _slot(target: Target) -> Slot:
    f = target.field
    if f in ("power", "batna"):
        return f, (target.actor,)
    if f in ("position", "salience"):
        return f, (target.actor, target.issue)
    if f == "value":
        return "values", (target.actor, target.issue, target.option)
    if f == "threshold":
        return f, (target.public,)
    if f in ("never_p", "never"):
        return "never_p", (target.actor, target.issue, target.option)
    return "reject", (target.public, target.rule)


def compile_problem(scenario: Scenario) -> Problem:
    """Compile a validated scenario to a :class:`Problem` (a batch of one).

    This is the only compile: the CLI, the report and the web app call it
    once per command or request and hand the Problem to every engine.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> p = compile_problem(load_scenario(Path(__file__).parents[3] / "scenarios"
    ...                                   / "ukraine-2024-09.yaml"))
    >>> float(p.batna[0, p.actor_ids.index("russia")]), p.space.size
    (0.7, 5184)
    """
    return _compile(scenario)


def _red_lines(
    scenario: Scenario, note: Callable[..., None]
) -> tuple[NDArray[np.float64], list[tuple[int, int]]]:
    """Every red line's probability of holding per option, shape (A, I, K), and the stances
    with a red line in the base case or after some event's ``never`` change (in file order).

    An uncertain ``never_p`` is noted as an uncertain input: one for the whole line
    (filling every option on it) or one per option.
    """
    issues, actors = scenario.issues, scenario.actors
    index = {issue.id: i for i, issue in enumerate(issues)}
    never_p = np.zeros((len(actors), len(issues), max(len(i.options) for i in issues)))
    lined: list[tuple[int, int]] = []
    for a, actor in enumerate(actors):
        for st in actor.stances:
            if not st.never:
                continue
            i = index[st.issue]
            lined.append((a, i))
            ids = [o.id for o in issues[i].options]
            on = [ids.index(o) for o in st.never]
            prefix = f"actors.{actor.id}.stances.{st.issue}.never_p"
            line = st.never_p
            if isinstance(line, dict):
                for k in on:
                    held = line.get(ids[k], 1.0)
                    never_p[a, i, k] = float(held)
                    if ids[k] in line:
                        note(f"{prefix}.{ids[k]}", ("never_p", (a, i, k)), held, {})
            else:
                never_p[a, i, on] = 1.0 if line is None else float(line)
                if line is not None:
                    slots = [(a, i, k) for k in on]
                    note(prefix, ("never_p", slots[0]), line, {}, tuple(slots[1:]))
    for event in scenario.events:
        for branch in event.branches:
            for key in branch.changes:
                target = resolve(scenario, key)
                if target.field == "never" and (target.actor, target.issue) not in lined:
                    lined.append((target.actor, target.issue))
    return never_p, lined


def _compile(scenario: Scenario) -> Problem:
    """:func:`compile_problem`'s engine (tests count the calls to it)."""
    issues, actors, publics = scenario.issues, scenario.actors, scenario.publics
    n_i, n_a, n_p = len(issues), len(actors), len(publics)
    k_max = max(len(i.options) for i in issues)
    r_max = max([len(p.rules) for p in publics], default=1)
    at = np.full((n_i, k_max), np.nan)
    for i, issue in enumerate(issues):
        at[i, : len(issue.options)] = [o.at for o in issue.options]
    issue_index = {issue.id: i for i, issue in enumerate(issues)}
    actor_index = {actor.id: a for a, actor in enumerate(actors)}
    base = {
        "position": np.zeros((n_a, n_i)),
        "salience": np.zeros((n_a, n_i)),
        "values": np.zeros((n_a, n_i, k_max)),
        "power": np.array([float(a.power) for a in actors]),
        "batna": np.array([0.0 if a.batna is None else float(a.batna) for a in actors]),
        "threshold": np.array([float(p.threshold) for p in publics]),
        "reject": np.ones((n_p, r_max)),
    }
    stance = np.zeros((n_a, n_i), dtype=bool)
    explicit = np.zeros((n_a, n_i), dtype=bool)
    stance_power = np.full((n_a, n_i), np.nan)
    order: list[tuple[int, ...]] = []
    inputs: list[UncertainInput] = []

    def note(
        name: str,
        slot: Slot,
        value: object,
        resolve_ids: dict[str, float],
        more: tuple[tuple[int, ...], ...] = (),
    ) -> None:
        dist = distribution_of(value)
        if dist is not None:
            inputs.append(UncertainInput(name, slot, dist, resolve_ids, more))

    for a, actor in enumerate(actors):
        note(f"actors.{actor.id}.power", ("power", (a,)), actor.power, {})
        note(f"actors.{actor.id}.batna", ("batna", (a,)), actor.batna, {})
        stances = []
        for st in actor.stances:
            i = issue_index[st.issue]
            stances.append(i)
            stance[a, i] = True
            if st.power is not None:
                stance_power[a, i] = float(st.power)
            issue = issues[i]
            ats = {o.id: o.at for o in issue.options}
            pos = st.position
            base["position"][a, i] = ats[pos] if isinstance(pos, str) else float(pos)
            base["salience"][a, i] = float(st.salience)
            prefix = f"actors.{actor.id}.stances.{issue.id}"
            note(f"{prefix}.position", ("position", (a, i)), pos, ats)
            note(f"{prefix}.salience", ("salience", (a, i)), st.salience, {})
            if st.values is not None:
                explicit[a, i] = True
                for k, option in enumerate(issue.options):
                    value = st.values[option.id]
                    base["values"][a, i, k] = float(value)
                    note(f"{prefix}.values.{option.id}", ("values", (a, i, k)), value, {})
        order.append(tuple(stances))
    for p, public in enumerate(publics):
        note(f"publics.{public.id}.threshold", ("threshold", (p,)), public.threshold, {})
        for r, rule in enumerate(public.rules):
            base["reject"][p, r] = float(rule.reject)
            note(f"publics.{public.id}.rules.{r}.reject", ("reject", (p, r)), rule.reject, {})

    never_p, lined = _red_lines(scenario, note)
    events, streams = _events(scenario, len(inputs))
    # one more uniform per stance with a red line (settle/redlines.py), after the others
    red_line_streams = []
    for a, i in lined:
        red_line_streams.append((a, i, streams))
        streams += 1
    return Problem(
        scenario=scenario,
        scenario_hash=content_hash(scenario),
        space=Space.of(scenario),
        actor_ids=tuple(a.id for a in actors),
        actor_labels=tuple(a.label for a in actors),
        public_ids=tuple(p.id for p in publics),
        public_labels=tuple(p.label for p in publics),
        public_of=np.array([actor_index[p.of] for p in publics], dtype=np.intp),
        issue_labels=tuple(i.label for i in issues),
        option_labels=tuple(tuple(o.label for o in i.options) for i in issues),
        notes=tuple(i.notes for i in issues),
        veto=np.array([a.veto for a in actors], dtype=bool),
        has_batna=np.array([a.batna is not None for a in actors], dtype=bool),
        at=at,
        stance=stance,
        stance_order=tuple(order),
        explicit=explicit,
        stance_power=stance_power,
        **{name: value[None] for name, value in base.items()},
        rules=tuple(compile_rules(p, issues)[0] for p in publics),
        never=tuple(
            never_p[None, :, i, : len(issue.options)] > APPLIES_ABOVE
            for i, issue in enumerate(issues)
        ),
        bodies=compile_bodies(scenario),
        dynamics=scenario.dynamics,
        inputs=tuple(inputs),
        events=events,
        streams=streams,
        never_p=never_p[None],
        red_line_streams=tuple(red_line_streams),
    )


def _events(scenario: Scenario, stream: int) -> tuple[tuple[CompiledEvent, ...], int]:
    """The compiled events, and the number of streams after theirs (the first is ``stream``)."""
    events: list[CompiledEvent] = []
    event_index: dict[str, int] = {}
    for event in scenario.events:
        parent = -1 if event.given is None else event_index[event.given]
        if parent >= 0:
            parent_ids = events[parent].branch_ids
            prob = np.array(
                [
                    [float(b.probability.get(pid, 0.0)) for b in event.branches]  # type: ignore[union-attr]
                    for pid in parent_ids
                ]
            )
        else:
            prob = np.array([[float(b.probability) for b in event.branches]])  # type: ignore[arg-type]
        events.append(
            CompiledEvent(
                event.id,
                event.date,
                parent,
                tuple(b.id for b in event.branches),
                prob,
                (),
                stream,
                event.label,
                tuple(b.label for b in event.branches),
            )
        )
        stream += 1
        event_index[event.id] = len(events) - 1
    issue_index = {issue.id: i for i, issue in enumerate(scenario.issues)}
    base_lines = {
        (a, issue_index[st.issue]): [
            [o.id for o in scenario.issues[issue_index[st.issue]].options].index(o)
            for o in st.never
        ]
        for a, actor in enumerate(scenario.actors)
        for st in actor.stances
        if st.never
    }
    compiled: list[CompiledEvent] = []
    for ev, event in zip(events, scenario.events, strict=True):
        per_branch: list[tuple[Change, ...]] = []
        for branch in event.branches:
            changes: list[Change] = []
            line = dict(base_lines)  # the options on each red line, as this branch has it
            for key, value in branch.changes.items():
                target = resolve(scenario, key)
                op, parsed = parse_change(target, value)
                if target.field == "never":  # the listed options become firm, the others lift
                    ids = [o for o, _ in target.options]
                    line[target.actor, target.issue] = [ids.index(o) for o in parsed]
                    for k, option in enumerate(ids):
                        held = 1.0 if option in parsed else 0.0
                        slot = _slot(replace(target, option=k))
                        changes.append(Change(key, slot, "set", held, None, -1, 0.0, 1.0))
                    continue
                resolve_ids = dict(target.options)
                dist = distribution_of(parsed)
                s = -1
                if dist is not None:
                    s = stream
                    stream += 1
                number = resolve_ids[parsed] if isinstance(parsed, str) else float(parsed)
                targets = [target]
                if target.field == "never_p" and target.option < 0:  # every option on the line
                    on = line.get((target.actor, target.issue), [])
                    targets = [replace(target, option=k) for k in on]
                for one in targets:
                    changes.append(
                        Change(
                            key,
                            _slot(one),
                            op,
                            number,
                            dist,
                            s,
                            one.low,
                            one.high,
                            resolve_ids,
                        )
                    )
            per_branch.append(tuple(changes))
        compiled.append(replace(ev, changes=tuple(per_branch)))
    return tuple(compiled), stream
