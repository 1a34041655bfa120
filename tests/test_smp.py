"""KTAB's Spatial Model of Politics: reproduction of KTAB's reference logs and properties."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offramp.forecast import MODELS, run
from offramp.forecast._common import ForecastInputError
from offramp.forecast.smp import PARAMETERS, _kernel, smp
from offramp.forecast.smp.pce import _pce, _victory, _vote
from offramp.io.ktab import load_ktab_csv

ROOT = Path(__file__).resolve().parents[1]
ANCHORS = ROOT.parent / "shared" / "anchors" / "ktab"
DATA = Path(__file__).resolve().parent / "data" / "ktab"

needs_anchors = pytest.mark.skipif(
    not (ANCHORS / "20170530_ref-dummyData_3Dim.txt").exists(),
    reason=f"KTAB reference logs not found at {ANCHORS} (../shared/anchors/ktab from the repo)",
)

CASES = [
    ("dummyData_3Dim.csv", "20170530_ref-dummyData_3Dim.txt", 11),
    ("SOE-Pol-Comp.csv", "20170530_ref-SOE-Pol-Comp.txt", 28),
]


@cache
def _log(name: str) -> str:
    return (ANCHORS / name).read_text(encoding="utf-8", errors="replace")


def _history(log: str) -> tuple[dict[tuple[str, str], list[str]], dict[str, list[str]]]:
    """KTAB's final tables: printed positions per (actor, dimension), probabilities per actor."""
    pos_block = log.split("History of actor positions over time:")[1].split("History of actors'")[0]
    prob_block = log.split("History of actors' winning probabilities:")[1].split("SMPModel:")[0]
    pos: dict[tuple[str, str], list[str]] = {}
    for line in pos_block.strip().splitlines():
        head, values = line.rsplit(":", 1)
        actor, dim = head.split(", ", 1)
        pos[actor.strip(), dim.strip()] = values.split()
    prob: dict[str, list[str]] = {}
    for line in prob_block.strip().splitlines():
        actor, values = line.split(", prob :")
        prob[actor.strip()] = values.split()
    return pos, prob


@cache
def _run(csv: str, **params: str) -> tuple[tuple[str, ...], tuple[str, ...], object]:
    names, dims, cap, pos, sal = load_ktab_csv(ANCHORS / csv)
    return names, dims, smp(pos, cap, sal, **params)


@needs_anchors
@pytest.mark.parametrize(("csv", "log", "states"), CASES)
def test_reproduces_ktab_position_history(csv: str, log: str, states: int) -> None:
    names, dims, trace = _run(csv)
    ref_pos, _ = _history(_log(log))
    assert f"There were {states} states" in _log(log)
    assert trace.positions.shape[1] == states  # type: ignore[attr-defined]
    assert int(trace.events["rounds"][0]) == states - 1  # type: ignore[attr-defined]
    got = trace.positions[0]  # type: ignore[attr-defined]
    for i, actor in enumerate(names):
        for k, dim in enumerate(dims):
            printed = [f"{v:5.1f}".strip() for v in got[:, i, k]]
            assert printed == ref_pos[actor, dim], (actor, dim)


@needs_anchors
@pytest.mark.parametrize(("csv", "log", "states"), CASES)
def test_reproduces_ktab_position_probabilities(csv: str, log: str, states: int) -> None:
    names, _, trace = _run(csv)
    _, ref_prob = _history(_log(log))
    prob = trace.events["prob"][0]  # type: ignore[attr-defined]
    assert prob.shape[0] == states
    for i, actor in enumerate(names):
        assert [f"{v:.4f}" for v in prob[:, i]] == ref_prob[actor], actor


@needs_anchors
@pytest.mark.parametrize(("csv", "log", "states"), CASES)
def test_reproduces_ktab_risk_attitudes_and_challenges(csv: str, log: str, states: int) -> None:
    _, _, trace = _run(csv)
    text = _log(log)
    ev = trace.events  # type: ignore[attr-defined]
    n = ev["risk"].shape[2]
    pattern = r"Inferred risk attitudes: \n((?:\s*[+-]\d\.\d{3}\s*\n){" + str(n) + "})"
    blocks = re.findall(pattern, text)
    assert len(blocks) == states
    for t, block in enumerate(blocks):
        assert block.split() == [f"{r:+.3f}" for r in ev["risk"][0, t]], t
    seen = 0
    for m in re.finditer(
        r"In turn (\d+) actor (\d+) has most advantageous target (\d+) worth ([-\d.]+)", text
    ):
        t, i, j = int(m[1]), int(m[2]), int(m[3])
        assert ev["target"][0, t, i] == j
        assert f"{ev['gain'][0, t, i]:.3f}" == m[4]
        seen += 1
    assert seen == int((ev["target"][0] >= 0).sum())
    for m in re.finditer(
        r"Est by\s+(\d+) of prob (\d\.\d{4}) that \[\s*(\d+)>\s*(\d+)\], "
        r"with expected gain to\s+(\d+)",
        text,
    ):
        h, i = int(m[1]), int(m[3])
        if int(m[5]) != i:
            continue
        turn = text.rfind("In turn ", 0, m.start())
        t = int(text[turn:].split()[2])
        key = "p_init" if h == i else "p_target"
        assert f"{ev[key][0, t, i]:.4f}" == m[2]


needs_numba = pytest.mark.skipif(not _kernel.AVAILABLE, reason="numba is not installed")


@needs_anchors
@needs_numba
@pytest.mark.parametrize(("csv", "log", "states"), CASES)
def test_compiled_kernels_reproduce_ktab(
    csv: str, log: str, states: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    names, dims, numpy_trace = _run(csv)  # the numpy engine (these runs are small)
    _, _, cap, pos, sal = load_ktab_csv(ANCHORS / csv)
    monkeypatch.setattr(_kernel, "MIN_ACTORS", 2)
    trace = smp(pos, cap, sal)
    ref_pos, ref_prob = _history(_log(log))
    assert trace.positions.shape[1] == states
    for i, actor in enumerate(names):
        for k, dim in enumerate(dims):
            printed = [f"{v:5.1f}".strip() for v in trace.positions[0, :, i, k]]
            assert printed == ref_pos[actor, dim], (actor, dim)
        assert [f"{v:.4f}" for v in trace.events["prob"][0, :, i]] == ref_prob[actor], actor
    np.testing.assert_allclose(trace.positions, numpy_trace.positions, rtol=0, atol=1e-12)  # type: ignore[attr-defined]
    assert (trace.events["target"] == numpy_trace.events["target"]).all()  # type: ignore[attr-defined]


@needs_numba
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 14), d=st.integers(1, 4))
def test_compiled_kernels_equal_the_numpy_engine(seed: int, n: int, d: int) -> None:
    x, c, s = _random(seed, n, d)
    numpy_trace = smp(x, c, s, max_iterations=20)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_kernel, "MIN_ACTORS", 2)
        trace = smp(x, c, s, max_iterations=20)
    assert np.all(trace.rounds == numpy_trace.rounds)
    np.testing.assert_allclose(trace.positions, numpy_trace.positions, rtol=0, atol=1e-12)
    np.testing.assert_allclose(trace.events["prob"], numpy_trace.events["prob"], atol=1e-12)
    assert (trace.events["target"] == numpy_trace.events["target"]).all()


@needs_anchors
def test_first_turn_bargains_of_every_bargain_model() -> None:
    """The log prints all three proposals of turn 0 (challenger's, target's, compromise)."""
    text = _log("20170530_ref-dummyData_3Dim.txt").split("Starting Model::run iteration 2")[0]
    pat = r"Bargain \[\d+, (\d+):(\d+)\] from (\d+)'s perspective \(brgnIIJ\)\s*\n"
    pat += r"\s*\d+ proposes \d+ adopt:\s+([\d. ]+)\n\s*\d+ proposes \d+ adopt:\s+([\d. ]+)"
    found = re.findall(pat, text)
    comp = re.findall(
        r"Power-weighted compromise \[\d+, (\d+):(\d+)\] bargain \(brgnIJ\)\s*\n"
        r"\s*compromise proposes \d+ adopt:\s+([\d. ]+)\n"
        r"\s*compromise proposes \d+ adopt:\s+([\d. ]+)",
        text,
    )
    assert len(found) == 14 and len(comp) == 7
    _, _, both = _run("dummyData_3Dim.csv", bargain_model="InitRcvrInterp")
    _, _, pw = _run("dummyData_3Dim.csv", bargain_model="PWCompInterp")
    for i, _j, h, a, b in found:
        slot = 0 if h == i else 1
        got = both.events["bargains"][0, 0, int(i), slot]  # type: ignore[attr-defined]
        assert [f"{v:.3f}" for v in got[0]] == a.split()
        assert [f"{v:.3f}" for v in got[1]] == b.split()
    for i, _j, a, b in comp:
        got = pw.events["bargains"][0, 0, int(i), 0]  # type: ignore[attr-defined]
        assert [f"{v:.3f}" for v in got[0]] == a.split()
        assert [f"{v:.3f}" for v in got[1]] == b.split()


@needs_anchors
def test_xml_reader_reproduces_the_same_run() -> None:
    names, dims, cap, pos, sal = load_ktab_csv(DATA / "dummyData_3Dim.xml")
    trace = smp(pos, cap, sal)
    ref_pos, _ = _history(_log("20170530_ref-dummyData_3Dim.txt"))
    for i, actor in enumerate(names):
        for k, dim in enumerate(dims):
            printed = [f"{v:5.1f}".strip() for v in trace.positions[0, :, i, k]]
            assert printed == ref_pos[actor, dim]


# ---------------------------------------------------------------------------
# properties


def _random(seed: int, n: int, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, (n, d))
    c = rng.uniform(10, 200, n)
    s = rng.uniform(0.1, 1, (n, d))
    s = s / s.sum(axis=1, keepdims=True) * rng.uniform(0.5, 0.99, (n, 1))
    return x, c, s


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(3, 7),
    d=st.integers(1, 3),
    perm_seed=st.integers(0, 2**32 - 1),
)
def test_actor_order_does_not_matter(seed: int, n: int, d: int, perm_seed: int) -> None:
    x, c, s = _random(seed, n, d)
    perm = np.random.default_rng(perm_seed).permutation(n)
    a = smp(x, c, s, max_iterations=15)
    b = smp(x[perm], c[perm], s[perm], max_iterations=15)
    assert a.rounds == b.rounds
    np.testing.assert_allclose(b.positions[:, :, :], a.positions[:, :, perm], atol=1e-9)
    # Positions closer than pos_tol (0.1) count as one, represented (as in KTAB) by the first
    # such actor, whose utility column then depends on the order: compare the probabilities
    # in the states where every two positions are either equal or farther apart than that.
    for t in range(a.positions.shape[1]):
        p = a.positions[0, t]
        dist = np.sqrt(((p[:, None, :] - p[None, :, :]) ** 2).sum(axis=-1))
        if np.any((dist > 0) & (dist < 0.1)):
            continue
        np.testing.assert_allclose(b.events["prob"][0, t], a.events["prob"][0, t, perm], atol=1e-9)
        np.testing.assert_allclose(b.forecast[0, t], a.forecast[0, t], atol=1e-9)


def test_batch_equals_separate_runs_and_pads_finished_draws() -> None:
    runs = [_random(k, 6, 2) for k in (1, 2, 3)]
    x = np.stack([r[0] for r in runs])
    c = np.stack([r[1] for r in runs])
    s = np.stack([r[2] for r in runs])
    batch = smp(x, c, s)
    for k, (xk, ck, sk) in enumerate(runs):
        one = smp(xk, ck, sk)
        r = int(one.events["rounds"][0])
        assert batch.events["rounds"][k] == r
        np.testing.assert_array_equal(batch.positions[k, : r + 1], one.positions[0])
        # after its last turn a draw repeats its final state
        np.testing.assert_array_equal(
            batch.positions[k, r:],
            np.broadcast_to(one.positions[0, -1], batch.positions[k, r:].shape),
        )
        assert (batch.events["target"][k, r:] == -1).all()


def test_stochastic_mode_is_reproducible_from_a_seed() -> None:
    x, c, s = _random(7, 8, 2)
    a = smp(x, c, s, transitions="Stochastic", seed=11)
    b = smp(x, c, s, transitions="Stochastic", seed=11)
    np.testing.assert_array_equal(a.positions, b.positions)
    runs = {
        smp(x, c, s, transitions="Stochastic", seed=k).positions[0, -1].tobytes() for k in range(6)
    }
    assert len(runs) > 1


@pytest.mark.parametrize(("name", "value"), [(k, v) for k, vs in PARAMETERS.items() for v in vs])
def test_every_model_parameter_runs(name: str, value: str) -> None:
    x, c, s = _random(5, 6, 2)
    t = smp(x, c, s, max_iterations=6, seed=1, **{name: value})
    assert t.params[name] == value
    assert 1 <= t.rounds <= 6
    assert np.all((t.positions >= 0) & (t.positions <= 100))
    # the distinct positions' probabilities sum to one in every state
    assert np.all(t.events["prob"] >= 0) and np.all(t.events["prob"] <= 1 + 1e-12)


def test_registered_in_the_forecast_registry() -> None:
    assert MODELS["smp"] is smp
    x, c, s = _random(3, 5, 2)
    np.testing.assert_array_equal(run("smp", x, c, s).positions, smp(x, c, s).positions)


def test_identical_actors_are_one_position() -> None:
    # two actors at the same place share one position probability
    x = np.array([[20.0], [20.0], [80.0], [50.0]])
    t = smp(x, [1.0, 1.0, 1.0, 2.0], [[0.9], [0.9], [0.9], [0.9]], max_iterations=1)
    assert t.events["prob"][0, 0, 0] == t.events["prob"][0, 0, 1]
    # 20, 80 and 50: probabilities of the three distinct positions sum to 1
    assert t.events["prob"][0, 0, 1:].sum() == pytest.approx(1.0)


# ---------------------------------------------------------------------------
# hand-computed pieces


def test_vote_rules_by_hand() -> None:
    w, du = np.array(2.0), np.array(0.25)
    assert _vote("Prop", w, du) == 0.5
    assert _vote("Binary", w, du) == 2.0
    assert _vote("PropBin", w, du) == pytest.approx(2 * (0.8 * 0.25 + 0.2))
    assert _vote("Cubic", w, du) == pytest.approx(2 * 0.25**3)
    assert _vote("PropCbc", w, du) == pytest.approx(2 * (0.125 + 0.5 * 0.25**3))
    assert _vote("ASymProsp", w, du) == pytest.approx(2 * 2 * 0.25 / 3)
    assert _vote("ASymProsp", w, -du) == -0.5


def test_pce_by_hand() -> None:
    # coalitions 2:1 -> linear victory 2/3, square 4/5; conditional PCE of two options
    c = np.array([[1e-8, 2.0], [1.0, 1e-8]])
    assert _victory("Linear", c)[0, 1] == pytest.approx(2 / 3)
    assert _victory("Square", c)[0, 1] == pytest.approx(4 / 5)
    assert _victory("Binary", c)[0, 1] == pytest.approx(1 / (1 + 1e-6))
    p = _pce(c, "Linear", "Conditional", None)
    np.testing.assert_allclose(p, [2 / 3, 1 / 3])
    # Markov models agree with the conditional one for two options
    np.testing.assert_allclose(_pce(c, "Linear", "MarkovUniform", None), [2 / 3, 1 / 3], atol=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"victory_model": "Cubic"}, "victory_model must be one of"),
        ({"max_iterations": 0}, "max_iterations"),
        ({"accommodation": np.full((3, 3), 0.5)}, "rows summing"),
    ],
)
def test_bad_parameters(kwargs: dict[str, object], message: str) -> None:
    x, c, s = _random(1, 3, 1)
    with pytest.raises(ForecastInputError, match=message):
        smp(x, c, s, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("x", "c", "s", "message"),
    [
        ([[10.0], [120.0]], [1.0, 1.0], [[0.5], [0.5]], "0-100"),
        ([[10.0], [20.0]], [1.0, 0.0], [[0.5], [0.5]], "capability must be > 0"),
        ([[10.0], [20.0]], [1.0, 1.0], [[50.0], [50.0]], "divided by 100"),
        ([[10.0, 5.0], [20.0, 5.0]], [1.0, 1.0], [[0.7, 0.7], [0.5, 0.5]], "at most 1"),
        ([[10.0], [20.0]], [1.0, 1.0], [[0.0], [0.5]], "more than 0"),
        ([10.0, 20.0], [1.0, 1.0], [0.5, 0.5], "shape"),
    ],
)
def test_bad_arrays(x: object, c: object, s: object, message: str) -> None:
    with pytest.raises(ForecastInputError, match=message):
        smp(x, c, s)  # type: ignore[arg-type]


def test_accommodation_lets_ideals_lag() -> None:
    x, c, s = _random(4, 5, 2)
    lag = smp(x, c, s, accommodation=0.5 * np.eye(5), max_iterations=8)
    full = smp(x, c, s, max_iterations=8)
    assert not np.array_equal(lag.positions, full.positions)
    ident = smp(x, c, s, accommodation=np.eye(5), max_iterations=8)
    np.testing.assert_array_equal(ident.positions, full.positions)
