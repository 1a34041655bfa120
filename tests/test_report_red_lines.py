"""The settlement picture shows crossed red lines apart: counted package by package.

A package that crosses a veto actor's red line is refused whatever else it
gives; the picture gives such packages their own colour, marker and legend
entry ("crosses a red line: ACTOR"), apart from those outside the ZOPA for
want of utility and those a public would not ratify. The counts are checked
against a plain-Python count over every package (``tests.strategies``'
reference functions, independent of the numpy engines).
"""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings

from offramp.assess import analyze
from offramp.problem import compile_problem
from offramp.report import package_cloud
from offramp.report.build import frontier_figure
from offramp.scenario import Scenario, load_scenario, load_scenario_text
from tests.conftest import SCENARIOS
from tests.strategies import reference_statuses, scenarios

UKRAINE = SCENARIOS / "ukraine-2024-09.yaml"

# Two veto actors with red lines and a public, 3 x 3 x 2 = 18 packages.
# north never accepts border=south_line; south never accepts border=north_line nor
# prisoners=none (p 0.8), and its line against sanctions=kept holds with p 0.4 only
# (not applied). Crossing, counted over (border, prisoners) with 2 sanctions options each:
#   north alone: (south_line, some|all) -> 4;
#   south alone: (north_line, any) 6 + (split, none) 2 -> 8;
#   both: (south_line, none) -> 2.
SMALL = """\
id: lines
title: Red lines
as_of: 2024-01-01
issues:
  - id: border
    label: Border
    options:
      - {id: north_line, label: North's line, at: 0}
      - {id: split, label: Split, at: 50}
      - {id: south_line, label: South's line, at: 100}
  - id: prisoners
    label: Prisoners
    options:
      - {id: none, label: None, at: 0}
      - {id: some, label: Some, at: 50}
      - {id: all, label: All, at: 100}
  - id: sanctions
    label: Sanctions
    options:
      - {id: kept, label: Kept, at: 0}
      - {id: lifted, label: Lifted, at: 100}
actors:
  - id: north
    label: North
    power: 1
    veto: true
    batna: 0.3
    stances:
      - {issue: border, position: north_line, salience: 2, never: [south_line]}
      - {issue: prisoners, position: 20, salience: 1}
      - {issue: sanctions, position: kept, salience: 1}
  - id: south
    label: South
    power: 1
    veto: true
    batna: 0.35
    stances:
      - {issue: border, position: south_line, salience: 1, never: [north_line]}
      - {issue: prisoners, position: all, salience: 1, never: [none], never_p: 0.8}
      - {issue: sanctions, position: lifted, salience: 1, never: [kept], never_p: 0.4}
  - id: broker
    label: Broker
    power: 1
    stances:
      - {issue: border, position: split, salience: 1, never: [north_line]}
publics:
  - id: voters
    label: North's voters
    of: north
    threshold: 0.5
    rules:
      - {when: {}, reject: 0.2}
      - {when: {prisoners: [all]}, reject: 0.6}
"""


def cloud_statuses(scenario: Scenario, block_size: int = 1 << 18) -> Counter[str]:
    cloud = package_cloud(compile_problem(scenario), block_size=block_size)
    return Counter({g.status: g.packages for g in cloud.groups})


def test_red_line_counts_on_a_small_scenario_equal_a_count_by_hand() -> None:
    scenario = load_scenario_text(SMALL)
    found = cloud_statuses(scenario, block_size=5)  # several blocks
    assert found == reference_statuses(scenario)
    assert (found["red_line:north"], found["red_line:south"], found["red_line"]) == (4, 8, 2)
    assert sum(found.values()) == 18
    # a non-veto actor's red line (the broker's) is no colour of the picture
    assert "red_line:broker" not in found


def test_each_red_line_has_its_own_legend_entry_colour_and_marker() -> None:
    scenario = load_scenario_text(SMALL)
    problem = compile_problem(scenario)
    cloud = package_cloud(problem)
    figure = frontier_figure(scenario, analyze(problem), cloud)
    traces = {t["name"]: t for t in figure.spec["data"]}
    north = traces["crosses a red line: North (4)"]
    south = traces["crosses a red line: South (8)"]
    both = traces["crosses the red lines of several veto actors (2)"]
    markers = [north["marker"], south["marker"], both["marker"]]
    assert all(m["symbol"] == "x" for m in markers)
    colours = {m["color"] for m in markers}
    others = {t["marker"]["color"] for n, t in traces.items() if not n.startswith("crosses")}
    assert len(colours) == 3 and not colours & others
    assert "Crosses mark the 14 packages that cross a veto actor's red line" in figure.caption
    assert "(North's: 4; South's: 8; several actors': 2)" in figure.caption


def test_lifting_a_red_line_moves_its_packages_back() -> None:
    scenario = load_scenario_text(
        SMALL.replace("never: [north_line]}", "never: [north_line], never_p: 0}")
    )
    found = cloud_statuses(scenario)
    assert found == reference_statuses(scenario)
    # South's line against North's border is lifted: only (split|north_line, none, *) is left
    assert (found["red_line:south"], found["red_line:north"], found["red_line"]) == (4, 4, 2)


def test_ukraine_red_line_counts_equal_a_count_package_by_package() -> None:
    scenario = load_scenario(UKRAINE)
    found = cloud_statuses(scenario, block_size=1000)
    reference = reference_statuses(scenario)
    lines = {s: n for s, n in reference.items() if s.startswith("red_line")}
    assert {s: found[s] for s in lines} == lines
    assert sum(found.values()) == sum(reference.values()) == 5184
    assert lines["red_line:russia"] > 0 and lines["red_line:ukraine"] > 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(routes=True))
def test_statuses_equal_a_count_package_by_package_on_random_scenarios(scenario) -> None:  # type: ignore[no-untyped-def]
    assert cloud_statuses(scenario, block_size=7) == reference_statuses(scenario)
