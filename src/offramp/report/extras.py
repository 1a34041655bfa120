"""Adapters from the optional engines' results to report sections.

Each engine (forecast models, sweeps and sensitivity, negotiation,
durability) is developed on its own; the report and the web app render its
results when the engine is installed. Every adapter here is a small function
``engine results -> Section`` plus a probe that says whether the engine is
there, so a missing engine leaves a note ("not included") rather than an
error.

Forecasts
    Every model of :data:`offramp.forecast.scenario.FORECAST_MODELS` runs
    through :func:`offramp.forecast.scenario.forecast_problem`, the function
    ``offramp forecast`` and the web app's ``/forecast`` call, on the same
    compiled scenario and at the same (default) parameters: the report shows
    the CLI's numbers, and ``report.json`` holds them in the shape of
    ``offramp forecast --json``'s ``issues``.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from typing import Any

from offramp.forecast import MODELS, ForecastInputError
from offramp.forecast.scenario import FORECAST_MODELS, ScenarioForecast, forecast_problem
from offramp.problem import Problem
from offramp.report.model import Figure, Section, Table
from offramp.scenario.schema import Scenario

__all__ = [
    "ENGINES",
    "available_engines",
    "durability_section",
    "forecast_section",
    "forecasts_json",
    "model_options",
    "model_title",
    "run_forecasts",
    "scale_notes",
    "trajectories",
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


def run_forecasts(problem: Problem) -> tuple[dict[str, ScenarioForecast], dict[str, str]]:
    """Run every model of :data:`~offramp.forecast.scenario.FORECAST_MODELS` on a scenario.

    Each model runs through :func:`~offramp.forecast.scenario.forecast_problem`
    at its defaults (what ``offramp forecast FILE --model MODEL`` runs); a
    model that cannot run on the scenario is skipped with its reason.

    Returns
    -------
    forecasts : dict of str to ScenarioForecast
        By model, in the order of ``FORECAST_MODELS``.
    skipped : dict of str to str
        Models that could not run, with the engine's reason.
    """
    out: dict[str, ScenarioForecast] = {}
    skipped: dict[str, str] = {}
    for model in FORECAST_MODELS:
        try:
            result = forecast_problem(problem, model)
        except ForecastInputError as error:
            skipped[model] = str(error)
            continue
        if any(f.trace is not None for f in result.issues):
            out[model] = result
    return out, skipped


def forecasts_json(forecasts: Mapping[str, ScenarioForecast]) -> dict[str, dict[str, Any]]:
    """``{model: {issue: {forecast, rounds, option}}}``: per model, ``offramp forecast --json``'s
    ``issues`` (the ``forecasts`` of ``report.json`` and of the web app's ``/forecast``)."""
    return {model: result.issues_dict() for model, result in forecasts.items()}


def scale_notes(scenario: Scenario) -> list[str]:
    """What 0 and 100 mean on each issue, in the scenario's own words.

    The options at the two ends of each issue's scale, and the issue's
    ``notes`` when it has some.
    """
    out = []
    for issue in scenario.issues:
        low = min(issue.options, key=lambda o: o.at)
        high = max(issue.options, key=lambda o: o.at)
        text = f"{issue.label}: {low.at:g} is “{low.label}”, {high.at:g} is “{high.label}”"
        out.append(text + (f" ({issue.notes})" if issue.notes else ""))
    return out


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
    func = MODELS.get(model)
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


def _option_label(scenario: Scenario, issue: str, option: str | None) -> str:
    return next((o.label for o in scenario.issue(issue).options if o.id == option), "")


def trajectories(forecasts: Mapping[str, ScenarioForecast]) -> dict[tuple[str, str], list[float]]:
    """``{(model, issue): forecast after every round}`` (round 0 first) of every issue forecast."""
    return {
        (model, f.issue): [row["forecast"] for row in f.history()]
        for model, result in forecasts.items()
        for f in result.issues
        if f.trace is not None
    }


def forecast_section(
    scenario: Scenario,
    forecasts: Mapping[str, ScenarioForecast],
    skipped: Mapping[str, str] | None = None,
) -> Section | None:
    """The forecasts: a table of every model's final forecast and each dynamic model's rounds.

    Returns None when there are no forecasts.
    """
    by = trajectories(forecasts)
    if not by:
        return None
    skipped = skipped or {}
    models = list(dict.fromkeys(m for m, _ in by))
    issues = [i.id for i in scenario.issues if any((m, i.id) in by for m in models)]
    options = {
        (model, f.issue): f.option for model, result in forecasts.items() for f in result.issues
    }
    rows = []
    for issue in issues:
        cells = [scenario.issue(issue).label]
        for model in models:
            t = by.get((model, issue))
            label = _option_label(scenario, issue, options.get((model, issue)))
            cells.append("" if t is None else f"{t[-1]:.0f} ({label})")
        rows.append(tuple(cells))
    table = Table(
        columns=("issue", *(_MODEL_NAMES.get(m, m) for m in models)),
        rows=tuple(rows),
        caption="Each model's forecast per issue on its 0–100 scale, with the nearest option.",
    )
    figures = []
    for model in models:
        traces = [(i, by[(model, i)]) for i in issues if (model, i) in by]
        if max(len(t) for _, t in traces) < 2:
            continue
        figures.append(
            Figure(
                id=f"forecast-{model}",
                title=f"{model_title(model)}: round by round",
                caption="The forecast on each issue after every round of bargaining, on the "
                "issue's 0–100 scale (what the ends of each scale mean is listed below "
                "the table).",
                spec={
                    "data": [
                        {
                            "type": "scatter",
                            "mode": "lines+markers",
                            "name": scenario.issue(i).label,
                            "x": list(range(len(t))),
                            "y": list(t),
                        }
                        for i, t in traces
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
        finals = [by[(m, issue)][-1] for m in models if (m, issue) in by]
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
    bullets = tuple(scale_notes(scenario))
    return Section(
        "forecasts", "Forecasts", tuple(paragraphs), (table,), tuple(figures), bullets=bullets
    )


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
