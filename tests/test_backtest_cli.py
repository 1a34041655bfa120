"""``offramp backtest deu``, run as a user runs it (on the shipped sample)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from offramp.cli import app
from offramp.store import RunStore
from tests.conftest import ROOT

SAMPLE = ROOT / "tests" / "data" / "deu" / "deu3-sample.tsv"
runner = CliRunner()


def backtest(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    done = runner.invoke(app, ["backtest", "deu", *args, "--store", str(tmp_path / "r.duckdb")])
    return done.exit_code, done.stdout, done.stderr


def test_json_table_store_and_report(tmp_path: Path) -> None:
    out = tmp_path / "bt.json"
    code, stdout, _ = backtest(
        tmp_path, str(SAMPLE), "--models", "compromise,median,eu", "--boot", "100",
        "--seed", "4", "--json", str(out), "--report", str(tmp_path / "rep"),
    )  # fmt: skip
    assert code == 0, stdout
    data = json.loads(out.read_text())
    assert data["dataset"] == "deu3-sample.tsv" and data["issues"] == 19
    assert data["capability"] == "council" and data["seed"] == 4 and data["boot"] == 100
    assert list(data["models"]) == ["weighted_mean", "weighted_median", "eu"]
    assert len(data["per_issue"]) == 19
    assert "weighted_median" in stdout and "DEU backtest" in stdout
    page = (tmp_path / "rep" / "backtest-deu3-sample.html").read_text()
    assert "Calibration of the intervals" in page and "Per-issue absolute errors" in page
    with RunStore(tmp_path / "r.duckdb") as runs:
        kind, summary = runs.con.execute("SELECT kind, summary FROM runs").fetchone()
    assert kind == "backtest" and json.loads(summary)["issues"] == 19


def test_json_to_stdout_is_pure_json(tmp_path: Path) -> None:
    code, stdout, _ = backtest(
        tmp_path, str(SAMPLE), "--models", "weighted_mean", "--boot", "10", "--json", "-"
    )
    assert code == 0
    assert json.loads(stdout)["models"]["weighted_mean"]["n"] == 19


def test_bad_options(tmp_path: Path) -> None:
    code, _, stderr = backtest(tmp_path, str(SAMPLE), "--models", "bdm")
    assert code == 1 and "unknown model 'bdm'" in stderr
    code, _, stderr = backtest(tmp_path, str(SAMPLE), "--capability", "votes")
    assert code == 1 and "unknown --capability 'votes'" in stderr


def test_malformed_file_is_file_line_not_traceback(tmp_path: Path) -> None:
    lines = SAMPLE.read_text().splitlines()
    cells = lines[4].split("\t")
    cells[20] = "lots"  # a position column
    lines[4] = "\t".join(cells)
    bad = tmp_path / "bad.tsv"
    bad.write_text("\n".join(lines) + "\n")
    code, _, stderr = backtest(tmp_path, str(bad))
    assert code == 1
    assert f"{bad}:5: p" in stderr and "must be a number or blank; got 'lots'" in stderr
    assert "Traceback" not in stderr


def test_report_of_a_stored_backtest_run(tmp_path: Path) -> None:
    code, _, _ = backtest(tmp_path, str(SAMPLE), "--models", "weighted_median", "--boot", "10")
    assert code == 0
    with RunStore(tmp_path / "r.duckdb") as runs:
        run_id = runs.list(1)[0]["id"]
    done = runner.invoke(
        app,
        ["report", run_id, "--store", str(tmp_path / "r.duckdb"), "--out", str(tmp_path / "o")],
    )
    assert done.exit_code == 0, done.stdout + done.stderr
    page = tmp_path / "o" / "backtest-deu3-sample.html"
    assert "Backtest against DEU III outcomes" in page.read_text()
