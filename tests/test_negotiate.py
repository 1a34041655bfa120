"""Negotiation over time: the stacked alternating-offers protocol and its strategies."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.bench_negotiate import make_domains, utilities
from offramp.negotiate import (
    ACTIONS,
    STRATEGIES,
    Change,
    StrategyError,
    negotiate,
    parse_strategy,
    simulate,
)
from offramp.negotiate.protocol import Signing
from offramp.problem import compile_problem
from offramp.scenario import load_scenario, load_scenario_text
from tests.conftest import ROOT, SCENARIOS

NEGMAS_LIKE = "offer=closest_above,accept=now,clock=open,floor=worst,slack=0.0001"

LINE = """\
id: line
title: One issue, five options
as_of: 2024-01-01
issues:
  - id: i
    label: i
    options:
      - {id: o0, label: o0, at: 0}
      - {id: o1, label: o1, at: 25}
      - {id: o2, label: o2, at: 50}
      - {id: o3, label: o3, at: 75}
      - {id: o4, label: o4, at: 100}
actors:
  - id: a
    label: A
    power: 1
    veto: true
    batna: 0.3
    assumed: test
    stances:
      - {issue: i, position: o0, salience: 1, values: {o0: 1, o1: 0.8, o2: 0.6, o3: 0.4, o4: 0}}
  - id: b
    label: B
    power: 1
    veto: true
    batna: 0.3
    assumed: test
    stances:
      - {issue: i, position: o4, salience: 1, values: {o0: 0, o1: 0.4, o2: 0.6, o3: 0.8, o4: 1}}
"""


def test_two_linear_agents_reach_the_hand_computed_outcome() -> None:
    """Deadline 5 rounds, so t = r/4; both have u_max 1 and batna 0.3.

    Linear targets 1 - 0.7 t: 1, 0.825, 0.65, 0.475, 0.3.
    r0: A offers o0 (only package >= 1); B rejects it (0 <= batna), offers o4.
    r1: A's target 0.825 still admits only o0; B likewise o4.
    r2: A's target 0.65 admits o0 (1) and o1 (0.8); o1 is better for B -> A offers o1.
        B: o1 is worth 0.4 to B, below its next target 0.475: B offers o3 (0.8 >= 0.65,
        better for A than o4).
    r3: o3 is worth 0.4 to A, at least its next target (t = 1: 0.3): A accepts.
    Agreement: o3 in round 3, utilities (0.4, 0.8).
    """
    result = negotiate(
        compile_problem(load_scenario_text(LINE)),
        strategies={"a": "linear", "b": "linear"},
        deadline=5,
    )
    assert result.agreement == {"i": "o3"}
    assert result.round == 3
    assert result.utility == {"a": 0.4, "b": 0.8}
    steps = [(m.round, m.actor, m.action, m.package) for m in result.history]
    assert steps == [
        (0, "a", "offer", {"i": "o0"}),
        (0, "b", "offer", {"i": "o4"}),
        (1, "a", "offer", {"i": "o0"}),
        (1, "b", "offer", {"i": "o4"}),
        (2, "a", "offer", {"i": "o1"}),
        (2, "b", "offer", {"i": "o3"}),
        (3, "a", "accept", {"i": "o3"}),
    ]
    # Nash over (0.1, 0.3, 0.5) gains... o1: (0.5)(0.1), o2: (0.3)(0.3), o3: (0.1)(0.5) -> o2
    assert result.nash == {"i": "o2"}
    assert result.nash_distance == pytest.approx(np.hypot(0.2, 0.2))
    assert result.pareto_optimal is True


def test_the_two_party_textbook_meets_at_the_nash_solution() -> None:
    scenario = load_scenario(SCENARIOS / "textbook-two-party.yaml")
    result = negotiate(compile_problem(scenario), strategies={"north": "linear", "south": "linear"})
    assert result.agreement == result.nash
    assert result.nash_distance == 0.0


def _utilities(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    k = draw(st.integers(2, 3))
    n = draw(st.integers(2, 12))
    grid = st.integers(0, 10).map(lambda x: x / 10)
    u = np.array([[draw(grid) for _ in range(n)] for _ in range(k)])
    batna = np.array([draw(grid) for _ in range(k)])
    return u, batna


@st.composite
def _cases(draw: st.DrawFn) -> tuple[object, ...]:
    u, batna = _utilities(draw)
    k, n = u.shape
    names = draw(st.lists(st.sampled_from(sorted(STRATEGIES)), min_size=k, max_size=k))
    options = st.sampled_from(["", ":" + NEGMAS_LIKE, ":offer=closest_above", ":accept=now"])
    names = [n + (draw(options) if STRATEGIES[n][0] == "time" else "") for n in names]
    deadline = draw(st.integers(1, 8))
    changes = []
    if draw(st.booleans()):
        r = draw(st.integers(1, 8))
        new_b = np.array([draw(st.integers(0, 10)) / 10 for _ in range(k)])
        changes.append(Change(r, batna=new_b))
    allowed = np.array([draw(st.booleans()) or i == 0 for i in range(n)])
    return u, batna, [parse_strategy(s) for s in names], deadline, changes, allowed


@settings(max_examples=60, deadline=None)
@given(_cases())
def test_an_agreement_is_never_below_any_partys_batna(case: tuple[object, ...]) -> None:
    u, batna, strategies, deadline, changes, allowed = case
    assert isinstance(u, np.ndarray) and isinstance(batna, np.ndarray)
    orders = np.array([np.roll(np.arange(u.shape[0]), s) for s in range(u.shape[0])])
    trace = simulate(
        u,
        batna,
        strategies,
        deadline,
        allowed=allowed,
        order=orders,
        changes=changes,  # type: ignore[arg-type]
    )
    for run in range(len(orders)):
        package = int(trace.agreement[run])
        if package < 0:
            continue
        in_force = batna
        for change in changes:  # type: ignore[attr-defined]
            if change.round <= trace.round[run] and change.batna is not None:
                in_force = change.batna
        assert allowed[package]  # type: ignore[index]
        assert np.all(u[:, package] > in_force)
        assert np.array_equal(trace.utility[run], u[:, package])
        # the protocol: the last k-1 moves before the end are acceptances of it
        moves = trace.action[run][trace.action[run] > 0]
        k = u.shape[0]
        assert list(moves[len(moves) - (k - 1) :]) == [2] * (k - 1)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_a_deadline_with_no_zopa_ends_in_breakdown(name: str) -> None:
    # each side has packages above its batna, none is above both
    u = np.array([[0.9, 0.7, 0.5, 0.2], [0.1, 0.3, 0.5, 0.9]])
    batna = np.array([0.6, 0.55])
    trace = simulate(u, batna, [parse_strategy(name)] * 2, deadline=12)
    assert trace.agreement[0] == -1 and trace.round[0] == -1
    assert np.isnan(trace.utility[0]).all()
    # they kept talking to the deadline: the last round was played
    assert (trace.action[0, -2:] > 0).all()


def test_the_ukraine_base_case_breaks_down() -> None:
    scenario = load_scenario(SCENARIOS / "ukraine-2024-09.yaml")
    result = negotiate(compile_problem(scenario), deadline=6)
    assert result.agreement is None and result.round is None
    assert result.nash is None and result.nash_distance is None
    assert result.pareto_optimal is None
    assert {m.action for m in result.history} <= set(ACTIONS)


def test_an_actor_with_nothing_above_its_batna_walks_away() -> None:
    u = np.array([[0.9, 0.5], [0.2, 0.3]])
    trace = simulate(u, np.array([0.4, 0.5]), [parse_strategy("linear")] * 2, deadline=5)
    assert trace.agreement[0] == -1
    assert [ACTIONS[c - 1] for c in trace.action[0] if c] == ["offer", "reject"]


def test_events_change_batnas_mid_negotiation() -> None:
    u = np.array([[1.0, 0.6, 0.0], [0.0, 0.6, 1.0]])
    linear = [parse_strategy("linear")] * 2
    # no ZOPA at first (B's batna 0.7 is above the middle's 0.6) ...
    closed = simulate(u, np.array([0.3, 0.7]), linear, deadline=6)
    assert closed.agreement[0] == -1
    # ... until an event in round 2 lowers it
    opened = simulate(
        u, np.array([0.3, 0.7]), linear, deadline=6, changes=[Change(2, batna=np.array([0.3, 0.3]))]
    )
    assert opened.agreement[0] == 1 and opened.round[0] >= 2
    # and an event can close a ZOPA that was open
    shut = simulate(
        u, np.array([0.3, 0.3]), linear, deadline=6, changes=[Change(1, batna=np.array([0.3, 0.7]))]
    )
    assert shut.agreement[0] == -1


def test_tit_for_tat_reciprocates_and_two_reciprocators_never_move() -> None:
    u = np.array([[1.0, 0.8, 0.6, 0.4, 0.0], [0.0, 0.4, 0.6, 0.8, 1.0]])
    batna = np.array([0.3, 0.3])
    tft = parse_strategy("tit_for_tat")
    both = simulate(u, batna, [tft, tft], deadline=10)
    assert both.agreement[0] == -1
    # against a conceder, tit-for-tat concedes back and they agree
    mixed = simulate(u, batna, [tft, parse_strategy("conceder")], deadline=10)
    assert mixed.agreement[0] >= 0


def test_batched_runs_equal_single_runs() -> None:
    rng = np.random.default_rng(1)
    u = np.round(rng.random((3, 40)), 2)
    batna = np.array([0.4, 0.45, 0.4])
    plan = [parse_strategy(s) for s in ("boulware", "best_acceptable", "tit_for_tat")]
    orders = np.array([rng.permutation(3) for _ in range(8)])
    batch = simulate(u, batna, plan, 15, order=orders, cost=np.array([0.01, 0.0, 0.02]))
    for r, order in enumerate(orders):
        one = simulate(u, batna, plan, 15, order=order, cost=np.array([0.01, 0.0, 0.02]))
        assert one.agreement[0] == batch.agreement[r]
        assert np.array_equal(one.action[0], batch.action[r])
        assert np.array_equal(one.package[0], batch.package[r])


def test_boulware_holds_out_longer_than_conceder() -> None:
    scenario = load_scenario_text(LINE)
    rounds = {
        name: negotiate(
            compile_problem(scenario), strategies={"a": name, "b": name}, deadline=12
        ).round
        for name in ("boulware", "linear", "conceder")
    }
    assert rounds["conceder"] < rounds["linear"] < rounds["boulware"]  # type: ignore[operator]


def test_strategy_parsing() -> None:
    assert parse_strategy("boulware:0.1").beta == 0.1
    assert parse_strategy("linear").beta == 1.0
    negmas_like = parse_strategy("boulware:" + NEGMAS_LIKE)
    assert (negmas_like.offer, negmas_like.accept, negmas_like.clock) == (
        "closest_above",
        "now",
        "open",
    )
    assert (negmas_like.floor, negmas_like.slack, negmas_like.beta) == ("worst", 1e-4, 0.25)
    assert str(negmas_like) == "boulware:" + NEGMAS_LIKE
    assert parse_strategy(str(negmas_like)) == negmas_like
    assert parse_strategy("conceder:beta=2,accept=now") == parse_strategy("conceder:2,accept=now")
    assert str(parse_strategy("linear:offer=best_for_others")) == "linear"
    bad_ones = (
        "boulware:-1",
        "boulware:x",
        "tit_for_tat:2",
        "tit_for_tat:accept=now",
        "best_acceptable:offer=closest_above",
        "boulware:offer=nearest",
        "boulware:accept=later",
        "boulware:slack=-0.1",
        "boulware:colour=red",
        "nope",
    )
    for bad in bad_ones:
        with pytest.raises(StrategyError):
            parse_strategy(bad)


LINE_U = np.array([[1.0, 0.8, 0.6, 0.4, 0.0], [0.0, 0.4, 0.6, 0.8, 1.0]])


def _moves(trace: object) -> list[tuple[str, int]]:
    action, package = trace.action[0], trace.package[0]  # type: ignore[attr-defined]
    return [(ACTIONS[a - 1], int(p)) for a, p in zip(action, package, strict=True) if a]


def test_closest_above_and_accept_now_by_hand() -> None:
    """LINE's utilities, batnas 0.3, linear, 5 rounds: targets 1, 0.825, 0.65, 0.475, 0.3.

    closest_above: each offers its lowest package at or above its target.
    r0, r1: A offers o0 (only 1 >= 0.825), B o4.
    r2: A's target 0.65 admits o0 (1) and o1 (0.8): offers o1. B: o1 is worth 0.4 < 0.65,
        so B rejects and offers its lowest package >= 0.65, o3 (0.8).
    r3: A: o3 is worth 0.4 < 0.475 -> offers o2 (0.6, lowest >= 0.475). B: 0.6 >= 0.475: accepts.
    With accept=next instead, A accepts o3 in r3 (0.4 is above its next target 0.3).
    """
    now = simulate(
        LINE_U,
        np.array([0.3, 0.3]),
        [parse_strategy("linear:offer=closest_above,accept=now")] * 2,
        5,
    )
    assert (int(now.agreement[0]), int(now.round[0])) == (2, 3)
    assert _moves(now) == [
        ("offer", 0),
        ("offer", 4),
        ("offer", 0),
        ("offer", 4),
        ("offer", 1),
        ("offer", 3),
        ("offer", 2),
        ("accept", 2),
    ]
    nxt = simulate(
        LINE_U, np.array([0.3, 0.3]), [parse_strategy("linear:offer=closest_above")] * 2, 5
    )
    assert (int(nxt.agreement[0]), int(nxt.round[0])) == (3, 3)
    assert _moves(nxt)[-1] == ("accept", 3)


def test_closest_above_ignores_the_other_side() -> None:
    # one round (t = 1): A's target is its batna 0.65, which o1 (0.7) and o2 (0.8) clear;
    # o2 is far better for B, but closest_above offers o1, the lowest above the target
    u = np.array([[1.0, 0.7, 0.8], [0.0, 0.2, 0.9]])
    batna = np.array([0.65, 0.1])
    mine = simulate(u, batna, [parse_strategy("linear:offer=closest_above,accept=now")] * 2, 1)
    assert _moves(mine) == [("offer", 1), ("accept", 1)]
    default = simulate(u, batna, [parse_strategy("linear")] * 2, 1)
    assert _moves(default) == [("offer", 2), ("accept", 2)]


def test_the_open_clock_by_hand() -> None:
    """3 rounds, linear from 1 to batna 0.3: closed t = 0, 1/2, 1; open t = 1/4, 2/4, 3/4.

    open targets 0.825, 0.65, 0.475: r0 A o0, B o4; r1 A o1 (0.8), B o3; r2 A rejects o3
    (0.4 < 0.475) and offers o2, which B accepts. closed targets 1, 0.65, 0.3: in r2 A
    accepts o3 (0.4 >= 0.3).
    """
    spec = "linear:offer=closest_above,accept=now"
    batna = np.array([0.3, 0.3])
    opened = simulate(LINE_U, batna, [parse_strategy(spec + ",clock=open")] * 2, 3)
    assert _moves(opened) == [
        ("offer", 0),
        ("offer", 4),
        ("offer", 1),
        ("offer", 3),
        ("offer", 2),
        ("accept", 2),
    ]
    closed = simulate(LINE_U, batna, [parse_strategy(spec)] * 2, 3)
    assert (int(closed.agreement[0]), int(closed.round[0])) == (3, 2)
    # a thin ZOPA (only the middle, 0.4 > 0.3 for both): the closed clock reaches the batna
    # in the last round and finds it; the open clock's last target is 0.475 and misses it
    thin = np.array([[1.0, 0.4, 0.0], [0.0, 0.4, 1.0]])
    assert simulate(thin, batna, [parse_strategy(spec)] * 2, 3).agreement[0] == 1
    assert simulate(thin, batna, [parse_strategy(spec + ",clock=open")] * 2, 3).agreement[0] == -1


def test_the_worst_package_floor_and_the_slack_by_hand() -> None:
    # every package beats batna 0: floor=batna targets 1, 0.5, 0 -> A accepts B's o2 (0.6)
    # in r1; floor=worst ends the curve at 0.6: targets 1, 0.8, 0.6 -> A offers o1 in r1
    u = np.array([[1.0, 0.8, 0.6], [0.6, 0.8, 1.0]])
    spec = "linear:offer=closest_above,accept=now"
    low = simulate(u, np.zeros(2), [parse_strategy(spec)] * 2, 3)
    assert _moves(low) == [("offer", 0), ("offer", 2), ("accept", 2)]
    worst = simulate(u, np.zeros(2), [parse_strategy(spec + ",floor=worst")] * 2, 3)
    assert _moves(worst) == [("offer", 0), ("offer", 2), ("offer", 1), ("accept", 1)]
    # slack: targets 1, 0.8, 0.6; o1 is worth 0.79. Without slack A offers o1 only in r2;
    # with slack 0.02 the r1 target 0.78 admits it and B (target 0.78) accepts at once
    u = np.array([[1.0, 0.79, 0.0], [0.0, 0.79, 1.0]])
    batna = np.array([0.6, 0.6])
    strict = simulate(u, batna, [parse_strategy(spec)] * 2, 3)
    assert (int(strict.agreement[0]), int(strict.round[0])) == (1, 2)
    slack = simulate(u, batna, [parse_strategy(spec + ",slack=0.02")] * 2, 3)
    assert _moves(slack) == [("offer", 0), ("offer", 2), ("offer", 1), ("accept", 1)]


# NegMAS 0.16.0, SAOMechanism(n_steps=50) with two BoulwareTBNegotiator agents, on the first
# 30 domains of benchmarks/bench_negotiate.py (seed 0): the agreed outcome (index in option
# order, first issue most significant; -1 none) and the 0-based step of agreement. Measured
# by running NegMAS in benchmarks/.env-negmas.
NEGMAS_BOULWARE = [
    (6, 30),
    (-1, -1),
    (25, 48),
    (62, 0),
    (-1, -1),
    (93, 0),
    (117, 46),
    (20, 42),
    (78, 42),
    (85, 42),
    (124, 0),
    (98, 33),
    (61, 27),
    (-1, -1),
    (20, 39),
    (98, 46),
    (116, 44),
    (18, 29),
    (38, 42),
    (107, 41),
    (65, 49),
    (62, 0),
    (112, 41),
    (100, 44),
    (74, 34),
    (68, 35),
    (0, 0),
    (94, 39),
    (24, 46),
    (94, 47),
]


def test_negmas_like_options_reproduce_negmas_boulware() -> None:
    domains = make_domains(30, 3, 5, 2, 0)
    u = utilities(domains)
    batna = np.array([[p["batna"] for p in d["parties"]] for d in domains])
    trace = simulate(u, batna, [parse_strategy("boulware:" + NEGMAS_LIKE)] * 2, 50)
    assert list(zip(trace.agreement.tolist(), trace.round.tolist(), strict=True)) == NEGMAS_BOULWARE
    # offramp's own default Boulware agrees in every domain with a ZOPA, NegMAS's does not
    default = simulate(u, batna, [parse_strategy("boulware")] * 2, 50)
    zopa = np.any(np.all(u > batna[:, :, None], axis=1), axis=1)
    assert np.array_equal(default.agreement >= 0, zopa)
    same = (default.agreement == trace.agreement) & (default.round == trace.round)
    assert same.sum() < 10  # 7 of 30: the options are what makes the difference


def test_runs_report_rate_and_outcomes() -> None:
    scenario = load_scenario(SCENARIOS / "textbook-two-party.yaml")
    result = negotiate(compile_problem(scenario), runs=20, seed=3)
    assert result.runs == 20
    assert result.agreement_rate == 1.0
    assert sum(o.share for o in result.outcomes) == pytest.approx(1.0)
    again = negotiate(compile_problem(scenario), runs=20, seed=3)
    assert again.outcomes == result.outcomes


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "offramp", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_cli_json_keys() -> None:
    path = str(SCENARIOS / "textbook-two-party.yaml")
    done = _run("negotiate", path, "--strategy", "north=linear", "--json", "-", "--deadline", "10")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {"agreement", "round", "history", "nash_distance", "pareto_optimal"} <= set(data)
    assert "runs" not in data
    assert set(data["history"][0]) == {"round", "actor", "action", "package"}
    done = _run("negotiate", path, "--runs", "10", "--seed", "1", "--json", "-")
    data = json.loads(done.stdout)
    assert data["runs"] == 10 and 0 <= data["agreement_rate"] <= 1
    assert set(data["outcomes"][0]) == {"package", "share"}
    done = _run("negotiate", path, "--deadline", "2024-03-01", "--json", "-")
    assert json.loads(done.stdout)["deadline"] == 9  # 60 days in 7-day rounds


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--strategy", "north=stubborn"), "unknown strategy"),
        (("--strategy", "nobody=linear"), "not a veto actor"),
        (("--strategy", "north"), "ACTOR=NAME"),
        (("--deadline", "soon"), "--deadline"),
        (("--deadline", "2020-01-01"), "not after"),
    ],
)
def test_cli_bad_input_is_a_message(args: tuple[str, ...], message: str) -> None:
    done = _run("negotiate", str(SCENARIOS / "textbook-two-party.yaml"), *args)
    assert done.returncode == 1
    assert message in done.stderr and "Traceback" not in done.stderr


EVENT = """
events:
  - id: coup
    label: A hardliner takes over in South
    date: 2024-01-20
    assumed: test
    branches:
      - {id: yes, label: hardliner, probability: 0.7, changes: {actors.south.batna: 1.0}}
      - {id: no, label: no change, probability: 0.3, changes: {}}
"""


def test_scenario_events_apply_mid_negotiation() -> None:
    text = (SCENARIOS / "textbook-two-party.yaml").read_text(encoding="utf-8") + EVENT
    scenario = load_scenario(SCENARIOS / "textbook-two-party.yaml")
    evented = load_scenario_text(text)
    plan = {"north": "boulware", "south": "boulware"}
    # without the event Boulware agents agree in round 16; the most probable branch
    # (South's batna 1.0: nothing beats it, so it walks away) applies in round 3 (19 days / 7)
    assert negotiate(compile_problem(scenario), strategies=plan).round == 16
    result = negotiate(compile_problem(evented), strategies=plan, runs=400, seed=0)
    assert result.agreement is None
    assert result.batna["south"] == 1.0
    assert result.history[-1].action == "reject" and result.history[-1].round == 3
    # in the runs the branch is drawn: about 30% keep the old batna and agree
    assert result.agreement_rate == pytest.approx(0.3, abs=0.07)
    # an event after the deadline changes nothing
    early = negotiate(compile_problem(evented), strategies=plan, deadline=2)
    assert early.batna["south"] == 0.35


# --- red lines and ratification at signing ---------------------------------------------


@settings(max_examples=60, deadline=None)
@given(_cases(), st.data())
def test_no_actor_offers_or_accepts_across_its_red_line(
    case: tuple[object, ...], data: st.DataObject
) -> None:
    u, batna, strategies, deadline, _changes, _ = case
    assert isinstance(u, np.ndarray)
    k, n = u.shape
    lines = np.array(
        [[data.draw(st.integers(0, 3)) > 0 for _ in range(n)] for _ in range(k)], dtype=bool
    )
    ratified = np.array([data.draw(st.booleans()) for _ in range(n)])
    signing = Signing(
        failure=np.where(ratified, -1, 0).astype(np.intp),
        rounds=np.full(n, data.draw(st.integers(0, 2)), dtype=np.int64),
        constraint=ratified[None, :].copy(),
    )
    orders = np.array([np.roll(np.arange(k), s) for s in range(k)])
    for how in ({"lines": lines}, {"lines": lines, "signing": signing}):
        trace = simulate(u, batna, strategies, deadline, order=orders, **how)  # type: ignore[arg-type]
        moved = trace.action > 0
        actors, packages = trace.actor[moved], trace.package[moved]
        actions = trace.action[moved]
        offers = (actions == 1) | (actions == 2) | (actions == 4)
        assert lines[actors[offers], packages[offers]].all()
        for run in range(len(orders)):
            package = int(trace.agreement[run])
            if package >= 0:
                assert lines[:, package].all()
                if "signing" in how:
                    assert ratified[package]


def test_a_signed_package_that_fails_ratification_goes_back_to_the_table() -> None:
    # A prefers p0 > p1 > p2, B prefers p0 too; p0 is signed in round 0 but its public
    # rejects it. With one renegotiation the talks resume under the public's objection
    # (only p1 and p2 may pass) and they sign p1; with none, the talks end.
    u = np.array([[1.0, 0.8, 0.5], [0.9, 0.7, 0.6]])
    batna = np.array([0.4, 0.4])
    plan = [parse_strategy("conceder")] * 2
    ratified = np.array([False, True, True])
    signing = Signing(
        failure=np.array([0, -1, -1], dtype=np.intp),
        rounds=np.array([1, 1, 1], dtype=np.int64),
        constraint=ratified[None, :],
    )
    trace = simulate(u, batna, plan, deadline=4, signing=signing)
    actions = [ACTIONS[c - 1] for c in trace.action[0] if c]
    assert actions[:2] == ["offer", "unratified"]
    assert int(trace.agreement[0]) == 1
    ended = simulate(
        u,
        batna,
        plan,
        deadline=4,
        signing=Signing(signing.failure, np.zeros(3, np.int64), signing.constraint),
    )
    assert int(ended.agreement[0]) == -1
    assert [ACTIONS[c - 1] for c in ended.action[0] if c] == ["offer", "unratified"]
    # without signing, the old protocol: only ratified packages are ever offered
    old = simulate(u, batna, plan, deadline=4, allowed=ratified)
    assert int(old.agreement[0]) == 1 and int(old.package[0, 0]) == 1


def test_ukraine_talks_open_where_real_talks_start() -> None:
    scenario = load_scenario(SCENARIOS / "ukraine-2024-09.yaml")
    result = negotiate(compile_problem(scenario), deadline=3)
    opening = {m.actor: m.package for m in result.history if m.round == 0}
    # Moscow opens with its own best package within its red lines, unratifiable as it is:
    # its conditions of 14 June 2024 (the four regions, neutrality), and no longer with
    # the full withdrawal it would never sign
    putin = next(p for p in scenario.packages if p.id == "putin_june_2024").options
    assert opening["russia"] == putin
    assert opening["ukraine"]["territory"] == "full_return"
    for move in result.history:
        if move.actor == "russia" and move.package and move.action in ("offer", "accept"):
            assert move.package["territory"] not in ("full_return", "pre2022_line")
            assert move.package["nato"] not in ("membership", "invitation")
