"""One forecast path: the CLI, the report and the web app show the same forecasts.

For every forecast model on every shipped scenario, ``offramp forecast
--json``'s ``issues``, the ``forecasts`` of the report's ``report.json`` and
the web app's ``/forecast`` (``by_model``) are equal, number for number.
Likewise ``offramp evaluate --json`` and the web app's ``/evaluate`` (the
workbench's evaluate panel), for every named package of every shipped scenario.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from offramp.cli import app
from offramp.forecast.scenario import FORECAST_MODELS
from offramp.scenario import load_scenario
from offramp.web import create_app
from tests.conftest import SCENARIOS

SHIPPED = sorted(SCENARIOS.glob("*.yaml")) + sorted(SCENARIOS.glob("history/*.yaml"))


def _cli(path: Path, model: str, tmp: Path) -> dict[str, Any] | None:
    out = tmp / f"{model}.json"
    args = ["forecast", str(path), "--model", model, "--json", str(out)]
    result = CliRunner().invoke(app, [*args, "--store", str(tmp / "runs.duckdb")])
    if result.exit_code != 0:
        return None
    data: dict[str, Any] = json.loads(out.read_text())
    return data["issues"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_cli_report_and_web_forecasts_are_equal(path: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "none")
    args = ["report", str(path), "--out", str(tmp_path), "--store", store, "--draws", "0"]
    done = CliRunner().invoke(app, [*args, "--format", "md"])
    assert done.exit_code == 0, done.output
    scenario_id = next(p.name for p in tmp_path.iterdir() if p.is_dir())
    report = json.loads((tmp_path / scenario_id / "report.json").read_text())["forecasts"]
    client = TestClient(create_app(path.parent))
    reply = client.post("/forecast", json={"name": path.name})
    assert reply.status_code == 200, reply.text
    web = reply.json()["by_model"]
    ran = []
    for model in FORECAST_MODELS:
        cli = _cli(path, model, tmp_path)
        if cli is None:  # the model cannot run on this scenario: no face shows it
            assert model not in report and model not in web
            continue
        ran.append(model)
        assert report[model] == cli, model
        assert web[model] == cli, model
        trajectory = {(f["model"], f["issue"]): f["trajectory"] for f in reply.json()["forecasts"]}
        for issue, entry in cli.items():
            assert trajectory[(model, issue)][-1] == entry["forecast"]
    assert {"compromise", "median", "eu", "exchange"} <= set(ran)


def test_a_sweep_draw_of_point_values_forecasts_what_the_cli_does() -> None:
    from offramp.forecast.scenario import forecast_problem
    from offramp.problem import compile_problem
    from offramp.scenario import load_scenario
    from offramp.uncertainty import run_chunk

    problem = compile_problem(load_scenario(SCENARIOS / "textbook-two-party.yaml"))
    assert problem.streams == 0  # nothing uncertain: every draw is the point values
    models = ("compromise", "median", "eu")
    draws = run_chunk(problem, seed=3, start=0, stop=2, models=models)
    for k, model in enumerate(models):
        expected = [f.forecast for f in forecast_problem(problem, model).issues]
        assert draws.forecasts[0, k].tolist() == expected


WITH_PACKAGES = [p for p in SHIPPED if load_scenario(p).packages]


def _evaluate_cli(path: Path, tmp: Path, args: list[str]) -> dict[str, Any]:
    out = tmp / "evaluate.json"
    done = CliRunner().invoke(app, ["evaluate", str(path), *args, "--json", str(out)])
    assert done.exit_code == 0, done.output
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def _cases(path: Path) -> list[tuple[list[str], dict[str, Any]]]:
    """(CLI arguments, /evaluate body): every named package, one with an override, one by hand."""
    scenario = load_scenario(path)
    cases: list[tuple[list[str], dict[str, Any]]] = [
        (["--named", p.id], {"named": p.id}) for p in scenario.packages
    ]
    first = scenario.packages[0]
    issue = scenario.issues[0]
    other = next(o.id for o in issue.options if o.id != first.options[issue.id])
    cases.append(
        (
            ["--named", first.id, "--package", f"{issue.id}={other}"],
            {"named": first.id, "package": {issue.id: other}},
        )
    )
    by_hand = {i.id: i.options[len(i.options) // 2].id for i in scenario.issues}
    cases.append(
        (
            [arg for i, o in by_hand.items() for arg in ("--package", f"{i}={o}")],
            {"package": by_hand},
        )
    )
    return cases


@pytest.mark.parametrize("path", WITH_PACKAGES, ids=lambda p: p.stem)
def test_cli_and_web_evaluate_are_equal(path: Path, tmp_path: Path) -> None:
    assert WITH_PACKAGES, "a shipped scenario names packages"
    client = TestClient(create_app(path.parent))
    for args, body in _cases(path):
        reply = client.post("/evaluate", json={"name": path.name, **body})
        assert reply.status_code == 200, reply.text
        assert reply.json()["result"] == _evaluate_cli(path, tmp_path, args), args


def test_cli_and_web_evaluate_draws_are_equal(tmp_path: Path) -> None:
    path = SCENARIOS / "ukraine-2024-09.yaml"
    args = ["--named", "vance_plan", "--draws", "300", "--seed", "7", "--at", "2024-12-31"]
    cli = _evaluate_cli(path, tmp_path, args)
    body = {"name": path.name, "named": "vance_plan", "draws": 300, "seed": 7, "at": "2024-12-31"}
    web = TestClient(create_app(path.parent)).post("/evaluate", json=body).json()["result"]
    assert web == cli
    assert web["draws"]["n"] == 300 and web["draws"]["at"] == "2024-12-31"
