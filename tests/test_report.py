"""The report: self-contained HTML, Markdown, and the picture's data agreeing with the analysis."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from offramp.analysis import analyze
from offramp.report import (
    build_report,
    package_cloud,
    render_html,
    render_markdown,
    report_for,
)
from offramp.report.extras import forecast_inputs, run_forecasts
from offramp.scenario import load_scenario, load_scenario_text
from tests.conftest import MINI, ROOT, SCENARIOS
from tests.strategies import scenarios

UKRAINE = SCENARIOS / "ukraine-2024-09.yaml"
TEXTBOOK = SCENARIOS / "textbook-two-party.yaml"


@pytest.fixture(scope="module")
def ukraine_html() -> str:
    scenario = load_scenario(UKRAINE)
    return render_html(report_for(scenario))


def test_html_is_self_contained(ukraine_html: str) -> None:
    # no script, stylesheet, image or frame is fetched from anywhere
    assert not re.search(r"<script[^>]*\bsrc\s*=", ukraine_html, re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=", ukraine_html, re.I)
    assert not re.search(r"<(img|iframe)[^>]*\bsrc\s*=\s*[\"']?https?:", ukraine_html, re.I)
    assert not re.search(r"@import|url\(\s*[\"']?https?:", ukraine_html, re.I)
    # plotly.js is inlined (its bundle is megabytes) and every figure is drawn from inline JSON
    assert "Plotly.newPlot" in ukraine_html and len(ukraine_html) > 3_000_000


def test_html_states_verdict_reasons_and_blockers(ukraine_html: str) -> None:
    analysis = analyze(load_scenario(UKRAINE))
    text = html.unescape(ukraine_html)
    assert analysis.verdict in text
    assert "No settlement" in text
    for reason in analysis.reasons:
        assert reason in text
    for blocker in analysis.blockers:
        assert f"<td>{blocker.label}</td>" in text and f"{blocker.packages:,}" in text


def test_html_lists_every_input_with_source_and_flags_assumptions(ukraine_html: str) -> None:
    scenario = load_scenario(UKRAINE)
    text = html.unescape(ukraine_html)
    quotes = [s.quote for a in scenario.actors for s in a.stances if s.quote]
    assert quotes and all(q in text for q in quotes)
    for public in scenario.publics:
        for rule in public.rules:
            assert f"rejection {rule.reject:.0%}" in text
    n_assumed = (
        sum(1 for a in scenario.actors if a.assumed)
        + sum(1 for a in scenario.actors for s in a.stances if s.assumed)
        + sum(1 for p in scenario.publics if p.assumed)
        + sum(1 for p in scenario.publics for r in p.rules if r.assumed)
    )
    assert ukraine_html.count('<span class="badge assumed">') == n_assumed


def test_no_deal_picture_colours_packages_by_blocker(ukraine_html: str) -> None:
    specs = re.findall(
        r'<script type="application/json" id="spec-([^"]+)">(.*?)</script>', ukraine_html, re.S
    )
    frontier = json.loads(dict(specs)["frontier-ukraine-russia"])
    names = [trace["name"] for trace in frontier["data"]]
    assert any(n.startswith("blocked by Russia alone") for n in names)
    assert not any(n.startswith("ratified ZOPA") for n in names)
    # both batnas drawn
    lines = [s for s in frontier["layout"]["shapes"] if s["type"] == "line"]
    assert sorted(s.get("x0") if s.get("xref") != "paper" else s["y0"] for s in lines) == [
        0.45,
        0.7,
    ]


def test_settled_picture_marks_the_four_solutions() -> None:
    scenario = load_scenario(TEXTBOOK)
    analysis = analyze(scenario)
    report = build_report(scenario, analysis)
    figure = next(f for s in report.sections for f in s.figures)
    names = {trace["name"] for trace in figure.spec["data"]}
    assert {"Nash", "Kalai–Smorodinsky", "Egalitarian", "Utilitarian"} <= names
    nash = next(t for t in figure.spec["data"] if t["name"] == "Nash")
    point = analysis.solutions["nash"]
    assert point is not None
    x, y = figure.id.split("-")[1:3]
    assert (nash["x"][0], nash["y"][0]) == (point.utility[x], point.utility[y])
    assert "Green points (4)" in figure.caption


def test_text_and_figures_are_escaped() -> None:
    nasty = MINI.replace("title: Mini", "title: \"<script>alert('t')</script> & co\"").replace(
        "label: Russia", 'label: "</script><b>R</b>"'
    )
    scenario = load_scenario_text(nasty)
    page = render_html(build_report(scenario, analyze(scenario)))
    assert "<script>alert" not in page and "&lt;script&gt;alert(" in page
    assert "</script><b>R</b>" not in page and "<b>R</b>" not in page
    # the figure JSON still decodes to the original label
    specs = re.findall(
        r'<script type="application/json" id="spec-[^"]+">(.*?)</script>', page, re.S
    )
    assert "</script><b>R</b>: utility" in json.dumps(json.loads(specs[0]), ensure_ascii=False)


def test_markdown_summary() -> None:
    scenario = load_scenario(UKRAINE)
    text = render_markdown(report_for(scenario, forecasts=False))
    analysis = analyze(scenario)
    assert text.startswith(f"# {scenario.title}\n")
    assert f"> **Verdict.** {analysis.verdict}" in text
    assert "| Russia | actor | 4,553 | 1,373 | 88% |" in text
    assert "**[assumed]**" in text


@pytest.mark.parametrize("path", [UKRAINE, TEXTBOOK])
def test_cloud_agrees_with_analysis(path: Path) -> None:
    scenario = load_scenario(path)
    analysis = analyze(scenario)
    cloud = package_cloud(scenario, block_size=1000)  # several blocks
    assert sum(g.packages for g in cloud.groups) == analysis.packages
    ratified = cloud.group("ratified")
    assert (ratified.packages if ratified else 0) == analysis.ratified_count
    for blocker in analysis.blockers:
        group = cloud.group(f"{blocker.kind}:{blocker.who}")
        assert (group.packages if group else 0) == blocker.sole


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_cloud_agrees_with_analysis_on_random_scenarios(scenario) -> None:  # type: ignore[no-untyped-def]
    analysis = analyze(scenario)
    cloud = package_cloud(scenario, block_size=7)
    assert sum(g.packages for g in cloud.groups) == analysis.packages
    ratified = cloud.group("ratified")
    assert (ratified.packages if ratified else 0) == analysis.ratified_count
    for blocker in analysis.blockers:
        group = cloud.group(f"{blocker.kind}:{blocker.who}")
        assert (group.packages if group else 0) == blocker.sole
    # the lowest package index of every merged point really has that point's utilities
    from offramp.space import Space, utilities, utility_tables

    space, tables = Space.of(scenario), utility_tables(scenario)
    ids = [a.id for a in scenario.actors]
    for group in cloud.groups:
        u = utilities(tables, space.options_of(__import__("numpy").array(group.example)))
        assert [round(v, 3) for v in u[ids.index(cloud.x)]] == [round(v, 3) for v in group.x]


def test_forecast_inputs_and_section() -> None:
    scenario = load_scenario(UKRAINE)
    territory = forecast_inputs(scenario)[0]
    # Russia's territory stance: cede_claimed (at 100), salience 1.5 of its total 4.8
    k = territory.actors.index("russia")
    assert territory.position[k] == 100.0
    assert territory.salience[k] == pytest.approx(1.5 / 4.8)
    forecasts, _ = run_forecasts(scenario)
    compromise = next(f for f in forecasts if f.model == "compromise" and f.issue == "territory")
    w = territory.capability * territory.salience
    assert compromise.final == pytest.approx(float((w * territory.position).sum() / w.sum()))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "offramp", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_cli_report_writes_html_and_md(tmp_path: Path) -> None:
    done = run_cli("report", str(UKRAINE), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "ukraine-2024-09"
    assert (folder / "report.html").stat().st_size > 3_000_000
    assert "No settlement" in (folder / "report.md").read_text()
    assert "No settlement" in done.stdout


def test_cli_report_one_format_and_axes(tmp_path: Path) -> None:
    done = run_cli(
        "report", str(TEXTBOOK), "--out", str(tmp_path), "--format", "md", "--axes", "south,north"
    )
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in (tmp_path / "textbook-two-party").iterdir())
    assert files == ["report.md"]
    assert "South against North" in (tmp_path / "textbook-two-party" / "report.md").read_text()


def test_cli_report_bad_inputs_are_messages(tmp_path: Path) -> None:
    done = run_cli("report", "no-such-run", "--out", str(tmp_path))
    assert done.returncode == 1 and "no-such-run" in done.stderr and "Traceback" not in done.stderr
    done = run_cli("report", str(TEXTBOOK), "--axes", "north,nobody", "--out", str(tmp_path))
    assert done.returncode == 1 and "--axes" in done.stderr and "Traceback" not in done.stderr
