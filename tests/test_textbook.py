"""The textbook scenario against the numbers computed by hand in docs/textbook.md."""

from __future__ import annotations

import pytest

from offramp.assess import analyze
from offramp.problem import Space, compile_problem
from offramp.scenario import load_scenario
from offramp.settle.space import utilities, utility_tables
from tests.conftest import SCENARIOS

# (border, prisoners, sanctions) -> (U_north, U_south), by hand:
# U_north = .5 b + .2 p + .3 s and U_south = .6 b + .3 p + .1 s with each side's values.
HAND = {
    ("prewar", "all_for_all", "kept"): (0.2, 1.0),
    ("prewar", "all_for_all", "lifted"): (0.5, 0.9),
    ("prewar", "none", "kept"): (0.0, 0.76),
    ("prewar", "none", "lifted"): (0.3, 0.66),
    ("split", "all_for_all", "kept"): (0.5, 0.7),
    ("split", "all_for_all", "lifted"): (0.8, 0.6),
    ("split", "none", "kept"): (0.3, 0.46),
    ("split", "none", "lifted"): (0.6, 0.36),
    ("current", "all_for_all", "kept"): (0.7, 0.4),
    ("current", "all_for_all", "lifted"): (1.0, 0.3),
    ("current", "none", "kept"): (0.5, 0.16),
    ("current", "none", "lifted"): (0.8, 0.06),
}


@pytest.fixture(scope="module")
def scenario():  # type: ignore[no-untyped-def]
    return load_scenario(SCENARIOS / "textbook-two-party.yaml")


def test_utilities_match_the_hand_computation(scenario) -> None:  # type: ignore[no-untyped-def]
    space = Space.of(scenario)
    u = utilities(utility_tables(scenario), space.options_of(range(space.size)))  # type: ignore[arg-type]
    for n in range(space.size):
        package = tuple(space.package(n).values())
        assert u[:, n].tolist() == pytest.approx(HAND[package], abs=1e-12)


def test_counts_frontier_and_solutions_match_the_hand_computation(scenario) -> None:  # type: ignore[no-untyped-def]
    result = analyze(compile_problem(scenario))
    # ZOPA (north > .45, south > .35): packages 1, 4, 5, 7, 8.
    assert result.zopa_count == 5
    # The parliament rejects split/current without all prisoners (0.55): package 7 fails.
    assert result.ratified_count == 4
    # Frontier of {1 (.5,.9), 4 (.5,.7), 5 (.8,.6), 8 (.7,.4)}: 4 and 8 are dominated.
    assert [tuple(p.package.values()) for p in result.frontier] == [
        ("prewar", "all_for_all", "lifted"),
        ("split", "all_for_all", "lifted"),
    ]
    split = ("split", "all_for_all", "lifted")
    # Nash: gains (.05,.55) -> .0275 vs (.35,.25) -> .0875.
    # KS: ideal gains (.35,.55): min(.143, 1) vs min(1, .4545).  Egalitarian: .05 vs .25.
    for name in ("nash", "kalai_smorodinsky", "egalitarian"):
        point = result.solutions[name]
        assert point is not None and tuple(point.package.values()) == split, name
    # Utilitarian: 1.4 = 1.4, a tie broken towards the first package in option order.
    point = result.solutions["utilitarian"]
    assert point is not None
    assert tuple(point.package.values()) == ("prewar", "all_for_all", "lifted")


def test_blockers_match_the_hand_computation(scenario) -> None:  # type: ignore[no-untyped-def]
    result = analyze(compile_problem(scenario))
    counts = {b.who: (b.packages, b.sole) for b in result.blockers}
    # North refuses 0, 2, 3, 6 (alone on 0, 2, 3); South refuses 9, 10, 11 (alone on 9);
    # the parliament rejects 6, 7, 10, 11 (alone on 7).
    assert counts == {"north": (4, 3), "south": (3, 1), "south_parliament": (4, 1)}
