"""Adapters from the optional engines' results to report sections.

Each engine (forecast models, sweeps and sensitivity, negotiation,
durability) is developed on its own; the report and the web app render its
results when the engine is installed. Every adapter here is a small function
``engine results -> Section`` plus a probe that says whether the engine is
there, so a missing engine leaves a note ("not included") rather than an
error.

Forecasts
    Every issue is a separate one-dimensional problem for the forecast models:
    the actors with a stance on the issue take part, at their position
    (an option's ``at`` on the 0-100 scale, or the number given), with their
    ``power`` as capability and their salience normalized over their own
    stances (so it lies in [0, 1], which the expected-utility model reads as a
    probability). Actors with no stance on an issue stay out of it. The
    exchange model, which trades across issues, runs over the actors that have
    a stance on every issue.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from offramp.report.model import Figure, Section, Table
from offramp.scenario.schema import Scenario

__all__ = [
    "ENGINES",
    "ForecastInputs",
    "IssueForecast",
    "available_engines",
    "durability_section",
    "forecast_inputs",
    "forecast_section",
    "model_options",
    "model_title",
    "run_forecasts",
]

ENGINES = {
    "forecasts": "offramp.forecast",
    "sweeps": "offramp.uncertainty",
    "run store": "offramp.store",
    "negotiation": "offramp.negotiate",
    "durability": "offramp.durability",
}
"""Optional engines the report knows how to show, by the module that provides each."""


def available_engines() -> dict[str, bool]:
    """Which optional engines are importable here."""
    found = {}
    for name, module in ENGINES.items():
        try:
            importlib.import_module(module)
        except ImportError:
            found[name] = False
        else:
            found[name] = True
    return found


@dataclass(frozen=True)
class ForecastInputs:
    """One issue as a one-dimensional forecast problem.

    ``actors`` are the ids of the actors with a stance on the issue; arrays
    are aligned with them (shape ``(n,)``).
    """

    issue: str
    actors: tuple[str, ...]
    position: NDArray[np.float64]
    capability: NDArray[np.float64]
    salience: NDArray[np.float64]


def forecast_inputs(scenario: Scenario) -> list[ForecastInputs]:
    """Every issue's positions, capabilities and saliences for the forecast models.

    Issues on which no actor with positive power and salience has a stance
    are left out (no model can forecast them).

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> s = load_scenario(Path(__file__).parents[3] / "scenarios" / "ukraine-2024-09.yaml")
    >>> first = forecast_inputs(s)[0]
    >>> first.issue, first.actors[:2], first.position[:2].tolist()
    ('territory', ('ukraine', 'russia'), [0.0, 100.0])
    """
    out = []
    for issue in scenario.issues:
        ids, pos, cap, sal = [], [], [], []
        for actor in scenario.actors:
            total = sum(s.salience for s in actor.stances)
            for stance in actor.stances:
                if stance.issue != issue.id:
                    continue
                position = stance.position
                if isinstance(position, str):
                    position = next(o.at for o in issue.options if o.id == position)
                ids.append(actor.id)
                pos.append(float(position))
                cap.append(actor.power)
                sal.append(stance.salience / total if total > 0 else 0.0)
        weight = np.array(cap) * np.array(sal)
        if ids and weight.sum() > 0:
            out.append(
                ForecastInputs(issue.id, tuple(ids), np.array(pos), np.array(cap), np.array(sal))
            )
    return out


@dataclass(frozen=True)
class IssueForecast:
    """One model's forecast on one issue: the forecast after every round (round 0 first)."""

    model: str
    issue: str
    trajectory: tuple[float, ...]

    @property
    def final(self) -> float:
        """The forecast after the last round."""
        return self.trajectory[-1]


def _forecast_engine() -> Any:
    try:
        return importlib.import_module("offramp.forecast")
    except ImportError:
        return None


def _exchange_inputs(
    scenario: Scenario,
) -> tuple[tuple[str, ...], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]] | None:
    """Positions (n, m), capability (n,) and salience (n, m) of the actors with a stance on
    every issue (the exchange model needs a position of every actor on every issue)."""
    rows = []
    for actor in scenario.actors:
        stances = {s.issue: s for s in actor.stances}
        if actor.power <= 0 or any(issue.id not in stances for issue in scenario.issues):
            continue
        total = sum(s.salience for s in actor.stances)
        pos, sal = [], []
        for issue in scenario.issues:
            stance = stances[issue.id]
            position = stance.position
            if isinstance(position, str):
                position = next(o.at for o in issue.options if o.id == position)
            pos.append(float(position))
            sal.append(stance.salience / total if total > 0 else 0.0)
        rows.append((actor.id, actor.power, pos, sal))
    if len(rows) < 2:
        return None
    return (
        tuple(r[0] for r in rows),
        np.array([r[2] for r in rows]),
        np.array([r[1] for r in rows], dtype=np.float64),
        np.array([r[3] for r in rows]),
    )


def run_forecasts(scenario: Scenario) -> tuple[list[IssueForecast], dict[str, str]]:
    """Run every forecast model of :data:`offramp.forecast.MODELS` on a scenario.

    A model is first run issue by issue (:func:`forecast_inputs`); a model
    that needs several issues at once (the exchange model, the spatial model
    of politics) runs on all issues together over the actors with a stance on
    every issue (it needs every actor's position on every issue). A model that
    cannot run on the scenario is skipped with its reason.

    Returns
    -------
    forecasts : list of IssueForecast
        Model by model, issue by issue (empty when no forecast engine is installed).
    skipped : dict of str to str
        Models that could not run, with the engine's reason.
    """
    engine = _forecast_engine()
    if engine is None or not hasattr(engine, "run"):
        return [], {}
    error_type = getattr(engine, "ForecastInputError", ValueError)
    out: list[IssueForecast] = []
    skipped: dict[str, str] = {}
    problems = forecast_inputs(scenario)
    for model in engine.MODELS:
        try:
            found = [
                IssueForecast(
                    model,
                    problem.issue,
                    tuple(
                        float(v)
                        for v in np.asarray(
                            engine.run(
                                model, problem.position, problem.capability, problem.salience
                            ).forecast,
                            dtype=np.float64,
                        )[0]
                    ),
                )
                for problem in problems
            ]
        except error_type as one_issue_error:
            inputs = _exchange_inputs(scenario)
            if inputs is None:
                skipped[model] = str(one_issue_error)
                continue
            _, x, c, w = inputs
            try:
                trace = engine.run(model, x, c, w)
            except error_type as error:
                skipped[model] = str(error)
                continue
            forecast = np.asarray(trace.forecast, dtype=np.float64)[0]  # (R+1, m)
            found = [
                IssueForecast(model, issue.id, tuple(float(v) for v in forecast[:, k]))
                for k, issue in enumerate(scenario.issues)
            ]
        out.extend(found)
    return out, skipped


_MODEL_NAMES = {
    "compromise": "Compromise model (weighted mean)",
    "median": "Weighted median",
    "eu": "Expected-utility model (Bueno de Mesquita)",
    "exchange": "Exchange model (Stokman)",
    "smp": "Spatial model of politics (KTAB)",
}


def model_options(model: str) -> str:
    """The options a forecast model runs with in reports and the workbench, as ``name=value``.

    These are the model function's defaults (:func:`run_forecasts` passes
    none), so a chart titled with them says exactly what drew it.

    Examples
    --------
    >>> model_options("eu").split(", ")[:2]
    ['rounds=10', 'q=1']
    >>> model_options("compromise")
    ''
    """
    engine = _forecast_engine()
    func = getattr(engine, "MODELS", {}).get(model) if engine is not None else None
    if func is None:
        return ""
    parts = []
    for name, param in inspect.signature(func).parameters.items():
        default = param.default
        if default is inspect.Parameter.empty or default is None:
            continue
        shown = f"{default:g}" if isinstance(default, float) else str(default)
        parts.append(f"{name}={shown}")
    return ", ".join(parts)


def model_title(model: str) -> str:
    """A forecast model's name with its options, for chart titles."""
    options = model_options(model)
    name = _MODEL_NAMES.get(model, model)
    return f"{name}, {options}" if options else name


def _nearest(scenario: Scenario, issue: str, value: float) -> str:
    options = scenario.issue(issue).options
    best = min(options, key=lambda o: abs(o.at - value))
    return best.label


def forecast_section(
    scenario: Scenario,
    forecasts: list[IssueForecast],
    skipped: Mapping[str, str] | None = None,
) -> Section | None:
    """The forecasts: a table of every model's final forecast and each dynamic model's rounds.

    Returns None when there are no forecasts.
    """
    if not forecasts:
        return None
    skipped = skipped or {}
    models = list(dict.fromkeys(f.model for f in forecasts))
    issues = list(dict.fromkeys(f.issue for f in forecasts))
    by = {(f.model, f.issue): f for f in forecasts}
    rows = []
    for issue in issues:
        cells = [scenario.issue(issue).label]
        for model in models:
            f = by.get((model, issue))
            cells.append(
                "" if f is None else f"{f.final:.0f} ({_nearest(scenario, issue, f.final)})"
            )
        rows.append(tuple(cells))
    table = Table(
        columns=("issue", *(_MODEL_NAMES.get(m, m) for m in models)),
        rows=tuple(rows),
        caption="Each model's forecast per issue on its 0–100 scale, with the nearest option.",
    )
    figures = []
    for model in models:
        traces = [by[(model, i)] for i in issues if (model, i) in by]
        if max(len(t.trajectory) for t in traces) < 2:
            continue
        figures.append(
            Figure(
                id=f"forecast-{model}",
                title=f"{model_title(model)}: round by round",
                caption="The forecast on each issue after every round of bargaining "
                "(0 and 100 are the ends of each issue's scale, as the scenario places "
                "its options).",
                spec={
                    "data": [
                        {
                            "type": "scatter",
                            "mode": "lines+markers",
                            "name": scenario.issue(t.issue).label,
                            "x": list(range(len(t.trajectory))),
                            "y": list(t.trajectory),
                        }
                        for t in traces
                    ],
                    "layout": {
                        "xaxis": {"title": {"text": "round"}, "dtick": 1},
                        "yaxis": {"title": {"text": "forecast (0–100)"}, "range": [-2, 102]},
                        "height": 380,
                        "margin": {"l": 60, "r": 20, "t": 20, "b": 40},
                        "legend": {"font": {"size": 11}},
                        "plot_bgcolor": "#ffffff",
                    },
                },
            )
        )
    words = []
    for issue in issues[:3]:
        finals = [by[(m, issue)].final for m in models if (m, issue) in by]
        words.append(
            f"on {scenario.issue(issue).label} the models forecast between "
            f"{min(finals):.0f} and {max(finals):.0f}"
        )
    paragraph = (
        "Where would bargaining land issue by issue, if each issue were settled on its own by "
        "the actors' positions, power and salience? "
        + "; ".join(words)
        + ". These forecasts ignore vetoes, batnas and ratification: compare them with the "
        "verdict above."
    )
    paragraphs = [paragraph] + [
        f"{_MODEL_NAMES.get(m, m)} could not run on this scenario: {why}"
        for m, why in skipped.items()
    ]
    return Section("forecasts", "Forecasts", tuple(paragraphs), (table,), tuple(figures))


def durability_section(scenario: Scenario, durability: Mapping[str, Any] | None) -> Section | None:
    """Whether each bargaining solution would hold once signed (the commitment problem).

    ``durability`` is ``Analysis.durability``: for every solution, the JSON
    form of :func:`offramp.durability.durability` (or None when the solution
    does not exist). Returns None when there is nothing to show.
    """
    if not durability or not any(v for v in durability.values()):
        return None
    from offramp.report.build import SOLUTION_NAMES

    rows = []
    traces = []
    words = []
    for name, found in durability.items():
        if not found:
            continue
        label = SOLUTION_NAMES.get(name, name)
        breach = found.get("first_breach")
        breach_text = (
            "none"
            if not breach
            else f"{scenario.actor(breach['actor']).label} in year {breach['year']:.1f}"
        )
        holds = {float(k): float(v) for k, v in dict(found.get("p_holds", {})).items()}
        rows.append(
            (
                label,
                "yes" if found.get("self_enforcing") else "no",
                breach_text,
                ", ".join(f"{p:.0%} after {y:g} y" for y, p in sorted(holds.items())),
            )
        )
        if holds:
            years = sorted(holds)
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": label,
                    "x": [0.0, *years],
                    "y": [1.0, *(holds[y] for y in years)],
                }
            )
        words.append(
            f"the {label} package "
            + (
                "is self-enforcing: no side expects to gain by going back to war"
                if found.get("self_enforcing")
                else f"is not self-enforcing: the first to gain from breaking it is {breach_text}"
            )
        )
    table = Table(
        columns=("solution", "self-enforcing", "first breach", "probability it holds"),
        rows=tuple(rows),
        caption="Would the deal hold once signed? A deal is self-enforcing when, year by year, "
        "no side expects more from resuming the war than from keeping the deal.",
    )
    figure = Figure(
        id="durability",
        title="Probability that each solution holds",
        caption="Share of simulated futures in which no side has broken the deal by each year.",
        spec={
            "data": traces,
            "layout": {
                "xaxis": {"title": {"text": "years after signing"}},
                "yaxis": {"title": {"text": "probability the deal holds"}, "range": [0, 1.05]},
                "height": 340,
                "margin": {"l": 60, "r": 20, "t": 20, "b": 40},
                "plot_bgcolor": "#ffffff",
            },
        },
    )
    text = "Durability: " + "; ".join(words) + "."
    return Section("durability", "Would it hold?", (text,), (table,), (figure,) if traces else ())
