"""The workbench's red-line toggles and evaluate panel through the API (chromium: browser_credible).

A toggle writes a red line's ``never_p`` option by option (``{"full_return": 0,
"freeze": {"triangular": [...]}}``): the analysis must be that of the file
with the same line written into it, and the picture's counts by status
(``statuses``) those of :func:`offramp.report.package_cloud`.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from offramp.assess import analyze
from offramp.problem import compile_problem
from offramp.report import package_cloud
from offramp.scenario import load_scenario, load_scenario_text
from offramp.web import create_app
from tests.conftest import SCENARIOS
from tests.strategies import reference_statuses

UKRAINE = SCENARIOS / "ukraine-2024-09.yaml"
# Russia's line on territory as the file writes it, and the path of its never_p
WRITTEN = "never_p: {freeze: {triangular: [0.2, 0.5, 0.8]}}"
RUSSIA_TERRITORY = ["actors", 1, "stances", 0, "never_p"]


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(SCENARIOS))


def _analyze(client: TestClient, edits: list[dict[str, Any]]) -> dict[str, Any]:
    reply = client.post("/analyze", json={"name": UKRAINE.name, "edits": edits})
    assert reply.status_code == 200, reply.text
    data: dict[str, Any] = reply.json()
    return data


def test_red_lines_are_listed_option_by_option(client: TestClient) -> None:
    lines = _analyze(client, [])["scenario"]["red_lines"]
    assert [(x["actor"], x["issue"]) for x in lines] == [
        ("ukraine", "territory"),
        ("russia", "territory"),
        ("russia", "nato"),
    ]
    russia = lines[1]
    assert russia["path"] == RUSSIA_TERRITORY and russia["veto"]
    assert [(o["id"], o["p"], o["holds"], o["spec"]) for o in russia["options"]] == [
        ("full_return", 1.0, True, 1.0),
        ("pre2022_line", 1.0, True, 1.0),
        ("freeze", 0.5, False, {"triangular": [0.2, 0.5, 0.8]}),
    ]


def test_a_toggle_analyzes_as_the_file_with_that_line(client: TestClient) -> None:
    # lift Russia's line against full return; the other options keep the file's values
    line = {"full_return": 0, "pre2022_line": 1.0, "freeze": {"triangular": [0.2, 0.5, 0.8]}}
    edited = _analyze(client, [{"path": RUSSIA_TERRITORY, "value": line}])
    text = UKRAINE.read_text(encoding="utf-8")
    assert text.count(WRITTEN) == 1
    written = load_scenario_text(
        text.replace(
            WRITTEN,
            "never_p: {full_return: 0, pre2022_line: 1, freeze: {triangular: [0.2, 0.5, 0.8]}}",
        )
    )
    problem = compile_problem(written)
    expected = analyze(problem, forecasts=False, durability=False).to_dict()
    assert {k: v for k, v in edited["result"].items() if k != "scenario_hash"} == {
        k: v for k, v in expected.items() if k != "scenario_hash"
    }
    cloud = package_cloud(problem)
    assert edited["statuses"] == {g.status: g.packages for g in cloud.groups}
    # the picture's red-line counts, package by package
    reference = reference_statuses(written)
    assert {s: n for s, n in edited["statuses"].items() if s.startswith("red_line")} == {
        s: n for s, n in reference.items() if s.startswith("red_line")
    }
    before = _analyze(client, [])["statuses"]
    # full return is 1 of 4 territory options (5,184 / 4 = 1,296 packages); half of those
    # (NATO membership or an invitation) still cross Russia's NATO line: 648 leave the group
    assert before["red_line:russia"] - edited["statuses"].get("red_line:russia", 0) == 648
    assert edited["scenario"]["red_lines"][1]["options"][0]["holds"] is False


def test_making_a_soft_line_firm_rules_its_option_out(client: TestClient) -> None:
    line = {"full_return": 1.0, "pre2022_line": 1.0, "freeze": 1}
    edited = _analyze(client, [{"path": RUSSIA_TERRITORY, "value": line}])
    freeze = edited["scenario"]["red_lines"][1]["options"][2]
    assert (freeze["p"], freeze["holds"]) == (1.0, True)
    scenario = load_scenario(UKRAINE)
    territory = scenario.issue("territory")
    # every package is now refused by Russia unless it cedes the claimed regions or keeps
    # what it holds beyond the freeze; the count of packages that cross no red line:
    free = sum(n for s, n in edited["statuses"].items() if not s.startswith("red_line"))
    allowed = [o.id for o in territory.options if o.id not in ("full_return", "pre2022_line")]
    allowed.remove("freeze")
    allowed.remove("cede_claimed")  # Ukraine's own red line
    others = compile_problem(scenario).space.size // len(territory.options)
    nato = scenario.issue("nato")
    nato_ok = len(nato.options) - 2  # Russia's line on membership and an invitation
    assert free == len(allowed) * others // len(nato.options) * nato_ok


def test_a_red_line_naming_no_option_of_its_line_is_a_file_line_error(client: TestClient) -> None:
    reply = client.post(
        "/analyze",
        json={"name": UKRAINE.name, "edits": [{"path": RUSSIA_TERRITORY, "value": {"crimea": 0}}]},
    )
    assert reply.status_code == 422
    (problem,) = reply.json()["problems"]
    assert problem["path"] == "actors[1].stances[0].never_p.crimea"
    assert problem["text"].startswith(f"{UKRAINE.name}:")
    assert "never" in problem["message"]


def test_evaluate_a_named_package_with_an_override(client: TestClient) -> None:
    body = {"name": UKRAINE.name, "named": "vance_plan", "package": {"nato": "membership"}}
    result = client.post("/evaluate", json=body).json()["result"]
    assert result["named"] == "vance_plan" and result["package"]["nato"] == "membership"
    russia = result["actors"]["russia"]
    assert {"issue": "nato", "option": "membership", "p": 1.0, "holds": True} in russia["red_lines"]
    assert not russia["accepts"] and not result["in_zopa"]
    assert any(b["who"] == "russia" and "red line" in b["reason"] for b in result["blockers"])


def test_evaluate_an_unknown_option_is_refused_with_the_cli_message(client: TestClient) -> None:
    body = {"name": UKRAINE.name, "named": "vance_plan", "package": {"nato": "maybe"}}
    reply = client.post("/evaluate", json=body)
    assert reply.status_code == 422
    assert "maybe" in reply.json()["problems"][0]["message"]


def test_evaluate_follows_the_variant(client: TestClient) -> None:
    # lifting Russia's line against NATO membership: the package no longer crosses it
    edits = [{"path": ["actors", 1, "stances", 1, "never_p"], "value": 0}]
    body = {"name": UKRAINE.name, "named": "vance_plan", "package": {"nato": "membership"}}
    before = client.post("/evaluate", json=body).json()["result"]["actors"]["russia"]
    result = client.post("/evaluate", json={**body, "edits": edits}).json()["result"]
    lines = result["actors"]["russia"]["red_lines"]
    assert [r["issue"] for r in before["red_lines"]] == ["territory", "nato"]
    assert [r["issue"] for r in lines] == ["territory"]  # the freeze's, p 0.5: not applied
    assert result["actors"]["russia"]["utility"] == before["utility"]
