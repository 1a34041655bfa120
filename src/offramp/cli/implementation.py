"""Terminal output of ``offramp durability --sequences``: orders of steps and spoilers.

The command itself lives with ``durability``; this module only renders
:class:`~offramp.implementation.Sequencing` and
:class:`~offramp.implementation.Spoilers` (it never computes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from offramp.implementation import OrderResult, Sequencing, Spoilers

__all__ = ["render_sequences"]


def _verdict(order: OrderResult) -> str:
    if order.breaks_at is None:
        return "[green]holds[/]"
    b = order.breaks_at
    return f"[red]breaks at step {b.position} ({b.step}): {b.actor} reneges[/]"


def _needs(order: OrderResult) -> str:
    parts = []
    for n in order.needs:
        how = [f"expected penalty {n.gap:.3f}"]
        if n.detection is not None:
            how.append(f"detection >= {n.detection:.2f}")
        if n.penalty is not None:
            how.append(f"penalty >= {n.penalty:.3f}")
        parts.append(f"{n.step} ({n.actor}): " + ", ".join(how))
    return "; ".join(parts) or "-"


def _print_orders(rows: list[tuple[str, OrderResult]], console: Console) -> None:
    for name, order in rows:
        values = ", ".join(f"{a} {v:.3f}" for a, v in order.values.items())
        slack = "" if order.slack is None else f", slack {order.slack:+.3f}"
        console.print(
            f"[bold]{name}[/] {_verdict(order)} (P(holds) {order.p_holds:.1%}{slack}; "
            f"values: {values})"
        )
        console.print("   " + " → ".join(order.order), highlight=False)
        if order.needs:
            console.print(f"   to make it hold: {_needs(order)}", highlight=False)


def render_sequences(result: Sequencing, spoilers: Spoilers, console: Console) -> None:
    """Print the best and worst orders, where they break, and the spoiler table."""
    from offramp.cli._render import show_table

    holding = (
        f"{result.n_self_enforcing} self-enforcing"
        if result.n_self_enforcing is not None
        else "best and worst found by dynamic programming"
    )
    console.print(
        f"\n[bold]Order of the steps[/]: {result.n_orders} admissible orders "
        f"({result.method}; {holding}); P(holds) over {result.draws} draws (seed {result.seed})"
    )
    steps = Table(title="Steps", title_justify="left")
    for name in ("step", "actor", "due (years)", "implements", "after"):
        steps.add_column(name)
    for step in result.steps:
        steps.add_row(
            f"{step['id']}: {step['label']}",
            step["actor"],
            f"{step['year']:.2f}",
            ", ".join(f"{i}={o}" for i, o in step["options"].items()) or "-",
            ", ".join(step["after"]) or "-",
        )
    show_table(console, steps)
    rows = [(f"#{k + 1}", o) for k, o in enumerate(result.orders[:5])]
    rows.append(("worst", result.worst))
    if result.declared is not None:
        rows.append(("declared", result.declared))
    rows.extend((f"asked {k + 1}", o) for k, o in enumerate(result.requested))
    console.print("[bold]Best orders, the worst, the declared order and those asked for[/]")
    _print_orders(rows, console)
    if not spoilers.factions:
        console.print("No factions in the scenario: no spoiler analysis.")
        return
    console.print("[bold]Spoilers[/] (Stedman 1997)")
    for f in spoilers.factions:
        verdict = f"[red]spoils: the deal {f.effect}[/]" if f.spoils else "[green]does not spoil[/]"
        console.print(
            f"[bold]{f.faction}[/] ({f.aims} aims, {f.parent or 'outside every party'}): "
            f"{verdict}; deal {f.deal:.3f} vs batna {f.batna:.3f}, capability "
            f"{f.capability:g} vs threshold {f.threshold:g}; P(rejects) {f.p_rejects:.1%}, "
            f"P(spoiled) {f.p_spoiled:.1%}",
            highlight=False,
        )
        for ind in f.inducements[:3]:
            change = ", ".join(f"{i}={o}" for i, o in ind.change.items())
            note = "" if ind.beats_batnas else " (but a veto actor then prefers no deal)"
            console.print(f"   would bring it in: {change}{note}", highlight=False)
        if f.aims == "total" and f.margin > 0:
            console.print(f"   coercion: its capability must fall by {f.margin:g}")
    console.print(
        f"P(the deal fails to a spoiler) {spoilers.p_fails:.1%}; "
        f"P(it partly fails) {spoilers.p_partly:.1%}"
    )
