"""The scenario compiled once: arrays and index maps with a leading batch axis.

A :class:`~offramp.scenario.Scenario` is the analyst's document: ids,
labels, sources, distributions. Every engine (the settlement analysis,
merge and counts, the bargaining solutions, the sweep kernel, the
negotiation, durability, the forecast models) reads the same numbers from
it, so :func:`compile_problem` turns it into a :class:`Problem` once, at the
edge (the CLI, the report, the web app), and the engines take that.

Every number an event or a draw can change has a leading batch axis ``B``:
a compiled scenario is a batch of one (``B = 1``, the point values), and a
sweep's draws are one batched Problem (:func:`offramp.uncertainty.model.draw`),
not a loop of scenarios. Shapes use ``A`` actors, ``I`` issues, ``K`` the
largest number of options of an issue (``K_i`` issue ``i``'s), ``P``
publics and ``R`` the largest number of rules of a public.

Interpretive choices
--------------------
* **Utility tables** (:attr:`Problem.tables`) are the weighted option values
  ``w_ai * v_ai(option)`` of :mod:`offramp.settle.space`, computed with the same
  floating-point operations in the same order (so every engine's utilities
  are bit-identical to :func:`offramp.settle.space.utility_tables`); an actor whose
  saliences are all 0 is indifferent (utility 0) instead of dividing by 0.
* **Uncertain inputs enter at their central value** (the number written
  beside the distribution); the distributions and the events are compiled
  too (:attr:`Problem.inputs`, :attr:`Problem.events`), for the sweep to draw.
* **Batnas** of actors without one are 0.0 (the analysis's convention);
  :attr:`Problem.has_batna` says which actors gave one.
* **Red lines and routes** (``never``, ``routes``) have neutral defaults
  here: no option is a red line of anyone, and every public votes once on
  the final text (the rules of :mod:`offramp.scenario.rules`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from math import prod
from typing import Any

import numpy as np
from numpy.typing import NDArray

from offramp.errors import PackageError
from offramp.scenario.distributions import Distribution, distribution_of
from offramp.scenario.load import content_hash
from offramp.scenario.paths import Target, parse_change, resolve
from offramp.scenario.rules import RuleTable, compile_rules
from offramp.scenario.schema import Dynamics, Scenario

__all__ = [
    "BATCHED",
    "Change",
    "CompiledEvent",
    "Problem",
    "Space",
    "UncertainInput",
    "compile_problem",
]

Slot = tuple[str, tuple[int, ...]]
"""Where an input lives: the name of a batched array and its index after the batch axis."""

BATCHED = ("position", "salience", "values", "power", "batna", "threshold", "reject")
"""The inputs with a leading batch axis that draws and events change."""


@dataclass(frozen=True)
class Space:
    """The packages of a scenario: one option per issue.

    Examples
    --------
    >>> space = Space(("a", "b"), (("x", "y"), ("p", "q", "r")))
    >>> space.size, space.package(4)
    (6, {'a': 'y', 'b': 'q'})
    >>> space.options_of(np.array([0, 5])).tolist()
    [[0, 0], [1, 2]]
    """

    issue_ids: tuple[str, ...]
    option_ids: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, scenario: Scenario) -> Space:
        """The space of a scenario's issues."""
        return cls(
            tuple(issue.id for issue in scenario.issues),
            tuple(tuple(o.id for o in issue.options) for issue in scenario.issues),
        )

    @property
    def sizes(self) -> tuple[int, ...]:
        """Number of options of each issue."""
        return tuple(len(options) for options in self.option_ids)

    @property
    def size(self) -> int:
        """Number of packages (an exact Python int, however large)."""
        return prod(self.sizes)

    def options_of(self, index: NDArray[np.int64]) -> NDArray[np.intp]:
        """Option index of every issue for package indices, shape (n,) -> (n, n_issues)."""
        return np.stack(np.unravel_index(np.asarray(index, dtype=np.int64), self.sizes), axis=1)

    def index_of(self, package: Mapping[str, str]) -> NDArray[np.intp]:
        """Option index of every issue of a package given as ``{issue id: option id}``.

        Issues the space does not have are ignored.

        Parameters
        ----------
        package : Mapping[str, str]
            An option id for every issue.

        Returns
        -------
        ndarray of intp, shape (n_issues,)

        Raises
        ------
        PackageError
            If the package misses an issue or names an option the issue does
            not have; the message names the issue and lists its options.

        Examples
        --------
        >>> space = Space(("a", "b"), (("x", "y"), ("p", "q", "r")))
        >>> space.index_of({"a": "y", "b": "q"}).tolist()
        [1, 1]
        >>> space.index_of({"a": "z"})
        Traceback (most recent call last):
        ...
        offramp.errors.PackageError: the package needs one of x, y for issue `a`; got 'z'
        """
        options = []
        for issue, ids in zip(self.issue_ids, self.option_ids, strict=True):
            chosen = package.get(issue)
            if chosen not in ids:
                raise PackageError(
                    f"the package needs one of {', '.join(ids)} for issue `{issue}`; got {chosen!r}"
                )
            options.append(ids.index(chosen))
        return np.array(options, dtype=np.intp)

    def package(self, index: int) -> dict[str, str]:
        """A package index as ``{issue id: option id}``."""
        options = np.unravel_index(int(index), self.sizes)
        return {
            i: o[int(k)] for i, o, k in zip(self.issue_ids, self.option_ids, options, strict=True)
        }


@dataclass(frozen=True)
class UncertainInput:
    """One uncertain input: its dotted path, distribution, and array slot."""

    name: str
    slot: Slot
    distribution: Distribution
    resolve: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """What a branch does to one input: set it to, or add, a number or a draw.

    ``value`` is the number (an option id resolved to its ``at``; a
    distribution's central value), ``stream`` the uniform stream of the
    distribution (-1 without one), ``low``/``high`` the input's range (an
    ``add`` is clipped to it).
    """

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

    ``probability`` has shape (number of parent branches or 1, number of
    branches); ``stream`` is the uniform stream that picks the branch.
    """

    id: str
    date: dt.date
    parent: int
    branch_ids: tuple[str, ...]
    probability: NDArray[np.float64]
    changes: tuple[tuple[Change, ...], ...]
    stream: int
    label: str = ""
    branch_labels: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Problem:
    """A scenario compiled to arrays: the one input of every engine.

    Attributes
    ----------
    scenario : Scenario
        The validated scenario it was compiled from, for presenting results
        (titles, labels, sources, provenance); engines read the arrays.
    scenario_hash : str
        :func:`offramp.scenario.load.content_hash` of the scenario.
    space : Space
        Issue and option ids, in scenario order; packages and their indices.
    actor_ids, actor_labels : tuple of str, length A
    public_ids, public_labels : tuple of str, length P
    public_of : ndarray of intp, shape (P,)
        The actor whose signature each public ratifies.
    issue_labels : tuple of str, length I
    option_labels : tuple of tuple of str
        Per issue, its options' labels.
    notes : tuple of (str or None), length I
        What each issue's scale means (its ``notes:``), for presenting.
    veto : ndarray of bool, shape (A,)
        Whether each actor's consent is needed.
    has_batna : ndarray of bool, shape (A,)
        Whether each actor gave a batna.
    at : ndarray of float64, shape (I, K)
        Each option's place on its issue's 0-100 scale (NaN past ``K_i``).
    stance : ndarray of bool, shape (A, I)
        Whether each actor has a stance on each issue.
    stance_order : tuple of tuple of int, length A
        Each actor's stances' issues in file order (the order saliences are summed).
    explicit : ndarray of bool, shape (A, I)
        Whether the stance gives explicit ``values``.
    stance_power : ndarray of float64, shape (A, I)
        A stance's own ``power`` (capability on that issue), NaN: the actor's.
    position, salience : ndarray of float64, shape (B, A, I)
        Positions on the 0-100 scale and raw saliences (0 without a stance).
    values : ndarray of float64, shape (B, A, I, K)
        Explicit option values (0 where not explicit).
    power : ndarray of float64, shape (B, A)
        Capability.
    batna : ndarray of float64, shape (B, A)
        Utility of no settlement (0.0 for actors without one).
    threshold : ndarray of float64, shape (B, P)
        A public ratifies when its predicted rejection is below this.
    reject : ndarray of float64, shape (B, P, R)
        Each rule's predicted rejection share (1.0 past a public's rules).
    rules : tuple of RuleTable, length P
        Compiled ratification rules: which rule decides each combination.
    never : tuple of ndarray of bool, each of shape (B, A, K_i)
        Red lines: options an actor rejects whatever else the package gives
        (filled by the credible-settlements change; all False here).
    routes : tuple
        Compiled ratification routes (empty: every public votes once on the
        final text by its rules).
    dynamics : Dynamics or None
        Power trajectories, war costs and option effects (durability).
    inputs : tuple of UncertainInput
        The uncertain inputs, in stream order.
    events : tuple of CompiledEvent
        The events, in file (date) order.
    streams : int
        Uniform numbers one draw takes (inputs, events, drawn changes).

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> p = compile_problem(load_scenario(Path(__file__).parents[2] / "scenarios"
    ...                                   / "textbook-two-party.yaml"))
    >>> p.batch, p.actor_ids, [t.shape for t in p.tables]
    (1, ('north', 'south'), [(1, 2, 3), (1, 2, 2), (1, 2, 2)])
    """

    scenario: Scenario
    scenario_hash: str
    space: Space
    actor_ids: tuple[str, ...]
    actor_labels: tuple[str, ...]
    public_ids: tuple[str, ...]
    public_labels: tuple[str, ...]
    public_of: NDArray[np.intp]
    issue_labels: tuple[str, ...]
    option_labels: tuple[tuple[str, ...], ...]
    notes: tuple[str | None, ...]
    veto: NDArray[np.bool_]
    has_batna: NDArray[np.bool_]
    at: NDArray[np.float64]
    stance: NDArray[np.bool_]
    stance_order: tuple[tuple[int, ...], ...]
    explicit: NDArray[np.bool_]
    stance_power: NDArray[np.float64]
    position: NDArray[np.float64]
    salience: NDArray[np.float64]
    values: NDArray[np.float64]
    power: NDArray[np.float64]
    batna: NDArray[np.float64]
    threshold: NDArray[np.float64]
    reject: NDArray[np.float64]
    rules: tuple[RuleTable, ...]
    never: tuple[NDArray[np.bool_], ...]
    routes: tuple[object, ...]
    dynamics: Dynamics | None
    inputs: tuple[UncertainInput, ...]
    events: tuple[CompiledEvent, ...]
    streams: int

    @property
    def id(self) -> str:
        """The scenario's id."""
        return self.scenario.id

    @property
    def as_of(self) -> dt.date:
        """The scenario's date (events and negotiation rounds count from it)."""
        return self.scenario.as_of

    @property
    def batch(self) -> int:
        """Number of problems in the batch (B)."""
        return int(self.power.shape[0])

    @property
    def veto_index(self) -> NDArray[np.intp]:
        """Positions of the veto actors among the actors, shape (V,)."""
        return np.flatnonzero(self.veto).astype(np.intp)

    @property
    def input_names(self) -> tuple[str, ...]:
        """Dotted paths of the uncertain inputs, in stream order."""
        return tuple(i.name for i in self.inputs)

    @cached_property
    def tables(self) -> list[NDArray[np.float64]]:
        """Weighted option values ``w_ai * v_ai(option)``, one array (B, A, K_i) per issue.

        The arithmetic of :func:`offramp.settle.space.utility_tables`, per problem of the batch.
        """
        n = self.batch
        sizes = self.space.sizes
        out = [np.zeros((n, len(self.actor_ids), k)) for k in sizes]
        for a, order in enumerate(self.stance_order):
            if not order:
                continue
            sal = self.salience[:, a, :]
            total = sal[:, order[0]].copy()
            for i in order[1:]:
                total = total + sal[:, i]
            safe = np.where(total > 0, total, 1.0)
            for i in order:
                k = sizes[i]
                if self.explicit[a, i]:
                    values = self.values[:, a, i, :k]
                else:
                    values = (
                        1.0 - np.abs(self.at[i, :k][None, :] - self.position[:, a, i, None]) / 100.0
                    )
                w = np.where(total > 0, sal[:, i] / safe, 0.0)
                out[i][:, a, :] = w[:, None] * values
        return out

    def tables_of(self, b: int = 0) -> list[NDArray[np.float64]]:
        """The utility tables of one problem of the batch, each of shape (A, K_i)."""
        return [t[b] for t in self.tables]

    @cached_property
    def capability(self) -> NDArray[np.float64]:
        """Capability on each issue, shape (B, A, I): a stance's ``power``, else the actor's."""
        own = self.stance_power[None, :, :]
        return np.where(np.isnan(own), self.power[:, :, None], own)

    def rejection(self, options: NDArray[np.intp]) -> NDArray[np.float64]:
        """Every public's predicted rejection of packages, shape (B, P, n).

        Parameters
        ----------
        options : ndarray of intp, shape (n, I)
            Option index of every issue of every package.
        """
        n = options.shape[0]
        out = np.ones((self.batch, len(self.rules), n))
        for p, table in enumerate(self.rules):
            if table.issues:
                flat = np.ravel_multi_index(tuple(options[:, i] for i in table.issues), table.sizes)
                rule = table.rule[flat]
            else:
                rule = np.broadcast_to(table.rule[0], (n,))
            share = self.reject[:, p, :][:, np.maximum(rule, 0)]
            share[:, rule < 0] = 1.0
            out[:, p, :] = share
        return out

    def rule_rejection(self, p: int, b: int = 0) -> NDArray[np.float64]:
        """Public ``p``'s predicted rejection of every combination of its rules' issues.

        Shape ``(prod(rules[p].sizes),)``, combinations in row-major order
        (:class:`offramp.ratify.RuleTable`), for problem ``b`` of the batch.
        """
        rule = self.rules[p].rule
        share = self.reject[b, p][np.maximum(rule, 0)]
        return np.where(rule < 0, 1.0, share)

    def take(self, b: int) -> Problem:
        """Problem ``b`` of the batch, as a batch of one."""
        return self.with_inputs(
            **{name: getattr(self, name)[b : b + 1] for name in BATCHED},
            never=tuple(m[b : b + 1] for m in self.never),
        )

    def with_inputs(self, **arrays: Any) -> Problem:
        """The same problem with other batched inputs (names of :data:`BATCHED`, ``never``).

        The batch size of the new arrays may differ; inputs not given are
        repeated to it when the problem is a batch of one.
        """
        n = next(iter(arrays.values())).shape[0] if arrays else self.batch
        full: dict[str, Any] = {}
        for name in BATCHED:
            value = arrays.get(name, getattr(self, name))
            if value.shape[0] != n:
                value = np.repeat(value[:1], n, axis=0)
            full[name] = value
        never = arrays.get("never", self.never)
        full["never"] = tuple(m if m.shape[0] == n else np.repeat(m[:1], n, axis=0) for m in never)
        return replace(self, **full)

    def with_changes(self, changes: Sequence[Change]) -> Problem:
        """The problem with changes applied at their point values, in order.

        ``set`` takes the change's value; ``add`` adds it and clips to the
        input's range (as a sweep does, without drawing).

        Examples
        --------
        >>> from pathlib import Path
        >>> from offramp.scenario import load_scenario
        >>> p = compile_problem(load_scenario(Path(__file__).parents[2] / "scenarios"
        ...                                   / "ukraine-2024-09.yaml"))
        >>> e = p.events[0]
        >>> changed = p.with_changes(e.changes[0])
        >>> changed.batch, bool((changed.batna != p.batna).any() or (changed.salience
        ...     != p.salience).any() or (changed.position != p.position).any())
        (1, True)
        """
        arrays = {name: getattr(self, name).copy() for name in BATCHED}
        for change in changes:
            name, index = change.slot
            where = (slice(None), *index)
            value: Any = change.value
            if change.op == "add":
                value = np.clip(arrays[name][where] + value, change.low, change.high)
            arrays[name][where] = value
        return self.with_inputs(**arrays)


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


def compile_problem(scenario: Scenario) -> Problem:
    """Compile a validated scenario to a :class:`Problem` (a batch of one).

    This is the only compile: the CLI, the report and the web app call it
    once per command or request and hand the Problem to every engine.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> p = compile_problem(load_scenario(Path(__file__).parents[2] / "scenarios"
    ...                                   / "ukraine-2024-09.yaml"))
    >>> float(p.batna[0, p.actor_ids.index("russia")]), p.space.size
    (0.7, 5184)
    """
    return _compile(scenario)


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

    def note(name: str, slot: Slot, value: object, resolve_ids: dict[str, float]) -> None:
        dist = distribution_of(value)
        if dist is not None:
            inputs.append(UncertainInput(name, slot, dist, resolve_ids))

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

    events, streams = _events(scenario, len(inputs))
    sizes = [len(issue.options) for issue in issues]
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
        notes=tuple(getattr(i, "notes", None) for i in issues),
        veto=np.array([a.veto for a in actors], dtype=bool),
        has_batna=np.array([a.batna is not None for a in actors], dtype=bool),
        at=at,
        stance=stance,
        stance_order=tuple(order),
        explicit=explicit,
        stance_power=stance_power,
        **{name: value[None] for name, value in base.items()},
        rules=tuple(compile_rules(p, issues)[0] for p in publics),
        never=tuple(np.zeros((1, n_a, k), dtype=bool) for k in sizes),
        routes=(),
        dynamics=scenario.dynamics,
        inputs=tuple(inputs),
        events=events,
        streams=streams,
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
    compiled: list[CompiledEvent] = []
    for ev, event in zip(events, scenario.events, strict=True):
        per_branch: list[tuple[Change, ...]] = []
        for branch in event.branches:
            changes: list[Change] = []
            for key, value in branch.changes.items():
                target = resolve(scenario, key)
                op, parsed = parse_change(target, value)
                resolve_ids = dict(target.options)
                dist = distribution_of(parsed)
                s = -1
                if dist is not None:
                    s = stream
                    stream += 1
                number = resolve_ids[parsed] if isinstance(parsed, str) else float(parsed)
                changes.append(
                    Change(
                        key,
                        _slot(target),
                        op,
                        number,
                        dist,
                        s,
                        target.low,
                        target.high,
                        resolve_ids,
                    )
                )
            per_branch.append(tuple(changes))
        compiled.append(replace(ev, changes=tuple(per_branch)))
    return tuple(compiled), stream
