"""Tests of the compromise model and the weighted median."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offramp.forecast import ForecastInputError, compromise, median

finite = st.integers(-4000, 4000).map(lambda v: v / 4)  # no sub-ulp ties
weight = st.floats(0.01, 10)


def test_compromise_by_hand() -> None:
    # (1*.5*4 + 1*1*10) / (.5 + 1) = 12 / 1.5 = 8
    assert compromise([4.0, 10.0], [1.0, 1.0], [0.5, 1.0]).final.tolist() == [8.0]


def test_median_by_hand() -> None:
    # weights 6.4, 3.2, 14.4 of 24: the actor at 10 alone has more than half
    trace = median([4.0, 7.0, 10.0], [8, 8, 16], [0.8, 0.4, 0.9])
    assert trace.final.tolist() == [10.0]
    assert trace.rounds == 0 and trace.positions.shape == (1, 1, 3)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(finite, weight, weight), min_size=1, max_size=9))
def test_no_position_beats_the_median(rows: list[tuple[float, float, float]]) -> None:
    x, c, s = (np.array(col) for col in zip(*rows, strict=True))
    mu = median(x, c, s).final[0]
    w = c * s
    for y in x:
        votes_for_y = w[np.abs(x - y) < np.abs(x - mu)].sum()
        votes_for_mu = w[np.abs(x - mu) < np.abs(x - y)].sum()
        assert votes_for_y <= votes_for_mu + 1e-9 * w.sum()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(finite, weight, weight), min_size=2, max_size=9), st.randoms())
def test_reordering_actors_changes_nothing(rows: list[tuple[float, ...]], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    for model in (compromise, median):
        a = model(*(np.array(col) for col in zip(*rows, strict=True))).final
        b = model(*(np.array(col) for col in zip(*shuffled, strict=True))).final
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(finite, weight, weight), min_size=1, max_size=9),
    st.floats(-50, 50).filter(lambda a: abs(a) > 1e-3),
    finite,
)
def test_affine_change_of_scale_maps_the_forecast(
    rows: list[tuple[float, ...]], a: float, b: float
) -> None:
    x, c, s = (np.array(col) for col in zip(*rows, strict=True))
    for model in (compromise, median):
        base = model(x, c, s).final
        moved = model(a * x + b, c, s).final
        np.testing.assert_allclose(moved, a * base + b, rtol=1e-9, atol=1e-6)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(finite, weight, weight), min_size=1, max_size=6), st.integers(2, 4))
def test_merging_identical_actors_sums_capability(rows: list[tuple[float, ...]], k: int) -> None:
    x, c, s = (np.array(col) for col in zip(*rows, strict=True))
    # actor 0 split into k identical copies, each with a k-th of its capability
    xs = np.concatenate([np.repeat(x[:1], k), x[1:]])
    cs = np.concatenate([np.repeat(c[:1] / k, k), c[1:]])
    ss = np.concatenate([np.repeat(s[:1], k), s[1:]])
    np.testing.assert_allclose(
        compromise(xs, cs, ss).final, compromise(x, c, s).final, rtol=1e-9, atol=1e-9
    )
    np.testing.assert_allclose(median(xs, cs, ss).final, median(x, c, s).final, atol=1e-9)


def test_batch_equals_draws_one_at_a_time() -> None:
    rng = np.random.default_rng(0)
    x, c, s = rng.uniform(0, 1, (3, 5, 7))
    for model in (compromise, median):
        whole = model(x, c, s).final
        alone = [model(x[k], c[k], s[k]).final[0] for k in range(5)]
        np.testing.assert_allclose(whole, alone)


@pytest.mark.parametrize(
    ("x", "c", "s", "match"),
    [
        ([1.0, np.nan], 1.0, 1.0, "NaN"),
        ([1.0, 2.0], [-1.0, 1.0], 1.0, "capability must be >= 0"),
        ([1.0, 2.0], 1.0, [0.0, 0.0], "nobody has any weight"),
        ([1.0, 2.0], [1.0, 1.0, 1.0], 1.0, "does not fit"),
        ([[[1.0]]], 1.0, 1.0, "shape"),
    ],
)
def test_bad_arrays_are_reported(x: object, c: object, s: object, match: str) -> None:
    with pytest.raises(ForecastInputError, match=match):
        compromise(x, c, s)  # type: ignore[arg-type]
