"""The history cases: each validates strictly, states how its inputs were fixed, and is scored.

``offramp backtest cases`` runs on the shipped library; changing a case's
outcome changes none of its forecasts.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from offramp.backtest.cases import TARGETS, forecast_case, observed_of
from offramp.cli import app
from offramp.errors import InputError
from offramp.scenario import load_scenario, load_scenario_text

HISTORY = Path(__file__).parents[1] / "scenarios" / "history"
CASES = sorted(HISTORY.glob("*.yaml"))
runner = CliRunner()


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_history_case_validates_strictly(path: Path) -> None:
    result = runner.invoke(app, ["check", str(path), "--strict"])
    assert result.exit_code == 0, result.output
    scenario = load_scenario(path)
    outcome = scenario.outcome
    assert outcome is not None, f"{path.name} has no outcome"
    assert outcome.how_fixed or "fixed" in (scenario.description or ""), (
        f"{path.name} does not say how its inputs were fixed"
    )
    # Inputs are cited from sources dated before the outcome.
    cited = {s.source for a in scenario.actors for s in (a, *a.stances) if s.source is not None} | {
        r.source for p in scenario.publics for r in (p, *p.rules) if r.source is not None
    }
    for source in scenario.sources:
        if source.id in cited and source.date is not None and outcome.date is not None:
            assert source.date <= outcome.date, f"{source.id} is dated after the outcome"


def test_outcome_never_reaches_the_forecasts() -> None:
    scenario = load_scenario(HISTORY / "northern-ireland-1998.yaml")
    assert scenario.outcome is not None
    flipped = scenario.outcome.model_copy(
        update={
            "agreement": False,
            "signed": None,
            "ratified": False,
            "route": None,
            "held": None,
            "held_years": None,
            "summary": "changed",
            "facts": {},
        }
    )
    other = scenario.model_copy(update={"outcome": flipped})
    day = scenario.outcome.observed
    assert forecast_case(scenario, day, draws=200, seed=2) == forecast_case(
        other, day, draws=200, seed=2
    )
    none = scenario.model_copy(update={"outcome": None})
    assert forecast_case(none, day, draws=200, seed=2) == forecast_case(
        scenario, day, draws=200, seed=2
    )


def test_backtest_cases_cli(tmp_path: Path) -> None:
    out = tmp_path / "cases.json"
    start = time.perf_counter()
    result = runner.invoke(
        app,
        [
            "backtest",
            "cases",
            str(HISTORY),
            "--draws",
            "300",
            "--json",
            str(out),
            "--report",
            str(tmp_path),
            "--store",
            str(tmp_path / "runs.duckdb"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - start < 60
    data = json.loads(out.read_text())
    assert set(data) >= {"dataset", "cases", "brier", "calibration"}
    assert {c["id"] for c in data["cases"]} >= {"cyprus-2004", "northern-ireland-1998"}
    for case in data["cases"]:
        assert set(case) >= {"id", "as_of", "outcome", "forecasts", "brier"}
        assert set(case["forecasts"]) == set(TARGETS)
    assert set(data["brier"]) >= {"offramp", "base_rate"}
    by_id = {c["id"]: c for c in data["cases"]}
    assert by_id["northern-ireland-1998"]["agreement_known_at_as_of"] is True
    assert by_id["cyprus-2004"]["agreement_known_at_as_of"] is False
    assert by_id["cyprus-2004"]["forecasts"]["p_holds"] is None  # no dynamics
    assert "History cases" in result.output and "Brier" in result.output
    assert (tmp_path / f"backtest-cases-{HISTORY.name}.html").exists()


def test_backtest_cases_errors(tmp_path: Path) -> None:
    result = runner.invoke(app, ["backtest", "cases", str(tmp_path)])
    assert result.exit_code == 1 and "no scenario" in result.output
    assert "Traceback" not in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: x\nas_of: 2000-01-01\nissues: []\n")
    result = runner.invoke(app, ["backtest", "cases", str(tmp_path)])
    assert result.exit_code == 1 and "bad.yaml:" in result.output


_BASE = """
id: t
title: t
as_of: 2000-01-01
issues:
  - {id: i, label: i, options: [{id: x, label: x, at: 0}, {id: y, label: y, at: 100}]}
actors:
  - {id: a, label: A, power: 1, veto: true, batna: 0.1,
     stances: [{issue: i, position: x, salience: 1}]}
publics:
  - {id: pa, label: PA, of: a, threshold: 0.5, rules: [{when: {}, reject: 0.4}]}
outcome:
  summary: s
"""


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("agreement: false\n  observed: 2001-01-01\n  held_years: 1", "held_years"),
        ("agreement: false\n  observed: 2001-01-01\n  signed: 2000-06-01", "signed"),
        ("agreement: true\n  observed: 2001-01-01", "signed"),
        (
            "agreement: true\n  signed: 2000-06-01\n  observed: 2001-01-01\n  held: true",
            "held_years",
        ),
        (
            "agreement: true\n  signed: 2000-06-01\n  observed: 2001-01-01\n  held: true\n"
            "  held_years: 5",
            "held_years",
        ),
        ("agreement: true\n  signed: 2002-06-01\n  observed: 2001-01-01", "observed"),
        ("agreement: false\n  observed: 2001-01-01\n  route: pa", "ratified"),
        ("agreement: false\n  observed: 2001-01-01\n  ratified: false\n  route: nobody", "route"),
        ("agreement: maybe\n  observed: 2001-01-01", "agreement"),
    ],
)
def test_bad_outcomes_are_file_line_errors(fields: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        load_scenario_text(_BASE + "  " + fields + "\n", file="case.yaml")
    text = "\n".join(str(p) for p in info.value.problems)
    assert "case.yaml:" in text and message in text


def test_good_outcome_is_observed() -> None:
    text = _BASE + (
        "  agreement: true\n  signed: 2000-06-01\n  ratified: true\n  route: pa\n"
        "  held: true\n  held_years: 0.59\n  observed: 2001-01-01\n"
    )
    outcome = load_scenario_text(text).outcome
    assert outcome is not None
    observed = observed_of(outcome)
    assert observed.value("p_holds") == 1.0 and observed.route == "pa"
    assert observed.observed == dt.date(2001, 1, 1)
