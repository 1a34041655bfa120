"""Whether one package would hold, and the war paths behind the answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np
from numpy.typing import NDArray

from offramp.durability.model import (
    YEARS,
    DurabilityError,
    _engine,
    _evaluate,
    _shifts,
    _Side,
    _sides,
    power_at,
)
from offramp.durability.results import Durability, Restoration
from offramp.problem import Problem
from offramp.settle.analysis import analyze_space
from offramp.settle.space import utilities

__all__ = ["complete_package", "default_package", "durability", "war_paths"]


def _require_dynamics(problem: Problem) -> None:
    if problem.dynamics is None:
        raise DurabilityError(
            f"scenario `{problem.id}` has no `dynamics` section: add power trajectories and war "
            "costs for the belligerents (see docs/durability.md)"
        )


def war_paths(
    problem: Problem, package: Mapping[str, str], years: Sequence[float] | NDArray[np.float64]
) -> dict[str, NDArray[np.float64]]:
    """Each belligerent's base-case value of resuming the war over time, under a package.

    The curve :func:`durability` compares with the deal's utility: ``V_a(t)``
    with the package's effects, point values of growth and war cost, and
    ``W_a`` calibrated as described in the module docstring. A side reneges
    where its curve rises above its utility of the deal.

    Parameters
    ----------
    problem : Problem
        The compiled scenario (a batch of one); must have a ``dynamics`` section.
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
    >>> from offramp.problem import compile_problem
    >>> paths = war_paths(compile_problem(s), {"i": "x"}, [0.0, 0.4, 1.0])
    >>> [round(v, 4) for v in paths["b"].tolist()], [round(v, 4) for v in paths["a"].tolist()]
    ([0.5, 0.6, 0.7], [0.5, 0.4, 0.3])
    """
    _require_dynamics(problem)
    t = np.asarray(years, dtype=np.float64)
    shifts = _shifts(problem, package)
    out = {}
    for side in _sides(problem):
        mine = power_at(side.entry, side.base, t)
        theirs = power_at(side.opponent, side.opponent_base, t)
        shift = shifts.get(side.actor, (0.0, 0.0))
        out[side.actor] = np.asarray(
            _engine(mine, theirs, side.win, side.cost, shift)[0], dtype=np.float64
        )
    return out


def durability(
    problem: Problem,
    package: Mapping[str, str],
    *,
    draws: int = 2000,
    seed: int = 0,
    years: Sequence[float] = YEARS,
) -> Durability:
    """Whether a package would hold: self-enforcing, first breach, p_holds, restoring options.

    Parameters
    ----------
    problem : Problem
        The compiled scenario (a batch of one); must have a ``dynamics`` section.
    package : mapping of issue id to option id
        One option on every issue.
    draws : int, default 2000
        Monte Carlo draws of the uncertain growth rates for ``p_holds``.
    seed : int, default 0
    years : sequence of float, default ``YEARS`` (1, 3, 5)
        Years after ``as_of`` at which ``p_holds`` is reported (keys ``str(y)``).

    Returns
    -------
    Durability

    Raises
    ------
    DurabilityError
        If the scenario has no ``dynamics``.
    PackageError
        If the package misses an issue or names an unknown option.

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
    >>> from offramp.problem import compile_problem
    >>> d = durability(compile_problem(s), {"i": "x"}, draws=0)
    >>> d.self_enforcing, d.first_breach.actor, round(d.first_breach.year, 4)
    (False, 'b', 0.4)

    B's value of prevailing is calibrated to (0.5 + 0.1) / 0.5 = 1.2; it
    reneges once 1.2 p - 0.1 > 0.6, i.e. p > 7/12, i.e. its power exceeds
    70, which the linear path from 50 to 100 reaches at year 0.4.
    """
    _require_dynamics(problem)
    assert problem.dynamics is not None
    sides = _sides(problem)
    horizon = problem.dynamics.horizon
    tables = problem.tables_of(0)
    index = problem.space.index_of(package)[None, :]
    deal = utilities(tables, index)[:, 0]
    clean = {issue: package[issue] for issue in problem.space.issue_ids}
    first, p_holds, values = _evaluate(
        problem, sides, clean, deal, horizon, draws=draws, seed=seed, years=years
    )
    restoring: list[Restoration] = []
    if first is not None:
        restoring = _restoring(problem, sides, clean, tables, horizon)
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
    problem: Problem,
    sides: Sequence[_Side],
    package: dict[str, str],
    tables: list[NDArray[np.float64]],
    horizon: float,
) -> list[Restoration]:
    dynamics = problem.dynamics
    assert dynamics is not None
    veto = problem.veto_index
    batna = problem.batna[0, veto]
    issues = problem.space.issue_ids

    # an option a veto actor's red line rules out restores nothing it would sign
    def ruled_out(issue: str, option: str) -> bool:
        i = issues.index(issue)
        k = problem.space.option_ids[i].index(option)
        return bool(problem.never[i][0, veto, k].any())

    candidates = sorted(
        {
            (e.issue, e.option)
            for e in dynamics.effects
            if package.get(e.issue) != e.option and not ruled_out(e.issue, e.option)
        },
        key=lambda c: (
            issues.index(c[0]),
            problem.space.option_ids[issues.index(c[0])].index(c[1]),
        ),
    )
    found: list[Restoration] = []
    for size in (1, 2):
        for combo in combinations(candidates, size):
            if len({issue for issue, _ in combo}) < size:
                continue
            change = dict(combo)
            changed = {**package, **change}
            deal = utilities(tables, problem.space.index_of(changed)[None, :])[:, 0]
            first, _, _ = _evaluate(problem, sides, changed, deal, horizon)
            if first is None:
                found.append(Restoration(change, bool(np.all(deal[veto] > batna))))
        if found:
            break
    return found


def default_package(problem: Problem) -> dict[str, str] | None:
    """The Nash package of the settlement analysis, or None when the ratified ZOPA is empty."""
    nash = analyze_space(problem).solutions["nash"]
    return None if nash is None else dict(nash.package)


def complete_package(problem: Problem, partial: Mapping[str, str]) -> dict[str, str]:
    """A full package from a partial one, the other issues taken from the Nash package.

    Raises
    ------
    DurabilityError
        If an issue or option is unknown, or issues are missing and there is
        no Nash package to take them from.
    """
    issues = dict(zip(problem.space.issue_ids, problem.space.option_ids, strict=True))
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
    nash = default_package(problem)
    if nash is None:
        raise DurabilityError(
            "the ratified ZOPA is empty, so there is no Nash package to assess or to complete "
            "the package from; give an option for every issue with --package ISSUE=OPTION "
            f"(missing: {', '.join(missing)})"
        )
    return {i: partial.get(i, nash[i]) for i in issues}
