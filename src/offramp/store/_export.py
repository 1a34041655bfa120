"""The tidy long table of ``offramp runs export``: the SQL that builds it from a stored run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _map(keys: Sequence[str], columns: Sequence[str], key_type: str, value_type: str) -> str:
    if not keys:
        return f"MAP([]::{key_type}[], []::{value_type}[])"
    return "MAP([" + ", ".join(_quote(k) for k in keys) + "], [" + ", ".join(columns) + "])"


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


def _parquet_draws(run: str, file: str, params: dict[str, Any]) -> str:
    """The ``draws`` table's columns read from a sweep's ``--keep-draws`` Parquet file.

    The MAP keys are the run's recorded ``events``, ``inputs``, ``blockers``
    and ``forecast_keys`` (see offramp.io.draws for the file's columns).
    """

    def col(prefix: str, key: str) -> str:
        return '"' + f"{prefix}:{key}".replace('"', '""') + '"'

    events = [str(e) for e in params.get("events", [])]
    inputs = [str(i) for i in params.get("inputs", [])]
    blockers = [str(b) for b in params.get("blockers", [])]
    forecasts = [str(f) for f in params.get("forecast_keys", [])]
    return (
        f"(SELECT {run} AS run_id, draw, agreement, zopa, ratified, nash, nash_package, "
        + _map(events, [col("branch", e) for e in events], "VARCHAR", "VARCHAR")
        + " AS branches, "
        + _map(inputs, [col("input", i) for i in inputs], "VARCHAR", "DOUBLE")
        + " AS inputs, "
        + _map(blockers, [col("blocked", b) for b in blockers], "VARCHAR", "BIGINT")
        + " AS blocked, "
        + _map(blockers, [col("sole", b) for b in blockers], "VARCHAR", "BIGINT")
        + " AS sole, "
        + _map(forecasts, [col("forecast", f) for f in forecasts], "VARCHAR", "DOUBLE")
        + f" AS forecasts FROM read_parquet({_quote(file)})) AS kept"
    )


def _sweep_rows(run: str, source: str = "draws") -> list[str]:
    """A sweep's draws, one row per drawn number, branch, Nash option, count or forecast.

    ``source`` is the ``draws`` table or :func:`_parquet_draws`.
    """
    where = f"{source} WHERE run_id = {run}"

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
