"""Implementation: orders of steps (backward induction), monitoring, spoilers, history cases."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offramp.durability import DurabilityError
from offramp.errors import Diagnostic, InputError
from offramp.implementation import EXACT_STEPS, sequences, spoilers
from offramp.implementation.orders import admissible as _admissible
from offramp.implementation.orders import extreme as _extreme
from offramp.implementation.orders import solve as _solve
from offramp.implementation.sequencing import _compile
from offramp.problem import compile_problem
from offramp.scenario import Scenario, load_scenario, load_scenario_text
from offramp.scenario.checks import undocumented
from tests.conftest import ROOT

HISTORY = ROOT / "scenarios" / "history"

BASE = """
id: t
title: t
as_of: 2024-01-01
issues:
  - {{id: i, label: i, options: [{{id: x, label: x, at: 0}}, {{id: y, label: y, at: 100}}]}}
actors:
  - {{id: a, label: A, power: 50, veto: true, batna: 0.5,
     stances: [{{issue: i, position: x, salience: 1, values: {{x: {deal}, y: 0.0}}}}]}}
  - {{id: b, label: B, power: 50, veto: true, batna: 0.5,
     stances: [{{issue: i, position: x, salience: 1, values: {{x: {deal}, y: 1.0}}}}]}}
dynamics:
  actors:
    - {{actor: a, against: b, war_cost: 0.1{growth}}}
    - {{actor: b, against: a, war_cost: 0.1}}
implementation:
  steps:
{steps}
{extra}
"""


def game(steps: str, *, deal: float = 0.6, extra: str = "", growth: str = "") -> Scenario:
    """Two sides at 50/50 with batna 0.5 and cost 0.1, so W = 1.2; the deal gives each `deal`.

    A side reneges where its war value 1.2 p - 0.1 exceeds 0.6, i.e. p > 7/12.
    """
    return load_scenario_text(BASE.format(deal=deal, steps=steps, extra=extra, growth=growth))


TWO = """\
    - {id: disarm, label: A disarms, actor: a, options: {i: x}, due: 30,
       effects: [{actor: a, power: -0.5}]}
    - {id: elect, label: B holds elections, actor: b, due: 60%s}
"""


def by_order(result: object) -> dict[tuple[str, ...], object]:
    found = [*result.orders, result.worst]  # type: ignore[attr-defined]
    return {o.order: o for o in found}


def test_two_step_game_by_hand() -> None:
    """Disarm first: B's war value at `elect` is (2/3) 1.2 - 0.1 = 0.7 > 0.6, so B would
    renege; A, left with (1/3) 1.2 - 0.1 = 0.3 < 0.5, refuses to disarm. Elect first holds."""
    r = sequences(compile_problem(game(TWO % "")), draws=0)
    assert (r.method, r.n_orders, r.n_self_enforcing) == ("exact", 2, 1)
    orders = by_order(r)
    good, bad = orders[("elect", "disarm")], orders[("disarm", "elect")]
    assert good.self_enforcing and good.breaks_at is None
    assert good.values == pytest.approx({"a": 0.6, "b": 0.6})
    assert good.slack == pytest.approx(0.1)  # both slots: 0.6 - 0.5
    assert not bad.self_enforcing
    assert (bad.breaks_at.step, bad.breaks_at.actor, bad.breaks_at.position) == ("disarm", "a", 1)
    assert bad.breaks_at.year == pytest.approx(30 / 365.25)
    assert bad.values == pytest.approx({"a": 0.5, "b": 0.5})
    assert [(n.step, n.actor) for n in bad.needs] == [("elect", "b")]
    assert bad.needs[0].gap == pytest.approx(0.1)
    assert bad.needs[0].detection is None and bad.needs[0].penalty is None  # no monitoring
    assert bad.shortfall == pytest.approx(0.1)
    assert r.orders[0].order == ("elect", "disarm") and r.worst.order == ("disarm", "elect")
    assert r.declared is not None and r.declared.order == ("disarm", "elect")


@pytest.mark.parametrize(
    ("fine", "holds", "slack"),
    [(0.25, True, 0.025), (0.2, True, 0.0), (0.15, False, -0.025)],
)
def test_monitoring_makes_the_breaking_order_hold_by_a_hand_computed_margin(
    fine: float, holds: bool, slack: float
) -> None:
    """Detection 0.5 times penalty F must cover B's gap of 0.1 at `elect`: F >= 0.2."""
    step = (
        ", monitoring: {by: OSCE, detect: 0.5, assumed: a},"
        f" guarantors: [{{by: US, penalty: {fine}, assumed: a}}]"
    )
    r = sequences(compile_problem(game(TWO % step)), draws=0)
    order = by_order(r)[("disarm", "elect")]
    assert order.self_enforcing is holds
    assert order.slack == pytest.approx(slack)
    if not holds:
        need = order.needs[0]
        assert need.gap == pytest.approx(0.1)
        assert need.penalty == pytest.approx(0.2)  # 0.1 / 0.5
        assert need.detection == pytest.approx(0.1 / fine)  # 0.667 <= 1
    else:
        assert order.needs == ()


THREE = """\
    - {id: a1, label: A disarms half, actor: a, options: {i: x}, due: 10,
       effects: [{actor: a, power: -0.5}]}
    - {id: b1, label: B disarms a fifth, actor: b, due: 20, effects: [{actor: b, power: -0.2}]}
    - {id: v, label: B holds a vote, actor: b, due: 30, effects: [{actor: b, prospects: -0.1}]}
"""


def _v(p: Fraction) -> Fraction:
    return p * Fraction(6, 5) - Fraction(1, 10)


def test_three_step_game_by_hand() -> None:
    """Powers A 50 (25 after a1), B 50 (40 after b1); v takes 0.1 off B's chance.

    A reneges where p_A > 7/12, B where p_B - 0.1 [v] > 7/12. By hand:
    (v, a1, b1), (v, b1, a1), (b1, v, a1) hold; (a1, v, b1) and (a1, b1, v) break at a1
    (A foresees B reneging and refuses first); (b1, a1, v) breaks at b1: B foresees A
    reneging at a1 (p_A = 50/90: 1.2 * 5/9 - 0.1 = 0.5667 beats 0.3615 after B's v-renege).
    """
    r = sequences(compile_problem(game(THREE)), draws=0)
    assert (r.n_orders, r.n_self_enforcing) == (6, 3)
    solved = {}
    every = _admissible(_compile(compile_problem(game(THREE)), {"i": "x"}, 0, 0).pred)
    g = _compile(compile_problem(game(THREE)), {"i": "x"}, 0, 0)
    breaks, values, _, slack = _solve(g, every)
    for k, order in enumerate(every):
        name = tuple(g.steps[s] for s in order)
        solved[name] = (int(breaks[k, 0]), values[k, 0].tolist(), float(slack[k, 0]))
    holds = {o for o, (b, _, _) in solved.items() if b == 3}
    assert holds == {("v", "a1", "b1"), ("v", "b1", "a1"), ("b1", "v", "a1")}
    assert solved[("a1", "v", "b1")][0] == 0 and solved[("a1", "b1", "v")][0] == 0
    assert solved[("b1", "a1", "v")][0] == 0
    # (v, a1, b1): the closest slot is b1, where B's war value is 1.2 (2/3 - 1/10) - 0.1 = 0.58
    assert solved[("v", "a1", "b1")][2] == pytest.approx(float(Fraction(3, 5) - Fraction(29, 50)))
    # (b1, a1, v) ends with the war values at the start: both 0.5
    assert solved[("b1", "a1", "v")][1] == pytest.approx([0.5, 0.5])
    # who breaks (b1, a1, v): B, at its own first step
    worst = {o.order: o for o in [*r.orders, r.worst]}
    assert r.orders[0].self_enforcing and not r.worst.self_enforcing
    broken = [o for o in worst.values() if o.breaks_at is not None]
    assert all(o.breaks_at.position == 1 for o in broken)
    # the numbers behind the docstring
    assert float(_v(Fraction(5, 9))) == pytest.approx(0.5667, abs=1e-4)
    assert float(_v(Fraction(5, 13))) == pytest.approx(0.3615, abs=1e-4)


@settings(max_examples=25, deadline=None)
@given(
    deal=st.floats(0.5, 1.0),
    n=st.integers(1, 5),
    days=st.lists(st.integers(0, 3000), min_size=5, max_size=5),
)
def test_constant_power_every_order_holds(deal: float, n: int, days: list[int]) -> None:
    """No step shifts power and power is constant: a deal worth at least the batna holds
    in every order (war is worth the batna at every step)."""
    steps = "\n".join(
        f"    - {{id: s{k}, label: s, actor: {'ab'[k % 2]}, due: {days[k]}}}" for k in range(n)
    )
    r = sequences(compile_problem(game(steps, deal=round(deal, 6))), {"i": "x"}, draws=0)
    assert r.n_self_enforcing == r.n_orders
    assert all(o.self_enforcing for o in [*r.orders, r.worst])


@settings(max_examples=25, deadline=None)
@given(fine=st.floats(0.0, 1.0), detect=st.floats(0.0, 1.0))
def test_the_order_holds_exactly_when_the_expected_penalty_covers_the_gap(
    fine: float, detect: float
) -> None:
    step = (
        f", monitoring: {{by: m, detect: {detect!r}, assumed: a}},"
        f" guarantors: [{{by: g, penalty: {fine!r}, assumed: a}}]"
    )
    order = by_order(sequences(compile_problem(game(TWO % step)), draws=0))[("disarm", "elect")]
    if abs(detect * fine - 0.1) > 1e-9:
        assert order.self_enforcing is (detect * fine > 0.1)


def test_power_shift_over_time_breaks_late_steps() -> None:
    """A grows 20% a year; a late step lets A's war value catch up with the deal."""
    steps = """\
    - {id: early, label: e, actor: a, due: 0}
    - {id: late, label: l, actor: a, due: 1826}
"""
    r = sequences(compile_problem(game(steps, growth=", growth: 0.2")), {"i": "x"}, draws=0)
    # at t = 5 years, p_A = 50 * 1.2^5 / (50 * 1.2^5 + 50) = 0.713 > 7/12: A reneges at slot 2
    assert r.n_self_enforcing == 0
    assert r.worst.breaks_at.position == 2 and r.worst.breaks_at.actor == "a"


def test_precedences_and_requested_orders() -> None:
    steps = TWO % ", after: [disarm]"
    r = sequences(compile_problem(game(steps)), draws=0, orders=[["disarm", "elect"]])
    assert r.n_orders == 1 and r.requested[0].order == ("disarm", "elect")
    with pytest.raises(DurabilityError, match="its `after` requires"):
        sequences(compile_problem(game(steps)), draws=0, orders=[["elect", "disarm"]])
    with pytest.raises(DurabilityError, match="every step once"):
        sequences(compile_problem(game(steps)), draws=0, orders=[["disarm"]])
    with pytest.raises(DurabilityError, match="unknown step"):
        sequences(compile_problem(game(steps)), draws=0, orders=[["disarm", "vote"]])


def test_many_steps_use_dynamic_programming_and_match_enumeration() -> None:
    """Beyond EXACT_STEPS the best order is found by DP over the sets of steps done; on a
    small game the DP's best and worst shortfalls equal those of full enumeration."""
    g = _compile(compile_problem(game(THREE)), {"i": "x"}, 0, 0)
    every = _admissible(g.pred)
    _, _, shortfall, _ = _solve(g, every)
    best = _solve(g, _extreme(g, worst=False))[2][0, 0]
    worst = _solve(g, _extreme(g, worst=True))[2][0, 0]
    assert best == pytest.approx(shortfall.min()) and worst == pytest.approx(shortfall.max())
    steps = "\n".join(
        f"    - {{id: s{k}, label: s, actor: {'ab'[k % 2]}, due: {k},"
        f" effects: [{{actor: {'ab'[k % 2]}, power: -0.05}}]}}"
        for k in range(EXACT_STEPS + 2)
    )
    r = sequences(compile_problem(game(steps)), {"i": "x"}, draws=0)
    assert r.method == "dynamic-programming" and r.n_self_enforcing is None
    assert r.n_orders == 479001600  # 12!


def test_p_holds_over_draws_is_reproducible_and_between_the_cases() -> None:
    step = ", monitoring: {by: m, detect: {uniform: [0, 1]}, assumed: a}," + (
        " guarantors: [{by: g, penalty: 0.2, assumed: a}]"
    )
    s = game(TWO % step)
    r1, r2 = (
        sequences(compile_problem(s), draws=4000, seed=3),
        sequences(compile_problem(s), draws=4000, seed=3),
    )
    order = by_order(r1)[("disarm", "elect")]
    # holds when 0.2 d >= 0.1, i.e. d >= 0.5: half the draws
    assert order.p_holds == pytest.approx(0.5, abs=0.03)
    assert r1.to_dict() == r2.to_dict()


SPOILER = """
id: t
title: t
as_of: 2016-01-01
issues:
  - {{id: i, label: i, options: [{{id: x, label: x, at: 0}}, {{id: y, label: y, at: 80}}]}}
actors:
  - {{id: gov, label: G, power: 1, veto: true, batna: 0.1,
     stances: [{{issue: i, position: x, salience: 1}}]}}
factions:
  - {{id: front, label: F, parent: gov, aims: {aims}, batna: 0.5, capability: 200,
     threshold: {threshold}, stances: [{{issue: i, position: 100, salience: 1}}]}}
"""


@pytest.mark.parametrize(
    ("aims", "threshold", "p_fails", "p_partly"),
    [
        ("greedy", 199, 1.0, 0.0),
        ("greedy", 200, 0.0, 0.0),  # capability must exceed the threshold
        ("limited", 199, 0.0, 1.0),
        ("total", 150, 1.0, 0.0),
    ],
)
def test_spoiler_with_a_known_threshold(
    aims: str, threshold: float, p_fails: float, p_partly: float
) -> None:
    s = load_scenario_text(SPOILER.format(aims=aims, threshold=threshold))
    r = spoilers(compile_problem(s), {"i": "x"}, draws=0)
    f = r.factions[0]
    assert f.deal == 0.0 and f.rejects  # x is at 0, the front wants 100
    assert f.spoils is (p_fails + p_partly > 0)
    assert (r.p_fails, r.p_partly) == (p_fails, p_partly)
    assert f.margin == 200 - threshold
    # y (at 80) gives it 0.8 >= 0.5: the smallest inducement, which the government accepts
    assert f.inducements[0].change == {"i": "y"} and f.inducements[0].beats_batnas


def test_spoiler_probability_over_an_uncertain_threshold() -> None:
    s = load_scenario_text(SPOILER.format(aims="greedy", threshold="{uniform: [100, 300]}"))
    r = spoilers(compile_problem(s), {"i": "x"}, draws=4000, seed=1)
    assert r.factions[0].p_spoiled == pytest.approx(0.5, abs=0.03)
    # a deal the faction prefers is never spoiled
    assert spoilers(compile_problem(s), {"i": "y"}, draws=500).factions[0].p_spoiled == 0.0


def test_faction_without_stances_takes_its_parents() -> None:
    text = SPOILER.format(aims="limited", threshold=1).replace(
        ", stances: [{issue: i, position: 100, salience: 1}]}", "}"
    )
    f = spoilers(compile_problem(load_scenario_text(text)), {"i": "x"}, draws=0).factions[0]
    assert f.deal == 1.0 and not f.rejects and not f.spoils


# -- schema: FILE:LINE errors ---------------------------------------------------------------

STEPS = "implementation.steps"
BAD = [
    ("actor: b, due: 60", "actor: c, due: 60", f"{STEPS}[1].actor", "unknown actor"),
    ("due: 60", "due: 60, after: [disarn]", f"{STEPS}[1].after[0]", "did you mean"),
    ("options: {i: x}", "options: {i: z}", f"{STEPS}[0].options.i", "not an option"),
    ("{actor: a, power: -0.5}", "{actor: c, power: -0.5}", f"{STEPS}[0].effects[0].actor",
     "dynamics.actors"),
    ("due: 60", "due: 60, guarantors: [{by: US, penalty: 0.1}]", f"{STEPS}[1].guarantors",
     "monitoring"),
    ("due: 60", "due: 1900-01-01", f"{STEPS}[1].due", "before as_of"),
    ("due: 60", "due: -5", f"{STEPS}[1].due", "0 to 36500"),
    ("id: elect", "id: disarm", f"{STEPS}[1].id", "duplicate step"),
    ("{actor: a, power: -0.5}", "{actor: a, power: -1.5}", f"{STEPS}[0].effects[0].power", ""),
    ("due: 60", "due: 60, monitoring: {by: m, detect: 1.5}", f"{STEPS}[1].monitoring.detect", ""),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "path", "fragment"), BAD, ids=[b[2] for b in BAD])
def test_bad_implementation_is_reported_with_file_and_line(
    old: str, new: str, path: str, fragment: str
) -> None:
    text = BASE.format(deal=0.6, steps=TWO % "", extra="", growth="")
    assert old in text
    text = text.replace(old, new, 1) if "id: elect" not in old else text.replace(old, new)
    with pytest.raises(InputError) as info:
        load_scenario_text(text, "s.yaml")
    found: tuple[Diagnostic, ...] = info.value.problems
    match = [p for p in found if p.path == path and fragment in p.message]
    assert match, [str(p) for p in found]
    assert match[0].line is not None
    assert str(match[0]).startswith(f"s.yaml:{match[0].line}: {path}:")


def test_precedence_cycle_is_an_error() -> None:
    text = BASE.format(deal=0.6, steps=TWO % ", after: [disarm]", extra="", growth="")
    text = text.replace("due: 30,", "due: 30, after: [elect],")
    with pytest.raises(InputError, match="cycle"):
        load_scenario_text(text, "s.yaml")


def test_bad_factions_are_reported() -> None:
    text = SPOILER.format(aims="greedy", threshold=1)
    for old, new, fragment in [
        ("parent: gov", "parent: gvo", "did you mean `gov`"),
        ("aims: greedy", "aims: angry", "limited"),
        ("id: front", "id: gov", "actor's id"),
        ("parent: gov, ", "", "needs its own `stances`"),
    ]:
        bad = text.replace(old, new)
        if "needs its own" in fragment:
            bad = bad.replace(", stances: [{issue: i, position: 100, salience: 1}]", "")
        with pytest.raises(InputError, match=re.escape(fragment)):
            load_scenario_text(bad, "s.yaml")


def test_implementation_needs_dynamics() -> None:
    text = BASE.format(deal=0.6, steps=TWO % "", extra="", growth="")
    text = re.sub(r"dynamics:\n  actors:\n(    - .*\n)+", "", text)
    with pytest.raises(InputError, match="needs a `dynamics` section"):
        load_scenario_text(text, "s.yaml")


# -- the shipped scenarios ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["minsk-2015", "colombia-2016"])
def test_history_cases_load_strictly_and_keep_the_outcome_out(name: str) -> None:
    s = load_scenario(HISTORY / f"{name}.yaml")
    assert undocumented(s) == []
    assert s.implementation is not None and s.factions and s.outcome is not None
    dated = {src.id: src.date for src in s.sources}
    outcome_only = set(s.outcome.sources)
    cited = {x.source for x in _provenanced(s) if x.source is not None}
    assert not cited & outcome_only, "an outcome source is cited as an input"
    for source in cited:
        assert dated[source] is None or dated[source] < s.outcome.date
    # the outcome is no input: removing it changes no result
    r1 = sequences(compile_problem(s), draws=50)
    r2 = sequences(compile_problem(s.model_copy(update={"outcome": None})), draws=50)
    assert r1.to_dict() == r2.to_dict()


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


def test_minsk_reports_both_orders() -> None:
    s = load_scenario(HISTORY / "minsk-2015.yaml")
    kyiv = ["ceasefire", "pullback_ukraine", "pullback_separatists", "border", "elections",
            "special_status"]  # fmt: skip
    r = sequences(compile_problem(s), draws=200, orders=[kyiv])
    assert r.declared is not None and r.declared.order[-1] == "border"  # the text's order
    assert r.requested[0].order == tuple(kyiv)
    assert r.n_orders == 120


def test_cli_sequences_json_keeps_durability_keys(tmp_path: object) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "offramp", "durability", str(HISTORY / "colombia-2016.yaml"),
         "--sequences", "--draws", "100", "--json", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    data = json.loads(out.stdout)
    for key in ("package", "self_enforcing", "first_breach", "p_holds", "restoring", "values"):
        assert key in data
    seq = data["sequences"]
    for key in ("orders", "worst", "declared", "requested", "n_orders", "method", "steps"):
        assert key in seq
    for key in ("order", "self_enforcing", "breaks_at", "values", "needs", "p_holds"):
        assert key in seq["orders"][0]
    assert data["spoilers"]["factions"][0]["faction"] == "first_front"
    assert "Spoilers" in out.stderr and "Order of the steps" in out.stderr


def test_cli_order_needs_sequences() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "offramp", "durability", str(HISTORY / "colombia-2016.yaml"),
         "--order", "zones"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 1 and "--order needs --sequences" in out.stderr
    assert "Traceback" not in out.stderr


def test_draws_axis_is_leading() -> None:
    g = _compile(compile_problem(game(THREE)), {"i": "x"}, 7, 0)
    assert g.war.shape == (7, 2, 8) and g.pen.shape == (7, 3)
    assert np.all(np.isfinite(g.war))


def test_web_sequences_route() -> None:
    from fastapi.testclient import TestClient

    from offramp.web.app import create_app

    client = TestClient(create_app(HISTORY))
    reply = client.post("/sequences", json={"name": "minsk-2015.yaml", "draws": 50})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["sequences"]["n_orders"] == 120
    assert {f["faction"] for f in body["spoilers"]["factions"]} == {
        "right_sector",
        "separatist_commanders",
    }
    assert body["figure"]["spec"]["data"]
    bad = client.post("/sequences", json={"name": "minsk-2015.yaml", "orders": [["border"]]})
    assert bad.status_code == 422 and "every step once" in bad.text


def test_report_has_the_implementation_section() -> None:
    from offramp.report.render import render_markdown
    from offramp.report.write import report_for

    s = load_scenario(HISTORY / "colombia-2016.yaml")
    report = report_for(compile_problem(s), forecasts=False, negotiation=False)
    text = render_markdown(report)
    assert "Carrying it out" in text and "FARC First Front" in text
    assert "implementation" in report.wired


def test_the_docs_example_runs() -> None:
    import doctest

    failures, tried = doctest.testfile(
        str(ROOT / "docs" / "implementation.md"), module_relative=False, verbose=False
    )
    assert tried >= 5 and failures == 0
