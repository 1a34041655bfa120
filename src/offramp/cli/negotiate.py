"""The ``negotiate`` and ``durability`` commands: negotiation over time and whether a deal holds."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from offramp.cli._app import app, err, guard, write_json
from offramp.cli._render import progress, show_table

if TYPE_CHECKING:
    from offramp.durability import Durability
    from offramp.implementation import Sequencing, Spoilers
    from offramp.negotiate import Negotiation
    from offramp.scenario import Scenario

__all__ = ["durability_command", "negotiate_command"]


def _pairs(items: list[str], what: str, example: str) -> dict[str, str]:
    from offramp.negotiate import StrategyError

    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise StrategyError(f"{what} must look like {example}; got `{item}`")
        out[key.strip()] = value.strip()
    return out


def _deadline(text: str | None) -> int | dt.date:
    from offramp.negotiate import StrategyError

    if text is None:
        return 20
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise StrategyError(
            f"--deadline must be a number of rounds or a date (YYYY-MM-DD); got `{text}`"
        ) from error


def _write(data: dict[str, Any], json_path: str | None) -> Console:
    """Write JSON where asked; return the console the human summary goes to."""
    return write_json(json.dumps(data, indent=2, ensure_ascii=False) + "\n", json_path)


def _package_text(scenario: Scenario, package: dict[str, str] | None) -> str:
    if package is None:
        return "-"
    labels = {i.id: {o.id: o.label for o in i.options} for i in scenario.issues}
    return "; ".join(f"{i}: {labels[i][o]}" for i, o in package.items())


def _ids_text(package: dict[str, str] | None) -> str:
    """A package as ``issue=option`` ids: one short line where labels would take several."""
    return "-" if package is None else ", ".join(f"{i}={o}" for i, o in package.items())


def _render_negotiation(
    result: Negotiation, scenario: Scenario, console: Console, *, transcript: bool = False
) -> None:
    """The outcome, why, and the last offers (every move with ``transcript``).

    Without ``transcript`` this stays within 40 lines on an 80-column screen for
    up to about six veto actors: packages are written as option ids.
    """
    console.print(
        f"[bold]{scenario.title}[/]\nStacked alternating offers among "
        f"{', '.join(f'{a} ({s})' for a, s in result.strategies.items())}; deadline "
        f"{result.deadline} rounds of {result.round_days} days"
        + (
            "; offers found on merged frontiers (no enumeration)"
            if result.method == "merge"
            else ""
        )
    )
    if transcript:
        history = Table(title="Every move", title_justify="left")
        for name in ("round", "actor", "action", "package"):
            history.add_column(name, justify="right" if name == "round" else "left")
        previous: dict[str, str] | None = None
        for move in result.history:
            same = move.package is not None and move.package == previous
            text = "(the same package)" if same else _package_text(scenario, move.package)
            history.add_row(str(move.round), move.actor, move.action, text)
            previous = move.package
        show_table(console, history)
    if result.agreement is None:
        console.print(
            f"[bold]Breakdown[/]: no agreement within {result.deadline} rounds.", highlight=False
        )
        if result.nash is None:
            why = (
                "no package beats every veto actor's batna and passes every public "
                "(the ratified ZOPA is empty), so no strategy could find a deal"
            )
        else:
            why = (
                "a deal existed (the Nash solution: "
                f"{_ids_text(result.nash)}), but the strategies did not meet on one before "
                "the deadline; try a later --deadline or faster concession (e.g. conceder)"
            )
        console.print(f"Why: {why}.", highlight=False)
    else:
        utility = result.utility or {}
        console.print(
            f"[bold green]Agreement[/] in round {result.round}: "
            f"{_package_text(scenario, result.agreement)}\n"
            "utility: "
            + ", ".join(f"{a} {utility[a]:.3f} (batna {result.batna[a]:.2f})" for a in utility),
            highlight=False,
        )
        nash = "none (the ratified ZOPA is empty)"
        if result.nash is not None:
            nash = _package_text(scenario, result.nash)
        console.print(
            f"Why: every veto actor's utility beats its batna. Nash solution: {nash}; "
            "distance from it (utility space): "
            f"{'-' if result.nash_distance is None else f'{result.nash_distance:.3f}'}; "
            f"Pareto-optimal: {'yes' if result.pareto_optimal else 'no'}",
            highlight=False,
        )
    if not transcript and result.history:
        last = result.history[-1].round
        moves = [m for m in result.history if m.round == last]
        offers = Table(
            title=f"Last moves (round {last}; --transcript shows all {len(result.history)})",
            title_justify="left",
        )
        for name in ("actor", "action", "package"):
            offers.add_column(name)
        for move in moves:
            offers.add_row(move.actor, move.action, _ids_text(move.package))
        show_table(console, offers)
    if result.runs:
        table = Table(
            title=f"{result.runs} runs (random turn order, event branches drawn; seed "
            f"{result.seed}): agreement rate {result.agreement_rate:.1%}",
            title_justify="left",
        )
        table.add_column("share", justify="right")
        table.add_column("outcome")
        for outcome in result.outcomes[:5]:
            text = "breakdown" if outcome.package is None else _ids_text(outcome.package)
            table.add_row(f"{outcome.share:.1%}", text)
        if len(result.outcomes) > 5:
            table.add_row("", f"({len(result.outcomes) - 5} more outcomes in --json)")
        show_table(console, table)


@app.command(name="negotiate")
def negotiate_command(
    file: Annotated[Path, typer.Argument(help="Scenario file (YAML).")],
    strategy: Annotated[
        list[str] | None,
        typer.Option(
            "--strategy",
            help="ACTOR=NAME for a veto actor: boulware, linear, conceder (optionally "
            "NAME:BETA or NAME:OPTION=VALUE,... with offer=closest_above, accept=now, "
            "clock=open, floor=worst, slack=NUMBER; see docs/negotiation.md), tit_for_tat, "
            "best_acceptable. Repeatable; default boulware.",
        ),
    ] = None,
    deadline: Annotated[
        str | None,
        typer.Option(help="Rounds (a number) or a date YYYY-MM-DD; default 20 rounds."),
    ] = None,
    runs: Annotated[
        int, typer.Option(help="Also run N negotiations with random turn order and event draws.")
    ] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the runs.")] = 0,
    round_days: Annotated[int, typer.Option(help="Days per round.")] = 7,
    json_path: Annotated[
        str | None, typer.Option("--json", help="Write the result JSON here ('-' for stdout).")
    ] = None,
    transcript: Annotated[
        bool, typer.Option("--transcript", help="Print every move, not only the last ones.")
    ] = False,
) -> None:
    """Simulate negotiation among the veto actors: stacked alternating offers with a deadline."""
    from offramp.negotiate import negotiate
    from offramp.problem import compile_problem
    from offramp.scenario import load_scenario

    scenario = guard(lambda: load_scenario(file))
    problem = compile_problem(scenario)
    strategies = guard(lambda: _pairs(strategy or [], "--strategy", "ACTOR=NAME"))
    limit = guard(lambda: _deadline(deadline))
    with progress("negotiate --runs", err) as update:
        result = guard(
            lambda: negotiate(
                problem,
                strategies=strategies,
                deadline=limit,
                runs=runs,
                seed=seed,
                round_days=round_days,
                on_progress=update,
            )
        )
    console = _write(result.to_dict(), json_path)
    _render_negotiation(result, scenario, console, transcript=transcript)


def _render_durability(result: Durability, scenario: Scenario, console: Console) -> None:
    console.print(f"[bold]{scenario.title}[/]\nPackage: {_package_text(scenario, result.package)}")
    table = Table(
        title=f"Value of the deal and of resuming the war (horizon {result.horizon:g} years)",
        title_justify="left",
    )
    for name in ("actor", "deal", "war now", "war at horizon"):
        table.add_column(name, justify="left" if name == "actor" else "right")
    for actor, deal in result.deal.items():
        table.add_row(
            actor, f"{deal:.3f}", f"{result.war_now[actor]:.3f}", f"{result.war_end[actor]:.3f}"
        )
    show_table(console, table)
    if result.first_breach is None:
        console.print(
            f"[bold green]Self-enforcing[/]: no side prefers war within {result.horizon:g} years."
        )
    else:
        b = result.first_breach
        console.print(
            f"[bold red]Not self-enforcing[/]: {b.actor} prefers war again after {b.year:.2f} years"
        )
        if result.restoring:
            console.print("Would restore it:")
            for r in result.restoring:
                change = ", ".join(f"{i}={o}" for i, o in r.change.items())
                note = "" if r.beats_batnas else " (but then some veto actor prefers no deal)"
                console.print(f"  {change}{note}")
        else:
            console.print("No single option (or pair) with a declared effect restores it.")
    console.print(
        f"P(holds) over {result.draws} draws (seed {result.seed}): "
        + ", ".join(
            f"{y} year{'s' if y != '1' else ''}: {p:.1%}" for y, p in result.p_holds.items()
        )
    )


@app.command(name="durability")
def durability_command(
    file: Annotated[Path, typer.Argument(help="Scenario file (YAML) with a `dynamics` section.")],
    package: Annotated[
        list[str] | None,
        typer.Option(
            "--package",
            help="ISSUE=OPTION (repeatable); issues not given are taken from the Nash package.",
        ),
    ] = None,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws for p_holds.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the draws.")] = 0,
    json_path: Annotated[
        str | None, typer.Option("--json", help="Write the result JSON here ('-' for stdout).")
    ] = None,
    sequences_flag: Annotated[
        bool,
        typer.Option(
            "--sequences",
            help="Also try every order of the `implementation` steps and assess the "
            "`factions` (spoilers); see docs/implementation.md.",
        ),
    ] = False,
    order: Annotated[
        list[str] | None,
        typer.Option(
            "--order",
            help="STEP,STEP,... an order of the steps to solve and report (repeatable; "
            "with --sequences).",
        ),
    ] = None,
) -> None:
    """Whether a package would hold: the commitment problem (Fearon 1995, Powell 2006)."""
    from offramp.cli.implementation import render_sequences
    from offramp.durability import DurabilityError, complete_package, durability
    from offramp.implementation import sequence_package, sequences, spoilers
    from offramp.problem import compile_problem
    from offramp.scenario import load_scenario

    scenario = guard(lambda: load_scenario(file))
    problem = compile_problem(scenario)

    def run() -> tuple[Durability, Sequencing | None, Spoilers | None]:
        if draws < 0:
            raise DurabilityError(f"--draws must be 0 or more; got {draws}")
        given = _pairs(package or [], "--package", "ISSUE=OPTION")
        if not sequences_flag:
            if order:
                raise DurabilityError("--order needs --sequences")
            return (
                durability(problem, complete_package(problem, given), draws=draws, seed=seed),
                None,
                None,
            )
        chosen = sequence_package(problem, given)
        asked = [[s.strip() for s in text.split(",") if s.strip()] for text in order or []]
        found = sequences(problem, chosen, draws=draws, seed=seed, orders=asked)
        return (
            durability(problem, chosen, draws=draws, seed=seed),
            found,
            spoilers(problem, chosen, draws=draws, seed=seed),
        )

    result, found, spoiling = guard(run)
    data = result.to_dict()
    if found is not None and spoiling is not None:
        data["sequences"] = found.to_dict()
        data["spoilers"] = spoiling.to_dict()
    console = _write(data, json_path)
    _render_durability(result, scenario, console)
    if found is not None and spoiling is not None:
        render_sequences(found, spoiling, console)
