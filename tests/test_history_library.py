"""The history cases of scenarios/history/ written on the history branch.

Each must load strictly, keep its outcome out of its inputs (no input cites
an outcome source or a source dated on or after the signing), and give the
same analysis with and without its ``outcome:`` block.
"""

from __future__ import annotations

import pytest

from offramp import analyze
from offramp.implementation import sequences
from offramp.problem import compile_problem
from offramp.scenario import Scenario, load_scenario
from offramp.scenario.checks import undocumented
from tests.conftest import ROOT

HISTORY = ROOT / "scenarios" / "history"
CASES = ["korea-1953", "bosnia-1995", "rwanda-1993", "sudan-2005"]


def _provenanced(s: Scenario) -> list[object]:
    found: list[object] = [*s.actors, *s.publics, *s.factions]
    for actor in s.actors:
        found.extend(actor.stances)
    for faction in s.factions:
        found.extend(faction.stances)
    for public in s.publics:
        found.extend(public.rules)
    if s.dynamics:
        found.extend([*s.dynamics.actors, *s.dynamics.effects])
    if s.implementation:
        found.append(s.implementation)
        for step in s.implementation.steps:
            found.extend([step, *step.effects, *step.guarantors])
            if step.monitoring:
                found.append(step.monitoring)
    return found


@pytest.fixture(scope="module", params=CASES)
def case(request: pytest.FixtureRequest) -> Scenario:
    return load_scenario(HISTORY / f"{request.param}.yaml")


def test_loads_strictly_with_a_structured_outcome(case: Scenario) -> None:
    assert undocumented(case) == []
    o = case.outcome
    assert o is not None and o.sources and o.how_fixed
    assert o.agreement is True and o.signed is not None and case.as_of < o.signed
    assert o.observed >= o.signed and o.held is not None and o.held_years is not None
    # held_years: to the breakdown, or to `observed` when it held (to 0.1 year)
    if o.held:
        assert abs(o.held_years - (o.observed - o.signed).days / 365.25) < 0.1
    else:
        assert 0 < o.held_years < (o.observed - o.signed).days / 365.25 + 0.1


def test_no_input_knows_the_outcome(case: Scenario) -> None:
    assert case.outcome is not None and case.outcome.signed is not None
    dated = {src.id: src.date for src in case.sources}
    cited = {x.source for x in _provenanced(case) if getattr(x, "source", None) is not None}
    assert not cited & set(case.outcome.sources), "an outcome source is cited as an input"
    for source in cited:
        date = dated[source]
        assert date is None or date <= case.as_of < case.outcome.signed, source


def test_the_outcome_is_no_input(case: Scenario) -> None:
    p, bare = compile_problem(case), compile_problem(case.model_copy(update={"outcome": None}))
    assert analyze(p).to_dict() | {"scenario_hash": None} == analyze(bare).to_dict() | {
        "scenario_hash": None
    }
    assert sequences(p, draws=50).to_dict() == sequences(bare, draws=50).to_dict()
