"""Distributions, events, the batched settlement kernel, sweeps and sensitivity."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from offramp.assess import analyze
from offramp.errors import InputError
from offramp.problem import BATCHED, Problem, compile_problem
from offramp.scenario import Scenario, load_scenario, load_scenario_data, load_scenario_text
from offramp.scenario.distributions import distribution_of, parse_number
from offramp.settle.analysis import _blocking
from offramp.uncertainty import Draws, _fused, draw, run_chunk, sensitivity, settle, sweep
from offramp.uncertainty.kernel import NO_AGREEMENT, route_slots
from offramp.uncertainty.model import uniforms
from offramp.uncertainty.sweep import wilson
from tests.conftest import ARTICLE, MINI, SCENARIOS, ratifiable_ukraine
from tests.strategies import scenarios

UKRAINE = SCENARIOS / "ukraine-2024-09.yaml"


@pytest.fixture(scope="module")
def ukraine() -> Scenario:
    return load_scenario(UKRAINE)


@pytest.fixture(scope="module")
def ratifiable() -> Scenario:
    """Ukraine with a public that might pass a freeze (see ``ratifiable_ukraine``)."""
    return load_scenario_text(ratifiable_ukraine())


def test_no_sweep_package_crosses_a_red_line_of_its_draw(ukraine: Scenario) -> None:
    shipped, _ = sweep(compile_problem(ukraine), draws=2000, seed=5)
    # the leaders could sign a freeze in some draws; the public would not ratify it
    assert shipped.p_agreement < 0.01 < shipped.p_zopa
    problem = compile_problem(load_scenario_text(ratifiable_ukraine()))
    summary, _ = sweep(problem, draws=2000, seed=5)
    results = run_chunk(problem, 5, 0, 2000)
    assert summary.p_agreement > 0.05
    drawn = draw(problem, uniforms(5, 0, 2000, problem.streams)).problem
    options = problem.space.options_of(np.maximum(results.nash, 0))
    veto = problem.veto_index
    for d in np.flatnonzero(results.nash >= 0):
        for i, k in enumerate(options[d]):
            assert not drawn.never[i][d, veto, k].any(), (d, i, k)
    assert all(p["package"]["territory"] == "freeze" for p in summary.nash_packages)


# --- distributions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "point"),
    [
        ({"uniform": [0.2, 0.6]}, 0.4),
        ({"triangular": [0.3, 0.4, 0.6]}, 0.4),
        ({"normal": [0.45, 0.1]}, 0.45),
        ({"beta": [2, 2]}, 0.5),
        ({"beta": [3, 1, 0.2, 0.6]}, 0.2 + 0.4 * 0.5 ** (1 / 3)),  # median when b <= 1
        ({"choice": [0.1, 0.7], "weights": [1, 3]}, 0.7),
        ({"uniform": [0.2, 0.6], "value": 0.3}, 0.3),
    ],
)
def test_point_values(data: dict[str, Any], point: float) -> None:
    assert parse_number(data, 0.0, 1.0) == pytest.approx(point)


@pytest.mark.parametrize(
    ("data", "mean"),
    [
        ({"uniform": [0.2, 0.6]}, 0.4),
        ({"triangular": [0.1, 0.4, 1.0]}, 0.5),
        ({"beta": [2, 5]}, 2 / 7),
        ({"normal": [0.9, 0.2]}, stats.truncnorm(-4.5, 0.5, loc=0.9, scale=0.2).mean()),
        ({"choice": [0.0, 1.0], "weights": [3, 1]}, 0.25),
    ],
)
def test_draws_follow_the_distribution(data: dict[str, Any], mean: float) -> None:
    dist = distribution_of(parse_number(data, 0.0, 1.0))
    assert dist is not None
    x = dist.ppf(uniforms(3, 0, 200_000, 1)[:, 0])
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert x.mean() == pytest.approx(mean, abs=0.004)


def test_triangular_matches_scipy_quantiles() -> None:
    dist = distribution_of(parse_number({"triangular": [10, 30, 90]}, 0, 100))
    assert dist is not None
    q = np.array([0.01, 0.2, 0.5, 0.9])
    expected = stats.triang(c=(30 - 10) / 80, loc=10, scale=80).ppf(q)
    np.testing.assert_allclose(dist.ppf(q), expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("replace", "path", "fragment"),
    [
        ("batna: 0.4", "actors[0].batna", "low <= most likely <= high"),
        ("batna: 0.3", "actors[1].batna", "exactly one of"),
        ("salience: 0.5", "actors[0].stances[1].salience", "no upper limit"),
        ("reject: 0.55", "publics[0].rules[1].reject", "must be in [0, 1]"),
    ],
)
def test_bad_distributions_are_reported_with_file_and_line(
    replace: str, path: str, fragment: str
) -> None:
    bad = {
        "batna: 0.4": "batna: {triangular: [0.3, 0.7, 0.6]}",
        "batna: 0.3": "batna: {triangle: [0.1, 0.2, 0.3]}",
        "salience: 0.5": "salience: {beta: [2, 2]}",
        "reject: 0.55": "reject: {uniform: [0.5, 1.2]}",
    }[replace]
    text = MINI.replace(replace, bad, 1)
    with pytest.raises(InputError) as caught:
        load_scenario_text(text, "s.yaml")
    (problem,) = caught.value.problems
    line = next(k for k, row in enumerate(text.splitlines(), 1) if bad in row)
    assert (problem.path, problem.line) == (path, line)
    assert fragment in problem.message


def test_distributions_keep_the_point_analysis_and_change_the_hash(mini_text: str) -> None:
    plain = load_scenario_text(mini_text)
    text = mini_text.replace("batna: 0.4", "batna: {triangular: [0.3, 0.4, 0.6]}")
    uncertain = load_scenario_text(text)
    assert (
        analyze(compile_problem(plain)).to_dict()["blockers"]
        == analyze(compile_problem(uncertain)).to_dict()["blockers"]
    )
    assert (
        analyze(compile_problem(plain)).scenario_hash
        != analyze(compile_problem(uncertain)).scenario_hash
    )
    dumped = uncertain.model_dump(mode="json")
    assert dumped["actors"][0]["batna"] == {"triangular": [0.3, 0.4, 0.6]}
    assert load_scenario_data(dumped) == uncertain


# --- events --------------------------------------------------------------------------

EVENTS = """
events:
  - id: vote
    label: Vote
    date: 2024-02-01
    assumed: a
    branches:
      - id: yes
        label: Yes
        probability: 0.25
        changes:
          actors.ru.batna: 0.1
          actors.ua.stances.land.position: cede
      - id: no
        label: No
        probability: 0.75
  - id: after
    label: After
    date: 2024-03-01
    given: vote
    assumed: a
    branches:
      - id: up
        label: Up
        probability: {yes: 1, no: 0.5}
        changes:
          actors.ua.batna: {add: {uniform: [-0.2, 0]}}
      - id: down
        label: Down
        probability: {yes: 0, no: 0.5}
"""


def test_events_load_and_compile(mini_text: str) -> None:
    problem = compile_problem(load_scenario_text(mini_text + EVENTS))
    assert [e.id for e in problem.events] == ["vote", "after"]
    assert problem.streams == 0 + 2 + 1
    u = uniforms(5, 0, 20_000, problem.streams)
    drawn = draw(problem, u)
    inputs = drawn.problem
    vote, after = drawn.branch[:, 0], drawn.branch[:, 1]
    assert abs((vote == 0).mean() - 0.25) < 0.015
    assert np.all(after[vote == 0] == 0)
    assert abs((after[vote == 1] == 0).mean() - 0.5) < 0.02
    ua, ru = 0, 1
    np.testing.assert_array_equal(inputs.batna[vote == 0, ru], 0.1)
    np.testing.assert_array_equal(inputs.batna[vote == 1, ru], 0.3)
    np.testing.assert_array_equal(inputs.position[vote == 0, ua, 0], 100.0)
    shifted = inputs.batna[after == 0, ua]
    assert shifted.min() >= 0.2 and shifted.max() <= 0.4 and shifted.std() > 0
    np.testing.assert_array_equal(inputs.batna[after == 1, ua], 0.4)
    early = draw(problem, u, at=dt.date(2024, 2, 15))
    assert np.all(early.branch[:, 1] == -1)
    np.testing.assert_array_equal(early.branch[:, 0], vote)


@pytest.mark.parametrize(
    ("old", "new", "path", "fragment"),
    [
        ("actors.ru.batna: 0.1", "actors.rus.batna: 0.1", "changes.actors.rus.batna", "`ru`"),
        ("actors.ru.batna: 0.1", "actors.ru.batna: 1.5", "changes.actors.ru.batna", "at most 1"),
        (
            "actors.ua.stances.land.position: cede",
            "actors.ru.stances.nato.position: 5",
            "changes.actors.ru.stances.nato.position",
            "no stance on `nato`",
        ),
        (
            "actors.ua.stances.land.position: cede",
            "actors.ua.stances.land.position: ceded",
            "changes.actors.ua.stances.land.position",
            "did you mean `cede`",
        ),
        ("probability: 0.75", "probability: 0.7", "events[0].branches", "sum to 0.95"),
        ("given: vote", "given: later", "events[1].given", "earlier event"),
        ("probability: {yes: 0, no: 0.5}", "probability: {yes: 0}", "probability", "`no`"),
        ("date: 2024-03-01", "date: 2024-01-15", "events[1].date", "date order"),
    ],
)
def test_bad_events_are_reported_with_file_and_line(
    mini_text: str, old: str, new: str, path: str, fragment: str
) -> None:
    text = (mini_text + EVENTS).replace(old, new, 1)
    with pytest.raises(InputError) as caught:
        load_scenario_text(text, "s.yaml")
    hits = [p for p in caught.value.problems if path in p.path and fragment in p.message]
    assert hits, [str(p) for p in caught.value.problems]
    rows = text.splitlines()
    line = next(k for k, row in enumerate(rows, 1) if new in row)
    if path.endswith("branches"):  # the problem is with the event's list of branches
        line = max(k for k, row in enumerate(rows[:line], 1) if row.strip() == "branches:")
    assert hits[0].line == line


# --- the batched kernel against analyze -----------------------------------------------


def _materialize(scenario: Scenario, inputs: Problem, d: int) -> Scenario:
    """The scenario with draw ``d``'s inputs written in as plain numbers."""
    data = scenario.model_dump(mode="json")
    data.pop("events", None)
    issues = [i.id for i in scenario.issues]
    for a, actor in enumerate(data["actors"]):
        actor["power"] = float(inputs.power[d, a])
        if actor.get("batna") is not None:
            actor["batna"] = float(inputs.batna[d, a])
        for stance in actor["stances"]:
            i = issues.index(stance["issue"])
            stance["position"] = float(inputs.position[d, a, i])
            stance["salience"] = float(inputs.salience[d, a, i])
            if stance.get("values") is not None:
                options = [o.id for o in scenario.issues[i].options]
                stance["values"] = {
                    o: float(inputs.values[d, a, i, k]) for k, o in enumerate(options)
                }
            if stance.get("never"):  # the red line as drawn: its options ruled out, surely
                options = [o.id for o in scenario.issues[i].options]
                ruled = inputs.never[i][min(d, inputs.never[i].shape[0] - 1), a]
                stance["never"] = [o for k, o in enumerate(options) if ruled[k]]
                stance["never_p"] = None
    for p, public in enumerate(data["publics"]):
        public["threshold"] = float(inputs.threshold[d, p])
        for r, rule in enumerate(public["rules"]):
            rule["reject"] = float(inputs.reject[d, p, r])
    return load_scenario_data(data)


def _check_against_analyze(scenario: Scenario, inputs: Problem, d: int, got: Any) -> None:
    point = compile_problem(_materialize(scenario, inputs, d))
    expected = analyze(point)
    # per body and route: the ZOPA packages taking it and those passed, as analyze sees them
    reach = np.zeros(len(route_slots(point)), dtype=np.int64)
    passed = reach.copy()
    for index, _, refuses, rejects, _ in _blocking(point, 1 << 18):
        options = point.space.options_of(index)
        zopa = ~refuses.any(axis=0)
        for s, (q, r) in enumerate(route_slots(point)):
            body = point.bodies[q]
            here = zopa & (body.route[body.cells(options)] == r)
            reach[s] += int(here.sum())
            passed[s] += int((here & ~rejects[q]).sum())
    assert got.reach[d].tolist() == reach.tolist()
    assert got.passed[d].tolist() == passed.tolist()
    assert got.zopa[d] == expected.zopa_count
    assert got.ratified[d] == expected.ratified_count
    nash = expected.solutions["nash"]
    assert got.nash[d] == (-1 if nash is None else nash.index)
    blocking = [b for b in expected.blockers if b.kind != "red_line"]  # non-veto: block none
    assert got.blocked[d].tolist() == [b.packages for b in blocking]
    assert got.sole[d].tolist() == [b.sole for b in blocking]
    # the route the Nash package takes at every body: the votes analyze (and evaluate) list
    problem = compile_problem(scenario)
    if nash is None:
        assert (got.route[d] == NO_AGREEMENT).all()
    else:
        votes = {v["body"]: v["route"] or "default" for v in expected.ratification["nash"]["votes"]}
        taken = [b.route_names[r + 2] for b, r in zip(problem.bodies, got.route[d], strict=True)]
        assert taken == [votes.get(b.id, "none") for b in problem.bodies]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(routes=True))
def test_kernel_reproduces_analyze_on_point_values(scenario: Scenario) -> None:
    problem = compile_problem(scenario)
    inputs = draw(problem, np.zeros((2, max(1, problem.streams)))).problem
    got = settle(inputs)
    _check_against_analyze(scenario, inputs, 0, got)
    assert got.nash[1] == got.nash[0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32))
def test_compiled_kernel_equals_the_numpy_kernel(scenario: Scenario, seed: int) -> None:
    problem = compile_problem(scenario)
    inputs = draw(problem, uniforms(seed, 0, 64, max(1, problem.streams))).problem
    fused = settle(inputs)
    assert _fused.AVAILABLE
    _fused.AVAILABLE = False
    try:
        plain = settle(inputs)
    finally:
        _fused.AVAILABLE = True
    for f in dataclasses.fields(fused):
        np.testing.assert_array_equal(getattr(fused, f.name), getattr(plain, f.name), f.name)


def test_compiled_kernel_equals_the_numpy_kernel_on_ukraine(
    ratifiable: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    problem = compile_problem(ratifiable)
    inputs = draw(problem, uniforms(4, 0, 300, problem.streams)).problem
    fused = settle(inputs)
    assert 0 < int((fused.ratified > 0).sum()) < 300
    monkeypatch.setattr(_fused, "AVAILABLE", False)
    plain = settle(inputs)
    for f in dataclasses.fields(fused):
        np.testing.assert_array_equal(getattr(fused, f.name), getattr(plain, f.name), f.name)


def test_kernel_reproduces_analyze_on_ukraine_draws(ratifiable: Scenario) -> None:
    ukraine = ratifiable
    problem = compile_problem(ukraine)
    inputs = draw(problem, uniforms(11, 0, 400, problem.streams)).problem
    got = settle(inputs)
    agreeing = np.flatnonzero(got.ratified > 0)
    assert 0 < len(agreeing) < 400
    for d in [*agreeing[:4].tolist(), *np.flatnonzero(got.ratified == 0)[:2].tolist()]:
        _check_against_analyze(ukraine, inputs, d, got)


def test_point_draw_of_ukraine_is_the_base_case(ukraine: Scenario) -> None:
    problem = compile_problem(ukraine)
    base = analyze(compile_problem(ukraine))
    u = np.zeros((1, problem.streams))
    u[:, [s for _, _, s in problem.red_line_streams]] = 0.5  # a red line's point draw
    drawn = draw(problem, u, at=ukraine.as_of)
    arrays = {name: getattr(drawn.problem, name).copy() for name in BATCHED}
    for inp in problem.inputs:
        name, index = inp.slot
        arrays[name][(slice(None), *index)] = getattr(problem, name)[(0, *index)]
    got = settle(drawn.problem.with_inputs(**arrays))
    assert got.ratified[0] == base.ratified_count == 0
    assert got.blocked[0].tolist() == [b.packages for b in base.blockers]


# --- sweeps: reproducibility, summary ---------------------------------------------------


def test_results_do_not_depend_on_chunking(ukraine: Scenario) -> None:
    problem = compile_problem(ukraine)
    kept: dict[int, list[Draws]] = {700: [], 97: []}
    summaries = {
        size: sweep(
            problem,
            draws=700,
            seed=42,
            chunk_size=size,
            keep_draws=True,
            on_chunk=lambda c, size=size: kept[size].append(c.draws),
        )[0]
        for size in kept
    }
    assert summaries[700] == summaries[97]
    one, many = (Draws.concat(kept[size]) for size in (700, 97))
    for f in dataclasses.fields(one):
        np.testing.assert_array_equal(getattr(one, f.name), getattr(many, f.name))
    part = run_chunk(problem, 42, 300, 350)
    np.testing.assert_array_equal(part.nash, one.nash[300:350])
    other = run_chunk(problem, 43, 0, 700)
    assert not np.array_equal(other.drawn, one.drawn)


def test_ukraine_sweep_tells_the_article_story(ratifiable: Scenario) -> None:
    problem = compile_problem(ratifiable)
    before, _ = sweep(problem, draws=3000, seed=7, at=dt.date(2024, 10, 1))
    after, _ = sweep(problem, draws=3000, seed=7)
    # the base case: the war goes on, but alternatives are not negligible
    assert 0.02 < before.p_agreement < 0.5
    assert before.by_branch == {}
    branches = after.by_branch["us_election"]
    assert branches["trump"]["p_agreement"] > branches["harris"]["p_agreement"]
    assert branches["trump"]["draws"] + branches["harris"]["draws"] == 3000
    low, high = after.p_agreement_ci
    assert low < after.p_agreement < high
    assert sum(p["share"] for p in after.nash_packages) <= 1 + 1e-12
    assert set(after.forecasts) == {"compromise", "median"} or after.forecasts == {}


def test_wilson_interval_covers_extremes() -> None:
    assert wilson(0, 1000)[0] == 0.0 and wilson(1000, 1000)[1] == 1.0
    low, high = wilson(30, 100)
    assert low < 0.3 < high


# --- sensitivity -------------------------------------------------------------------------


def test_sobol_ranks_the_input_that_decides(mini_text: str) -> None:
    # ratified agreement (cede, member) gives Ukraine 1/3: it exists iff ua's batna < 1/3
    text = (
        mini_text.replace("batna: 0.4", "batna: {uniform: [0.0, 0.6]}")
        .replace("threshold: 0.5", "threshold: 0.6")
        .replace("power: 30", "power: {uniform: [10, 50]}")
    )
    problem = compile_problem(load_scenario_text(text))
    result = sensitivity(problem, method="sobol", samples=256, seed=1)
    first = result.ranking["p_agreement"][0]
    assert first == "actors.ua.batna"
    assert result.indices["p_agreement"]["actors.ua.power"]["ST"] < 0.05
    assert result.indices["p_agreement"][first]["ST"] > 0.5
    morris = sensitivity(problem, method="morris", samples=20, seed=1)
    assert morris.ranking["p_agreement"][0] == "actors.ua.batna"


# --- the shipped scenario ------------------------------------------------------------------


def test_every_assumed_input_of_ukraine_is_uncertain(ukraine: Scenario) -> None:
    for actor in ukraine.actors:
        for stance in actor.stances:
            if stance.assumed and stance.source is None:
                assert distribution_of(stance.salience) is not None, (actor.id, stance.issue)
        if actor.veto and actor.assumed:
            assert distribution_of(actor.batna) is not None, actor.id
    for public in ukraine.publics:
        for rule in public.rules:
            if rule.assumed and rule.source is None:
                assert distribution_of(rule.reject) is not None
    ids = {e.id for e in ukraine.events}
    assert {"us_election", "winter", "inauguration"} <= ids


@pytest.mark.skipif(not ARTICLE.exists(), reason="the seed article is not beside the checkout")
def test_event_quotes_are_verbatim(ukraine: Scenario) -> None:
    article = re.sub(r"\s+", " ", ARTICLE.read_text(encoding="utf-8"))
    items: list[Any] = [*ukraine.events]
    items += [b for e in ukraine.events for b in e.branches]
    quotes = [item.quote for item in items if item.quote]
    assert len(quotes) >= 6
    for quote in quotes:
        assert re.sub(r"\s+", " ", quote) in article, quote
    vance = next(b for e in ukraine.events for b in e.branches if b.id == "trump_administration")
    assert vance.changes["actors.united_states.stances.territory.position"] == "freeze"
