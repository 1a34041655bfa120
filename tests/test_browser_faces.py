"""What a new user meets in the workbench, checked in Debian's chromium (Playwright).

API docs that work offline, file names in the dropdown, ``serve FILE`` opening
FILE, an invalid file's FILE:LINE problems on the page, charts titled with
the model and its options, and distributions edited as distributions.
Screenshots go to ``offramp-out/test-artifacts/``.
"""

from __future__ import annotations

import re
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
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
)
TEXTBOOK = SCENARIOS / "textbook-two-party.yaml"
UKRAINE = SCENARIOS / "ukraine-2024-09.yaml"
WAIT = 60_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ukraine, the textbook, and a copy of the textbook under another name (same title)."""
    root = tmp_path_factory.mktemp("faces")
    # a Ukraine whose public might pass a freeze, so verdicts can change (conftest)
    (root / "ukraine-2024-09.yaml").write_text(ratifiable_ukraine(), encoding="utf-8")
    shutil.copy(TEXTBOOK, root / "a-textbook.yaml")
    shutil.copy(TEXTBOOK, root / "b-textbook-copy.yaml")
    return root


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[str]:
    with serving(folder) as url:
        yield url


def _offline_page(browser: Any, url: str) -> tuple[Any, list[str]]:
    """A page that may reach only the server: anything else is blocked and recorded."""
    page = browser.new_page(viewport={"width": 1440, "height": 1100})
    outside: list[str] = []

    def route(request_route: Any) -> None:
        if request_route.request.url.startswith(url) or request_route.request.url.startswith(
            ("blob:", "data:")
        ):
            request_route.continue_()
        else:
            outside.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    return page, outside


def expect(locator: Any) -> Any:
    """Playwright's retrying assertions (imported late: the module is skipped without chromium)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _svg_text(locator: Any) -> str:
    """The text of an SVG element (a Plotly title), which has no innerText."""
    return str(locator.text_content() or "")


def test_api_docs_work_offline(browser: Any, server: str) -> None:
    page, outside = _offline_page(browser, server)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "docs")
    page.locator(".swagger-ui .opblock-summary-path").first.wait_for(timeout=WAIT)
    paths = page.locator(".swagger-ui .opblock-summary-path").all_inner_texts()
    assert "/analyze" in paths and "/scenarios" in paths
    page.screenshot(path=str(ARTIFACTS / "api-docs-offline.png"))
    page.get_by_text("Analyze a scenario's settlement space").first.click()
    page.get_by_text("Try it out").first.wait_for(timeout=WAIT)
    assert not outside, outside
    assert not errors, errors
    page.close()


def test_dropdown_shows_file_names_with_titles(browser: Any, server: str) -> None:
    page, outside = _offline_page(browser, server)
    page.goto(server)
    page.get_by_test_id("verdict").filter(has_text="No settlement").wait_for(timeout=WAIT)
    options = page.locator("#scenario-select option").all_inner_texts()
    title = load_scenario(TEXTBOOK).title
    assert f"a-textbook.yaml — {title}" in options
    assert f"b-textbook-copy.yaml — {title}" in options
    assert page.locator("#scenario-select").input_value() == "ukraine-2024-09.yaml"
    page.locator("#scenario-select").select_option("b-textbook-copy.yaml")
    page.get_by_test_id("verdict").filter(has_text="A settlement is possible").wait_for(
        timeout=WAIT
    )
    assert not outside
    page.close()


def test_serve_file_opens_that_file(browser: Any, folder: Path) -> None:
    # not the first file of its folder, alphabetically
    with serving(folder / "b-textbook-copy.yaml") as url:
        page, _ = _offline_page(browser, url)
        page.goto(url)
        page.get_by_test_id("verdict").filter(has_text="A settlement is possible").wait_for(
            timeout=WAIT
        )
        assert page.locator("#scenario-select").input_value() == "b-textbook-copy.yaml"
        page.close()


def test_an_invalid_served_file_shows_its_problems(browser: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        TEXTBOOK.read_text()
        .replace("batna: 0.35", "batna: 7")
        .replace("issue: sanctions", "issue: sanction", 1)
    )
    with serving(bad) as url:
        page, _ = _offline_page(browser, url)
        page.goto(url)
        verdict = page.get_by_test_id("verdict")
        verdict.filter(has_text="Cannot open bad.yaml").wait_for(timeout=WAIT)
        problems = page.locator("#problems").inner_text()
        assert re.search(r"bad\.yaml:\d+: actors\[1\]\.batna: must be at most 1; got 7", problems)
        stance = r"bad\.yaml:\d+: actors\[0\]\.stances\[2\]\.issue: unknown issue"
        assert re.search(stance, problems)
        assert "Loading" not in verdict.inner_text()
        page.screenshot(path=str(ARTIFACTS / "workbench-invalid-file.png"))
        page.close()


def test_every_chart_is_titled_with_its_model_and_options(browser: Any, server: str) -> None:
    page, _ = _offline_page(browser, server)
    page.goto(server + "?scenario=a-textbook.yaml")
    page.get_by_test_id("verdict").filter(has_text="A settlement is possible").wait_for(
        timeout=WAIT
    )
    page.locator("#plot .gtitle").first.wait_for(timeout=WAIT)
    assert page.locator("#figure-title").inner_text() in _svg_text(page.locator("#plot .gtitle"))
    eu = page.get_by_test_id("forecast-plot-eu")
    eu.locator(".gtitle").wait_for(timeout=WAIT)
    title = _svg_text(eu.locator(".gtitle"))
    assert "Expected-utility model" in title and "rounds=10" in title
    for chart in page.locator("[data-testid^=forecast-plot-]").all():
        assert _svg_text(chart.locator(".gtitle")).strip()
    page.locator("#sweep-run").click()
    page.locator("#sweep-plot .gtitle").wait_for(timeout=WAIT)
    assert "One-way sweep" in _svg_text(page.locator("#sweep-plot .gtitle"))
    # the Monte Carlo chart (Ukraine: the textbook has nothing uncertain)
    page.goto(server)
    page.get_by_test_id("verdict").filter(has_text="No settlement").wait_for(timeout=WAIT)
    page.get_by_test_id("mc-draws").fill("200")
    page.get_by_test_id("mc-run").click()
    page.get_by_test_id("mc-status").filter(has_text="done").wait_for(timeout=WAIT)
    page.locator("#mc-plot .gtitle").wait_for(timeout=WAIT)
    assert "200 draws, seed 0" in _svg_text(page.locator("#mc-plot .gtitle"))
    page.screenshot(path=str(ARTIFACTS / "workbench-titled-charts.png"), full_page=True)
    page.close()


def test_distributions_are_edited_as_distributions(browser: Any, server: str, folder: Path) -> None:
    page, _ = _offline_page(browser, server)
    page.goto(server)
    verdict = page.get_by_test_id("verdict")
    verdict.filter(has_text="No settlement").wait_for(timeout=WAIT)
    # Russia's batna is triangular [0.65, 0.7, 0.8]: three fields, no point slider
    fields = [page.get_by_test_id(f"dist-batna-russia-{k}") for k in range(3)]
    assert [f.input_value() for f in fields] == ["0.65", "0.7", "0.8"]
    assert page.get_by_test_id("batna-russia").count() == 0
    fields[0].fill("0.4")
    fields[0].dispatch_event("change")
    fields[1].fill("0.45")
    fields[1].dispatch_event("change")
    fields[2].fill("0.5")
    fields[2].dispatch_event("change")
    verdict.filter(has_text="A settlement is possible").wait_for(timeout=WAIT)
    expect(page.locator("#edit-list")).to_contain_text(
        "triangular(0.65, 0.7, 0.8) → triangular(0.4, 0.45, 0.5)", timeout=WAIT
    )
    page.screenshot(path=str(ARTIFACTS / "workbench-distribution.png"))
    page.get_by_test_id("save-name").fill("ukraine-russia-triangular.yaml")
    with page.expect_download():
        page.get_by_test_id("save").click()
    page.get_by_test_id("save-status").filter(has_text="Saved as").wait_for(timeout=WAIT)
    saved = folder / "ukraine-russia-triangular.yaml"
    assert "batna: {triangular: [0.4, 0.45, 0.5]}" in saved.read_text()
    russia = load_scenario(saved).actor("russia")
    assert russia.batna == 0.45 and russia.batna.distribution is not None  # type: ignore[union-attr]
    # a point value is an explicit choice, and undoing it restores the distribution
    page.get_by_test_id("point-batna-ukraine").check()
    page.get_by_test_id("batna-ukraine").wait_for(timeout=WAIT)
    expect(page.locator("#edit-list")).to_contain_text("Ukraine batna", timeout=WAIT)
    page.get_by_test_id("point-batna-ukraine").uncheck()
    page.get_by_test_id("dist-batna-ukraine-0").wait_for(timeout=WAIT)
    expect(page.locator("#edit-list")).not_to_contain_text("Ukraine batna", timeout=WAIT)
    page.close()
