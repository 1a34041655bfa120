"""Scores and the paired bootstrap by proposal, against hand computation."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from offramp.backtest.scoring import cluster_counts, delta_interval, proposal_index, scores

# A 3-proposal file: A has 2 issues, B 1, C 3. Absolute errors of a model and of the base.
PROPOSALS = ["A", "A", "B", "C", "C", "C"]
MODEL = [2.0, 4.0, 10.0, 0.0, 0.0, 6.0]
BASE = [3.0, 3.0, 6.0, 1.0, 1.0, 1.0]


def test_mae_rmse_median_by_hand() -> None:
    # errors are the values themselves when the outcome is 0
    s = scores(MODEL, [0.0] * 6)
    assert s.mae == pytest.approx(22 / 6)
    assert s.rmse == pytest.approx(np.sqrt((4 + 16 + 100 + 0 + 0 + 36) / 6))
    assert s.median_ae == pytest.approx(3.0)  # (2 + 4) / 2
    assert s.n == 6


def _exact_distribution() -> dict[Fraction, Fraction]:
    """Every resample of 3 proposals drawn with replacement (27 equally likely), by hand.

    Per-proposal summed differences (model - base): A 0, B 4, C 3; sizes 2, 1, 3.
    """
    diff = {"A": 0, "B": 4, "C": 3}
    size = {"A": 2, "B": 1, "C": 3}
    dist: dict[Fraction, Fraction] = {}
    for a in "ABC":
        for b in "ABC":
            for c in "ABC":
                draw = (a, b, c)
                value = Fraction(sum(diff[p] for p in draw), sum(size[p] for p in draw))
                dist[value] = dist.get(value, Fraction(0)) + Fraction(1, 27)
    return dist


def test_exact_bootstrap_distribution_by_hand() -> None:
    dist = _exact_distribution()
    # the ten multisets, written out: (kA, kB, kC) -> delta, probability
    assert dist == {
        Fraction(0): Fraction(1, 27),  # (3,0,0)
        Fraction(4): Fraction(1, 27),  # (0,3,0): 12/3
        Fraction(1): Fraction(1, 27),  # (0,0,3): 9/9
        Fraction(4, 5): Fraction(3, 27),  # (2,1,0)
        Fraction(3, 7): Fraction(3, 27),  # (2,0,1)
        Fraction(2): Fraction(3, 27),  # (1,2,0): 8/4
        Fraction(11, 5): Fraction(3, 27),  # (0,2,1)
        Fraction(3, 4): Fraction(3, 27),  # (1,0,2): 6/8
        Fraction(10, 7): Fraction(3, 27),  # (0,1,2)
        Fraction(7, 6): Fraction(6, 27),  # (1,1,1)
    }


def test_bootstrap_matches_the_exact_distribution() -> None:
    lo, est, hi = delta_interval(MODEL, BASE, PROPOSALS, boot=20000, seed=3)
    assert est == pytest.approx(7 / 6)  # (22 - 15) / 6
    # P(delta = 0) = P(delta = 4) = 1/27 > 2.5%: the exact percentile interval is [0, 4]
    assert (lo, hi) == (pytest.approx(0.0), pytest.approx(4.0))
    # and every resample is one of the ten values, at its probability
    counts = cluster_counts(3, 20000, seed=3)
    index, _ = proposal_index(PROPOSALS)
    diff = np.bincount(index, weights=np.subtract(MODEL, BASE))
    size = np.bincount(index).astype(float)
    deltas = (counts @ diff) / (counts @ size)
    for value, p in _exact_distribution().items():
        share = np.mean(np.isclose(deltas, float(value)))
        assert share == pytest.approx(float(p), abs=0.012)
    assert sum(np.isclose(deltas, float(v)).sum() for v in _exact_distribution()) == 20000


def test_pairing_and_seed() -> None:
    a = delta_interval(MODEL, BASE, PROPOSALS, boot=500, seed=7)
    assert a == delta_interval(MODEL, BASE, PROPOSALS, boot=500, seed=7)
    # a model equal to the base has a degenerate interval at 0 (paired resamples)
    assert delta_interval(BASE, BASE, PROPOSALS, boot=500, seed=7) == (0.0, 0.0, 0.0)
    lo, est, hi = delta_interval(MODEL, BASE, PROPOSALS, boot=0)
    assert np.isnan(lo) and np.isnan(hi) and est == pytest.approx(7 / 6)


def test_bad_shapes() -> None:
    with pytest.raises(ValueError, match="one shape"):
        delta_interval([1.0, 2.0], [1.0], ["a", "b"])
    with pytest.raises(ValueError, match="proposals must have shape"):
        delta_interval([1.0, 2.0], [1.0, 2.0], ["a"])
