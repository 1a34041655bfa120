"""The workbench in a real browser: Debian's chromium driven by Playwright.

The test starts ``offramp serve`` on loopback itself, loads the Ukraine
scenario, moves Russia's batna slider, waits for the verdict to change, saves
the variant and compares it with the original. Screenshots are kept in
``offramp-out/test-artifacts/``. The browser is ``/usr/bin/chromium``
(``apt-get install chromium``; ``.ci/run`` installs it); Playwright never
downloads one.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from offramp.scenario import load_scenario
from tests.browsing import ARTIFACTS, CHROMIUM, launched, serving
from tests.conftest import SCENARIOS, ratifiable_ukraine

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium; "
    ".ci/run installs it)",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("served")
    # a Ukraine whose public might pass a freeze, so the verdict can change
    (folder / "ukraine-2024-09.yaml").write_text(ratifiable_ukraine(), encoding="utf-8")
    shutil.copy(SCENARIOS / "textbook-two-party.yaml", folder / "textbook-two-party.yaml")
    with serving(folder) as url:
        yield url, folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched() as chromium:
        yield chromium


def test_move_russias_batna_and_save_the_variant(browser: Any, server: tuple[str, Path]) -> None:
    url, folder = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    verdict = page.get_by_test_id("verdict")
    verdict.filter(has_text="No settlement").wait_for(timeout=30_000)
    page.locator("#plot .main-svg").first.wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "workbench-ukraine.png"), full_page=False)

    # Russia's batna is a distribution: its parameters are shown, a number is a choice
    assert page.get_by_test_id("dist-batna-russia-1").input_value() == "0.7"
    assert page.get_by_test_id("batna-russia").count() == 0
    page.get_by_test_id("point-batna-russia").check()
    slider = page.get_by_test_id("batna-russia")
    assert slider.input_value() == "0.7"
    slider.fill("0.5")
    verdict.filter(has_text="A settlement is possible").wait_for(timeout=30_000)
    assert page.get_by_test_id("batna-russia-field").input_value() == "0.5"
    assert "Russia batna" in page.locator("#edit-list").inner_text()
    page.screenshot(path=str(ARTIFACTS / "workbench-russia-batna-0.5.png"), full_page=False)

    page.get_by_test_id("save-name").fill("ukraine-russia-0.5.yaml")
    with page.expect_download() as download:
        page.get_by_test_id("save").click()
    page.get_by_test_id("save-status").filter(has_text="Saved as").wait_for(timeout=30_000)
    saved = folder / "ukraine-russia-0.5.yaml"
    assert saved.exists() and download.value.suggested_filename == saved.name
    text = saved.read_text()
    assert "# Scales: on every issue, 0 is Kyiv's stated aim and 100 is Moscow's." in text
    variant = load_scenario(saved)
    assert variant.actor("russia").batna == 0.5 and variant.id == "ukraine-russia-0-5"

    # compare: variant B (Russia's batna as written) beside variant A (edited)
    page.get_by_test_id("compare").click()
    page.get_by_test_id("verdict-A").filter(has_text="A settlement is possible").wait_for(
        timeout=30_000
    )
    page.get_by_test_id("verdict-B").filter(has_text="No settlement").wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "workbench-compare.png"), full_page=False)

    assert not errors, errors
    # nothing but the server itself was asked for anything
    assert all(r.startswith(url) or r.startswith("blob:") for r in requests), requests
    page.close()


def test_invalid_upload_shows_file_line_problems(
    browser: Any, server: tuple[str, Path], tmp_path: Path
) -> None:
    url, _ = server
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (SCENARIOS / "textbook-two-party.yaml").read_text().replace("batna: 0.35", "batna: 7")
    )
    page = browser.new_page()
    page.goto(url)
    page.get_by_test_id("verdict").filter(has_text="settlement").wait_for(timeout=30_000)
    page.locator("#upload").set_input_files(str(bad))
    problems = page.locator("#problems")
    problems.filter(has_text="bad.yaml:").wait_for(timeout=30_000)
    assert "actors[1].batna: must be at most 1; got 7" in problems.inner_text()
    page.screenshot(path=str(ARTIFACTS / "workbench-invalid-upload.png"))
    page.close()


def test_event_probability_slider_and_monte_carlo_sweep(
    browser: Any, server: tuple[str, Path]
) -> None:
    url, _ = server
    page = browser.new_page(viewport={"width": 1440, "height": 1100})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.get_by_test_id("verdict").filter(has_text="No settlement").wait_for(timeout=30_000)
    # the US election has two branches: moving one sets the other to 1 - p
    harris = page.get_by_test_id("prob-us_election-harris")
    assert harris.input_value() == "0.5"
    harris.fill("0.3")
    trump = page.get_by_test_id("prob-us_election-trump-field")
    page.wait_for_function(
        "document.querySelector('[data-testid=\"prob-us_election-trump-field\"]').value === '0.7'",
        timeout=10_000,
    )
    assert trump.input_value() == "0.7"
    page.locator("#edit-list").filter(has_text="P(Trump wins)").wait_for(timeout=30_000)
    assert "P(Harris wins) 0.5 → 0.3" in page.locator("#edit-list").inner_text()
    # the Monte Carlo sweep runs on the edited variant, with progress, and shows its chart
    page.get_by_test_id("mc-draws").fill("400")
    page.get_by_test_id("mc-run").click()
    page.get_by_test_id("mc-status").filter(has_text="done").wait_for(timeout=60_000)
    assert page.get_by_test_id("mc-result").is_visible()
    share = float(page.get_by_test_id("mc-p").inner_text().rstrip("%"))
    assert 0.0 <= share <= 100.0
    page.locator("#mc-plot .main-svg").first.wait_for(timeout=30_000)
    page.locator("#mc-card").screenshot(path=str(ARTIFACTS / "workbench-monte-carlo.png"))
    assert not errors, errors
    page.close()


def test_report_draws_every_figure_offline(browser: Any, tmp_path: Path) -> None:
    """The compact report (gzip'd plotly.js, packed hover texts) draws in a browser, offline."""
    from offramp.problem import compile_problem
    from offramp.report import render_html, report_for

    report = report_for(compile_problem(load_scenario(SCENARIOS / "ukraine-2024-09.yaml")))
    path = tmp_path / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_function(
        "document.querySelectorAll('div.plot').length > 0 && "
        "document.querySelectorAll('div.plot .main-svg').length >= "
        "document.querySelectorAll('div.plot').length",
        timeout=60_000,
    )
    figures = [f for section in report.sections for f in section.figures]
    frontier = next(f for f in figures if f.id.startswith("frontier"))
    drawn = page.evaluate(f"document.getElementById('plot-{frontier.id}').data.map(t => t.text)")
    assert drawn == [t.get("text") for t in frontier.spec["data"]]
    assert not errors, errors
    assert all(r.startswith("file://") for r in requests), requests
