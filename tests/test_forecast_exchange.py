"""Tests of Stokman's exchange model, offramp.forecast.exchange."""

from __future__ import annotations

import json
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offramp.forecast import ForecastInputError, exchange

DATA = Path(__file__).parent / "data" / "forecast"

# Two actors, two issues, worked by hand with exact fractions.
# A: x = (0, 0),   c = (2, 1), s = (3/4, 1/4)   -> w_A = (3/2, 1/4)
# B: x = (60, 60), c = (1, 3), s = (1/3, 2/3)   -> w_B = (1/3, 2)
# W = (11/6, 9/4); O_1 = 20 / (11/6) = 120/11, O_2 = 120 / (9/4) = 160/3.
# A is left of both outcomes, B right of both; s_A1/s_A2 = 3 > s_B1/s_B2 = 1/2,
# so A demands issue 1 (B moves there) and B demands issue 2 (A moves there).
# Equal gain: dO_2 / dO_1 = (3/4 + 1/3) / (1/4 + 2/3) = 13/11.
# B all the way on issue 1: dO_1 = 60 (1/3)/(11/6) = 120/11, dO_2 = 1560/121, which would
# need A to move 1560/121 * 9 = 14040/121 > 60 on issue 2: too far.  So A moves all 60:
# dO_2 = 60 (1/4)/(9/4) = 20/3, dO_1 = (20/3)(11/13) = 220/39, B moves
# (220/39)(11/6)/(1/3) = 1210/39.  Gains: A = (3/4)(220/39) - (1/4)(20/3) = 100/39,
# B = (2/3)(20/3) - (1/3)(220/39) = 100/39.  New outcomes: O_1 = 2260/429, O_2 = 60.
HAND_X = [[0.0, 0.0], [60.0, 60.0]]
HAND_C = [[2.0, 1.0], [1.0, 3.0]]
HAND_S = [[0.75, 0.25], [1 / 3, 2 / 3]]


def test_two_by_two_by_hand() -> None:
    trace = exchange(HAND_X, HAND_C, HAND_S)
    np.testing.assert_allclose(trace.forecast[0, 0], [float(F(120, 11)), float(F(160, 3))])
    rec = trace.events["exchanges"][0, 0, 0]
    assert (rec["i"], rec["j"], rec["p"], rec["q"]) == (0, 1, 0, 1)
    assert rec["move_i"] == pytest.approx(60.0)
    assert rec["move_j"] == pytest.approx(float(F(1210, 39)))
    assert rec["gain_i"] == pytest.approx(float(F(100, 39)))
    assert rec["gain_j"] == pytest.approx(float(F(100, 39)))
    np.testing.assert_allclose(trace.positions[0, 1], [[0.0, 60.0], [float(F(1130, 39)), 60.0]])
    np.testing.assert_allclose(trace.forecast[0, 1], [float(F(2260, 429)), 60.0])
    assert trace.events["exchanges"][0, 0, 1]["i"] == -1  # only one exchange


def test_no_exchange_on_the_same_side_or_equal_priorities() -> None:
    # a third actor pulls the outcome so that A and B are on the same side of issue 2
    same_side = exchange([[0.0, 0.0], [60.0, 10.0], [0.0, 100.0]], 1.0, 0.5)
    equal = exchange([[0.0, 0.0], [60.0, 60.0]], 1.0, [[0.5, 0.5], [0.5, 0.5]])
    for trace in (same_side, equal):
        assert (trace.events["exchanges"]["i"] == -1).all()
        np.testing.assert_array_equal(trace.positions[:, 1], trace.positions[:, 0])


def test_externalities_for_third_parties() -> None:
    # C sits with A on issue 1 and with B on issue 2: both shifts help C.
    x = [[0.0, 0.0], [60.0, 60.0], [0.0, 60.0]]
    c = [[2.0, 1.0], [1.0, 3.0], [0.01, 0.01]]
    s = [[0.75, 0.25], [1 / 3, 2 / 3], [0.5, 0.5]]
    trace = exchange(x, c, s)
    ext = trace.events["externality"][0, 0]
    assert ext[0] == 0.0 and ext[1] == 0.0 and ext[2] > 0.0


def test_random_rate_gains_positive_and_reproducible() -> None:
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 100, (20, 6, 3))
    c = rng.uniform(0.1, 1, (20, 6))
    s = rng.uniform(0.1, 1, (20, 6, 3))
    a = exchange(x, c, s, rate="random", seed=1, rounds=2)
    b = exchange(x, c, s, rate="random", seed=1, rounds=2)
    np.testing.assert_array_equal(a.positions, b.positions)
    recs = a.events["exchanges"]
    done = recs["i"] >= 0
    assert done.any()
    assert (recs["gain_i"][done] > 0).all() and (recs["gain_j"][done] > 0).all()
    eq = exchange(x, c, s, rounds=2).events["exchanges"]
    np.testing.assert_allclose(eq["gain_i"], eq["gain_j"], rtol=1e-9, atol=1e-12)


def test_moves_stay_between_the_two_positions() -> None:
    rng = np.random.default_rng(9)
    x = rng.uniform(0, 10, (50, 8, 2))
    trace = exchange(x, rng.uniform(0.1, 1, (50, 8)), rng.uniform(0.1, 1, (50, 8, 2)))
    lo, hi = x.min(axis=1, keepdims=True), x.max(axis=1, keepdims=True)
    after = trace.positions[:, 1]
    assert ((after >= lo - 1e-9) & (after <= hi + 1e-9)).all()


def test_batch_equals_draws_one_at_a_time() -> None:
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 100, (4, 6, 3))
    c = rng.uniform(0.1, 1, (4, 6, 3))
    s = rng.uniform(0.1, 1, (4, 6, 3))
    whole = exchange(x, c, s, rounds=3)
    for k in range(4):
        alone = exchange(x[k], c[k], s[k], rounds=3)
        np.testing.assert_allclose(whole.positions[k], alone.positions[0])


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31), st.floats(0.1, 10).flatmap(lambda a: st.sampled_from([a, -a])))
def test_relabelling_and_affine_scale(seed: int, a: float) -> None:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, (1, 5, 2))
    c = rng.uniform(0.1, 1, (1, 5, 2))
    s = rng.uniform(0.1, 1, (1, 5, 2))
    base = exchange(x, c, s, rounds=2)
    perm = rng.permutation(5)
    shuffled = exchange(x[:, perm], c[:, perm], s[:, perm], rounds=2)
    np.testing.assert_allclose(shuffled.positions, base.positions[:, :, perm], atol=1e-9)
    moved = exchange(a * x + 3.0, c, s, rounds=2)
    np.testing.assert_allclose(moved.forecast, a * base.forecast + 3.0, atol=1e-8)


def test_bad_parameters() -> None:
    with pytest.raises(ForecastInputError, match="rate"):
        exchange(HAND_X, HAND_C, HAND_S, rate="fair")  # type: ignore[arg-type]
    with pytest.raises(ForecastInputError, match="shape"):
        exchange([1.0, 2.0], 1.0, 1.0)


DECIDE_CASES = json.loads((DATA / "decide_exchange_rounds.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", DECIDE_CASES["cases"], ids=lambda case: case["name"])
def test_decide_procedure_reproduces_decide_round_by_round(case: dict[str, object]) -> None:
    x, c, s = (np.array(case[k]) for k in ("x", "c", "s"))
    rounds = int(case["rounds"])  # type: ignore[call-overload]
    trace = exchange(x, c, s, procedure="decide", rounds=rounds)
    np.testing.assert_allclose(trace.positions[0, 1:], case["voting"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(trace.events["start_positions"][0], case["start"], rtol=0, atol=1e-9)
    realized = (trace.events["exchanges"]["i"][0] >= 0).sum(axis=1)
    assert realized.tolist() == case["realized"]
    recs = trace.events["exchanges"][0]
    done = recs["i"] >= 0
    assert (recs["gain_i"][done] >= 1e-10).all()
    np.testing.assert_array_equal(recs["gain_i"][done], recs["gain_j"][done])


def test_decide_procedure_matches_the_earlier_one_round_case() -> None:
    # DECIDE re-moves already moved positions here; the published procedure does not.
    case = json.loads((DATA / "decide_exchange_6x3.json").read_text(encoding="utf-8"))
    x, c, s = (np.array(case[k]) for k in ("x", "c", "s"))
    decide = exchange(x, c, s, procedure="decide")
    np.testing.assert_allclose(decide.positions[0, 1], case["decide_positions"], atol=1e-9)
    published = exchange(x, c, s)
    assert np.abs(published.positions[0, 1] - case["decide_positions"]).max() > 1.0


def test_decide_next_round_starts_part_of_the_way_by_hand() -> None:
    # The 2x2 case: voting positions as by hand; the next start is x + (0.4 (1 - s) + 0.1)(y - x):
    # A on issue 2 (s = 1/4): 0 + (4/10) 60 = 24; B on issue 1 (s = 1/3):
    # 60 + (11/30)(1130/39 - 60) = 5689/117.
    trace = exchange(HAND_X, HAND_C, HAND_S, procedure="decide")
    np.testing.assert_allclose(trace.positions[0, 1], [[0.0, 60.0], [float(F(1130, 39)), 60.0]])
    np.testing.assert_allclose(
        trace.events["start_positions"][0, 1], [[0.0, 24.0], [float(F(5689, 117)), 60.0]]
    )
    rec = trace.events["exchanges"][0, 0, 0]
    assert rec["gain_i"] == pytest.approx(float(F(100, 39)))


def test_decide_batch_equals_draws_one_at_a_time() -> None:
    rng = np.random.default_rng(12)
    x = np.round(rng.uniform(0, 100, (5, 7, 4)), 1)
    c = rng.uniform(0.1, 1, (5, 7, 4))
    s = rng.uniform(0.1, 1, (5, 7, 4))
    whole = exchange(x, c, s, procedure="decide", rounds=3)
    for k in range(5):
        alone = exchange(x[k], c[k], s[k], procedure="decide", rounds=3)
        np.testing.assert_array_equal(whole.positions[k], alone.positions[0])
        np.testing.assert_array_equal(
            whole.events["exchanges"][k, :, : alone.events["exchanges"].shape[2]],
            alone.events["exchanges"][0],
        )


def test_decide_bounds_map_the_scale() -> None:
    case = DECIDE_CASES["cases"][1]
    x, c, s = (np.array(case[k]) for k in ("x", "c", "s"))
    base = exchange(x, c, s, procedure="decide", rounds=2)
    years = exchange(4.0 + 0.06 * x, c, s, procedure="decide", rounds=2, bounds=(4.0, 10.0))
    np.testing.assert_allclose(years.positions, 4.0 + 0.06 * base.positions, atol=1e-9)
    np.testing.assert_allclose(years.forecast, 4.0 + 0.06 * base.forecast, atol=1e-9)
    np.testing.assert_allclose(
        years.events["exchanges"]["gain_i"], base.events["exchanges"]["gain_i"], atol=1e-9
    )
    per_issue = exchange(x, c, s, procedure="decide", rounds=2, bounds=[(0.0, 100.0)] * x.shape[1])
    np.testing.assert_array_equal(per_issue.positions, base.positions)


def test_decide_bad_input() -> None:
    with pytest.raises(ForecastInputError, match="equal_gain"):
        exchange(HAND_X, HAND_C, HAND_S, procedure="decide", rate="random")
    with pytest.raises(ForecastInputError, match="within"):
        exchange([[0.0, 0.0], [160.0, 60.0]], HAND_C, HAND_S, procedure="decide")
    with pytest.raises(ForecastInputError, match="bounds"):
        exchange(HAND_X, HAND_C, HAND_S, procedure="decide", bounds=(10.0, 0.0))
    with pytest.raises(ForecastInputError, match="> 0"):
        exchange(HAND_X, HAND_C, [[0.5, 0.0], [0.5, 0.5]], procedure="decide")
    with pytest.raises(ForecastInputError, match="procedure"):
        exchange(HAND_X, HAND_C, HAND_S, procedure="stokman")  # type: ignore[arg-type]


def test_decide_one_issue_has_nothing_to_trade() -> None:
    trace = exchange([[10.0], [90.0]], 1.0, [[0.5], [0.9]], procedure="decide", rounds=2)
    np.testing.assert_array_equal(trace.positions[0, 2], [[10.0], [90.0]])
    assert (trace.events["exchanges"]["i"] == -1).all()
