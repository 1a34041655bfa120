"""Commands ``sweep`` and ``sensitivity``: from one answer to a probability."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from offramp.cli._app import app, err, guard, out, write_json
from offramp.cli._render import progress, show_table
from offramp.errors import OfframpError
from offramp.store import DEFAULT_STORE, RunStore

if TYPE_CHECKING:
    from offramp.problem import Problem
    from offramp.uncertainty.sensitivity import Sensitivity
    from offramp.uncertainty.sweep import Chunk, SweepSummary

__all__ = ["sensitivity_command", "sweep_command"]


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise OfframpError(f"--at must be a date like 2024-12-01; got {text!r}") from error


def _text(file: Path) -> str | None:
    """The scenario file's text, kept in the run store (None if it cannot be read again)."""
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _render(summary: SweepSummary, problem: Problem, console: Console) -> None:
    low, high = summary.p_agreement_ci
    when = f" (events up to {summary.at})" if summary.at else " (every event)"
    console.print(
        f"[bold]{summary.scenario}[/]: {summary.draws:,} draws, seed {summary.seed}{when}\n"
        f"P(ratified agreement exists) = [bold]{summary.p_agreement:.2%}[/] "
        f"(95% CI {low:.2%} - {high:.2%}); P(ZOPA non-empty) = {summary.p_zopa:.2%}"
    )
    if summary.by_branch:
        table = Table(title="By event branch", title_justify="left")
        for name in ("event", "branch", "draws", "P(agreement)"):
            table.add_column(name, justify="right" if name in ("draws", "P(agreement)") else "left")
        for event, branches in summary.by_branch.items():
            for branch, row in branches.items():
                table.add_row(event, branch, f"{row['draws']:,}", f"{row['p_agreement']:.2%}")
        show_table(console, table)
    if summary.nash_packages:
        table = Table(title="Nash package when there is an agreement", title_justify="left")
        table.add_column("share", justify="right")
        table.add_column("package")
        for entry in summary.nash_packages[:10]:
            package: dict[str, str] = entry["package"]
            text = "; ".join(f"{i}={o}" for i, o in package.items())
            table.add_row(f"{entry['share']:.1%}", text)
        show_table(console, table)
    routed = {
        body: rows
        for body, rows in summary.by_route.items()
        if any(row["p_ratified"] is not None or row["share"] for row in rows.values())
    }
    if routed:
        table = Table(
            title="By ratification route (share of agreements; P(passed) of the ZOPA packages "
            "taking it)",
            title_justify="left",
        )
        for name in ("body", "route", "share", "P(passed)"):
            table.add_column(name, justify="left" if name in ("body", "route") else "right")
        for body, rows in routed.items():
            for route, row in rows.items():
                if row["p_ratified"] is None and not row["share"]:
                    continue
                p = "-" if row["p_ratified"] is None else f"{row['p_ratified']:.1%}"
                table.add_row(body, route, f"{row['share']:.1%}", p)
        show_table(console, table)
    if summary.likely_path.get("path"):
        path = " -> ".join(summary.likely_path["path"])
        console.print(
            f"Likely path of an agreement: {path} ({summary.likely_path['share']:.1%})",
            highlight=False,
        )
    for name, issues in summary.forecasts.items():
        table = Table(title=f"Forecast: {name} (0-100 scale)", title_justify="left")
        for col in ("issue", "mean", "p5", "p95"):
            table.add_column(col, justify="left" if col == "issue" else "right")
        for issue, row in issues.items():
            table.add_row(issue, f"{row['mean']:.1f}", f"{row['p5']:.1f}", f"{row['p95']:.1f}")
        show_table(console, table)


@app.command(name="sweep")
def sweep_command(
    file: Annotated[Path, typer.Argument(help="Scenario file (YAML).")],
    draws: Annotated[int, typer.Option("--draws", min=1, help="Number of draws.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", min=0, max=2**63 - 1, help="Seed.")] = 0,
    at: Annotated[
        str | None, typer.Option("--at", help="Only events up to this date (default: all).")
    ] = None,
    json_path: Annotated[
        str | None, typer.Option("--json", help="Write the summary JSON here ('-' for stdout).")
    ] = None,
    store_path: Annotated[
        Path, typer.Option("--store", help="Run store (DuckDB file).")
    ] = DEFAULT_STORE,
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", min=1, help="Draws per chunk (does not change results).")
    ] = 10_000,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler", help="Dask scheduler tcp://HOST:PORT (or $OFFRAMP_DASK_SCHEDULER)."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Start a local Dask cluster of N workers."),
    ] = None,
    forecast: Annotated[
        list[str] | None,
        typer.Option("--forecast", help="Forecast model to run per draw (repeatable)."),
    ] = None,
    keep_draws: Annotated[
        Path | None,
        typer.Option(
            "--keep-draws",
            help="Also stream every draw's results to this Parquet file, chunk by chunk.",
        ),
    ] = None,
) -> None:
    """Draw every uncertain input and event N times; the probability of a ratified agreement.

    Chunks reduce to summaries as they finish, so memory does not grow with
    N; per-draw results are kept only with --keep-draws.
    """
    from offramp.io.draws import DrawsWriter
    from offramp.problem import compile_problem
    from offramp.scenario import load_scenario
    from offramp.uncertainty.distributed import ENV_SCHEDULER, dask_backend
    from offramp.uncertainty.sweep import forecast_models, sweep

    scenario = guard(lambda: load_scenario(file))
    when = guard(lambda: _date(at))
    problem = compile_problem(scenario)
    models = forecast_models(forecast)
    address = scheduler or os.environ.get(ENV_SCHEDULER)
    backend = dask_backend(address, workers) if (address or workers) else None
    console = err if json_path == "-" else out
    store = guard(lambda: RunStore(store_path))
    params: dict[str, Any] = {
        "draws": draws,
        "at": at,
        "chunk_size": chunk_size,
        "backend": "dask" if backend else "in-process",
        "workers": workers,
        "forecast_models": list(models),
        "events": [e.id for e in problem.events],
        "inputs": list(problem.input_names),
        "blockers": [problem.actor_ids[v] for v in problem.veto_index] + list(problem.body_ids),
        "forecast_keys": [f"{m}:{i}" for m in models for i in problem.space.issue_ids],
        "keep_draws": None if keep_draws is None else str(keep_draws),
    }
    writer = None if keep_draws is None else guard(lambda: DrawsWriter(keep_draws, problem, models))
    with store:
        run_id = store.start(
            "sweep",
            scenario=problem.id,
            scenario_hash=problem.scenario_hash,
            source=str(file),
            seed=seed,
            params=params,
            scenario_text=_text(file),
        )
        err.print(f"Recording run {run_id} in {store_path}", highlight=False)
        done = [0]

        try:
            with progress("sweep", err) as update:

                def on_chunk(part: Chunk) -> None:
                    if writer is not None and part.draws is not None:
                        writer.write(part.draws)
                    store.progress(run_id, part.n)
                    done[0] += part.n
                    update(done[0], draws)

                summary, tally = guard(
                    lambda: sweep(
                        problem,
                        draws=draws,
                        seed=seed,
                        at=when,
                        chunk_size=chunk_size,
                        models=models,
                        backend=backend,
                        on_chunk=on_chunk,
                        keep_draws=writer is not None,
                    )
                )
        except KeyboardInterrupt:
            store.finish(run_id, {"interrupted": True}, status="interrupted")
            err.print(f"[yellow]interrupted[/]: run {run_id} kept as interrupted", highlight=False)
            raise typer.Exit(130) from None
        finally:
            if writer is not None:
                writer.close()
        summary = dataclasses.replace(summary, run_id=run_id)
        data = summary.to_dict()
        store.add_paths(run_id, tally.path_rows(problem))
        store.finish(run_id, data)
    _render(summary, problem, console)
    write_json(json.dumps(data, indent=2, ensure_ascii=False) + "\n", json_path, parents=True)
    if keep_draws is not None:
        console.print(f"Draws written to {keep_draws}", highlight=False)
    console.print(f"Run {run_id} recorded in {store_path}", highlight=False)


def _render_sensitivity(result: Sensitivity, console: Console, top: int) -> None:
    console.print(
        f"[bold]{result.scenario}[/]: {result.method} sensitivity, {result.runs:,} model runs, "
        f"{len(result.factors)} factors"
    )
    if result.constant:
        console.print(
            f"Did not vary in any of the {result.runs:,} runs (no input moves them; tables "
            f"omitted): {', '.join(result.constant)}",
            highlight=False,
        )
    for output, names in result.ranking.items():
        if output in result.constant:
            continue
        table = Table(title=f"{output}: inputs ranked", title_justify="left")
        table.add_column("input")
        cols = ("S1", "ST") if result.method == "sobol" else ("mu_star", "sigma")
        for col in cols:
            table.add_column(col, justify="right")
        for name in names[:top]:
            row = result.indices[output][name]
            table.add_row(name, *(f"{row[c]:.3f}" for c in cols))
        show_table(console, table)


@app.command(name="sensitivity")
def sensitivity_command(
    file: Annotated[Path, typer.Argument(help="Scenario file (YAML).")],
    method: Annotated[
        str,
        typer.Option("--method", help="auto (Sobol up to 40 factors, else Morris), sobol, morris."),
    ] = "auto",
    samples: Annotated[
        int, typer.Option("--samples", min=2, help="Sobol base sample N (power of 2) or Morris r.")
    ] = 256,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the design.")] = 0,
    at: Annotated[str | None, typer.Option("--at", help="Only events up to this date.")] = None,
    json_path: Annotated[
        str | None, typer.Option("--json", help="Write the indices JSON here ('-' for stdout).")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Inputs shown per output.")] = 15,
    forecast: Annotated[
        list[str] | None, typer.Option("--forecast", help="Forecast model outputs (repeatable).")
    ] = None,
    store_path: Annotated[
        Path, typer.Option("--store", help="Run store (DuckDB file).")
    ] = DEFAULT_STORE,
) -> None:
    """Rank the inputs by how much P(agreement) and the forecasts depend on them (Sobol, Morris)."""
    from offramp.problem import compile_problem
    from offramp.scenario import load_scenario
    from offramp.uncertainty.sensitivity import sensitivity
    from offramp.uncertainty.sweep import forecast_models

    scenario = guard(lambda: load_scenario(file))
    when = guard(lambda: _date(at))
    problem = compile_problem(scenario)
    models = forecast_models(forecast)
    with progress("sensitivity", err) as update:
        result = guard(
            lambda: sensitivity(
                problem,
                method=method,
                samples=samples,
                seed=seed,
                at=when,
                models=models,
                on_progress=update,
            )
        )
    console = err if json_path == "-" else out
    _render_sensitivity(result, console, top)
    data = result.to_dict()
    # recorded once finished (a sensitivity run has no partial results worth keeping)
    store = guard(lambda: RunStore(store_path))
    with store:
        run_id = store.start(
            "sensitivity",
            scenario=problem.id,
            scenario_hash=problem.scenario_hash,
            source=str(file),
            seed=seed,
            params={"method": result.method, "samples": samples, "at": at, "models": list(models)},
            scenario_text=_text(file),
        )
        store.finish(run_id, data)
    write_json(json.dumps(data, indent=2) + "\n", json_path, parents=True)
    console.print(f"Run {run_id} recorded in {store_path}", highlight=False)
