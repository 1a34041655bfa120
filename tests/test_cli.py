"""The command line, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from offramp import __version__
from tests.conftest import MINI, ROOT, SCENARIOS, ratifiable_ukraine


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "offramp", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=120,
        check=False,
    )


def test_version() -> None:
    done = run("--version")
    assert done.returncode == 0 and __version__ in done.stdout


def test_analyze_writes_result_json(tmp_path: Path) -> None:
    done = run("analyze", str(SCENARIOS / "ukraine-2024-09.yaml"), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "ukraine-2024-09" / "result.json").read_text())
    assert data["scenario"] == "ukraine-2024-09"
    assert data["ratified"]["count"] == 0
    assert "No settlement" in done.stdout


def test_analyze_json_to_stdout_is_pure_json(tmp_path: Path) -> None:
    done = run(
        "analyze", str(SCENARIOS / "textbook-two-party.yaml"), "--json", "-", "--out", str(tmp_path)
    )
    assert done.returncode == 0
    assert json.loads(done.stdout)["ratified"]["count"] == 4


def test_check_lists_every_problem_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINI.replace("batna: 0.4", "batna: 2").replace("of: ua", "of: nobody"))
    done = run("check", str(bad))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"{bad}:22: actors[0].batna: must be at most 1" in done.stderr


def test_check_strict_fails_on_undocumented_inputs(tmp_path: Path) -> None:
    loose = tmp_path / "loose.yaml"
    loose.write_text(MINI.replace("    assumed: a\n    stances:", "    stances:"))
    assert run("check", str(loose)).returncode == 0
    done = run("check", "--strict", str(loose))
    assert done.returncode == 1 and "actor `ru` has neither" in done.stderr


@pytest.mark.parametrize("content", ["", "a: [", "- 1\n", "\x00\x01"])
def test_garbage_input_gives_a_message_not_a_traceback(tmp_path: Path, content: str) -> None:
    path = tmp_path / "garbage.yaml"
    path.write_text(content)
    done = run("analyze", str(path), "--out", str(tmp_path))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and str(path) in done.stderr


def test_unreadable_output_directory_is_a_message(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = run("analyze", str(SCENARIOS / "textbook-two-party.yaml"), "--out", str(blocker))
    assert done.returncode == 1 and "cannot write results" in done.stderr


def test_schema_prints_json_schema() -> None:
    done = run("schema")
    assert json.loads(done.stdout)["title"] == "Scenario"


def test_analyze_prints_durability_of_the_solutions(tmp_path: Path) -> None:
    base = run("analyze", str(SCENARIOS / "ukraine-2024-09.yaml"), "--out", str(tmp_path))
    assert "Would it hold: no solution to assess" in base.stdout
    text = (SCENARIOS / "ukraine-2024-09.yaml").read_text(encoding="utf-8")
    variant = tmp_path / "variant.yaml"
    softer = ratifiable_ukraine(text)  # a public that might pass a freeze
    variant.write_text(softer.replace("batna: {triangular: [0.65, 0.7, 0.8]}", "batna: 0.45", 1))
    done = run("analyze", str(variant), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "Would it hold (the commitment problem)" in done.stdout
    data = json.loads((tmp_path / "ukraine-2024-09" / "result.json").read_text())
    assert data["durability"]["nash"]["self_enforcing"] in (True, False)
