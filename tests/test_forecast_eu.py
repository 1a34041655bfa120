"""Tests of the expected-utility (challenge) model, offramp.forecast.eu."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offramp.forecast import (
    ForecastInputError,
    Offer,
    _eu_kernel,
    _eu_numpy,
    eu,
    expected_utility,
    read_table,
)

DATA = Path(__file__).parent / "data" / "forecast"
SCHOLZ_CODE = {"probability": "all_pairs", "offer": "by_type"}  # the defaults, spelled out
PAPER_TEXT = {"probability": "pairwise", "offer": "closest"}  # the named literal reading


def emission() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    table = read_table(DATA / "emission_bdm1994.csv")
    return table.position, table.capability, table.salience / 100.0


def means_in(name: str) -> list[float]:
    with open(DATA / name, encoding="utf-8") as fh:
        rows = [line for line in fh if not line.startswith("#")]
    return [float(r["mean"]) for r in csv.DictReader(rows)]


PRINTED = means_in("scholz2011_table2.csv")  # Scholz et al. (2011) Table 2, one decimal
REPLICATION_LOG = means_in("scholz2011_table2_reference.csv")  # jmckib's run log


ENGINES = ["numpy", pytest.param("kernel", marks=pytest.mark.skipif(
    not _eu_kernel.AVAILABLE, reason="numba not installed"))]  # fmt: skip


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the numpy engine alone, and again with the compiled kernels."""
    monkeypatch.setattr(eu, "_USE_KERNEL", request.param == "kernel")
    return str(request.param)


def test_emission_case_reproduces_printed_table2_means_within_0_1(engine: str) -> None:
    x, c, s = emission()
    trace = expected_utility(x, c, s, rounds=len(PRINTED) - 1, **SCHOLZ_CODE)
    np.testing.assert_allclose(trace.mean[0], PRINTED, atol=0.1)


def test_emission_case_matches_the_replication_log_exactly(engine: str) -> None:
    x, c, s = emission()
    trace = expected_utility(x, c, s, rounds=len(REPLICATION_LOG) - 1, **SCHOLZ_CODE)
    np.testing.assert_allclose(trace.mean[0], REPLICATION_LOG, atol=1e-9)


def test_emission_case_first_round_median_is_8_4() -> None:
    x, c, s = emission()
    trace = expected_utility(x, c, s, rounds=1, **SCHOLZ_CODE)
    assert trace.median[0, 0] == pytest.approx(7.0)
    assert trace.median[0, 1] == pytest.approx(8.4, abs=0.05)


def test_defaults_reproduce_table2_with_no_options(engine: str) -> None:
    # Published-faithful defaults: no options give the printed means and median 8.4.
    x, c, s = emission()
    trace = expected_utility(x, c, s, rounds=len(PRINTED) - 1)
    np.testing.assert_allclose(trace.mean[0], PRINTED, atol=0.1)
    np.testing.assert_allclose(trace.mean[0], REPLICATION_LOG, atol=1e-9)
    assert trace.median[0, 1] == pytest.approx(8.4, abs=0.05)
    assert dict(trace.params) | SCHOLZ_CODE == dict(trace.params)


def test_paper_text_reading_departs_from_table2_after_round_0(engine: str) -> None:
    # The named literal reading of the paper's equations (pairwise probability,
    # smallest move, neutral security) does not reproduce the printed table
    # (docs/forecast.md).
    x, c, s = emission()
    trace = expected_utility(x, c, s, rounds=len(PRINTED) - 1, **PAPER_TEXT)
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
def test_batch_equals_draws_one_at_a_time(options: dict[str, str], engine: str) -> None:
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
    # With the defaults a compromise is ranked by its position ("lowest" wins), which a
    # reflection (a < 0) reverses; the paper-text reading is invariant under any a != 0.
    x, c, s = random_case(seed)
    for options, scale in ((PAPER_TEXT, a), (SCHOLZ_CODE, abs(a))):
        base = expected_utility(x, c, s, rounds=3, **options)
        moved = expected_utility(scale * x + b, c, s, rounds=3, **options)
        tol = 1e-7 * (1 + abs(b))
        np.testing.assert_allclose(moved.positions, scale * base.positions + b, atol=tol)
        np.testing.assert_allclose(moved.forecast, scale * base.forecast + b, atol=tol)


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


# --------------------------------------------------------------- the fast engine


def brute_votes(z: np.ndarray, w: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``N[a, c] = sum_k w_k max(0, d_kc^r_k - d_ka^r_k)`` the O(n^3) way."""
    d = np.abs(z[:, :, None] - z[:, None, :])  # (B, k, j)
    u = w[:, :, None] * d ** r[:, :, None]
    vote = u[:, :, None, :] - u[:, :, :, None]  # (B, k, a, c): for a over c
    return np.maximum(vote, 0.0).sum(axis=1)


def sorted_case(seed: int, b: int, n: int, ties: bool) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    z = rng.uniform(0, 1, (b, n))
    if ties:  # repeated positions and voters exactly on midpoints (0, .25, .5, ...)
        z = np.round(z * 4) / 4
    z = np.sort(z, axis=1)
    return z, rng.uniform(0.05, 1, (b, n)), rng.uniform(0.5, 2, (b, n))


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("unit_r", [False, True])
def test_prefix_sum_votes_equal_the_cubic_sum(ties: bool, unit_r: bool) -> None:
    # The midpoint argument: k votes for a over c iff it lies on a's side of their
    # midpoint, whatever its exponent, so the O(n^2 log n) sums equal the O(n^3) ones.
    z, w, r = sorted_case(5 + ties, b=7, n=13, ties=ties)
    if unit_r:
        r = np.ones_like(r)
    frame = _eu_numpy._frame(z)
    np.testing.assert_allclose(
        _eu_numpy._vote_sums(frame, w, r), brute_votes(z, w, r), rtol=0, atol=1e-12
    )


@pytest.mark.skipif(not _eu_kernel.AVAILABLE, reason="numba not installed")
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("all_pairs", [False, True])
def test_kernel_midpoints_and_votes_equal_numpy_and_cubic(ties: bool, all_pairs: bool) -> None:
    z, w, _ = sorted_case(9 + ties, b=6, n=11, ties=ties)
    bsz, n = z.shape
    frame = _eu_numpy._frame(z)
    unit, offset = _eu_numpy._units(z)
    left = np.empty((bsz, n, n), dtype=np.int32)
    s = np.full_like(z, 0.5)
    danger = _eu_kernel.security(unit, offset[:, 0], w, s, frame.dist, all_pairs, 1.0, left)
    # numpy's searchsorted counts, read back from its gather index, equal the sweep's
    rows = (frame.gather - (np.arange(bsz) * (n + 1) * n)[:, None, None] - np.arange(n)) // n
    off_diagonal = ~np.eye(n, dtype=bool)
    np.testing.assert_array_equal(left[:, off_diagonal], rows[:, off_diagonal])
    # danger sums at exponent 1 as the numpy engine computes them
    rule = "all_pairs" if all_pairs else "pairwise"
    prob1 = _eu_numpy._probabilities(brute_votes(z, w, np.ones_like(w)), rule, frame.keep)
    utils1 = _eu_numpy._utilities(frame.dist, np.ones((bsz, n, 1)))
    eu_ji = _eu_numpy._challenge(
        prob1, utils1, frame.dist, z[:, :, None], s[:, None, :], 1.0, 1.0, 1.0
    )
    np.testing.assert_allclose(danger, (eu_ji * frame.keep).sum(axis=1), rtol=0, atol=1e-12)


@pytest.mark.skipif(not _eu_kernel.AVAILABLE, reason="numba not installed")
@pytest.mark.parametrize("probability", ["pairwise", "all_pairs"])
@pytest.mark.parametrize("offer", ["closest", "by_type"])
def test_kernel_engine_agrees_with_numpy_engine(
    probability: str, offer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(17)
    x = rng.uniform(0, 100, (40, 12))
    x[:10] = np.round(x[:10] / 20) * 20  # shared positions and exact midpoints
    c = rng.uniform(0.05, 1, (40, 12))
    s = rng.uniform(0.05, 1, (40, 12))
    c[10:20, 1] = c[10:20, 0]  # identical actors: exact ties between their offers
    s[10:20, 1] = s[10:20, 0]
    x[10:20, 1] = x[10:20, 0]
    opts: dict[str, object] = {"probability": probability, "offer": offer, "pairs": True}
    fast = expected_utility(x, c, s, rounds=6, **opts)  # type: ignore[arg-type]
    monkeypatch.setattr(eu, "_USE_KERNEL", False)
    slow = expected_utility(x, c, s, rounds=6, **opts)  # type: ignore[arg-type]
    np.testing.assert_allclose(fast.positions, slow.positions, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fast.events["risk"], slow.events["risk"], rtol=0, atol=1e-12)
    for key in ("accepted", "kind", "pair"):
        np.testing.assert_array_equal(fast.events[key], slow.events[key])


@pytest.mark.parametrize("order", [[0, 1, 2], [1, 0, 2], [2, 1, 0]])
def test_exact_ties_go_to_the_lower_input_index(order: list[int], engine: str) -> None:
    # Two identical strong actors at 10 make the weak one at 0 identical offers:
    # it takes the one from the actor listed first, whatever the positions' order.
    x = np.array([0.0, 10.0, 10.0])[order]
    c = np.array([1.0, 3.0, 3.0])[order]
    trace = expected_utility(x, c, [0.5, 0.5, 0.5], rounds=1)
    weak = order.index(0)
    strong = sorted(k for k in range(3) if k != weak)
    assert trace.events["accepted"][0, 0, weak] == strong[0]
    assert trace.events["kind"][0, 0, weak] == Offer.CONFLICT


def test_threads_do_not_change_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    x, c, s = random_case(23, b=3 * eu._CHUNK + 5, n=6)
    monkeypatch.setattr(eu, "_threads", lambda: 1)
    alone = expected_utility(x, c, s, rounds=3)
    monkeypatch.setattr(eu, "_threads", lambda: 3)
    threaded = expected_utility(x, c, s, rounds=3)
    np.testing.assert_array_equal(alone.positions, threaded.positions)
    np.testing.assert_array_equal(alone.events["accepted"], threaded.events["accepted"])
