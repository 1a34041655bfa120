"""The run store: every analyze, forecast and sweep run, in an embedded DuckDB file.

Default file: ``offramp-out/runs.duckdb``. Tables:

``runs``
    one row per run: ``id`` (``YYYYMMDD-HHMMSS-xxxxxx``), ``kind``
    (``analyze``, ``sweep``, ``sensitivity``, ``forecast``), ``scenario``,
    ``scenario_hash``, ``source`` (the file), ``offramp_version``, ``seed``,
    ``params`` (JSON), ``status`` (``incomplete`` until the run finishes,
    then ``complete``; ``interrupted`` after Ctrl-C), ``started``,
    ``finished``, ``draws_done``, ``summary`` (JSON: the run's result),
    ``scenario_text`` (the scenario file's text as it was run, so a report
    can be rebuilt from the store after the file changed or moved; NULL for
    runs recorded before offramp kept it).
``paths``
    a sweep's draws grouped by the branch of every event, from the sweep's
    merged tally: ``run_id``, ``branches`` (MAP event -> branch, NULL for an
    event not happened by ``at``), ``draws``, ``agreements``. Recorded when
    the sweep finishes.
``draws``
    per-draw rows recorded by :meth:`RunStore.add_draws` (a library call;
    ``offramp sweep`` streams per-draw results to ``--keep-draws FILE.parquet``
    instead, and stores runs recorded before it kept them here):
    ``run_id``, ``draw``, ``agreement``, ``zopa``,
    ``ratified``, ``nash`` (package index, -1 for none), ``nash_package``
    (``issue=option; ...``), ``branches`` (MAP event -> branch),
    ``inputs`` (MAP input path -> drawn value), ``blocked`` and ``sole``
    (MAP blocker -> packages), ``forecasts`` (MAP ``model:issue`` -> value).
``frontier``
    an analyze run's Pareto frontier: ``run_id``, ``package`` (index),
    ``options`` (JSON), ``utility`` (JSON).

:meth:`RunStore.export` writes one run as a tidy long table (Parquet or CSV)
in the columns of :data:`EXPORT_COLUMNS`, one value per cell; see
``docs/uncertainty.md`` (Exporting runs).

Writes are transactional: the run row is committed before any work, each
chunk's progress (``draws_done``, and its draws when recorded) is committed in
its own transaction, and the final status with the summary last. A run
killed mid-way therefore leaves every earlier run intact, its committed
progress readable, and itself marked
``incomplete`` (DuckDB replays its write-ahead log on the next open).
One process at a time may write a store; a second gets a clear error.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from offramp.errors import OfframpError
from offramp.store._export import (
    EXPORT_COLUMNS,
    _frontier_rows,
    _map,
    _parquet_draws,
    _quote,
    _select,
    _summary_rows,
    _sweep_rows,
)

if TYPE_CHECKING:
    from offramp.problem import Problem
    from offramp.settle.analysis import Analysis
    from offramp.uncertainty.sweep import Draws

__all__ = ["DEFAULT_STORE", "EXPORT_COLUMNS", "RunStore", "StoreError"]

DEFAULT_STORE = Path("offramp-out") / "runs.duckdb"
"""Where runs are recorded unless told otherwise."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, scenario VARCHAR, scenario_hash VARCHAR,
    source VARCHAR, offramp_version VARCHAR, seed BIGINT, params JSON,
    status VARCHAR NOT NULL, started TIMESTAMP, finished TIMESTAMP, draws_done BIGINT DEFAULT 0,
    summary JSON);
CREATE TABLE IF NOT EXISTS draws (
    run_id VARCHAR NOT NULL, draw BIGINT NOT NULL, agreement BOOLEAN, zopa BIGINT,
    ratified BIGINT, nash BIGINT, nash_package VARCHAR, branches MAP(VARCHAR, VARCHAR),
    inputs MAP(VARCHAR, DOUBLE), blocked MAP(VARCHAR, BIGINT), sole MAP(VARCHAR, BIGINT),
    forecasts MAP(VARCHAR, DOUBLE));
CREATE TABLE IF NOT EXISTS paths (
    run_id VARCHAR NOT NULL, branches MAP(VARCHAR, VARCHAR), draws BIGINT, agreements BIGINT);
CREATE TABLE IF NOT EXISTS frontier (
    run_id VARCHAR NOT NULL, package BIGINT, options JSON, utility JSON);
ALTER TABLE runs ADD COLUMN IF NOT EXISTS scenario_text VARCHAR;
"""


class StoreError(OfframpError):
    """The run store cannot be opened or has no such run."""


class RunStore:
    """An open run store (a context manager).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with RunStore(pathlib.Path(tempfile.mkdtemp()) / "runs.duckdb") as store:
    ...     run = store.start("analyze", scenario="demo", scenario_hash="abc")
    ...     store.finish(run, {"verdict": "ok"})
    ...     [r["status"] for r in store.list()]
    ['complete']
    """

    def __init__(self, path: str | Path = DEFAULT_STORE, *, read_only: bool = False) -> None:
        import duckdb  # here, not at the top: ``offramp --help`` need not load it

        self.path = Path(path)
        try:
            if not read_only:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            elif not self.path.exists():
                raise StoreError(f"no run store at {self.path}; run a command that records runs")
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as err:
            raise StoreError(
                f"cannot open the run store {self.path}: {err}. Another offramp process may be "
                "writing to it; wait for it or use another --store"
            ) from err
        except OSError as err:
            raise StoreError(f"cannot create the run store {self.path}: {err}") from err
        if not read_only:
            self.con.execute(_SCHEMA)

    def __enter__(self) -> RunStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (checkpointing the write-ahead log)."""
        self.con.close()

    def start(
        self,
        kind: str,
        *,
        scenario: str,
        scenario_hash: str,
        source: str | None = None,
        seed: int | None = None,
        params: dict[str, Any] | None = None,
        scenario_text: str | None = None,
    ) -> str:
        """Record the start of a run (committed at once); return its id.

        ``scenario_text`` is the scenario file's text, kept so that the run's
        report can be rebuilt later (``offramp report RUN_ID``).
        """
        from offramp._version import __version__

        now = dt.datetime.now()
        run_id = f"{now:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        self.con.execute(
            "INSERT INTO runs (id, kind, scenario, scenario_hash, source, offramp_version, seed, "
            "params, status, started, scenario_text) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'incomplete', ?, ?)",
            [
                run_id,
                kind,
                scenario,
                scenario_hash,
                source,
                __version__,
                seed,
                json.dumps(params or {}),
                now,
                scenario_text,
            ],
        )
        return run_id

    def finish(self, run_id: str, summary: dict[str, Any], status: str = "complete") -> None:
        """Record the end of a run with its summary."""
        self.con.execute(
            "UPDATE runs SET status = ?, finished = ?, summary = ? WHERE id = ?",
            [status, dt.datetime.now(), json.dumps(summary), run_id],
        )

    def progress(self, run_id: str, draws: int) -> None:
        """Count ``draws`` more draws done (one chunk of a sweep; committed at once)."""
        self.con.execute(
            "UPDATE runs SET draws_done = draws_done + ? WHERE id = ?", [draws, run_id]
        )

    def add_paths(
        self, run_id: str, rows: Sequence[tuple[dict[str, str | None], int, int]]
    ) -> None:
        """Record a sweep's paths of branches: ``({event: branch or None}, draws, agreements)``.

        From :meth:`offramp.uncertainty.reduce.Tally.path_rows`; read back by
        :meth:`branch_paths`.
        """
        self.con.begin()
        try:
            for branches, seen, agreed in rows:
                self.con.execute(
                    "INSERT INTO paths VALUES (?, MAP(?::VARCHAR[], ?::VARCHAR[]), ?, ?)",
                    [run_id, list(branches), list(branches.values()), seen, agreed],
                )
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise

    def add_draws(self, run_id: str, problem: Problem, draws: Draws, models: Sequence[str]) -> None:
        """Append one chunk of sweep draws in one transaction."""
        import numpy as np

        n = draws.n
        cols: dict[str, Any] = {
            "draw": np.arange(draws.start, draws.start + n, dtype=np.int64),
            "zopa": draws.zopa,
            "ratified": draws.ratified,
            "nash": draws.nash,
        }
        labels = {}
        for idx in np.unique(draws.nash[draws.nash >= 0]).tolist():
            labels[idx] = "; ".join(f"{k}={v}" for k, v in problem.space.package(idx).items())
        cols["nash_package"] = np.array([labels.get(int(i)) for i in draws.nash], dtype=object)
        branch_exprs = []
        for e, event in enumerate(problem.events):
            cols[f"b{e}"] = draws.branch[:, e].astype(np.int64)
            names = "[" + ", ".join(_quote(b) for b in event.branch_ids) + "]"
            branch_exprs.append(f"{names}[b{e} + 1]")
        for k in range(draws.drawn.shape[1]):
            cols[f"i{k}"] = draws.drawn[:, k]
        blockers = [problem.actor_ids[v] for v in problem.veto_index] + list(problem.body_ids)
        for j in range(len(blockers)):
            cols[f"k{j}"] = draws.blocked[:, j]
            cols[f"s{j}"] = draws.sole[:, j]
        fkeys: list[str] = []
        for m_i, name in enumerate(models):
            for i, issue in enumerate(problem.space.issue_ids):
                cols[f"f{len(fkeys)}"] = draws.forecasts[:, m_i, i]
                fkeys.append(f"{name}:{issue}")
        event_ids = [e.id for e in problem.events]
        sql = (
            "INSERT INTO draws SELECT ?, draw, ratified > 0, zopa, ratified, nash, nash_package, "
            + _map(event_ids, branch_exprs, "VARCHAR", "VARCHAR")
            + ", "
            + _map(
                problem.input_names,
                [f"i{k}" for k in range(draws.drawn.shape[1])],
                "VARCHAR",
                "DOUBLE",
            )
            + ", "
            + _map(blockers, [f"k{j}" for j in range(len(blockers))], "VARCHAR", "BIGINT")
            + ", "
            + _map(blockers, [f"s{j}" for j in range(len(blockers))], "VARCHAR", "BIGINT")
            + ", "
            + _map(fkeys, [f"f{j}" for j in range(len(fkeys))], "VARCHAR", "DOUBLE")
            + " FROM chunk"
        )
        self.con.begin()
        try:
            self.con.register("chunk", cols)
            self.con.execute(sql, [run_id])
            self.con.execute(
                "UPDATE runs SET draws_done = draws_done + ? WHERE id = ?", [n, run_id]
            )
            self.con.unregister("chunk")
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise

    def record_analysis(
        self, analysis: Analysis, source: str | None = None, scenario_text: str | None = None
    ) -> str:
        """Record a finished ``analyze`` run: the result, its frontier and the scenario text."""
        run_id = self.start(
            "analyze",
            scenario=analysis.scenario,
            scenario_hash=analysis.scenario_hash,
            source=source,
            params={"method": analysis.method},
            scenario_text=scenario_text,
        )
        rows = [
            [run_id, p.index, json.dumps(p.package), json.dumps(p.utility)]
            for p in analysis.frontier
        ]
        self.con.begin()
        try:
            if rows:
                self.con.executemany("INSERT INTO frontier VALUES (?, ?, ?, ?)", rows)
            self.con.execute(
                "UPDATE runs SET status = 'complete', finished = ?, summary = ? WHERE id = ?",
                [dt.datetime.now(), json.dumps(analysis.to_dict()), run_id],
            )
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise
        return run_id

    def resolve(self, run_id: str) -> str:
        """The full id of a run given by its id or a unique prefix."""
        rows = self.con.execute(
            "SELECT id FROM runs WHERE id LIKE ? ORDER BY id", [run_id.replace("%", "") + "%"]
        ).fetchall()
        if not rows:
            raise StoreError(f"no run `{run_id}` in {self.path}; `offramp runs list` shows them")
        if len(rows) > 1 and rows[0][0] != run_id:
            shown = ", ".join(r[0] for r in rows[:5])
            raise StoreError(f"`{run_id}` matches several runs ({shown}); give more of the id")
        return str(rows[0][0])

    def latest(self, kind: str, scenario_hash: str) -> str | None:
        """Id of the newest complete run of this kind on the scenario with this hash, if any."""
        row = self.con.execute(
            "SELECT id FROM runs WHERE kind = ? AND scenario_hash = ? AND status = 'complete' "
            "ORDER BY started DESC, id DESC LIMIT 1",
            [kind, scenario_hash],
        ).fetchone()
        return None if row is None else str(row[0])

    def branch_paths(self, run_id: str) -> list[dict[str, Any]]:
        """A sweep's draws grouped by the branch of every event (the paths events took).

        Returns ``[{branches: {event: branch or None}, draws, agreements}]``,
        most draws first (ties by the branches' text). ``None`` marks an
        event that had not happened by the run's ``at`` date.
        """
        full = self.resolve(run_id)
        # a sweep's recorded paths, or (runs recorded before paths were) its draws
        rows = self.con.execute(
            "SELECT k, v, sum(n) n, sum(a) a FROM ("
            "SELECT map_keys(branches) k, map_values(branches) v, draws n, agreements a "
            "FROM paths WHERE run_id = ? UNION ALL "
            "SELECT map_keys(branches), map_values(branches), 1, agreement::INTEGER "
            "FROM draws WHERE run_id = ?) "
            "GROUP BY k, v ORDER BY n DESC, CAST(v AS VARCHAR)",
            [full, full],
        ).fetchall()
        return [
            {
                "branches": dict(zip(keys, values, strict=True)),
                "draws": int(n),
                "agreements": int(a or 0),
            }
            for keys, values, n, a in rows
        ]

    def list(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Every run, newest first."""
        sql = (
            "SELECT id, kind, scenario, status, started, finished, seed, draws_done, "
            "offramp_version FROM runs ORDER BY started DESC, id DESC"
        )
        if limit:
            sql += f" LIMIT {int(limit)}"
        cursor = self.con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def get(self, run_id: str) -> dict[str, Any]:
        """One run's row, with ``params`` and ``summary`` decoded."""
        full = self.resolve(run_id)
        cursor = self.con.execute("SELECT * FROM runs WHERE id = ?", [full])
        names = [d[0] for d in cursor.description]
        row = dict(zip(names, cursor.fetchone() or (), strict=True))
        for key in ("params", "summary"):
            row[key] = json.loads(row[key]) if row.get(key) else None
        row["draws_stored"] = self.con.execute(
            "SELECT count(*) FROM draws WHERE run_id = ?", [full]
        ).fetchone()[0]  # type: ignore[index]
        return row

    def export(self, run_id: str, target: str | Path, fmt: str) -> int:
        """Write a run as one tidy long table, Parquet or CSV; return the row count.

        One value per cell and one row per observation, in the columns of
        :data:`EXPORT_COLUMNS` (empty where a column does not apply); see
        ``docs/uncertainty.md`` (Exporting runs) for what each ``measure``
        fills in. Parquet is written by DuckDB itself; pandas reads it back
        with pyarrow, a dependency of offramp.
        """
        import duckdb

        if fmt not in ("parquet", "csv"):
            raise StoreError(f"unknown format `{fmt}`; use parquet or csv")
        run = self.get(run_id)
        full = run["id"]
        if run["kind"] == "analyze":
            parts = _frontier_rows(self.con, full)
        elif run["kind"] == "sweep":
            kept = (run.get("params") or {}).get("keep_draws")
            if run["draws_stored"] or not kept:
                parts = _sweep_rows(_quote(full))
            elif Path(kept).exists():
                # offramp sweep --keep-draws streamed this run's draws to a Parquet file
                parts = _sweep_rows(_quote(full), _parquet_draws(_quote(full), kept, run["params"]))
            else:
                raise StoreError(
                    f"run {full} kept its draws in {kept}, which is gone; re-run the sweep "
                    "with --keep-draws (same seed, same draws) to export them"
                )
        else:
            parts = _summary_rows(run)
        query = " UNION ALL ".join(parts) if parts else _select(_quote(full), "'none'") + " LIMIT 0"
        query = f"SELECT * FROM ({query}) ORDER BY draw NULLS FIRST, seq"
        query = f"SELECT {', '.join(name for name, _ in EXPORT_COLUMNS)} FROM ({query})"
        count = self.con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]  # type: ignore[index]
        options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER"
        try:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            self.con.execute(f"COPY ({query}) TO {_quote(str(target))} ({options})")
        except (OSError, duckdb.IOException) as err:
            raise StoreError(f"cannot write {target}: {err}") from err
        return int(count)
