"""The ``backtest`` commands: forecasts scored against what really happened.

``offramp backtest deu FILE [--capability council|gdp|equal] [--models M,...]
[--calibrate DEVFILE] [--boot 2000] [--seed S] [--json F] [--report DIR]``
reads a DEU III file (:mod:`offramp.io.deu`), builds the problem under the
capability rule, runs :func:`offramp.backtest.backtest_deu`, prints a table,
writes the JSON and (with ``--report``) an HTML page, and records the run in
the run store.

``offramp backtest cases DIR [--draws N] [--seed S] [--json F] [--report DIR]``
loads every scenario of DIR with an ``outcome:`` block, forecasts each with
:func:`offramp.backtest.cases.backtest_cases` (the sweep and durability
engines), and scores the forecasts against the outcomes: per case and overall
Brier scores against the library's leave-one-out base rate, and a
calibration table.  See ``docs/backtest.md``.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from offramp.cli._app import app, err, guard, write_json
from offramp.errors import OfframpError
from offramp.store import DEFAULT_STORE, RunStore, StoreError

if TYPE_CHECKING:
    from offramp.backtest import DeuBacktest

__all__ = ["backtest_app", "cases_command", "deu_command", "render_backtest", "render_cases"]

backtest_app = typer.Typer(
    name="backtest",
    help="Score the forecasts against real outcomes (DEU III, history cases).",
    no_args_is_help=True,
)
app.add_typer(backtest_app)


def _models(text: str | None) -> list[str]:
    from offramp.backtest import MODEL_NAMES

    if text is None:
        return list(MODEL_NAMES)
    names = [m.strip() for m in text.split(",") if m.strip()]
    aliases = {"compromise": "weighted_mean", "median": "weighted_median"}
    names = [aliases.get(m, m) for m in names]
    bad = [m for m in names if m not in MODEL_NAMES]
    if bad or not names:
        err.print(
            f"[bold red]error:[/] unknown model {bad[0] if bad else text!r} in --models;"
            f" choose from {', '.join(MODEL_NAMES)} (comma-separated)",
            highlight=False,
        )
        raise typer.Exit(1)
    return names


def _interval(value: list[float | None]) -> str:
    lo, est, hi = value
    if est is None:
        return ""
    if lo is None or hi is None:
        return f"{est:+.2f}"
    return f"{est:+.2f} [{lo:+.2f}, {hi:+.2f}]"


def _fmt(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


def render_backtest(data: dict[str, Any], console: Console) -> None:
    """Print the scores table of a backtest's JSON."""
    from offramp.cli._render import show_table

    table = Table(
        title=f"DEU backtest: {data['dataset']} ({data['issues']} issues scored,"
        f" capability {data['capability']})",
        title_justify="left",
    )
    table.add_column("model", no_wrap=True, min_width=15)
    for name in ("MAE", "RMSE", "median AE", "n", "Δ vs w.mean [95%]"):
        table.add_column(name, justify="right")
    table.add_column("cover80", justify="right")
    table.add_column("width80", justify="right")
    for name, m in data["models"].items():
        delta = m["delta_vs_weighted_mean"]
        better = delta[2] is not None and delta[2] < 0
        cov = _fmt(m["coverage80"], ".2f")
        if "coverage80_cv" in m:
            cov += f" (CV {_fmt(m['coverage80_cv'], '.2f')})"
        table.add_row(
            name,
            _fmt(m["mae"], ".2f"),
            _fmt(m["rmse"], ".2f"),
            _fmt(m["median_ae"], ".2f"),
            str(m["n"]),
            ("[green]" if better else "") + ("—" if name == "weighted_mean" else _interval(delta)),
            cov,
            _fmt(m["width80"], ".1f"),
        )
    show_table(console, table)
    cal = data["calibration"]
    console.print(
        f"Intervals: {cal['method']}; calibration: {cal['source']};"
        f" coverage is {cal['coverage80_kind']}. An interval ignoring every input"
        f" (10-90% of the outcomes) is {data['width80_unconditional']:.1f} wide.",
        highlight=False,
    )
    if data["skipped"]:
        console.print(
            f"[yellow]Not scored (nobody carries weight):[/] {', '.join(data['skipped'])}"
        )


def _record(file: Path, data: dict[str, Any], params: dict[str, Any], path: Path) -> None:
    try:
        if file.is_dir():
            h = hashlib.sha256()
            for f in sorted(file.glob("*.y*ml")):
                h.update(f.name.encode() + b"\0" + f.read_bytes())
            digest = h.hexdigest()
        else:
            digest = hashlib.sha256(file.read_bytes()).hexdigest()
    except OSError:
        return
    try:
        with RunStore(path) as runs:
            run_id = runs.start(
                "backtest",
                scenario=file.stem,
                scenario_hash=digest,
                source=str(file),
                seed=int(params["seed"]),
                params={k: str(v) for k, v in params.items()},
            )
            runs.finish(run_id, data)
    except StoreError as error:
        err.print(f"[yellow]warning:[/] run not recorded: {error}", highlight=False)


def _run(
    file: Path,
    capability: str,
    models: list[str],
    calibrate: Path | None,
    boot: int,
    seed: int,
) -> DeuBacktest:
    from offramp.backtest import backtest_deu, deu_problem
    from offramp.io.deu import read_deu

    rule: Any = capability
    problem = deu_problem(read_deu(file), rule)
    cal = deu_problem(read_deu(calibrate), rule) if calibrate is not None else None
    return backtest_deu(
        problem,
        models,
        dataset=file.name,
        capability=capability,
        boot=boot,
        seed=seed,
        calibrate=cal,
        calibrate_name=calibrate.name if calibrate is not None else "",
    )


@backtest_app.command(name="deu")
def deu_command(
    file: Annotated[Path, typer.Argument(help="A DEU III file (tab-separated).")],
    capability: Annotated[
        str, typer.Option("--capability", help="council, gdp or equal (docs/backtest.md).")
    ] = "council",
    models: Annotated[
        str | None,
        typer.Option(
            "--models", help="Comma-separated, default all (an unknown name lists the choices)."
        ),
    ] = None,
    calibrate: Annotated[
        Path | None,
        typer.Option(
            "--calibrate",
            help="Fit the intervals (and the fitted models anchored, stacked) on this DEU"
            " file (the dev file only);"
            " default: cross-validation by proposal on FILE.",
        ),
    ] = None,
    boot: Annotated[int, typer.Option("--boot", min=0, help="Bootstrap resamples.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of bootstrap and folds.")] = 0,
    json_path: Annotated[
        str | None, typer.Option("--json", help="Also write the JSON here ('-' for stdout).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write an HTML page to this directory.")
    ] = None,
    store: Annotated[
        Path, typer.Option("--store", help="Run store to record the run in.")
    ] = DEFAULT_STORE,
) -> None:
    """Score every forecast model on DEU III issues, with 80% intervals."""
    from offramp.backtest.capability import RULES

    if capability not in RULES:
        err.print(
            f"[bold red]error:[/] unknown --capability {capability!r};"
            f" choose one of {', '.join(RULES)}",
            highlight=False,
        )
        raise typer.Exit(1)
    names = _models(models)
    start = time.perf_counter()
    result = guard(lambda: _run(file, capability, names, calibrate, boot, seed))
    data = result.to_dict() | {"seconds": round(time.perf_counter() - start, 2)}
    params = {"capability": capability, "models": ",".join(names), "boot": boot, "seed": seed}
    if calibrate is not None:
        params["calibrate"] = str(calibrate)
    _record(file, data, params, store)
    console = write_json(json.dumps(data, indent=2) + "\n", json_path)
    render_backtest(data, console)
    console.print(f"{data['seconds']:.1f} s", highlight=False)
    if report is not None:
        from offramp.report.backtest import write_backtest_page

        page = guard(lambda: write_backtest_page(data, report))
        console.print(f"Wrote {page}")
    if json_path not in (None, "-"):
        console.print(f"Wrote {json_path}")


def _p(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _yes(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "no")


def render_cases(data: dict[str, Any], console: Console) -> None:
    """Print the per-case table and the scores of a cases backtest's JSON."""
    from offramp.cli._render import show_table

    table = Table(
        title=f"History cases: {data['dataset']} ({len(data['cases'])} cases,"
        f" {data['draws']} draws, seed {data['seed']})",
        title_justify="left",
        caption="each cell: offramp's probability / what happened (holds: over N years)",
        caption_justify="left",
    )
    table.add_column("case", no_wrap=True)
    table.add_column("as of", no_wrap=True)
    for name in ("agreement", "ratified", "holds", "Brier"):
        table.add_column(name, justify="right", no_wrap=True)
    for case in data["cases"]:
        f, o = case["forecasts"], case["outcome"]
        errors = [v for v in case["brier"]["offramp"].values() if v is not None]
        horizon = f" {case['horizon_years']:.0f}y" if f["p_holds"] is not None else ""
        table.add_row(
            case["id"],
            case["as_of"],
            f"{_p(f['p_agreement'])}/{_yes(o['agreement'])}",
            f"{_p(f['p_ratified'])}/{_yes(o['ratified'])}",
            f"{_p(f['p_holds'])}/{_yes(o['held'])}{horizon}",
            _p(sum(errors) / len(errors)) if errors else "—",
        )
    show_table(console, table)
    scores = Table(title="Brier scores (lower is better)", title_justify="left")
    scores.add_column("forecast")
    for name in ("n", "offramp", "base rate (LOO)", "skill"):
        scores.add_column(name, justify="right")
    b = data["brier"]
    for target in ("p_agreement", "p_ratified", "p_holds", "all"):
        sk = b["skill"][target]
        scores.add_row(
            target,
            str(b["n"][target]),
            _fmt(b["offramp"][target], ".3f"),
            _fmt(b["base_rate"][target], ".3f"),
            "" if sk is None else f"{sk:+.2f}",
        )
    show_table(console, scores)
    if data.get("skipped"):
        console.print(f"[yellow]Not scored (no outcome):[/] {', '.join(data['skipped'])}")


def _cases(directory: Path, draws: int, seed: int) -> dict[str, Any]:
    from offramp.backtest.cases import backtest_cases, observed_of
    from offramp.scenario import load_scenario

    if not directory.is_dir():
        raise OfframpError(f"{directory} is not a directory of scenario files")
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    scored, skipped = [], []
    for file in files:
        scenario = load_scenario(file)
        if scenario.outcome is None:
            skipped.append(file.name)
        else:
            scored.append((scenario, observed_of(scenario.outcome)))
    if not scored:
        raise OfframpError(
            f"no scenario in {directory} has an `outcome:` block to score"
            " (see docs/backtest.md, history cases)"
        )
    result = backtest_cases(scored, dataset=directory.name, draws=draws, seed=seed)
    return result.to_dict() | {"skipped": skipped}


@backtest_app.command(name="cases")
def cases_command(
    directory: Annotated[
        Path, typer.Argument(help="A directory of history cases (scenarios with `outcome:`).")
    ],
    draws: Annotated[
        int, typer.Option("--draws", min=1, help="Monte Carlo draws per case.")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of every draw.")] = 0,
    json_path: Annotated[
        str | None, typer.Option("--json", help="Also write the JSON here ('-' for stdout).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write an HTML page to this directory.")
    ] = None,
    store: Annotated[
        Path, typer.Option("--store", help="Run store to record the run in.")
    ] = DEFAULT_STORE,
) -> None:
    """Score P(agreement), P(ratified) and P(holds) against the history cases' outcomes."""
    start = time.perf_counter()
    data = guard(lambda: _cases(directory, draws, seed))
    data["seconds"] = round(time.perf_counter() - start, 2)
    _record(directory, data, {"cases": str(directory), "draws": draws, "seed": seed}, store)
    console = write_json(json.dumps(data, indent=2) + "\n", json_path)
    render_cases(data, console)
    console.print(f"{data['seconds']:.1f} s", highlight=False)
    if report is not None:
        from offramp.report.backtest import write_backtest_page

        page = guard(lambda: write_backtest_page(data, report))
        console.print(f"Wrote {page}")
    if json_path not in (None, "-"):
        console.print(f"Wrote {json_path}")
