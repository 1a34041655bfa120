"""Ratification bodies compiled into the Problem: analyze, evaluate, the sweep and talks agree."""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from offramp.assess import analyze
from offramp.evaluate import evaluate
from offramp.negotiate import negotiate
from offramp.problem import compile_problem
from offramp.scenario import Scenario, load_scenario, load_scenario_text
from offramp.settle.analysis import analyze_space
from offramp.settle.routes import stages
from offramp.uncertainty import run_chunk, sweep
from offramp.uncertainty.routes import route_counts
from tests.conftest import SCENARIOS, ratifiable_ukraine
from tests.strategies import scenarios
from tests.test_evaluate import SMALL

UKRAINE = SCENARIOS / "ukraine-2024-09.yaml"


@pytest.mark.parametrize("method", ["enumeration", "merge"])
def test_the_settlement_analysis_follows_the_routes(method: str) -> None:
    small = load_scenario_text(SMALL)
    packages = [
        {"land": land, "nato": nato}
        for land, nato in product(["keep", "split", "cede"], ["member", "deferred", "neutral"])
    ]
    views = [evaluate(small, p) for p in packages]
    result = analyze_space(compile_problem(small), method=method)
    assert result.zopa_count == sum(v.in_zopa for v in views)
    assert result.ratified_count == sum(v.in_zopa and v.ratified for v in views)
    # the referendum (neutral only) blocks; parliament votes only on renegotiated texts
    voters = next(b for b in result.blockers if b.who == "voters")
    assert voters.packages == sum(not v.ratified for v in views) == 3
    parl = next(b for b in result.blockers if b.who == "parl")
    assert parl.kind == "legislature" and parl.packages == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_issues=3, max_options=3, max_actors=3, routes=True))
def test_analyze_and_evaluate_agree_on_every_package_and_on_the_solutions(
    scenario: Scenario,
) -> None:
    problem = compile_problem(scenario)
    result = analyze_space(problem)
    options = problem.space.options_of(np.arange(problem.space.size, dtype=np.int64))
    rejects = problem.body_rejects(options)[0]
    for n in range(problem.space.size):
        votes = stages(scenario, problem.space.package(n))
        assert all(v.passes for v in votes) == (not rejects[:, n].any())
    for name, point in result.solutions.items():
        if point is None:
            assert result.ratification[name] is None
            continue
        e = evaluate(scenario, point.package)
        assert e.in_zopa and e.ratified
        got = result.ratification[name]
        assert got is not None and got["ratified"]
        assert got["votes"] == [v.to_dict() for v in e.votes]


def test_ukraine_analyze_and_evaluate_agree_and_nothing_crosses_a_veto_red_line() -> None:
    scenario = load_scenario(UKRAINE)
    problem = compile_problem(scenario)
    result = analyze(problem)
    veto = problem.veto_index
    for point in result.solutions.values():
        assert point is None  # no settlement (and so none across a red line)
    # the Rada votes now: it is among the blockers, by its routes
    assert [b.who for b in result.blockers if b.kind == "legislature"] == ["rada"]
    rng = np.random.default_rng(0)
    picked = rng.choice(problem.space.size, 150, replace=False)
    options = problem.space.options_of(picked.astype(np.int64))
    rejects = problem.body_rejects(options)[0]
    named = [dict(p.options) for p in scenario.packages]
    for k, n in enumerate(picked.tolist()):
        package = problem.space.package(n)
        assert all(v.passes for v in stages(scenario, package)) == (not rejects[:, k].any())
    for package in named:
        e = evaluate(scenario, package, problem=problem)
        index = problem.space.index_of(package)[None, :]
        assert e.ratified == (not problem.body_rejects(index)[0].any())
    # the talks: no veto actor offers or accepts a package across its declared red line
    talks = negotiate(problem, deadline=6)
    for move in talks.history:
        if move.package is None or move.action not in ("offer", "accept"):
            continue
        a = problem.actor_ids.index(move.actor)
        if a not in veto:
            continue
        index = problem.space.index_of(move.package)
        for i, k in enumerate(index.tolist()):
            assert not problem.never[i][0, a, k], (move.actor, move.package)


def test_sweep_reports_by_route_and_the_likely_path() -> None:
    problem = compile_problem(load_scenario_text(ratifiable_ukraine()))
    summary, tally = sweep(problem, draws=600, seed=3, chunk_size=250)
    draws = run_chunk(problem, 3, 0, 600)
    assert summary.p_agreement > 0.05
    routes = summary.by_route["ukraine_public"]
    # every agreement leaves land to Russia, so it goes to the referendum
    assert routes["referendum"]["share"] == 1.0
    assert 0.0 < routes["referendum"]["p_ratified"] < 1.0
    assert sum(r["share"] for r in routes.values()) == pytest.approx(1.0)
    assert summary.likely_path == {"path": ["ukraine_public:referendum"], "share": 1.0}
    # the counts add up over chunks (the sweep's reducers merge them)
    whole = route_counts(problem, draws.route, draws.reach, draws.passed)
    halves = [
        route_counts(problem, draws.route[s], draws.reach[s], draws.passed[s])
        for s in (slice(0, 250), slice(250, None))
    ]
    merged = halves[0] + halves[1]
    assert merged.agreements.tolist() == whole.agreements.tolist()
    assert merged.reach.tolist() == whole.reach.tolist()
    assert merged.passed.tolist() == whole.passed.tolist()
    assert merged.paths == whole.paths
    assert merged.summary(problem) == (summary.by_route, summary.likely_path)
    assert tally.routes.paths == whole.paths
    assert tally.routes.reach.tolist() == whole.reach.tolist()
    # on the shipped scenario the Rada passes no ZOPA package by any of its routes
    shipped, _ = sweep(compile_problem(load_scenario(UKRAINE)), draws=300, seed=3)
    rada = shipped.by_route["rada"]
    assert shipped.p_agreement == 0.0
    assert all(r["p_ratified"] in (None, 0.0) for r in rada.values())


@pytest.mark.parametrize("text", [None, "ratifiable"])
def test_a_forecast_package_check_agrees_with_analyze_on_ukraine(text: str | None) -> None:
    from offramp.forecast.scenario import check_package
    from offramp.settle.analysis import _blocking

    scenario = load_scenario(UKRAINE) if text is None else load_scenario_text(ratifiable_ukraine())
    problem = compile_problem(scenario)
    ((_, _, refuses, rejects, _),) = list(_blocking(problem, 1 << 18))
    for n in np.random.default_rng(1).choice(problem.space.size, 120, replace=False).tolist():
        check = check_package(problem, problem.space.package(n))
        assert check.in_zopa == (not refuses[:, n].any())
        assert check.ratified == (not rejects[:, n].any())
        kinds = [b.kind for b in check.blockers]
        assert kinds.count("legislature") == int(rejects[len(problem.public_ids) :, n].sum())
