"""Which order of a deal's steps is self-enforcing: backward induction over the steps.

A signed package is carried out step by step (a cease-fire, a pull-back of
heavy weapons, elections, control of a border, sanctions relief), and each
step changes what the sides could win by going back to war. After Fearon
(1995) a side keeps a deal while it gives it at least its expected value of
war; Powell (2006) shows that a shift of power, here one the deal's own steps
cause, makes that promise incredible. This module asks that question at every
step of a given order, and tries every admissible order.

Model
-----
The belligerents are the scenario's ``dynamics.actors``; their war values,
power trajectories and calibration are :mod:`offramp.durability`'s. Steps
``s = 1..N`` each have an actor ``a(s)``, a due time, and effects. An order
``pi`` puts step ``pi_k`` in the ``k``-th *slot*; slot ``k`` is at ``t_k``,
the ``k``-th earliest due time of the steps (the accord's calendar keeps its
dates, the order decides which step fills which date). With ``S`` the set of
steps done before slot ``k``, belligerent ``b``'s value of resuming the war
there is::

    P_b(S) = P_b(t_k) * prod_{s in S} (1 + power_sb)
    p_b(S) = clip(P_b(S) / (P_b(S) + P_o(S)) + sum_{s in S} prospects_sb, 0, 1)
    V_b(S) = p_b(S) * W_b - (c_b + sum_{s in S} cost_sb)

(``o`` is ``b``'s opponent; a step's effects are its own ``effects`` plus the
``dynamics.effects`` of the options it implements). Carrying every step out
gives each side the package's utility ``U_b``.

Backward induction, from the last slot to the first: the actor ``a`` of the
step in slot ``k`` either carries it out, getting the continuation value
``C_a`` (``U_a`` if every later step is carried out, otherwise its war value
at the later slot where someone reneges), or reneges, getting
``V_a(S) - d_s F_s``. It reneges when that is strictly larger (a side
indifferent keeps the deal, as in :mod:`offramp.durability`); then every side
gets its war value at ``S``. The order **breaks at** the first slot where its
actor reneges on the equilibrium path; it is **self-enforcing** when nobody
does. Actors without a ``dynamics`` entry never renege.

Monitoring and guarantors
-------------------------
Reneging on step ``s`` is detected with probability ``d_s`` (its
``monitoring.detect``); a detected violation costs the reneging side
``F_s``, the sum of the step's ``guarantors`` penalties; an undetected one
costs nothing. A risk-neutral side therefore expects to lose ``d_s F_s``:
the expected-sanction model of deterrence (Becker 1968), with monitoring and
third-party guarantees as the two levers that raise the cost of defecting
from a settlement (Walter 1997; Fortna 2003). Detection and penalty enter
only as their product, so for a breaking order the help needed at a step is
one number, the **gap** ``G = V_a(S) - U_a`` (with every later step carried
out, ``C_a = U_a``): the order holds at that step when ``d_s F_s >= G``. Its
``needs`` give, for every step where the gap exceeds the current
``d_s F_s``, the gap, the smallest detection probability that makes the
current penalty enough (``G / F_s``, if at most 1) and the smallest penalty
that makes the current detection enough (``G / d_s``), in closed form.

Orders
------
An order is admissible when every step comes after the steps in its
``after`` list. Up to :data:`EXACT_STEPS` steps every admissible order is
enumerated and solved (vectorized over orders). Beyond that (up to 20
steps) offramp does not enumerate: an order is self-enforcing exactly when
every slot satisfies ``V_a(S) - d_s F_s <= U_a``, a condition on the pair
(set done, next step), so the order with the smallest total shortfall
``sum_k max(0, V_a(S_k) - d F - U_a)`` (zero iff some order is
self-enforcing) and the one with the largest are found exactly by dynamic
programming over the ``2^N`` sets of done steps (as Held & Karp 1962 do for
sequencing), and reported with the declared order.

Orders are ranked best first by: self-enforcing; the smaller the total
shortfall (the expected penalties monitoring and guarantors would have to
add to make the order hold); the later the break; the larger the slack
``min_k U_a - (V_a(S_k) - d F)`` (how close the nearest step comes to
breaking); the lexicographic order of the step indices (so the declared,
file order first) on ties. ``p_holds`` is, for each reported order, the share of Monte Carlo draws
(growth and war costs as in :mod:`offramp.durability`, then every step
effect, detection probability and penalty given as a distribution) in which
the order is self-enforcing; the other fields use point values.

References
----------
Becker, G. S. (1968). Crime and punishment: an economic approach. *Journal of
Political Economy* 76(2), 169-217. https://doi.org/10.1086/259394

Fearon, J. D. (1995). Rationalist explanations for war. *International
Organization* 49(3), 379-414. https://doi.org/10.1017/S0020818300033324

Fortna, V. P. (2003). Scraps of paper? Agreements and the durability of peace.
*International Organization* 57(2), 337-372.
https://doi.org/10.1017/S0020818303572046

Held, M. & Karp, R. M. (1962). A dynamic programming approach to sequencing
problems. *Journal of SIAM* 10(1), 196-210. https://doi.org/10.1137/0110015

Powell, R. (2006). War as a commitment problem. *International Organization*
60(1), 169-203. https://doi.org/10.1017/S0020818306060061

Walter, B. F. (1997). The critical barrier to civil war settlement.
*International Organization* 51(3), 335-364.
https://doi.org/10.1162/002081897550384
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from offramp.durability import DurabilityError, complete_package, power_at, war_value
from offramp.durability.model import _draws_of, _sides
from offramp.implementation.orders import (
    Game,
    admissible,
    count,
    extreme,
    parse_order,
    prefixes,
    solve,
)
from offramp.implementation.results import Break, Need, OrderResult, Sequencing
from offramp.problem import Problem
from offramp.scenario.schema import Scenario
from offramp.settle.space import utilities

__all__ = [
    "EXACT_STEPS",
    "Break",
    "Need",
    "OrderResult",
    "Sequencing",
    "sequence_package",
    "sequences",
]

EXACT_STEPS = 10
"""Up to this many steps, every admissible order is enumerated."""

_TOL = 1e-12
_CHUNK = 200_000


def _years(scenario: Scenario, due: float | dt.date) -> float:
    if isinstance(due, dt.date):
        return (due - scenario.as_of).days / 365.25
    return float(due) / 365.25


def sequence_package(problem: Problem, given: Mapping[str, str] | None = None) -> dict[str, str]:
    """The package the steps carry out: their options, then ``given``, then the Nash package.

    Raises
    ------
    DurabilityError
        If ``given`` contradicts a step's option, or issues are missing and
        there is no Nash package to take them from.
    """
    scenario = problem.scenario
    if scenario.implementation is None:
        raise DurabilityError(
            f"scenario `{scenario.id}` has no `implementation` section: add its steps "
            "(see docs/implementation.md)"
        )
    implied: dict[str, str] = {}
    for step in scenario.implementation.steps:
        implied.update(step.options)
    for issue, option in (given or {}).items():
        if issue in implied and implied[issue] != option:
            raise DurabilityError(
                f"--package {issue}={option} contradicts the steps, which implement "
                f"{issue}={implied[issue]}; drop it or change the step"
            )
    return complete_package(problem, {**implied, **(given or {})})


def _value(x: Any, draws: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Point value (shape (1,)) or ``draws`` draws of one input."""
    if draws == 0:
        return np.array([float(x)])
    return _draws_of(x, draws, rng)


def _compile(
    problem: Problem,
    package: Mapping[str, str],
    draws: int,
    seed: int,
    sets: NDArray[np.int64] | None = None,
) -> Game:
    """The game's arrays; ``draws == 0`` gives the point-value game (D = 1).

    ``sets`` (bit masks of steps done) limits the war values computed to
    those sets (default: all ``2^N``), e.g. the prefixes of the orders
    reported with ``p_holds``.
    """
    scenario = problem.scenario
    implementation = scenario.implementation
    dynamics = problem.dynamics
    assert implementation is not None and dynamics is not None
    sides = _sides(problem)
    names = tuple(s.actor for s in sides)
    steps = implementation.steps
    n, b = len(steps), len(sides)
    rng = np.random.default_rng(seed)
    d = max(draws, 1)
    # growth and war costs first, in durability's order, so shared inputs draw alike
    growth = {
        s.actor: _value(0.0 if s.entry.growth is None else s.entry.growth, draws, rng)
        for s in sides
    }
    costs = {s.actor: _value(s.entry.war_cost, draws, rng) for s in sides}
    power_eff = np.zeros((d, n, b))
    prospects = np.zeros((d, n, b))
    cost_eff = np.zeros((d, n, b))
    detect = np.zeros((d, n))
    fine = np.zeros((d, n))
    for k, step in enumerate(steps):
        for effect in step.effects:
            j = names.index(effect.actor)
            power_eff[:, k, j] += _value(effect.power, draws, rng)
            prospects[:, k, j] += _value(effect.prospects, draws, rng)
            cost_eff[:, k, j] += _value(effect.cost, draws, rng)
        for fx in dynamics.effects:
            if step.options.get(fx.issue) == fx.option and fx.actor in names:
                j = names.index(fx.actor)
                prospects[:, k, j] += fx.prospects
                cost_eff[:, k, j] += fx.cost
        if step.monitoring is not None:
            detect[:, k] = _value(step.monitoring.detect, draws, rng)
        for guarantor in step.guarantors:
            fine[:, k] += _value(guarantor.penalty, draws, rng)
    due = np.array([_years(scenario, step.due) for step in steps])
    slots = np.sort(due)
    grid = np.append(slots, slots[-1])  # time of slot |S|; the full set shares the last
    masks = np.arange(2**n, dtype=np.int64) if sets is None else np.unique(sets)
    column = np.full(2**n, -1, dtype=np.intp)
    column[masks] = np.arange(len(masks))
    members = ((masks[:, None] >> np.arange(n)[None, :]) & 1).astype(np.float64)  # (S, N)
    size = members.sum(axis=1).astype(np.intp)
    log_mult = np.einsum("sn,dnb->dsb", members, np.log1p(np.maximum(power_eff, -1 + 1e-12)))
    dp = np.einsum("sn,dnb->dsb", members, prospects)
    dc = np.einsum("sn,dnb->dsb", members, cost_eff)
    war = np.empty((d, b, len(masks)))
    for j, side in enumerate(sides):
        mine = power_at(side.entry, side.base, grid, growth[side.actor] if draws else None)
        opp_growth = growth.get(side.entry.against)
        theirs = power_at(side.opponent, side.opponent_base, grid, opp_growth if draws else None)
        mine = np.broadcast_to(mine, (d, len(grid)))[:, size] * np.exp(log_mult[:, :, j])
        o = names.index(side.entry.against) if side.entry.against in names else None
        theirs = np.broadcast_to(theirs, (d, len(grid)))[:, size]
        if o is not None:
            theirs = theirs * np.exp(log_mult[:, :, o])
        cost = costs[side.actor][:, None]
        win: Any = side.win
        if side.entry.win_value is None:  # recalibrate: V(0) = batna in every draw
            win = (side.batna + cost) / side.p0
        total = mine + theirs
        p = np.divide(mine, total, out=np.zeros_like(total), where=total > 0)
        p = np.clip(p + dp[:, :, j], 0.0, 1.0)
        war[:, j, :] = war_value(p, win, cost + dc[:, :, j])
    utility = utilities(problem.tables_of(0), problem.space.index_of(package)[None, :])[:, 0]
    deal = np.array([utility[s.index] for s in sides])
    ids = [step.id for step in steps]
    pred = np.array([sum(1 << ids.index(a) for a in step.after) for step in steps], np.int64)
    mover = np.array([names.index(s.actor) if s.actor in names else -1 for s in steps], np.intp)
    pen = detect * fine
    return Game(tuple(ids), names, mover, slots, war, column, deal, pen, detect, fine, pred)


def _result(game: Game, order: NDArray[np.intp], p_holds: float) -> OrderResult:
    """Full point-value result of one order."""
    breaks, values, shortfall, slack = solve(game, order[None, :])
    k = int(breaks[0, 0])
    n = len(game.steps)
    names = game.actors
    brk = None
    if k < n:
        s = int(order[k])
        brk = Break(game.steps[s], names[game.mover[s]], k + 1, float(game.slots[k]))
    needs = []
    done = 0
    for j in range(n):
        s = int(order[j])
        a = int(game.mover[s])
        if a >= 0:
            gap = float(game.war[0, a, game.column[done]] - game.deal[a])
            if gap - float(game.pen[0, s]) > _TOL:
                fine, detect = float(game.fine[0, s]), float(game.detect[0, s])
                need_d = gap / fine if fine > 0 and gap / fine <= 1 + _TOL else None
                need_f = gap / detect if detect > 0 else None
                needs.append(Need(game.steps[s], names[a], gap, need_d, need_f))
        done |= 1 << s
    return OrderResult(
        order=tuple(game.steps[int(s)] for s in order),
        self_enforcing=brk is None,
        breaks_at=brk,
        values={a: float(values[0, 0, j]) for j, a in enumerate(names)},
        needs=tuple(needs),
        shortfall=float(shortfall[0, 0]),
        slack=float(slack[0, 0]) if np.isfinite(slack[0, 0]) else None,
        p_holds=p_holds,
    )


def _rank(
    breaks: NDArray[np.intp], shortfall: NDArray[np.float64], slack: NDArray[np.float64], n: int
) -> NDArray[np.intp]:
    """Order indices, best first: holds, smaller shortfall, later break, larger slack."""
    holds = breaks == n
    slack = np.where(np.isfinite(slack), slack, np.finfo(np.float64).max)
    keys = (-np.round(slack, 12), -breaks, np.round(shortfall, 12), ~holds)
    return np.asarray(np.lexsort(keys), dtype=np.intp)


def sequences(
    problem: Problem,
    package: Mapping[str, str] | None = None,
    *,
    draws: int = 2000,
    seed: int = 0,
    top: int = 10,
    orders: Sequence[Sequence[str]] = (),
) -> Sequencing:
    """Every admissible order of the scenario's implementation steps, best first.

    Parameters
    ----------
    problem : Problem
        The compiled scenario (a batch of one); must have ``implementation``
        and ``dynamics`` sections.
    package : mapping of issue id to option id, optional
        Options for issues no step implements (default: the Nash package's).
    draws : int, default 2000
        Monte Carlo draws for ``p_holds`` (0: point values only).
    seed : int, default 0
    top : int, default 10
        How many of the best orders to report.
    orders : sequence of sequences of step ids, optional
        Orders to solve and report as ``requested`` (e.g. each side's
        proposal); each must list every step once and respect ``after``.

    Returns
    -------
    Sequencing

    Raises
    ------
    DurabilityError
        If a section is missing, the package is inconsistent with the steps,
        a requested order is not admissible, or ``draws`` is negative.

    Examples
    --------
    Two sides, each with batna 0.5 and a deal worth 0.6. A's step ``disarm``
    halves its power, B's step ``elect`` changes nothing. If A disarms first,
    B's war value at ``elect`` is ``(2/3) * 1.2 - 0.1 = 0.7 > 0.6``: B would
    renege, leaving A with ``(1/3) * 1.2 - 0.1 = 0.3``; A foresees it and
    refuses to disarm (war now is worth its batna, 0.5). The order breaks at
    ``disarm``; an expected penalty of 0.1 on B's reneging at ``elect`` would
    make it hold. Electing first holds:

    >>> from offramp.scenario import load_scenario_text
    >>> s = load_scenario_text('''
    ... id: t
    ... title: t
    ... as_of: 2024-01-01
    ... issues:
    ...   - {id: i, label: i, options: [{id: x, label: x, at: 0}, {id: y, label: y, at: 100}]}
    ... actors:
    ...   - {id: a, label: A, power: 50, veto: true, batna: 0.5,
    ...      stances: [{issue: i, position: x, salience: 1, values: {x: 0.6, y: 0.0}}]}
    ...   - {id: b, label: B, power: 50, veto: true, batna: 0.5,
    ...      stances: [{issue: i, position: x, salience: 1, values: {x: 0.6, y: 1.0}}]}
    ... dynamics:
    ...   actors:
    ...     - {actor: a, against: b, war_cost: 0.1}
    ...     - {actor: b, against: a, war_cost: 0.1}
    ... implementation:
    ...   steps:
    ...     - {id: disarm, label: A disarms, actor: a, options: {i: x}, due: 30,
    ...        effects: [{actor: a, power: -0.5}]}
    ...     - {id: elect, label: B holds elections, actor: b, due: 60}
    ... ''')
    >>> from offramp.problem import compile_problem
    >>> r = sequences(compile_problem(s), draws=0)
    >>> [(o.order, o.self_enforcing) for o in r.orders]
    [(('elect', 'disarm'), True), (('disarm', 'elect'), False)]
    >>> r.worst.breaks_at.step, r.worst.breaks_at.actor, round(r.worst.needs[0].gap, 4)
    ('disarm', 'a', 0.1)
    >>> r.worst.needs[0].step, r.worst.values
    ('elect', {'a': 0.5, 'b': 0.5})
    """
    if draws < 0:
        raise DurabilityError(f"--draws must be 0 or more; got {draws}")
    scenario = problem.scenario
    if scenario.dynamics is None:
        raise DurabilityError(
            f"scenario `{scenario.id}` has no `dynamics` section: the steps' war values need "
            "power trajectories and war costs (see docs/durability.md)"
        )
    chosen = sequence_package(problem, package)
    game = _compile(problem, chosen, 0, seed)
    n = len(game.steps)
    wanted = [parse_order(game, order) for order in orders]
    declared = np.arange(n, dtype=np.intp)
    declared_ok = all((int(game.pred[s]) & ~((1 << s) - 1)) == 0 for s in range(n))
    if n <= EXACT_STEPS:
        method = "exact"
        every = admissible(game.pred)
        parts: list[tuple[Any, Any, Any]] = []
        for start in range(0, len(every), _CHUNK):
            br, _, sf, sl = solve(game, every[start : start + _CHUNK])
            parts.append((br[:, 0], sf[:, 0], sl[:, 0]))
        breaks, shortfall, slack = (np.concatenate([p[i] for p in parts]) for i in range(3))
        rank = _rank(breaks, shortfall, slack, n)
        n_orders, n_holding = len(every), int(np.sum(breaks == n))
        picked = [every[i].astype(np.intp) for i in rank[:top]]
        worst_order = every[rank[-1]].astype(np.intp)
    else:
        method = "dynamic-programming"
        best, worst_arr = extreme(game, worst=False)[0], extreme(game, worst=True)[0]
        picked = [best]
        if declared_ok and not np.array_equal(declared, best):
            picked.append(declared)
        worst_order = worst_arr
        n_orders, n_holding = count(game.pred), None
    reported = [*picked, worst_order, *wanted] + ([declared] if declared_ok else [])
    drawn = _compile(problem, chosen, draws, seed, prefixes(np.array(reported))) if draws else None

    def holds(order: NDArray[np.intp]) -> float:
        br = solve(game if drawn is None else drawn, order[None, :])[0]
        return float(np.mean(br[0] == n))

    results = [_result(game, o, holds(o)) for o in picked]
    if method != "exact":
        results.sort(
            key=lambda r: (
                r.breaks_at is not None,
                round(r.shortfall, 12),
                -(n if r.breaks_at is None else r.breaks_at.position),
                -(r.slack or 0.0),
            )
        )
    info = tuple(
        {
            "id": step.id,
            "label": step.label,
            "actor": step.actor,
            "options": dict(step.options),
            "after": list(step.after),
            "year": _years(scenario, step.due),
        }
        for step in scenario.implementation.steps  # type: ignore[union-attr]
    )
    return Sequencing(
        package=chosen,
        steps=info,
        method=method,
        n_orders=n_orders,
        n_self_enforcing=n_holding,
        orders=tuple(results),
        worst=_result(game, worst_order, holds(worst_order)),
        declared=_result(game, declared, holds(declared)) if declared_ok else None,
        requested=tuple(_result(game, o, holds(o)) for o in wanted),
        draws=draws,
        seed=seed,
    )
