"""Report sections for sweeps and sensitivity.

Each function turns one engine's result (in its stable JSON form, as the
run store keeps it, so a report can be rebuilt from stored runs) into a
:class:`~offramp.report.model.Section` with tables, a chart and a paragraph
that says in words what the numbers mean. None of them computes a model
result: intervals are the Wilson intervals the sweep itself reports
(:func:`offramp.uncertainty.sweep.wilson`), applied to the stored counts.

Sweep (:func:`sweep_section`)
    ``SweepSummary.to_dict()``: the probability of a ratified agreement with
    its 95% interval, the same by event branch (a bar chart with intervals),
    the paths the events took together (from the run store's paths) and
    how often each package is the Nash solution.
Sensitivity (:func:`sensitivity_section`)
    ``Sensitivity.to_dict()``: the inputs ranked for the probability of
    agreement, as a bar chart of Sobol total and first-order indices (or
    Morris ``mu_star`` with ``sigma``).
The negotiation and durability over time are in :mod:`offramp.report.talks`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from offramp.report._labels import (
    _BLUE,
    _LAYOUT,
    _RED,
    _actor,
    _event_labels,
    _interval,
    _issue,
    _option,
    _package,
    _pct,
)
from offramp.report.model import Figure, Section, Table
from offramp.scenario.schema import Scenario

__all__ = ["factor_label", "sensitivity_section", "sweep_section"]


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
    >>> from offramp.problem import compile_problem
    >>> from offramp.uncertainty import sweep
    >>> s = load_scenario(Path(__file__).parents[3] / "scenarios" / "textbook-two-party.yaml")
    >>> summary, _ = sweep(compile_problem(s), draws=50, seed=0)
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
                "sweep's stored paths.",
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
