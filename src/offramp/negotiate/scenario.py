"""Negotiation on a scenario: the base case and a batch of runs in random turn order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from offramp.negotiate.events import draw_branches, event_changes
from offramp.negotiate.inputs import (
    rounds_until,
    scenario_inputs,
    scenario_lines,
    scenario_signing,
)
from offramp.negotiate.protocol import simulate
from offramp.negotiate.results import ACTIONS, Move, Negotiation, Outcome
from offramp.negotiate.strategies import (
    Strategy,
    StrategyError,
    parse_strategy,
)
from offramp.problem import Problem
from offramp.settle.solutions import pareto_filter, solve

__all__ = ["negotiate"]


_CHUNK = 1 << 22  # runs x packages per engine call


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
    problem: Problem,
    *,
    strategies: Mapping[str, Strategy | str] | None = None,
    deadline: int | dt.date = 20,
    runs: int = 0,
    seed: int = 0,
    round_days: int = 7,
    on_progress: Callable[[int, int], None] | None = None,
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
    if round_days < 1:
        raise StrategyError(f"a round must last at least 1 day; got {round_days}")
    rounds = (
        rounds_until(problem, deadline, round_days) if isinstance(deadline, dt.date) else deadline
    )
    if rounds < 1:
        raise StrategyError(f"the deadline must be at least 1 round; got {rounds}")
    space, veto, utility, allowed = scenario_inputs(problem)
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
    changes = event_changes(problem, rounds, round_days)

    lines = scenario_lines(problem, space, veto)
    signing = scenario_signing(problem, space)
    base = simulate(
        utility, batna, plan, rounds, cost=cost, changes=changes, lines=lines, signing=signing
    )
    final_u = next((c.utility for c in reversed(changes) if c.utility is not None), utility)
    final_b = base.batna[0]
    nash_index, front = _frontier_check(final_u, final_b, allowed & lines.all(axis=0))
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
        pareto_optimal=None if agreed < 0 else bool(front[agreed]),
    )
    if runs == 0:
        return result
    rng = np.random.default_rng(seed)
    order = rng.permuted(np.tile(np.arange(len(ids)), (runs, 1)), axis=1)
    draws = draw_branches(problem, rounds * round_days, runs, rng)
    agreement = np.full(runs, -1, dtype=np.int64)
    step = max(1, _CHUNK // max(1, space.size))
    finished = 0
    for combo in sorted(set(draws)):
        members = np.flatnonzero(np.array([d == combo for d in draws], dtype=bool))
        group_changes = (
            changes
            if not combo
            else event_changes(problem, rounds, round_days, branches=dict(combo))
        )
        for start in range(0, len(members), step):
            rows = members[start : start + step]
            trace = simulate(
                utility,
                batna,
                plan,
                rounds,
                cost=cost,
                order=order[rows],
                changes=group_changes,
                lines=lines,
                signing=signing,
            )
            agreement[rows] = trace.agreement
            finished += len(rows)
            if on_progress is not None:
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
