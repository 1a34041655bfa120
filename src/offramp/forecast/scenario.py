"""Forecast models on a scenario: per-issue arrays in, typed per-issue forecasts out.

A scenario states, for every actor, a capability (``power``, or a stance's own
``power`` on one issue), and for every issue it has a stance on, a position
(an option id or a number on the issue's 0-100 scale) and a salience.  This
module turns that into the arrays the models of :mod:`offramp.forecast` take,
runs a model, and reports per issue the forecast (on the 0-100 scale), the
option nearest to it, and whether the package of nearest options lies in the
ratified zone of possible agreement (and who blocks it if not).

Interpretive choices
--------------------
* **Who takes part.**  An actor with no stance on an issue is indifferent to
  it (README) and takes no part in that issue's one-issue forecast.  In the
  several-issue exchange model it is kept with salience 0 on that issue (it
  neither trades nor weighs), at the other actors' weighted mean.
* **Positions.**  An option id stands for the option's ``at``; numbers are
  used as given; results are on the same 0-100 scale.
* **Capability.**  A stance's ``power`` if given, else the actor's ``power``.
* **Salience.**  Scenario saliences are relative within an actor ("normalized
  per actor"), while the models read salience as an absolute attention share
  in [0, 1] (for the expected-utility model, the probability of resisting a
  challenge).  Each actor's saliences are divided by its largest one: its most
  important issue has salience 1.  This keeps the actor's own priorities,
  makes actors comparable whatever scale they were written on, and stays in
  [0, 1].
* **Uncertain inputs** enter at their central value (the number written
  beside the distribution); Monte Carlo draws belong to
  :mod:`offramp.uncertainty`.
* **Nearest option.**  The option whose ``at`` is closest to the forecast;
  an exact tie goes to the first option in the issue's order.

References
----------
See the model modules: :mod:`offramp.forecast.compromise`,
:mod:`offramp.forecast.eu`, :mod:`offramp.forecast.exchange`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from offramp.forecast._common import FloatArray, ForecastInputError, ForecastTrace
from offramp.forecast.compromise import compromise, median
from offramp.forecast.eu import expected_utility
from offramp.forecast.exchange import exchange
from offramp.scenario.rules import compile_rules
from offramp.scenario.schema import Scenario
from offramp.settle.space import Space, utilities, utility_tables

__all__ = [
    "SCENARIO_MODELS",
    "IssueForecast",
    "IssueInputs",
    "PackageCheck",
    "PackageVeto",
    "ScenarioForecast",
    "check_package",
    "forecast_scenario",
    "forecasts",
    "issue_inputs",
]

SCENARIO_MODELS = ("compromise", "median", "eu", "exchange")
"""Models :func:`forecast_scenario` runs (``offramp analyze`` reports all four)."""


@dataclass(frozen=True)
class IssueInputs:
    """The forecast models' inputs for one issue of a scenario.

    Attributes
    ----------
    issue : str
        Issue id.
    actors : tuple of str
        Ids of the actors with a stance on the issue, in scenario order.
    position : ndarray of float, shape (n,)
        Positions on the issue's 0-100 scale.
    capability : ndarray of float, shape (n,)
    salience : ndarray of float, shape (n,)
        In [0, 1]: each actor's salience over its largest salience.
    """

    issue: str
    actors: tuple[str, ...]
    position: FloatArray
    capability: FloatArray
    salience: FloatArray


def _at(scenario: Scenario, issue: str, position: float | str) -> float:
    if isinstance(position, str):
        options = next(i for i in scenario.issues if i.id == issue).options
        return float(next(o.at for o in options if o.id == position))
    return float(position)


def issue_inputs(scenario: Scenario) -> tuple[IssueInputs, ...]:
    """Per-issue arrays of the actors' positions, capabilities and saliences.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    tuple of IssueInputs
        One per issue, in scenario order (``actors`` may be empty).

    Examples
    --------
    >>> from offramp.scenario import load_scenario_text
    >>> s = load_scenario_text('''
    ... id: t
    ... title: t
    ... as_of: 2024-01-01
    ... issues:
    ...   - {id: i, label: i, options: [{id: lo, label: lo, at: 0}, {id: hi, label: hi, at: 80}]}
    ...   - {id: j, label: j, options: [{id: a, label: a, at: 0}, {id: b, label: b, at: 50}]}
    ... actors:
    ...   - id: x
    ...     label: x
    ...     power: 2
    ...     veto: true
    ...     batna: 0
    ...     stances:
    ...       - {issue: i, position: hi, salience: 4}
    ...       - {issue: j, position: 10, salience: 1, power: 5}
    ...   - {id: y, label: y, power: 1, stances: [{issue: i, position: 20, salience: 3}]}
    ... ''')
    >>> first, second = issue_inputs(s)
    >>> first.actors, first.position.tolist(), first.salience.tolist()
    (('x', 'y'), [80.0, 20.0], [1.0, 1.0])
    >>> second.actors, second.capability.tolist(), second.salience.tolist()
    (('x',), [5.0], [0.25])
    """
    rows: dict[str, list[tuple[str, float, float, float]]] = {i.id: [] for i in scenario.issues}
    for actor in scenario.actors:
        top = max((float(st.salience) for st in actor.stances), default=0.0)
        for stance in actor.stances:
            power = float(actor.power if stance.power is None else stance.power)
            salience = float(stance.salience) / top if top > 0 else 0.0
            position = _at(scenario, stance.issue, stance.position)
            rows[stance.issue].append((actor.id, position, power, salience))
    out = []
    for issue in scenario.issues:
        data = rows[issue.id]
        out.append(
            IssueInputs(
                issue=issue.id,
                actors=tuple(r[0] for r in data),
                position=np.array([r[1] for r in data], dtype=np.float64),
                capability=np.array([r[2] for r in data], dtype=np.float64),
                salience=np.array([r[3] for r in data], dtype=np.float64),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class PackageVeto:
    """Why a package is outside the ratified ZOPA: one veto actor or public against it.

    ``value`` is the actor's utility (``kind="actor"``, refusing when not above
    ``limit``, its batna) or the public's predicted rejection share
    (``kind="public"``, rejecting when not below ``limit``, its threshold).
    """

    who: str
    kind: Literal["actor", "public"]
    label: str
    value: float
    limit: float


@dataclass(frozen=True)
class PackageCheck:
    """Where one package stands: in the ZOPA, ratified, and who blocks it."""

    package: dict[str, str]
    in_zopa: bool
    ratified: bool
    blockers: tuple[PackageVeto, ...]

    @property
    def in_ratified_zopa(self) -> bool:
        """Every veto actor prefers it to its batna and every public ratifies it."""
        return self.in_zopa and self.ratified


def check_package(scenario: Scenario, package: Mapping[str, str]) -> PackageCheck:
    """Evaluate one package against the veto actors' batnas and the publics' rules.

    Uses the same utilities (:func:`offramp.settle.space.utility_tables`, rounded as
    in the analysis) and rules (:func:`offramp.scenario.rules.compile_rules`) as
    :func:`offramp.settle.analysis.analyze_space`, so a package is in the ratified ZOPA here
    exactly when the analysis counts it there.

    Parameters
    ----------
    scenario : Scenario
    package : Mapping[str, str]
        An option id for every issue.

    Returns
    -------
    PackageCheck

    Raises
    ------
    PackageError
        If the package misses an issue or names an unknown option.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> path = Path(__file__).parents[3] / "scenarios" / "textbook-two-party.yaml"
    >>> s = load_scenario(path)
    >>> pkg = {"border": "split", "prisoners": "all_for_all", "sanctions": "lifted"}
    >>> check_package(s, pkg).in_ratified_zopa
    True
    """
    picked = Space.of(scenario).index_of(package)[None, :]
    utility = utilities(utility_tables(scenario), picked)[:, 0]
    blockers: list[PackageVeto] = []
    for a, actor in enumerate(scenario.actors):
        if actor.veto:
            batna = float(actor.batna or 0.0)
            if utility[a] <= batna:
                blockers.append(
                    PackageVeto(actor.id, "actor", actor.label, float(utility[a]), batna)
                )
    in_zopa = not blockers
    for public in scenario.publics:
        reject = float(compile_rules(public, scenario.issues)[0].lookup(picked)[0])
        if reject >= public.threshold:
            blockers.append(
                PackageVeto(public.id, "public", public.label, reject, float(public.threshold))
            )
    ratified = all(b.kind != "public" for b in blockers)
    return PackageCheck(dict(package), in_zopa, ratified, tuple(blockers))


@dataclass(frozen=True)
class IssueForecast:
    """One model's forecast on one issue of a scenario.

    ``forecast`` is on the issue's 0-100 scale; ``option`` the id of the option
    nearest to it; ``actors`` and the trace's actor axis correspond (the
    trace has one draw).  Both are
    ``None`` for an issue on which nobody has a stance (or whose actors all
    have zero capability x salience).
    """

    issue: str
    forecast: float | None
    option: str | None
    actors: tuple[str, ...]
    trace: ForecastTrace | None = field(repr=False, compare=False)
    column: int | None = None
    """Index of this issue on the trace's issue axis (several-issue models), else ``None``."""


@dataclass(frozen=True)
class ScenarioForecast:
    """One model's forecast on every issue, and where that package stands."""

    model: str
    issues: tuple[IssueForecast, ...]
    check: PackageCheck | None
    """``None`` when some issue has no forecast (so there is no package)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the ``forecasts.<model>`` entry of ``result.json``)."""
        check = self.check
        return {
            "issues": {f.issue: {"forecast": f.forecast, "option": f.option} for f in self.issues},
            "package": None if check is None else check.package,
            "in_zopa": None if check is None else check.in_zopa,
            "ratified": None if check is None else check.ratified,
            "in_ratified_zopa": None if check is None else check.in_ratified_zopa,
            "blockers": []
            if check is None
            else [
                {"who": b.who, "kind": b.kind, "label": b.label, "value": b.value, "limit": b.limit}
                for b in check.blockers
            ],
        }


def _nearest(scenario: Scenario, issue: str, x: float) -> str:
    options = next(i for i in scenario.issues if i.id == issue).options
    gaps = [abs(o.at - x) for o in options]
    return options[int(np.argmin(gaps))].id


def _one_issue(model: str, data: IssueInputs, params: Mapping[str, Any]) -> ForecastTrace | None:
    if not data.actors or float(np.sum(data.capability * data.salience)) <= 0:
        return None
    if model == "compromise":
        return compromise(data.position, data.capability, data.salience)
    if model == "median":
        return median(data.position, data.capability, data.salience)
    return expected_utility(data.position, data.capability, data.salience, **params)


def _exchange(
    scenario: Scenario, inputs: tuple[IssueInputs, ...], params: Mapping[str, Any]
) -> dict[str, tuple[ForecastTrace, int]]:
    live = [d for d in inputs if d.actors and float(np.sum(d.capability * d.salience)) > 0]
    if not live:
        return {}
    actors = [a.id for a in scenario.actors]
    index = {a: k for k, a in enumerate(actors)}
    n, m = len(actors), len(live)
    x, c, s = np.zeros((n, m)), np.zeros((n, m)), np.zeros((n, m))
    for d, data in enumerate(live):
        w = data.capability * data.salience
        x[:, d] = float(np.sum(w * data.position) / np.sum(w))
        c[:, d] = [float(a.power) for a in scenario.actors]
        for k, actor in enumerate(data.actors):
            x[index[actor], d] = data.position[k]
            c[index[actor], d] = data.capability[k]
            s[index[actor], d] = data.salience[k]
    trace = exchange(x, c, s, **params)
    return {data.issue: (trace, d) for d, data in enumerate(live)}


def forecast_scenario(scenario: Scenario, model: str, **params: Any) -> ScenarioForecast:
    """Run one forecast model on every issue of a scenario.

    Parameters
    ----------
    scenario : Scenario
    model : {"compromise", "median", "eu", "exchange"}
        ``"exchange"`` runs once over all issues; the others issue by issue.
    **params
        Passed to the model (e.g. ``rounds``; see :func:`offramp.forecast.run`).

    Returns
    -------
    ScenarioForecast

    Raises
    ------
    ForecastInputError
        For an unknown model or bad parameters.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> path = Path(__file__).parents[3] / "scenarios" / "textbook-two-party.yaml"
    >>> result = forecast_scenario(load_scenario(path), "compromise")
    >>> [(f.issue, f.option) for f in result.issues][:1]
    [('border', 'split')]
    """
    if model not in SCENARIO_MODELS:
        raise ForecastInputError(
            f"unknown forecast model {model!r} for a scenario; choose one of "
            f"{', '.join(SCENARIO_MODELS)}"
        )
    inputs = issue_inputs(scenario)
    results: list[IssueForecast] = []
    try:
        if model == "exchange":
            traces = _exchange(scenario, inputs, params)
            for data in inputs:
                if data.issue not in traces:
                    results.append(IssueForecast(data.issue, None, None, data.actors, None))
                    continue
                trace, d = traces[data.issue]
                value = float(trace.final[0, d])
                results.append(
                    IssueForecast(
                        data.issue,
                        value,
                        _nearest(scenario, data.issue, value),
                        tuple(a.id for a in scenario.actors),
                        trace,
                        d,
                    )
                )
        else:
            for data in inputs:
                one = _one_issue(model, data, params)
                if one is None:
                    results.append(IssueForecast(data.issue, None, None, data.actors, None))
                    continue
                found = float(one.final[0])
                option = _nearest(scenario, data.issue, found)
                results.append(IssueForecast(data.issue, found, option, data.actors, one))
    except TypeError as err:
        raise ForecastInputError(f"bad parameters for model {model!r}: {err}") from err
    package = {f.issue: f.option for f in results}
    check = None
    if all(option is not None for option in package.values()):
        check = check_package(scenario, {k: v for k, v in package.items() if v is not None})
    return ScenarioForecast(model, tuple(results), check)


def forecasts(scenario: Scenario) -> dict[str, dict[str, Any]] | None:
    """Every model of :data:`SCENARIO_MODELS` at its defaults, as JSON-ready dicts.

    This is the ``forecasts`` entry of ``result.json`` (see docs/forecast.md):
    per model, ``issues`` (``{issue: {forecast, option}}``), ``package``,
    ``in_zopa``, ``ratified``, ``in_ratified_zopa`` and ``blockers``.

    Returns
    -------
    dict or None
        ``None`` when no actor has any stance (there is nothing to forecast).

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> path = Path(__file__).parents[3] / "scenarios" / "textbook-two-party.yaml"
    >>> sorted(forecasts(load_scenario(path)))
    ['compromise', 'eu', 'exchange', 'median']
    """
    if not any(actor.stances for actor in scenario.actors):
        return None
    return {model: forecast_scenario(scenario, model).to_dict() for model in SCENARIO_MODELS}
