"""Tests of the expected-utility (challenge) model, offramp.forecast.eu."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offramp.forecast import ForecastInputError, Offer, expected_utility, read_table

DATA = Path(__file__).parent / "data" / "forecast"
SCHOLZ_CODE = {"probability": "all_pairs", "offer": "by_type"}


def emission() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    table = read_table(DATA / "emission_bdm1994.csv")
    return table.position, table.capability, table.salience / 100.0


def means_in(name: str) -> list[float]:
    with open(DATA / name, encoding="utf-8") as fh:
        rows = [line for line in fh if not line.startswith("#")]
    return [float(r["mean"]) for r in csv.DictReader(rows)]


PRINTED = means_in("scholz2011_table2.csv")  # Scholz et al. (2011) Table 2, one decimal
REPLICATION_LOG = means_in("scholz2011_table2_reference.csv")  # jmckib's run log


def test_emission_case_reproduces_printed_table2_means_within_0_1() -> None:
    x, c, s = emission()
    trace = expected_utility(x, c, s, rounds=len(PRINTED) - 1, **SCHOLZ_CODE)
    np.testing.assert_allclose(trace.mean[0], PRINTED, atol=0.1)


def test_emission_case_matches_the_replication_log_exactly() -> None:
    x, c, s = emission()
    trace = expected_utility(x, c, s, rounds=len(REPLICATION_LOG) - 1, **SCHOLZ_CODE)
    np.testing.assert_allclose(trace.mean[0], REPLICATION_LOG, atol=1e-9)


def test_emission_case_first_round_median_is_8_4() -> None:
    x, c, s = emission()
    trace = expected_utility(x, c, s, rounds=1, **SCHOLZ_CODE)
    assert trace.median[0, 0] == pytest.approx(7.0)
    assert trace.median[0, 1] == pytest.approx(8.4, abs=0.05)


def test_paper_text_reading_departs_from_table2_after_round_0() -> None:
    # The defaults follow the paper's equations (pairwise probability, smallest move,
    # neutral security); they do not reproduce the printed table (docs/forecast.md).
    x, c, s = emission()
    trace = expected_utility(x, c, s, rounds=len(PRINTED) - 1)
    off = np.abs(trace.mean[0] - PRINTED) > 0.1
    assert off.tolist() == [False] + [True] * (len(PRINTED) - 1)
    assert trace.median[0, 1] == pytest.approx(7.0)


def test_emission_case_round_one_moves() -> None:
    # Belgium compromises towards France, Luxembourg loses a conflict to Belgium,
    # Ireland one to Luxembourg (the moves the published replication logs).
    x, c, s = emission()
    trace = expected_utility(x, c, s, rounds=1, **SCHOLZ_CODE)
    acc = trace.events["accepted"][0, 0]
    kind = trace.events["kind"][0, 0]
    assert acc[1] == 4 and kind[1] == Offer.COMPROMISE
    assert acc[2] == 1 and kind[2] == Offer.CONFLICT
    assert acc[7] == 2 and kind[7] == Offer.CONFLICT
    assert trace.positions[0, 1, 1] == pytest.approx(8.4159, abs=1e-3)


def test_two_actors_by_hand() -> None:
    # A at 0 (c=1, s=.5), B at 10 (c=3, s=.5); range 10 so d=1.
    # P(A beats B) = .5/(.5+1.5) = .25.  At r=1: EU_B(B->A) = .5(1.5-.5)+1 = 1.5,
    # EU_A(A->B) = .5(.5-1.5)+1 = .5, so R_A = 1, r_A = .5 and R_B = -1, r_B = 2.
    # A's view (U_sq = 2-4/sqrt 2): E = .5+ .8284 = 1.3284 < F = 2.3284: A loses a conflict.
    # B's view (U_sq = 1): EU_A(A->B) = -.5 < 0: B receives no offer.
    trace = expected_utility([0.0, 10.0], [1.0, 3.0], [0.5, 0.5], rounds=1, pairs=True)
    np.testing.assert_allclose(trace.events["risk"][0, 0], [0.5, 2.0])
    assert trace.events["accepted"][0, 0].tolist() == [1, -1]
    assert trace.events["kind"][0, 0, 0] == Offer.CONFLICT
    assert trace.events["pair"][0, 0, 0, 1] == Offer.CONFLICT
    assert trace.positions[0, 1].tolist() == [10.0, 10.0]


def test_compromise_moves_fraction_of_the_way() -> None:
    x = np.array([0.0, 4.0, 10.0])
    trace = expected_utility(x, [1.0, 1.0, 1.0], [0.9, 0.2, 0.9], rounds=1)
    kind = trace.events["kind"][0, 0]
    for actor in np.flatnonzero(kind == Offer.COMPROMISE):
        other = trace.events["accepted"][0, 0, actor]
        lo, hi = sorted((x[actor], x[other]))
        assert lo < trace.positions[0, 1, actor] < hi


def random_case(seed: int, b: int = 1, n: int = 7) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 100, (b, n)), rng.uniform(0.1, 1, (b, n)), rng.uniform(0.05, 1, (b, n))


@pytest.mark.parametrize("options", [{}, SCHOLZ_CODE, {"security": "target", "q": 0.5}])
def test_batch_equals_draws_one_at_a_time(options: dict[str, str]) -> None:
    x, c, s = random_case(3, b=6)
    whole = expected_utility(x, c, s, rounds=4, **options)
    for k in range(6):
        alone = expected_utility(x[k], c[k], s[k], rounds=4, **options)
        np.testing.assert_allclose(whole.positions[k], alone.positions[0], atol=1e-12)
        np.testing.assert_array_equal(whole.events["accepted"][k], alone.events["accepted"][0])


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31), st.integers(2, 8))
def test_relabelling_actors_changes_nothing(seed: int, n: int) -> None:
    x, c, s = random_case(seed, n=n)
    perm = np.random.default_rng(seed + 1).permutation(n)
    base = expected_utility(x, c, s, rounds=3)
    shuffled = expected_utility(x[:, perm], c[:, perm], s[:, perm], rounds=3)
    np.testing.assert_allclose(shuffled.positions, base.positions[:, :, perm], atol=1e-9)
    np.testing.assert_allclose(shuffled.forecast, base.forecast, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 2**31),
    st.floats(0.01, 100).flatmap(lambda a: st.sampled_from([a, -a])),
    st.floats(-1e3, 1e3),
)
def test_affine_change_of_scale_maps_the_forecast(seed: int, a: float, b: float) -> None:
    x, c, s = random_case(seed)
    base = expected_utility(x, c, s, rounds=3)
    moved = expected_utility(a * x + b, c, s, rounds=3)
    np.testing.assert_allclose(moved.positions, a * base.positions + b, atol=1e-7 * (1 + abs(b)))
    np.testing.assert_allclose(moved.forecast, a * base.forecast + b, atol=1e-7 * (1 + abs(b)))


def test_security_variants_agree_in_first_round_only_by_construction() -> None:
    x, c, s = random_case(11, n=9)
    first = [
        expected_utility(x, c, s, rounds=1, security=sec).positions
        for sec in ("neutral", "target", "challenger")
    ]
    np.testing.assert_allclose(first[0], first[1])
    np.testing.assert_allclose(first[0], first[2])


def test_convergence_stop_freezes_draw() -> None:
    x, c, s = emission()
    trace = expected_utility(x, c, s, rounds=30, tol=1e-9)
    stop = int(trace.events["stopped"][0])
    if stop > 0:
        assert np.all(trace.positions[0, stop:] == trace.positions[0, stop])
    identical = expected_utility([5.0, 5.0], [1.0, 1.0], [0.5, 0.5], rounds=3, tol=0.0)
    assert identical.events["stopped"].tolist() == [1]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"salience": [50.0, 50.0]}, "salience"),
        ({"rounds": -1}, "rounds"),
        ({"q": 2.0}, "q must"),
        ({"probability": "bayes"}, "probability"),
        ({"offer": "best"}, "offer"),
    ],
)
def test_bad_input_is_reported(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"salience": [0.5, 0.5]}
    args.update(kwargs)
    salience = args.pop("salience")
    with pytest.raises(ForecastInputError, match=match):
        expected_utility([1.0, 2.0], [1.0, 1.0], salience, **args)  # type: ignore[arg-type]
