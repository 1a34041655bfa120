"""Whether a deal would hold: the commitment problem.

A settlement is *self-enforcing* when no side ever prefers going back to war
to keeping it. After Fearon (1995), a side's expected value of war is its
probability of prevailing times the value of prevailing, minus the cost of
war; a deal survives as long as it gives every side at least that much.
Powell (2006) shows how a large, rapid shift in the distribution of power
breaks such deals: the side growing stronger cannot credibly promise not to
use its future strength, so a deal that suits both today stops suiting the
rising side tomorrow. This module projects that over time.

Model
-----
For each belligerent ``a`` (the actors listed in the scenario's
``dynamics.actors``), with opponent ``o`` (its ``against``)::

    p_a(t) = clip(P_a(t) / (P_a(t) + P_o(t)) + dp_a(x), 0, 1)
    V_a(t) = p_a(t) * W_a - (c_a + dc_a(x))

``P(t)`` is the projected power (capability) trajectory: the actor's
``power`` at year 0, then constant relative ``growth`` per year
(``P(0) (1 + g)^t``) or piecewise-linear ``points`` (constant after the last
point). ``p`` is the ratio form of the contest success function (Tullock 1980
with exponent 1; the same power ratio Fearon uses to illustrate ``p``).
``c_a`` is the actor's ``war_cost`` and ``W_a`` its value of prevailing.
``dp_a(x)`` and ``dc_a(x)`` sum the ``dynamics.effects`` of the options in the
package ``x``: a security guarantee raising the would-be aggressor's cost, a
demilitarized zone lowering its chance of a quick win. The package gives
``a`` its utility ``U_a(x)`` (:mod:`offramp.settle.space`).

Side ``a`` prefers to renege at time ``t`` when ``V_a(t) > U_a(x)``. The deal
is self-enforcing over the horizon ``H`` (``dynamics.horizon``, default 5
years) when that never happens for ``t`` in ``[0, H]``; otherwise the first
breach is the earliest such ``t`` and the side that reneges.

Interpretive choices
--------------------
* **Calibration.** Unless ``win_value`` is given, ``W_a`` is set so that
  resuming the war today, with none of the package's effects, is worth what
  the scenario says fighting on is worth: ``V_a(0) = batna_a``, i.e.
  ``W_a = (batna_a + c_a) / p_a(0)``. The batna and the war model then agree
  at ``t = 0``, and a deal that beats an actor's batna holds for it as long
  as its power does not grow relative to its opponent's. ``W_a`` can exceed
  1: prevailing may be worth more than any negotiable package.
* **The deal's value is constant** over time (no discounting, no
  renegotiation): the question is only whether war becomes more attractive.
* **Continuous time.** Breach times are found on a weekly grid and refined by
  bisection on the (continuous) war value, so the reported year is exact to
  about 1e-9 years, not a grid point.
* **Uncertainty.** ``growth`` and ``war_cost`` may be distributions
  (:mod:`offramp.scenario.distributions`); each draw takes every one
  independently (inverse-CDF of seeded uniforms, one per input, in the order
  of ``dynamics.actors``), recalibrates ``W_a`` so that ``V_a(0) = batna_a``
  still holds, and ``p_holds[y]`` is the share of draws in which no side
  prefers war before year ``y`` (checked on the weekly grid). The base case
  (``self_enforcing``, ``first_breach``) uses the point values.
* **Restoring guarantees.** For a package that is not self-enforcing, every
  option that has an effect in ``dynamics.effects`` is tried in its place (one
  substitution, then pairs on different issues if none alone works); those
  that make it self-enforcing over the horizon are reported, with whether
  the changed package still beats every veto actor's batna.
* Actors without a ``dynamics`` entry (e.g. a non-belligerent veto actor)
  never renege in this model.

References
----------
Fearon, J. D. (1995). Rationalist explanations for war. *International
Organization* 49(3), 379-414. https://doi.org/10.1017/S0020818300033324

Powell, R. (2006). War as a commitment problem. *International Organization*
60(1), 169-203. https://doi.org/10.1017/S0020818306060061

Tullock, G. (1980). Efficient rent seeking. In Buchanan, Tollison & Tullock
(eds.), *Toward a Theory of the Rent-Seeking Society*, 97-112. Texas A&M
University Press.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
from numpy.typing import NDArray

from offramp.errors import OfframpError
from offramp.scenario.distributions import distribution_of
from offramp.scenario.schema import ActorDynamics, Scenario
from offramp.settle.analysis import analyze_space
from offramp.settle.space import utilities, utility_tables

__all__ = [
    "YEARS",
    "Breach",
    "Durability",
    "DurabilityError",
    "Restoration",
    "complete_package",
    "default_package",
    "durability",
    "power_at",
    "war_paths",
    "war_value",
]

YEARS = (1, 3, 5)
"""Years after the deal for which :attr:`Durability.p_holds` is reported."""

_STEPS_PER_YEAR = 52
_TOL = 1e-12


class DurabilityError(OfframpError):
    """Durability cannot be assessed for this scenario or package (the message says why)."""


@dataclass(frozen=True)
class Breach:
    """The first side to prefer war again, and when (years after ``as_of``)."""

    actor: str
    year: float


@dataclass(frozen=True)
class Restoration:
    """Option changes that make a package self-enforcing over the horizon."""

    change: dict[str, str]
    beats_batnas: bool


@dataclass(frozen=True)
class Durability:
    """Whether a package would hold. See :func:`durability`.

    ``deal``, ``war_now`` and ``war_end`` give, for each belligerent, the
    package's utility and the value of resuming the war at year 0 and at the
    horizon (base-case growth).
    """

    package: dict[str, str]
    horizon: float
    self_enforcing: bool
    first_breach: Breach | None
    p_holds: dict[str, float]
    restoring: tuple[Restoration, ...]
    draws: int
    seed: int
    deal: dict[str, float] = field(default_factory=dict)
    war_now: dict[str, float] = field(default_factory=dict)
    war_end: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form."""
        return {
            "package": self.package,
            "horizon": self.horizon,
            "self_enforcing": self.self_enforcing,
            "first_breach": None
            if self.first_breach is None
            else {"actor": self.first_breach.actor, "year": round(self.first_breach.year, 6)},
            "p_holds": self.p_holds,
            "restoring": [
                {"change": r.change, "beats_batnas": r.beats_batnas} for r in self.restoring
            ],
            "draws": self.draws,
            "seed": self.seed,
            "values": {
                a: {"deal": self.deal[a], "war_now": self.war_now[a], "war_end": self.war_end[a]}
                for a in self.deal
            },
        }


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


def _sides(scenario: Scenario) -> list[_Side]:
    dynamics = scenario.dynamics
    assert dynamics is not None
    entries = {e.actor: e for e in dynamics.actors}
    ids = [a.id for a in scenario.actors]
    sides = []
    zero = np.zeros(1)
    for entry in dynamics.actors:
        actor = scenario.actor(entry.actor)
        opponent = scenario.actor(entry.against)
        other = entries.get(entry.against)
        mine = float(power_at(entry, actor.power, zero)[0, 0])
        theirs = float(power_at(other, opponent.power, zero)[0, 0])
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
            win = ((actor.batna or 0.0) + cost) / p0
        sides.append(
            _Side(
                entry.actor,
                ids.index(entry.actor),
                entry,
                other,
                actor.power,
                opponent.power,
                win,
                cost,
                float(actor.batna or 0.0),
                p0,
            )
        )
    return sides


def _shifts(scenario: Scenario, package: Mapping[str, str]) -> dict[str, tuple[float, float]]:
    """Summed (prospects, cost) effects of the package's options on each actor."""
    dynamics = scenario.dynamics
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
    scenario: Scenario,
    sides: Sequence[_Side],
    package: Mapping[str, str],
    deal: NDArray[np.float64],
    horizon: float,
    *,
    draws: int = 0,
    seed: int = 0,
) -> tuple[Breach | None, dict[str, float], dict[str, tuple[float, float]]]:
    """First breach (base case), p_holds over draws, and (war now, war at horizon)."""
    shifts = _shifts(scenario, package)
    end = max(horizon, float(max(YEARS)))
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

    p_holds = {str(y): 1.0 for y in YEARS}
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
        p_holds = {str(y): float(np.mean(breach_at > y)) for y in YEARS}
    return first, p_holds, values


def war_paths(
    scenario: Scenario, package: Mapping[str, str], years: Sequence[float] | NDArray[np.float64]
) -> dict[str, NDArray[np.float64]]:
    """Each belligerent's base-case value of resuming the war over time, under a package.

    The curve :func:`durability` compares with the deal's utility: ``V_a(t)``
    with the package's effects, point values of growth and war cost, and
    ``W_a`` calibrated as described in the module docstring. A side reneges
    where its curve rises above its utility of the deal.

    Parameters
    ----------
    scenario : Scenario
        Must have a ``dynamics`` section.
    package : mapping of issue id to option id
    years : sequence of float, shape (T,)
        Years after ``as_of``.

    Returns
    -------
    dict of str to ndarray of float64, shape (T,)
        One curve per actor of ``dynamics.actors``.

    Raises
    ------
    DurabilityError
        If the scenario has no ``dynamics`` or a side cannot be calibrated.

    Examples
    --------
    With the scenario of :func:`durability`'s example, B's value of war
    reaches the deal's 0.6 at year 0.4 (its power 70 against A's 50):

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
    ...   horizon: 2
    ...   actors:
    ...     - {actor: a, against: b, war_cost: 0.1}
    ...     - {actor: b, against: a, war_cost: 0.1, points: [{year: 1, value: 100}]}
    ... ''')
    >>> paths = war_paths(s, {"i": "x"}, [0.0, 0.4, 1.0])
    >>> [round(v, 4) for v in paths["b"].tolist()], [round(v, 4) for v in paths["a"].tolist()]
    ([0.5, 0.6, 0.7], [0.5, 0.4, 0.3])
    """
    if scenario.dynamics is None:
        raise DurabilityError(
            f"scenario `{scenario.id}` has no `dynamics` section: add power trajectories and war "
            "costs for the belligerents (see docs/durability.md)"
        )
    t = np.asarray(years, dtype=np.float64)
    shifts = _shifts(scenario, package)
    out = {}
    for side in _sides(scenario):
        mine = power_at(side.entry, side.base, t)
        theirs = power_at(side.opponent, side.opponent_base, t)
        shift = shifts.get(side.actor, (0.0, 0.0))
        out[side.actor] = np.asarray(
            _engine(mine, theirs, side.win, side.cost, shift)[0], dtype=np.float64
        )
    return out


def _package_index(scenario: Scenario, package: Mapping[str, str]) -> NDArray[np.intp]:
    options = []
    for issue in scenario.issues:
        ids = [o.id for o in issue.options]
        if issue.id not in package:
            raise DurabilityError(f"the package has no option for issue `{issue.id}`")
        if package[issue.id] not in ids:
            raise DurabilityError(
                f"`{package[issue.id]}` is not an option of `{issue.id}`; options: {', '.join(ids)}"
            )
        options.append(ids.index(package[issue.id]))
    return np.array([options], dtype=np.intp)


def durability(
    scenario: Scenario,
    package: Mapping[str, str],
    *,
    draws: int = 2000,
    seed: int = 0,
) -> Durability:
    """Whether a package would hold: self-enforcing, first breach, p_holds, restoring options.

    Parameters
    ----------
    scenario : Scenario
        Must have a ``dynamics`` section.
    package : mapping of issue id to option id
        One option on every issue.
    draws : int, default 2000
        Monte Carlo draws of the uncertain growth rates for ``p_holds``.
    seed : int, default 0

    Returns
    -------
    Durability

    Raises
    ------
    DurabilityError
        If the scenario has no ``dynamics`` or the package is incomplete.

    Examples
    --------
    Two sides; the deal gives each 0.6 and both batnas are 0.5. B's power
    doubles in a year (points), A's stays at 50:

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
    ...   horizon: 2
    ...   actors:
    ...     - {actor: a, against: b, war_cost: 0.1}
    ...     - {actor: b, against: a, war_cost: 0.1, points: [{year: 1, value: 100}]}
    ... ''')
    >>> d = durability(s, {"i": "x"}, draws=0)
    >>> d.self_enforcing, d.first_breach.actor, round(d.first_breach.year, 4)
    (False, 'b', 0.4)

    B's value of prevailing is calibrated to (0.5 + 0.1) / 0.5 = 1.2; it
    reneges once 1.2 p - 0.1 > 0.6, i.e. p > 7/12, i.e. its power exceeds
    70, which the linear path from 50 to 100 reaches at year 0.4.
    """
    if scenario.dynamics is None:
        raise DurabilityError(
            f"scenario `{scenario.id}` has no `dynamics` section: add power trajectories and war "
            "costs for the belligerents (see docs/durability.md)"
        )
    sides = _sides(scenario)
    horizon = scenario.dynamics.horizon
    tables = utility_tables(scenario)
    index = _package_index(scenario, package)
    deal = utilities(tables, index)[:, 0]
    clean = {issue.id: package[issue.id] for issue in scenario.issues}
    first, p_holds, values = _evaluate(
        scenario, sides, clean, deal, horizon, draws=draws, seed=seed
    )
    restoring: list[Restoration] = []
    if first is not None:
        restoring = _restoring(scenario, sides, clean, tables, horizon)
    return Durability(
        package=clean,
        horizon=horizon,
        self_enforcing=first is None,
        first_breach=first,
        p_holds=p_holds,
        restoring=tuple(restoring),
        draws=draws,
        seed=seed,
        deal={s.actor: float(deal[s.index]) for s in sides},
        war_now={a: v[0] for a, v in values.items()},
        war_end={a: v[1] for a, v in values.items()},
    )


def _restoring(
    scenario: Scenario,
    sides: Sequence[_Side],
    package: dict[str, str],
    tables: list[NDArray[np.float64]],
    horizon: float,
) -> list[Restoration]:
    dynamics = scenario.dynamics
    assert dynamics is not None
    veto = [a for a, actor in enumerate(scenario.actors) if actor.veto]
    batna = np.array([scenario.actors[a].batna or 0.0 for a in veto])
    candidates = sorted(
        {(e.issue, e.option) for e in dynamics.effects if package.get(e.issue) != e.option},
        key=lambda c: (
            [i.id for i in scenario.issues].index(c[0]),
            [o.id for o in scenario.issue(c[0]).options].index(c[1]),
        ),
    )
    found: list[Restoration] = []
    for size in (1, 2):
        for combo in combinations(candidates, size):
            if len({issue for issue, _ in combo}) < size:
                continue
            change = dict(combo)
            changed = {**package, **change}
            deal = utilities(tables, _package_index(scenario, changed))[:, 0]
            first, _, _ = _evaluate(scenario, sides, changed, deal, horizon)
            if first is None:
                found.append(Restoration(change, bool(np.all(deal[veto] > batna))))
        if found:
            break
    return found


def default_package(scenario: Scenario) -> dict[str, str] | None:
    """The Nash package of the settlement analysis, or None when the ratified ZOPA is empty."""
    nash = analyze_space(scenario).solutions["nash"]
    return None if nash is None else dict(nash.package)


def complete_package(scenario: Scenario, partial: Mapping[str, str]) -> dict[str, str]:
    """A full package from a partial one, the other issues taken from the Nash package.

    Raises
    ------
    DurabilityError
        If an issue or option is unknown, or issues are missing and there is
        no Nash package to take them from.
    """
    issues = {issue.id: [o.id for o in issue.options] for issue in scenario.issues}
    for issue_id, option_id in partial.items():
        if issue_id not in issues:
            raise DurabilityError(f"unknown issue `{issue_id}`; issues: {', '.join(issues)}")
        if option_id not in issues[issue_id]:
            raise DurabilityError(
                f"`{option_id}` is not an option of `{issue_id}`; "
                f"options: {', '.join(issues[issue_id])}"
            )
    missing = [i for i in issues if i not in partial]
    if not missing:
        return {i: partial[i] for i in issues}
    nash = default_package(scenario)
    if nash is None:
        raise DurabilityError(
            "the ratified ZOPA is empty, so there is no Nash package to assess or to complete "
            "the package from; give an option for every issue with --package ISSUE=OPTION "
            f"(missing: {', '.join(missing)})"
        )
    return {i: partial.get(i, nash[i]) for i in issues}
