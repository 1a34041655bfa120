"""Routes that analyze a scenario: ``/analyze``, ``/forecast`` and ``/report``."""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from offramp.assess import analyze
from offramp.errors import PackageError
from offramp.evaluate import evaluate
from offramp.problem import compile_problem
from offramp.problem.model import APPLIES_ABOVE
from offramp.report.build import frontier_figure
from offramp.report.cloud import package_cloud
from offramp.report.extras import (
    available_engines,
    forecast_section,
    forecasts_json,
    model_options,
    model_title,
    run_forecasts,
    trajectories,
)
from offramp.report.render import render_html
from offramp.report.stored import stored_results
from offramp.report.write import QUICK_SWEEP_DRAWS, report_for
from offramp.scenario.distributions import distribution_of
from offramp.scenario.load import content_hash
from offramp.scenario.schema import Scenario
from offramp.settle.redlines import stance_probabilities
from offramp.web.context import Context, Refused
from offramp.web.schemas import ERRORS, AnalyzeIn, EvaluateIn, ScenarioIn

__all__ = ["add_analysis_routes"]


def _number(value: Any) -> Any:
    """A scenario input's point value as JSON (distributions give their point value)."""
    if value is None or isinstance(value, bool | str):
        return value
    return float(value)


def _for_ui(scenario: Scenario) -> dict[str, Any]:
    """The scenario as the UI's controls need it: point values, and which are uncertain.

    ``uncertain`` lists the paths (as in edits) of inputs written as
    distributions, and ``distributions`` gives each one's ``path`` and ``spec``
    as the file writes it (``{"triangular": [low, mode, high]}``): the UI edits
    a distribution's own parameters, and replaces it by a number only when
    asked to.
    """
    data = scenario.model_dump(mode="json")
    uncertain: list[list[str | int]] = []
    specs: list[dict[str, Any]] = []

    def walk(node: Any, path: list[str | int]) -> None:
        if isinstance(node, dict):
            if path and path[-1] in (
                "batna",
                "power",
                "position",
                "salience",
                "threshold",
                "reject",
            ):
                uncertain.append(path)
                specs.append({"path": path, "spec": node})
                return
            for key, value in node.items():
                walk(value, [*path, key])
        elif isinstance(node, list):
            for k, value in enumerate(node):
                walk(value, [*path, k])

    walk(data, [])
    data["red_lines"] = _red_lines(scenario, data)
    for a, actor in enumerate(scenario.actors):
        data["actors"][a]["batna"] = _number(actor.batna)
        data["actors"][a]["power"] = _number(actor.power)
        for k, stance in enumerate(actor.stances):
            data["actors"][a]["stances"][k]["position"] = _number(stance.position)
            data["actors"][a]["stances"][k]["salience"] = _number(stance.salience)
            if stance.never:
                # the red line's control: one probability that it holds (the smallest of
                # its options' when they differ; setting it sets the whole line)
                line = stance.never_p
                held = list(line.values()) if isinstance(line, dict) else [line]
                data["actors"][a]["stances"][k]["never_p"] = min(
                    1.0 if v is None else float(v) for v in held
                )
                if isinstance(line, dict) or distribution_of(line) is not None:
                    uncertain.append(["actors", a, "stances", k, "never_p"])
    for p, public in enumerate(scenario.publics):
        data["publics"][p]["threshold"] = _number(public.threshold)
        for k, rule in enumerate(public.rules):
            data["publics"][p]["rules"][k]["reject"] = _number(rule.reject)
    data["uncertain"] = uncertain
    data["distributions"] = specs
    return data


def _red_lines(scenario: Scenario, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every declared red line (a stance's ``never``), option by option, for the UI's toggles.

    Each entry: the actor and issue (ids, labels, veto), the ``path`` of its
    ``never_p`` (as in edits), and per option its ``p`` (point probability
    that the line holds, :func:`offramp.settle.redlines.stance_probabilities`),
    ``holds`` (applied by the analysis: p above 0.5) and ``spec``: its
    probability as the file writes it (a number or a distribution), so a
    toggle can rewrite one option's line and keep the others' as written.
    ``data`` is the scenario's JSON dump, before the UI replaces distributions
    by point values.
    """
    out = []
    for a, actor in enumerate(scenario.actors):
        for k, stance in enumerate(actor.stances):
            if not stance.never:
                continue
            issue = scenario.issue(stance.issue)
            written = data["actors"][a]["stances"][k]["never_p"]
            points = stance_probabilities(stance, stance.never)
            options = []
            for option_id, point in zip(stance.never, points, strict=True):
                if isinstance(stance.never_p, dict):
                    spec = written.get(option_id, 1.0)
                else:
                    spec = 1.0 if written is None else written
                options.append(
                    {
                        "id": option_id,
                        "label": next(o.label for o in issue.options if o.id == option_id),
                        "p": point,
                        "holds": point > APPLIES_ABOVE,
                        "spec": spec,
                    }
                )
            out.append(
                {
                    "actor": actor.id,
                    "actor_label": actor.label,
                    "veto": actor.veto,
                    "issue": issue.id,
                    "issue_label": issue.label,
                    "path": ["actors", a, "stances", k, "never_p"],
                    "options": options,
                }
            )
    return out


def add_analysis_routes(app: FastAPI, ctx: Context) -> None:
    """``POST /analyze``, ``/forecast`` and ``/report``."""

    @app.post("/analyze", summary="Analyze a scenario's settlement space", responses=ERRORS)
    def analyze_endpoint(body: AnalyzeIn) -> dict[str, Any]:
        started = time.perf_counter()
        scenario, file = ctx.load(body)
        ids = [a.id for a in scenario.actors]
        for axis, value in (("x", body.x), ("y", body.y)):
            if value is not None and value not in ids:
                raise Refused(422, f"unknown actor {value!r}; one of: {', '.join(ids)}", file, axis)
        # the UI asks /forecast for forecasts; durability is in the report only
        problem = compile_problem(scenario)
        analysis = analyze(problem, forecasts=False, durability=False)
        cloud = package_cloud(problem, body.x, body.y)
        figure = frontier_figure(scenario, analysis, cloud, hover="index")
        return {
            "result": analysis.to_dict(),
            "settled": analysis.ratified_count > 0,
            "figure": {"title": figure.title, "caption": figure.caption, "spec": figure.spec},
            "axes": [cloud.x, cloud.y],
            "statuses": {g.status: g.packages for g in cloud.groups},
            "scenario": _for_ui(scenario),
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
        }

    @app.post("/evaluate", summary="Would this package work? (offramp evaluate)", responses=ERRORS)
    def evaluate_endpoint(body: EvaluateIn) -> dict[str, Any]:
        started = time.perf_counter()
        scenario, file = ctx.load(body)
        try:
            result = evaluate(
                scenario,
                body.package,
                named=body.named,
                draws=body.draws,
                seed=body.seed,
                at=body.at,
            )
        except PackageError as error:
            raise Refused(422, str(error), file, "package") from error
        return {
            "result": result.to_dict(),
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
        }

    @app.post("/forecast", summary="Run the forecast models issue by issue", responses=ERRORS)
    def forecast_endpoint(body: ScenarioIn) -> dict[str, Any]:
        started = time.perf_counter()
        scenario, _ = ctx.load(body)
        available = available_engines()["forecasts"]
        found, skipped = run_forecasts(compile_problem(scenario)) if available else ({}, {})
        section = forecast_section(scenario, found, skipped)
        return {
            "available": available,
            "forecasts": [
                {"model": model, "issue": issue, "trajectory": trajectory}
                for (model, issue), trajectory in trajectories(found).items()
            ],
            "by_model": forecasts_json(found),
            "table": None
            if section is None
            else {"columns": section.tables[0].columns, "rows": section.tables[0].rows},
            "figures": []
            if section is None
            else [
                {
                    "title": f.title,
                    "caption": f.caption,
                    "spec": f.spec,
                    "model": f.id.removeprefix("forecast-"),
                    "name": model_title(f.id.removeprefix("forecast-")).split(",")[0],
                    "options": model_options(f.id.removeprefix("forecast-")),
                }
                for f in section.figures
            ],
            "skipped": skipped,
            "text": "" if section is None else " ".join(section.paragraphs),
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
        }

    @app.post(
        "/report",
        response_class=HTMLResponse,
        summary="The self-contained HTML report of a scenario",
        responses=ERRORS,
    )
    def report(body: ScenarioIn) -> HTMLResponse:
        scenario, _ = ctx.load(body)
        results = ctx.stored(lambda s: stored_results(s, content_hash(scenario)), None)
        built = report_for(compile_problem(scenario), stored=results, sweep_draws=QUICK_SWEEP_DRAWS)
        return HTMLResponse(
            render_html(built),
            headers={"Content-Disposition": f'attachment; filename="{scenario.id}-report.html"'},
        )
