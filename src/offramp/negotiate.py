"""Negotiation over time: a stacked alternating-offers protocol among the veto actors.

The protocol is the *stacked alternating offers protocol* (SAOP) for
multilateral negotiation (Aydoğan, Festen, Hindriks & Jonker 2017). The veto
actors sit around a table and take turns in a fixed order, one turn each per
round. The first actor opens with an offer (a package); on its turn, every
actor then either

* **accepts** the offer on the table,
* makes a counter-offer (**offer**), which rejects and replaces it, or
* walks away (**reject**), which ends the talks without agreement.

A package is agreed when every actor other than the one who offered it has
accepted it in consecutive turns. The talks also end without agreement at the
deadline (after the last turn of round ``deadline - 1``).

Concession strategies
---------------------
``boulware``, ``linear``, ``conceder`` (time-dependent tactics, Faratin,
Sierra & Jennings 1998, section 4.1, polynomial family)
    The actor's target utility at relative time ``t = round / (deadline - 1)``
    is ``u_max - t ** (1 / beta) * (u_max - batna)``: ``beta < 1`` is
    Boulware (holds firm, concedes at the end), ``beta = 1`` linear,
    ``beta > 1`` conceder (concedes early). Defaults: ``beta = 0.25`` for
    Boulware and ``4`` for conceder (the exponents NegMAS uses for its
    ``boulware`` and ``conceder`` aspiration curves); ``boulware:0.1`` sets
    ``beta`` explicitly. ``u_max`` is the actor's best utility over the
    packages it can sign, and the curve reaches its batna in the last round
    (Faratin's ``kappa = 0``).
``tit_for_tat`` (behaviour-dependent tactic, Faratin et al. 1998, section 4.3,
"absolute tit-for-tat", in utility space)
    The actor concedes, from its best package, as much utility as the other
    actors have conceded to it: its target is ``u_max - mean_b c_b`` where
    ``c_b`` is how much better (for this actor) actor ``b``'s best offer so
    far is than ``b``'s first offer. It never goes below its batna. Two
    tit-for-tat actors that both open with their best package never move:
    reciprocation needs someone to make the first concession.
``best_acceptable`` (a proposer's best response, the logic of Rubinstein 1982)
    The actor offers the package best for itself among those it expects every
    other actor to accept on its next turn. It expects actor ``b`` to accept a
    package worth at least ``min(u_b(b's latest offer), linear_b(t_next))``
    to ``b`` and more than ``b``'s batna, where ``linear_b`` is ``b``'s
    linear concession curve (Faratin et al. 1998 with ``beta = 1``): before
    ``b`` has offered anything, or when ``b`` is tougher than linear, the
    linear curve stands in. When no package meets every expectation it offers
    its own best package.

Acceptance (every strategy): an actor accepts the offer on the table when it
is above its batna and at least as good as what it would itself offer on its
next turn less one round's cost of delay (the ``AC_next`` condition of
Baarslag, Hindriks & Jonker 2014, with the delay cost as its margin); in the
last round it accepts anything above its batna. Counter-offers are chosen, among
the packages at or above the actor's target, as the one best for the others:
the largest smallest gain over batna of the other actors (complete
information: the scenario's utilities are common knowledge), ties to the
actor's own higher utility, then to the first package in option order.

Options of the time-dependent strategies
----------------------------------------
Named options (``boulware:offer=closest_above,accept=now,...``; see
:func:`parse_strategy`) replace the defaults above by the rules of the
time-dependent agent that ignores the others' utilities, as NegMAS implements
it in ``BoulwareTBNegotiator``, ``LinearTBNegotiator`` and
``ConcederTBNegotiator`` (Mohammad, Nakadai & Greenwald 2021; the behaviour
of NegMAS 0.16.0's ``TimeBasedConcedingNegotiator`` and ``SAOMechanism``,
read from their documentation and source to learn what they do, never
copied):

``offer=closest_above`` (:data:`OFFER_RULES`)
    The counter-offer is the package whose utility *for the actor* is lowest
    among those at or above its target: the package at its aspiration level.
    Faratin et al. 1998 set each issue's value on the concession curve; over
    a discrete set of packages scored in utility, the closest package at or
    above the curve is as near as the actor can get without conceding more
    than the curve allows. No model of the others. Ties (equal own utility)
    go to the first package in option order.
``accept=now`` (:data:`ACCEPT_RULES`)
    Accept an offer above the batna worth at least the actor's target at
    this turn (less one round's cost of delay): the value of the
    counter-offer it would send in reply, which is Faratin et al.'s
    interpretation of an offer (accept when the offer received is worth at
    least the contract the agent would send back at that time) and the
    ``AC_next`` condition with ``alpha = 1, beta = 0`` of Baarslag et al.
    2014 read with "the next bid" as the reply it is about to send. No
    last-round rule. (With ``offer=closest_above`` the counter-offer's value
    is the lowest package value at or above the target, so comparing with
    the target and with the counter-offer's value decide alike.)
``clock=open`` (:data:`CLOCKS`)
    Relative time ``t = (round + 1) / (deadline + 1)``, NegMAS's relative
    time of step ``round`` of an ``n_steps = deadline`` negotiation, instead
    of ``round / (deadline - 1)``. The curve then never reaches the floor:
    in the last round the target is still ``1 - (D / (D + 1)) ** (1 / beta)``
    of the way from the floor to ``u_max`` (7.6% for Boulware at 50 rounds),
    so a thin ZOPA can be missed.
``floor=worst`` (:data:`FLOORS`)
    The curve ends at the larger of the batna and the actor's worst allowed
    package, not at the batna (NegMAS scales its aspiration to the utility
    range between the best outcome and the larger of the worst outcome and
    the reserved value). It matters only when every package beats the batna.
``slack=NUMBER``
    The target is lowered by this much utility, for offers and acceptance
    alike (NegMAS's time-based negotiators widen their aspiration band by
    their ``eps``, ``1e-4``).

With all of them (``boulware:offer=closest_above,accept=now,clock=open,
floor=worst,slack=0.0001``) two offramp Boulware actors reach the same
agreement, in the same round, as two NegMAS 0.16.0 ``BoulwareTBNegotiator``
agents in an ``SAOMechanism`` with ``n_steps = deadline`` on every one of the
500 random domains of ``benchmarks/bench_negotiate.py`` (see
``docs/negotiation.md``). Differences that remain below that level: NegMAS
breaks ties in own utility by the order of its sorted outcome list and its
inverter also takes a package up to ``1e-6`` below the band, so 1.6% of
those domains show a different offer somewhere in the history; and NegMAS
accepts an offer worth exactly the reserved value, offramp only one worth
more (an agreement is strictly inside the ZOPA).

Interpretive choices
--------------------
* Only packages every public would ratify can be offered or accepted (the
  two-level game of Putnam 1988: a signature the public will not ratify is
  worthless), and nobody offers or accepts a package not strictly above its
  batna, so an agreement always lies in the ratified ZOPA *at the time it is
  reached*.
* An actor with no package above its batna walks away on its first turn.
* Cost of delay: every round without agreement costs each actor ``cost[a]``
  utility (a round of war). It is sunk whether or not the talks succeed, so
  it does not move the batna; it makes waiting for a better offer costlier
  (the acceptance margin above) and is reported in the actors' net payoffs.
* Changes (the events hook): a :class:`Change` replaces batnas and/or
  utilities at the start of a round; it clears the table (the offer on it
  lapses and the next actor in turn makes a new one), because the actors
  who accepted it did so under the old terms.

Vectorization: the engine :func:`simulate` runs a batch of ``B`` negotiations
at once (a leading batch axis on every array); each turn is a handful of
``(B, n_packages)`` array operations per actor.

References
----------
Aydoğan, R., Festen, D., Hindriks, K. V. & Jonker, C. M. (2017). Alternating
offers protocols for multilateral negotiation. In *Modern Approaches to
Agent-based Complex Automated Negotiation*, Studies in Computational
Intelligence 674, 153-167. https://doi.org/10.1007/978-3-319-51563-2_10

Faratin, P., Sierra, C. & Jennings, N. R. (1998). Negotiation decision
functions for autonomous agents. *Robotics and Autonomous Systems* 24(3-4),
159-182. https://doi.org/10.1016/S0921-8890(98)00029-3

Mohammad, Y., Nakadai, S. & Greenwald, A. (2021). NegMAS: a platform for
automated negotiations. In *PRIMA 2020: Principles and Practice of
Multi-Agent Systems*, LNCS 12568, 343-351.
https://doi.org/10.1007/978-3-030-69322-0_23

Baarslag, T., Hindriks, K. & Jonker, C. (2014). Effective acceptance
conditions in real-time automated negotiation. *Decision Support Systems* 60,
68-77. https://doi.org/10.1016/j.dss.2013.05.021

Rubinstein, A. (1982). Perfect equilibrium in a bargaining model.
*Econometrica* 50(1), 97-109. https://doi.org/10.2307/1912531

Putnam, R. D. (1988). Diplomacy and domestic politics: the logic of two-level
games. *International Organization* 42(3), 427-460.
https://doi.org/10.1017/S0020818300027697
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from offramp.errors import OfframpError, SpaceTooLargeError
from offramp.scenario.rules import compile_rules
from offramp.scenario.schema import Scenario
from offramp.settle.solutions import pareto_filter, solve
from offramp.settle.space import Space, iter_blocks, utility_tables

__all__ = [
    "ACCEPT_RULES",
    "ACTIONS",
    "CLOCKS",
    "FLOORS",
    "MAX_PACKAGES",
    "OFFER_RULES",
    "STRATEGIES",
    "Change",
    "Move",
    "Negotiation",
    "Outcome",
    "Strategy",
    "StrategyError",
    "Trace",
    "event_changes",
    "negotiate",
    "parse_strategy",
    "rounds_until",
    "simulate",
]

ACTIONS = ("offer", "accept", "reject")
"""The actions of the protocol, in the order of their codes 1, 2, 3 in a :class:`Trace`."""

_OFFER, _ACCEPT, _REJECT = 1, 2, 3
_TOL = 1e-12

STRATEGIES: dict[str, tuple[str, float]] = {
    "boulware": ("time", 0.25),
    "linear": ("time", 1.0),
    "conceder": ("time", 4.0),
    "tit_for_tat": ("tit_for_tat", 1.0),
    "best_acceptable": ("best_acceptable", 1.0),
}
"""Strategy names: kind and default parameter (Faratin's ``beta`` for the time-dependent ones)."""


class StrategyError(OfframpError, ValueError):
    """A strategy name or parameter is not one offramp knows."""


OFFER_RULES = ("best_for_others", "closest_above")
"""How a time-dependent actor picks its counter-offer among the packages at or above its target.

``best_for_others`` (default): the package best for the other actors (the
largest smallest gain over batna; complete information). ``closest_above``:
the package whose utility for the actor itself is lowest at or above its
target, the one closest above it (Faratin et al. 1998's offer at the
aspiration level, the "worst outcome within the aspiration band" of NegMAS's
time-based negotiators), with no model of the others.
"""

ACCEPT_RULES = ("next", "now")
"""When an actor accepts the offer on the table (see the module docstring).

``next`` (default): at least its target on its *next* turn less one round's
cost of delay, and anything above its batna in the last round. ``now``: at
least its target on *this* turn less one round's cost of delay, the value of
the counter-offer it would send in reply (Faratin et al. 1998, section 3.3),
with no last-round rule.
"""

CLOCKS = ("closed", "open")
"""How a time-dependent actor reads the deadline: relative time ``t`` of round ``r`` of ``D``.

``closed`` (default): ``t = r / (D - 1)``, 0 in the first round and 1 in the
last, where the target reaches the batna. ``open``: ``t = (r + 1) / (D + 1)``,
the relative time NegMAS's SAO mechanism gives step ``r`` of ``n_steps = D``;
the target never reaches the batna.
"""

FLOORS = ("batna", "worst")
"""Where a time-dependent actor's target curve ends (at ``t = 1``).

``batna`` (default): at its batna. ``worst``: at the larger of its batna and
its worst allowed package, so that it concedes over the utility range of the
packages it could sign (NegMAS scales its aspiration curve to the range
between the best outcome and the larger of the worst outcome and the
reserved value); the two differ only when every package beats the batna.
"""

_OPTIONS: dict[str, tuple[str, ...]] = {
    "offer": OFFER_RULES,
    "accept": ACCEPT_RULES,
    "clock": CLOCKS,
    "floor": FLOORS,
}


@dataclass(frozen=True)
class Strategy:
    """A concession strategy.

    Attributes
    ----------
    name : str
        One of :data:`STRATEGIES`.
    kind : {"time", "tit_for_tat", "best_acceptable"}
    beta : float
        Faratin et al.'s concession parameter of the time-dependent tactics
        (the target curve's exponent is ``1 / beta``); unused otherwise.
    offer : {"best_for_others", "closest_above"}
        Counter-offer rule of the time-dependent tactics (:data:`OFFER_RULES`).
    accept : {"next", "now"}
        Acceptance rule of the time-dependent tactics (:data:`ACCEPT_RULES`).
    clock : {"closed", "open"}
        Relative time of the time-dependent tactics (:data:`CLOCKS`).
    floor : {"batna", "worst"}
        Where the target curve ends (:data:`FLOORS`).
    slack : float
        Utility by which a time-dependent actor lowers its target, both for
        the packages it may offer and for those it accepts (default 0;
        NegMAS's time-based negotiators use ``1e-4``, their ``eps``).
    """

    name: str
    kind: Literal["time", "tit_for_tat", "best_acceptable"]
    beta: float = 1.0
    offer: Literal["best_for_others", "closest_above"] = "best_for_others"
    accept: Literal["next", "now"] = "next"
    clock: Literal["closed", "open"] = "closed"
    floor: Literal["batna", "worst"] = "batna"
    slack: float = 0.0

    def __str__(self) -> str:
        parts = []
        if self.kind == "time" and self.beta != STRATEGIES[self.name][1]:
            parts.append(f"{self.beta:g}")
        parts += [
            f"{key}={getattr(self, key)}"
            for key, values in _OPTIONS.items()
            if getattr(self, key) != values[0]
        ]
        if self.slack:
            parts.append(f"slack={self.slack:g}")
        return f"{self.name}:{','.join(parts)}" if parts else self.name


def parse_strategy(text: str) -> Strategy:
    """A strategy from ``NAME[:OPTION,...]``.

    The options, for the time-dependent strategies only, are ``beta`` (a bare
    number, or ``beta=NUMBER``), ``offer=`` one of :data:`OFFER_RULES`,
    ``accept=`` one of :data:`ACCEPT_RULES`, ``clock=`` one of
    :data:`CLOCKS`, ``floor=`` one of :data:`FLOORS` and ``slack=NUMBER``
    (see :class:`Strategy`).

    Examples
    --------
    >>> parse_strategy("boulware").beta
    0.25
    >>> str(parse_strategy("conceder:2"))
    'conceder:2'
    >>> s = parse_strategy("boulware:offer=closest_above,accept=now,clock=open")
    >>> s.offer, s.accept, s.clock, s.beta
    ('closest_above', 'now', 'open', 0.25)
    >>> str(s)
    'boulware:offer=closest_above,accept=now,clock=open'
    >>> parse_strategy("stubborn")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    offramp.negotiate.StrategyError: unknown strategy `stubborn`; known: boulware, linear, ...
    """
    name, _, parameters = text.strip().partition(":")
    if name not in STRATEGIES:
        raise StrategyError(f"unknown strategy `{name}`; known: {', '.join(STRATEGIES)}")
    kind, beta = STRATEGIES[name]
    chosen: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in parameters.split(","))):
        if kind != "time":
            raise StrategyError(f"`{name}` takes no parameter; got `{text}`")
        key, sep, value = item.partition("=")
        key, value = (key.strip(), value.strip()) if sep else ("beta", key.strip())
        if key == "beta":
            try:
                beta = float(value)
            except ValueError:
                beta = float("nan")
            if not np.isfinite(beta) or beta <= 0:
                raise StrategyError(
                    f"the concession parameter of `{name}` must be a positive number; got `{value}`"
                )
        elif key == "slack":
            try:
                chosen["slack"] = float(value)
            except ValueError:
                chosen["slack"] = float("nan")
            if not np.isfinite(chosen["slack"]) or chosen["slack"] < 0:
                raise StrategyError(
                    f"the slack of `{name}` must be a number 0 or more; got `{value}`"
                )
        elif key in _OPTIONS and value in _OPTIONS[key]:
            chosen[key] = value
        elif key in _OPTIONS:
            raise StrategyError(
                f"`{key}` must be one of {', '.join(_OPTIONS[key])}; got `{value}` in `{text}`"
            )
        else:
            raise StrategyError(
                f"unknown option `{key}` in `{text}`; known: beta, {', '.join(_OPTIONS)}, slack"
            )
    return Strategy(name, kind, beta, **chosen)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Change:
    """New inputs from the start of a round on (the events hook).

    Attributes
    ----------
    round : int
        0-based round at whose start the change applies.
    batna : ndarray of float64, shape (k,) or (B, k), optional
        The actors' new batnas.
    utility : ndarray of float64, shape (k, n) or (B, k, n), optional
        The actors' new utilities of every package.
    label : str
        What happened (for the record).
    """

    round: int
    batna: NDArray[np.float64] | None = None
    utility: NDArray[np.float64] | None = None
    label: str = ""


@dataclass(frozen=True)
class Trace:
    """What happened in a batch of ``B`` negotiations of ``S = deadline * k`` turns.

    Attributes
    ----------
    agreement : ndarray of int64, shape (B,)
        The agreed package index, or -1 (breakdown).
    round : ndarray of int64, shape (B,)
        0-based round of agreement, or -1.
    actor : ndarray of int64, shape (B, S)
        Actor (column of the inputs) who moved at each turn, -1 after the end.
    action : ndarray of int8, shape (B, S)
        0 (no move: the talks had ended), or 1, 2, 3 for :data:`ACTIONS`.
    package : ndarray of int64, shape (B, S)
        The package offered or accepted (for a walk-away: the one on the
        table), -1 when none.
    utility : ndarray of float64, shape (B, k)
        Each actor's utility of the agreement (nan on breakdown), under the
        inputs in force when it was reached.
    batna : ndarray of float64, shape (B, k)
        The batnas in force at the end.
    """

    agreement: NDArray[np.int64]
    round: NDArray[np.int64]
    actor: NDArray[np.int64]
    action: NDArray[np.int8]
    package: NDArray[np.int64]
    utility: NDArray[np.float64]
    batna: NDArray[np.float64]


def _batched(x: NDArray[np.float64], ndim: int, batch: int, what: str) -> NDArray[np.float64]:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == ndim - 1:
        x = x[None]
    if x.ndim != ndim or x.shape[0] not in (1, batch):
        raise ValueError(
            f"{what} has shape {x.shape}; expected a leading batch axis of 1 or {batch}"
        )
    return x


class _State:
    """Mutable per-batch state of :func:`simulate` (engine-private)."""

    def __init__(
        self,
        utility: NDArray[np.float64],
        batna: NDArray[np.float64],
        allowed: NDArray[np.bool_],
        batch: int,
    ) -> None:
        self.allowed = allowed
        self.batch = batch
        self.set_inputs(utility, batna)

    def set_inputs(self, utility: NDArray[np.float64], batna: NDArray[np.float64]) -> None:
        self.utility = utility  # (Bu, k, n), Bu in {1, B}
        self.batna = np.broadcast_to(batna, (self.batch, batna.shape[-1])).copy()
        k = self.batna.shape[1]
        self.umax = np.full((self.batch, k), -np.inf)
        self.umin = np.full((self.batch, k), np.inf)  # worst allowed package
        for a in range(k):
            ua = utility[:, a, :]  # (Bu, n)
            ok = self.allowed[None, :] & (ua > self.batna[:, a, None])  # (B, n)
            self.umax[:, a] = np.where(ok, ua, -np.inf).max(axis=1)
            self.umin[:, a] = np.where(self.allowed[None, :], ua, np.inf).min(axis=1)

    def u(self, rows: NDArray[np.intp]) -> NDArray[np.float64]:
        """Utilities for these runs (sorted, distinct rows), shape (len(rows) or 1, k, n)."""
        if self.utility.shape[0] == 1 or len(rows) == self.batch:
            return self.utility  # every run: no copy
        return self.utility[rows]

    def at(self, rows: NDArray[np.intp], package: NDArray[np.int64]) -> NDArray[np.float64]:
        """Every actor's utility of ``package[i]`` in run ``rows[i]``, shape (len(rows), k)."""
        index = rows if self.utility.shape[0] > 1 else np.zeros_like(rows)
        return self.utility[index, :, package]

    def others_gain(self, rows: NDArray[np.intp], a: int) -> NDArray[np.float64]:
        """Smallest gain over batna of the actors other than ``a``, shape (r, n)."""
        u = self.u(rows)
        k = u.shape[1]
        out = np.full((len(rows), u.shape[2]), np.inf)
        for b in range(k):
            if b != a:
                out = np.minimum(out, u[:, b, :] - self.batna[rows, b, None])
        if k == 1:
            out[:] = 0.0
        return out


def _pick(primary: NDArray[np.float64], secondary: NDArray[np.float64]) -> NDArray[np.intp]:
    """Row-wise argmax of ``primary`` (-inf: excluded); ties to ``secondary``, then first index."""
    best = primary.max(axis=1, keepdims=True)
    tied = primary >= best - _TOL * np.maximum(1.0, np.abs(best))
    return np.asarray(np.argmax(np.where(tied, secondary, -np.inf), axis=1), dtype=np.intp)


def _gather(values: NDArray[np.float64], index: NDArray[np.int64]) -> NDArray[np.float64]:
    """``values[r, index[r]]`` for values of shape (r or 1, n); nan where index < 0."""
    values = np.broadcast_to(values, (len(index), values.shape[-1]))
    out = values[np.arange(len(index)), np.maximum(index, 0)]
    return np.where(index >= 0, out, np.nan)


def simulate(
    utility: NDArray[np.float64],
    batna: NDArray[np.float64],
    strategies: Sequence[Strategy],
    deadline: int,
    *,
    cost: NDArray[np.float64] | None = None,
    allowed: NDArray[np.bool_] | None = None,
    order: NDArray[np.intp] | None = None,
    changes: Sequence[Change] = (),
) -> Trace:
    """Run a batch of stacked alternating-offers negotiations.

    Parameters
    ----------
    utility : ndarray of float64, shape (k, n) or (B, k, n)
        Utility of every package for each of the k negotiating actors.
    batna : ndarray of float64, shape (k,) or (B, k)
    strategies : sequence of Strategy, length k
    deadline : int
        Number of rounds (each actor moves once per round); at least 1.
    cost : ndarray of float64, shape (k,) or (B, k), optional
        Utility each actor loses per round without agreement (default 0).
    allowed : ndarray of bool, shape (n,), optional
        Packages that may be agreed (e.g. those every public ratifies);
        default all.
    order : ndarray of intp, shape (k,) or (B, k), optional
        Turn order (a permutation of the actors); default ``0 .. k-1``.
    changes : sequence of Change
        New inputs at the start of given rounds (see :class:`Change`).

    Returns
    -------
    Trace

    Examples
    --------
    Two actors, three packages; each prefers its own end, both accept the
    middle. Linear concession with a three-round deadline: each holds out
    for its best package in rounds 0 and 1 (its target, 1 then 0.65, is above
    the middle's 0.6); in round 2 actor 0's target is its batna and it offers
    the middle, which actor 1 accepts:

    >>> u = np.array([[1.0, 0.6, 0.0], [0.0, 0.6, 1.0]])
    >>> linear = parse_strategy("linear")
    >>> t = simulate(u, np.array([0.3, 0.3]), [linear, linear], deadline=3)
    >>> int(t.agreement[0]), int(t.round[0])
    (1, 2)
    >>> [ACTIONS[c - 1] for c in t.action[0] if c]
    ['offer', 'offer', 'offer', 'offer', 'offer', 'accept']
    """
    u0 = np.asarray(utility, dtype=np.float64)
    batch = max(
        u0.shape[0] if u0.ndim == 3 else 1,
        np.asarray(batna).shape[0] if np.asarray(batna).ndim == 2 else 1,
        np.asarray(order).shape[0] if order is not None and np.asarray(order).ndim == 2 else 1,
        np.asarray(cost).shape[0] if cost is not None and np.asarray(cost).ndim == 2 else 1,
    )
    u0 = _batched(u0, 3, batch, "utility")
    k, n = u0.shape[1:]
    if len(strategies) != k:
        raise ValueError(f"{len(strategies)} strategies for {k} actors")
    if deadline < 1:
        raise ValueError(f"the deadline must be at least 1 round; got {deadline}")
    b0 = _batched(np.asarray(batna), 2, batch, "batna")
    delay = np.broadcast_to(
        _batched(np.zeros(k) if cost is None else np.asarray(cost), 2, batch, "cost"), (batch, k)
    )
    mask = np.ones(n, dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    turn = np.broadcast_to(
        np.arange(k) if order is None else np.asarray(order, dtype=np.intp), (batch, k)
    )
    state = _State(u0, b0, mask, batch)

    slots = deadline * k
    rec_actor = np.full((batch, slots), -1, dtype=np.int64)
    rec_action = np.zeros((batch, slots), dtype=np.int8)
    rec_package = np.full((batch, slots), -1, dtype=np.int64)
    live = np.ones(batch, dtype=bool)
    agreement = np.full(batch, -1, dtype=np.int64)
    agreed_round = np.full(batch, -1, dtype=np.int64)
    agreed_utility = np.full((batch, k), np.nan)
    current = np.full(batch, -1, dtype=np.int64)
    offerer = np.full(batch, -1, dtype=np.int64)
    accepts = np.zeros(batch, dtype=np.int64)
    last_offer = np.full((batch, k), -1, dtype=np.int64)
    # first_from[r, a, b] / best_from[r, a, b]: a's utility of b's first / best offer
    first_from = np.full((batch, k, k), np.nan)
    best_from = np.full((batch, k, k), np.nan)
    pending = sorted(changes, key=lambda c: c.round)

    def agree(rows: NDArray[np.intp], package: NDArray[np.int64], r: int) -> None:
        live[rows] = False
        agreement[rows] = package
        agreed_round[rows] = r
        agreed_utility[rows] = state.at(rows, package)

    for r in range(deadline):
        for change in (c for c in pending if c.round == r):
            new_u = (
                state.utility
                if change.utility is None
                else _batched(change.utility, 3, batch, "change.utility")
            )
            new_b = (
                state.batna if change.batna is None else _batched(change.batna, 2, batch, "batna")
            )
            state.set_inputs(new_u, np.broadcast_to(new_b, (batch, k)))
            current[:] = -1
            offerer[:] = -1
            accepts[:] = 0
        span = max(deadline - 1, 1)
        t_now = r / span if deadline > 1 else 1.0
        t_next = min(1.0, (r + 1) / span)
        last_round = r == deadline - 1
        for j in range(k):
            slot = r * k + j
            for a in range(k):
                rows = np.flatnonzero(live & (turn[:, j] == a))
                if rows.size == 0:
                    continue
                strategy = strategies[a]
                u = state.u(rows)
                ua = u[:, a, :]
                bat = state.batna[rows, a]
                umax = state.umax[rows, a]
                rec_actor[rows, slot] = a
                # walk away: nothing it could sign beats its batna
                hopeless = ~np.isfinite(umax)
                if hopeless.any():
                    gone = rows[hopeless]
                    rec_action[gone, slot] = _REJECT
                    rec_package[gone, slot] = current[gone]
                    live[gone] = False
                    keep = ~hopeless
                    rows, bat, umax = rows[keep], bat[keep], umax[keep]
                    u = state.u(rows)
                    ua = u[:, a, :]
                    if rows.size == 0:
                        continue
                own_ok = mask[None, :] & (ua > bat[:, None])
                needs_gain = strategy.kind == "best_acceptable" or strategy.offer != "closest_above"
                gain = state.others_gain(rows, a) if needs_gain else own_ok  # own_ok: unused
                planned: NDArray[np.intp] | None = None
                if strategy.kind == "time":
                    exponent = 1.0 / strategy.beta
                    t_a, t_b = (
                        (t_now, t_next)
                        if strategy.clock == "closed"
                        else ((r + 1) / (deadline + 1), (r + 2) / (deadline + 1))
                    )
                    floor = bat if strategy.floor == "batna" else np.fmax(bat, state.umin[rows, a])
                    target = umax - t_a**exponent * (umax - floor) - strategy.slack
                    target_next = umax - t_b**exponent * (umax - floor) - strategy.slack
                elif strategy.kind == "tit_for_tat":
                    given = np.nan_to_num(best_from[rows, a, :] - first_from[rows, a, :], nan=0.0)
                    given = np.delete(np.maximum(given, 0.0), a, axis=1)
                    conceded = given.mean(axis=1) if k > 1 else np.zeros(len(rows))
                    target = np.clip(umax - conceded, bat, umax)
                    target_next = target
                else:
                    expect = own_ok.copy()
                    for b in range(k):
                        if b == a:
                            continue
                        ub = np.broadcast_to(u[:, b, :], own_ok.shape)
                        bb = state.batna[rows, b]
                        umax_b = state.umax[rows, b]
                        finite = np.isfinite(umax_b)
                        linear = np.where(
                            finite, np.where(finite, umax_b, 0.0) - t_next * (umax_b - bb), np.inf
                        )
                        said = _gather(ub, last_offer[rows, b])
                        threshold = np.fmin(np.where(np.isnan(said), np.inf, said), linear)
                        expect &= (ub >= threshold[:, None] - _TOL) & (ub > bb[:, None])
                    none = ~expect.any(axis=1)
                    expect[none] = own_ok[none]
                    own = np.broadcast_to(ua, own_ok.shape)
                    planned = _pick(np.where(expect, own, -np.inf), gain)
                    target = _gather(own, planned.astype(np.int64))
                    target_next = target

                # respond to the offer on the table
                table = current[rows]
                u_table = _gather(ua, table)
                acceptable = (
                    (table >= 0)
                    & (offerer[rows] != a)
                    & mask[np.maximum(table, 0)]
                    & (u_table > bat)
                    & (
                        (u_table >= target - delay[rows, a] - _TOL)
                        if strategy.accept == "now"
                        else ((u_table >= target_next - delay[rows, a] - _TOL) | last_round)
                    )
                )
                yes = rows[acceptable]
                if yes.size:
                    rec_action[yes, slot] = _ACCEPT
                    rec_package[yes, slot] = current[yes]
                    accepts[yes] += 1
                    done = yes[accepts[yes] >= k - 1]
                    if done.size:
                        agree(done, current[done], r)

                # counter-offer
                sel = ~acceptable
                if not sel.any():
                    continue
                who = rows[sel]
                if planned is not None:
                    choice = planned[sel]
                else:
                    own = np.broadcast_to(ua, own_ok.shape)[sel]
                    candidates = own_ok[sel] & (own >= target[sel, None] - _TOL)
                    if strategy.offer == "closest_above":  # lowest own utility; ties: first
                        choice = np.argmin(np.where(candidates, own, np.inf), axis=1)
                    else:
                        choice = _pick(np.where(candidates, gain[sel], -np.inf), own)
                choice64 = choice.astype(np.int64)
                rec_action[who, slot] = _OFFER
                rec_package[who, slot] = choice64
                current[who] = choice64
                offerer[who] = a
                accepts[who] = 0
                last_offer[who, a] = choice64
                offered = state.at(who, choice64)  # (w, k)
                fresh = np.isnan(first_from[who, 0, a])
                first_from[who[fresh], :, a] = offered[fresh]
                best_from[who, :, a] = np.fmax(best_from[who, :, a], offered)
                if k == 1:
                    agree(who, choice64, r)

    return Trace(
        agreement=agreement,
        round=agreed_round,
        actor=rec_actor,
        action=rec_action,
        package=rec_package,
        utility=agreed_utility,
        batna=state.batna.copy(),
    )


# ---------------------------------------------------------------- scenario level

MAX_PACKAGES = 1_000_000
"""Largest space :func:`negotiate` simulates over (every turn scans every package)."""

_CHUNK = 1 << 22  # runs x packages per engine call


@dataclass(frozen=True)
class Move:
    """One turn: who did what with which package (None: nothing on the table)."""

    round: int
    actor: str
    action: Literal["offer", "accept", "reject"]
    package: dict[str, str] | None


@dataclass(frozen=True)
class Outcome:
    """A negotiated outcome (None: breakdown) and its share of the runs."""

    package: dict[str, str] | None
    share: float


@dataclass(frozen=True)
class Negotiation:
    """The result of :func:`negotiate`. See ``docs/negotiation.md`` for every field.

    The single-negotiation fields describe the base case: the veto actors
    move in scenario order with the scenario's point values. ``runs``,
    ``agreement_rate`` and ``outcomes`` describe the batch of ``runs``
    negotiations with a random turn order each (0 runs: not requested).
    """

    scenario: str
    actors: tuple[str, ...]
    strategies: dict[str, str]
    deadline: int
    round_days: int
    agreement: dict[str, str] | None
    round: int | None
    history: tuple[Move, ...]
    utility: dict[str, float] | None
    batna: dict[str, float]
    nash: dict[str, str] | None
    nash_utility: dict[str, float] | None
    nash_distance: float | None
    pareto_optimal: bool | None
    runs: int = 0
    agreement_rate: float | None = None
    outcomes: tuple[Outcome, ...] = ()
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (``--json``)."""
        out: dict[str, Any] = {
            "scenario": self.scenario,
            "actors": list(self.actors),
            "strategies": self.strategies,
            "deadline": self.deadline,
            "round_days": self.round_days,
            "agreement": self.agreement,
            "round": self.round,
            "history": [
                {"round": m.round, "actor": m.actor, "action": m.action, "package": m.package}
                for m in self.history
            ],
            "utility": self.utility,
            "batna": self.batna,
            "nash": self.nash,
            "nash_utility": self.nash_utility,
            "nash_distance": self.nash_distance,
            "pareto_optimal": self.pareto_optimal,
        }
        if self.runs:
            out |= {
                "runs": self.runs,
                "seed": self.seed,
                "agreement_rate": self.agreement_rate,
                "outcomes": [{"package": o.package, "share": o.share} for o in self.outcomes],
            }
        return out


def rounds_until(scenario: Scenario, deadline: dt.date, round_days: int = 7) -> int:
    """Rounds of ``round_days`` days from the scenario's ``as_of`` to a date (at least 1).

    Raises
    ------
    StrategyError
        If the date is not after ``as_of``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> rounds_until(SimpleNamespace(as_of=dt.date(2024, 9, 16)), dt.date(2025, 1, 20))
    18
    """
    days = (deadline - scenario.as_of).days
    if days <= 0:
        raise StrategyError(
            f"the deadline {deadline} is not after the scenario's date ({scenario.as_of}); "
            "give a later date or a number of rounds"
        )
    return max(1, -(-days // round_days))


def _inputs(
    scenario: Scenario,
) -> tuple[Space, NDArray[np.intp], NDArray[np.float64], NDArray[np.bool_]]:
    space = Space.of(scenario)
    if space.size > MAX_PACKAGES:
        raise SpaceTooLargeError(
            f"the scenario has {space.size:,} packages; negotiation simulates at most "
            f"{MAX_PACKAGES:,}: merge options or split the scenario into stages"
        )
    veto = np.array([a for a, actor in enumerate(scenario.actors) if actor.veto], dtype=np.intp)
    tables = utility_tables(scenario)
    utility = np.concatenate([block[veto] for _, block in iter_blocks(tables)], axis=1)
    allowed = np.ones(space.size, dtype=bool)
    if scenario.publics:
        options = space.options_of(np.arange(space.size, dtype=np.int64))
        for public in scenario.publics:
            table, _ = compile_rules(public, scenario.issues)
            allowed &= table.lookup(options) < public.threshold
    return space, veto, utility, allowed


def _frontier_check(
    utility: NDArray[np.float64], batna: NDArray[np.float64], allowed: NDArray[np.bool_]
) -> tuple[int | None, NDArray[np.bool_]]:
    """Nash package of the ratified ZOPA (or None) and the mask of its Pareto frontier."""
    zopa = allowed & np.all(utility > batna[:, None], axis=0)
    index = np.flatnonzero(zopa)
    front = np.zeros(utility.shape[1], dtype=bool)
    if index.size == 0:
        return None, front
    points = utility[:, index].T
    keep = pareto_filter(points)
    front[index[keep]] = True
    rows = solve(points[keep], batna, index[keep].astype(np.int64))
    nash = rows["nash"]
    return (None if nash is None else int(index[keep][nash])), front


def negotiate(
    scenario: Scenario,
    *,
    strategies: Mapping[str, Strategy | str] | None = None,
    deadline: int | dt.date = 20,
    runs: int = 0,
    seed: int = 0,
    round_days: int = 7,
) -> Negotiation:
    """Simulate negotiations among a scenario's veto actors (stacked alternating offers).

    Parameters
    ----------
    scenario : Scenario
    strategies : mapping of veto actor id to Strategy or name, optional
        Default ``boulware`` for every veto actor.
    deadline : int or date, default 20
        Rounds, or a date (rounds of ``round_days`` days from ``as_of``).
    runs : int, default 0
        Also run this many negotiations with a random turn order each
        (seeded) and report the agreement rate and outcome distribution.
    seed : int, default 0
    round_days : int, default 7
        Days per round: converts dates to rounds and the dynamics'
        ``delay_cost`` (per year) to a cost per round.

    Returns
    -------
    Negotiation

    Raises
    ------
    StrategyError
        For an unknown actor or strategy, or a deadline before ``as_of``.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> path = Path(__file__).parents[2] / "scenarios" / "textbook-two-party.yaml"
    >>> n = negotiate(load_scenario(path), strategies={"north": "linear", "south": "linear"})
    >>> n.agreement, n.round, n.pareto_optimal
    ({'border': 'split', 'prisoners': 'all_for_all', 'sanctions': 'lifted'}, 11, True)
    """
    if runs < 0:
        raise StrategyError(f"--runs must be 0 or more; got {runs}")
    if round_days < 1:
        raise StrategyError(f"a round must last at least 1 day; got {round_days}")
    rounds = (
        rounds_until(scenario, deadline, round_days) if isinstance(deadline, dt.date) else deadline
    )
    if rounds < 1:
        raise StrategyError(f"the deadline must be at least 1 round; got {rounds}")
    space, veto, utility, allowed = _inputs(scenario)
    ids = tuple(scenario.actors[a].id for a in veto)
    chosen: dict[str, Strategy] = {a: parse_strategy("boulware") for a in ids}
    for actor_id, strategy in (strategies or {}).items():
        if actor_id not in ids:
            raise StrategyError(
                f"`{actor_id}` is not a veto actor; the actors at the table are {', '.join(ids)}"
            )
        chosen[actor_id] = parse_strategy(strategy) if isinstance(strategy, str) else strategy
    batna = np.array([scenario.actors[a].batna or 0.0 for a in veto])
    per_year = {
        e.actor: e.delay_cost for e in (scenario.dynamics.actors if scenario.dynamics else [])
    }
    cost = np.array([per_year.get(a, 0.0) * round_days / 365.25 for a in ids])
    plan = [chosen[a] for a in ids]
    changes = event_changes(scenario, rounds, round_days)

    base = simulate(utility, batna, plan, rounds, cost=cost, allowed=allowed, changes=changes)
    final_u = next((c.utility for c in reversed(changes) if c.utility is not None), utility)
    final_b = base.batna[0]
    nash_index, front = _frontier_check(final_u, final_b, allowed)
    history = tuple(
        Move(
            int(r // len(ids)),
            ids[int(actor)],
            ACTIONS[int(action) - 1],  # type: ignore[arg-type]
            None if package < 0 else space.package(int(package)),
        )
        for r, (actor, action, package) in enumerate(
            zip(base.actor[0], base.action[0], base.package[0], strict=True)
        )
        if action
    )
    agreed = int(base.agreement[0])
    nash_u = None if nash_index is None else final_u[:, nash_index]
    result = Negotiation(
        scenario=scenario.id,
        actors=ids,
        strategies={a: str(s) for a, s in chosen.items()},
        deadline=rounds,
        round_days=round_days,
        agreement=None if agreed < 0 else space.package(agreed),
        round=None if agreed < 0 else int(base.round[0]),
        history=history,
        utility=None if agreed < 0 else dict(zip(ids, map(float, base.utility[0]), strict=True)),
        batna=dict(zip(ids, map(float, final_b), strict=True)),
        nash=None if nash_index is None else space.package(nash_index),
        nash_utility=None if nash_u is None else dict(zip(ids, map(float, nash_u), strict=True)),
        nash_distance=None
        if agreed < 0 or nash_u is None
        else float(np.linalg.norm(base.utility[0] - nash_u)),
        pareto_optimal=None if agreed < 0 else bool(front[agreed]),
    )
    if runs == 0:
        return result
    rng = np.random.default_rng(seed)
    order = rng.permuted(np.tile(np.arange(len(ids)), (runs, 1)), axis=1)
    draws = _draw_branches(scenario, rounds * round_days, runs, rng)
    agreement = np.full(runs, -1, dtype=np.int64)
    step = max(1, _CHUNK // max(1, space.size))
    for combo in sorted(set(draws)):
        members = np.flatnonzero(np.array([d == combo for d in draws], dtype=bool))
        group_changes = (
            changes
            if not combo
            else event_changes(scenario, rounds, round_days, branches=dict(combo))
        )
        for start in range(0, len(members), step):
            rows = members[start : start + step]
            trace = simulate(
                utility,
                batna,
                plan,
                rounds,
                cost=cost,
                allowed=allowed,
                order=order[rows],
                changes=group_changes,
            )
            agreement[rows] = trace.agreement
    values, counts = np.unique(agreement, return_counts=True)
    ranked = sorted(
        zip(values.tolist(), counts.tolist(), strict=True), key=lambda vc: (-vc[1], vc[0])
    )
    outcomes = tuple(Outcome(None if v < 0 else space.package(int(v)), c / runs) for v, c in ranked)
    return replace(
        result,
        runs=runs,
        agreement_rate=float(np.mean(agreement >= 0)),
        outcomes=outcomes,
        seed=seed,
    )


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


def _draw_branches(
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
        _, veto, utility, allowed = _inputs(current)
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
