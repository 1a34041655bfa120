"""The war model behind durability: power over time, the value of war, when a deal breaks.

See :mod:`offramp.durability` for the model and its references.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from offramp.durability.results import Breach
from offramp.errors import OfframpError
from offramp.problem import Problem
from offramp.scenario.distributions import distribution_of
from offramp.scenario.schema import ActorDynamics

__all__ = ["YEARS", "DurabilityError", "power_at", "war_value"]


YEARS = (1, 3, 5)
"""Years after the deal for which :attr:`Durability.p_holds` is reported."""

_STEPS_PER_YEAR = 52
_TOL = 1e-12


class DurabilityError(OfframpError):
    """Durability cannot be assessed for this scenario or package (the message says why)."""


def war_value(p: Any, win_value: Any, war_cost: Any) -> NDArray[np.float64]:
    """Expected value of (resuming) war: ``p * win_value - war_cost`` (Fearon 1995).

    Examples
    --------
    >>> float(war_value(0.75, 1.0, 0.25))
    0.5
    """
    return np.asarray(np.asarray(p, dtype=np.float64) * win_value - war_cost, dtype=np.float64)


def power_at(
    entry: ActorDynamics | None,
    base: float,
    years: NDArray[np.float64],
    growth: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Projected power at given years.

    Parameters
    ----------
    entry : ActorDynamics or None
        The actor's dynamics (None: power stays at ``base``).
    base : float
        The actor's power at year 0 (its scenario ``power``).
    years : ndarray of float64, shape (T,)
    growth : ndarray of float64, shape (D,), optional
        Growth rate of each draw (default: the entry's ``growth``).

    Returns
    -------
    ndarray of float64, shape (D, T) (D = 1 without ``growth``)

    Examples
    --------
    >>> from offramp.scenario.schema import ActorDynamics
    >>> e = ActorDynamics(actor="a", against="b", growth=0.5, war_cost=0.1)
    >>> power_at(e, 10.0, np.array([0.0, 1.0, 2.0])).tolist()
    [[10.0, 15.0, 22.5]]
    >>> e = ActorDynamics(actor="a", against="b", points=[{"year": 2, "value": 30}], war_cost=0.1)
    >>> power_at(e, 10.0, np.array([0.0, 1.0, 2.0, 3.0])).tolist()
    [[10.0, 20.0, 30.0, 30.0]]
    """
    years = np.asarray(years, dtype=np.float64)
    if entry is not None and entry.points is not None:
        xs = [p.year for p in entry.points]
        ys = [p.value for p in entry.points]
        if xs[0] > 0:
            xs, ys = [0.0, *xs], [base, *ys]
        return np.interp(years, xs, ys)[None, :]
    rate = 0.0 if entry is None or entry.growth is None else entry.growth
    g = np.atleast_1d(np.asarray(rate if growth is None else growth, dtype=np.float64))
    return np.asarray(base * (1.0 + g[:, None]) ** years[None, :])


@dataclass(frozen=True)
class _Side:
    actor: str
    index: int
    entry: ActorDynamics
    opponent: ActorDynamics | None
    base: float
    opponent_base: float
    win: float
    cost: float
    batna: float
    p0: float


def _sides(problem: Problem) -> list[_Side]:
    dynamics = problem.dynamics
    assert dynamics is not None
    entries = {e.actor: e for e in dynamics.actors}
    ids = list(problem.actor_ids)
    power, batnas = problem.power[0], problem.batna[0]
    sides = []
    zero = np.zeros(1)
    for entry in dynamics.actors:
        me, them = ids.index(entry.actor), ids.index(entry.against)
        other = entries.get(entry.against)
        mine = float(power_at(entry, float(power[me]), zero)[0, 0])
        theirs = float(power_at(other, float(power[them]), zero)[0, 0])
        p0 = mine / (mine + theirs) if mine + theirs > 0 else 0.0
        cost = float(entry.war_cost)
        if entry.win_value is not None:
            win = entry.win_value
        elif p0 <= 0:
            raise DurabilityError(
                f"`{entry.actor}` has no power at year 0, so its value of prevailing cannot be "
                "calibrated from its batna; give `win_value` in its dynamics entry"
            )
        else:
            win = (float(batnas[me]) + cost) / p0
        sides.append(
            _Side(
                entry.actor,
                me,
                entry,
                other,
                float(power[me]),
                float(power[them]),
                win,
                cost,
                float(batnas[me]),
                p0,
            )
        )
    return sides


def _shifts(problem: Problem, package: Mapping[str, str]) -> dict[str, tuple[float, float]]:
    """Summed (prospects, cost) effects of the package's options on each actor."""
    dynamics = problem.dynamics
    assert dynamics is not None
    out: dict[str, tuple[float, float]] = {}
    for effect in dynamics.effects:
        if package.get(effect.issue) == effect.option:
            dp, dc = out.get(effect.actor, (0.0, 0.0))
            out[effect.actor] = (dp + effect.prospects, dc + effect.cost)
    return out


def _engine(
    mine: NDArray[np.float64],
    theirs: NDArray[np.float64],
    win: Any,
    cost: Any,
    shift: tuple[float, float],
) -> NDArray[np.float64]:
    """War value for power arrays of any (broadcastable) shape."""
    total = mine + theirs
    p = np.divide(mine, total, out=np.zeros(np.broadcast(mine, total).shape), where=total > 0)
    p = np.clip(p + shift[0], 0.0, 1.0)
    return war_value(p, win, cost + shift[1])


def _draws_of(value: float | None, draws: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """``draws`` draws of an input (all equal to it when it is a plain number)."""
    u = rng.random(draws)  # drawn even for plain numbers, so draws do not shift between inputs
    dist = distribution_of(value)
    if dist is None:
        return np.full(draws, float(value or 0.0))
    return np.asarray(dist.ppf(u), dtype=np.float64)


def _evaluate(
    problem: Problem,
    sides: Sequence[_Side],
    package: Mapping[str, str],
    deal: NDArray[np.float64],
    horizon: float,
    *,
    draws: int = 0,
    seed: int = 0,
    years: Sequence[float] = YEARS,
) -> tuple[Breach | None, dict[str, float], dict[str, tuple[float, float]]]:
    """First breach (base case), p_holds at ``years`` over draws, (war now, war at horizon)."""
    shifts = _shifts(problem, package)
    end = max(horizon, float(max(years)))
    grid = np.linspace(0.0, end, round(end * _STEPS_PER_YEAR) + 1)
    first: Breach | None = None
    values: dict[str, tuple[float, float]] = {}
    for side in sides:
        shift = shifts.get(side.actor, (0.0, 0.0))

        def value(t: NDArray[np.float64], side: _Side = side, shift: Any = shift) -> Any:
            mine = power_at(side.entry, side.base, t)
            theirs = power_at(side.opponent, side.opponent_base, t)
            return _engine(mine, theirs, side.win, side.cost, shift)[0]

        v = value(grid)
        values[side.actor] = (float(v[0]), float(value(np.array([horizon]))[0]))
        over = np.flatnonzero(v > deal[side.index] + _TOL)
        over = over[grid[over] <= horizon + _TOL]
        if over.size == 0:
            continue
        j = int(over[0])
        if j == 0:
            year = 0.0
        else:
            lo, hi = float(grid[j - 1]), float(grid[j])
            for _ in range(60):
                mid = 0.5 * (lo + hi)
                if value(np.array([mid]))[0] > deal[side.index] + _TOL:
                    hi = mid
                else:
                    lo = mid
            year = hi
        if first is None or year < first.year:
            first = Breach(side.actor, year)

    p_holds = {str(y): 1.0 for y in years}
    if draws > 0:
        rng = np.random.default_rng(seed)
        breach_at = np.full(draws, np.inf)
        growth = {s.actor: _draws_of(s.entry.growth, draws, rng) for s in sides}
        costs = {s.actor: _draws_of(s.entry.war_cost, draws, rng) for s in sides}
        for side in sides:
            shift = shifts.get(side.actor, (0.0, 0.0))
            mine = power_at(side.entry, side.base, grid, growth[side.actor])
            theirs = power_at(
                side.opponent, side.opponent_base, grid, growth.get(side.entry.against)
            )
            cost = costs[side.actor][:, None]
            win: Any = side.win
            if side.entry.win_value is None:  # recalibrate: V(0) = batna in every draw
                win = (side.batna + cost) / side.p0
            v = _engine(mine, theirs, win, cost, shift)
            v = np.broadcast_to(v, (draws, len(grid)))
            over = v > deal[side.index] + _TOL
            when = np.where(over.any(axis=1), grid[np.argmax(over, axis=1)], np.inf)
            breach_at = np.minimum(breach_at, when)
        p_holds = {str(y): float(np.mean(breach_at > y)) for y in years}
    return first, p_holds, values
