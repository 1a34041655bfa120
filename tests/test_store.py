"""The run store: recording, listing, exporting, and surviving a killed sweep."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from offramp.assess import analyze
from offramp.problem import compile_problem
from offramp.scenario import load_scenario
from offramp.store import RunStore, StoreError
from offramp.uncertainty import run_chunk, sweep
from tests.conftest import SCENARIOS

UKRAINE = SCENARIOS / "ukraine-2024-09.yaml"
ENV = {**os.environ, "COLUMNS": "200"}


def offramp(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "offramp", *args], capture_output=True, text=True, env=ENV
    )


def test_sweep_is_recorded_one_row_per_draw(tmp_path: Path) -> None:
    store_path = tmp_path / "runs.duckdb"
    model = compile_problem(load_scenario(UKRAINE))
    with RunStore(store_path) as store:
        run = store.start(
            "sweep",
            scenario=model.id,
            scenario_hash=model.scenario_hash,
            seed=3,
            params={"inputs": list(model.input_names)},
        )
        summary, _ = sweep(
            model,
            draws=250,
            seed=3,
            chunk_size=100,
            models=("median",),
            keep_draws=True,
            on_chunk=lambda part: store.add_draws(run, model, part.draws, ["median"]),
        )
        results = run_chunk(model, 3, 0, 250, models=("median",))
        store.finish(run, summary.to_dict())
        row = store.get(run[:12])
    assert row["status"] == "complete" and row["draws_done"] == row["draws_stored"] == 250
    con = duckdb.connect(str(store_path), read_only=True)
    rows = con.execute(
        "SELECT draw, ratified, nash, inputs['actors.russia.batna'], branches['us_election'], "
        "forecasts['median:territory'] FROM draws WHERE run_id = ? ORDER BY draw",
        [run],
    ).fetchall()
    con.close()
    assert [r[0] for r in rows] == list(range(250))
    k = model.input_names.index("actors.russia.batna")
    assert [r[1] for r in rows] == results.ratified.tolist()
    assert [r[2] for r in rows] == results.nash.tolist()
    assert [r[3] for r in rows] == results.drawn[:, k].tolist()
    assert {r[4] for r in rows} == {"harris", "trump"}
    assert all(r[5] is not None for r in rows)


def test_cli_sweep_json_keys_runs_and_export(tmp_path: Path) -> None:
    store = str(tmp_path / "runs.duckdb")
    done = offramp(
        "sweep",
        str(UKRAINE),
        "--draws",
        "300",
        "--seed",
        "5",
        "--at",
        "2025-02-01",
        "--json",
        "-",
        "--store",
        store,
        "--chunk-size",
        "128",
        "--keep-draws",
        str(tmp_path / "kept.parquet"),
    )
    assert done.returncode == 0, done.stderr
    parquet = tmp_path / "kept.parquet"
    kept = (
        duckdb.connect()
        .execute(f"SELECT count(*), count(DISTINCT draw) FROM read_parquet('{parquet}')")
        .fetchone()
    )
    assert kept == (300, 300)
    data = json.loads(done.stdout)
    for key in (
        "scenario",
        "offramp_version",
        "seed",
        "draws",
        "p_agreement",
        "p_agreement_ci",
        "by_branch",
        "nash_packages",
        "forecasts",
        "run_id",
    ):
        assert key in data, key
    assert data["seed"] == 5 and data["draws"] == 300 and len(data["p_agreement_ci"]) == 2
    assert set(data["by_branch"]) == {"us_election", "winter", "inauguration"}
    assert set(data["by_branch"]["us_election"]["trump"]) == {"draws", "p_agreement"}
    assert set(data["forecasts"]["compromise"]["territory"]) == {"mean", "p5", "p95"}
    again = offramp(
        "sweep",
        str(UKRAINE),
        "--draws",
        "300",
        "--seed",
        "5",
        "--at",
        "2025-02-01",
        "--json",
        "-",
        "--store",
        store,
        "--chunk-size",
        "77",
    )
    second = json.loads(again.stdout)
    assert {k: v for k, v in second.items() if k != "run_id"} == {
        k: v for k, v in data.items() if k != "run_id"
    }
    listed = offramp("runs", "list", "--store", store)
    assert data["run_id"] in listed.stdout and second["run_id"] in listed.stdout
    shown = offramp("runs", "show", data["run_id"], "--store", store)
    assert "P(agreement)" in shown.stdout and "complete" in shown.stdout
    compared = offramp("runs", "compare", data["run_id"], second["run_id"], "--store", store)
    assert compared.returncode == 0 and "chunk_size" in compared.stdout
    for fmt in ("csv", "parquet"):
        target = tmp_path / f"draws.{fmt}"
        exported = offramp(
            "runs", "export", data["run_id"], "--format", fmt, "-o", str(target), "--store", store
        )
        assert exported.returncode == 0, exported.stderr
        con = duckdb.connect()
        reader = "read_csv_auto" if fmt == "csv" else "read_parquet"
        draws, batnas = con.execute(
            f"SELECT count(DISTINCT draw), count(*) FILTER (input = 'actors.russia.batna') "
            f"FROM {reader}('{target}')"
        ).fetchone() or (0, 0)
        assert draws == 300 and batnas == 300
    missing = offramp("runs", "show", "nope", "--store", store)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr


def test_keep_draws_to_an_unwritable_path_is_a_message(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    target = blocker / "draws.parquet"
    store = str(tmp_path / "runs.duckdb")
    done = offramp(
        "sweep", str(UKRAINE), "--draws", "50", "--store", store, "--keep-draws", str(target)
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"cannot write the draws to {target}" in done.stderr
    assert "--keep-draws" in done.stderr


def test_analyze_runs_are_recorded(tmp_path: Path) -> None:
    done = offramp("analyze", str(SCENARIOS / "textbook-two-party.yaml"), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    with RunStore(tmp_path / "runs.duckdb", read_only=True) as store:
        (run,) = store.list()
        row = store.get(run["id"])
    expected = analyze(compile_problem(load_scenario(SCENARIOS / "textbook-two-party.yaml")))
    assert row["kind"] == "analyze" and row["summary"]["verdict"] == expected.verdict


def test_a_killed_sweep_leaves_the_store_readable_and_the_run_incomplete(tmp_path: Path) -> None:
    store = str(tmp_path / "runs.duckdb")
    first = offramp("sweep", str(UKRAINE), "--draws", "200", "--store", store, "--json", "-")
    assert first.returncode == 0, first.stderr
    earlier = json.loads(first.stdout)["run_id"]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "offramp",
            "sweep",
            str(UKRAINE),
            "--draws",
            "10000000",
            "--chunk-size",
            "500",
            "--store",
            store,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert "Recording run" in line, line
    killed = line.split()[2]
    time.sleep(4.0)  # let a few chunks commit
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    with RunStore(store, read_only=True) as s:
        old = s.get(earlier)
        run = s.get(killed)
    assert old["status"] == "complete" and old["draws_done"] == 200
    with RunStore(store, read_only=True) as s:
        paths = s.branch_paths(earlier)
    assert sum(p["draws"] for p in paths) == 200
    # the sweep keeps no per-draw rows in the store (--keep-draws streams them to Parquet)
    assert old["draws_stored"] == run["draws_stored"] == 0
    assert run["status"] == "incomplete" and run["finished"] is None
    assert 0 < run["draws_done"] < 10_000_000
    listed = offramp("runs", "list", "--store", store)
    assert "incomplete" in listed.stdout


def test_missing_store_is_a_message(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no run store"):
        RunStore(tmp_path / "none.duckdb", read_only=True)
