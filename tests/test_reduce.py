"""Chunk tallies: chunked == unchunked, merge order does not matter, stated error bounds."""

from __future__ import annotations

import dataclasses
import itertools
from functools import reduce

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offramp.problem import Problem, compile_problem
from offramp.scenario import load_scenario_text
from offramp.uncertainty import Draws, run_chunk, sweep
from offramp.uncertainty.reduce import BIN_WIDTH, Histogram, Tally, _exact_sum
from offramp.uncertainty.sweep import summarize
from tests.conftest import ratifiable_ukraine

N = 600
MODELS = ("compromise", "median")


@pytest.fixture(scope="module")
def case() -> tuple[Problem, Draws]:
    """Ratifiable Ukraine (agreements, three events), every draw of a 600-draw sweep."""
    problem = compile_problem(load_scenario_text(ratifiable_ukraine()))
    return problem, run_chunk(problem, 7, 0, N, models=MODELS)


def _part(d: Draws, a: int, b: int) -> Draws:
    sliced = {f.name: getattr(d, f.name)[a:b] for f in dataclasses.fields(d) if f.name != "start"}
    return Draws(start=d.start + a, **sliced)


cuts = st.lists(st.integers(1, N - 1), max_size=8, unique=True).map(sorted)


@settings(max_examples=25, deadline=None)
@given(cuts=cuts, order=st.randoms(use_true_random=False))
def test_chunked_tallies_merge_to_the_unchunked_one_in_any_order(
    case: tuple[Problem, Draws], cuts: list[int], order: object
) -> None:
    problem, draws = case
    whole = Tally.of(problem, draws)
    bounds = [0, *cuts, N]
    parts = [Tally.of(problem, _part(draws, a, b)) for a, b in itertools.pairwise(bounds)]
    order.shuffle(parts)  # type: ignore[attr-defined]
    merged = Tally.combine(parts)
    assert merged == whole
    assert summarize(problem, merged, 7, None, MODELS) == summarize(problem, whole, 7, None, MODELS)


@settings(max_examples=15, deadline=None)
@given(cuts=st.lists(st.integers(1, N - 1), min_size=2, max_size=2, unique=True).map(sorted))
def test_merge_is_associative_and_commutative(case: tuple[Problem, Draws], cuts: list[int]) -> None:
    problem, draws = case
    a, b, c = (
        Tally.of(problem, _part(draws, lo, hi))
        for lo, hi in zip([0, *cuts], [*cuts, N], strict=True)
    )
    assert a.merge(b).merge(c) == a.merge(b.merge(c)) == c.merge(a).merge(b)
    assert a.merge(b) == b.merge(a)


def test_sweep_summary_equals_the_all_draws_figures(case: tuple[Problem, Draws]) -> None:
    """Counts exact; means to rounding; quantiles within BIN_WIDTH of numpy's."""
    problem, draws = case
    summary, tally = sweep(problem, draws=N, seed=7, chunk_size=123, models=MODELS)
    agree = draws.ratified > 0
    assert tally.n == N and 0 < tally.agreements == int(agree.sum()) < N
    assert summary.p_agreement == agree.mean()
    assert summary.p_zopa == (draws.zopa > 0).mean()
    labels = [problem.actor_ids[v] for v in problem.veto_index] + list(problem.body_ids)
    for j, who in enumerate(labels):
        assert summary.blockers[who] == float(draws.sole[:, j].mean() / problem.space.size)
    for e, event in enumerate(problem.events):
        for b, branch in enumerate(event.branch_ids):
            mask = draws.branch[:, e] == b
            row = summary.by_branch[event.id][branch]
            assert row["draws"] == int(mask.sum())
            assert row["p_agreement"] == (float(agree[mask].mean()) if mask.any() else 0.0)
    packages, counts = np.unique(draws.nash[agree], return_counts=True)
    pairs = zip(counts.tolist(), packages.tolist(), strict=True)
    top = sorted(pairs, key=lambda cp: (-cp[0], cp[1]))
    assert [p["share"] for p in summary.nash_packages] == [c / agree.sum() for c, _ in top][:20]
    for m, name in enumerate(MODELS):
        for i, issue in enumerate(problem.space.issue_ids):
            col = draws.forecasts[:, m, i]
            col = col[np.isfinite(col)]
            row = summary.forecasts[name][issue]
            assert row["mean"] == pytest.approx(col.mean(), rel=1e-14, abs=1e-12)
            p5, p95 = np.percentile(col, [5, 95])
            assert abs(row["p5"] - p5) <= BIN_WIDTH and abs(row["p95"] - p95) <= BIN_WIDTH


values = st.lists(
    st.floats(0, 100, allow_nan=False, allow_subnormal=False), min_size=1, max_size=300
)


@settings(max_examples=200, deadline=None)
@given(x=values, split=st.integers(0, 300), q=st.floats(0, 100))
def test_histogram_quantile_within_the_bin_width(x: list[float], split: int, q: float) -> None:
    a = np.array(x)
    h = Histogram.of(a[:split]).merge(Histogram.of(a[split:]))
    assert h == Histogram.of(a)
    assert abs(h.percentile(q) - float(np.percentile(a, q))) <= BIN_WIDTH
    assert h.mean() == float(_exact_sum(a) / a.size)


def test_histogram_is_exact_on_few_distinct_values() -> None:
    # a weighted median lands on actors' positions: few distinct values, exact quantiles
    x = np.repeat([0.0, 35.0, 65.0, 100.0], [40, 7, 50, 3])
    h = reduce(Histogram.merge, (Histogram.of(x[i : i + 9]) for i in range(0, 100, 9)))
    for q in (5, 50, 95, 37.5):
        assert h.percentile(q) == float(np.percentile(x, q))


@given(x=st.lists(st.floats(-1e6, 1e6, allow_nan=False), max_size=50), r=st.randoms())
def test_exact_sum_does_not_depend_on_order(x: list[float], r: object) -> None:
    y = list(x)
    r.shuffle(y)  # type: ignore[attr-defined]
    assert _exact_sum(np.array(x)) == _exact_sum(np.array(y))
