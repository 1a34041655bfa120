"""Report section for carrying a deal out: the order of its steps and its spoilers.

:func:`implementation_section` turns the stable JSON forms of
:class:`~offramp.implementation.Sequencing` and
:class:`~offramp.implementation.Spoilers` into a
:class:`~offramp.report.model.Section`: a timeline of the steps for the best
and the worst order (where each breaks), a table of orders with what would
make them hold, and a spoiler table. It computes no model result;
:func:`implementation_results` runs the engines for ``offramp report``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from offramp.errors import OfframpError
from offramp.problem import Problem
from offramp.report._labels import _GREEN, _GREY, _LAYOUT, _RED, _actor, _package, _pct
from offramp.report.model import Figure, Section, Table
from offramp.scenario.schema import Scenario

__all__ = ["implementation_results", "implementation_section"]


def implementation_results(
    problem: Problem, *, draws: int = 500, seed: int = 0
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str]:
    """Sequencing and spoilers of the scenario's steps (JSON forms), or why there are none.

    Returns
    -------
    (sequences, spoilers, why_not)
        ``sequences`` and ``spoilers`` are None (and ``why_not`` says why) when
        the scenario has no ``implementation`` or its package cannot be made.
    """
    if problem.scenario.implementation is None:
        return None, None, "the scenario has no `implementation` section (docs/implementation.md)"
    from offramp.implementation import sequence_package, sequences, spoilers

    try:
        package = sequence_package(problem)
        found = sequences(problem, package, draws=draws, seed=seed)
        spoiling = spoilers(problem, package, draws=draws, seed=seed)
    except OfframpError as error:
        return None, None, str(error)
    return found.to_dict(), spoiling.to_dict(), ""


def _step_labels(sequencing: Mapping[str, Any]) -> dict[str, str]:
    return {str(s["id"]): str(s["label"]) for s in sequencing.get("steps", [])}


def _verdict(scenario: Scenario, order: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    brk = order.get("breaks_at")
    if not brk:
        return "holds"
    return (
        f"breaks at step {brk['position']} ({labels.get(brk['step'], brk['step'])}): "
        f"{_actor(scenario, brk['actor'])} reneges"
    )


def _needs(scenario: Scenario, order: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    parts = []
    for need in order.get("needs", []):
        how = [f"an expected penalty of {float(need['gap']):.3f}"]
        if need.get("detection") is not None:
            how.append(f"detection of at least {float(need['detection']):.0%}")
        if need.get("penalty") is not None:
            how.append(f"a penalty of at least {float(need['penalty']):.3f}")
        parts.append(
            f"{labels.get(need['step'], need['step'])} ({_actor(scenario, need['actor'])}): "
            + ", or ".join(how)
        )
    return "; ".join(parts) or "–"


def _timeline(
    scenario: Scenario, sequencing: Mapping[str, Any], rows: list[tuple[str, Mapping[str, Any]]]
) -> Figure:
    """Steps as markers on the calendar's slots, one row per order; a cross where it breaks."""
    labels = _step_labels(sequencing)
    slots = sorted(float(s["year"]) for s in sequencing.get("steps", []))
    data: list[dict[str, Any]] = []
    for name, order in rows:
        brk = order.get("breaks_at")
        at = int(brk["position"]) - 1 if brk else len(order["order"])
        every = range(len(order["order"]))
        for state, colour, symbol, ks in (
            ("carried out", _GREEN, "circle", [k for k in every if k < at]),
            ("reneged on", _RED, "x", [k for k in every if k == at]),
            ("never reached", _GREY, "circle-open", [k for k in every if k > at]),
        ):
            if not ks:
                continue
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers+text",
                    "name": f"{name}: {state}",
                    "x": [k + 1 for k in ks],
                    "y": [name] * len(ks),
                    "text": [order["order"][k] for k in ks],
                    "textposition": ["top center" if k % 2 else "bottom center" for k in ks],
                    "marker": {"color": colour, "symbol": symbol, "size": 13},
                    "hovertext": [
                        f"{labels.get(order['order'][k], '')}<br>due {slots[k]:.2f} years after "
                        "the scenario's date"
                        for k in ks
                    ],
                    "hovertemplate": "%{hovertext}<extra>" + state + "</extra>",
                    "showlegend": False,
                }
            )
    return Figure(
        id="implementation-timeline",
        title="The steps in the best and the worst order",
        caption="Each row is one order of the steps, first to last; the k-th step of every "
        "order falls on the accord's k-th date (hover for it). Green: carried out; red cross: "
        "the step where a side reneges; grey: never reached.",
        spec={
            "data": data,
            "layout": {
                **_LAYOUT,
                "height": 140 + 90 * len(rows),
                "margin": {"l": 90, "r": 40, "t": 20, "b": 45},
                "xaxis": {
                    "title": {"text": "step, in the order carried out"},
                    "dtick": 1,
                    "range": [0.5, len(slots) + 0.5],
                },
                "yaxis": {"type": "category", "autorange": "reversed"},
            },
        },
    )


def implementation_section(
    scenario: Scenario, sequencing: Mapping[str, Any], spoilers: Mapping[str, Any] | None = None
) -> Section:
    """The order of the steps and the spoilers, in words, a timeline and tables.

    Parameters
    ----------
    scenario : Scenario
    sequencing : mapping
        ``Sequencing.to_dict()``.
    spoilers : mapping, optional
        ``Spoilers.to_dict()``.
    """
    labels = _step_labels(sequencing)
    orders = list(sequencing.get("orders", []))
    best, worst = orders[0], sequencing["worst"]
    rows: list[tuple[str, Mapping[str, Any]]] = [("best", best), ("worst", worst)]
    declared = sequencing.get("declared")
    if declared and declared["order"] not in (best["order"], worst["order"]):
        rows.append(("declared", declared))
    for k, asked in enumerate(sequencing.get("requested", [])):
        rows.append((f"asked {k + 1}", asked))
    n_orders, n_holding = sequencing.get("n_orders"), sequencing.get("n_self_enforcing")
    count = (
        f"{n_holding} of the {n_orders} admissible orders are self-enforcing"
        if n_holding is not None
        else f"of {n_orders} admissible orders, the best and the worst were found by search"
    )
    text = (
        f"In what order can {_package(scenario, sequencing['package'])} be carried out so "
        "that no side prefers to go back to war at any step, given what the others will do "
        f"after it? Solving each order backwards from its last step, {count}. The best order "
        f"({' → '.join(best['order'])}) {_verdict(scenario, best, labels)}"
        f" (it holds in {_pct(float(best['p_holds']))} of the draws); the worst "
        f"({' → '.join(worst['order'])}) {_verdict(scenario, worst, labels)} (it holds in "
        f"{_pct(float(worst['p_holds']))})."
    )
    table = Table(
        columns=("", "order", "verdict", "P(holds)", "to make it hold"),
        rows=tuple(
            (
                name,
                " → ".join(o["order"]),
                _verdict(scenario, o, labels),
                _pct(float(o["p_holds"])),
                _needs(scenario, o, labels),
            )
            for name, o in rows
        ),
        caption="What monitoring or a guarantor would have to add at each breaking step: the "
        "expected penalty (detection probability times penalty) that closes the gap, and the "
        "detection or penalty that would do it given the other.",
    )
    tables = [table]
    paragraphs = [text]
    if spoilers and spoilers.get("factions"):
        tables.append(
            Table(
                columns=(
                    "faction",
                    "aims",
                    "deal / batna",
                    "capability / threshold",
                    "P(rejects)",
                    "P(spoiled)",
                    "would bring it in",
                ),
                rows=tuple(
                    (
                        f"{f['label']} ("
                        + (_actor(scenario, f["parent"]) if f["parent"] else "outside")
                        + ")",
                        str(f["aims"]),
                        f"{float(f['deal']):.3f} / {float(f['batna']):.3f}",
                        f"{float(f['capability']):g} / {float(f['threshold']):g}",
                        _pct(float(f["p_rejects"])),
                        _pct(float(f["p_spoiled"])),
                        " — or — ".join(
                            _package(scenario, i["change"])
                            + ("" if i["beats_batnas"] else " (a veto actor then prefers no deal)")
                            for i in f.get("inducement", [])[:2]
                        )
                        or "–",
                    )
                    for f in spoilers["factions"]
                ),
                caption="Spoilers after Stedman (1997): a faction spoils when the deal is worse "
                "than its batna and its capability exceeds the threshold; total and greedy "
                "spoilers make the deal fail, limited ones make it partly fail.",
            )
        )
        paragraphs.append(
            f"Factions: the deal fails to a spoiler in {_pct(float(spoilers['p_fails']))} of "
            f"the draws and partly fails in {_pct(float(spoilers['p_partly']))}."
        )
    return Section(
        "implementation",
        "Carrying it out: the order of the steps and the spoilers",
        tuple(paragraphs),
        tuple(tables),
        (_timeline(scenario, sequencing, rows),),
    )
