"""The ``evaluate`` command: would this package (a named plan, a text) work?"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from offramp.cli._app import app, guard, write_json
from offramp.errors import OfframpError

if TYPE_CHECKING:  # the engines load when the command runs, not for --help
    from rich.console import Console

    from offramp.evaluate import Evaluation
    from offramp.scenario import Scenario

__all__ = ["evaluate_command"]

SUMMARY_LINES = 30
"""The readable summary never takes more lines than this."""


def _pairs(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise OfframpError(f"--package must look like ISSUE=OPTION; got `{item}`")
        out[key.strip()] = value.strip()
    return out


def summary(result: Evaluation, scenario: Scenario) -> list[str]:
    """The readable summary, at most :data:`SUMMARY_LINES` lines (rich markup)."""
    labels = {i.id: {o.id: o.label for o in i.options} for i in scenario.issues}
    name = result.label or result.named or "the package"
    lines = [f"[bold]{scenario.title}[/]", f"[bold]{name}[/]:"]
    lines += [f"  {issue}: {labels[issue][option]}" for issue, option in result.package.items()][:8]
    shown = [a for a in result.actors if a.veto or a.red_lines][:8]
    for a in shown:
        surplus = "" if a.surplus is None else f" ({a.surplus:+.2f} over batna {a.batna:.2f})"
        verdict = "[green]accepts[/]" if a.accepts else "[red]refuses[/]"
        lines.append(f"  {a.label}: utility {a.utility:.2f}{surplus}, {verdict}")
        if a.red_lines:
            crossed = ", ".join(
                f"{r['issue']}={r['option']}" + ("" if r["holds"] else f" (p {r['p']:.2f})")
                for r in a.red_lines
            )
            lines[-1] += f"; crosses its red line: {crossed}"
    ok = "[green]yes[/]" if result.in_zopa else "[red]no[/]"
    lines.append(f"In the ZOPA (every veto actor accepts): {ok}")
    for v in result.votes[:4]:
        route = f" by {v.route_label}" if v.route_label else ""
        tick = "[green]passes[/]" if v.passes else f"[red]fails[/] (then: {v.on_fail})"
        lines.append(f"  {v.label}{route}: {tick}; {v.why}")
    lines.append(f"Ratified: {'[green]yes[/]' if result.ratified else '[red]no[/]'}")
    if result.durability is not None:
        d = result.durability
        holds = ", ".join(f"{y}y {p:.0%}" for y, p in d["p_holds"].items())
        first = d["first_breach"]
        words = (
            "self-enforcing"
            if first is None
            else f"{first['actor']} breaks it after {first['year']:.1f} years"
        )
        lines.append(f"Durability: {words}; P(holds) {holds}")
    if result.draws is not None:
        low, high = result.draws["interval"]
        lines.append(
            f"P(accepted and ratified) over {result.draws['n']:,} draws: "
            f"{result.draws['p_accepted_and_ratified']:.1%} (95% {low:.1%}-{high:.1%})"
        )
    if result.closest:
        lines.append(f"Closest acceptable and ratified ({result.closest_size} change(s)):")
        for alt in result.closest[:3]:
            change = ", ".join(f"{i}: {a} -> {b}" for i, (a, b) in alt.changes.items())
            costs = ", ".join(f"{k} {d:+.2f}" for k, d in alt.cost.items() if d)
            lines.append(f"  {change} ({costs or 'costs no one'})")
    elif not (result.in_zopa and result.ratified):
        lines.append("No package within two changes is acceptable and ratified.")
    steps = " -> ".join(
        s["step"] + (f" {s['body']}: {s['verdict']}" if s["step"] == "vote" else "")
        for s in result.path
    )
    lines.append(f"Likely path: {steps}")
    return lines[:SUMMARY_LINES]


@app.command(name="evaluate")
def evaluate_command(
    file: Annotated[Path, typer.Argument(help="Scenario file (YAML).")],
    package: Annotated[
        list[str] | None,
        typer.Option("--package", help="ISSUE=OPTION (repeatable; with --named: overrides)."),
    ] = None,
    named: Annotated[
        str | None, typer.Option("--named", help="Id of an entry of the scenario's `packages`.")
    ] = None,
    draws: Annotated[
        int, typer.Option(help="Also P(accepted and ratified) over this many draws.")
    ] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the draws.")] = 0,
    at: Annotated[
        str | None, typer.Option(help="With --draws: only events up to this date (YYYY-MM-DD).")
    ] = None,
    json_path: Annotated[
        str | None, typer.Option("--json", help="Write the result JSON here ('-' for stdout).")
    ] = None,
) -> None:
    """Would this package work? Acceptance, red lines, votes, durability, closest changes."""
    from offramp.evaluate import evaluate
    from offramp.scenario import load_scenario

    scenario = guard(lambda: load_scenario(file))

    def run() -> Evaluation:
        if draws < 0:
            raise OfframpError(f"--draws must be 0 or more; got {draws}")
        when = None
        if at is not None:
            try:
                when = dt.date.fromisoformat(at)
            except ValueError as error:
                raise OfframpError(f"--at must be a date (YYYY-MM-DD); got `{at}`") from error
        return evaluate(
            scenario, _pairs(package or []), named=named, draws=draws, seed=seed, at=when
        )

    result = guard(run)
    text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    console: Console = write_json(text, json_path)
    for line in summary(result, scenario):
        console.print(line, highlight=False)
