"""The negotiation protocol on huge spaces: every offer found on merged frontiers, exactly.

:func:`offramp.negotiate.protocol.simulate` scans every package at every
turn, which caps it at about a million packages. Here the same protocol, turn
for turn (see :mod:`offramp.negotiate` for its rules and references), runs on
the space's per-issue structure and never enumerates it:

* **Utilities are additive over issues**, so every actor's utility of a
  package is a sum of per-issue values. They are held as exact integer sums
  (:func:`offramp.settle.merge.quantize`) and converted like enumeration's
  rounded floats (:func:`offramp.settle.merge.utility_of`), so every float
  the engine compares is the one the enumerating engine compares (up to
  packages whose exact utility lies within about 1e-15 of a rounding
  boundary, as in :mod:`offramp.settle.merge`).
* **Red lines are per-issue option masks** (an actor's allowed packages are
  a product set), and **ratification depends on the options of the few
  issues the bodies' rules and routes mention**: those issues are taken
  together as one compound issue whose combinations carry the vote's
  outcome and the renegotiation constraints (as ``merge_frontier`` does).
* **Every offer is the solution of an optimization whose feasible set is
  up-closed** in the veto actors' utilities (lower bounds on utilities
  within an actor's product set): the best-for-others counter-offer
  (largest smallest gain over batna among the packages at or above the
  actor's target) and ``best_acceptable``'s offer (best for itself among the
  packages it expects the others to accept). The optimum of a monotone
  objective over such a set is attained on the set's Pareto frontier (a
  dominating package satisfies every lower bound and scores at least as
  well), so each value — the best gain, the best own utility among the ties
  — is read off the actor's merged frontier (Pareto(A ⊕ B) =
  Pareto(Pareto(A) ⊕ Pareto(B)); Bazgan, Hugot & Vanderpooten 2009,
  https://doi.org/10.1016/j.cor.2007.09.009).
* **Tie-breaks, exactly.** The enumerating engine takes, among the packages
  tied within its tolerance, the one with the best secondary value and then
  the first in package order. Each of those steps is a float comparison
  that is monotone in one actor's integer sum, so it becomes an integer
  lower bound (found by bisection on the exact float test). The first
  package in order meeting all the lower bounds is found by a depth-first
  search over the issues in scenario order: an option is taken when some
  completion of the remaining issues can still meet the bounds, a
  dominance query against the Pareto frontier of the remaining free issues
  (computed once per actor, suffix by suffix) for each combination of the
  compound issue still possible. The first feasible option at each issue
  gives the lexicographically first package.
* Best and worst own utility within the red lines (Faratin's ``u_max`` and
  the ``floor=worst`` curve end) are sums of per-issue extremes.

Not supported: ``offer=closest_above`` (its offer is the package of *lowest*
own utility at or above the target, a subset-sum question with no frontier
shortcut).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from offramp.negotiate.protocol import Signing
from offramp.negotiate.queries import LOW, TOL, Run, Structure, at_least
from offramp.negotiate.results import Trace
from offramp.negotiate.strategies import Strategy, StrategyError
from offramp.settle.merge import SCALE
from offramp.settle.space import DECIMALS

__all__ = ["IssueChange", "simulate_frontier"]

_OFFER, _ACCEPT, _REJECT, _UNRATIFIED = 1, 2, 3, 4


@dataclass(frozen=True)
class IssueChange:
    """New inputs from the start of a round on, per issue (the frontier engine's :class:`Change`).

    Attributes
    ----------
    round : int
    batna : ndarray of float64, shape (k,), optional
    tables : list of ndarray of float64, each (k, n_options_i), optional
        The actors' new weighted option values.
    label : str
    lines : list of ndarray of bool, each (k, n_options_i), optional
        New red-line masks (see ``simulate_frontier``'s ``lines``).
    """

    round: int
    batna: NDArray[np.float64] | None = None
    tables: list[NDArray[np.float64]] | None = None
    label: str = ""
    lines: list[NDArray[np.bool_]] | None = None


def simulate_frontier(
    tables: Sequence[NDArray[np.float64]],
    batna: NDArray[np.float64],
    strategies: Sequence[Strategy],
    deadline: int,
    *,
    lines: Sequence[NDArray[np.bool_]],
    signing: Signing,
    mentioned: tuple[int, ...],
    cost: NDArray[np.float64] | None = None,
    order: NDArray[np.intp] | None = None,
    changes: Sequence[IssueChange] = (),
    on_run: Callable[[int], None] | None = None,
) -> Trace:
    """Run stacked alternating-offers negotiations on a product space, without enumerating it.

    The same protocol, strategies and tie-breaks as
    :func:`offramp.negotiate.protocol.simulate` with ``signing`` (see the
    module docstring for how each offer is found); the result is the same
    :class:`Trace`, packages as indices in package order (the first issue
    most significant).

    Parameters
    ----------
    tables : sequence of ndarray of float64, each of shape (k, n_options_i)
        Each actor's weighted option values, issue by issue (utility is their sum).
    batna : ndarray of float64, shape (k,)
    strategies : sequence of Strategy, length k
        Any strategy except those with ``offer=closest_above``.
    deadline : int
    lines : sequence of ndarray of bool, each of shape (k, n_options_i)
        The options each actor may sign (crossing none of its red lines).
    signing : Signing
        Ratification at signing (renegotiated texts following a failed
        route's ``then``, :attr:`~offramp.negotiate.protocol.Signing.after`),
        its arrays indexed by the combinations (row-major) of the
        ``mentioned`` issues' options instead of by package.
    mentioned : tuple of int
        The issues the ratifying bodies' rules and routes mention.
    cost : ndarray of float64, shape (k,), optional
    order : ndarray of intp, shape (k,) or (B, k), optional
        Turn order; a batch of ``B`` orders runs ``B`` negotiations (one after another).
    changes : sequence of IssueChange
    on_run : callable, optional
        Called as ``on_run(done)`` after each run (for a progress bar).

    Returns
    -------
    Trace

    Raises
    ------
    StrategyError
        For a strategy with ``offer=closest_above``.

    Examples
    --------
    The example of :func:`~offramp.negotiate.protocol.simulate`, as one issue:

    >>> from offramp.negotiate import parse_strategy
    >>> tables = [np.array([[1.0, 0.6, 0.0], [0.0, 0.6, 1.0]])]
    >>> open_ = Signing(np.full(1, -1), np.zeros(1, np.int64), np.ones((0, 1), bool))
    >>> linear = parse_strategy("linear")
    >>> t = simulate_frontier(tables, np.array([0.3, 0.3]), [linear, linear], 3,
    ...                       lines=[np.ones((2, 3), bool)], signing=open_, mentioned=())
    >>> int(t.agreement[0]), int(t.round[0])
    (1, 2)
    """
    k = len(strategies)
    for s in strategies:
        if s.offer == "closest_above":
            raise StrategyError(
                f"`{s}`: offer=closest_above needs every package scanned; on a space too large "
                "to enumerate use the default offer rule (method 'merge' does not support it)"
            )
    sizes = tuple(t.shape[1] for t in tables)
    msizes = [sizes[i] for i in mentioned]
    total = int(np.prod(msizes)) if msizes else 1
    combos = (
        np.stack(np.unravel_index(np.arange(total), msizes), axis=1).astype(np.intp)
        if msizes
        else np.zeros((1, 0), dtype=np.intp)
    )
    turns = np.atleast_2d(np.arange(k) if order is None else np.asarray(order, dtype=np.intp))
    delay = np.zeros(k) if cost is None else np.asarray(cost, dtype=np.float64)
    base = Structure(tables, lines, mentioned, combos)
    spaces: dict[int, Structure] = {}
    batch = len(turns)
    slots = deadline * k
    trace = Trace(
        agreement=np.full(batch, -1, dtype=np.int64),
        round=np.full(batch, -1, dtype=np.int64),
        actor=np.full((batch, slots), -1, dtype=np.int64),
        action=np.zeros((batch, slots), dtype=np.int8),
        package=np.full((batch, slots), -1, dtype=np.int64),
        utility=np.full((batch, k), np.nan),
        batna=np.zeros((batch, k)),
    )
    for row in range(batch):
        _one(trace, row, turns[row], base, spaces, batna, strategies, deadline, delay,
             signing, changes, sizes)  # fmt: skip
        if on_run is not None:
            on_run(row + 1)
    return trace


def _one(
    trace: Trace,
    row: int,
    turn: NDArray[np.intp],
    base: Structure,
    spaces: dict[int, Structure],
    batna: NDArray[np.float64],
    strategies: Sequence[Strategy],
    deadline: int,
    delay: NDArray[np.float64],
    signing: Signing,
    changes: Sequence[IssueChange],
    sizes: tuple[int, ...],
) -> None:
    """One negotiation, turn by turn as ``protocol.simulate``, written into ``trace[row]``."""
    k = len(strategies)
    state = Run(base, batna, len(signing.failure))
    used = np.zeros(len(signing.constraint), dtype=np.int64)
    signings, phase = (signing, *signing.after), 0
    current: NDArray[np.intp] | None = None
    offerer, accepts, live = -1, 0, True
    last_offer: list[NDArray[np.intp] | None] = [None] * k
    first_from = np.full((k, k), np.nan)  # [a, b]: a's utility of b's first / best offer
    best_from = np.full((k, k), np.nan)
    pending = sorted(enumerate(changes), key=lambda jc: jc[1].round)

    def index(options: NDArray[np.intp] | None) -> int:
        return -1 if options is None else int(np.ravel_multi_index(tuple(options), sizes))

    def values(options: NDArray[np.intp]) -> NDArray[np.float64]:
        sums = state.space.sums(options).astype(np.float64)
        out: NDArray[np.float64] = np.round(sums / SCALE, DECIMALS)
        return out

    def agree(options: NDArray[np.intp], r: int, slot: int) -> None:
        nonlocal live, current, offerer, accepts, phase
        combo = state.space.combo_of(options)
        votes = signings[phase]  # the votes this text faces (Signing.phase)
        body = int(votes.failure[combo])
        if body >= 0:
            trace.action[row, slot] = _UNRATIFIED
            if used[body] < votes.rounds[combo]:
                used[body] += 1
                state.extra &= votes.constraint[body]
                if votes.then is not None and votes.then[combo] >= 0:
                    phase = int(votes.then[combo]) + 1  # the failed route's `then`
                state.refresh()
                current, offerer, accepts = None, -1, 0
            else:
                live = False
            return
        live = False
        trace.agreement[row] = index(options)
        trace.round[row] = r
        trace.utility[row] = values(options)

    for r in range(deadline):
        for j, change in (jc for jc in pending if jc[1].round == r):
            if not live:  # the batnas in force at the end are reported
                state.batna = state.batna if change.batna is None else change.batna
                continue
            space = state.space
            if change.tables is not None or change.lines is not None:
                if j not in spaces:  # the same for every run of the batch
                    spaces[j] = Structure(
                        space.tables if change.tables is None else change.tables,
                        space.lines if change.lines is None else change.lines,
                        base.mentioned,
                        base.combos,
                    )
                space = spaces[j]
            state.set_inputs(space, state.batna if change.batna is None else change.batna)
            current, offerer, accepts = None, -1, 0
        span = max(deadline - 1, 1)
        t_now = r / span if deadline > 1 else 1.0
        t_next = min(1.0, (r + 1) / span)
        last_round = r == deadline - 1
        for j in range(k if live else 0):
            if not live:
                break
            slot, a = r * k + j, int(turn[j])
            strategy = strategies[a]
            umax, bat = float(state.umax[a]), float(state.batna[a])
            trace.actor[row, slot] = a
            if not np.isfinite(umax):  # walk away: nothing it could sign beats its batna
                trace.action[row, slot] = _REJECT
                trace.package[row, slot] = index(current)
                live = False
                break
            planned: NDArray[np.intp] | None = None
            if strategy.kind == "time":
                floor = bat if strategy.floor == "batna" else float(np.fmax(bat, state.umin[a]))
                target, target_next = strategy.targets(umax, floor, r, deadline, t_now, t_next)
            elif strategy.kind == "tit_for_tat":
                given = np.nan_to_num(best_from[a] - first_from[a], nan=0.0)[None, :]
                given = np.delete(np.maximum(given, 0.0), a, axis=1)
                conceded = float(given.mean(axis=1)[0]) if k > 1 else 0.0
                target = float(np.clip(umax - conceded, bat, umax))
                target_next = target
            else:
                lower = np.full(k, LOW, dtype=np.int64)
                for b in range(k):
                    if b == a:
                        continue
                    umax_b, bb = float(state.umax[b]), float(state.batna[b])
                    linear = umax_b - t_next * (umax_b - bb) if np.isfinite(umax_b) else np.inf
                    offer_b = last_offer[b]
                    said = np.inf if offer_b is None else values(offer_b)[b]
                    threshold = float(np.fmin(said, linear))
                    lower[b] = max(at_least(threshold - TOL), state.floor[b])
                planned = state.best_acceptable(a, lower)
                target = float(values(planned)[a])
                target_next = target

            # respond to the offer on the table
            acceptable = False
            if (
                current is not None
                and offerer != a
                and state.space.may_sign(a, current, state.extra)
            ):
                u_table = float(values(current)[a])
                acceptable = u_table > bat and (
                    u_table >= target - delay[a] - TOL
                    if strategy.accept == "now"
                    else (u_table >= target_next - delay[a] - TOL) or last_round
                )
            if acceptable and current is not None:
                trace.action[row, slot] = _ACCEPT
                trace.package[row, slot] = index(current)
                accepts += 1
                if accepts >= k - 1:
                    agree(current, r, slot)
                continue

            # counter-offer
            choice = planned if planned is not None else state.best_for_others(a, target)
            trace.action[row, slot] = _OFFER
            trace.package[row, slot] = index(choice)
            current, offerer, accepts = choice, a, 0
            last_offer[a] = choice
            offered = values(choice)
            if np.isnan(first_from[0, a]):
                first_from[:, a] = offered
            best_from[:, a] = np.fmax(best_from[:, a], offered)
            if k == 1:
                agree(choice, r, slot)
    trace.batna[row] = state.batna
