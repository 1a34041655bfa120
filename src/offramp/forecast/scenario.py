"""Forecast models on a compiled scenario: the one forecast path of every face.

The CLI (``offramp forecast``), ``offramp analyze``, the report and the web
app's ``/forecast`` all call :func:`forecast_problem` on the same
:class:`~offramp.problem.Problem` with the same parameters, so a model's
forecast is the same number wherever it is shown.

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
* **The spatial model of politics** (``smp``, KTAB) needs every actor's
  position on every issue and a positive capability: it runs over the
  actors with positive ``power`` and some salience, on the issues where at
  least one of them has a stance; an actor without a stance on an issue sits
  at the mean position of the stance holders with salience 0 there, and
  saliences are fractions of each actor's attention (divided by their sum),
  as KTAB reads them.
* **Uncertain inputs** enter at their central value (the number written
  beside the distribution); Monte Carlo draws belong to
  :mod:`offramp.uncertainty`.
* **Nearest option.**  The option whose ``at`` is closest to the forecast;
  an exact tie goes to the first option in the issue's order.

References
----------
See the model modules: :mod:`offramp.forecast.compromise`,
:mod:`offramp.forecast.eu`, :mod:`offramp.forecast.exchange`,
:mod:`offramp.forecast.smp`.
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
from offramp.forecast.smp import smp
from offramp.problem import Problem
from offramp.settle.space import utilities

__all__ = [
    "FORECAST_MODELS",
    "SCENARIO_MODELS",
    "IssueForecast",
    "IssueInputs",
    "PackageCheck",
    "PackageVeto",
    "ScenarioForecast",
    "check_package",
    "forecast_problem",
    "forecasts",
    "issue_inputs",
    "played_rounds",
]

FORECAST_MODELS = ("compromise", "median", "eu", "exchange", "smp")
"""Models :func:`forecast_problem` runs (the choices of ``offramp forecast --model``)."""

SCENARIO_MODELS = FORECAST_MODELS[:4]
"""Models ``offramp analyze`` reports (every model but ``smp``, which is slow on big scenarios)."""


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


def issue_inputs(problem: Problem) -> tuple[IssueInputs, ...]:
    """Per-issue arrays of the actors' positions, capabilities and saliences.

    Parameters
    ----------
    problem : Problem
        A batch of one.

    Returns
    -------
    tuple of IssueInputs
        One per issue, in scenario order (``actors`` may be empty).

    Examples
    --------
    >>> from offramp.problem import compile_problem
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
    >>> first, second = issue_inputs(compile_problem(s))
    >>> first.actors, first.position.tolist(), first.salience.tolist()
    (('x', 'y'), [80.0, 20.0], [1.0, 1.0])
    >>> second.actors, second.capability.tolist(), second.salience.tolist()
    (('x',), [5.0], [0.25])
    """
    scaled = problem.attention[0]
    out = []
    for i, issue in enumerate(problem.space.issue_ids):
        rows = np.flatnonzero(problem.stance[:, i])
        out.append(
            IssueInputs(
                issue=issue,
                actors=tuple(problem.actor_ids[a] for a in rows),
                position=problem.position[0, rows, i].astype(np.float64),
                capability=problem.capability[0, rows, i].astype(np.float64),
                salience=scaled[rows, i].astype(np.float64),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class PackageVeto:
    """Why a package is outside the ratified ZOPA: one veto actor, public or legislature.

    ``value`` is the actor's utility (``kind="actor"``, refusing when not above
    ``limit``, its batna, or when the package crosses its red line) or the
    body's predicted rejection share (``kind="public"`` or ``"legislature"``,
    failing by the route the package takes there: ``limit`` is that vote's
    threshold; a quorum can fail it too).
    """

    who: str
    kind: Literal["actor", "public", "legislature"]
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


def check_package(problem: Problem, package: Mapping[str, str]) -> PackageCheck:
    """Evaluate one package against the veto actors' batnas and red lines, and the votes.

    Uses the same utilities (:attr:`offramp.problem.Problem.tables`, rounded as
    in the analysis), red lines and votes (:meth:`offramp.problem.Problem.body_rejects`)
    as :func:`offramp.settle.analysis.analyze_space`,
    so a package is in the ratified ZOPA here exactly when the analysis counts
    it there.

    Parameters
    ----------
    problem : Problem
        A batch of one.
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
    >>> from offramp.problem import compile_problem
    >>> from offramp.scenario import load_scenario
    >>> path = Path(__file__).parents[3] / "scenarios" / "textbook-two-party.yaml"
    >>> p = compile_problem(load_scenario(path))
    >>> pkg = {"border": "split", "prisoners": "all_for_all", "sanctions": "lifted"}
    >>> check_package(p, pkg).in_ratified_zopa
    True
    """
    picked = problem.space.index_of(package)[None, :]
    utility = utilities(problem.tables_of(0), picked)[:, 0]
    blockers: list[PackageVeto] = []
    for a in problem.veto_index:
        batna = float(problem.batna[0, a])
        lined = any(bool(m[0, a, k]) for m, k in zip(problem.never, picked[0], strict=True))
        if utility[a] <= batna or lined:  # a red line refuses whatever the utility
            blockers.append(
                PackageVeto(
                    problem.actor_ids[a], "actor", problem.actor_labels[a], float(utility[a]), batna
                )
            )
    in_zopa = not blockers
    # every public and legislature, by the route the package takes there
    rejects = problem.body_rejects(picked)[0, :, 0]
    reject = problem.rejection(picked)[0, :, 0]
    for q, body in enumerate(problem.bodies):
        if not rejects[q]:
            continue
        cell = int(body.cells(picked)[0])
        value = float(reject[q]) if body.kind == "public" else float(body.reject[cell])
        limit = float(body.threshold[cell])
        if np.isnan(limit):
            limit = float(problem.threshold[0, q])
        blockers.append(PackageVeto(body.id, body.kind, body.label, value, limit))
    ratified = all(b.kind == "actor" for b in blockers)
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
    rounds: int = 0
    """Rounds played (the spatial model of politics stops when positions converge)."""

    def history(self) -> list[dict[str, Any]]:
        """Round by round (round 0 first): positions, forecast, mean and median.

        The ``rounds`` of ``offramp forecast --json``; empty without a trace.
        """
        t, d = self.trace, self.column
        if t is None:
            return []
        rows = []
        for r in range(self.rounds + 1):
            pos = t.positions[0, r] if d is None else t.positions[0, r, :, d]
            at = (0, r) if d is None else (0, r, d)
            rows.append(
                {
                    "positions": {a: float(x) for a, x in zip(self.actors, pos, strict=True)},
                    "forecast": float(t.forecast[at]),
                    "mean": float(t.mean[at]),
                    "median": float(t.median[at]),
                }
            )
        return rows


@dataclass(frozen=True)
class ScenarioForecast:
    """One model's forecast on every issue, and where that package stands."""

    model: str
    issues: tuple[IssueForecast, ...]
    check: PackageCheck | None
    """``None`` when some issue has no forecast (so there is no package)."""

    def issues_dict(self) -> dict[str, dict[str, Any]]:
        """Per issue with a forecast: ``forecast``, ``rounds`` (:meth:`IssueForecast.history`)
        and ``option``, the ``issues`` of ``offramp forecast --json`` and of ``report.json``."""
        out: dict[str, dict[str, Any]] = {}
        for f in self.issues:
            if f.trace is None:
                continue
            rounds = f.history()
            entry: dict[str, Any] = {"forecast": rounds[-1]["forecast"], "rounds": rounds}
            if f.option is not None:
                entry["option"] = f.option
            out[f.issue] = entry
        return out

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


def _nearest(problem: Problem, issue: int, x: float) -> str:
    k = problem.space.sizes[issue]
    gaps = np.abs(problem.at[issue, :k] - x)
    return problem.space.option_ids[issue][int(np.argmin(gaps))]


def played_rounds(trace: ForecastTrace) -> int:
    """Rounds a trace played: the spatial model of politics records when it converged."""
    if trace.model == "smp" and "rounds" in trace.events:
        return int(trace.events["rounds"][0])
    return trace.rounds


def _one_issue(model: str, data: IssueInputs, params: Mapping[str, Any]) -> ForecastTrace | None:
    if not data.actors or float(np.sum(data.capability * data.salience)) <= 0:
        return None
    if model == "compromise":
        return compromise(data.position, data.capability, data.salience)
    if model == "median":
        return median(data.position, data.capability, data.salience)
    return expected_utility(data.position, data.capability, data.salience, **params)


def _exchange(
    problem: Problem, inputs: tuple[IssueInputs, ...], params: Mapping[str, Any]
) -> tuple[tuple[str, ...], dict[str, tuple[ForecastTrace, int]]]:
    live = [d for d in inputs if d.actors and float(np.sum(d.capability * d.salience)) > 0]
    actors = problem.actor_ids
    if not live:
        return actors, {}
    index = {a: k for k, a in enumerate(actors)}
    n, m = len(actors), len(live)
    x, c, s = np.zeros((n, m)), np.zeros((n, m)), np.zeros((n, m))
    for d, data in enumerate(live):
        w = data.capability * data.salience
        x[:, d] = float(np.sum(w * data.position) / np.sum(w))
        c[:, d] = problem.power[0]
        for k, actor in enumerate(data.actors):
            x[index[actor], d] = data.position[k]
            c[index[actor], d] = data.capability[k]
            s[index[actor], d] = data.salience[k]
    trace = exchange(x, c, s, **params)
    return actors, {data.issue: (trace, d) for d, data in enumerate(live)}


def _smp(
    problem: Problem, inputs: tuple[IssueInputs, ...], params: Mapping[str, Any]
) -> tuple[tuple[str, ...], dict[str, tuple[ForecastTrace, int]]]:
    # KTAB needs capability > 0: actors without power or salience take no part
    power, salience = problem.power[0], problem.salience[0]
    taking = [a for a in range(len(problem.actor_ids)) if power[a] > 0 and salience[a].sum() > 0]
    ids = tuple(problem.actor_ids[a] for a in taking)
    live = [d for d in inputs if set(ids) & set(d.actors)]
    if not live or not taking:
        raise ForecastInputError("no actor has a stance: there is nothing to forecast")
    index = {a: k for k, a in enumerate(ids)}
    n, m = len(ids), len(live)
    x, s = np.zeros((n, m)), np.zeros((n, m))
    for d, data in enumerate(live):
        x[:, d] = float(np.mean(data.position))
        for k, actor in enumerate(data.actors):
            if actor in index:
                x[index[actor], d] = data.position[k]
                s[index[actor], d] = data.salience[k]
    s = s / s.sum(axis=1, keepdims=True)  # KTAB: fractions of attention
    trace = smp(x, power[taking].astype(np.float64), s, **params)
    return ids, {data.issue: (trace, d) for d, data in enumerate(live)}


def forecast_problem(problem: Problem, model: str, **params: Any) -> ScenarioForecast:
    """Run one forecast model on every issue of a compiled scenario.

    Parameters
    ----------
    problem : Problem
        A batch of one.
    model : {"compromise", "median", "eu", "exchange", "smp"}
        ``"exchange"`` and ``"smp"`` run once over all issues; the others
        issue by issue.
    **params
        Passed to the model (e.g. ``rounds``; see :func:`offramp.forecast.run`).

    Returns
    -------
    ScenarioForecast

    Raises
    ------
    ForecastInputError
        For an unknown model or bad parameters, or when ``smp`` finds no actor to run on.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.problem import compile_problem
    >>> from offramp.scenario import load_scenario
    >>> path = Path(__file__).parents[3] / "scenarios" / "textbook-two-party.yaml"
    >>> result = forecast_problem(compile_problem(load_scenario(path)), "compromise")
    >>> [(f.issue, f.option) for f in result.issues][:1]
    [('border', 'split')]
    """
    if model not in FORECAST_MODELS:
        raise ForecastInputError(
            f"unknown forecast model {model!r} for a scenario; choose one of "
            f"{', '.join(FORECAST_MODELS)}"
        )
    inputs = issue_inputs(problem)
    results: list[IssueForecast] = []
    try:
        if model in ("exchange", "smp"):
            actors, traces = (_exchange if model == "exchange" else _smp)(problem, inputs, params)
            for i, data in enumerate(inputs):
                if data.issue not in traces:
                    results.append(IssueForecast(data.issue, None, None, data.actors, None))
                    continue
                trace, d = traces[data.issue]
                played = played_rounds(trace)
                value = float(trace.forecast[0, played, d])
                results.append(
                    IssueForecast(
                        data.issue, value, _nearest(problem, i, value), actors, trace, d, played
                    )
                )
        else:
            for i, data in enumerate(inputs):
                one = _one_issue(model, data, params)
                if one is None:
                    results.append(IssueForecast(data.issue, None, None, data.actors, None))
                    continue
                found = float(one.final[0])
                option = _nearest(problem, i, found)
                results.append(
                    IssueForecast(
                        data.issue, found, option, data.actors, one, None, played_rounds(one)
                    )
                )
    except TypeError as err:
        raise ForecastInputError(f"bad parameters for model {model!r}: {err}") from err
    package = {f.issue: f.option for f in results}
    check = None
    if all(option is not None for option in package.values()):
        check = check_package(problem, {k: v for k, v in package.items() if v is not None})
    return ScenarioForecast(model, tuple(results), check)


def forecasts(
    problem: Problem, models: tuple[str, ...] = SCENARIO_MODELS
) -> dict[str, dict[str, Any]] | None:
    """Every model of ``models`` at its defaults, as JSON-ready dicts.

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
    >>> from offramp.problem import compile_problem
    >>> from offramp.scenario import load_scenario
    >>> path = Path(__file__).parents[3] / "scenarios" / "textbook-two-party.yaml"
    >>> sorted(forecasts(compile_problem(load_scenario(path))))
    ['compromise', 'eu', 'exchange', 'median']
    """
    if not problem.stance.any():
        return None
    return {model: forecast_problem(problem, model).to_dict() for model in models}
