"""The ``forecast`` command: where bargaining lands, by a published forecast model.

``offramp forecast FILE... --model compromise|median|eu|exchange|smp [--rounds N]
[--json PATH|-]`` reads a scenario (YAML), an actor table (CSV:
``actor,capability,position,salience`` for one issue or
``actor,issue,position,salience,capability`` for several), or for
``--model smp`` also a KTAB scenario (CSV or XML), runs the model, prints a
table per issue and optionally writes the JSON
``{"model", "source", "issues": {issue: {"forecast", "rounds": [{"positions",
"forecast", "mean", "median"}]}}}``.  Positions are reported on the input's scale.
Several files run in one process (start-up paid once); their JSON is
``{"model", "files": [one file's JSON, in the order given]}``.

This module also renders the ``forecasts`` part of ``offramp analyze``
(:func:`render_forecasts`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from offramp.cli._app import app, err, guard, out, write_json
from offramp.cli._render import show_table
from offramp.errors import Diagnostic, InputError
from offramp.store import DEFAULT_STORE, RunStore, StoreError

if TYPE_CHECKING:
    import numpy as np

    from offramp.forecast import ForecastTrace
    from offramp.forecast.scenario import (
        IssueForecast,
    )
    from offramp.problem import Problem as Compiled
    from offramp.scenario import Scenario

__all__ = ["forecast_command", "render_forecasts"]

_ROUNDED = ("eu", "exchange")  # models that take ``rounds``
_CHOICES = ("compromise", "median", "eu", "exchange", "smp")


def _issue(
    issue: str, actors: tuple[str, ...], trace: ForecastTrace, column: int | None
) -> IssueForecast:
    """An actor table's or KTAB file's forecast of one issue (no options: no nearest option)."""
    from offramp.forecast.scenario import IssueForecast, played_rounds

    played = played_rounds(trace)
    at = (0, played) if column is None else (0, played, column)
    return IssueForecast(issue, float(trace.forecast[at]), None, actors, trace, column, played)


def _json(model: str, items: list[IssueForecast], source: str) -> dict[str, Any]:
    from offramp.forecast.scenario import ScenarioForecast

    issues = ScenarioForecast(model, tuple(items), None).issues_dict()
    return {"model": model, "source": source, "issues": issues}


def _percent_salience(salience: np.ndarray, file: str) -> np.ndarray:
    """Saliences above 1 are read as percentages (the BDM/KTAB convention)."""
    top = float(salience.max(initial=0.0))
    if top <= 1.0:
        return salience
    if top > 100.0:
        raise InputError(
            [
                Diagnostic(
                    file,
                    None,
                    "salience",
                    f"must be in [0, 1] or a percentage in [0, 100]; got {top:g}",
                )
            ]
        )
    return salience / 100.0


def _params(model: str, rounds: int | None) -> dict[str, Any]:
    if rounds is None:
        return {}
    if model == "smp":
        return {"max_iterations": rounds}
    if model in _ROUNDED:
        return {"rounds": rounds}
    err.print(f"[yellow]note:[/] the {model} model has no rounds; --rounds is ignored")
    return {}


def _value(text: str) -> Any:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text.strip()


def _parse_params(items: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            err.print(f"[bold red]error:[/] --param takes KEY=VALUE; got {item!r}", highlight=False)
            raise typer.Exit(1)
        params[key.strip()] = _value(value)
    return params


def _from_problem(problem: Compiled, model: str, params: dict[str, Any]) -> list[IssueForecast]:
    from offramp.forecast.scenario import forecast_problem

    result = forecast_problem(problem, model, **params)
    return [f for f in result.issues if f.trace is not None]


def _from_table(path: Path, model: str, params: dict[str, Any]) -> list[IssueForecast]:
    import numpy as np

    from offramp.forecast import read_table, run

    table = read_table(path)
    for warning in table.warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    name = str(path)
    salience = _percent_salience(table.salience, name)
    if not table.issues:
        trace = run(model, table.position, table.capability, salience, **params)
        return [_issue(path.stem, table.actors, trace, None)]
    if model in ("exchange", "smp"):
        if model == "smp":
            total = salience.sum(axis=1, keepdims=True)
            salience = np.where(total > 1.0, salience / np.where(total > 0, total, 1.0), salience)
            capability = table.capability.mean(axis=1)
        else:
            capability = table.capability
        trace = run(model, table.position, capability, salience, **params)
        return [_issue(issue, table.actors, trace, d) for d, issue in enumerate(table.issues)]
    items = []
    for d, issue in enumerate(table.issues):
        here = table.present[:, d]  # an actor without a row takes no part in the issue
        actors = tuple(a for a, p in zip(table.actors, here, strict=True) if p)
        x, c, s = table.position[here, d], table.capability[here, d], salience[here, d]
        trace = run(model, x, c, s, **params)
        items.append(_issue(issue, actors, trace, None))
    return items


def _from_ktab(path: Path, params: dict[str, Any]) -> list[IssueForecast]:
    from offramp.forecast import ForecastInputError, run

    try:
        from offramp.io.ktab import load_ktab_csv
    except ImportError as error:  # pragma: no cover - the KTAB reader ships with offramp
        raise ForecastInputError(f"the KTAB reader is unavailable: {error}") from error
    names, dims, c, x, s = load_ktab_csv(path)
    trace = run("smp", x, c, s, **params)
    return [_issue(dim, names, trace, d) for d, dim in enumerate(dims)]


def _is_actor_table(path: Path) -> bool:
    """Whether a CSV's first non-comment line is an actor-table header."""
    try:
        with path.open(encoding="utf-8-sig") as fh:
            for line in fh:
                if line.strip() and not line.lstrip().startswith("#"):
                    cells = {c.strip().lower() for c in line.split(",")}
                    return {"actor", "position", "salience", "capability"} <= cells
    except (OSError, UnicodeDecodeError):
        return True  # let read_table report it
    return True


def _load(
    file: Path, model: str, params: dict[str, Any]
) -> tuple[list[IssueForecast], Scenario | None]:
    """The forecast of every issue, and the scenario when the input is one."""
    from offramp.problem import compile_problem
    from offramp.scenario import load_scenario

    suffix = file.suffix.lower()
    if suffix in (".yaml", ".yml"):
        scenario = load_scenario(file)
        return _from_problem(compile_problem(scenario), model, params), scenario
    if model == "smp" and (suffix == ".xml" or not _is_actor_table(file)):
        return _from_ktab(file, params), None
    if suffix in (".csv", ".txt"):
        return _from_table(file, model, params), None
    raise InputError(
        [
            Diagnostic(
                str(file),
                None,
                "",
                "unknown input type: give a scenario (.yaml), an actor table (.csv)"
                " or, with --model smp, a KTAB scenario (.csv or .xml)",
            )
        ]
    )


def _render(model: str, items: list[IssueForecast], console: Console) -> None:
    summary = Table(title=f"Forecast ({model})", title_justify="left")
    summary.add_column("issue", style="cyan")
    summary.add_column("forecast", justify="right")
    if any(item.option is not None for item in items):
        summary.add_column("nearest option")
    summary.add_column("rounds", justify="right")
    for item in items:
        rows = item.history()
        cells = [item.issue, f"{rows[-1]['forecast']:.4g}"]
        if any(i.option is not None for i in items):
            cells.append(item.option or "")
        summary.add_row(*cells, str(item.rounds))
    show_table(console, summary)
    for item in items:
        rows = item.history()
        table = Table(title=f"{item.issue}: round by round", title_justify="left")
        for name in ("round", "forecast", "mean", "median", "moved"):
            table.add_column(name, justify="right")
        previous = rows[0]["positions"]
        for r, row in enumerate(rows):
            moved = [a for a, x in row["positions"].items() if abs(x - previous[a]) > 1e-12]
            previous = row["positions"]
            shown = ", ".join(moved[:6]) + (" ..." if len(moved) > 6 else "")
            table.add_row(
                str(r),
                f"{row['forecast']:.4g}",
                f"{row['mean']:.4g}",
                f"{row['median']:.4g}",
                shown,
            )
        show_table(console, table)


@app.command(name="forecast")
def forecast_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Scenario (YAML), actor table (CSV), or KTAB scenario for smp; several files"
            " run in one process.",
            show_default=False,
        ),
    ],
    model: Annotated[
        str,
        typer.Option(
            "--model", "-m", help="compromise, median, eu, exchange or smp.", show_default=False
        ),
    ],
    rounds: Annotated[
        int | None,
        typer.Option("--rounds", min=0, help="Rounds to play (eu, exchange; most turns for smp)."),
    ] = None,
    json_path: Annotated[
        str | None, typer.Option("--json", help="Also write the JSON here ('-' for stdout).")
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="A model parameter KEY=VALUE, repeatable (e.g. -p probability=pairwise"
            " -p offer=closest for the eu model's literal paper-text reading; see"
            " docs/forecast.md).",
        ),
    ] = None,
    store: Annotated[
        Path, typer.Option("--store", help="Run store to record the run in.")
    ] = DEFAULT_STORE,
) -> None:
    """Forecast where bargaining lands, issue by issue, with a published model."""
    from offramp.forecast import MODELS

    if model not in _CHOICES or model not in MODELS:
        err.print(
            f"[bold red]error:[/] unknown model {model!r}; choose one of {', '.join(_CHOICES)}",
            highlight=False,
        )
        raise typer.Exit(1)
    params = _params(model, rounds) | _parse_params(param or [])
    loaded = guard(lambda: _load_all(files, model, params))
    datas = [_json(model, items, str(file)) for file, (items, _) in zip(files, loaded, strict=True)]
    data: dict[str, Any] = datas[0] if len(files) == 1 else {"model": model, "files": datas}
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    _record(files, [scenario for _, scenario in loaded], model, params, datas, store)
    console = write_json(text, json_path)
    for file, (items, _) in zip(files, loaded, strict=True):
        if len(files) > 1:
            console.rule(str(file), style="cyan")
        _render(model, items, console)
    if json_path not in (None, "-"):
        out.print(f"Wrote {json_path}")


def _load_all(
    files: list[Path], model: str, params: dict[str, Any]
) -> list[tuple[list[IssueForecast], Scenario | None]]:
    """Load and run every file; the problems of all the files that fail, together."""
    loaded: list[tuple[list[IssueForecast], Scenario | None]] = []
    problems: list[Diagnostic] = []
    for file in files:
        try:
            loaded.append(_load(file, model, params))
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError(problems)
    return loaded


def _record(
    files: list[Path],
    scenarios: list[Scenario | None],
    model: str,
    params: dict[str, Any],
    datas: list[dict[str, Any]],
    path: Path,
) -> None:
    """Record one run per file in the run store (a store that cannot be written only warns).

    A scenario is identified by its id and content hash (as ``analyze`` runs
    are) and its text is kept; other inputs by their file name and the SHA-256
    of their bytes. The store is opened once for all the files.
    """
    from offramp.scenario import content_hash

    try:
        with RunStore(path) as runs:
            for file, scenario, data in zip(files, scenarios, datas, strict=True):
                try:
                    raw = file.read_bytes()
                except OSError:
                    continue
                name, digest, text = file.stem, hashlib.sha256(raw).hexdigest(), None
                if scenario is not None:  # identified as analyze identifies it
                    name, digest, text = scenario.id, content_hash(scenario), raw.decode("utf-8")
                run_id = runs.start(
                    "forecast",
                    scenario=name,
                    scenario_hash=digest,
                    source=str(file),
                    params={"model": model, **{k: str(v) for k, v in params.items()}},
                    scenario_text=text,
                )
                runs.finish(run_id, data)
    except StoreError as error:
        err.print(f"[yellow]warning:[/] run not recorded: {error}", highlight=False)


def render_forecasts(
    forecasts: Mapping[str, Mapping[str, Any]], scenario: Scenario, console: Console
) -> None:
    """Render ``Analysis.forecasts`` (``offramp analyze``): one column per model.

    Each cell is the option nearest to the model's forecast, with the forecast
    on the issue's 0-100 scale; the last row says whether that package lies
    in the ratified ZOPA and, if not, who blocks it.
    """
    models = list(forecasts)
    table = Table(title="Forecasts: where bargaining would land", title_justify="left")
    table.add_column("issue", style="cyan")
    for name in models:
        table.add_column(name)
    for issue in scenario.issues:
        cells = []
        for name in models:
            entry = forecasts[name]["issues"].get(issue.id) or {}
            value, option = entry.get("forecast"), entry.get("option")
            cells.append("[dim]no stances[/]" if value is None else f"{option} ({value:.0f})")
        table.add_row(issue.id, *cells)
    verdicts = []
    for name in models:
        entry = forecasts[name]
        if entry.get("in_ratified_zopa") is None:
            verdicts.append("[dim]n/a[/]")
        elif entry["in_ratified_zopa"]:
            verdicts.append("[green]yes[/]")
        else:
            who = ", ".join(b["label"] for b in entry["blockers"])
            verdicts.append(f"[red]no[/]: {who}")
    table.add_row("[bold]in ratified ZOPA[/]", *verdicts)
    show_table(console, table)
