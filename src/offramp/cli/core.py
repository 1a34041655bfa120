"""Core commands: ``check``, ``analyze`` and ``schema``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from offramp.cli._app import app, err, fail, guard, out
from offramp.cli._render import show_panel, show_table
from offramp.errors import Diagnostic

if TYPE_CHECKING:
    from offramp.scenario import Scenario
    from offramp.settle.analysis import Analysis

__all__ = ["analyze_command", "check", "schema"]


def _summary(scenario: Scenario) -> None:
    out.print(f"[bold]{scenario.title}[/]  ([cyan]{scenario.id}[/], as of {scenario.as_of})")
    issues = Table(title="Issues", title_justify="left")
    issues.add_column("id", style="cyan")
    issues.add_column("label")
    issues.add_column("options (at)")
    for issue in scenario.issues:
        issues.add_row(
            issue.id, issue.label, ", ".join(f"{o.id} ({o.at:g})" for o in issue.options)
        )
    show_table(out, issues)
    actors = Table(title="Actors", title_justify="left")
    for name in ("id", "label", "power", "veto", "batna", "stances", "provenance"):
        actors.add_column(name, style="cyan" if name == "id" else None)
    for actor in scenario.actors:
        actors.add_row(
            actor.id,
            actor.label,
            f"{actor.power:g}",
            "yes" if actor.veto else "",
            "" if actor.batna is None else f"{actor.batna:.2f}",
            str(len(actor.stances)),
            actor.source or ("assumed" if actor.assumed else "[yellow]none[/]"),
        )
    show_table(out, actors)
    if scenario.publics:
        publics = Table(title="Publics", title_justify="left")
        for name in ("id", "label", "ratifies for", "threshold", "rules"):
            publics.add_column(name, style="cyan" if name == "id" else None)
        for public in scenario.publics:
            publics.add_row(
                public.id,
                public.label,
                public.of,
                f"{public.threshold:.0%}",
                str(len(public.rules)),
            )
        show_table(out, publics)


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="Scenario file (YAML).")],
    strict: Annotated[
        bool,
        typer.Option(
            help="Also fail when an actor, stance or rule has neither source nor assumed."
        ),
    ] = False,
) -> None:
    """Validate a scenario and summarize its actors, issues and publics."""
    from offramp.scenario import load_scenario
    from offramp.scenario.checks import undocumented
    from offramp.scenario.load import line_of

    scenario = guard(lambda: load_scenario(file))
    _summary(scenario)
    missing = undocumented(scenario)
    if missing:
        from ruamel.yaml import YAML

        document = YAML().load(file.read_text(encoding="utf-8"))
        problems = [Diagnostic(str(file), line_of(document, loc), "", msg) for loc, msg in missing]
        if strict:
            fail(problems, f"{len(problems)} input(s) without provenance (--strict):")
        err.print(
            f"[yellow]{len(problems)} input(s) have no provenance[/] (run with --strict to fail):"
        )
        for problem in problems:
            err.print(str(problem), markup=False, highlight=False)
    out.print(f"[green]OK[/]: {file} is a valid scenario.")


def _count(n: int, bounds: tuple[int, int] | None) -> str:
    """A count, or its bounds when the merge could not count exactly."""
    return f"{n:,}" if bounds is None else f"between {bounds[0]:,} and {bounds[1]:,}"


def _render(analysis: Analysis, scenario: Scenario, console: Console) -> None:
    labels = {issue.id: {o.id: o.label for o in issue.options} for issue in scenario.issues}
    console.print(
        f"[bold]{scenario.title}[/]\n"
        f"{analysis.packages:,} packages over {len(analysis.issues)} issues ({analysis.method}); "
        f"ZOPA: {_count(analysis.zopa_count, analysis.zopa_bounds)}; "
        f"ratified ZOPA: {_count(analysis.ratified_count, analysis.ratified_bounds)}; "
        f"Pareto frontier: {len(analysis.frontier):,}"
        + ("" if analysis.frontier_exact else f" (ε-approximation, ε = {analysis.epsilon:.2g})")
    )
    solutions = Table(title="Bargaining solutions (ratified ZOPA)", title_justify="left")
    solutions.add_column("solution", style="cyan")
    solutions.add_column("package")
    for actor in analysis.veto:
        solutions.add_column(actor, justify="right")
    # solutions that pick the same package share one row: each package is shown once
    rows: dict[int, list[str]] = {}
    points = {}
    for name, point in analysis.solutions.items():
        if point is not None:
            rows.setdefault(point.index, []).append(name)
            points[point.index] = point
    for index, names in rows.items():
        point = points[index]
        text = "; ".join(f"{i}: {labels[i][o]}" for i, o in point.package.items())
        solutions.add_row(
            ", ".join(names), text, *(f"{point.utility[a]:.3f}" for a in analysis.veto)
        )
    if solutions.row_count:
        show_table(console, solutions)
    else:
        console.print("Bargaining solutions: none, the ratified ZOPA is empty.")
    routed = any(p.routes for p in scenario.publics) or any(g.routes for g in scenario.legislatures)
    nash = analysis.ratification.get("nash")
    if routed and nash is not None:  # the votes the Nash package takes, by their routes
        steps = "; ".join(
            f"{v['label']} by {v['route'] or 'its rule'}: {v['why']}" for v in nash["votes"]
        )
        console.print(f"Votes on the Nash package, in order: {steps or 'none'}", highlight=False)
    blockers = Table(title="Who blocks (of all packages)", title_justify="left")
    for name in ("who", "kind", "blocks", "alone"):
        blockers.add_column(name, justify="right" if name in ("blocks", "alone") else "left")
    for b in analysis.blockers:
        blockers.add_row(b.label, b.kind, f"{b.packages:,}", f"{b.sole:,}")
    show_table(console, blockers)
    if analysis.forecasts:
        from offramp.cli.forecast import render_forecasts

        render_forecasts(analysis.forecasts, scenario, console)
    if analysis.durability is not None:
        _render_durability(analysis.durability, console)
    show_panel(console, analysis.verdict, "Verdict")


def _render_durability(durability: dict[str, dict[str, Any] | None], console: Console) -> None:
    """Whether each solution would hold (scenarios with ``dynamics``)."""
    if not any(durability.values()):
        console.print("Would it hold: no solution to assess (the ratified ZOPA is empty).")
        return
    table = Table(title="Would it hold (the commitment problem)", title_justify="left")
    for name in ("solution", "self-enforcing", "first breach", "holds 1 / 3 / 5 years"):
        table.add_column(name)
    for name, found in durability.items():
        if found is None:
            continue
        breach = found.get("first_breach")
        holds = found.get("p_holds") or {}
        table.add_row(
            name,
            "yes" if found.get("self_enforcing") else "no",
            f"{breach['actor']} after {breach['year']:.1f} years" if breach else "none",
            " / ".join(f"{holds[k]:.0%}" if k in holds else "-" for k in ("1", "3", "5")),
        )
    show_table(console, table)


def _record(analysis: Analysis, source: str, path: Path) -> None:
    """Record the run (and the scenario's text) in the run store; a store that cannot be
    written only warns."""
    from offramp.store import RunStore, StoreError

    try:
        text = Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = None
    try:
        with RunStore(path) as store:
            store.record_analysis(analysis, source, scenario_text=text)
    except StoreError as error:
        err.print(f"[yellow]warning:[/] run not recorded: {error}", highlight=False)


@app.command(name="analyze")
def analyze_command(
    file: Annotated[Path, typer.Argument(help="Scenario file (YAML).")],
    json_path: Annotated[
        str | None, typer.Option("--json", help="Also write the result JSON here ('-' for stdout).")
    ] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Directory for results: DIR/<scenario id>/result.json.")
    ] = Path("offramp-out"),
) -> None:
    """Analyze the settlement space: ZOPA, ratification, frontier, solutions, blockers."""
    from offramp.assess import analyze
    from offramp.problem import compile_problem
    from offramp.scenario import load_scenario

    scenario = guard(lambda: load_scenario(file))
    analysis = guard(lambda: analyze(compile_problem(scenario)))
    data = analysis.to_dict()
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    target = out_dir / scenario.id / "result.json"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        if json_path not in (None, "-"):
            Path(json_path).write_text(text, encoding="utf-8")
    except OSError as error:
        err.print(f"[bold red]error:[/] cannot write results: {error}", highlight=False)
        raise typer.Exit(1) from error
    _record(analysis, str(file), out_dir / "runs.duckdb")
    if json_path == "-":
        _render(analysis, scenario, err)
        sys.stdout.write(text)
    else:
        _render(analysis, scenario, out)
        out.print(f"Wrote {target}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format (for editor completion)."""
    from offramp.scenario import Scenario

    sys.stdout.write(json.dumps(Scenario.model_json_schema(), indent=2) + "\n")
