"""Red lines and ``offramp evaluate`` in the workbench, in Debian's chromium (Playwright).

A red-line toggle re-runs the analysis and shows the difference it made;
the evaluate panel shows, for a named package (and for it with one option
changed), the numbers ``offramp evaluate --json`` prints. The page may reach
only the server (every other host is blocked and recorded). Screenshots go to
``offramp-out/test-artifacts/``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from offramp.cli import app
from offramp.web import create_app
from tests.browsing import ARTIFACTS, CHROMIUM, launched, serving
from tests.conftest import ratifiable_ukraine

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
)
WAIT = 60_000
FREEZE = "redline-toggle-russia-territory-freeze"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("credible")
    # a Ukraine whose public might pass a freeze, so a red line can decide the verdict
    (root / "ukraine-2024-09.yaml").write_text(ratifiable_ukraine(), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def page(folder: Path) -> Iterator[tuple[Any, list[str], list[str]]]:
    with serving(folder) as url, launched() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 1100})
        outside: list[str] = []
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))

        def route(request_route: Any) -> None:
            address = request_route.request.url
            if address.startswith((url, "blob:", "data:")):
                request_route.continue_()
            else:
                outside.append(address)
                request_route.abort()

        page.route("**/*", route)
        page.goto(url + "?scenario=ukraine-2024-09.yaml")
        page.get_by_test_id("verdict").filter(has_text="No settlement").wait_for(timeout=WAIT)
        yield page, outside, errors
        page.close()


def _cli(folder: Path, *args: str) -> dict[str, Any]:
    out = folder.parent / "evaluate.json"
    path = str(folder / "ukraine-2024-09.yaml")
    done = CliRunner().invoke(app, ["evaluate", path, *args, "--json", str(out)])
    assert done.exit_code == 0, done.output
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def _rows(page: Any, testid: str) -> list[list[str]]:
    rows = page.get_by_test_id(testid).locator("tbody tr")
    return [
        [c.strip() for c in rows.nth(k).locator("td").all_inner_texts()]
        for k in range(rows.count())
    ]


def _shows(page: Any, expected: dict[str, Any]) -> None:
    """The panel shows the CLI's result: flags, every actor, every vote, blockers, path."""
    for key in ("in_zopa", "ratified", "accepted_and_ratified"):
        flag = page.get_by_test_id(f"eval-{key}").inner_text()
        assert flag.endswith("yes" if expected[key] else "no"), (key, flag)
    rows = _rows(page, "eval-actors")
    assert len(rows) == len(expected["actors"])
    for row, actor in zip(rows, expected["actors"].values(), strict=True):
        assert row[0] == actor["label"]
        for cell, key in zip(row[2:5], ("utility", "batna", "surplus"), strict=True):
            if actor[key] is None:
                assert cell == "–"
            else:  # shown to 3 decimals (JavaScript rounds halves up, Python to even)
                assert abs(float(cell) - actor[key]) <= 0.0005 + 1e-9, (key, cell, actor[key])
        assert row[5] == ("yes" if actor["accepts"] else "no")
        crossed = [f"{r['issue']}={r['option']}" for r in actor["red_lines"]]
        assert all(c in row[6] for c in crossed) and (crossed or row[6] == "–")
    if expected["votes"]:
        votes = _rows(page, "eval-votes")
        assert [(v[0], v[4], v[5], v[6]) for v in votes] == [
            (v["label"], f"{100 * v['reject']:.1f}%", f"{100 * v['threshold']:.1f}%", v["verdict"])
            for v in expected["votes"]
        ]
    blockers = page.get_by_test_id("eval-blockers")
    if expected["blockers"]:
        texts = blockers.locator("li").all_inner_texts()
        assert [t.split(":", 1)[1].strip() for t in texts] == [
            b["reason"] for b in expected["blockers"]
        ]
    steps = page.get_by_test_id("eval-path").inner_text().split(" → ")
    assert len(steps) == len(expected["path"])
    assert [s.split(":")[0].split(" ")[0] for s in steps] == [s["step"] for s in expected["path"]]


def test_evaluate_panel_shows_what_the_cli_prints(
    page: tuple[Any, list[str], list[str]], folder: Path
) -> None:
    p, outside, errors = page
    p.get_by_test_id("eval-named").select_option("vance_plan")
    assert p.get_by_test_id("eval-issue-territory").input_value() == "freeze"
    with p.expect_response(lambda r: r.url.endswith("/evaluate")) as reply:
        p.get_by_test_id("eval-run").click()
    p.get_by_test_id("eval-status").filter(has_text="evaluated").wait_for(timeout=WAIT)
    expected = _cli(folder, "--named", "vance_plan")
    assert reply.value.json()["result"] == expected  # the very numbers, then as shown
    _shows(p, expected)
    p.locator("#eval-card").screenshot(path=str(ARTIFACTS / "workbench-evaluate-vance.png"))

    # the same plan with NATO membership: Russia's red line is crossed, as the CLI says
    p.get_by_test_id("eval-issue-nato").select_option("membership")
    with p.expect_response(lambda r: r.url.endswith("/evaluate")) as reply:
        p.get_by_test_id("eval-run").click()
    p.get_by_test_id("eval-actors").filter(has_text="nato=membership").wait_for(timeout=WAIT)
    expected = _cli(folder, "--named", "vance_plan", "--package", "nato=membership")
    assert reply.value.json()["result"] == expected
    assert expected["actors"]["russia"]["red_lines"][-1]["option"] == "membership"
    _shows(p, expected)
    assert not outside and not errors, (outside, errors)


def test_a_red_line_toggle_shows_the_difference_it_makes(
    page: tuple[Any, list[str], list[str]], folder: Path
) -> None:
    p, outside, errors = page
    client = TestClient(create_app(folder))
    batna = {"path": ["actors", 1, "batna"], "value": 0.5}
    firm = {
        "path": ["actors", 1, "stances", 0, "never_p"],
        "value": {"full_return": 1.0, "pre2022_line": 1.0, "freeze": 1},
    }

    def api(edits: list[dict[str, Any]]) -> dict[str, Any]:
        body = {"name": "ukraine-2024-09.yaml", "edits": edits}
        data: dict[str, Any] = client.post("/analyze", json=body).json()
        return data

    before, after = api([batna]), api([batna, firm])
    assert before["settled"] and not after["settled"]

    # Russia's batna at 0.5: a settlement (the freeze's red line is as likely as not: off)
    p.get_by_test_id("point-batna-russia").check()
    p.get_by_test_id("batna-russia").fill("0.5")
    verdict = p.get_by_test_id("verdict")
    verdict.filter(has_text="A settlement is possible").wait_for(timeout=WAIT)
    # each solution's likely ratification path, as the analysis gives it
    path = before["result"]["ratification"]["nash"]["path"]
    assert path  # the Ukrainian public votes on the Nash package, by its route
    solutions = p.locator("#solutions")
    assert "likely ratification path" in solutions.locator("th").all_inner_texts()
    nash = [row for row in _rows(p, "solutions-table") if row[0] == "nash"]
    assert nash and nash[0][-1] == " → ".join(path)
    toggle = p.get_by_test_id(FREEZE)
    assert not toggle.is_checked()
    assert p.get_by_test_id("redline-toggle-russia-territory-full_return").is_checked()

    # make Moscow's line against a freeze hold: the settlement is gone, and the page says why
    toggle.check()
    verdict.filter(has_text="No settlement").wait_for(timeout=WAIT)
    diff = p.get_by_test_id("redline-diff")
    diff.wait_for(state="visible", timeout=WAIT)
    assert "Fighting stops on the current line" in diff.inner_text()
    crossing = sum(n for s, n in after["statuses"].items() if s.startswith("red_line"))
    crossing_before = sum(n for s, n in before["statuses"].items() if s.startswith("red_line"))
    expected = {
        "diff-verdict": ["settlement possible", "no settlement"],
        "diff-ratified": [
            f"{before['result']['ratified']['count']:,}",
            f"{after['result']['ratified']['count']:,}",
        ],
        "diff-packages-crossing-a-veto-actor-s-red-line": [
            f"{crossing_before:,}",
            f"{crossing:,}",
        ],
    }
    for testid, cells in expected.items():
        row = p.get_by_test_id(testid)
        assert row.locator("td").all_inner_texts()[1:] == cells, testid
        assert "changed" in (row.get_attribute("class") or "")
    # the picture: Russia's red line has its own legend entry, with the count of the cloud
    legend = " ".join(p.locator("#plot .legendtext").all_text_contents())
    assert f"crosses a red line: Russia ({after['statuses']['red_line:russia']:,})" in legend
    assert "freeze holds" in p.locator("#edit-list").inner_text()
    p.screenshot(path=str(ARTIFACTS / "workbench-red-line-freeze.png"), full_page=True)

    # and back: the line as written again, the settlement again, no edit of the line left
    toggle.uncheck()
    verdict.filter(has_text="A settlement is possible").wait_for(timeout=WAIT)
    assert "red line" not in p.locator("#edit-list").inner_text()
    assert not outside and not errors, (outside, errors)
