"""What the terminal shows: golden output of the commands, and the promises about it.

Output that is not a terminal (here: click's runner, or a pipe) is plain text with
tables as TSV; the golden files in tests/golden/ hold it, with the temporary
directory and run ids replaced by placeholders. After a deliberate change to the
output, regenerate them with ``OFFRAMP_UPDATE_GOLDEN=1 pytest tests/test_cli_output.py``
and review the diff.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from offramp.cli import app
from tests.conftest import MINI, ROOT, SCENARIOS

GOLDEN = Path(__file__).parent / "golden"
TEXTBOOK = SCENARIOS / "textbook-two-party.yaml"
UKRAINE = SCENARIOS / "ukraine-2024-09.yaml"
RUN_ID = re.compile(r"\b\d{8}-\d{6}-[0-9a-f]{6}\b")
STAMP = re.compile(r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?\b")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def stable(text: str, tmp: Path) -> str:
    """The output with what changes from run to run replaced by placeholders."""
    text = text.replace(str(tmp), "<TMP>").replace(str(ROOT), "<ROOT>")
    return STAMP.sub("<WHEN>", RUN_ID.sub("<RUN>", text))


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OFFRAMP_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with OFFRAMP_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def test_analyze_golden_each_package_once(tmp_path: Path) -> None:
    code, out, _ = invoke("analyze", str(TEXTBOOK), "--out", str(tmp_path))
    assert code == 0
    golden("analyze-textbook.txt", stable(out, tmp_path))
    # nash, kalai_smorodinsky and egalitarian pick one package: it is shown once
    assert out.count("border: Split the occupied land") == 1
    assert out.count("Verdict:") == 1


def test_analyze_ukraine_prints_its_verdict_once_without_boxes(tmp_path: Path) -> None:
    # no golden file: the shipped scenario's numbers change as its sources do
    code, out, _ = invoke("analyze", str(UKRAINE), "--out", str(tmp_path))
    assert code == 0
    assert out.count("Verdict:") == 1 and "\u2502" not in out  # no boxes in a pipe
    assert all(
        len(line.split("\t")) == 4 for line in out.split("# Who blocks")[1].splitlines()[1:5]
    )


def test_check_golden(tmp_path: Path) -> None:
    code, out, _ = invoke("check", str(TEXTBOOK))
    assert code == 0
    golden("check-textbook.txt", stable(out, tmp_path))


def test_check_reports_structural_and_whole_document_problems_at_once(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        MINI.replace("power: 30", "power: -3")  # a type/range error (pydantic)
        .replace("issue: nato, position: 0", "issue: natto, position: 0")  # unknown issue
        .replace("batna: 0.3", "batna: 1.3")  # a range error on another actor
        .replace("of: ua", "of: nobody")  # an unknown actor
    )
    code, _, err = invoke("check", str(bad))
    assert code == 1
    golden("check-bad.txt", stable(err, tmp_path))
    assert "4 problems found:" in err
    assert "actors[0].power: must be at least 0" in err
    assert "actors[0].stances[1].issue: unknown issue `natto`; did you mean `nato`?" in err
    assert "actors[1].batna: must be at most 1" in err
    assert "publics[0].of" in err


def test_negotiate_short_by_default_and_transcript_on_request(tmp_path: Path) -> None:
    code, out, _ = invoke("negotiate", str(TEXTBOOK))
    assert code == 0
    golden("negotiate-textbook.txt", stable(out, tmp_path))
    code, out, _ = invoke("negotiate", str(UKRAINE))
    assert code == 0
    assert len(out.splitlines()) <= 40
    assert "Breakdown" in out and "Why:" in out and "Last moves (round 19" in out
    code, full, _ = invoke("negotiate", str(UKRAINE), "--transcript")
    assert code == 0
    moves = [line for line in full.splitlines() if re.match(r"^\d+\t", line)]
    assert len(moves) == 60  # 20 rounds x 3 veto actors


def test_negotiate_on_a_terminal_fits_40_lines() -> None:
    env = {**os.environ, "TTY_COMPATIBLE": "1", "COLUMNS": "80", "NO_COLOR": "1"}
    for scenario in (UKRAINE, TEXTBOOK):
        done = subprocess.run(
            [sys.executable, "-m", "offramp", "negotiate", str(scenario), "--runs", "20"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "\u2501" in done.stdout  # rich tables: it did think it was a terminal
        assert len(done.stdout.splitlines()) <= 40, done.stdout


def test_runs_list_in_a_pipe_is_tsv_with_full_ids(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    code, _, _ = invoke("analyze", str(TEXTBOOK), "--out", str(tmp_path))
    assert code == 0
    done = subprocess.run(
        f"{sys.executable} -m offramp runs list --store {store} | grep analyze",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "40"},
    )
    (line,) = done.stdout.splitlines()
    run_id, kind, scenario, status, *_ = line.split("\t")
    assert RUN_ID.fullmatch(run_id) and (kind, scenario, status) == (
        "analyze",
        "textbook-two-party",
        "complete",
    )
    code, out, _ = invoke("runs", "list", "--store", str(store))
    assert out.splitlines()[0].split("\t") == [
        "id",
        "kind",
        "scenario",
        "status",
        "started",
        "seed",
        "draws",
    ]


def test_sensitivity_names_outputs_that_did_not_vary(tmp_path: Path) -> None:
    scenario = tmp_path / "mini.yaml"
    # Ukraine's batna decides whether a deal exists; the median forecasts never move
    scenario.write_text(
        MINI.replace("threshold: 0.5", "threshold: 0.6").replace(
            "batna: 0.4", "batna: {uniform: [0.2, 0.5]}"
        )
    )
    code, out, _ = invoke(
        "sensitivity",
        str(scenario),
        "--samples",
        "16",
        "--forecast",
        "median",
        "--store",
        str(tmp_path / "runs.duckdb"),
    )
    assert code == 0
    golden("sensitivity-mini.txt", stable(out, tmp_path))
    assert "Did not vary in any of the 48 runs" in out
    assert "median:land, median:nato" in out
    assert "# median:land" not in out and "# p_agreement: inputs ranked" in out


def test_report_uses_runs_of_the_same_scenario_only(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    other = tmp_path / "mini.yaml"
    other.write_text(MINI.replace("batna: 0.4", "batna: {uniform: [0.2, 0.9]}"))
    code, _, _ = invoke("sweep", str(other), "--draws", "50", "--store", str(store))
    assert code == 0
    code, out, _ = invoke(
        "report", str(TEXTBOOK), "--store", str(store), "--out", str(tmp_path), "--draws", "0"
    )
    assert code == 0
    assert "No stored sweep run of this scenario" in out
    assert "No stored sensitivity run of this scenario" in out
    code, out, _ = invoke(
        "report", str(other), "--store", str(store), "--out", str(tmp_path), "--draws", "0"
    )
    assert code == 0
    assert re.search(r"Used the stored sweep run \d{8}-\d{6}-[0-9a-f]{6} of", out)


@pytest.mark.parametrize("command", ["sweep", "sensitivity"])
def test_no_progress_bar_in_a_pipe(tmp_path: Path, command: str) -> None:
    scenario = tmp_path / "mini.yaml"
    scenario.write_text(MINI.replace("batna: 0.4", "batna: {uniform: [0.2, 0.9]}"))
    extra = ["--draws", "300"] if command == "sweep" else ["--samples", "8"]
    done = subprocess.run(
        [sys.executable, "-m", "offramp", command, str(scenario), *extra],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stderr and "\r" not in done.stderr
