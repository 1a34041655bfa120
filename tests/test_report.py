"""The report: self-contained HTML, Markdown, and the picture's data agreeing with the analysis."""

from __future__ import annotations

import dataclasses
import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from offramp.assess import analyze
from offramp.durability import war_paths
from offramp.forecast.scenario import FORECAST_MODELS, forecast_problem, issue_inputs
from offramp.negotiate import negotiate
from offramp.problem import compile_problem
from offramp.report import (
    Cloud,
    build_report,
    package_cloud,
    render_html,
    render_markdown,
    report_for,
    report_for_run,
)
from offramp.report.extras import forecast_section, run_forecasts
from offramp.report.sections import factor_label
from offramp.scenario import load_scenario, load_scenario_text
from offramp.settle.analysis import Analysis
from offramp.store import RunStore
from offramp.uncertainty import run_chunk, sweep
from offramp.uncertainty.sweep import wilson
from tests.conftest import MINI, ROOT, SCENARIOS, ratifiable_ukraine
from tests.strategies import scenarios

UKRAINE = SCENARIOS / "ukraine-2024-09.yaml"
TEXTBOOK = SCENARIOS / "textbook-two-party.yaml"


@pytest.fixture(scope="module")
def ukraine_html() -> str:
    scenario = load_scenario(UKRAINE)
    return render_html(report_for(compile_problem(scenario)))


def test_html_is_self_contained(ukraine_html: str) -> None:
    # no script, stylesheet, image or frame is fetched from anywhere
    assert not re.search(r"<script[^>]*\bsrc\s*=", ukraine_html, re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=", ukraine_html, re.I)
    assert not re.search(r"<(img|iframe)[^>]*\bsrc\s*=\s*[\"']?https?:", ukraine_html, re.I)
    assert not re.search(r"@import|url\(\s*[\"']?https?:", ukraine_html, re.I)
    # plotly.js is inlined (gzip-compressed) and every figure is drawn from inline JSON
    assert "Plotly.newPlot" in ukraine_html and 'id="plotly-js"' in ukraine_html


def test_html_is_under_3_mb_with_plotly_js_and_every_figure(ukraine_html: str) -> None:
    import base64
    import gzip

    from offramp.report.compact import DIGITS, unpack_spec
    from offramp.report.render import plotly_js_path

    assert len(ukraine_html.encode("utf-8")) < 3_000_000
    inline = re.search(
        r'<script type="application/gzip\+base64" id="plotly-js">([^<]*)<', ukraine_html
    )
    assert inline is not None
    bundle = gzip.decompress(base64.b64decode(inline.group(1))).decode("utf-8")
    assert bundle == plotly_js_path().read_text(encoding="utf-8")
    report = report_for(compile_problem(load_scenario(UKRAINE)))
    figures = [f for section in report.sections for f in section.figures]
    assert len(figures) >= 2
    for figure in figures:
        found = re.search(
            rf'<script type="application/json" id="spec-{re.escape(figure.id)}">([^<]*)<',
            ukraine_html,
        )
        assert found is not None
        shown = unpack_spec(json.loads(found.group(1)))
        assert shown["layout"] == json.loads(json.dumps(figure.spec["layout"]))
        for got, want in zip(shown["data"], figure.spec["data"], strict=True):
            assert got.get("text") == want.get("text")
            for key in ("x", "y"):
                if isinstance(want.get(key), list) and want[key]:
                    assert got[key] == pytest.approx(want[key], rel=10 ** (1 - DIGITS))
        if figure.id.startswith("frontier"):  # the big one: its hover texts are packed
            assert any("textpack" in t for t in json.loads(found.group(1))["data"])


def test_html_states_verdict_reasons_and_blockers(ukraine_html: str) -> None:
    analysis = analyze(compile_problem(load_scenario(UKRAINE)))
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
    # every package Russia refuses crosses one of its red lines: shown as such, not by batna
    assert any(n.startswith("crosses a red line: Russia (3,240)") for n in names)
    assert not any(n.startswith(("blocked by Russia alone", "ratified ZOPA")) for n in names)
    # both batnas drawn
    lines = [s for s in frontier["layout"]["shapes"] if s["type"] == "line"]
    assert sorted(s.get("x0") if s.get("xref") != "paper" else s["y0"] for s in lines) == [
        0.45,
        0.7,
    ]


def test_settled_picture_marks_the_four_solutions() -> None:
    scenario = load_scenario(TEXTBOOK)
    analysis = analyze(compile_problem(scenario))
    report = build_report(compile_problem(scenario), analysis)
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
    page = render_html(build_report(compile_problem(scenario), analyze(compile_problem(scenario))))
    assert "<script>alert" not in page and "&lt;script&gt;alert(" in page
    assert "</script><b>R</b>" not in page and "<b>R</b>" not in page
    # the figure JSON still decodes to the original label
    specs = re.findall(
        r'<script type="application/json" id="spec-[^"]+">(.*?)</script>', page, re.S
    )
    assert "</script><b>R</b>: utility" in json.dumps(json.loads(specs[0]), ensure_ascii=False)


def test_markdown_summary() -> None:
    scenario = load_scenario(UKRAINE)
    text = render_markdown(report_for(compile_problem(scenario), forecasts=False))
    analysis = analyze(compile_problem(scenario))
    assert text.startswith(f"# {scenario.title}\n")
    assert f"> **Verdict.** {analysis.verdict}" in text
    russia = next(b for b in analysis.blockers if b.who == "russia")
    share = f"{russia.packages / analysis.packages:.0%}"
    assert f"| Russia | actor | {russia.packages:,} | {russia.sole:,} | {share} |" in text
    assert "**[assumed]**" in text


def _blocked_alone_as_the_analysis_says(analysis: Analysis, cloud: Cloud) -> None:
    """Counts of the cloud against the analysis (every status: tests/test_report_red_lines.py)."""
    ratified = cloud.group("ratified")
    assert (ratified.packages if ratified else 0) == analysis.ratified_count
    # a package crossing a veto actor's red line is shown as such whoever else objects, so
    # "blocked by X alone" is the analysis' count exactly only when no red line is crossed
    lines = any(g.status.startswith("red_line") for g in cloud.groups)
    for blocker in analysis.blockers:
        group = cloud.group(f"{blocker.kind}:{blocker.who}")
        alone = group.packages if group else 0
        assert alone <= blocker.sole if lines else alone == blocker.sole


@pytest.mark.parametrize("path", [UKRAINE, TEXTBOOK])
def test_cloud_agrees_with_analysis(path: Path) -> None:
    scenario = load_scenario(path)
    analysis = analyze(compile_problem(scenario))
    cloud = package_cloud(compile_problem(scenario), block_size=1000)  # several blocks
    assert sum(g.packages for g in cloud.groups) == analysis.packages
    _blocked_alone_as_the_analysis_says(analysis, cloud)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_cloud_agrees_with_analysis_on_random_scenarios(scenario) -> None:  # type: ignore[no-untyped-def]
    analysis = analyze(compile_problem(scenario))
    cloud = package_cloud(compile_problem(scenario), block_size=7)
    assert sum(g.packages for g in cloud.groups) == analysis.packages
    _blocked_alone_as_the_analysis_says(analysis, cloud)
    # the lowest package index of every merged point really has that point's utilities
    from offramp.problem import Space
    from offramp.settle.space import utilities, utility_tables

    space, tables = Space.of(scenario), utility_tables(scenario)
    ids = [a.id for a in scenario.actors]
    for group in cloud.groups:
        u = utilities(tables, space.options_of(__import__("numpy").array(group.example)))
        assert [round(v, 3) for v in u[ids.index(cloud.x)]] == [round(v, 3) for v in group.x]


def test_forecast_section_shows_the_cli_forecasts() -> None:
    problem = compile_problem(load_scenario(UKRAINE))
    found, skipped = run_forecasts(problem)
    assert set(found) | set(skipped) == set(FORECAST_MODELS)
    for model, result in found.items():
        assert result.issues_dict() == forecast_problem(problem, model).issues_dict()
    territory = next(d for d in issue_inputs(problem) if d.issue == "territory")
    compromise = next(f for f in found["compromise"].issues if f.issue == "territory")
    w = territory.capability * territory.salience
    assert compromise.forecast == pytest.approx(float((w * territory.position).sum() / w.sum()))
    section = forecast_section(problem.scenario, found, skipped)
    assert section is not None
    # what the ends of each scale mean, in the scenario's own words
    assert section.bullets[0].startswith("Occupied territory: 0 is “Russia leaves all occupied")
    assert "Kyiv" not in " ".join(section.paragraphs + section.bullets)
    assert all("Kyiv" not in f.caption for f in section.figures)
    text = TEXTBOOK.read_text().replace(
        "label: Border line", "label: Border line\n    notes: 0 is the north's claim", 1
    )
    noted = load_scenario_text(text)
    section = forecast_section(noted, *run_forecasts(compile_problem(noted)))
    assert section is not None and section.bullets[0].endswith("(0 is the north's claim)")


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
    assert 1_000_000 < (folder / "report.html").stat().st_size < 3_000_000  # plotly.js inlined
    assert "No settlement" in (folder / "report.md").read_text()
    assert "No settlement" in done.stdout


def test_cli_report_one_format_and_axes(tmp_path: Path) -> None:
    done = run_cli(
        "report", str(TEXTBOOK), "--out", str(tmp_path), "--format", "md", "--axes", "south,north"
    )
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in (tmp_path / "textbook-two-party").iterdir())
    assert files == ["report.json", "report.md"]  # report.json always: the forecasts
    assert "South against North" in (tmp_path / "textbook-two-party" / "report.md").read_text()


def test_cli_report_bad_inputs_are_messages(tmp_path: Path) -> None:
    done = run_cli("report", "no-such-run", "--out", str(tmp_path))
    assert done.returncode == 1 and "no-such-run" in done.stderr and "Traceback" not in done.stderr
    done = run_cli("report", str(TEXTBOOK), "--axes", "north,nobody", "--out", str(tmp_path))
    assert done.returncode == 1 and "--axes" in done.stderr and "Traceback" not in done.stderr


# --- reports from the run store, sweeps, sensitivity, negotiation, durability over time ---


def _sweep_run(store_path: Path, scenario_path: Path, draws: int, seed: int) -> str:
    """Record a sweep the way `offramp sweep` does (scenario text, draws, summary)."""
    text = scenario_path.read_text()
    model = compile_problem(load_scenario_text(text, scenario_path.name))
    with RunStore(store_path) as store:
        run = store.start(
            "sweep",
            scenario=model.id,
            scenario_hash=model.scenario_hash,
            source=str(scenario_path),
            seed=seed,
            params={"draws": draws},
            scenario_text=text,
        )
        summary, tally = sweep(model, draws=draws, seed=seed, chunk_size=150)
        store.add_paths(run, tally.path_rows(model))
        store.finish(run, dataclasses.replace(summary, run_id=run).to_dict())
    return run


def test_report_from_a_stored_analyze_run(tmp_path: Path) -> None:
    # the scenario file is gone after the run: the store kept its text
    copy = tmp_path / "ukraine-copy.yaml"
    copy.write_text(UKRAINE.read_text())
    done = run_cli("analyze", str(copy), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    copy.unlink()
    store = tmp_path / "runs.duckdb"
    with RunStore(store, read_only=True) as s:
        (run,) = s.list()
        assert s.get(run["id"])["scenario_text"] == UKRAINE.read_text()
    out = tmp_path / "rep"
    done = run_cli("report", run["id"][:17], "--store", str(store), "--out", str(out))
    assert done.returncode == 0, done.stderr
    text = (out / "ukraine-2024-09" / "report.md").read_text()
    assert f"Built from the stored analyze run {run['id']}" in text
    assert analyze(compile_problem(load_scenario(UKRAINE))).verdict in text
    page = (out / "ukraine-2024-09" / "report.html").read_text()
    assert f"stored analyze run {run['id']}" in page and "No settlement" in page


def test_report_run_id_errors(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    analysis = analyze(compile_problem(load_scenario(TEXTBOOK)))
    with RunStore(store) as s:
        ids = [s.record_analysis(analysis, str(TEXTBOOK)) for _ in range(2)]
    prefix = ids[0][:9]  # the date part: both runs share it (ids are YYYYMMDD-HHMMSS-xxxxxx)
    assert ids[1].startswith(prefix)
    ambiguous = run_cli("report", prefix, "--store", str(store), "--out", str(tmp_path))
    assert ambiguous.returncode == 1 and "matches several runs" in ambiguous.stderr
    unknown = run_cli("report", "19990101", "--store", str(store), "--out", str(tmp_path))
    assert unknown.returncode == 1 and "no run `19990101`" in unknown.stderr
    no_store = run_cli("report", "x1", "--store", str(tmp_path / "no.duckdb"))
    assert no_store.returncode == 1 and "no run store at" in no_store.stderr
    for done in (ambiguous, unknown, no_store):
        assert "Traceback" not in done.stderr


def test_sweep_section_from_a_stored_sweep(tmp_path: Path) -> None:
    store_path = tmp_path / "runs.duckdb"
    ukraine = tmp_path / UKRAINE.name  # a public that might pass a freeze: some agreements
    ukraine.write_text(ratifiable_ukraine(), encoding="utf-8")
    run_id = _sweep_run(store_path, ukraine, draws=600, seed=7)
    with RunStore(store_path, read_only=True) as store:
        summary = store.get(run_id)["summary"]
        report, _ = report_for_run(store, run_id[:20])
    section = next(s for s in report.sections if s.id == "sweep")
    low, high = summary["p_agreement_ci"]
    assert (
        f"exists in {summary['p_agreement']:.1%} of them (95% interval {low:.1%} to {high:.1%})"
        in section.paragraphs[0]
    )
    assert f"stored sweep run {run_id}" in section.paragraphs[0]
    # by branch: the summary's draws and probabilities, Wilson intervals on them
    branches, paths, nash = section.tables
    harris = summary["by_branch"]["us_election"]["harris"]
    k = round(harris["p_agreement"] * harris["draws"])
    b_low, b_high = wilson(k, harris["draws"])
    assert branches.rows[0] == (
        "US presidential election",
        "Harris wins",
        f"{harris['draws']:,}",
        f"{harris['p_agreement']:.1%}",
        f"{b_low:.1%} to {b_high:.1%}",
    )
    bars = section.figures[0].spec["data"][0]
    assert bars["x"][-1] == harris["p_agreement"]
    assert bars["error_x"]["arrayminus"][-1] == pytest.approx(harris["p_agreement"] - b_low)
    # event paths from the stored paths: every draw counted once, agreements add up
    model = compile_problem(load_scenario(ukraine))
    draws = run_chunk(model, 7, 0, 600)
    assert sum(int(r[1].replace(",", "")) for r in paths.rows) == 600
    combos: dict[tuple[int, ...], list[int]] = {}
    for row, agreed in zip(draws.branch.tolist(), (draws.ratified > 0).tolist(), strict=True):
        combos.setdefault(tuple(row), []).append(agreed)
    top = max(combos.values(), key=len)
    assert paths.rows[0][1] == f"{len(top):,}" and paths.rows[0][3] == f"{sum(top) / len(top):.1%}"
    # Nash packages: shares as stored
    assert nash.rows[0][0] == f"{summary['nash_packages'][0]['share']:.1%}"


def test_sensitivity_section_from_a_stored_run(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    done = run_cli(
        "sensitivity", str(UKRAINE), "--samples", "4", "--store", str(store), "--json", "-"
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    with RunStore(store, read_only=True) as s:
        (run,) = s.list()
        assert run["kind"] == "sensitivity"
        report, scenario = report_for_run(s, run["id"])
    section = next(s for s in report.sections if s.id == "sensitivity")
    first = result["ranking"]["p_agreement"][0]
    assert section.tables[0].rows[0][:3] == (
        "1",
        factor_label(scenario, first),
        f"{result['indices']['p_agreement'][first]['mu_star']:.3f}",
    )
    mu = next(t for t in section.figures[0].spec["data"] if t["name"].startswith("mu*"))
    assert mu["y"][-1] == factor_label(scenario, first)
    assert mu["x"][-1] == result["indices"]["p_agreement"][first]["mu_star"]
    # a report on the file picks the stored run up by the scenario's hash
    out = tmp_path / "rep"
    done = run_cli(
        "report", str(UKRAINE), "--store", str(store), "--out", str(out), "--format", "md"
    )
    assert done.returncode == 0, done.stderr
    text = (out / "ukraine-2024-09" / "report.md").read_text()
    assert f"stored sensitivity run {run['id']}" in text
    assert "a quick sweep run for this report and not stored" in text


def test_negotiation_section_is_the_simulated_history() -> None:
    scenario = load_scenario(TEXTBOOK)
    talks = negotiate(compile_problem(scenario))
    report = report_for(compile_problem(scenario), forecasts=False)
    section = next(s for s in report.sections if s.id == "negotiation")
    assert talks.agreement is not None and talks.round is not None
    assert f"They agree in round {talks.round} " in section.paragraphs[0]
    rows = section.tables[0].rows
    # the first offers in full; then only changes; the agreement closes the table
    assert rows[0][:3] == ("0", "North", "offer") and "Border line: Current line" in rows[0][3]
    assert rows[-1] == (str(talks.round), "South", "accept", "accepts the offer on the table")
    changes = [m for m in talks.history if m.action == "offer"]
    shown = [r for r in rows if r[2] == "offer"]
    distinct = {(m.actor, tuple(sorted((m.package or {}).items()))) for m in changes}
    assert len(shown) == len(distinct)


def test_durability_over_time_chart() -> None:
    text = UKRAINE.read_text()
    start = text.index("  - id: russia\n")
    line = re.compile(r"^    batna: .*$", re.M).search(text, start)
    assert line is not None
    softer = ratifiable_ukraine(text[: line.start()] + "    batna: 0.5" + text[line.end() :])
    variant = load_scenario_text(softer)
    analysis = analyze(compile_problem(variant))
    nash = analysis.solutions["nash"]
    assert nash is not None
    report = report_for(compile_problem(variant), analysis, forecasts=False, negotiation=False)
    section = next(s for s in report.sections if s.id == "war-paths")
    figure = section.figures[0].spec["data"]
    years = figure[0]["x"]
    expected = war_paths(compile_problem(variant), nash.package, years)
    russia = next(t for t in figure if t["name"] == "Russia: value of renewed war")
    assert russia["y"] == pytest.approx(expected["russia"].tolist())
    deal = next(t for t in figure if t["name"] == "Russia: value of the deal")
    assert deal["y"][0] == pytest.approx(nash.utility["russia"])
    assert "self-enforcing" in section.paragraphs[0]
