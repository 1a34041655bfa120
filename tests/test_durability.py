"""Whether a deal holds: the commitment problem (Fearon 1995, Powell 2006)."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offramp.assess import analyze
from offramp.durability import DurabilityError, complete_package, durability, power_at
from offramp.errors import InputError, PackageError
from offramp.problem import compile_problem
from offramp.scenario import Scenario, load_scenario, load_scenario_text
from offramp.scenario.checks import undocumented
from tests.conftest import ARTICLE, ROOT, SCENARIOS


def two_sides(
    *,
    deal: tuple[float, float] = (0.6, 0.6),
    batna: tuple[float, float] = (0.5, 0.5),
    power: tuple[float, float] = (50, 50),
    cost: tuple[float, float] = (0.1, 0.1),
    b_dynamics: str = "",
    horizon: float = 5,
    extra: str = "",
) -> Scenario:
    """Two belligerents, one issue whose option `x` gives each side `deal`."""
    return load_scenario_text(
        f"""
id: t
title: t
as_of: 2024-01-01
issues:
  - {{id: i, label: i, options: [{{id: x, label: x, at: 0}}, {{id: y, label: y, at: 100}}]}}
  - {{id: g, label: g, options: [{{id: none, label: n, at: 0}}, {{id: yes, label: y, at: 100}}]}}
actors:
  - {{id: a, label: A, power: {power[0]}, veto: true, batna: {batna[0]},
     stances: [{{issue: i, position: x, salience: 1, values: {{x: {deal[0]}, y: 0.0}}}}]}}
  - {{id: b, label: B, power: {power[1]}, veto: true, batna: {batna[1]},
     stances: [{{issue: i, position: x, salience: 1, values: {{x: {deal[1]}, y: 1.0}}}}]}}
dynamics:
  horizon: {horizon}
  actors:
    - {{actor: a, against: b, war_cost: {cost[0]}}}
    - {{actor: b, against: a, war_cost: {cost[1]}{b_dynamics}}}
{extra}
"""
    )


def test_hand_computed_two_period_case() -> None:
    """Period 0: powers 50/50; period 1: B's power 100 (points), A's 50.

    Calibration: p(0) = 1/2, so W = (0.5 + 0.1) / 0.5 = 1.2 for both.
    V_B(0) = 0.5 (its batna), V_B(1) = (100/150) 1.2 - 0.1 = 0.7 > 0.6: B reneges.
    V_A(1) = (50/150) 1.2 - 0.1 = 0.3 < 0.6: A never does.
    Between the periods power is linear, B's value crosses 0.6 when
    1.2 P/(P+50) = 0.7, P = 70, i.e. at t = 0.4.
    """
    s = two_sides(b_dynamics=", points: [{year: 1, value: 100}]", horizon=1)
    d = durability(compile_problem(s), {"i": "x", "g": "none"}, draws=0)
    assert d.war_now == pytest.approx({"a": 0.5, "b": 0.5})
    assert d.war_end == pytest.approx({"a": 0.3, "b": 0.7})
    assert d.deal == {"a": 0.6, "b": 0.6}
    assert not d.self_enforcing
    assert d.first_breach is not None
    assert d.first_breach.actor == "b"
    assert d.first_breach.year == pytest.approx(0.4, abs=1e-9)
    assert d.restoring == ()  # no option has an effect


@settings(max_examples=40, deadline=None)
@given(
    st.floats(1, 100),
    st.floats(1, 100),
    st.floats(0.0, 0.5),
    st.floats(0.0, 0.5),
    st.floats(0.05, 0.6),
    st.floats(0.05, 0.6),
    st.floats(0.001, 0.3),
    st.floats(0.001, 0.3),
)
def test_constant_power_is_self_enforcing_when_the_deal_beats_both_batnas(
    pa: float, pb: float, ca: float, cb: float, ba: float, bb: float, ga: float, gb: float
) -> None:
    ba, bb = round(ba, 3), round(bb, 3)
    deal = (round(ba + ga, 3) + 0.001, round(bb + gb, 3) + 0.001)
    s = two_sides(deal=deal, batna=(ba, bb), power=(round(pa, 2), round(pb, 2)), cost=(ca, cb))
    d = durability(compile_problem(s), {"i": "x", "g": "none"}, draws=50)
    assert d.self_enforcing and d.first_breach is None
    assert d.p_holds == {"1": 1.0, "3": 1.0, "5": 1.0}


@pytest.mark.parametrize("growth", [0.1, 0.25, 0.6])
def test_a_fast_enough_power_shift_breaks_it_at_the_computed_time(growth: float) -> None:
    # B grows at `growth` a year from 50 against A's constant 50; W_B = 1.2, c = 0.1, deal 0.6.
    # B reneges when p > (0.6 + 0.1) / 1.2 = 7/12, i.e. P_B > 70: t* = ln(1.4) / ln(1 + g).
    s = two_sides(b_dynamics=f", growth: {growth}")
    d = durability(compile_problem(s), {"i": "x", "g": "none"}, draws=0)
    t_star = math.log(1.4) / math.log(1 + growth)
    if t_star <= 5:
        assert d.first_breach is not None and d.first_breach.actor == "b"
        assert d.first_breach.year == pytest.approx(t_star, abs=1e-8)
    else:
        assert d.self_enforcing


def test_a_slow_shift_holds_over_the_horizon() -> None:
    s = two_sides(b_dynamics=", growth: 0.05")  # t* = ln 1.4 / ln 1.05 = 6.9 years > 5
    assert durability(compile_problem(s), {"i": "x", "g": "none"}, draws=0).self_enforcing


def test_a_guarantee_raising_the_cost_restores_it() -> None:
    effects = """  effects:
    - {issue: g, option: yes, actor: b, cost: 0.3}
"""
    s = two_sides(b_dynamics=", growth: 0.25", extra=effects)
    broken = durability(compile_problem(s), {"i": "x", "g": "none"}, draws=0)
    assert not broken.self_enforcing
    assert [r.change for r in broken.restoring] == [{"g": "yes"}]
    assert broken.restoring[0].beats_batnas  # nobody's utility depends on g
    # without it B reneges at ln 1.4 / ln 1.25 = 1.5 years; with it only when
    # 1.2 p - 0.4 > 0.6: p > 5/6, P_B > 250: ln 5 / ln 1.25 = 7.2 years, after the horizon
    fixed = durability(compile_problem(s), {"i": "x", "g": "yes"}, draws=0)
    assert fixed.self_enforcing


def test_uncertain_growth_gives_p_holds_between_0_and_1() -> None:
    s = two_sides(b_dynamics=", growth: {uniform: [0.0, 0.5]}")
    d = durability(compile_problem(s), {"i": "x", "g": "none"}, draws=4000, seed=1)
    p1, p3, p5 = d.p_holds["1"], d.p_holds["3"], d.p_holds["5"]
    assert 1 >= p1 >= p3 >= p5 >= 0
    # holds for y years iff (1 + g)^y <= 1.4, g <= 1.4^(1/y) - 1; g ~ U(0, 0.5)
    for y, p in ((1, p1), (3, p3), (5, p5)):
        assert p == pytest.approx(min(1.0, (1.4 ** (1 / y) - 1) / 0.5), abs=0.03)
    assert (
        durability(compile_problem(s), {"i": "x", "g": "none"}, draws=4000, seed=1).p_holds
        == d.p_holds
    )


def test_power_trajectories() -> None:
    s = two_sides(b_dynamics=", points: [{year: 1, value: 100}, {year: 3, value: 40}]")
    assert s.dynamics is not None
    entry = s.dynamics.actors[1]
    got = power_at(entry, 50.0, np.array([0.0, 0.5, 1.0, 2.0, 3.0, 9.0]))
    assert got.tolist() == [[50.0, 75.0, 100.0, 70.0, 40.0, 40.0]]


@pytest.mark.parametrize(
    ("dynamics", "field"),
    [
        ("  actors: [{actor: c, against: a, war_cost: 0.1}]", "dynamics.actors[0].actor"),
        ("  actors: [{actor: a, against: a, war_cost: 0.1}]", "dynamics.actors[0].against"),
        (
            "  actors: [{actor: a, against: b, war_cost: 0.1, growth: 0.1, "
            "points: [{year: 1, value: 3}]}]",
            "dynamics.actors[0].points",
        ),
        (
            "  actors: [{actor: a, against: b, war_cost: 0.1}]\n"
            "  effects: [{issue: i, option: z, actor: a, cost: 0.1}]",
            "dynamics.effects[0].option",
        ),
        ("  actors: [{actor: a, against: b, war_cost: -1}]", "dynamics.actors[0].war_cost"),
    ],
)
def test_bad_dynamics_are_reported_with_their_line(dynamics: str, field: str) -> None:
    text = f"""id: t
title: t
as_of: 2024-01-01
issues:
  - {{id: i, label: i, options: [{{id: x, label: x, at: 0}}, {{id: y, label: y, at: 100}}]}}
actors:
  - {{id: a, label: A, power: 1, veto: true, batna: 0.5,
     stances: [{{issue: i, position: x, salience: 1}}]}}
  - {{id: b, label: B, power: 1, veto: true, batna: 0.5,
     stances: [{{issue: i, position: y, salience: 1}}]}}
dynamics:
{dynamics}
"""
    with pytest.raises(InputError) as caught:
        load_scenario_text(text, "s.yaml")
    problem = caught.value.problems[0]
    assert problem.path.startswith(field), caught.value
    assert problem.line is not None and problem.line >= 12


def test_errors_for_packages_and_missing_dynamics() -> None:
    ukraine = load_scenario(SCENARIOS / "ukraine-2024-09.yaml")
    with pytest.raises(DurabilityError, match="ratified ZOPA is empty"):
        complete_package(compile_problem(ukraine), {"territory": "freeze"})
    with pytest.raises(DurabilityError, match="not an option"):
        complete_package(compile_problem(ukraine), {"territory": "everything"})
    with pytest.raises(
        PackageError, match=r"needs one of .* for issue `territory`; got 'everything'"
    ):
        durability(compile_problem(ukraine), {"territory": "everything"})
    textbook = load_scenario(SCENARIOS / "textbook-two-party.yaml")
    with pytest.raises(DurabilityError, match="no `dynamics`"):
        durability(
            compile_problem(textbook), {"border": "split", "prisoners": "none", "sanctions": "kept"}
        )


@pytest.fixture(scope="module")
def ukraine() -> Scenario:
    return load_scenario(SCENARIOS / "ukraine-2024-09.yaml")


VANCE = {
    "territory": "freeze",
    "dmz": "monitored",
    "nato": "deferred",
    "eu": "accession",
    "guarantees": "bilateral",
    "long_range": "restricted",
    "economy": "phased_relief",
}


def test_ukraine_dynamics_are_documented(ukraine: Scenario) -> None:
    assert ukraine.dynamics is not None
    assert {e.actor for e in ukraine.dynamics.actors} == {"russia", "ukraine"}
    assert not [p for p, _ in undocumented(ukraine) if p[0] == "dynamics"]


@pytest.mark.skipif(not ARTICLE.exists(), reason="the seed article is not beside the checkout")
def test_ukraine_dynamics_quotes_are_verbatim(ukraine: Scenario) -> None:
    article = re.sub(r"\s+", " ", ARTICLE.read_text(encoding="utf-8"))
    assert ukraine.dynamics is not None
    items = [*ukraine.dynamics.actors, *ukraine.dynamics.effects]
    quotes = [i.quote for i in items if i.quote]
    assert len(quotes) >= 5
    for quote in quotes:
        assert re.sub(r"\s+", " ", quote) in article, quote
    # the quoted passages inside `assumed` texts are verbatim too
    for item in items:
        for inner in re.findall(r'"([^"]+)"', item.assumed or ""):
            assert re.sub(r"\s+", " ", inner) in article, inner


def test_ukraine_freeze_deal_is_not_self_enforcing(ukraine: Scenario) -> None:
    """Russia's production ramp breaks a Vance-style freeze within the horizon (Minsk)."""
    d = durability(compile_problem(ukraine), VANCE, draws=1000)
    assert not d.self_enforcing
    assert d.first_breach is not None and d.first_breach.actor == "russia"
    assert 0 < d.first_breach.year < 5
    assert d.p_holds["1"] >= d.p_holds["3"] >= d.p_holds["5"]
    # NATO membership's Article 5 cost would restore it, but membership crosses Moscow's
    # red line (its conditions of 14 June 2024): binding guarantees are what is left
    changes = [r.change for r in d.restoring]
    assert {"nato": "membership"} not in changes and {"guarantees": "binding"} in changes
    lifted = ukraine.model_copy(deep=True)
    russia = next(a for a in lifted.actors if a.id == "russia")
    nato = next(s for s in russia.stances if s.issue == "nato")
    object.__setattr__(nato, "never", [])  # the same deal without Moscow's NATO red line
    assert {"nato": "membership"} in [
        r.change for r in durability(compile_problem(lifted), VANCE, draws=0).restoring
    ]


def test_analyze_reports_durability_of_its_solutions() -> None:
    extra = """dynamics:
  actors:
    - {actor: north, against: south, war_cost: 0.1, growth: 0.3, assumed: test}
    - {actor: south, against: north, war_cost: 0.1, assumed: test}
"""
    text = (SCENARIOS / "textbook-two-party.yaml").read_text(encoding="utf-8") + extra
    result = analyze(compile_problem(load_scenario_text(text)))
    assert result.durability is not None
    nash = result.durability["nash"]
    assert nash is not None and nash["package"] == result.to_dict()["solutions"]["nash"]["package"]
    assert set(nash) >= {"package", "self_enforcing", "first_breach", "p_holds", "restoring"}
    assert "durability" in result.to_dict()
    assert (
        "durability"
        not in analyze(
            compile_problem(load_scenario(SCENARIOS / "textbook-two-party.yaml"))
        ).to_dict()
    )


def test_cli_durability_json(tmp_path: object) -> None:
    args = [f"--package={k}={v}" for k, v in VANCE.items()]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "offramp",
            "durability",
            str(SCENARIOS / "ukraine-2024-09.yaml"),
            *args,
            "--json",
            "-",
            "--draws",
            "200",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) >= {"package", "self_enforcing", "first_breach", "p_holds", "restoring"}
    assert set(data["p_holds"]) == {"1", "3", "5"}
    assert set(data["first_breach"]) == {"actor", "year"}
    done = subprocess.run(
        [sys.executable, "-m", "offramp", "durability", str(SCENARIOS / "ukraine-2024-09.yaml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1 and "--package" in done.stderr and "Traceback" not in done.stderr
