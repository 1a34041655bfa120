"""The compiled problem: batched arrays and index maps (see :mod:`offramp.problem`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from offramp.problem.bodies import Body
from offramp.problem.space import Space
from offramp.scenario.distributions import Distribution
from offramp.scenario.rules import RuleTable
from offramp.scenario.schema import Dynamics, Scenario

__all__ = [
    "APPLIES_ABOVE",
    "BATCHED",
    "Change",
    "CompiledEvent",
    "Problem",
    "Slot",
    "UncertainInput",
]

Slot = tuple[str, tuple[int, ...]]
"""Where an input lives: the name of a batched array and its index after the batch axis."""

BATCHED = ("position", "salience", "values", "power", "batna", "threshold", "reject", "never_p")
"""The inputs with a leading batch axis that draws and events change."""

APPLIES_ABOVE = 0.5
"""A batch of one (the deterministic analysis) applies a red line whose probability of
holding is above this: the draw at ``u = 0.5`` (:mod:`offramp.settle.redlines`)."""


@dataclass(frozen=True)
class UncertainInput:
    """One uncertain input: its dotted path, distribution, and array slot.

    ``more`` lists further indices of the same array that the same draw fills
    (a red line's ``never_p`` for the whole line is one number for every
    option on it).
    """

    name: str
    slot: Slot
    distribution: Distribution
    resolve: dict[str, float] = field(default_factory=dict)
    more: tuple[tuple[int, ...], ...] = ()


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
        (:mod:`offramp.settle.redlines`); the compiled batch of one applies a
        line whose probability of holding is above :data:`APPLIES_ABOVE`,
        draws draw it.
    never_p : ndarray of float64, shape (B, A, I, K)
        Probability that each actor's red line rules each option out (0: not
        on a line): an input like the others (drawn when uncertain, changed
        by events).
    bodies : tuple of Body, length P + L
        The publics, then the legislatures, compiled with their routes
        (:mod:`offramp.problem.bodies`): the route each package takes there
        and how the vote goes; :meth:`body_rejects` applies them.
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
    >>> from offramp.problem import compile_problem
    >>> from offramp.scenario import load_scenario
    >>> p = compile_problem(load_scenario(Path(__file__).parents[3] / "scenarios"
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
    bodies: tuple[Body, ...]
    dynamics: Dynamics | None
    inputs: tuple[UncertainInput, ...]
    events: tuple[CompiledEvent, ...]
    streams: int
    never_p: NDArray[np.float64]
    red_line_streams: tuple[tuple[int, int, int], ...] = ()
    """(actor, issue, stream) of every stance with a red line (in the base case or after
    an event's ``never`` change): one uniform each, after the other streams; a draw rules
    option k out when u < never_p[b, a, i, k]."""

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
    def body_ids(self) -> tuple[str, ...]:
        """Ids of the publics, then the legislatures (the order of :attr:`bodies`)."""
        return tuple(b.id for b in self.bodies)

    @property
    def input_names(self) -> tuple[str, ...]:
        """Dotted paths of the uncertain inputs, in stream order."""
        return tuple(i.name for i in self.inputs)

    @cached_property
    def tables(self) -> list[NDArray[np.float64]]:
        """Weighted option values ``w_ai * v_ai(option)``, one array (B, A, K_i) per issue.

        The arithmetic of :func:`offramp.settle.space.utility_tables`, per problem of the batch.
        """
        return self.tables_for(np.arange(len(self.actor_ids)))

    def tables_for(self, actors: NDArray[np.intp]) -> list[NDArray[np.float64]]:
        """:attr:`tables` of some actors only, one array (B, len(actors), K_i) per issue.

        The sweep kernel needs the veto actors' only; same numbers as :attr:`tables`.
        """
        n = self.batch
        sizes = self.space.sizes
        out = [np.zeros((n, len(actors), k)) for k in sizes]
        for row, a in enumerate(actors):
            order = self.stance_order[a]
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
                out[i][:, row, :] = w[:, None] * values
        return out

    def tables_of(self, b: int = 0) -> list[NDArray[np.float64]]:
        """The utility tables of one problem of the batch, each of shape (A, K_i)."""
        return [t[b] for t in self.tables]

    @cached_property
    def capability(self) -> NDArray[np.float64]:
        """Capability on each issue, shape (B, A, I): a stance's ``power``, else the actor's."""
        own = self.stance_power[None, :, :]
        return np.where(np.isnan(own), self.power[:, :, None], own)

    @cached_property
    def attention(self) -> NDArray[np.float64]:
        """Saliences as the forecast models read them, shape (B, A, I).

        Each actor's salience over its largest (its most important issue has
        1; 0 without a stance, and for an actor whose saliences are all 0):
        relative priorities kept, comparable across actors, in [0, 1]
        (:mod:`offramp.forecast.scenario`).
        """
        own = np.where(self.stance[None], self.salience, 0.0)
        top = own.max(axis=2, initial=0.0)[:, :, None]
        scaled: NDArray[np.float64] = np.divide(own, top, out=np.zeros_like(own), where=top > 0)
        return scaled

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

    def body_rejects(self, options: NDArray[np.intp]) -> NDArray[np.bool_]:
        """Whether every public and legislature rejects packages, shape (B, P + L, n).

        Each body votes by the route a package takes there
        (:mod:`offramp.problem.bodies`); a public with its problem's
        (possibly drawn) rejection shares and own threshold, a legislature
        at its blocs' point values. A body that does not vote on a package
        does not reject it. Without routes this is ``rejection(options) >=
        threshold`` for the publics.

        Parameters
        ----------
        options : ndarray of intp, shape (n, I)
            Option index of every issue of every package.

        Examples
        --------
        >>> from pathlib import Path
        >>> from offramp.problem import compile_problem
        >>> from offramp.scenario import load_scenario
        >>> p = compile_problem(load_scenario(Path(__file__).parents[3] / "scenarios"
        ...                                   / "ukraine-2024-09.yaml"))
        >>> plan = p.space.index_of(next(x for x in p.scenario.packages
        ...                              if x.id == "vance_plan").options)
        >>> p.body_ids, p.body_rejects(plan[None, :])[0, :, 0].tolist()
        (('ukraine_public', 'rada'), [True, True])
        """
        n = options.shape[0]
        out = np.zeros((self.batch, len(self.bodies), n), dtype=bool)
        n_p = len(self.public_ids)
        for q, body in enumerate(self.bodies):
            cells = body.cells(options)
            if q >= n_p:  # a legislature: point values
                out[:, q, :] = body.rejects(options)[None, :]
                continue
            rule = body.rule[cells]
            share = self.reject[:, q, :][:, np.maximum(rule, 0)]
            share[:, rule < 0] = 1.0
            out[:, q, :] = ~body.passes(cells[None, :], share, self.threshold[:, q, None])
        return out

    def rule_rejection(self, p: int, b: int = 0) -> NDArray[np.float64]:
        """Public ``p``'s predicted rejection of every combination of its rules' issues.

        Shape ``(prod(rules[p].sizes),)``, combinations in row-major order
        (:class:`offramp.scenario.rules.RuleTable`), for problem ``b`` of the batch.
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
        >>> from offramp.problem import compile_problem
        >>> from offramp.scenario import load_scenario
        >>> p = compile_problem(load_scenario(Path(__file__).parents[3] / "scenarios"
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
        if any(change.slot[0] == "never_p" for change in changes):
            arrays["never"] = self.point_never(arrays["never_p"])
        return self.with_inputs(**arrays)

    def point_never(self, never_p: NDArray[np.float64]) -> tuple[NDArray[np.bool_], ...]:
        """Red-line masks as the deterministic analysis applies them (above :data:`APPLIES_ABOVE`).

        Parameters
        ----------
        never_p : ndarray of float64, shape (B, A, I, K)

        Returns
        -------
        tuple of ndarray of bool, each of shape (B, A, K_i)
        """
        return tuple(never_p[:, :, i, :k] > APPLIES_ABOVE for i, k in enumerate(self.space.sizes))
