"""Report sections for sweeps, sensitivity, negotiation and durability over time.

Each function turns one engine's result (in its stable JSON form, as the
run store keeps it, so a report can be rebuilt from stored runs) into a
:class:`~offramp.report.model.Section` with tables, a chart and a paragraph
that says in words what the numbers mean. None of them computes a model
result: intervals are the Wilson intervals the sweep itself reports
(:func:`offramp.uncertainty.sweep.wilson`), applied to the stored counts.

Sweep (:func:`sweep_section`)
    ``SweepSummary.to_dict()``: the probability of a ratified agreement with
    its 95% interval, the same by event branch (a bar chart with intervals),
    the paths the events took together (from the stored per-draw table) and
    how often each package is the Nash solution.
Sensitivity (:func:`sensitivity_section`)
    ``Sensitivity.to_dict()``: the inputs ranked for the probability of
    agreement, as a bar chart of Sobol total and first-order indices (or
    Morris ``mu_star`` with ``sigma``).
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

from offramp.report.model import Figure, Section, Table
from offramp.scenario.schema import Scenario
from offramp.uncertainty.sweep import wilson

__all__ = [
    "factor_label",
    "negotiation_section",
    "sensitivity_section",
    "sweep_section",
    "war_path_section",
]

_LAYOUT = {"plot_bgcolor": "#ffffff", "paper_bgcolor": "#ffffff", "font": {"size": 12}}
_BLUE, _GREY, _RED, _GREEN = "#2c6fbb", "#7f8c8d", "#a93226", "#1e8449"
_PALETTE = ("#c0392b", "#2c6fbb", "#d68910", "#7d3c98", "#117a65", "#a04000", "#5d6d7e")


def _pct(p: float) -> str:
    return f"{p:.1%}"


def _interval(k: int, n: int) -> tuple[float, float]:
    return wilson(k, n) if n else (0.0, 1.0)


def _option(scenario: Scenario, issue: str, option: str) -> str:
    try:
        found = scenario.issue(issue)
    except KeyError:
        return option
    return next((o.label for o in found.options if o.id == option), option)


def _issue(scenario: Scenario, issue: str) -> str:
    try:
        return scenario.issue(issue).label
    except KeyError:
        return issue


def _actor(scenario: Scenario, actor: str) -> str:
    try:
        return scenario.actor(actor).label
    except KeyError:
        return actor


def _package(scenario: Scenario, package: Mapping[str, str]) -> str:
    return "; ".join(
        f"{_issue(scenario, i)}: {_option(scenario, i, o)}" for i, o in package.items()
    )


def _event_labels(scenario: Scenario) -> dict[str, tuple[str, dict[str, str]]]:
    return {e.id: (e.label, {b.id: b.label for b in e.branches}) for e in scenario.events}


def sweep_section(
    scenario: Scenario,
    summary: Mapping[str, Any],
    *,
    origin: str,
    paths: Sequence[Mapping[str, Any]] = (),
) -> Section:
    """The sweep: P(agreement) with its interval, by event branch, event paths, Nash packages.

    Parameters
    ----------
    scenario : Scenario
        The scenario the sweep ran on (for labels).
    summary : mapping
        ``SweepSummary.to_dict()`` (stored as a sweep run's summary).
    origin : str
        Where the numbers come from, said in the text (e.g. "stored run 2024...").
    paths : sequence of mapping, optional
        ``RunStore.branch_paths(run_id)``: draws grouped by the branches of all events.

    Returns
    -------
    Section

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> from offramp.uncertainty import compile_model, sweep
    >>> s = load_scenario(Path(__file__).parents[3] / "scenarios" / "textbook-two-party.yaml")
    >>> summary, _ = sweep(compile_model(s), draws=50, seed=0)
    >>> section = sweep_section(s, summary.to_dict(), origin="a test")
    >>> section.paragraphs[0][:60]
    'Across 50 draws of every uncertain input and event (seed 0; '
    """
    n = int(summary["draws"])
    p = float(summary["p_agreement"])
    low, high = (float(x) for x in summary["p_agreement_ci"])
    when = f" with the events up to {summary['at']}" if summary.get("at") else ""
    paragraphs = [
        f"Across {n:,} draws of every uncertain input and event (seed {summary['seed']}; "
        f"{origin}){when}, a settlement that every veto actor prefers to fighting on and every "
        f"public ratifies exists in {_pct(p)} of them (95% interval {_pct(low)} to "
        f"{_pct(high)}); the zone of agreement before ratification is non-empty in "
        f"{_pct(float(summary.get('p_zopa', 0.0)))}."
    ]
    labels = _event_labels(scenario)
    rows: list[tuple[str, ...]] = []
    bars: list[tuple[str, float, float, float, int]] = []
    spreads: list[tuple[float, str]] = []
    for event, branches in dict(summary.get("by_branch", {})).items():
        event_label, branch_labels = labels.get(event, (event, {}))
        shares = []
        for branch, row in branches.items():
            k_draws = int(row["draws"])
            share = float(row["p_agreement"])
            b_low, b_high = _interval(round(share * k_draws), k_draws)
            name = branch_labels.get(branch, branch)
            rows.append(
                (
                    event_label,
                    name,
                    f"{k_draws:,}",
                    _pct(share),
                    f"{_pct(b_low)} to {_pct(b_high)}" if k_draws else "no draws",
                )
            )
            bars.append((f"{event_label}: {name}", share, b_low, b_high, k_draws))
            if k_draws:
                shares.append((share, name))
        if len(shares) >= 2:
            top, bottom = max(shares), min(shares)
            spreads.append(
                (
                    top[0] - bottom[0],
                    f"{event_label} ({_pct(top[0])} if “{top[1]}”, "
                    f"{_pct(bottom[0])} if “{bottom[1]}”)",
                )
            )
    tables: list[Table] = []
    figures: list[Figure] = []
    if rows:
        spreads.sort(reverse=True)
        paragraphs.append(
            "By event branch, the probability of agreement moves most with "
            + ", then with ".join(text for _, text in spreads[:2])
            + ". An event whose branches give similar probabilities hardly matters to the outcome."
            if spreads
            else "Every event went one way in these draws."
        )
        tables.append(
            Table(
                columns=("event", "branch", "draws", "P(agreement)", "95% interval"),
                rows=tuple(rows),
                caption="Probability of a ratified agreement among the draws in which each "
                "event went each way (Wilson score intervals).",
            )
        )
        names = [b[0] for b in bars][::-1]
        values = [b[1] for b in bars][::-1]
        figures.append(
            Figure(
                id="sweep-branches",
                title="Probability of agreement by event branch",
                caption="Each bar is the share of draws with a ratified agreement among those in "
                "which the event went that way; the whiskers are 95% intervals and the dashed "
                "line is the overall probability.",
                spec={
                    "data": [
                        {
                            "type": "bar",
                            "orientation": "h",
                            "y": names,
                            "x": values,
                            "marker": {"color": _BLUE},
                            "error_x": {
                                "type": "data",
                                "symmetric": False,
                                "array": [b[3] - b[1] for b in bars][::-1],
                                "arrayminus": [b[1] - b[2] for b in bars][::-1],
                                "color": "#1b2631",
                                "thickness": 1.2,
                            },
                            "text": [_pct(v) for v in values],
                            "textposition": "inside",
                            "insidetextanchor": "start",
                            "hovertemplate": "%{y}: %{x:.1%}<extra></extra>",
                            "name": "P(agreement)",
                        }
                    ],
                    "layout": {
                        **_LAYOUT,
                        "height": max(220, 60 + 34 * len(bars)),
                        "margin": {"l": 330, "r": 30, "t": 30, "b": 45},
                        "xaxis": {
                            "title": {"text": "probability of a ratified agreement"},
                            "range": [0, 1],
                            "tickformat": ".0%",
                            "gridcolor": "#e5e8e8",
                        },
                        "yaxis": {"automargin": True},
                        "shapes": [
                            {
                                "type": "line",
                                "x0": p,
                                "x1": p,
                                "y0": 0,
                                "y1": 1,
                                "yref": "paper",
                                "line": {"color": _RED, "dash": "dash", "width": 1.5},
                            }
                        ],
                        "annotations": [
                            {
                                "x": p,
                                "y": 1,
                                "yref": "paper",
                                "yanchor": "bottom",
                                "text": f"overall {_pct(p)}",
                                "showarrow": False,
                                "font": {"size": 11, "color": _RED},
                            }
                        ],
                        "showlegend": False,
                    },
                },
            )
        )
    if paths:
        path_rows = []
        for entry in paths[:12]:
            k_draws, agreed = int(entry["draws"]), int(entry["agreements"])
            p_low, p_high = _interval(agreed, k_draws)
            text = ", ".join(
                labels.get(event, (event, {}))[1].get(str(branch), str(branch))
                for event, branch in dict(entry["branches"]).items()
                if branch is not None
            )
            path_rows.append(
                (
                    text or "no event happened",
                    f"{k_draws:,}",
                    _pct(k_draws / n) if n else "",
                    _pct(agreed / k_draws) if k_draws else "",
                    f"{_pct(p_low)} to {_pct(p_high)}",
                )
            )
        tables.append(
            Table(
                columns=("how the events went", "draws", "share", "P(agreement)", "95% interval"),
                rows=tuple(path_rows),
                caption="The paths the events took together, most frequent first, from the "
                "stored per-draw table.",
            )
        )
    nash = list(summary.get("nash_packages", []))[:10]
    if nash:
        issues = list(nash[0]["package"])
        varying = [i for i in issues if len({e["package"].get(i) for e in nash}) > 1]
        common = {i: nash[0]["package"][i] for i in issues if i not in varying}
        tables.append(
            Table(
                columns=("share of agreements", *(_issue(scenario, i) for i in varying)),
                rows=tuple(
                    (
                        _pct(float(e["share"])),
                        *(_option(scenario, i, e["package"][i]) for i in varying),
                    )
                    for e in nash
                ),
                caption="Where bargaining would land when there is an agreement: how often each "
                "package is the Nash bargaining solution among the draws with an agreement "
                "(the most frequent packages; issues on which they all agree are in the text).",
            )
        )
        first = nash[0]
        if common and varying and len(nash) > 1:
            together = sum(float(e["share"]) for e in nash)
            paragraphs.append(
                f"When there is an agreement, the {len(nash)} most frequent Nash packages "
                f"({_pct(together)} of agreements together) all have: "
                f"{_package(scenario, common)}. They differ on "
                + ", ".join(_issue(scenario, i) for i in varying)
                + f"; the most frequent ({_pct(first['share'])}) has "
                + _package(scenario, {i: first["package"][i] for i in varying})
                + "."
            )
        else:
            paragraphs.append(
                f"When there is an agreement, the most frequent Nash package "
                f"({_pct(first['share'])} of agreements) is: "
                f"{_package(scenario, first['package'])}."
            )
    return Section(
        "sweep",
        "How likely is a deal?",
        tuple(paragraphs),
        tuple(tables),
        tuple(figures),
    )


def factor_label(scenario: Scenario, name: str) -> str:
    """A sensitivity factor in words.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> s = load_scenario(Path(__file__).parents[3] / "scenarios" / "ukraine-2024-09.yaml")
    >>> factor_label(s, "actors.russia.batna")
    'Russia: batna'
    >>> factor_label(s, "event:winter")
    "which way Winter: Ukraine's energy grid under missile attack goes"
    >>> factor_label(s, "us_election.trump:actors.ukraine.batna")
    'Ukraine: batna, if Trump wins'
    """
    if name.startswith("event:"):
        event = name[6:]
        label = next((e.label for e in scenario.events if e.id == event), event)
        return f"which way {label} goes"
    condition = ""
    if ":" in name:
        head, name = name.split(":", 1)
        event, _, branch = head.partition(".")
        labels = _event_labels(scenario)
        condition = f", if {labels.get(event, (event, {}))[1].get(branch, branch)}"
    parts = name.split(".")
    if parts[0] == "actors" and len(parts) >= 3:
        who = _actor(scenario, parts[1])
        if parts[2] == "stances" and len(parts) >= 5:
            what = f"{_issue(scenario, parts[3])} {' '.join(parts[4:])}"
        else:
            what = " ".join(parts[2:])
        return f"{who}: {what}{condition}"
    if parts[0] == "publics" and len(parts) >= 3:
        public = next((p for p in scenario.publics if p.id == parts[1]), None)
        who = public.label if public is not None else parts[1]
        if parts[2] == "rules" and len(parts) >= 4:
            return f"{who}: rejection share of rule {parts[3]}{condition}"
        return f"{who}: {' '.join(parts[2:])}{condition}"
    return name + condition


def sensitivity_section(
    scenario: Scenario, result: Mapping[str, Any], *, origin: str, top: int = 12
) -> Section | None:
    """Which inputs the probability of agreement hinges on: Sobol or Morris, as a bar chart.

    ``result`` is ``Sensitivity.to_dict()``. Returns None when it has no
    ranking of the probability of agreement.
    """
    ranking = list(dict(result.get("ranking", {})).get("p_agreement", []))
    indices = dict(dict(result.get("indices", {})).get("p_agreement", {}))
    if not ranking:
        return None
    method = str(result.get("method", ""))
    shown = ranking[:top]
    names = [factor_label(scenario, f) for f in shown]
    if method == "sobol":
        keys, key_names = ("ST", "S1"), ("total (ST)", "first order (S1)")
        confs: tuple[str, ...] = ("ST_conf", "S1_conf")
        axis = "Sobol index of P(agreement)"
    else:
        keys, key_names = ("mu_star", "sigma"), ("mu* (mean absolute effect)", "sigma")
        confs = ("mu_star_conf", "")
        axis = "Morris elementary effect on P(agreement)"
    data = []
    for k, (key, label) in reversed(list(enumerate(zip(keys, key_names, strict=True)))):
        trace: dict[str, Any] = {
            "type": "bar",
            "orientation": "h",
            "name": label,
            "y": names[::-1],
            "x": [float(indices[f].get(key, 0.0)) for f in shown][::-1],
            "marker": {"color": _BLUE if k == 0 else "#aab7c4"},
            "hovertemplate": "%{y}: %{x:.3f}<extra>" + label + "</extra>",
        }
        if confs[k]:
            trace["error_x"] = {
                "type": "data",
                "array": [float(indices[f].get(confs[k], 0.0)) for f in shown][::-1],
                "color": "#566573",
                "thickness": 1,
            }
        data.append(trace)
    rows = tuple(
        (
            str(rank + 1),
            factor_label(scenario, f),
            *(f"{float(indices[f].get(key, 0.0)):.3f}" for key in keys),
        )
        for rank, f in enumerate(shown)
    )
    lead = ", ".join(names[:3])
    method_text = (
        "Sobol indices (the share of the variance of the agreement indicator due to each input: "
        "first order alone, total with its interactions)"
        if method == "sobol"
        else "Morris screening (mu*: the mean absolute change in the agreement indicator when "
        "the input moves a step; sigma: how much that change depends on the other inputs)"
    )
    paragraph = (
        f"Which inputs does the answer hinge on? By {method_text}, computed over "
        f"{int(result.get('runs', 0)):,} model runs ({origin}), the probability of agreement "
        f"depends most on {lead}. Inputs far down the list could be left at their point values "
        "without changing the answer much; inputs at the top deserve the best sources."
    )
    figure = Figure(
        id="sensitivity",
        title="What the probability of agreement hinges on",
        caption=f"The {len(shown)} most influential inputs, largest first ({method}).",
        spec={
            "data": data,
            "layout": {
                **_LAYOUT,
                "barmode": "group",
                "height": max(260, 70 + 40 * len(shown)),
                "margin": {"l": 380, "r": 30, "t": 10, "b": 45},
                "xaxis": {"title": {"text": axis}, "gridcolor": "#e5e8e8", "rangemode": "tozero"},
                "yaxis": {"automargin": True},
                "legend": {
                    "orientation": "h",
                    "y": -0.15 if len(shown) > 4 else -0.3,
                    "traceorder": "reversed",
                },
            },
        },
    )
    table = Table(
        columns=("rank", "input", *key_names),
        rows=rows,
        caption="Inputs ranked by "
        + ("total Sobol index." if method == "sobol" else "Morris mu*."),
    )
    return Section("sensitivity", "What the answer hinges on", (paragraph,), (table,), (figure,))


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
