"""Red lines in the sweep: drawn per draw (never_p, itself uncertain), changed by events.

The tiny scenario: two veto actors, two issues of two options each. Kyiv
(`ua`) values keep/member, Moscow (`ru`) cede/neutral, each with weight 1/2
per issue and batna 0.4, so (keep, neutral) and (cede, member) give both
0.5 > 0.4: the ZOPA. Kyiv's firm red line rules out `cede`; Moscow's rules
out `keep` with probability ``never_p``. When Moscow's line holds the ZOPA is
empty, so by hand P(agreement) = 1 - never_p, and the Nash package is
(keep, neutral) whenever there is one.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest

from offramp.assess import analyze
from offramp.problem import Problem, compile_problem
from offramp.scenario import load_scenario_text
from offramp.uncertainty import Draws, draw, sweep
from offramp.uncertainty.model import uniforms
from offramp.uncertainty.sweep import SweepSummary, wilson
from tests.test_scenario_credible import line_containing, problems_of

TINY = """\
id: tiny
title: Tiny
as_of: 2024-01-01
sources:
  - {id: src, title: A source}
issues:
  - id: land
    label: Land
    options:
      - {id: keep, label: Keep, at: 0}
      - {id: cede, label: Cede, at: 100}
  - id: nato
    label: NATO
    options:
      - {id: member, label: Member, at: 0}
      - {id: neutral, label: Neutral, at: 100}
actors:
  - id: ua
    label: Kyiv
    power: 1
    veto: true
    batna: 0.4
    assumed: a
    stances:
      - {issue: land, position: keep, salience: 1, never: [cede], assumed: a}
      - {issue: nato, position: member, salience: 1, assumed: a}
  - id: ru
    label: Moscow
    power: 1
    veto: true
    batna: 0.4
    assumed: a
    stances:
      - {issue: land, position: cede, salience: 1, never: [keep], never_p: 0.3, assumed: a}
      - {issue: nato, position: neutral, salience: 1, assumed: a}
"""

EVENT = """\
events:
  - id: talks
    label: Talks
    date: 2024-02-01
    assumed: a
    branches:
      - {id: lifted, label: Lifted, probability: 0.25,
         changes: {actors.ru.stances.land.never_p: 0}}
      - {id: firm, label: Firm, probability: 0.25,
         changes: {actors.ru.stances.land.never_p: 1}}
      - {id: kyiv_gives, label: Kyiv gives, probability: 0.25,
         changes: {actors.ua.stances.land.never: []}}
      - {id: unchanged, label: Unchanged, probability: 0.25}
"""

RU, KEEP, LAND = 1, 0, 0


def _binomial_ok(hits: int, n: int, p: float) -> bool:
    """``hits`` within 4.5 standard deviations of ``n p`` (a false alarm is ~1e-5)."""
    return abs(hits - n * p) <= 4.5 * math.sqrt(n * p * (1 - p))


def _kept_sweep(problem: Problem, **options: Any) -> tuple[SweepSummary, Draws]:
    """A sweep and every draw's results (kept chunk by chunk, then joined)."""
    parts: list[Draws] = []
    summary, _ = sweep(
        problem,
        keep_draws=True,
        on_chunk=lambda c: parts.append(c.draws) if c.draws is not None else None,
        **options,
    )
    return summary, Draws.concat(parts)


def test_a_red_line_holds_in_a_share_never_p_of_the_draws() -> None:
    problem = compile_problem(load_scenario_text(TINY))
    n = 20_000
    drawn = draw(problem, uniforms(3, 0, n, problem.streams)).problem
    holds = drawn.never[LAND][:, RU, KEEP]
    assert _binomial_ok(int(holds.sum()), n, 0.3)
    assert drawn.never[LAND][:, 0, 1].all()  # Kyiv's firm line holds in every draw
    summary, results = _kept_sweep(problem, draws=n, seed=3)
    # by hand: agreement exactly when Moscow's line does not hold
    np.testing.assert_array_equal(results.ratified > 0, ~holds)
    low, high = wilson(n - int(holds.sum()), n)
    assert low <= summary.p_agreement <= high and low < 0.7 < high
    assert [p["package"] for p in summary.nash_packages] == [{"land": "keep", "nato": "neutral"}]


def test_an_uncertain_never_p_is_drawn_like_any_input() -> None:
    text = TINY.replace("never_p: 0.3", "never_p: {uniform: [0.1, 0.5]}")
    problem = compile_problem(load_scenario_text(text))
    assert problem.input_names == ("actors.ru.stances.land.never_p",)
    assert problem.never_p[0, RU, LAND, KEEP] == pytest.approx(0.3)  # the point value: midpoint
    n = 20_000
    u = uniforms(9, 0, n, problem.streams)
    d = draw(problem, u)
    p = d.problem.never_p[:, RU, LAND, KEEP]
    np.testing.assert_allclose(p, 0.1 + 0.4 * u[:, 0])  # the uniform's quantile function
    np.testing.assert_array_equal(d.drawn[:, 0], p)
    (s,) = [s for a, i, s in problem.red_line_streams if a == RU]
    np.testing.assert_array_equal(d.problem.never[LAND][:, RU, KEEP], u[:, s] < p)
    # the marginal probability that the line holds is E[never_p] = 0.3
    assert _binomial_ok(int(d.problem.never[LAND][:, RU, KEEP].sum()), n, 0.3)


def test_per_option_never_p_and_the_whole_line_fill_the_right_options() -> None:
    text = TINY.replace(
        "never: [cede], assumed: a",
        "never: [cede], never_p: {uniform: [0.6, 1]}, assumed: a",
    ).replace("never_p: 0.3", "never_p: {keep: {triangular: [0, 0.2, 0.4]}}")
    problem = compile_problem(load_scenario_text(text))
    assert problem.input_names == (
        "actors.ua.stances.land.never_p",
        "actors.ru.stances.land.never_p.keep",
    )
    d = draw(problem, uniforms(1, 0, 500, problem.streams)).problem
    assert (d.never_p[:, 0, LAND, 1] >= 0.6).all() and (d.never_p[:, 0, LAND, 0] == 0).all()
    assert (d.never_p[:, RU, LAND, 1] == 0).all() and (d.never_p[:, RU, LAND, 0] <= 0.4).all()


def test_never_p_zero_is_no_red_line_and_one_is_a_firm_one() -> None:
    def run(text: str) -> object:
        return _kept_sweep(compile_problem(load_scenario_text(text)), draws=400, seed=11)[1]

    base = TINY.replace(", never_p: 0.3", "")
    firm = run(base + EVENT)
    one = run(base.replace("never: [keep]", "never: [keep], never_p: 1") + EVENT)
    # (the events name Moscow's line: without one, compare without them)
    none = run(base.replace(", never: [keep]", ""))
    zero = run(base.replace("never: [keep]", "never: [keep], never_p: 0"))
    for f in dataclasses.fields(firm):  # type: ignore[arg-type]
        np.testing.assert_array_equal(getattr(firm, f.name), getattr(one, f.name))
        np.testing.assert_array_equal(getattr(none, f.name), getattr(zero, f.name))
    assert not np.array_equal(firm.ratified, none.ratified)  # type: ignore[attr-defined]


def test_results_do_not_depend_on_chunking() -> None:
    text = TINY.replace("never_p: 0.3", "never_p: {beta: [2, 5]}") + EVENT
    problem = compile_problem(load_scenario_text(text))
    _, one = _kept_sweep(problem, draws=900, seed=5, chunk_size=900)
    _, many = _kept_sweep(problem, draws=900, seed=5, chunk_size=61)
    for f in dataclasses.fields(one):
        np.testing.assert_array_equal(getattr(one, f.name), getattr(many, f.name))
    tail = draw(problem, uniforms(5, 700, 900, problem.streams)).problem
    whole = draw(problem, uniforms(5, 0, 900, problem.streams)).problem
    np.testing.assert_array_equal(tail.never[LAND], whole.never[LAND][700:])


def test_branches_that_lift_or_harden_a_red_line_change_p_agreement_by_branch() -> None:
    problem = compile_problem(load_scenario_text(TINY + EVENT))
    summary, _ = sweep(problem, draws=4000, seed=2)
    by = summary.by_branch["talks"]
    # by hand: lifted -> the ZOPA is (keep, neutral) in every draw; firm -> it is empty;
    # Kyiv lifting its own line -> (cede, member) is left whenever Moscow's line holds
    assert by["lifted"]["p_agreement"] == 1.0
    assert by["firm"]["p_agreement"] == 0.0
    assert by["kyiv_gives"]["p_agreement"] == 1.0
    n = int(by["unchanged"]["draws"])
    assert _binomial_ok(round(by["unchanged"]["p_agreement"] * n), n, 0.7)
    assert sum(int(b["draws"]) for b in by.values()) == 4000


def test_with_changes_applies_a_red_line_change_at_its_point_value() -> None:
    problem = compile_problem(load_scenario_text(TINY + EVENT))
    assert not problem.never[LAND][0, RU, KEEP]  # 0.3: not applied by the analysis
    lifted, firm, kyiv, _ = problem.events[0].changes
    hard = problem.with_changes(firm)
    assert hard.never[LAND][0, RU, KEEP] and hard.never_p[0, RU, LAND, KEEP] == 1.0
    assert analyze(hard).ratified_count == 0 and analyze(problem).ratified_count == 1
    soft = hard.with_changes(lifted)
    assert not soft.never[LAND][0, RU, KEEP]
    given = hard.with_changes(kyiv)
    assert not given.never[LAND][0, 0].any() and given.never_p[0, 0, LAND].tolist() == [0, 0]
    assert analyze(given).ratified_count == 1  # (cede, member)
    assert problem.never_p[0, RU, LAND, KEEP] != 1.0  # the original is unchanged


def test_a_whole_line_change_with_a_distribution_is_one_draw_for_its_options() -> None:
    stance = "      - {issue: nato, position: neutral, salience: 1, assumed: a}"
    lined = TINY.replace(stance, stance.replace("assumed", "never: [member], never_p: 0, assumed"))
    change = "{actors.ru.stances.land.never: [], actors.ru.stances.land.never_p: {uniform: [0, 1]}}"
    text = lined + EVENT.replace("{actors.ru.stances.land.never_p: 0}", change)
    problem = compile_problem(load_scenario_text(text))
    changes = problem.events[0].changes[0]
    drawn_changes = [c for c in changes if c.distribution is not None]
    # the branch emptied the line before giving it a probability: nothing to fill
    assert drawn_changes == []
    text = lined + EVENT.replace(
        "{actors.ru.stances.land.never_p: 0}",
        "{actors.ru.stances.land.never_p: {uniform: [0, 1]}, actors.ru.stances.nato.never_p: 0.2}",
    )
    problem = compile_problem(load_scenario_text(text))
    changes = problem.events[0].changes[0]
    assert [(c.slot, c.stream) for c in changes] == [
        (("never_p", (RU, LAND, KEEP)), 1),
        (("never_p", (RU, 1, 0)), -1),
    ]
    # a line of two options: one draw of the whole line's never_p fills both, in the
    # base case (one input) and in a branch (two changes, one stream)
    three = lined.replace(
        "      - {id: cede, label: Cede, at: 100}",
        "      - {id: split, label: Split, at: 50}\n      - {id: cede, label: Cede, at: 100}",
    ).replace("never: [keep], never_p: 0.3", "never: [keep, split], never_p: {uniform: [0, 1]}")
    text = three + EVENT.replace(
        "{actors.ru.stances.land.never_p: 0}",
        "{actors.ru.stances.land.never_p: {uniform: [0.5, 1]}}",
    )
    problem = compile_problem(load_scenario_text(text))
    (inp,) = problem.inputs
    assert inp.slot == ("never_p", (RU, LAND, 0)) and inp.more == ((RU, LAND, 1),)
    changes = problem.events[0].changes[0]
    assert [(c.slot, c.stream) for c in changes] == [
        (("never_p", (RU, LAND, 0)), 2),
        (("never_p", (RU, LAND, 1)), 2),
    ]
    d = draw(problem, uniforms(4, 0, 2000, problem.streams))
    p = d.problem.never_p[:, RU, LAND]
    np.testing.assert_array_equal(p[:, 0], p[:, 1])
    lifted = d.branch[:, 0] == 0
    assert (p[lifted, 0] >= 0.5).all() and (p[~lifted, 0] < 0.5).any()
    ruled = d.problem.never[LAND][:, RU]
    np.testing.assert_array_equal(ruled[:, 0], ruled[:, 1])  # one uniform decides the line
    assert not ruled[:, 2].any()
    from offramp.uncertainty.sensitivity import factor_names

    assert len(factor_names(problem)) == problem.streams


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ("actors.ru.stances.land.never: [kep]", "`kep` is not an option of the issue"),
        ("actors.ru.stances.land.never: keep", "a red line is a list of option ids"),
        ("actors.ru.stances.land.never: [keep, cede]", "every option of the issue"),
        ("actors.ru.stances.land.never: [keep, keep]", "listed twice"),
        ("actors.ru.stances.land.never: [cede]", "`cede` is the stance's own position"),
        ("actors.ru.stances.nato.never_p: 0.5", "has no red line"),
        ("actors.ru.stances.land.never_p.cede: 0.5", "`cede` is not on the red line"),
        ("actors.ru.stances.land.never_p: 1.5", "1.5"),
    ],
)
def test_bad_red_line_changes_name_file_and_line(change: str, fragment: str) -> None:
    text = TINY + EVENT.replace("actors.ru.stances.land.never_p: 0", change)
    found = problems_of(text)
    key = change.split(":")[0]
    match = [p for p in found if fragment in p.message]
    assert match, [str(p) for p in found]
    assert match[0].path == f"events[0].branches[0].changes.{key}"
    assert match[0].line == line_containing(text, key)
    assert str(match[0]).startswith(f"s.yaml:{match[0].line}:")


def test_negotiation_sees_a_red_line_an_event_hardens() -> None:
    from offramp.negotiate import negotiate

    hardens = """\
events:
  - id: hardens
    label: Moscow hardens
    date: 2024-01-02
    assumed: a
    branches:
      - {id: yes, label: Yes, probability: 1, changes: {actors.ru.stances.land.never_p: 1}}
"""
    # base case: Moscow's line (0.3) is not applied, and the boulware pair meet at
    # (keep, neutral) in the last round; once the event (round 1) makes it firm, Moscow
    # may no longer accept keeping the land, and no package is left for both
    base = negotiate(compile_problem(load_scenario_text(TINY)), deadline=6)
    assert base.agreement == {"land": "keep", "nato": "neutral"}
    hard = negotiate(compile_problem(load_scenario_text(TINY + hardens)), deadline=6)
    assert hard.agreement is None
    moscow = [m for m in hard.history if m.actor == "ru" and m.round >= 1]
    assert moscow and all(m.package and m.package["land"] == "cede" for m in moscow)


def test_the_docs_example_runs() -> None:
    import doctest

    from tests.conftest import ROOT

    failures, tried = doctest.testfile(
        str(ROOT / "docs" / "uncertainty.md"), module_relative=False, verbose=False
    )
    assert tried > 0 and failures == 0


def test_evaluate_draws_an_uncertain_red_line() -> None:
    from offramp.evaluate import evaluate

    text = TINY.replace("never_p: 0.3", "never_p: {uniform: [0.1, 0.5]}")
    keep = {"land": "keep", "nato": "neutral"}
    e = evaluate(load_scenario_text(text), package=keep, draws=8000, seed=1).to_dict()
    # by hand: accepted exactly when Moscow's line (held with mean probability 0.3) does not
    assert e["draws"]["p_ratified"] == 1.0
    assert _binomial_ok(round(e["draws"]["p_accepted"] * 8000), 8000, 0.7)
