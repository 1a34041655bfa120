"""The ``report`` and ``serve`` commands: the analysis report and the web workbench."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from offramp.cli._app import app, err, guard, out
from offramp.errors import Diagnostic, InputError
from offramp.store import DEFAULT_STORE, RunStore, StoreError

if TYPE_CHECKING:
    from offramp.report.model import StoredResults
    from offramp.scenario.schema import Scenario

__all__ = ["report", "serve"]

QUICK_SWEEP_DRAWS_DEFAULT = 1000
"""``offramp.report.write.QUICK_SWEEP_DRAWS``, spelled here so ``--help`` need not import
the report (a test checks the two agree)."""


class Format(StrEnum):
    """Report formats."""

    html = "html"
    md = "md"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def report(
    source: Annotated[
        str, typer.Argument(metavar="FILE|RUN_ID", help="Scenario file (YAML) or stored run id.")
    ],
    out_dir: Annotated[
        Path, typer.Option("--out", help="Directory: writes DIR/<scenario id>/report.html and .md.")
    ] = Path("offramp-out"),
    fmt: Annotated[
        Format | None,
        typer.Option("--format", help="Write only this format (default: both html and md)."),
    ] = None,
    axes: Annotated[
        str | None,
        typer.Option(help="Two actor ids for the settlement picture, separated by a comma."),
    ] = None,
    store_path: Annotated[
        Path, typer.Option("--store", help="Run store to read runs and stored results from.")
    ] = DEFAULT_STORE,
    draws: Annotated[
        int,
        typer.Option(
            "--draws",
            min=0,
            help="For a FILE with no stored sweep: draws of a quick sweep run for the report "
            "(0: none).",
        ),
    ] = QUICK_SWEEP_DRAWS_DEFAULT,
) -> None:
    """Write the analysis report: one self-contained HTML file and a Markdown summary.

    FILE: the scenario's analysis, with the newest stored sweep and sensitivity runs on the
    same scenario (same content hash) from --store. RUN_ID (or a unique prefix): rebuilt from
    that stored run.
    """
    from offramp.problem import compile_problem
    from offramp.report import report_for, report_for_run, stored_results, write_report
    from offramp.report.stored import scenario_of_run
    from offramp.scenario import load_scenario
    from offramp.scenario.load import content_hash

    path = Path(source)
    if path.exists():
        scenario = guard(lambda: load_scenario(path))
        pair = _axes(scenario, axes)
        stored = None
        if store_path.exists():
            try:
                with RunStore(store_path, read_only=True) as store:
                    stored = stored_results(store, content_hash(scenario))
            except StoreError as error:
                err.print(f"[yellow]warning:[/] stored runs not shown: {error}", highlight=False)
        problem = compile_problem(scenario)
        built = guard(lambda: report_for(problem, axes=pair, stored=stored, sweep_draws=draws))
        _say_stored(stored, problem.scenario_hash, store_path)
    else:
        if not store_path.exists():
            guard(lambda: _no_run(source, store_path))
        with guard(lambda: RunStore(store_path, read_only=True)) as store:
            full = guard(lambda: _resolve(store, source))
            run = guard(lambda: store.get(full))
            if run["kind"] == "backtest" and run.get("summary"):
                from offramp.report.backtest import write_backtest_page

                page = guard(lambda: write_backtest_page(run["summary"], out_dir))
                out.print(f"Wrote {page}", highlight=False)
                return
            scenario = guard(lambda: scenario_of_run(run))
            pair = _axes(scenario, axes)
            built, _ = guard(lambda: report_for_run(store, full, axes=pair))
    formats: tuple[Format, ...] = (fmt,) if fmt is not None else (Format.html, Format.md)
    try:
        written = write_report(built, out_dir, tuple(f.value for f in formats))
    except OSError as error:
        err.print(f"[bold red]error:[/] cannot write the report: {error}", highlight=False)
        raise typer.Exit(1) from error
    out.print(built.verdict, highlight=False)
    for written_path in written:
        out.print(f"Wrote {written_path}", highlight=False)


def _say_stored(stored: StoredResults | None, scenario_hash: str, store_path: Path) -> None:
    """Say which stored runs the report used: only runs of this very scenario (same hash)."""
    short = scenario_hash[:12]
    for kind, origin in (
        ("sweep", stored.sweep_origin if stored and stored.sweep is not None else ""),
        (
            "sensitivity",
            stored.sensitivity_origin if stored and stored.sensitivity is not None else "",
        ),
    ):
        if origin:
            out.print(f"Used the {origin} (same scenario hash {short})", highlight=False)
        else:
            out.print(
                f"No stored {kind} run of this scenario (hash {short}) in {store_path}; "
                f"`offramp {kind} FILE` records one",
                highlight=False,
            )


def _resolve(store: RunStore, source: str) -> str:
    """The full run id of RUN_ID, or an error that also says no such file exists."""
    try:
        return store.resolve(source)
    except StoreError as error:
        raise StoreError(f"{source}: no such scenario file, and {error}") from error


def _axes(scenario: Scenario, axes: str | None) -> tuple[str, str] | None:
    pair: tuple[str, str] | None = None
    if axes is not None:
        ids = [a.id for a in scenario.actors]
        parts = [p.strip() for p in axes.split(",")]
        bad = [p for p in parts if p not in ids]
        if len(parts) != 2 or bad:
            guard(
                lambda: _raise(
                    Diagnostic(
                        "--axes",
                        None,
                        "",
                        f"give two actor ids separated by a comma, from: {', '.join(ids)}",
                    )
                )
            )
        pair = (parts[0], parts[1])
    return pair


def _raise(problem: Diagnostic) -> None:
    raise InputError([problem])


def _no_run(source: str, store: Path) -> None:
    """Say why RUN_ID cannot be looked up: there is no run store."""
    _raise(
        Diagnostic(
            source,
            None,
            "",
            f"no such scenario file, and no run store at {store} to look a run id up in; "
            "give a scenario file, or --store with the run store that holds the run",
        )
    )


@app.command()
def serve(
    source: Annotated[
        Path | None,
        typer.Argument(
            metavar="[FILE|DIR]",
            help="Scenario file or directory of scenarios (default: scenarios/ or .).",
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", min=0, max=65535)] = 8000,
    token: Annotated[
        str | None,
        typer.Option(help="Require this token on every request (needed off loopback)."),
    ] = None,
    store_path: Annotated[
        Path, typer.Option("--store", help="Run store whose runs GET /runs also lists.")
    ] = DEFAULT_STORE,
) -> None:
    """Serve the web workbench: edit inputs and see the verdict, picture and forecasts change."""
    if source is not None and not source.exists():
        guard(lambda: _raise(Diagnostic(str(source), None, "", "no such file or directory")))
    if not _is_loopback(host) and not token:
        guard(
            lambda: _raise(
                Diagnostic(
                    "--host",
                    None,
                    "",
                    f"{host} is not a loopback address: anyone who can reach it could use the "
                    "server, so give --token T (every request must then carry T)",
                )
            )
        )
    import uvicorn

    from offramp.web import create_app

    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
    out.print(f"offramp workbench on {url}" + (f"?token={token}" if token else ""), highlight=False)
    uvicorn.run(
        create_app(source, token=token, store=store_path),
        host=host,
        port=port,
        log_level="warning",
    )
