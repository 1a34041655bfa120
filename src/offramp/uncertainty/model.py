"""A scenario compiled to arrays, and the draws of its uncertain inputs and events.

:func:`compile_model` turns a :class:`~offramp.scenario.Scenario` into a
:class:`Model`: the point values of every numeric input as arrays, the list
of uncertain inputs (each a distribution and the array slot it fills), and
the events (branch probabilities and the changes of every branch).
:func:`draw_inputs` maps uniform numbers in [0, 1) to a batch of inputs.

Every draw is a deterministic function of one row of uniform numbers, one
column ("stream") per uncertain input, per event and per distribution in a
branch's changes, in this order. The rows come from a counter-based
generator (:func:`uniforms`) for sweeps and from a Sobol or Morris design
for the sensitivity analysis, so both drive the same function.

Interpretive choices
--------------------
* Events apply in file (= date) order; a later event's change of an input
  overrides an earlier one's (``{add: x}`` adds to the value it finds).
* An event dated after ``at`` does not happen: its branch is recorded as
  -1 and its changes are not applied. Its streams are still drawn, so the
  same seed gives the same base draws whatever ``at`` is (common random
  numbers across dates).
* A branch is picked by inverse CDF of its event's (conditional)
  probabilities: the first branch whose cumulative probability exceeds u.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from offramp.scenario.distributions import Distribution, distribution_of
from offramp.scenario.load import content_hash
from offramp.scenario.paths import Target, parse_change, resolve
from offramp.scenario.rules import RuleTable, compile_rules
from offramp.scenario.schema import Scenario
from offramp.settle.space import Space

__all__ = [
    "Change",
    "CompiledEvent",
    "Inputs",
    "Model",
    "UncertainInput",
    "compile_model",
    "draw_inputs",
    "uniforms",
]

Slot = tuple[str, tuple[int, ...]]


@dataclass(frozen=True)
class UncertainInput:
    """One uncertain input: its dotted path, distribution, and array slot."""

    name: str
    slot: Slot
    distribution: Distribution
    resolve: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """What a branch does to one input: set it to, or add, a number or a draw."""

    path: str
    slot: Slot
    op: str
    value: float
    distribution: Distribution | None
    stream: int
    low: float
    high: float
    resolve: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class CompiledEvent:
    """An event: date, parent event index (-1), probabilities, changes per branch.

    ``probability`` has shape (number of parent branches or 1, number of branches).
    """

    id: str
    date: dt.date
    parent: int
    branch_ids: tuple[str, ...]
    probability: NDArray[np.float64]
    changes: tuple[tuple[Change, ...], ...]
    stream: int


@dataclass(frozen=True)
class Inputs:
    """A batch of drawn inputs (leading axis B: draws).

    Shapes: ``position``, ``salience`` (B, A, I); ``values`` (B, A, I, K);
    ``power``, ``batna`` (B, A); ``threshold`` (B, P); ``reject`` (B, P, R);
    ``branch`` (B, E) int (-1: the event does not happen by ``at``);
    ``drawn`` (B, n_inputs) the uncertain inputs' base draws.
    """

    position: NDArray[np.float64]
    salience: NDArray[np.float64]
    values: NDArray[np.float64]
    power: NDArray[np.float64]
    batna: NDArray[np.float64]
    threshold: NDArray[np.float64]
    reject: NDArray[np.float64]
    branch: NDArray[np.int16]
    drawn: NDArray[np.float64]


@dataclass(frozen=True)
class Model:
    """A scenario compiled to arrays (see the module docstring)."""

    scenario: str
    scenario_hash: str
    space: Space
    actor_ids: tuple[str, ...]
    public_ids: tuple[str, ...]
    veto: NDArray[np.intp]
    at: NDArray[np.float64]
    stance_order: tuple[tuple[int, ...], ...]
    explicit: NDArray[np.bool_]
    base: dict[str, NDArray[np.float64]]
    rules: tuple[RuleTable, ...]
    inputs: tuple[UncertainInput, ...]
    events: tuple[CompiledEvent, ...]
    streams: int

    @property
    def input_names(self) -> tuple[str, ...]:
        """Dotted paths of the uncertain inputs, in stream order."""
        return tuple(i.name for i in self.inputs)


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
    return "reject", (target.public, target.rule)


def _limits(target: Target) -> tuple[float, float]:
    return target.low, target.high


def compile_model(scenario: Scenario) -> Model:
    """Compile a validated scenario to a :class:`Model`.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> m = compile_model(load_scenario(Path(__file__).parents[3] / "scenarios"
    ...                                 / "ukraine-2024-09.yaml"))
    >>> m.base["batna"][list(m.actor_ids).index("russia")]
    np.float64(0.7)
    """
    issues, actors, publics = scenario.issues, scenario.actors, scenario.publics
    n_i, n_a, n_p = len(issues), len(actors), len(publics)
    k_max = max(len(i.options) for i in issues)
    r_max = max([len(p.rules) for p in publics], default=1)
    at = np.full((n_i, k_max), np.nan)
    for i, issue in enumerate(issues):
        at[i, : len(issue.options)] = [o.at for o in issue.options]
    issue_index = {issue.id: i for i, issue in enumerate(issues)}
    base = {
        "position": np.zeros((n_a, n_i)),
        "salience": np.zeros((n_a, n_i)),
        "values": np.zeros((n_a, n_i, k_max)),
        "power": np.array([float(a.power) for a in actors]),
        "batna": np.array([np.nan if a.batna is None else float(a.batna) for a in actors]),
        "threshold": np.array([float(p.threshold) for p in publics]),
        "reject": np.ones((n_p, r_max)),
    }
    explicit = np.zeros((n_a, n_i), dtype=bool)
    order: list[tuple[int, ...]] = []
    inputs: list[UncertainInput] = []

    def note(name: str, slot: Slot, value: object, resolve_ids: dict[str, float]) -> None:
        dist = distribution_of(value)
        if dist is not None:
            inputs.append(UncertainInput(name, slot, dist, resolve_ids))

    for a, actor in enumerate(actors):
        note(f"actors.{actor.id}.power", ("power", (a,)), actor.power, {})
        note(f"actors.{actor.id}.batna", ("batna", (a,)), actor.batna, {})
        stances = []
        for stance in actor.stances:
            i = issue_index[stance.issue]
            stances.append(i)
            issue = issues[i]
            ats = {o.id: o.at for o in issue.options}
            pos = stance.position
            base["position"][a, i] = ats[pos] if isinstance(pos, str) else float(pos)
            base["salience"][a, i] = float(stance.salience)
            prefix = f"actors.{actor.id}.stances.{issue.id}"
            note(f"{prefix}.position", ("position", (a, i)), pos, ats)
            note(f"{prefix}.salience", ("salience", (a, i)), stance.salience, {})
            if stance.values is not None:
                explicit[a, i] = True
                for k, option in enumerate(issue.options):
                    value = stance.values[option.id]
                    base["values"][a, i, k] = float(value)
                    note(f"{prefix}.values.{option.id}", ("values", (a, i, k)), value, {})
        order.append(tuple(stances))
    for p, public in enumerate(publics):
        note(f"publics.{public.id}.threshold", ("threshold", (p,)), public.threshold, {})
        for r, rule in enumerate(public.rules):
            base["reject"][p, r] = float(rule.reject)
            note(f"publics.{public.id}.rules.{r}.reject", ("reject", (p, r)), rule.reject, {})

    stream = len(inputs)
    events: list[CompiledEvent] = []
    event_index: dict[str, int] = {}
    change_streams: list[list[list[Any]]] = []
    for event in scenario.events:
        parent = -1 if event.given is None else event_index[event.given]
        if parent >= 0:
            parent_ids = events[parent].branch_ids
            prob = np.array(
                [[float(b.probability[pid]) for b in event.branches] for pid in parent_ids]  # type: ignore[index]
            )
        else:
            prob = np.array([[float(b.probability) for b in event.branches]])  # type: ignore[arg-type]
        events.append(
            CompiledEvent(
                event.id, event.date, parent, tuple(b.id for b in event.branches), prob, (), stream
            )
        )
        stream += 1
        event_index[event.id] = len(events) - 1
        change_streams.append([list(b.changes.items()) for b in event.branches])
    compiled: list[CompiledEvent] = []
    for ev, raw in zip(events, change_streams, strict=True):
        per_branch: list[tuple[Change, ...]] = []
        for items in raw:
            changes: list[Change] = []
            for key, value in items:
                target = resolve(scenario, key)
                op, parsed = parse_change(target, value)
                resolve_ids = dict(target.options)
                dist = distribution_of(parsed)
                s = -1
                if dist is not None:
                    s = stream
                    stream += 1
                number = resolve_ids[parsed] if isinstance(parsed, str) else float(parsed)
                low, high = _limits(target)
                changes.append(
                    Change(key, _slot(target), op, number, dist, s, low, high, resolve_ids)
                )
            per_branch.append(tuple(changes))
        compiled.append(
            CompiledEvent(
                ev.id,
                ev.date,
                ev.parent,
                ev.branch_ids,
                ev.probability,
                tuple(per_branch),
                ev.stream,
            )
        )
    return Model(
        scenario=scenario.id,
        scenario_hash=content_hash(scenario),
        space=Space.of(scenario),
        actor_ids=tuple(a.id for a in actors),
        public_ids=tuple(p.id for p in publics),
        veto=np.array([a for a, actor in enumerate(actors) if actor.veto], dtype=np.intp),
        at=at,
        stance_order=tuple(order),
        explicit=explicit,
        base=base,
        rules=tuple(compile_rules(p, issues)[0] for p in publics),
        inputs=tuple(inputs),
        events=tuple(compiled),
        streams=stream,
    )


def uniforms(seed: int, start: int, stop: int, streams: int) -> NDArray[np.float64]:
    """Uniform numbers in [0, 1) for draws ``start .. stop-1``: shape (stop-start, streams).

    Counter-based: draw ``d`` always gets the same row, whatever chunk it is
    computed in. The generator is Philox4x64-10 (Salmon et al. 2011,
    https://doi.org/10.1145/2063384.2063405) keyed by ``seed``; draw ``d``
    takes the 64-bit outputs ``d*W .. d*W + streams - 1`` with ``W`` =
    ``streams`` rounded up to a multiple of 4 (one Philox block), converted
    to doubles as ``(x >> 11) * 2**-53``.

    Examples
    --------
    >>> a = uniforms(7, 0, 10, 3)
    >>> bool(np.array_equal(a[4:9], uniforms(7, 4, 9, 3)))
    True
    """
    width = max(4, -(-streams // 4) * 4)
    bits = np.random.Philox(key=seed)
    bits.advance(start * width // 4)
    out = np.random.Generator(bits).random((stop - start, width))
    return out[:, :streams]


def draw_inputs(model: Model, u: NDArray[np.float64], at: dt.date | None = None) -> Inputs:
    """Inputs for a batch of uniform rows.

    Parameters
    ----------
    model : Model
    u : ndarray of float64, shape (B, model.streams)
    at : date, optional
        Events dated after it do not happen; None: every event happens.

    Returns
    -------
    Inputs
    """
    n = u.shape[0]
    arrays = {k: np.repeat(v[None], n, axis=0) for k, v in model.base.items()}
    drawn = np.empty((n, len(model.inputs)))
    for k, inp in enumerate(model.inputs):
        name, index = inp.slot
        x = inp.distribution.ppf(u[:, k], inp.resolve)
        arrays[name][(slice(None), *index)] = x  # type: ignore[index]
        drawn[:, k] = x
    branch = np.full((n, len(model.events)), -1, dtype=np.int16)
    for e, event in enumerate(model.events):
        if at is not None and event.date > at:
            continue
        if event.parent >= 0:
            probs = event.probability[branch[:, event.parent]]
        else:
            probs = np.broadcast_to(event.probability[0], (n, event.probability.shape[1]))
        cum = np.cumsum(probs, axis=1)[:, :-1]
        chosen = (u[:, event.stream, None] >= cum).sum(axis=1).astype(np.int16)
        branch[:, e] = chosen
        for b, changes in enumerate(event.changes):
            mask = chosen == b
            if not changes or not mask.any():
                continue
            for change in changes:
                name, index = change.slot
                where = (mask, *index)
                if change.distribution is None:
                    value: Any = change.value
                else:
                    value = change.distribution.ppf(u[mask, change.stream], change.resolve)
                if change.op == "add":
                    value = np.clip(arrays[name][where] + value, change.low, change.high)
                arrays[name][where] = value
    return Inputs(
        position=arrays["position"],
        salience=arrays["salience"],
        values=arrays["values"],
        power=arrays["power"],
        batna=arrays["batna"],
        threshold=arrays["threshold"],
        reject=arrays["reject"],
        branch=branch,
        drawn=drawn,
    )
