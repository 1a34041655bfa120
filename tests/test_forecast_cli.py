"""The ``offramp forecast`` command, run as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from offramp.cli import app
from tests.conftest import ROOT, SCENARIOS

DATA = ROOT / "tests" / "data" / "forecast"
EMISSION = DATA / "emission_bdm1994.csv"
runner = CliRunner()
STORE: list[Path] = []


@pytest.fixture(autouse=True)
def _store(tmp_path: Path) -> None:
    STORE[:] = [tmp_path / "runs.duckdb"]  # never the checkout's offramp-out


def forecast(*args: str) -> tuple[int, str, str]:
    done = runner.invoke(app, ["forecast", *args, "--store", str(STORE[0])])
    return done.exit_code, done.stdout, done.stderr


def test_runs_are_recorded_in_the_store() -> None:
    from offramp.scenario import content_hash, load_scenario
    from offramp.store import RunStore

    path = SCENARIOS / "textbook-two-party.yaml"
    code, stdout, _ = forecast(str(path), "--model", "median", "--json", "-")
    assert code == 0
    with RunStore(STORE[0]) as runs:
        row = runs.con.execute(
            "SELECT kind, scenario, scenario_hash, status, summary FROM runs"
        ).fetchone()
    assert row is not None
    kind, scenario, digest, status, summary = row
    assert (kind, scenario, status) == ("forecast", "textbook-two-party", "complete")
    assert digest == content_hash(load_scenario(path))
    assert json.loads(summary) == json.loads(stdout)


def test_json_contract_on_the_emission_table() -> None:
    code, stdout, _ = forecast(str(EMISSION), "--model", "eu", "--rounds", "3", "--json", "-")
    assert code == 0
    data = json.loads(stdout)
    assert data["model"] == "eu"
    (issue,) = data["issues"]
    entry = data["issues"][issue]
    assert len(entry["rounds"]) == 4
    first = entry["rounds"][0]
    assert set(first) >= {"positions", "forecast", "mean", "median"}
    assert first["positions"]["Netherlands"] == 4.0  # the input's scale (years)
    assert first["mean"] == pytest.approx(7.389955686853767)
    assert entry["forecast"] == entry["rounds"][-1]["forecast"]


def test_params_select_scholz_programs_options() -> None:
    code, stdout, _ = forecast(
        str(EMISSION), "-m", "eu", "-p", "probability=all_pairs", "-p", "offer=by_type",
        "--json", "-",
    )  # fmt: skip
    assert code == 0
    rounds = json.loads(stdout)["issues"]["emission_bdm1994"]["rounds"]
    assert len(rounds) == 11
    assert rounds[1]["median"] == pytest.approx(8.4, abs=0.05)


def test_several_issue_table_with_the_exchange_model(tmp_path: Path) -> None:
    # the hand case of tests/test_forecast_exchange.py
    table = tmp_path / "two.csv"
    table.write_text(
        "actor,issue,position,salience,capability\n"
        "A,p,0,0.75,2\nA,q,0,0.25,1\nB,p,60,0.3333333333333333,1\nB,q,60,0.6666666666666666,3\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.json"
    code, stdout, _ = forecast(str(table), "--model", "exchange", "--json", str(out))
    assert code == 0 and "Forecast (exchange)" in stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["issues"]["p"]["rounds"][0]["forecast"] == pytest.approx(120 / 11)
    assert data["issues"]["p"]["forecast"] == pytest.approx(2260 / 429)
    assert data["issues"]["q"]["forecast"] == pytest.approx(60.0)


def test_scenario_reports_nearest_options() -> None:
    scenario = SCENARIOS / "textbook-two-party.yaml"
    code, stdout, _ = forecast(str(scenario), "-m", "compromise", "--json", "-")
    assert code == 0
    data = json.loads(stdout)
    assert data["issues"]["border"]["forecast"] == pytest.approx(60.0)
    assert data["issues"]["border"]["option"] == "split"
    assert data["issues"]["border"]["rounds"][0]["positions"] == {"north": 100.0, "south": 0.0}


def test_smp_reads_a_ktab_scenario() -> None:
    xml = ROOT / "tests" / "data" / "ktab" / "dummyData_3Dim.xml"
    code, stdout, _ = forecast(str(xml), "--model", "smp", "--rounds", "3", "--json", "-")
    assert code == 0
    data = json.loads(stdout)
    assert data["model"] == "smp" and len(data["issues"]) == 3
    for entry in data["issues"].values():
        assert 1 <= len(entry["rounds"]) <= 4
        assert all(0.0 <= x <= 100.0 for x in entry["rounds"][-1]["positions"].values())


def test_bad_inputs_exit_1_with_file_line_messages(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("actor,capability,position\nA,1,2\n", encoding="utf-8")
    code, _, stderr = forecast(str(bad), "--model", "compromise")
    assert code == 1 and f"{bad}:1: salience: missing column" in stderr
    code, _, stderr = forecast(str(EMISSION), "--model", "oracle")
    assert code == 1 and "unknown model" in stderr
    code, _, stderr = forecast(str(EMISSION), "--model", "eu", "-p", "probability=bayes")
    assert code == 1 and "probability must be one of" in stderr
    code, _, stderr = forecast(str(EMISSION), "--model", "eu", "-p", "nonsense")
    assert code == 1 and "KEY=VALUE" in stderr


def test_table_with_a_missing_row_warns_and_forecasts(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "actor,issue,position,salience,capability\n"
        "A,land,0,1,10\nA,nato,100,0.5,10\nB,land,100,1,5\n"
    )
    code, stdout, stderr = forecast(str(path), "--model", "compromise", "--json", "-")
    assert code == 0, stderr
    assert f"warning: {path}:4: issue: actor 'B' has no row for issue 'nato'" in stderr
    data = json.loads(stdout)
    assert data["issues"]["land"]["forecast"] == pytest.approx(100 * 5 / 15)
    # B takes no part in nato: A alone decides it
    assert data["issues"]["nato"]["forecast"] == 100.0
    assert set(data["issues"]["nato"]["rounds"][0]["positions"]) == {"A"}
    for model in ("eu", "exchange", "smp"):
        code, _, stderr = forecast(str(path), "--model", model)
        assert code == 0, (model, stderr)


def test_several_files_in_one_call() -> None:
    """Several files: ``{"model", "files": [each file's own JSON, in order]}``, one run each."""
    xml = ROOT / "tests" / "data" / "ktab" / "dummyData_3Dim.xml"
    scenario = SCENARIOS / "textbook-two-party.yaml"
    singles = []
    for path in (EMISSION, scenario):
        code, stdout, _ = forecast(str(path), "--model", "median", "--json", "-")
        assert code == 0
        singles.append(json.loads(stdout))
    assert set(singles[0]) == {"model", "source", "issues"}  # one file: today's keys
    code, stdout, _ = forecast(str(EMISSION), str(scenario), "--model", "median", "--json", "-")
    assert code == 0
    assert json.loads(stdout) == {"model": "median", "files": singles}
    from offramp.store import RunStore

    with RunStore(STORE[0], read_only=True) as runs:
        rows = runs.con.execute("SELECT count(*) FROM runs WHERE kind = 'forecast'").fetchone()
    assert rows == (4,)  # two single runs, then one run per file of the batch
    code, stdout, _ = forecast(str(xml), str(xml), "--model", "smp", "--rounds", "2", "--json", "-")
    assert code == 0
    first, second = json.loads(stdout)["files"]
    assert first == second  # the same file twice: the same answer, kept in order


def test_several_files_report_every_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("actor,capability,position\nA,1,2\n", encoding="utf-8")
    worse = tmp_path / "worse.csv"
    worse.write_text("actor,capability,salience\nA,1,2\n", encoding="utf-8")
    code, _, stderr = forecast(str(bad), str(EMISSION), str(worse), "--model", "compromise")
    assert code == 1
    assert f"{bad}:1: salience: missing column" in stderr
    assert f"{worse}:1: position: missing column" in stderr
