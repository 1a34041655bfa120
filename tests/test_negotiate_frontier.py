"""Negotiation on huge spaces: the frontier engine's transcript equals the enumerating engine's."""

from __future__ import annotations

from math import prod

import numpy as np
import pytest

from offramp.negotiate import Change, StrategyError, parse_strategy, simulate
from offramp.negotiate.frontier import IssueChange, simulate_frontier
from offramp.negotiate.protocol import Signing

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
    failure = np.where(rng.random(m) < 0.3, rng.integers(0, max(bodies, 1), size=m), -1)
    if bodies == 0:
        failure[:] = -1
    signing = Signing(
        failure.astype(np.intp),
        rng.integers(0, 3, size=m).astype(np.int64),
        rng.random((bodies, m)) < 0.7,
    )
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
    lines = np.ones((len(case["batna"]), len(options)), dtype=bool)
    for i, mask in enumerate(case["lines"]):
        lines &= mask[:, options[:, i]]
    combo = (
        np.ravel_multi_index(tuple(options[:, i] for i in mentioned), [sizes[i] for i in mentioned])
        if mentioned
        else np.zeros(len(options), dtype=np.intp)
    )
    s = case["signing"]
    signing = Signing(s.failure[combo], s.rounds[combo], s.constraint[:, combo])
    changes = [
        Change(
            c.round,
            batna=c.batna,
            utility=None if c.tables is None else _expand(c.tables),
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
