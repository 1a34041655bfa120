"""Writing scenarios as YAML: fresh documents, and updates that keep comments and quotes."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import given, settings

from offramp.scenario import Scenario, load_scenario_text
from offramp.scenario.dump import dump_document, dump_scenario, load_document, update_document
from tests.conftest import MINI, SCENARIOS
from tests.strategies import scenarios

SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_unchanged_scenario_rewrites_identically(path: object) -> None:
    text = SCENARIOS.joinpath(str(path)).read_text(encoding="utf-8")
    scenario = load_scenario_text(text)
    assert dump_document(update_document(load_document(text), scenario)) == text


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_fresh_dump_reloads_equal(path: object) -> None:
    scenario = load_scenario_text(SCENARIOS.joinpath(str(path)).read_text(encoding="utf-8"))
    again = load_scenario_text(dump_scenario(scenario, header="a header"))
    assert again == scenario


def test_a_change_rewrites_only_its_line() -> None:
    scenario = load_scenario_text(MINI)
    actors = list(scenario.actors)
    actors[0] = actors[0].model_copy(update={"batna": 0.45})
    changed = scenario.model_copy(update={"actors": actors})
    text = MINI.replace("    batna: 0.4\n", "    batna: 0.4   # from the desk\n")
    after = dump_document(update_document(load_document(text), changed))
    diff = [
        line
        for line in difflib.unified_diff(text.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert diff == ["-    batna: 0.4   # from the desk", "+    batna: 0.45  # from the desk"]
    assert load_scenario_text(after) == changed


def test_removed_and_added_items_and_keep() -> None:
    scenario = load_scenario_text(MINI)
    ru = scenario.actor("ru")
    stripped = ru.model_copy(update={"assumed": None, "power": 41.0})
    changed = scenario.model_copy(update={"actors": [stripped], "publics": []})
    text = MINI.replace("  - id: ru\n", "  - id: ru  # Russia\n")
    after = dump_document(update_document(load_document(text), changed))
    assert "id: ua" not in after and "publics" not in after and "assumed: a\n" not in after
    assert "  - id: ru  # Russia\n" in after and "power: 41\n" in after
    kept = dump_document(update_document(load_document(text), changed, keep={"assumed"}))
    assert "    assumed: a\n" in kept


@settings(max_examples=25, deadline=None)
@given(scenario=scenarios())
def test_generated_scenarios_round_trip(scenario: Scenario) -> None:
    text = dump_scenario(scenario)
    assert load_scenario_text(text) == scenario
    assert dump_document(update_document(load_document(text), scenario)) == text
