"""The shipped Ukraine scenario reproduces the article's qualitative claims."""

from __future__ import annotations

import re

import numpy as np
import pytest

from offramp.assess import analyze
from offramp.problem import Space, compile_problem
from offramp.scenario import Scenario, load_scenario
from offramp.scenario.checks import undocumented
from offramp.scenario.rules import compile_rules
from offramp.settle.space import utilities, utility_tables
from tests.conftest import ARTICLE, SCENARIOS


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(SCENARIOS / "ukraine-2024-09.yaml")


def test_every_input_is_sourced_or_assumed(scenario: Scenario) -> None:
    assert undocumented(scenario) == []


def test_the_article_actors_and_issues_are_there(scenario: Scenario) -> None:
    actors = {a.id for a in scenario.actors}
    assert {
        "ukraine",
        "russia",
        "united_states",
        "germany",
        "escalation_wary",
        "arms_first",
        "russia_suppliers",
        "trump_campaign",
    } <= actors
    assert {i.id for i in scenario.issues} >= {
        "territory",
        "dmz",
        "nato",
        "eu",
        "guarantees",
        "long_range",
        "economy",
    }


@pytest.mark.skipif(not ARTICLE.exists(), reason="the seed article is not beside the checkout")
def test_every_quote_is_verbatim_in_the_article(scenario: Scenario) -> None:
    article = re.sub(r"\s+", " ", ARTICLE.read_text(encoding="utf-8"))
    items = [*scenario.actors, *scenario.publics]
    items += [s for a in scenario.actors for s in a.stances]
    items += [r for p in scenario.publics for r in p.rules]
    quotes = [item.quote for item in items if item.quote and item.source == "bloomberg-2024-09"]
    assert len(quotes) > 20
    for quote in quotes:
        assert re.sub(r"\s+", " ", quote) in article, quote


def _ratified(scenario: Scenario, **choice: str) -> bool:
    space = Space.of(scenario)
    public = scenario.publics[0]
    table, _ = compile_rules(public, scenario.issues)
    package = [0] * len(space.issue_ids)
    for issue, option in choice.items():
        k = space.issue_ids.index(issue)
        package[k] = space.option_ids[k].index(option)
    share = table.lookup(np.array([package]))[0]
    return bool(share < public.threshold)


def test_territorial_concession_alone_fails_ratification(scenario: Scenario) -> None:
    for land in ("pre2022_line", "freeze", "cede_claimed"):
        assert not _ratified(scenario, territory=land, nato="deferred", eu="accession")
        assert not _ratified(scenario, territory=land, nato="membership", eu="accession")
        assert not _ratified(scenario, territory=land, nato="invitation", eu="membership")


def test_concession_with_nato_and_eu_membership_passes(scenario: Scenario) -> None:
    for land in ("pre2022_line", "freeze", "cede_claimed"):
        assert _ratified(scenario, territory=land, nato="membership", eu="membership")
    assert _ratified(scenario, territory="full_return", nato="neutrality", eu="renounced")


def test_base_case_no_package_is_acceptable_to_kyiv_its_public_and_moscow(
    scenario: Scenario,
) -> None:
    space = Space.of(scenario)
    options = space.options_of(np.arange(space.size))
    u = utilities(utility_tables(scenario), options)
    ids = [a.id for a in scenario.actors]
    ua, ru = ids.index("ukraine"), ids.index("russia")
    table, _ = compile_rules(scenario.publics[0], scenario.issues)
    kyiv_ok = (u[ua] > scenario.actors[ua].batna) & (table.lookup(options) < 0.5)
    moscow_ok = u[ru] > scenario.actors[ru].batna
    assert kyiv_ok.any() and moscow_ok.any()
    assert not (kyiv_ok & moscow_ok).any()
    result = analyze(compile_problem(scenario))
    assert result.ratified_count == 0
    assert result.verdict.startswith("No settlement")
    assert "Russia" in result.verdict
