"""``offramp runs export``: tidy long tables that pandas and DuckDB read back as stored."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from offramp.assess import analyze
from offramp.cli import main
from offramp.problem import compile_problem
from offramp.scenario import load_scenario, load_scenario_text
from offramp.store import EXPORT_COLUMNS, RunStore
from offramp.uncertainty import run_chunk, sweep
from tests.conftest import SCENARIOS, ratifiable_ukraine

UKRAINE = SCENARIOS / "ukraine-2024-09.yaml"
TEXTBOOK = SCENARIOS / "textbook-two-party.yaml"
COLUMNS = [name for name, _ in EXPORT_COLUMNS]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], object]:
    """A store with a sweep (120 draws of Ukraine) and an analyze run (the textbook)."""
    path = tmp_path_factory.mktemp("export") / "runs.duckdb"
    model = compile_problem(load_scenario_text(ratifiable_ukraine(), str(UKRAINE)))
    models = ["median"]
    with RunStore(path) as s:
        run = s.start(
            "sweep",
            scenario=model.id,
            scenario_hash=model.scenario_hash,
            seed=1,
            params={"inputs": list(model.input_names)},
        )
        summary, _ = sweep(
            model,
            draws=120,
            seed=1,
            chunk_size=50,
            models=models,
            keep_draws=True,
            on_chunk=lambda part: s.add_draws(run, model, part.draws, models),
        )
        results = run_chunk(model, 1, 0, 120, models=models)
        s.finish(run, summary.to_dict())
        analyzed = s.record_analysis(analyze(compile_problem(load_scenario(TEXTBOOK))))
    return path, {"sweep": run, "analyze": analyzed}, (model, results)


def _export(path: Path, run: str, fmt: str, target: Path) -> None:
    with pytest.raises(SystemExit) as done:
        main(["runs", "export", run, "--format", fmt, "-o", str(target), "--store", str(path)])
    assert done.value.code in (0, None)


def _read(target: Path, fmt: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The file read by pandas and by DuckDB."""
    if fmt == "parquet":
        frame = pd.read_parquet(target)
        ducked = duckdb.sql(f"SELECT * FROM read_parquet('{target}')").df()
    else:
        frame = pd.read_csv(target)
        ducked = duckdb.sql(f"SELECT * FROM read_csv('{target}')").df()
    return frame, ducked


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_sweep_export_round_trip(store: tuple, tmp_path: Path, fmt: str) -> None:
    path, runs, (model, results) = store
    target = tmp_path / f"sweep.{fmt}"
    _export(path, runs["sweep"], fmt, target)
    frame, ducked = _read(target, fmt)
    for table in (frame, ducked):
        assert list(table.columns) == COLUMNS
        assert len(table) == len(frame)
        assert set(table["run"]) == {runs["sweep"]}
    # one value per cell: no JSON, no maps, no lists anywhere
    text = target.read_text(encoding="utf-8") if fmt == "csv" else frame.to_csv()
    assert "{" not in text and "[" not in text
    agreement = frame[frame.measure == "agreement"].sort_values("draw")
    assert agreement["draw"].tolist() == list(range(120))
    assert agreement["value"].tolist() == (results.ratified > 0).astype(float).tolist()
    k = model.input_names.index("actors.russia.batna")
    batna = frame[(frame.measure == "input") & (frame.input == "actors.russia.batna")]
    assert batna.sort_values("draw")["value"].tolist() == pytest.approx(
        results.drawn[:, k].tolist()
    )
    branches = frame[frame.measure == "branch"]
    assert set(branches.event) == {e.id for e in model.events}
    assert set(branches[branches.event == "us_election"].branch) == {"harris", "trump"}
    nash = frame[frame.measure == "nash"]
    with_deal = int((results.nash >= 0).sum())
    assert len(nash) == with_deal * len(model.space.issue_ids)
    assert set(nash.issue) == set(model.space.issue_ids)
    forecast = frame[frame.measure == "forecast"]
    assert set(forecast.model) == {"median"} and len(forecast) == 120 * len(model.space.issue_ids)
    assert set(frame[frame.measure == "blocked"].actor) >= {"russia", "ukraine_public"}
    # DuckDB reads the same values as pandas
    assert ducked["value"].fillna(-1).tolist() == frame["value"].fillna(-1).tolist()


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_analyze_export_round_trip(store: tuple, tmp_path: Path, fmt: str) -> None:
    path, runs, _ = store
    target = tmp_path / f"frontier.{fmt}"
    _export(path, runs["analyze"], fmt, target)
    frame, ducked = _read(target, fmt)
    assert list(frame.columns) == COLUMNS == list(ducked.columns)
    expected = analyze(compile_problem(load_scenario(TEXTBOOK)))
    options = frame[frame.measure == "option"]
    utility = frame[frame.measure == "utility"]
    for point in expected.frontier:
        rows = options[options.package == point.index]
        assert dict(zip(rows.issue, rows.option, strict=True)) == point.package
        rows = utility[utility.package == point.index]
        assert dict(zip(rows.actor, rows.value, strict=True)) == pytest.approx(point.utility)


def test_sensitivity_summary_export(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    indices = {"p_agreement": {"actors.russia.batna": {"S1": 0.5, "ST": 0.75}}}
    with RunStore(path) as s:
        run = s.start("sensitivity", scenario="x", scenario_hash="h")
        s.finish(run, {"indices": indices})
    target = tmp_path / "s.csv"
    _export(path, run, "csv", target)
    frame = pd.read_csv(target)
    assert frame[["measure", "output", "input", "value"]].values.tolist() == [
        ["S1", "p_agreement", "actors.russia.batna", 0.5],
        ["ST", "p_agreement", "actors.russia.batna", 0.75],
    ]
    assert json.loads(json.dumps(frame.columns.tolist())) == COLUMNS
