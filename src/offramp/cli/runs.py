"""Commands ``runs list|show|compare|export``: the run store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from offramp.cli._app import app, guard, out
from offramp.store import DEFAULT_STORE, RunStore

if TYPE_CHECKING:
    pass

__all__ = ["runs_app"]

runs_app = typer.Typer(
    name="runs",
    help="Recorded runs (analyze, sweep, sensitivity) in the run store.",
    no_args_is_help=True,
)
app.add_typer(runs_app)

StoreOption = Annotated[Path, typer.Option("--store", help="Run store (DuckDB file).")]


def _open(path: Path) -> RunStore:
    return guard(lambda: RunStore(path, read_only=True))


@runs_app.command(name="list")
def list_runs(
    store: StoreOption = DEFAULT_STORE,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Newest N runs.")] = 50,
) -> None:
    """List recorded runs, newest first."""
    from offramp.cli._render import show_table

    with _open(store) as s:
        rows = s.list(limit)
    table = Table(title=f"Runs in {store}", title_justify="left")
    for name in ("id", "kind", "scenario", "status", "started", "seed", "draws"):
        table.add_column(
            name, justify="right" if name in ("seed", "draws") else "left", no_wrap=True
        )
    for r in rows:
        status = r["status"] if r["status"] == "complete" else f"[yellow]{r['status']}[/]"
        table.add_row(
            r["id"],
            r["kind"],
            r["scenario"] or "",
            status,
            f"{r['started']:%Y-%m-%d %H:%M:%S}",
            "" if r["seed"] is None else str(r["seed"]),
            f"{r['draws_done']:,}" if r["kind"] == "sweep" else "",
        )
    show_table(out, table, title=False)


def _headline(run: dict[str, Any]) -> str:
    summary = run.get("summary") or {}
    if run["kind"] == "sweep" and "p_agreement" in summary:
        low, high = summary["p_agreement_ci"]
        return f"P(agreement) {summary['p_agreement']:.2%} (95% CI {low:.2%} - {high:.2%})"
    if run["kind"] == "analyze" and "verdict" in summary:
        return str(summary["verdict"])
    return "(no summary: the run did not finish)" if run["status"] != "complete" else ""


@runs_app.command(name="show")
def show(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    store: StoreOption = DEFAULT_STORE,
    json_out: Annotated[bool, typer.Option("--json", help="Print the run as JSON.")] = False,
) -> None:
    """Show one run: what ran, on what, and what it found."""
    with _open(store) as s:
        run = guard(lambda: s.get(run_id))
    if json_out:
        out.print_json(json.dumps(run, default=str))
        return
    for key in (
        "id",
        "kind",
        "scenario",
        "scenario_hash",
        "source",
        "offramp_version",
        "seed",
        "status",
        "started",
        "finished",
        "draws_done",
        "draws_stored",
    ):
        out.print(f"[cyan]{key}[/]: {run.get(key)}", highlight=False)
    out.print(f"[cyan]params[/]: {json.dumps(run['params'])}", highlight=False, soft_wrap=True)
    out.print(f"[cyan]result[/]: {_headline(run)}", highlight=False)


@runs_app.command(name="compare")
def compare(
    first: Annotated[str, typer.Argument(help="Run id.")],
    second: Annotated[str, typer.Argument(help="Run id.")],
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Compare two runs side by side."""
    from offramp.cli._render import show_table

    with _open(store) as s:
        a = guard(lambda: s.get(first))
        b = guard(lambda: s.get(second))
    table = Table(title="Runs compared", title_justify="left")
    table.add_column("")
    table.add_column(a["id"])
    table.add_column(b["id"])
    for key in (
        "kind",
        "scenario",
        "scenario_hash",
        "offramp_version",
        "seed",
        "status",
        "draws_done",
    ):
        va, vb = str(a.get(key)), str(b.get(key))
        mark = "" if va == vb else " [yellow]*[/]"
        table.add_row(key + mark, va, vb)
    pa, pb = a["params"] or {}, b["params"] or {}
    for key in sorted(set(pa) | set(pb)):
        if key in ("inputs", "events", "blockers", "forecast_keys"):
            continue
        va, vb = json.dumps(pa.get(key)), json.dumps(pb.get(key))
        table.add_row(f"params.{key}" + ("" if va == vb else " [yellow]*[/]"), va, vb)
    table.add_row("result", _headline(a), _headline(b))
    sa, sb = a.get("summary") or {}, b.get("summary") or {}
    if "p_agreement" in sa and "p_agreement" in sb:
        table.add_row(
            "P(agreement) difference", "", f"{sb['p_agreement'] - sa['p_agreement']:+.2%}"
        )
    show_table(out, table)


@runs_app.command(name="export")
def export(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default: offramp-out/<id>.<format>)."),
    ] = None,
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Export a run as a tidy long table: one value per cell (see docs/uncertainty.md)."""
    with _open(store) as s:
        full = guard(lambda: s.resolve(run_id))
        target = output or store.parent / f"{full}.{fmt}"
        count = guard(lambda: s.export(full, target, fmt))
    out.print(f"Wrote {count:,} rows to {target}", highlight=False)
