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
shortcut) and changes of red lines by events (no event makes one today).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from offramp.negotiate.protocol import Signing
from offramp.negotiate.results import Trace
from offramp.negotiate.strategies import Strategy, StrategyError
from offramp.settle.merge import SCALE, quantize
from offramp.settle.solutions import _nondominated
from offramp.settle.space import DECIMALS

__all__ = ["IssueChange", "simulate_frontier"]

_OFFER, _ACCEPT, _REJECT, _UNRATIFIED = 1, 2, 3, 4
_TOL = 1e-12  # the enumerating engine's tolerance (protocol._TOL)
_LOW = -(1 << 62)  # no lower bound
_HIGH = 1 << 62  # an unreachable lower bound
_TEN = 10.0**DECIMALS


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
    """

    round: int
    batna: NDArray[np.float64] | None = None
    tables: list[NDArray[np.float64]] | None = None
    label: str = ""


def _utility(total: int) -> float:
    """:func:`offramp.settle.merge.utility_of` of one integer sum, bit for bit, in Python floats."""
    return round(float(total) / SCALE * _TEN) / _TEN


def _least(test: Callable[[int], bool]) -> int:
    """Smallest integer sum passing a test monotone in the sum (``_HIGH`` when none does)."""
    if test(_LOW):
        return _LOW
    if not test(_HIGH):
        return _HIGH
    lo, hi = _LOW, _HIGH
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if test(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _at_least(x: float) -> int:
    """Smallest sum whose utility is at least ``x`` (float comparison, as enumeration's)."""
    return _least(lambda s: _utility(s) >= x)


def _above(batna: float) -> int:
    """Smallest sum whose utility is above ``batna``."""
    return _least(lambda s: _utility(s) > batna)


def _gain_at_least(batna: float, x: float) -> int:
    """Smallest sum whose gain over ``batna`` (``utility - batna`` in floats) is at least ``x``."""
    return _least(lambda s: _utility(s) - batna >= x)


def _pareto(points: NDArray[np.int64]) -> NDArray[np.int64]:
    out: NDArray[np.int64] = points[_nondominated(points, 1)]
    return out


class _Structure:
    """The space under one set of inputs: per-issue sums, masks and suffix frontiers.

    ``q[i]`` (k, n_i) integer sums; ``lines[i]`` (k, n_i) allowed options; the
    ``mentioned`` issues form the compound issue of ``combos`` (m, |M|)
    option rows; ``suffix[a][i]``: Pareto frontier (points, k) of the sums of
    the free issues from ``i`` on, over actor ``a``'s allowed options.
    """

    def __init__(
        self,
        tables: Sequence[NDArray[np.float64]],
        lines: Sequence[NDArray[np.bool_]],
        mentioned: tuple[int, ...],
        combos: NDArray[np.intp],
    ) -> None:
        self.q = quantize(list(tables))
        self.n = len(self.q)
        self.k = self.q[0].shape[0]
        self.lines = lines
        self.mentioned = mentioned
        self.column = {i: c for c, i in enumerate(mentioned)}
        self.combos = combos
        m = len(combos)
        self.combo_sum = np.zeros((self.k, m), dtype=np.int64)
        self.combo_ok = np.ones((self.k, m), dtype=bool)
        for c, i in enumerate(mentioned):
            self.combo_sum += self.q[i][:, combos[:, c]]
            self.combo_ok &= lines[i][:, combos[:, c]]
        self.free = [i for i in range(self.n) if i not in self.column]
        shared: dict[bytes, list[NDArray[np.int64]]] = {}
        self.suffix: list[list[NDArray[np.int64]]] = []
        for a in range(self.k):
            key = b"".join(lines[i][a].tobytes() for i in self.free)
            if key not in shared:
                shared[key] = self._suffixes(a)
            self.suffix.append(shared[key])
        self._fronts: dict[tuple[int, bytes], NDArray[np.int64]] = {}

    def _suffixes(self, a: int) -> list[NDArray[np.int64]]:
        out: list[NDArray[np.int64]] = [np.zeros((1, self.k), dtype=np.int64)] * (self.n + 1)
        points = out[self.n]
        for i in range(self.n - 1, -1, -1):
            if i not in self.column:
                add = self.q[i][:, self.lines[i][a]].T
                points = _pareto((points[:, None, :] + add[None, :, :]).reshape(-1, self.k))
            out[i] = points
        return out

    def cons(self, a: int, extra: NDArray[np.bool_]) -> NDArray[np.bool_]:
        """Combinations of the compound issue actor ``a`` may sign, shape (m,)."""
        out: NDArray[np.bool_] = self.combo_ok[a] & extra
        return out

    def front(self, a: int, extra: NDArray[np.bool_]) -> NDArray[np.int64]:
        """Pareto frontier (points, k) of the sums of the packages actor ``a`` may sign."""
        cons = self.cons(a, extra)
        key = (a, cons.tobytes())
        if key not in self._fronts:
            rest = self.suffix[a][0]
            if not cons.any() or len(rest) == 0:
                self._fronts[key] = np.zeros((0, self.k), dtype=np.int64)
            else:
                combo = _pareto(self.combo_sum[:, cons].T)
                sums = (combo[:, None, :] + rest[None, :, :]).reshape(-1, self.k)
                self._fronts[key] = _pareto(sums)
        return self._fronts[key]

    def extreme(self, a: int, extra: NDArray[np.bool_], best: bool) -> int | None:
        """Largest (``best``) or smallest own sum of actor ``a`` over what it may sign."""
        cons = self.cons(a, extra)
        if not cons.any():
            return None
        pick = np.max if best else np.min
        total = int(pick(self.combo_sum[a, cons]))
        for i in self.free:
            allowed = self.q[i][a, self.lines[i][a]]
            if allowed.size == 0:
                return None
            total += int(pick(allowed))
        return total

    def sums(self, options: NDArray[np.intp]) -> NDArray[np.int64]:
        """Every actor's integer sum of one package (option per issue), shape (k,)."""
        out = np.zeros(self.k, dtype=np.int64)
        for i in range(self.n):
            out += self.q[i][:, options[i]]
        return out

    def combo_of(self, options: NDArray[np.intp]) -> int:
        if not self.mentioned:
            return 0
        sizes = tuple(self.q[i].shape[1] for i in self.mentioned)
        return int(np.ravel_multi_index(tuple(options[i] for i in self.mentioned), sizes))

    def may_sign(self, a: int, options: NDArray[np.intp], extra: NDArray[np.bool_]) -> bool:
        ok = all(bool(self.lines[i][a, options[i]]) for i in range(self.n))
        return ok and bool(extra[self.combo_of(options)])

    def first(
        self, a: int, extra: NDArray[np.bool_], lower: NDArray[np.int64]
    ) -> NDArray[np.intp] | None:
        """The first package (in package order) actor ``a`` may sign with every sum >= ``lower``."""
        cons = self.cons(a, extra)
        prefix = np.zeros(self.k, dtype=np.int64)
        options = np.zeros(self.n, dtype=np.intp)
        for i in range(self.n):
            rest = self.suffix[a][i + 1]
            for o in range(self.q[i].shape[1]):
                if i in self.column:
                    now = cons & (self.combos[:, self.column[i]] == o)
                    if not now.any():
                        continue
                    pre = prefix
                else:
                    if not self.lines[i][a, o]:
                        continue
                    now, pre = cons, prefix + self.q[i][:, o]
                combo = self.combo_sum[:, now].T
                combo = _pareto(combo) if len(combo) > 64 else combo
                need = np.maximum(lower[None, :] - pre[None, :] - combo, _LOW)  # (c, k)
                if np.any(np.all(rest[None, :, :] >= need[:, None, :], axis=2)):
                    options[i], cons, prefix = o, now, pre
                    break
            else:
                return None
        return options


def _gains(points: NDArray[np.int64], a: int, batna: NDArray[np.float64]) -> NDArray[np.float64]:
    """Smallest gain over batna of the actors other than ``a`` (as ``_State.others_gain``)."""
    k = points.shape[1]
    if k == 1:
        return np.zeros(len(points))
    u = np.round(points.astype(np.float64) / SCALE, DECIMALS)
    out = np.full(len(points), np.inf)
    for b in range(k):
        if b != a:
            out = np.minimum(out, u[:, b] - batna[b])
    return out


def _own(points: NDArray[np.int64], a: int) -> NDArray[np.float64]:
    out: NDArray[np.float64] = np.round(points[:, a].astype(np.float64) / SCALE, DECIMALS)
    return out


def _tie(best: float) -> float:
    """The lowest value ``_pick`` counts as tied with ``best``."""
    return float(best - _TOL * max(1.0, abs(best)))


class _Run:
    """One negotiation's mutable state and the structured queries (engine-private)."""

    def __init__(self, space: _Structure, batna: NDArray[np.float64], m: int) -> None:
        self.extra = np.ones(m, dtype=bool)
        self.set_inputs(space, batna)

    def set_inputs(self, space: _Structure, batna: NDArray[np.float64]) -> None:
        self.space = space
        self.batna = np.asarray(batna, dtype=np.float64).copy()
        self.refresh()

    def refresh(self) -> None:
        k = self.space.k
        self.umax = np.full(k, -np.inf)
        self.umin = np.full(k, np.inf)
        self.floor = [_above(float(b)) for b in self.batna]
        for a in range(k):
            top = self.space.extreme(a, self.extra, True)
            low = self.space.extreme(a, self.extra, False)
            if top is not None and top >= self.floor[a]:
                self.umax[a] = _utility(top)
            if low is not None:
                self.umin[a] = _utility(low)

    def best_for_others(self, a: int, own_min: float) -> NDArray[np.intp]:
        """The package at or above ``own_min`` (less the tolerance) best for the others."""
        space, k = self.space, self.space.k
        lower = np.full(k, _LOW, dtype=np.int64)
        lower[a] = max(self.floor[a], _at_least(own_min - _TOL))
        points = space.front(a, self.extra)
        points = points[np.all(points >= lower, axis=1)]
        gain = _gains(points, a, self.batna)
        g = _tie(float(gain.max()))
        for b in range(k):
            if b != a and k > 1:
                lower[b] = _gain_at_least(float(self.batna[b]), g)
        points = points[np.all(points >= lower, axis=1)]
        lower[a] = max(lower[a], _at_least(float(_own(points, a).max())))
        return self._first(a, lower)

    def best_acceptable(self, a: int, lower_others: NDArray[np.int64]) -> NDArray[np.intp]:
        """``best_acceptable``'s offer, given the sums it expects the others to need."""
        space, k = self.space, self.space.k
        lower = lower_others.copy()
        lower[a] = self.floor[a]
        front = space.front(a, self.extra)
        points = front[np.all(front >= lower, axis=1)]
        if len(points) == 0:  # nothing meets every expectation: its own best package
            lower = np.full(k, _LOW, dtype=np.int64)
            lower[a] = self.floor[a]
            points = front[np.all(front >= lower, axis=1)]
        lower[a] = max(lower[a], _at_least(_tie(float(_own(points, a).max()))))
        points = points[np.all(points >= lower, axis=1)]
        g = float(_gains(points, a, self.batna).max())
        for b in range(k):
            if b != a and k > 1:
                lower[b] = max(lower[b], _gain_at_least(float(self.batna[b]), g))
        return self._first(a, lower)

    def _first(self, a: int, lower: NDArray[np.int64]) -> NDArray[np.intp]:
        found = self.space.first(a, self.extra, lower)
        if found is None:  # the frontier holds a point meeting the bounds: cannot happen
            raise RuntimeError("no package meets bounds that a frontier point meets")
        return found


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
        Ratification at signing, its arrays indexed by the combinations
        (row-major) of the ``mentioned`` issues' options instead of by package.
    mentioned : tuple of int
        The issues the ratifying bodies' rules and routes mention.
    cost : ndarray of float64, shape (k,), optional
    order : ndarray of intp, shape (k,) or (B, k), optional
        Turn order; a batch of ``B`` orders runs ``B`` negotiations (one after another).
    changes : sequence of IssueChange

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
    base = _Structure(tables, lines, mentioned, combos)
    spaces: dict[int, _Structure] = {}
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
        _one(trace, row, turns[row], base, spaces, lines, batna, strategies, deadline, delay,
             signing, changes, sizes)  # fmt: skip
    return trace


def _one(
    trace: Trace,
    row: int,
    turn: NDArray[np.intp],
    base: _Structure,
    spaces: dict[int, _Structure],
    lines: Sequence[NDArray[np.bool_]],
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
    state = _Run(base, batna, len(signing.failure))
    used = np.zeros(len(signing.constraint), dtype=np.int64)
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
        nonlocal live, current, offerer, accepts
        combo = state.space.combo_of(options)
        body = int(signing.failure[combo])
        if body >= 0:
            trace.action[row, slot] = _UNRATIFIED
            if used[body] < signing.rounds[combo]:
                used[body] += 1
                state.extra &= signing.constraint[body]
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
            if change.tables is not None:
                if j not in spaces:
                    spaces[j] = _Structure(change.tables, lines, base.mentioned, base.combos)
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
                exponent = 1.0 / strategy.beta
                t_a, t_b = (
                    (t_now, t_next)
                    if strategy.clock == "closed"
                    else ((r + 1) / (deadline + 1), (r + 2) / (deadline + 1))
                )
                floor = bat if strategy.floor == "batna" else float(np.fmax(bat, state.umin[a]))
                target = umax - t_a**exponent * (umax - floor) - strategy.slack
                target_next = umax - t_b**exponent * (umax - floor) - strategy.slack
            elif strategy.kind == "tit_for_tat":
                given = np.nan_to_num(best_from[a] - first_from[a], nan=0.0)[None, :]
                given = np.delete(np.maximum(given, 0.0), a, axis=1)
                conceded = float(given.mean(axis=1)[0]) if k > 1 else 0.0
                target = float(np.clip(umax - conceded, bat, umax))
                target_next = target
            else:
                lower = np.full(k, _LOW, dtype=np.int64)
                for b in range(k):
                    if b == a:
                        continue
                    umax_b, bb = float(state.umax[b]), float(state.batna[b])
                    linear = umax_b - t_next * (umax_b - bb) if np.isfinite(umax_b) else np.inf
                    offer_b = last_offer[b]
                    said = np.inf if offer_b is None else values(offer_b)[b]
                    threshold = float(np.fmin(said, linear))
                    lower[b] = max(_at_least(threshold - _TOL), state.floor[b])
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
                    u_table >= target - delay[a] - _TOL
                    if strategy.accept == "now"
                    else (u_table >= target_next - delay[a] - _TOL) or last_round
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
