"""Pareto filter and bargaining solutions against brute force."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from offramp.settle.solutions import SOLUTIONS, pareto_filter, solve
from tests.strategies import dominates


def brute_pareto(points: np.ndarray) -> list[int]:
    rows = points.tolist()
    return [i for i, p in enumerate(rows) if not any(dominates(q, p) for q in rows)]


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda k: arrays(
            np.float64,
            st.tuples(st.integers(0, 60), st.just(k)),
            elements=st.sampled_from([0.0, 0.1, 0.2, 0.5, 0.7, 1.0]),
        )
    )
)
def test_pareto_filter_equals_brute_force(points: np.ndarray) -> None:
    assert pareto_filter(points).tolist() == brute_pareto(points)


def test_pareto_filter_large_kd_equals_blockwise_reference() -> None:
    rng = np.random.default_rng(7)
    points = np.round(rng.random((5000, 3)), 2)
    got = pareto_filter(points)
    ref = [
        i
        for i in range(len(points))
        if not (np.all(points >= points[i], axis=1) & np.any(points > points[i], axis=1)).any()
    ]
    assert got.tolist() == ref


def test_pareto_filter_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="2-d array"):
        pareto_filter(np.zeros(3))


def test_solutions_by_hand() -> None:
    # gains over batna (0.1, 0.1): (0.8, 0.1), (0.5, 0.4), (0.2, 0.7) -> products .08, .2, .14
    u = np.array([[0.9, 0.2], [0.6, 0.5], [0.3, 0.8]])
    got = solve(u, np.array([0.1, 0.1]), np.arange(3))
    assert got["nash"] == 1
    # KS: ideal gains (0.8, 0.7): min(1, .143), min(.625, .571), min(.25, 1) -> row 1
    assert got["kalai_smorodinsky"] == 1
    assert got["egalitarian"] == 1
    # utilitarian sums 1.1, 1.1, 1.1: a three-way tie goes to the lowest package index
    assert got["utilitarian"] == 0
    assert solve(u, np.array([0.1, 0.1]), np.array([9, 4, 7]))["utilitarian"] == 1


def test_solutions_of_an_empty_frontier_are_none() -> None:
    assert solve(np.empty((0, 2)), np.zeros(2), np.empty(0, dtype=np.int64)) == dict.fromkeys(
        SOLUTIONS
    )
