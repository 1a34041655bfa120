"""Report sections on the talks and after: the negotiation over time and the war paths.

As in :mod:`offramp.report.sections`, each turns one engine's result in its
stable JSON form into a :class:`~offramp.report.model.Section`; none computes.

Negotiation (:func:`negotiation_section`)
    ``Negotiation.to_dict()``: who offered what, round by round, with
    repeated offers folded, and the outcome.
Durability over time (:func:`war_path_section`)
    ``Durability.to_dict()`` plus :func:`offramp.durability.war_paths`: each
    side's value of going back to war against its value of the deal, year by
    year over the horizon.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from offramp.report._labels import _GREY, _LAYOUT, _PALETTE, _actor, _package, _pct
from offramp.report.model import Figure, Section, Table
from offramp.scenario.schema import Scenario

__all__ = ["negotiation_section", "war_path_section"]


def _changed(scenario: Scenario, before: Mapping[str, str] | None, after: Mapping[str, str]) -> str:
    if before is None:
        return _package(scenario, after)
    diff = {i: o for i, o in after.items() if before.get(i) != o}
    return "changes " + _package(scenario, diff) if diff else "the same package"


def negotiation_section(scenario: Scenario, negotiation: Mapping[str, Any]) -> Section:
    """The offer history of a simulated negotiation and its outcome.

    ``negotiation`` is ``Negotiation.to_dict()`` (:func:`offramp.negotiate.negotiate`).
    Offers that repeat the actor's previous offer are folded into one row
    ("repeats its offer in rounds 2-15"), so the table shows only moves.
    """
    history = list(negotiation.get("history", []))
    strategies = dict(negotiation.get("strategies", {}))
    last: dict[str, dict[str, str]] = {}
    rows: list[tuple[str, ...]] = []
    holding: dict[str, tuple[int, int]] = {}  # actor -> (row index, first round) of a repeat run

    for move in history:
        actor, action, package = move["actor"], move["action"], move.get("package")
        turn = int(move["round"])
        if action == "offer" and package is not None and last.get(actor) == package:
            if actor in holding:
                index, first = holding[actor]
            else:
                index, first = len(rows), turn
                rows.append(())
                holding[actor] = (index, first)
            span = f"{first}" if turn == first else f"{first}–{turn}"
            rows[index] = (span, _actor(scenario, actor), "holds", "repeats its offer")
            continue
        holding.pop(actor, None)
        if action == "offer" and package is not None:
            text = _changed(scenario, last.get(actor), package)
            last[actor] = package
        elif action == "accept":
            text = "accepts the offer on the table"
        elif action == "unratified":
            text = "accepts; the signed text fails ratification"
        else:
            text = "walks away"
        rows.append((str(turn), _actor(scenario, actor), action, text))
    who = ", ".join(f"{_actor(scenario, a)} ({s})" for a, s in strategies.items())
    deadline = int(negotiation.get("deadline", 0))
    agreement = negotiation.get("agreement")
    if agreement:
        utility = dict(negotiation.get("utility") or {})
        batna = dict(negotiation.get("batna") or {})
        gains = ", ".join(
            f"{_actor(scenario, a)} {u:.2f} (batna {batna.get(a, 0.0):.2f})"
            for a, u in utility.items()
        )
        outcome = (
            f"They agree in round {int(negotiation['round'])} (rounds 0 to {deadline - 1}) on: "
            f"{_package(scenario, agreement)}. Utilities: {gains}."
        )
        if negotiation.get("nash_distance") is not None:
            outcome += (
                f" The agreement is {float(negotiation['nash_distance']):.3f} from the Nash "
                "solution in utility"
                + (
                    " and Pareto-optimal."
                    if negotiation.get("pareto_optimal")
                    else ", and not Pareto-optimal."
                )
            )
    else:
        outcome = (
            f"No agreement within {deadline} rounds: no package that every public would ratify "
            "was acceptable to every side in time."
        )
    paragraph = (
        f"Talks simulated turn by turn (stacked alternating offers among the veto actors, "
        f"{deadline} weekly rounds; strategies: {who}). Each side opens with the package it "
        "likes best among those its public would ratify and concedes as the deadline nears; "
        f"the table shows every change of offer. {outcome}"
    )
    table = Table(
        columns=("round", "who", "move", "offer"),
        rows=tuple(rows),
        caption="Who offered what, round by round (rounds count from 0, as in `offramp "
        "negotiate`): an offer lists the full package the first time and then only what the "
        "actor changed; repeated offers are folded.",
    )
    return Section("negotiation", "Talks over time", (paragraph,), (table,))


def war_path_section(
    scenario: Scenario,
    durability: Mapping[str, Any],
    paths: Mapping[str, Sequence[float]],
    years: Sequence[float],
    *,
    which: str,
) -> Section:
    """Durability over time: each side's value of renewed war against its value of the deal.

    Parameters
    ----------
    durability : mapping
        ``Durability.to_dict()`` of the package.
    paths : mapping of actor id to sequence of float, shape (T,)
        :func:`offramp.durability.war_paths` at ``years``.
    years : sequence of float, shape (T,)
    which : str
        What the package is, in words ("the Nash package").
    """
    values = dict(durability.get("values", {}))
    horizon = float(durability.get("horizon", years[-1] if len(years) else 0.0))
    data: list[dict[str, Any]] = []
    for k, (actor, curve) in enumerate(paths.items()):
        colour = _PALETTE[k % len(_PALETTE)]
        name = _actor(scenario, actor)
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"{name}: value of renewed war",
                "x": list(years),
                "y": [float(v) for v in curve],
                "line": {"color": colour, "width": 2.5},
                "hovertemplate": "year %{x:.1f}: %{y:.3f}<extra>" + name + " war</extra>",
            }
        )
        if actor in values:
            deal = float(values[actor]["deal"])
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": f"{name}: value of the deal",
                    "x": [0.0, horizon],
                    "y": [deal, deal],
                    "line": {"color": colour, "width": 1.5, "dash": "dash"},
                    "hovertemplate": "%{y:.3f}<extra>" + name + " deal</extra>",
                }
            )
    breach = durability.get("first_breach")
    shapes: list[dict[str, Any]] = []
    if breach:
        shapes.append(
            {
                "type": "line",
                "x0": float(breach["year"]),
                "x1": float(breach["year"]),
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"color": _GREY, "width": 1, "dash": "dot"},
            }
        )
    package = dict(durability.get("package", {}))
    holds = {str(k): float(v) for k, v in dict(durability.get("p_holds", {})).items()}
    if breach:
        verdict = (
            f"It is not self-enforcing: {_actor(scenario, breach['actor'])} would gain from "
            f"going back to war "
            + (
                "at once"
                if float(breach["year"]) <= 0
                else f"after {float(breach['year']):.1f} years"
            )
            + ", where its solid line crosses its dashed one."
        )
    else:
        verdict = (
            f"It is self-enforcing over {horizon:g} years: every side's value of renewed war "
            "stays below its value of the deal."
        )
    if holds:
        verdict += " Over uncertain growth and war costs, it holds " + ", ".join(
            f"{_pct(p)} of the time for {y} year{'s' if y != '1' else ''}"
            for y, p in sorted(holds.items(), key=lambda kv: float(kv[0]))
        )
        verdict += "."
    restoring = list(durability.get("restoring", []))
    if restoring:
        verdict += " Changes that would make it hold: " + "; ".join(
            _package(scenario, r["change"])
            + ("" if r.get("beats_batnas") else " (but then not every side beats its batna)")
            for r in restoring[:4]
        )
        verdict += "."
    paragraph = (
        f"Would {which} hold once signed ({_package(scenario, package)})? A side breaks a deal "
        "when going back to war is worth more to it than the deal: its chance of prevailing "
        "grows with its power relative to its opponent's, and the package's guarantees and "
        f"buffer zones change that chance and the cost of war. {verdict}"
    )
    figure = Figure(
        id="war-paths",
        title="Value of renewed war against the deal, year by year",
        caption="Solid: each side's expected value of going back to war (base-case power "
        "growth and war costs, with the package's effects); dashed: what the deal is worth to "
        "it. A side would break the deal where its solid line rises above its dashed one"
        + (" (dotted: the first such time)." if breach else "."),
        spec={
            "data": data,
            "layout": {
                **_LAYOUT,
                "height": 420,
                "margin": {"l": 60, "r": 20, "t": 10, "b": 45},
                "xaxis": {"title": {"text": "years after signing"}, "gridcolor": "#e5e8e8"},
                "yaxis": {
                    "title": {"text": "utility (0–1 scale)"},
                    "gridcolor": "#e5e8e8",
                    "rangemode": "tozero",
                },
                "shapes": shapes,
                "legend": {"font": {"size": 11}, "orientation": "h", "y": -0.2},
            },
        },
    )
    table = Table(
        columns=("side", "deal", "war now", f"war after {horizon:g} years"),
        rows=tuple(
            (
                _actor(scenario, a),
                f"{float(v['deal']):.3f}",
                f"{float(v['war_now']):.3f}",
                f"{float(v['war_end']):.3f}",
            )
            for a, v in values.items()
        ),
        caption="What the deal and renewed war are worth to each side, now and at the horizon.",
    )
    return Section("war-paths", "Would it hold over time?", (paragraph,), (table,), (figure,))
