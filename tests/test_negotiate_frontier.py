"""Negotiation on huge spaces: the frontier engine's transcript equals the enumerating engine's."""

from __future__ import annotations

from dataclasses import replace
from math import prod

import numpy as np
import pytest

from benchmarks.bench_space import Domain, make_scenario
from offramp.errors import SpaceTooLargeError
from offramp.negotiate import (
    ENUMERATION_MAX,
    Change,
    StrategyError,
    negotiate,
    parse_strategy,
    simulate,
)
from offramp.negotiate.frontier import IssueChange, simulate_frontier
from offramp.negotiate.protocol import Signing
from offramp.problem import compile_problem
from offramp.scenario import load_scenario, load_scenario_data
from tests.conftest import SCENARIOS

NAMES = (
    "boulware",
    "linear",
    "conceder",
    "tit_for_tat",
    "best_acceptable",
    "boulware:accept=now",
    "linear:clock=open,floor=worst",
    "conceder:slack=0.01",
    "boulware:0.5,floor=worst,accept=now",
)


def _expand(tables: list[np.ndarray]) -> np.ndarray:
    """Every package's utility, (k, n), rounded as enumeration rounds it (first issue slowest)."""
    total = np.zeros((tables[0].shape[0], 1))
    for t in tables:
        total = (total[:, :, None] + t[:, None, :]).reshape(t.shape[0], -1)
    return np.round(total, 10)


def _grid(sizes: list[int]) -> np.ndarray:
    return np.stack(np.unravel_index(np.arange(prod(sizes)), sizes), axis=1)


def _allowed(lines: list[np.ndarray], options: np.ndarray) -> np.ndarray:
    """Per-issue option masks as package masks, (k, n)."""
    out = np.ones((lines[0].shape[0], len(options)), dtype=bool)
    for i, mask in enumerate(lines):
        out &= mask[:, options[:, i]]
    return out


def random_case(seed: int) -> dict:
    """A random space with red lines, ratification at signing, costs, orders and an event."""
    rng = np.random.default_rng(seed)
    n_issues = int(rng.integers(1, 5))
    sizes = [int(x) for x in rng.integers(2, 5, size=n_issues)]
    k = int(rng.integers(1, 4))
    coarse = rng.random() < 0.5  # coarse values: many exact ties, to test the tie-breaks

    def tables() -> list[np.ndarray]:
        w = rng.dirichlet(np.ones(n_issues), size=k)
        out = []
        for i, s in enumerate(sizes):
            v = rng.integers(0, 4, size=(k, s)) / 4 if coarse else rng.random((k, s))
            out.append(np.round(w[:, i : i + 1] * v, 6 if not coarse else 10))
        return out

    lines = [rng.random((k, s)) < 0.85 for s in sizes]
    picked = rng.choice(n_issues, size=int(rng.integers(0, min(3, n_issues + 1))), replace=False)
    mentioned = tuple(sorted(int(i) for i in picked))
    m = prod(sizes[i] for i in mentioned)
    bodies = int(rng.integers(0, 3))

    def votes(then: bool) -> Signing:
        failure = np.where(rng.random(m) < 0.3, rng.integers(0, max(bodies, 1), size=m), -1)
        if bodies == 0:
            failure[:] = -1
        return Signing(
            failure.astype(np.intp),
            rng.integers(0, 3, size=m).astype(np.int64),
            rng.random((bodies, m)) < 0.7,
            np.where(rng.random(m) < 0.5, 0, -1).astype(np.intp) if then else None,
        )

    # a renegotiated text may face other votes (a failed route's `then`)
    signing = votes(True)
    signing = replace(signing, after=(votes(False),)) if rng.random() < 0.5 else votes(False)
    batna = np.round(rng.uniform(0.0, 0.6, size=k), 2)
    strategies = [parse_strategy(NAMES[int(rng.integers(len(NAMES)))]) for _ in range(k)]
    deadline = int(rng.integers(1, 12))
    cost = np.round(rng.uniform(0, 0.02, size=k), 3) * (rng.random() < 0.5)
    order = np.stack([rng.permutation(k) for _ in range(3)])
    changes = []
    if rng.random() < 0.4 and deadline > 1:
        changes.append(
            IssueChange(
                int(rng.integers(1, deadline)),
                np.round(rng.uniform(0.0, 0.6, size=k), 2),
                tables() if rng.random() < 0.7 else None,
                lines=[rng.random((k, s)) < 0.8 for s in sizes] if rng.random() < 0.5 else None,
            )
        )
    return {
        "tables": tables(),
        "sizes": sizes,
        "lines": lines,
        "mentioned": mentioned,
        "signing": signing,
        "batna": batna,
        "strategies": strategies,
        "deadline": deadline,
        "cost": cost,
        "order": order,
        "changes": changes,
    }


def enumerate_case(case: dict) -> object:
    """The same case on the enumerating engine (packages expanded)."""
    sizes, mentioned = case["sizes"], case["mentioned"]
    options = _grid(sizes)
    lines = _allowed(case["lines"], options)
    combo = (
        np.ravel_multi_index(tuple(options[:, i] for i in mentioned), [sizes[i] for i in mentioned])
        if mentioned
        else np.zeros(len(options), dtype=np.intp)
    )

    def expand(s: Signing) -> Signing:
        then = None if s.then is None else s.then[combo]
        return Signing(s.failure[combo], s.rounds[combo], s.constraint[:, combo], then)

    s = case["signing"]
    signing = replace(expand(s), after=tuple(expand(a) for a in s.after))
    changes = [
        Change(
            c.round,
            batna=c.batna,
            utility=None if c.tables is None else _expand(c.tables),
            lines=None if c.lines is None else _allowed(c.lines, options),
        )
        for c in case["changes"]
    ]
    return simulate(
        _expand(case["tables"]),
        case["batna"],
        case["strategies"],
        case["deadline"],
        cost=case["cost"],
        order=case["order"],
        changes=changes,
        lines=lines,
        signing=signing,
    )


def frontier_case(case: dict) -> object:
    return simulate_frontier(
        case["tables"],
        case["batna"],
        case["strategies"],
        case["deadline"],
        lines=case["lines"],
        signing=case["signing"],
        mentioned=case["mentioned"],
        cost=case["cost"],
        order=case["order"],
        changes=case["changes"],
    )


@pytest.mark.parametrize("block", range(6))
def test_frontier_transcript_equals_enumeration(block: int) -> None:
    """Offers, acceptances, walk-aways, failed signatures and outcomes, turn by turn."""
    for seed in range(block * 60, (block + 1) * 60):
        case = random_case(seed)
        want = enumerate_case(case)
        got = frontier_case(case)
        for field in ("actor", "action", "package", "agreement", "round"):
            assert np.array_equal(getattr(got, field), getattr(want, field)), (seed, field)
        np.testing.assert_array_equal(got.utility, want.utility, err_msg=str(seed))
        np.testing.assert_array_equal(got.batna, want.batna, err_msg=str(seed))


def test_cases_exercise_every_action() -> None:
    """The random cases reach agreements, breakdowns, walk-aways and failed signatures."""
    seen: set[int] = set()
    agreed = 0
    for seed in range(120):
        trace = frontier_case(random_case(seed))
        seen |= set(np.unique(trace.action).tolist())
        agreed += int((trace.agreement >= 0).sum())
    assert {1, 2, 3, 4} <= seen
    assert 0 < agreed < 360


def test_closest_above_is_refused() -> None:
    case = random_case(0)
    case["strategies"] = [parse_strategy("boulware:offer=closest_above")] * len(case["batna"])
    with pytest.raises(StrategyError, match="closest_above"):
        frontier_case(case)


def random_scenario(seed: int) -> dict:
    """A bench_space domain with random batnas, red lines (``never``) and one public's rules."""
    rng = np.random.default_rng(seed)
    domain = Domain(int(rng.integers(2, 5)), int(rng.integers(2, 5)), int(rng.integers(2, 4)))
    data = make_scenario(domain, seed=seed)
    for actor in data["actors"]:
        actor["batna"] = float(np.round(rng.uniform(0.0, 0.5), 2))
        for stance in actor["stances"]:
            others = [f"o{k}" for k in range(domain.n_options) if f"o{k}" != stance["position"]]
            if rng.random() < 0.3:
                stance["never"] = [str(rng.choice(others))]
    i, j = (f"i{x}" for x in rng.choice(domain.n_issues, size=2, replace=False))
    data["publics"] = [
        {
            "id": "public",
            "label": "Public of p0",
            "of": "p0",
            "threshold": 0.5,
            "assumed": "test",
            "rules": [
                {"when": {}, "reject": 0.2},
                {"when": {i: ["o0"]}, "reject": 0.6},
                {"when": {i: ["o0"], j: ["o1"]}, "reject": 0.4},
            ],
        }
    ]
    if seed % 2:  # a failed vote sends the text back to the table
        data["publics"][0]["routes"] = [
            {
                "id": "vote",
                "label": "Referendum",
                "when": {},
                "on_fail": "renegotiate",
                "rounds": 1 + seed % 3,
                "assumed": "test",
            }
        ]
    return data


@pytest.mark.parametrize("seed", range(8))
def test_negotiate_merge_equals_enumeration(seed: int) -> None:
    """The whole result (history, agreement, Nash, Pareto, runs) is the same from both engines."""
    problem = compile_problem(load_scenario_data(random_scenario(seed), file="random.yaml"))
    ids = [problem.actor_ids[a] for a in problem.veto_index]
    rng = np.random.default_rng(seed)
    plan = {a: NAMES[int(rng.integers(len(NAMES)))] for a in ids}
    want = negotiate(problem, strategies=plan, runs=4, seed=seed, method="enumeration").to_dict()
    got = negotiate(problem, strategies=plan, runs=4, seed=seed, method="merge").to_dict()
    assert (want.pop("method"), got.pop("method")) == ("enumeration", "merge")
    assert got == want


def test_auto_merges_above_the_enumeration_limit() -> None:
    small = compile_problem(load_scenario_data(random_scenario(0), file="random.yaml"))
    assert negotiate(small).method == "enumeration"
    data = make_scenario(Domain(15, 6, 3))
    for actor in data["actors"]:
        actor["batna"] = 0.3
    huge = compile_problem(load_scenario_data(data, file="huge.yaml"))
    assert huge.space.size > 10**11 > ENUMERATION_MAX
    result = negotiate(huge, deadline=6)
    assert result.method == "merge" and result.to_dict()["method"] == "merge"
    assert len(result.history) >= 1
    with pytest.raises(StrategyError, match="closest_above"):
        negotiate(huge, strategies={"p0": "boulware:offer=closest_above"})
    with pytest.raises(SpaceTooLargeError, match="method 'merge'"):
        negotiate(huge, method="enumeration")
    with pytest.raises(StrategyError, match="one of auto, enumeration, merge"):
        negotiate(small, method="fast")


@pytest.mark.parametrize("name", ["ukraine-2024-09.yaml", "history/colombia-2016.yaml"])
def test_shipped_scenarios_negotiate_alike(name: str) -> None:
    """Events, legislatures, routes and red lines of real cases: both engines, one result."""
    problem = compile_problem(load_scenario(SCENARIOS / name))
    ids = [problem.actor_ids[a] for a in problem.veto_index]
    plan = {a: s for a, s in zip(ids, ("linear", "tit_for_tat", "best_acceptable"), strict=False)}
    want = negotiate(problem, strategies=plan, runs=3, method="enumeration").to_dict()
    got = negotiate(problem, strategies=plan, runs=3, method="merge").to_dict()
    want.pop("method"), got.pop("method")
    assert got == want
