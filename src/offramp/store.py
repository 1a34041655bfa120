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
``draws``
    one row per sweep draw: ``run_id``, ``draw``, ``agreement``, ``zopa``,
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
chunk of draws is committed in its own transaction, and the final status
with the summary last. A run killed mid-way therefore leaves every earlier
run intact, its committed draws readable, and itself marked
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

if TYPE_CHECKING:
    import duckdb

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
CREATE TABLE IF NOT EXISTS frontier (
    run_id VARCHAR NOT NULL, package BIGINT, options JSON, utility JSON);
ALTER TABLE runs ADD COLUMN IF NOT EXISTS scenario_text VARCHAR;
"""


class StoreError(OfframpError):
    """The run store cannot be opened or has no such run."""


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _map(keys: Sequence[str], columns: Sequence[str], key_type: str, value_type: str) -> str:
    if not keys:
        return f"MAP([]::{key_type}[], []::{value_type}[])"
    return "MAP([" + ", ".join(_quote(k) for k in keys) + "], [" + ", ".join(columns) + "])"


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
        rows = self.con.execute(
            "SELECT map_keys(branches) k, map_values(branches) v, count(*) n, "
            "sum(agreement::INTEGER) a FROM draws WHERE run_id = ? "
            "GROUP BY k, v ORDER BY n DESC, CAST(v AS VARCHAR)",
            [full],
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
            parts = _sweep_rows(_quote(full))
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


EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run", "VARCHAR"),
    ("draw", "BIGINT"),
    ("package", "BIGINT"),
    ("measure", "VARCHAR"),
    ("event", "VARCHAR"),
    ("branch", "VARCHAR"),
    ("input", "VARCHAR"),
    ("output", "VARCHAR"),
    ("model", "VARCHAR"),
    ("issue", "VARCHAR"),
    ("option", "VARCHAR"),
    ("actor", "VARCHAR"),
    ("value", "DOUBLE"),
)
"""The columns of ``offramp runs export`` (name, DuckDB type), in order."""


def _select(run: str, measure: str, *, source: str = "", **given: str) -> str:
    """One SELECT giving every export column (NULL where not given) plus ``seq`` for order."""
    cols = [f"{run}::VARCHAR AS run", f"{measure}::VARCHAR AS measure"]
    for name, kind in EXPORT_COLUMNS:
        if name not in ("run", "measure"):
            cols.append(f"{given.get(name, 'NULL')}::{kind} AS {name}")
    cols.append(f"{given.get('seq', '0')}::BIGINT AS seq")
    return "SELECT " + ", ".join(cols) + (f" FROM {source}" if source else "")


def _frontier_rows(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """An analyze run's frontier: each package's options and every actor's utility.

    The rows are registered as the view ``export_frontier`` for the query.
    """
    import numpy as np

    found = con.execute(
        "SELECT package, options, utility FROM frontier WHERE run_id = ? ORDER BY package",
        [run_id],
    ).fetchall()
    cols: dict[str, list[Any]] = {k: [] for k in ("package", "measure", "name", "text", "value")}
    for package, options, utility in found:
        for measure, pairs in (("option", options), ("utility", utility)):
            for name, value in json.loads(pairs).items():
                cols["package"].append(int(package))
                cols["measure"].append(measure)
                cols["name"].append(str(name))
                cols["text"].append(str(value) if measure == "option" else None)
                cols["value"].append(float(value) if measure == "utility" else None)
    if not found:
        return []
    con.register(
        "export_frontier",
        {
            "package": np.array(cols["package"], dtype=np.int64),
            "measure": np.array(cols["measure"], dtype=object),
            "name": np.array(cols["name"], dtype=object),
            "text": np.array(cols["text"], dtype=object),
            "value": np.array(cols["value"], dtype=np.float64),
            "seq": np.arange(len(cols["package"]), dtype=np.int64),
        },
    )
    return [
        _select(
            _quote(run_id),
            "measure",
            package="package",
            issue="CASE WHEN measure = 'option' THEN name END",
            option="text",
            actor="CASE WHEN measure = 'utility' THEN name END",
            value="value",
            seq="seq",
            source="export_frontier",
        )
    ]


def _sweep_rows(run: str) -> list[str]:
    """A sweep's draws, one row per drawn number, branch, Nash option, count or forecast."""
    where = f"draws WHERE run_id = {run}"

    def entries(column: str, order: int) -> str:
        # map entries in their stored order (the scenario's), numbered for a stable sort
        return (
            f"(SELECT draw, unnest(map_keys({column})) AS k, unnest(map_values({column})) AS v, "
            f"{order} * 1000000 + generate_subscripts(map_keys({column}), 1) AS s FROM {where})"
        )

    nash = (
        "(SELECT draw, nash, split_part(x, '=', 1) AS k, split_part(x, '=', 2) AS v, s FROM "
        "(SELECT draw, nash, unnest(string_split(nash_package, '; ')) AS x, "
        "4000000 + generate_subscripts(string_split(nash_package, '; '), 1) AS s "
        f"FROM {where} AND nash >= 0))"
    )
    return [
        _select(run, "'agreement'", draw="draw", value="agreement::INTEGER", source=where),
        _select(run, "'zopa'", draw="draw", value="zopa", seq="1", source=where),
        _select(run, "'ratified'", draw="draw", value="ratified", seq="2", source=where),
        _select(
            run,
            "'branch'",
            draw="draw",
            event="k",
            branch="v",
            seq="s",
            source=entries("branches", 3),
        ),
        _select(
            run, "'nash'", draw="draw", package="nash", issue="k", option="v", seq="s", source=nash
        ),
        _select(
            run, "'input'", draw="draw", input="k", value="v", seq="s", source=entries("inputs", 5)
        ),
        _select(
            run,
            "'blocked'",
            draw="draw",
            actor="k",
            value="v",
            seq="s",
            source=entries("blocked", 6),
        ),
        _select(
            run, "'sole'", draw="draw", actor="k", value="v", seq="s", source=entries("sole", 7)
        ),
        _select(
            run,
            "'forecast'",
            draw="draw",
            model="split_part(k, ':', 1)",
            issue="split_part(k, ':', 2)",
            value="v",
            seq="s",
            source=entries("forecasts", 8),
        ),
    ]


def _summary_rows(run: dict[str, Any]) -> list[str]:
    """Rows of a sensitivity run's indices or a forecast run's forecasts, from its summary."""
    summary = run.get("summary") or {}
    rid = _quote(run["id"])
    values: list[str] = []
    if run["kind"] == "sensitivity":
        for output, factors in (summary.get("indices") or {}).items():
            for factor, row in factors.items():
                for key, value in row.items():
                    values.append(
                        f"({_quote(key)}, {_quote(output)}, {_quote(factor)}, NULL, NULL, "
                        f"NULL, {float(value)!r})"
                    )
    elif run["kind"] == "forecast":
        model = str(summary.get("model", ""))
        for issue, entry in (summary.get("issues") or {}).items():
            option = entry.get("option")
            values.append(
                f"('forecast', NULL, NULL, {_quote(model)}, {_quote(issue)}, "
                f"{'NULL' if option is None else _quote(str(option))}, "
                f"{float(entry['forecast'])!r})"
            )
    if not values:
        return []
    table = (
        "(VALUES "
        + ", ".join(values)
        + ") AS t(measure, output, input, model, issue, option, value)"
    )
    return [
        _select(
            rid,
            "measure",
            output="output",
            input="input",
            model="model",
            issue="issue",
            option="option",
            value="value",
            seq="row_number() OVER ()",
            source=table,
        )
    ]
