"""Build a :class:`~offramp.report.model.Report` from a scenario and its analysis.

The report presents results computed elsewhere: the settlement analysis
(:func:`offramp.assess.analyze`), the package cloud behind the picture
(:func:`offramp.report.cloud.package_cloud`) and, when those engines are
installed and their results are handed in, the forecast, sweep, sensitivity,
negotiation and durability sections (:mod:`offramp.report.extras`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from offramp._version import __version__
from offramp.problem import Problem, Space
from offramp.report.cloud import Cloud, package_cloud
from offramp.report.model import Figure, Report, Section, Table
from offramp.scenario.schema import Provenance, Scenario
from offramp.settle.analysis import Analysis, FrontierPoint

__all__ = ["SOLUTION_NAMES", "build_report", "frontier_figure", "inputs_table"]

SOLUTION_NAMES = {
    "nash": "Nash",
    "kalai_smorodinsky": "Kalai–Smorodinsky",
    "egalitarian": "Egalitarian",
    "utilitarian": "Utilitarian",
}
"""Display names of the bargaining solutions, in the order of ``Analysis.solutions``."""

_PALETTE = ("#c0392b", "#2c6fbb", "#d68910", "#7d3c98", "#117a65", "#a04000", "#5d6d7e")
_RED_LINES = ("#7b241c", "#4a235a", "#6e2c00", "#0e6251", "#1b2631", "#17202a")
"""Crossed red lines: one dark colour per veto actor; the last for several actors' lines."""


def _provenance(scenario: Scenario, item: Provenance) -> tuple[str, str, str]:
    """(source, quote or assumption, flag) of an input."""
    source = ""
    if item.source is not None:
        found = next((s for s in scenario.sources if s.id == item.source), None)
        source = found.title if found is not None else item.source
    words = []
    if item.quote:
        words.append(f"“{item.quote}”")
    if item.assumed:
        words.append(f"Assumed: {item.assumed}")
    flag = "assumed" if item.assumed else ("" if item.source else "undocumented")
    return source, " ".join(words), flag


def _option_label(scenario: Scenario, issue: str, option: str) -> str:
    return next(o.label for o in scenario.issue(issue).options if o.id == option)


def inputs_table(scenario: Scenario) -> Table:
    """Every numeric input with its source and quote; assumed inputs flagged.

    One row per actor (power, batna), stance (position, salience), public
    (threshold) and ratification rule (rejection share).
    """
    rows: list[tuple[str, ...]] = []
    flags: list[str] = []

    def add(what: str, value: str, item: Provenance) -> None:
        source, text, flag = _provenance(scenario, item)
        rows.append((what, value, source, text))
        flags.append(flag)

    for actor in scenario.actors:
        value = f"power {actor.power:g}" + (
            f"; veto; batna {actor.batna:.2f}" if actor.veto and actor.batna is not None else ""
        )
        add(actor.label, value, actor)
        total = sum(s.salience for s in actor.stances) or 1.0
        for stance in actor.stances:
            issue = scenario.issue(stance.issue)
            if isinstance(stance.position, str):
                at = next(o.at for o in issue.options if o.id == stance.position)
                position = f"{_option_label(scenario, issue.id, stance.position)} ({at:g})"
            else:
                position = f"{stance.position:g} on 0–100"
            value = (
                f"position {position}; salience {stance.salience:g} "
                f"({stance.salience / total:.0%} of its weight)"
            )
            if stance.values is not None:
                value += "; values " + ", ".join(f"{k} {v:g}" for k, v in stance.values.items())
            add(f"{actor.label} · {issue.label}", value, stance)
    for public in scenario.publics:
        add(
            f"{public.label} (ratifies for {scenario.actor(public.of).label})",
            f"ratifies when rejection < {public.threshold:.0%}",
            public,
        )
        for rule in public.rules:
            when = (
                "; ".join(
                    f"{scenario.issue(i).label}: "
                    + " or ".join(_option_label(scenario, i, o) for o in opts)
                    for i, opts in rule.when.items()
                )
                or "any package (baseline)"
            )
            add(f"{public.label} · {when}", f"rejection {rule.reject:.0%}", rule)
    return Table(
        columns=("input", "value", "source", "quote or assumption"),
        rows=tuple(rows),
        caption="Every input of the scenario. Rows marked assumed rest on the analyst's "
        "reasoning rather than a quoted source.",
        flags=tuple(flags),
    )


def _glance(scenario: Scenario) -> Section:
    actors = Table(
        columns=("actor", "power", "veto", "batna", "issues it cares about"),
        rows=tuple(
            (
                a.label,
                f"{a.power:g}",
                "yes" if a.veto else "",
                "" if a.batna is None else f"{a.batna:.2f}",
                ", ".join(scenario.issue(s.issue).label for s in a.stances),
            )
            for a in scenario.actors
        ),
        caption="Who is at the table. A veto actor's consent is needed; its batna is the "
        "utility (0–1) it expects from going on fighting.",
    )
    issues = Table(
        columns=("issue", "options (position on 0–100)"),
        rows=tuple(
            (i.label, "; ".join(f"{o.label} ({o.at:g})" for o in i.options))
            for i in scenario.issues
        ),
        caption="What is on the table.",
    )
    tables = [actors, issues]
    if scenario.publics:
        tables.append(
            Table(
                columns=("public", "ratifies for", "threshold", "rules"),
                rows=tuple(
                    (
                        p.label,
                        scenario.actor(p.of).label,
                        f"rejection below {p.threshold:.0%}",
                        str(len(p.rules)),
                    )
                    for p in scenario.publics
                ),
                caption="Who at home must say yes.",
            )
        )
    n_assumed = sum(1 for f in inputs_table(scenario).flags if f == "assumed")
    paragraphs = [
        f"{len(scenario.actors)} actors ({sum(a.veto for a in scenario.actors)} with a veto), "
        f"{len(scenario.issues)} issues and {len(scenario.publics)} public(s). "
        f"{n_assumed} inputs rest in part on assumptions; they are flagged in the table of inputs."
    ]
    if scenario.description:
        paragraphs.insert(0, scenario.description.strip())
    return Section("glance", "The scenario at a glance", tuple(paragraphs), tuple(tables))


def _package_text(scenario: Scenario, package: Mapping[str, str]) -> str:
    return "; ".join(
        f"{scenario.issue(i).label}: {_option_label(scenario, i, o)}" for i, o in package.items()
    )


def _verdict(scenario: Scenario, analysis: Analysis) -> Section:
    bullets = tuple(analysis.reasons)
    share = analysis.ratified_count / analysis.packages if analysis.packages else 0.0
    paragraphs = [
        f"Of {analysis.packages:,} possible packages, {analysis.zopa_count:,} beat every veto "
        f"actor's batna (the ZOPA) and {analysis.ratified_count:,} ({share:.1%}) are also "
        f"ratified by every public; {len(analysis.frontier):,} of those are Pareto-optimal."
    ]
    blockers = Table(
        columns=("who", "kind", "blocks", "blocks alone", "share of all packages"),
        rows=tuple(
            (
                b.label,
                b.kind,
                f"{b.packages:,}",
                f"{b.sole:,}",
                f"{b.packages / analysis.packages:.0%}" if analysis.packages else "",
            )
            for b in sorted(analysis.blockers, key=lambda b: -b.packages)
        ),
        caption="Who blocks: a veto actor blocks a package that does not beat its batna; a "
        "public blocks one it would not ratify. 'Alone' counts packages nobody else blocks.",
    )
    tables = [blockers]
    if any(p is not None for p in analysis.solutions.values()):
        solutions = Table(
            columns=("solution", "package", *(scenario.actor(a).label for a in analysis.veto)),
            rows=tuple(
                (
                    SOLUTION_NAMES.get(name, name),
                    _package_text(scenario, p.package),
                    *(f"{p.utility[a]:.3f}" for a in analysis.veto),
                )
                for name, p in analysis.solutions.items()
                if p is not None
            ),
            caption="Where bargaining over the ratified ZOPA would land under four classic "
            "solutions (utilities of the veto actors).",
        )
        tables.append(solutions)
    return Section("verdict", "Why", tuple(paragraphs), tuple(tables), bullets=bullets)


def _hover_texts(scenario: Scenario, examples: Sequence[int], counts: Sequence[int]) -> list[str]:
    """Hover text of merged points: the count and an example package, option by option."""
    space = Space.of(scenario)
    options = space.options_of(np.asarray(examples, dtype=np.int64))
    labels = [[f"{issue.label}: {o.label}" for o in issue.options] for issue in scenario.issues]
    out = []
    for row, count in zip(options.tolist(), counts, strict=True):
        head = f"{count:,} package{'s' if count != 1 else ''}" + (", e.g." if count > 1 else ":")
        out.append(head + "<br>" + "<br>".join(labels[i][k] for i, k in enumerate(row)))
    return out


def frontier_figure(
    scenario: Scenario,
    analysis: Analysis,
    cloud: Cloud,
    *,
    hover: Literal["text", "index"] = "text",
) -> Figure:
    """The settlement picture over two actors' utilities.

    Every package is a point coloured by who blocks it; the ratified ZOPA is
    green, its Pareto frontier outlined, the four bargaining solutions marked,
    and the actors' batnas drawn as lines. When the ratified ZOPA is empty the
    colours show who stands in the way.

    Parameters
    ----------
    scenario, analysis, cloud
        The scenario, ``analyze(scenario)`` and ``package_cloud(scenario, x, y)``.
    hover : {"text", "index"}, default "text"
        ``"text"`` puts an example package's options in every point's hover
        text (self-contained, for the report); ``"index"`` puts
        ``[example package index, count]`` in ``customdata`` instead, a much
        smaller figure for clients that look packages up themselves (the web app).
    """
    ax, ay = scenario.actor(cloud.x), scenario.actor(cloud.y)
    # one colour per possible blocker, in scenario order, so variants compare at a glance
    blockers = (
        [f"actor:{a.id}" for a in scenario.actors if a.veto]
        + [f"public:{p.id}" for p in scenario.publics]
        + [f"legislature:{g.id}" for g in scenario.legislatures]
    )
    colours: dict[str, str] = {
        "ratified": "#1e8449",
        "several": "#b3b6b7",
        "red_line": _RED_LINES[-1],
    } | {b: _PALETTE[k % len(_PALETTE)] for k, b in enumerate(blockers)}
    # a crossed red line is its own colour (dark, one per veto actor) and marker (a cross)
    veto = [a.id for a in scenario.actors if a.veto]
    colours |= {f"red_line:{a}": _RED_LINES[k % (len(_RED_LINES) - 1)] for k, a in enumerate(veto)}
    hover_limit = 5000
    data: list[dict[str, Any]] = []
    for group in sorted(cloud.groups, key=lambda g: g.status == "ratified"):
        trace: dict[str, Any] = {
            "type": "scattergl" if len(group.x) > hover_limit else "scatter",
            "mode": "markers",
            "name": f"{group.label} ({group.packages:,})",
            "x": list(group.x),
            "y": list(group.y),
            "marker": {
                "color": colours[group.status],
                "size": [min(14.0, 5.0 + 1.5 * (c**0.5 - 1)) for c in group.count],
                "opacity": 0.9 if group.status == "ratified" else 0.55,
                "line": {"width": 0},
            },
        }
        if group.status.startswith("red_line"):
            trace["marker"] |= {"symbol": "x", "opacity": 0.75}
        if hover == "index":
            trace["customdata"] = [[e, c] for e, c in zip(group.example, group.count, strict=True)]
            trace["hovertemplate"] = (
                "%{customdata[1]} package(s) at (%{x:.3f}, %{y:.3f})<extra>"
                + group.label
                + "</extra>"
            )
        elif len(group.x) <= hover_limit:
            trace["text"] = _hover_texts(scenario, group.example, group.count)
            trace["hovertemplate"] = "%{text}<extra>" + group.label + "</extra>"
        else:
            trace["hoverinfo"] = "x+y+name"
        data.append(trace)
    if analysis.frontier:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"Pareto frontier ({len(analysis.frontier):,})",
                "x": [p.utility[ax.id] for p in analysis.frontier],
                "y": [p.utility[ay.id] for p in analysis.frontier],
                "text": [_package_text(scenario, p.package) for p in analysis.frontier],
                "hovertemplate": "%{text}<extra>Pareto frontier</extra>",
                "marker": {
                    "color": "rgba(0,0,0,0)",
                    "size": 13,
                    "line": {"color": "#0b5345", "width": 2},
                },
            }
        )
    symbols = {
        "nash": "star",
        "kalai_smorodinsky": "diamond",
        "egalitarian": "square",
        "utilitarian": "triangle-up",
    }
    for name, point in analysis.solutions.items():
        if point is None:
            continue
        data.append(_solution_trace(scenario, name, point, ax.id, ay.id, symbols.get(name, "x")))
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    bx, by = analysis.batna.get(ax.id), analysis.batna.get(ay.id)
    for actor, value, axis in ((ax, bx, "x"), (ay, by, "y")):
        if value is None:
            continue
        line = {"color": "#34495e", "width": 1.5, "dash": "dash"}
        if axis == "x":
            shapes.append(
                {
                    "type": "line",
                    "x0": value,
                    "x1": value,
                    "y0": 0,
                    "y1": 1,
                    "yref": "paper",
                    "line": line,
                }
            )
            annotations.append(
                {
                    "x": value,
                    "y": 1.0,
                    "yref": "paper",
                    "yanchor": "bottom",
                    "text": f"{actor.label}'s batna {value:.2f}",
                    "showarrow": False,
                    "font": {"size": 11, "color": "#34495e"},
                }
            )
        else:
            shapes.append(
                {
                    "type": "line",
                    "y0": value,
                    "y1": value,
                    "x0": 0,
                    "x1": 1,
                    "xref": "paper",
                    "line": line,
                }
            )
            annotations.append(
                {
                    "y": value,
                    "x": 1.0,
                    "xref": "paper",
                    "xanchor": "right",
                    "yanchor": "bottom",
                    "text": f"{actor.label}'s batna {value:.2f}",
                    "showarrow": False,
                    "font": {"size": 11, "color": "#34495e"},
                }
            )
    if bx is not None and by is not None:
        shapes.append(
            {
                "type": "rect",
                "x0": bx,
                "x1": 1,
                "y0": by,
                "y1": 1,
                "layer": "below",
                "fillcolor": "rgba(30,132,73,0.07)",
                "line": {"width": 0},
            }
        )
    layout = {
        "xaxis": {
            "title": {"text": f"{ax.label}: utility"},
            "range": [-0.02, 1.02],
            "zeroline": False,
            "gridcolor": "#eceff1",
        },
        "yaxis": {
            "title": {"text": f"{ay.label}: utility"},
            "range": [-0.02, 1.02],
            "zeroline": False,
            "gridcolor": "#eceff1",
        },
        "shapes": shapes,
        "annotations": annotations,
        "legend": {"orientation": "h", "y": -0.18, "font": {"size": 11}},
        "margin": {"l": 60, "r": 20, "t": 30, "b": 40},
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
        "hovermode": "closest",
        "height": 560,
    }
    return Figure(
        id=f"frontier-{ax.id}-{ay.id}",
        title=f"Settlement space: {ax.label} against {ay.label}",
        caption=_frontier_caption(scenario, analysis, cloud),
        spec={"data": data, "layout": layout},
    )


def _solution_trace(
    scenario: Scenario, name: str, point: FrontierPoint, x: str, y: str, symbol: str
) -> dict[str, Any]:
    label = SOLUTION_NAMES.get(name, name)
    return {
        "type": "scatter",
        "mode": "markers",
        "name": label,
        "x": [point.utility[x]],
        "y": [point.utility[y]],
        "customdata": [_package_text(scenario, point.package)],
        "hovertemplate": "%{customdata}<extra>" + label + "</extra>",
        "marker": {
            "symbol": symbol,
            "size": 15,
            "color": "#f1c40f",
            "line": {"color": "#212f3d", "width": 1.5},
        },
    }


def _frontier_caption(scenario: Scenario, analysis: Analysis, cloud: Cloud) -> str:
    ax, ay = scenario.actor(cloud.x), scenario.actor(cloud.y)
    total = sum(g.packages for g in cloud.groups)
    text = (
        f"Each point is a package (all {total:,}; packages with the same two utilities are "
        f"merged, larger points hold more). The axes are {ax.label}'s and {ay.label}'s "
        "utilities; dashed lines are batnas, and the shaded corner holds the packages both "
        "prefer to going on fighting. "
    )
    crossing = [g for g in cloud.groups if g.status.startswith("red_line")]
    if crossing:
        whose = [
            (f"{scenario.actor(g.status[9:]).label}'s" if ":" in g.status else "several actors'")
            + f": {g.packages:,}"
            for g in crossing
        ]
        text += (
            f"Crosses mark the {sum(g.packages for g in crossing):,} packages that cross a veto "
            f"actor's red line, refused whatever else they give ({'; '.join(whose)}). "
        )
    bx, by = analysis.batna.get(ax.id), analysis.batna.get(ay.id)
    if analysis.ratified_count:
        text += (
            f"Green points ({analysis.ratified_count:,}) are the ratified ZOPA; the outlined "
            "ones are its Pareto frontier and the yellow markers the bargaining solutions."
        )
        return text
    text += "No point is green: the ratified ZOPA is empty. "
    if bx is not None and by is not None:
        corner = {
            g.label: sum(
                c for gx, gy, c in zip(g.x, g.y, g.count, strict=True) if gx > bx and gy > by
            )
            for g in cloud.groups
        }
        inside = sum(corner.values())
        if inside == 0:
            text += (
                f"No package at all gives both {ax.label} and {ay.label} more than their batnas."
            )
        else:
            parts = [
                f"{n:,} {label}" for label, n in sorted(corner.items(), key=lambda kv: -kv[1]) if n
            ]
            text += (
                f"{inside:,} packages beat both batnas, but someone else blocks each of them: "
                + "; ".join(parts)
                + "."
            )
    return text


def build_report(
    problem: Problem,
    analysis: Analysis,
    *,
    axes: tuple[str, str] | None = None,
    extras: Sequence[Section] = (),
    wired: Sequence[str] = (),
    missing: Sequence[str] = (),
    origin: str = "",
    forecasts: dict[str, dict[str, Any]] | None = None,
) -> Report:
    """Assemble the report of a scenario's analysis.

    Parameters
    ----------
    problem : Problem
        The compiled scenario (a batch of one).
    analysis : Analysis
        ``analyze(problem)``.
    axes : (str, str), optional
        The two actors of the settlement picture; default the first two veto actors.
    extras : sequence of Section
        Further sections from :mod:`offramp.report.extras` (forecasts, sweeps, ...).
    wired, missing : sequence of str
        Names of the optional sections included, and sentences naming those left out
        and why (shown in the report).
    origin : str, optional
        Where the results come from, e.g. the stored run id (shown under the title).
    forecasts : dict, optional
        Per model, ``offramp forecast --json``'s ``issues`` (written to ``report.json``).

    Returns
    -------
    Report

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.assess import analyze
    >>> from offramp.problem import compile_problem
    >>> from offramp.scenario import load_scenario
    >>> s = load_scenario(Path(__file__).parents[3] / "scenarios" / "textbook-two-party.yaml")
    >>> p = compile_problem(s)
    >>> report = build_report(p, analyze(p))
    >>> [section.id for section in report.sections]
    ['verdict', 'picture', 'glance', 'inputs']
    """
    scenario = problem.scenario
    x, y = axes if axes is not None else (None, None)
    cloud = package_cloud(problem, x, y)
    picture = Section(
        "picture",
        "The settlement space",
        figures=(frontier_figure(scenario, analysis, cloud),),
    )
    inputs = Section(
        "inputs",
        "Inputs and their sources",
        tables=(inputs_table(scenario),),
    )
    # results first, then the scenario itself as a reference at the end
    sections = (_verdict(scenario, analysis), picture, *extras, _glance(scenario), inputs)
    return Report(
        scenario=scenario.id,
        title=scenario.title,
        as_of=scenario.as_of.isoformat(),
        verdict=analysis.verdict,
        settled=analysis.ratified_count > 0,
        sections=sections,
        version=__version__,
        scenario_hash=analysis.scenario_hash,
        wired=tuple(wired),
        missing=tuple(missing),
        origin=origin,
        forecasts=dict(forecasts or {}),
    )
