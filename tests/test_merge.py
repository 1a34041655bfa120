"""Merging issues and counting by meeting in the middle, against enumeration."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offramp.assess import analyze
from offramp.problem import Space, compile_problem
from offramp.scenario import Scenario, load_scenario, load_scenario_data
from offramp.settle import _dominance_kernel, solutions
from offramp.settle.analysis import ENUMERATION_MAX
from offramp.settle.count import Count, count_packages
from offramp.settle.merge import (
    MARGIN,
    SCALE,
    FrontierTooLargeError,
    groups_of,
    merge_frontier,
    quantize,
    ratified_combos,
    threshold_of,
    utility_of,
)
from offramp.settle.solutions import _nondominated
from offramp.settle.space import iter_blocks, utility_tables
from tests.conftest import SCENARIOS
from tests.strategies import reference, scenarios

PROPS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def _package_index(scenario: Scenario, options: np.ndarray) -> list[int]:
    sizes = Space.of(scenario).sizes
    return [int(np.ravel_multi_index(tuple(int(x) for x in row), sizes)) for row in options]


def _same_analysis(scenario: Scenario) -> None:
    """Merging gives enumeration's result: identical, or counts as bounds around it."""
    enum = analyze(compile_problem(scenario), method="enumeration").to_dict()
    merged = analyze(compile_problem(scenario), method="merge").to_dict()
    assert enum.pop("method") == "enumeration" and merged.pop("method") == "merge"
    for key in ("frontier", "solutions", "frontier_size", "frontier_exact", "space"):
        assert merged[key] == enum[key], key
    for key in ("zopa", "ratified"):
        if merged[key]["exact"]:
            assert merged[key] == enum[key], key
        else:
            assert merged[key]["lower"] <= enum[key]["count"] <= merged[key]["upper"]
            assert merged[key]["count"] == merged[key]["lower"]
    for mine, theirs in zip(merged["blockers"], enum["blockers"], strict=True):
        assert mine["packages"] == theirs["packages"]
        if mine["sole_exact"]:
            assert mine == theirs
        else:
            assert mine["sole_lower"] <= theirs["sole"] <= mine["sole_upper"]
    if merged["zopa"]["exact"] and merged["ratified"]["exact"]:
        assert merged == enum


@PROPS
@given(scenarios(max_issues=5, max_options=4, max_actors=5, routes=True))
def test_merge_analysis_equals_enumeration(scenario: Scenario) -> None:
    _same_analysis(scenario)


@PROPS
@given(scenarios(max_issues=5, max_options=4, max_actors=3, publics=False))
def test_one_or_two_veto_actors_give_exact_counts(scenario: Scenario) -> None:
    if sum(a.veto for a in scenario.actors) > 2:
        return
    ref = reference(scenario)
    counts = count_packages(compile_problem(scenario), max_side=3)
    assert counts.zopa == Count(len(ref.zopa), len(ref.zopa))
    assert counts.ratified == Count(len(ref.ratified), len(ref.ratified))
    assert [c.lower for c in counts.sole] == ref.sole
    assert all(c.exact for c in counts.sole)


@PROPS
@given(
    scenarios(max_issues=5, max_options=4, max_actors=5, routes=True),
    st.sampled_from([1, 2, 5, 64]),
)
def test_counts_bound_the_truth_whatever_the_split(scenario: Scenario, side: int) -> None:
    ref = reference(scenario)
    counts = count_packages(compile_problem(scenario), max_side=side)
    assert counts.zopa.lower <= len(ref.zopa) <= counts.zopa.upper
    assert counts.ratified.lower <= len(ref.ratified) <= counts.ratified.upper
    assert [c.lower for c in counts.blocked] == ref.blocked
    assert all(c.exact for c in counts.blocked)
    for bound, truth in zip(counts.sole, ref.sole, strict=True):
        assert bound.lower <= truth <= bound.upper


@PROPS
@given(
    scenarios(max_issues=5, max_options=4, max_actors=4, routes=True),
    st.randoms(use_true_random=False),
)
def test_merge_order_never_changes_the_frontier(scenario: Scenario, rnd: Any) -> None:
    first = merge_frontier(compile_problem(scenario))
    mentioned = ratified_combos(compile_problem(scenario))[0]
    order = list(range(len(scenario.issues) - len(mentioned) + (1 if mentioned else 0)))
    rnd.shuffle(order)
    other = merge_frontier(compile_problem(scenario), order=order)
    assert other.options.tolist() == first.options.tolist()
    assert other.sums.tolist() == first.sums.tolist()


def _random_scenario(
    rng: np.random.Generator, sizes: list[int], n_actors: int, public: bool
) -> Scenario:
    """A random scenario with coarse values (ties happen) and optional ratification rules."""
    issues = [
        {
            "id": f"i{i}",
            "label": f"i{i}",
            "options": [{"id": f"o{j}", "label": "o", "at": 10 * j} for j in range(k)],
        }
        for i, k in enumerate(sizes)
    ]
    actors = []
    for a in range(n_actors):
        stances = []
        for i, k in enumerate(sizes):
            stance: dict[str, Any] = {
                "issue": f"i{i}",
                "salience": float(rng.choice([0.5, 1.0, 2.0, 3.0])),
                "position": "o0",
                "assumed": "random",
            }
            if rng.random() < 0.7:
                values = rng.choice([0.0, 0.2, 0.25, 0.5, 0.6, 0.75, 1.0], size=k)
                stance["values"] = {f"o{j}": float(v) for j, v in enumerate(values)}
            else:
                stance["position"] = int(rng.integers(0, 101))
            stances.append(stance)
        actors.append(
            {
                "id": f"a{a}",
                "label": f"a{a}",
                "power": 1,
                "veto": True,
                "batna": float(rng.choice([0.2, 0.3, 0.4])),
                "assumed": "random",
                "stances": stances,
            }
        )
    publics = []
    if public:
        first, second = rng.choice(len(sizes), size=2, replace=False)
        publics.append(
            {
                "id": "pub",
                "label": "Public",
                "of": "a0",
                "threshold": 0.5,
                "assumed": "random",
                "rules": [
                    {"when": {}, "reject": 0.2},
                    {"when": {f"i{first}": ["o0", "o1"]}, "reject": 0.6},
                    {"when": {f"i{first}": ["o0"], f"i{second}": ["o1"]}, "reject": 0.3},
                ],
            }
        )
    data = {
        "id": "rand",
        "title": "rand",
        "as_of": "2024-01-01",
        "issues": issues,
        "actors": actors,
        "publics": publics,
    }
    return load_scenario_data(data)


@pytest.mark.parametrize(
    ("sizes", "n_actors", "public"),
    [
        ([6] * 7, 2, True),  # 279,936 packages
        ([4] * 10, 2, False),  # 1,048,576 packages
        ([6] * 6, 3, True),  # 46,656 packages
        ([5] * 6, 4, True),  # 15,625 packages
        ([3] * 9, 5, True),  # 19,683 packages
    ],
)
def test_large_random_spaces_equal_enumeration(
    sizes: list[int], n_actors: int, public: bool
) -> None:
    scenario = _random_scenario(
        np.random.default_rng(sum(sizes) + n_actors), sizes, n_actors, public
    )
    _same_analysis(scenario)


def test_rounding_ties_are_all_kept() -> None:
    # a's utility of (o0, o0) is 0.1 + 0.2 and of (o1, o1) 0.3 + 0.0: equal after rounding but
    # 32 units apart as integer sums; b is indifferent between them: both are on the frontier
    data = {
        "id": "ties",
        "title": "ties",
        "as_of": "2024-01-01",
        "issues": [
            {
                "id": f"i{i}",
                "label": "i",
                "options": [
                    {"id": "o0", "label": "o", "at": 0},
                    {"id": "o1", "label": "o", "at": 100},
                ],
            }
            for i in range(2)
        ],
        "actors": [
            {
                "id": "a",
                "label": "a",
                "power": 1,
                "veto": True,
                "batna": 0.0,
                "stances": [
                    {
                        "issue": "i0",
                        "position": "o1",
                        "salience": 1,
                        "values": {"o0": 0.2, "o1": 0.6},
                    },
                    {
                        "issue": "i1",
                        "position": "o0",
                        "salience": 1,
                        "values": {"o0": 0.4, "o1": 0.0},
                    },
                ],
            },
            {
                "id": "b",
                "label": "b",
                "power": 1,
                "veto": True,
                "batna": 0.0,
                "stances": [
                    {
                        "issue": "i0",
                        "position": "o0",
                        "salience": 1,
                        "values": {"o0": 1.0, "o1": 0.0},
                    },
                    {
                        "issue": "i1",
                        "position": "o1",
                        "salience": 1,
                        "values": {"o0": 0.0, "o1": 1.0},
                    },
                ],
            },
        ],
    }
    scenario = load_scenario_data(data)
    q = quantize(utility_tables(scenario))
    assert (q[0][0, 0] + q[1][0, 0]) - (q[0][0, 1] + q[1][0, 1]) != 0  # the sums do differ
    front = merge_frontier(compile_problem(scenario))
    # (o1, o0) gives b nothing, not above its batna of 0; (o0, o0) and (o1, o1) tie
    assert _package_index(scenario, front.options) == [0, 1, 3]
    assert utility_of(front.sums).T.tolist() == [[0.3, 0.5], [0.1, 1.0], [0.3, 0.5]]
    _same_analysis(scenario)


def test_margin_is_the_smallest_gap_that_survives_rounding() -> None:
    rng = np.random.default_rng(3)
    base = rng.integers(0, SCALE, size=20_000)
    assert np.all(utility_of(base + MARGIN) > utility_of(base))
    assert (utility_of(base + MARGIN // 2) == utility_of(base)).any()


@pytest.mark.parametrize("batna", [0.0, 0.3, 1 / 3, 0.5, 0.9999999999, 1.0])
def test_threshold_separates_utilities_at_the_batna(batna: float) -> None:
    t = threshold_of(batna)
    assert float(utility_of(t)) <= batna < float(utility_of(t + 1))


@PROPS
@given(
    st.integers(1, 5).flatmap(
        lambda k: st.lists(
            st.lists(st.integers(0, 6), min_size=k, max_size=k), min_size=0, max_size=50
        )
    ),
    st.integers(1, 3),
)
def test_margin_filter_equals_brute_force(rows: list[list[int]], margin: int) -> None:
    if not rows:
        assert _nondominated(np.zeros((0, 2), dtype=np.int64), margin).tolist() == []
        return
    points = np.array(rows, dtype=np.int64)

    def dominates(p: np.ndarray, q: np.ndarray) -> bool:
        return bool(np.all(p >= q) and np.any(p - q >= margin))

    expected = [i for i, q in enumerate(points) if not any(dominates(p, q) for p in points)]
    assert _nondominated(points, margin).tolist() == expected


def test_budget_is_enforced_and_epsilon_guaranteed() -> None:
    scenario = _random_scenario(np.random.default_rng(11), [5] * 6, 3, True)
    exact = merge_frontier(compile_problem(scenario), batna=False)
    # a step's candidates are the frontier so far times a group's options (at most 25 here)
    assert merge_frontier(
        compile_problem(scenario), batna=False, max_points=25 * max(exact.sizes)
    ).exact
    small = max(exact.sizes)
    with pytest.raises(FrontierTooLargeError, match="budget"):
        merge_frontier(compile_problem(scenario), batna=False, max_points=small)
    approx = merge_frontier(
        compile_problem(scenario), batna=False, max_points=small, approximate=True
    )
    assert not approx.exact and approx.epsilon > 0
    assert len(approx.options) < len(exact.options)
    # every ratified package is within epsilon of an approximate frontier package
    veto = [a for a, actor in enumerate(scenario.actors) if actor.veto]
    got = utility_of(approx.sums)[veto].T
    space = Space.of(scenario)
    mentioned, allowed = ratified_combos(compile_problem(scenario))
    assert allowed is not None
    for start, utility in iter_blocks(utility_tables(scenario)):
        index = np.arange(start, start + utility.shape[1])
        combos = np.ravel_multi_index(
            tuple(space.options_of(index)[:, i] for i in mentioned),
            [space.sizes[i] for i in mentioned],
        )
        u = utility[veto][:, allowed[combos]].T
        covered = np.all(got[None, :, :] >= u[:, None, :] - approx.epsilon, axis=2).any(axis=1)
        assert covered.all()


def test_groups_merge_the_mentioned_issues_into_one() -> None:
    q = [np.array([[0, 1]]), np.array([[0, 2, 4]]), np.array([[0, 8]])]
    allowed = np.array([True, False, True, True, False, True])
    groups = groups_of(q, (0, 1), allowed)
    assert [g.issues for g in groups] == [(2,), (0, 1)]
    assert groups[1].options.tolist() == [[0, 0], [0, 2], [1, 0], [1, 2]]
    assert groups[1].sums.tolist() == [[0, 4, 1, 5]]


@pytest.mark.parametrize("name", ["textbook-two-party.yaml", "ukraine-2024-09.yaml"])
def test_shipped_scenarios_merge_to_the_enumerated_result(name: str) -> None:
    _same_analysis(load_scenario(SCENARIOS / name))


def test_auto_picks_enumeration_for_small_and_merge_for_large_spaces() -> None:
    small = _random_scenario(np.random.default_rng(1), [4] * 4, 2, False)
    large = _random_scenario(np.random.default_rng(1), [6] * 12, 2, True)
    assert Space.of(small).size <= ENUMERATION_MAX < Space.of(large).size
    assert analyze(compile_problem(small)).method == "enumeration"
    result = analyze(compile_problem(large))
    assert result.method == "merge" and result.packages == 6**12
    assert result.to_dict()["zopa"]["exact"] is True
    with pytest.raises(ValueError, match="method must be one of"):
        analyze(compile_problem(small), method="fast")


def test_three_veto_actors_report_labelled_bounds() -> None:
    scenario = _random_scenario(np.random.default_rng(5), [6] * 12, 3, True)
    data = analyze(compile_problem(scenario)).to_dict()
    for key in ("zopa", "ratified"):
        entry = data[key]
        assert entry["exact"] is (
            entry.get("lower", entry["count"]) == entry.get("upper", entry["count"])
        )
        if not entry["exact"]:
            assert entry["lower"] == entry["count"] <= entry["upper"]
    # the verdict never states an inexact count as exact
    if not data["ratified"]["exact"] and data["frontier"]:
        assert "between" in data["verdict"]


def test_small_brute_force_of_a_hand_example() -> None:
    # two issues, two parties: utilities by hand (a: 0/1 on i0, b: 1/0 on i0; both like i1=o1)
    data = {
        "id": "hand",
        "title": "hand",
        "as_of": "2024-01-01",
        "issues": [
            {
                "id": "i0",
                "label": "i0",
                "options": [
                    {"id": "o0", "label": "o", "at": 0},
                    {"id": "o1", "label": "o", "at": 100},
                ],
            },
            {
                "id": "i1",
                "label": "i1",
                "options": [
                    {"id": "o0", "label": "o", "at": 0},
                    {"id": "o1", "label": "o", "at": 50},
                    {"id": "o2", "label": "o", "at": 100},
                ],
            },
        ],
        "actors": [
            {
                "id": "a",
                "label": "a",
                "power": 1,
                "veto": True,
                "batna": 0.2,
                "stances": [
                    {"issue": "i0", "position": 100, "salience": 3},
                    {"issue": "i1", "position": 50, "salience": 1},
                ],
            },
            {
                "id": "b",
                "label": "b",
                "power": 1,
                "veto": True,
                "batna": 0.2,
                "stances": [
                    {"issue": "i0", "position": 0, "salience": 1},
                    {"issue": "i1", "position": 50, "salience": 1},
                ],
            },
        ],
    }
    # a = 0.75 * v0 + 0.25 * v1, b = 0.5 * (1 - v0) + 0.5 * v1; v1 = 1 at o1, 0.5 elsewhere
    # frontier: (o0, o1) = (0.25, 1.0) and (o1, o1) = (1.0, 0.5); both beat 0.2
    scenario = load_scenario_data(data)
    front = merge_frontier(compile_problem(scenario))
    assert _package_index(scenario, front.options) == [1, 4]
    assert utility_of(front.sums).T.tolist() == [[0.25, 1.0], [1.0, 0.5]]
    packages = list(itertools.product(range(2), range(3)))
    assert count_packages(compile_problem(scenario)).zopa == Count(
        len(packages) - 2, len(packages) - 2
    )


@PROPS
@given(
    st.integers(1, 3).flatmap(
        lambda top: st.lists(
            st.lists(st.integers(0, top), min_size=3, max_size=3), min_size=0, max_size=60
        )
    ),
    st.integers(1, 3),
)
def test_compiled_three_column_sweep_equals_brute_force(rows: list[list[int]], margin: int) -> None:
    if not _dominance_kernel.AVAILABLE:
        pytest.skip("numba is not installed")
    points = np.array(rows, dtype=np.int64).reshape(-1, 3)

    def dominates(p: np.ndarray, q: np.ndarray) -> bool:
        return bool(np.all(p >= q) and np.any(p - q >= margin))

    expected = [any(dominates(p, q) for p in points) for q in points]
    assert _dominance_kernel.margin_dominated_3(points, margin).tolist() == expected


@pytest.mark.parametrize("margin", [1, 5])
def test_compiled_sweep_equals_the_numpy_engine_on_large_arrays(
    margin: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not _dominance_kernel.AVAILABLE:
        pytest.skip("numba is not installed")
    rng = np.random.default_rng(margin)
    # near a sphere (many non-dominated rows) on a coarse grid (ties and near-ties)
    v = rng.random((6000, 3))
    v /= np.linalg.norm(v, axis=1)[:, None]
    points = np.rint(v * 400 * (1 - 0.05 * rng.random((6000, 1)))).astype(np.int64)
    compiled = _nondominated(points, margin)
    monkeypatch.setattr(_dominance_kernel, "AVAILABLE", False)
    assert compiled.tolist() == _nondominated(points, margin).tolist()


@PROPS
@given(scenarios(max_issues=5, max_options=4, max_actors=5, routes=True))
def test_merge_with_the_compiled_sweep_equals_enumeration(scenario: Scenario) -> None:
    # every three-column filter through the compiled sweep, however small
    if not _dominance_kernel.AVAILABLE:
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(solutions, "_KERNEL_MIN", 0)
        _same_analysis(scenario)
