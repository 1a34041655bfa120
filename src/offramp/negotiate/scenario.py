"""Negotiation on a scenario: the base case and a batch of runs in random turn order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from offramp.negotiate.events import draw_branches, event_changes, event_problems, issue_changes
from offramp.negotiate.frontier import simulate_frontier
from offramp.negotiate.huge import issue_inputs, merged_check
from offramp.negotiate.inputs import (
    ENUMERATION_MAX,
    METHODS,
    rounds_until,
    scenario_inputs,
    scenario_lines,
    scenario_signing,
)
from offramp.negotiate.protocol import simulate
from offramp.negotiate.results import ACTIONS, Move, Negotiation, Outcome, Trace
from offramp.negotiate.strategies import (
    Strategy,
    StrategyError,
    parse_strategy,
)
from offramp.problem import Problem
from offramp.settle.solutions import pareto_filter, solve
from offramp.settle.space import utilities

__all__ = ["negotiate"]


_CHUNK = 1 << 22  # runs x packages per engine call
_Runner = Callable[
    [NDArray[np.intp] | None, dict[str, str] | None, Callable[[int], None] | None], Trace
]


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


def _offset(
    report: Callable[[int, int], None] | None, done: int, runs: int
) -> Callable[[int], None] | None:
    """A progress hook for one engine call: runs done in the call -> ``report(total, runs)``."""
    if report is None:
        return None
    return lambda i: report(done + i, runs)


def _enumerated_runner(
    problem: Problem,
    plan: list[Strategy],
    batna: NDArray[np.float64],
    cost: NDArray[np.float64],
    rounds: int,
    round_days: int,
) -> _Runner:
    """Runs of the enumerating engine: (turn orders or None, event branches or None, progress
    hook called with the runs done so far in the call, unused here) -> Trace."""
    space, veto, utility, _ = scenario_inputs(problem)
    lines = scenario_lines(problem, space, veto)
    signing = scenario_signing(problem, space)

    def run(
        order: NDArray[np.intp] | None,
        branches: dict[str, str] | None,
        on_run: Callable[[int], None] | None = None,
    ) -> Trace:
        changes = event_changes(problem, rounds, round_days, branches=branches)
        return simulate(
            utility,
            batna,
            plan,
            rounds,
            cost=cost,
            order=order,
            changes=changes,
            lines=lines,
            signing=signing,
        )

    return run


def _merged_runner(
    problem: Problem,
    plan: list[Strategy],
    batna: NDArray[np.float64],
    cost: NDArray[np.float64],
    rounds: int,
    round_days: int,
) -> _Runner:
    """Runs of the frontier engine, the same interface as :func:`_enumerated_runner`."""
    inputs = issue_inputs(problem)

    def run(
        order: NDArray[np.intp] | None,
        branches: dict[str, str] | None,
        on_run: Callable[[int], None] | None = None,
    ) -> Trace:
        return simulate_frontier(
            inputs.tables,
            batna,
            plan,
            rounds,
            lines=inputs.lines,
            signing=inputs.signing,
            mentioned=inputs.mentioned,
            cost=cost,
            order=order,
            changes=issue_changes(problem, rounds, round_days, branches=branches),
            on_run=on_run,
        )

    return run


def negotiate(
    problem: Problem,
    *,
    strategies: Mapping[str, Strategy | str] | None = None,
    deadline: int | dt.date = 20,
    runs: int = 0,
    seed: int = 0,
    round_days: int = 7,
    on_progress: Callable[[int, int], None] | None = None,
    method: str = "auto",
) -> Negotiation:
    """Simulate negotiations among a scenario's veto actors (stacked alternating offers).

    Parameters
    ----------
    problem : Problem
        The compiled scenario (a batch of one).
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
    on_progress : callable, optional
        Called as ``on_progress(done, runs)`` after each batch of the runs
        (for a progress bar).
    method : {"auto", "enumeration", "merge"}, default "auto"
        ``"enumeration"`` scans every package at every turn
        (:func:`~offramp.negotiate.protocol.simulate`, up to
        :data:`~offramp.negotiate.inputs.MAX_PACKAGES`); ``"merge"`` finds every
        offer on merged frontiers without enumerating
        (:func:`~offramp.negotiate.frontier.simulate_frontier`; not with
        ``offer=closest_above``); ``"auto"`` enumerates spaces of at most
        :data:`~offramp.negotiate.inputs.ENUMERATION_MAX` packages and merges
        larger ones. Both give the same negotiation.

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
    >>> from offramp.problem import compile_problem
    >>> from offramp.scenario import load_scenario
    >>> path = Path(__file__).parents[3] / "scenarios" / "textbook-two-party.yaml"
    >>> p = compile_problem(load_scenario(path))
    >>> n = negotiate(p, strategies={"north": "linear", "south": "linear"})
    >>> n.agreement, n.round, n.pareto_optimal
    ({'border': 'split', 'prisoners': 'all_for_all', 'sanctions': 'lifted'}, 11, True)
    """
    if runs < 0:
        raise StrategyError(f"--runs must be 0 or more; got {runs}")
    if method not in METHODS:
        raise StrategyError(f"the method must be one of {', '.join(METHODS)}; got `{method}`")
    merged = method == "merge" or (method == "auto" and problem.space.size > ENUMERATION_MAX)
    if round_days < 1:
        raise StrategyError(f"a round must last at least 1 day; got {round_days}")
    rounds = (
        rounds_until(problem, deadline, round_days) if isinstance(deadline, dt.date) else deadline
    )
    if rounds < 1:
        raise StrategyError(f"the deadline must be at least 1 round; got {rounds}")
    space, veto = problem.space, problem.veto_index
    ids = tuple(problem.actor_ids[a] for a in veto)
    chosen: dict[str, Strategy] = {a: parse_strategy("boulware") for a in ids}
    for actor_id, strategy in (strategies or {}).items():
        if actor_id not in ids:
            raise StrategyError(
                f"`{actor_id}` is not a veto actor; the actors at the table are {', '.join(ids)}"
            )
        chosen[actor_id] = parse_strategy(strategy) if isinstance(strategy, str) else strategy
    batna = problem.batna[0, veto].astype(np.float64)
    per_year = {
        e.actor: e.delay_cost for e in (problem.dynamics.actors if problem.dynamics else [])
    }
    cost = np.array([per_year.get(a, 0.0) * round_days / 365.25 for a in ids])
    plan = [chosen[a] for a in ids]
    run = (_merged_runner if merged else _enumerated_runner)(
        problem, plan, batna, cost, rounds, round_days
    )
    base = run(None, None, None)
    agreed = int(base.agreement[0])
    final_b = base.batna[0]
    if merged:
        after = event_problems(problem, rounds, round_days)
        final = after[-1][2] if after else problem
        # the final utilities and batnas, ratification as at the start (as enumeration's check)
        check = final.with_inputs(threshold=problem.threshold, reject=problem.reject)
        nash_index, on_front = merged_check(check, agreed)
        final_tables = [t[veto] for t in final.tables_of(0)]
        nash_u = (
            None
            if nash_index is None
            else utilities(final_tables, space.options_of(np.array([nash_index])))[:, 0]
        )
    else:
        _, _, utility, allowed = scenario_inputs(problem)
        changes = event_changes(problem, rounds, round_days)
        final_u = next((c.utility for c in reversed(changes) if c.utility is not None), utility)
        lines = scenario_lines(problem, space, veto)
        nash_index, front = _frontier_check(final_u, final_b, allowed & lines.all(axis=0))
        on_front = None if agreed < 0 else bool(front[agreed])
        nash_u = None if nash_index is None else final_u[:, nash_index]
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
    result = Negotiation(
        scenario=problem.id,
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
        pareto_optimal=on_front,
        method="merge" if merged else "enumeration",
    )
    if runs == 0:
        return result
    rng = np.random.default_rng(seed)
    order = rng.permuted(np.tile(np.arange(len(ids)), (runs, 1)), axis=1)
    draws = draw_branches(problem, rounds * round_days, runs, rng)
    agreement = np.full(runs, -1, dtype=np.int64)
    # the frontier engine plays a call's runs one by one, sharing its per-issue frontiers:
    # one call per event branch, progress after each run
    step = runs if merged else max(1, _CHUNK // max(1, space.size))
    finished = 0
    for combo in sorted(set(draws)):
        members = np.flatnonzero(np.array([d == combo for d in draws], dtype=bool))
        for start in range(0, len(members), step):
            rows = members[start : start + step]
            hook = _offset(on_progress, finished, runs) if merged else None
            agreement[rows] = run(order[rows], dict(combo) if combo else None, hook).agreement
            finished += len(rows)
            if on_progress is not None and not merged:
                on_progress(finished, runs)
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
