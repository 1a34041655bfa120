"""The DEU backtest engine: capability, models, intervals, anchored; the published regime."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from offramp.backtest import MODEL_NAMES, backtest_deu, deu_problem
from offramp.backtest.anchored import anchored_inputs, fit_anchored
from offramp.backtest.capability import NICE, POPULATION_2016, PRE_NICE, capability
from offramp.backtest.intervals import conformal_quantile, cross_validated, proposal_folds
from offramp.backtest.models import forecast
from offramp.forecast import run
from offramp.io.deu import ACTORS, parse_deu, read_deu

HERE = Path(__file__).parent
SAMPLE = HERE / "data" / "deu" / "deu3-sample.tsv"
SHARED = Path(os.environ.get("OFFRAMP_SHARED", HERE.parents[0].parent / "shared"))
DEV = SHARED / "data" / "deu3" / "deu3-dev.tsv"
needs_dev = pytest.mark.skipif(
    not DEV.is_file(),
    reason=f"the DEU III dev file is not at {DEV} (../shared/data/deu3 beside the repository,"
    " or set OFFRAMP_SHARED)",
)


def _file(rows: list[dict[str, str]]) -> str:
    head = ["prnr", "isnr", "prname", "proc", "counvte", "intro"]
    head += [f"p{a}" for a in ACTORS] + [f"s{a}" for a in ACTORS] + ["rp", "out"]
    lines = ["\t".join(head)]
    for row in rows:
        lines.append("\t".join(row.get(c, "") for c in head))
    return "\n".join(lines) + "\n"


def _issue(isnr: str, prnr: str = "d1", **cells: str) -> dict[str, str]:
    base = {"prnr": prnr, "isnr": isnr, "prname": "x", "proc": "COD", "counvte": "QMV"}
    return base | {"intro": "01-02-99"} | cells


# ---------------------------------------------------------------- capability


def test_capability_regimes_and_rescaling() -> None:
    actors = ["com", "ep", "de", "es", "lu", "pl", "mt"]
    c = capability(actors, [2003, 2004, 2013, 2014])
    assert c[0].tolist() == [100, 100, 100, 80, 20, 0, 0]  # pre-Nice: 10, 8, 2 of 10
    assert c[1] == pytest.approx([100, 100, 100, 2700 / 29, 400 / 29, 2700 / 29, 300 / 29])
    assert c[2].tolist() == c[1].tolist()
    assert c[3] == pytest.approx([100, 100, 100, 912 / 15.93, 11 / 15.93, 747 / 15.93, 8 / 15.93])
    assert capability(actors, [2000], "equal").tolist() == [[100.0] * 7]
    gdp = capability(actors, [2000, 2010], "gdp", [1, 1, 4, 2, np.nan, 1, 0])
    assert gdp[0].tolist() == [25, 25, 100, 50, 0, 25, 0] and gdp[1].tolist() == gdp[0].tolist()
    with pytest.raises(ValueError, match="gdp rule needs"):
        capability(actors, [2000], "gdp")
    with pytest.raises(ValueError, match="unknown capability rule"):
        capability(actors, [2000], "votes")  # type: ignore[arg-type]


def test_vote_tables_are_the_treaty_totals() -> None:
    assert sum(PRE_NICE.values()) == 87  # EU-15 Council, pre-Nice
    assert sum(NICE.values()) == 352  # EU-28 under Nice (345 + Croatia's 7)
    assert sum(POPULATION_2016.values()) == pytest.approx(100.0, abs=0.05)
    assert set(POPULATION_2016) == set(NICE) == set(ACTORS[2:])


# ---------------------------------------------------------------- models


def test_weighted_mean_and_median_by_hand() -> None:
    # 1999: pre-Nice; com, ep and de all have capability 100; fr took no position.
    rows = [_issue("d1i1", pcom="0", scom="50", pep="100", sep="50", pde="40", sde="100", out="50")]
    p = deu_problem(parse_deu(_file(rows)))
    # weights 5000, 5000, 10000: mean (0 + 500000 + 400000) / 20000 = 45
    assert forecast(p, "weighted_mean").tolist() == [45.0]
    # cumulated weight 5000 at 0, 15000 at 40 >= half of 20000: the median is 40
    assert forecast(p, "weighted_median").tolist() == [40.0]


def test_blank_salience_is_no_weight() -> None:
    rows = [_issue("d1i1", pcom="0", scom="50", pep="100", sep="", pde="40", sde="50", out="5")]
    p = deu_problem(parse_deu(_file(rows)))
    assert forecast(p, "weighted_mean").tolist() == [20.0]


def test_batched_by_actor_count_equals_issue_by_issue() -> None:
    p = deu_problem(read_deu(SAMPLE))
    eu = forecast(p, "eu")
    for k in range(len(p.issue)):
        here = p.present[k]
        alone = run("eu", p.position[k, here], p.capability[k, here], p.salience[k, here] / 100)
        assert eu[k] == pytest.approx(float(alone.final[0]), abs=1e-9)


def test_exchange_absent_actors_do_not_trade() -> None:
    # two issues of one proposal with three actors; everyone else absent
    cells = {"pcom": "0", "scom": "80", "pde": "100", "sde": "20", "pfr": "40", "sfr": "50"}
    other = {"pcom": "100", "scom": "20", "pde": "0", "sde": "80", "pfr": "60", "sfr": "50"}
    p = deu_problem(parse_deu(_file([_issue("d1i1", **cells), _issue("d1i2", **other)])))
    got = forecast(p, "exchange")
    idx = [ACTORS.index(a) for a in ("com", "de", "fr")]
    x = p.position[:, idx].T
    direct = run("exchange", x, p.capability[0, idx], p.salience[:, idx].T / 100, rounds=1)
    assert got == pytest.approx(direct.final[0], abs=1e-9)
    assert not np.allclose(got, forecast(p, "weighted_mean"))  # an exchange took place


def test_every_model_forecasts_every_sample_issue_on_the_scale() -> None:
    p = deu_problem(read_deu(SAMPLE))
    for name in ("weighted_mean", "weighted_median", "eu", "eu_paper_text", "exchange", "smp"):
        f = forecast(p, name)
        assert np.all(np.isfinite(f)) and np.all((f >= 0) & (f <= 100)), name


# ---------------------------------------------------------------- intervals, anchored


def test_folds_keep_proposals_together() -> None:
    p = deu_problem(read_deu(SAMPLE))
    folds = proposal_folds(p.proposal, 10, seed=1)
    for label in set(p.proposal):
        assert len({f for f, q in zip(folds, p.proposal, strict=True) if q == label}) == 1
    assert len(set(folds.tolist())) == len(set(p.proposal))  # 7 proposals, 7 folds


def test_cross_validated_quantile_never_uses_its_own_fold() -> None:
    score = np.array([0.1, 0.2, 0.3, 100.0, 100.0, 100.0])
    folds = np.array([0, 0, 0, 1, 1, 1])
    q = cross_validated(score, folds, 0.5)
    assert q.tolist() == [100.0] * 3 + [0.2] * 3
    assert conformal_quantile([1.0, 2.0, 3.0, 4.0], 0.8) == 4.0  # ceil(5 * 0.8) = 4th


def test_anchored_leaves_the_parliament_out_under_consultation() -> None:
    rows = [
        _issue("d1i1", proc="CNS", pcom="0", scom="50", pep="100", sep="50", pde="40", sde="50"),
        _issue("d2i1", prnr="d2", pcom="0", scom="50", pep="100", sep="50", pde="40", sde="50"),
    ]
    p = deu_problem(parse_deu(_file(rows)))
    mean, med, _ = anchored_inputs(p)
    assert mean.tolist() == [20.0, pytest.approx(140 / 3)] and med.tolist() == [20.0, 40.0]
    fit = fit_anchored(np.array([40.0, 40.0]), np.array([60.0, 60.0]),
                       np.array([0.0, np.nan]), np.array([30.0, 60.0]))  # fmt: skip
    assert (fit.alpha, fit.beta, fit.mae) == (0.5, 1.0, 0.0)


def test_backtest_result_keys_and_determinism() -> None:
    p = deu_problem(read_deu(SAMPLE))
    first = backtest_deu(p, ["eu", "anchored"], dataset="sample", boot=200, seed=5).to_dict()
    again = backtest_deu(p, ["eu", "anchored"], dataset="sample", boot=200, seed=5).to_dict()
    for data in (first, again):
        for m in data["models"].values():
            m.pop("seconds")
    assert first == again
    assert {"dataset", "issues", "capability", "models", "per_issue"} <= set(first)
    assert first["issues"] == 19 and list(first["models"]) == ["weighted_mean", "eu", "anchored"]
    for m in first["models"].values():
        assert {"mae", "rmse", "median_ae", "n", "delta_vs_weighted_mean"} <= set(m)
        assert {"coverage80", "width80", "coverage_by_level"} <= set(m)
    assert first["models"]["weighted_mean"]["delta_vs_weighted_mean"] == [0.0, 0.0, 0.0]
    issue = first["per_issue"][0]
    assert set(issue) >= {"isnr", "out", "forecasts", "intervals"}
    lo, hi = issue["intervals"]["eu"]
    assert 0 <= lo <= issue["forecasts"]["eu"] <= hi <= 100


def test_calibration_on_the_same_file_is_called_in_sample() -> None:
    p = deu_problem(read_deu(SAMPLE))
    data = backtest_deu(p, ["weighted_median"], boot=50, calibrate=p, calibrate_name="s").to_dict()
    m = data["models"]["weighted_median"]
    assert m["coverage80_kind"] == "in-sample" and "coverage80_cv" in m
    assert data["calibration"]["source"] == "s"


def test_unknown_model() -> None:
    with pytest.raises(ValueError, match="unknown model 'bdm'"):
        backtest_deu(deu_problem(read_deu(SAMPLE)), ["bdm"])


# ---------------------------------------------------------------- the published regime


@needs_dev
def test_reproduces_the_published_regime_on_the_dev_file() -> None:
    """Weighted mean 23.6 over 173 issues, weighted median 28.4 (the README's figures).

    Tolerance 0.05: the published figures are rounded to one decimal.
    """
    data = read_deu(DEV)
    p = deu_problem(data, "council")
    scored = data.scored
    assert int(scored.sum()) == 173
    err = np.abs(forecast(p, "weighted_mean") - p.out)[scored]
    assert err.mean() == pytest.approx(23.6, abs=0.05)
    # offramp's median takes the midpoint when the weight splits exactly in half; the
    # published figure takes the lower of the two positions (the first actor at which
    # the cumulated weight reaches half): that reproduces 28.4
    w = np.where(p.present, p.capability * p.salience, 0.0)
    lower = []
    for k in np.flatnonzero(scored):
        order = np.argsort(np.nan_to_num(p.position[k]), kind="stable")
        cum = np.cumsum(w[k, order])
        lower.append(p.position[k, order][np.argmax(cum >= cum[-1] / 2 - 1e-9 * cum[-1])])
    assert np.abs(np.asarray(lower) - p.out[scored]).mean() == pytest.approx(28.4, abs=0.05)
    mid = np.abs(forecast(p, "weighted_median") - p.out)[scored].mean()
    assert mid == pytest.approx(28.67, abs=0.01)


@needs_dev
def test_all_models_on_the_dev_file_in_under_30_seconds() -> None:
    p = deu_problem(read_deu(DEV))
    start = time.perf_counter()
    data = backtest_deu(p, MODEL_NAMES, boot=2000, seed=0).to_dict()
    assert time.perf_counter() - start < 30.0
    assert data["issues"] == 173 and all(m["n"] == 173 for m in data["models"].values())
    for m in data["models"].values():
        assert 0.7 <= m["coverage80"] <= 0.9  # cross-validated by proposal
        assert m["width80"] < data["width80_unconditional"]


def test_three_proposal_file_scored_by_hand() -> None:
    """A DEU file of 3 proposals (5 issues): forecasts, MAE and the bootstrap by hand.

    Every issue: com 0 (salience 50), ep 100 (50), de 40 (100), all capability 100
    (1999, pre-Nice): weighted mean 45, weighted median 40 (see above).
    """
    same = {"pcom": "0", "scom": "50", "pep": "100", "sep": "50", "pde": "40", "sde": "100"}
    rows = [
        _issue("a1", prnr="A", out="50", **same),  # errors: mean 5, median 10
        _issue("a2", prnr="A", out="40", **same),  # 5, 0
        _issue("b1", prnr="B", out="100", **same),  # 55, 60
        _issue("c1", prnr="C", out="0", **same),  # 45, 40
        _issue("c2", prnr="C", out="45", **same),  # 0, 5
    ]
    p = deu_problem(parse_deu(_file(rows), "three.tsv"))
    data = backtest_deu(p, ["weighted_median"], boot=20000, seed=2).to_dict()
    assert data["issues"] == 5
    assert [i["forecasts"] for i in data["per_issue"]] == [
        {"weighted_mean": 45.0, "weighted_median": 40.0}
    ] * 5
    mean, med = data["models"]["weighted_mean"], data["models"]["weighted_median"]
    assert mean["mae"] == 22.0 and med["mae"] == 23.0  # 110 / 5 and 115 / 5
    assert mean["median_ae"] == 5.0 and med["median_ae"] == 10.0
    # Per proposal, summed (median - mean) errors: A 0 (2 issues), B 5 (1), C 0 (2).
    # A resample drawing B k times has delta = 5k / (2 (3 - k) + k):
    # k = 0: 0 (8/27), 1: 1 (12/27), 2: 2.5 (6/27), 3: 5 (1/27). Both tails hold more
    # than 2.5%, so the exact percentile interval is [0, 5]; the estimate (the data
    # itself: B drawn once) is 5 / 5 = 1 = 23 - 22.
    assert med["delta_vs_weighted_mean"] == [0.0, 1.0, 5.0]


def test_stacked_weights_are_on_the_simplex_and_fitted_out_of_fold() -> None:
    p = deu_problem(read_deu(SAMPLE))
    data = backtest_deu(p, ["stacked"], boot=20, seed=1).to_dict()
    assert list(data["models"]) == ["weighted_mean", "stacked"]
    m = data["models"]["stacked"]
    assert m["fitted"] == "10-fold cross-validation by proposal" and len(m["folds"]) == 7
    for fold in m["folds"]:
        assert sum(fold["weights"].values()) == pytest.approx(1.0)
        assert all(v in [k / 10 for k in range(11)] for v in fold["weights"].values())
    # with a calibration file the weights are fitted once on it
    other = backtest_deu(p, ["stacked"], boot=20, calibrate=p, calibrate_name="p").to_dict()
    assert other["models"]["stacked"]["coverage80_kind"] == "in-sample"


def test_calibration_file_sharing_issues_is_called_partly_in_sample() -> None:
    data = read_deu(SAMPLE)
    p = deu_problem(data)
    half = [k for k, prnr in enumerate(data.prnr) if prnr in ("d00184", "d95341")]
    from dataclasses import replace

    cal = replace(
        p,
        proposal=tuple(p.proposal[k] for k in half),
        issue=tuple(p.issue[k] for k in half),
        proc=tuple(p.proc[k] for k in half),
        counvte=tuple(p.counvte[k] for k in half),
        position=p.position[half],
        salience=p.salience[half],
        capability=p.capability[half],
        rp=p.rp[half],
        out=p.out[half],
    )
    result = backtest_deu(p, ["weighted_median"], boot=20, calibrate=cal).to_dict()
    kind = result["models"]["weighted_median"]["coverage80_kind"]
    assert kind == "partly in-sample (6 of 19 issues are in the calibration file)"
    assert "coverage80_cv" in result["models"]["weighted_median"]


def test_fit_stacked_recovers_a_mixture() -> None:
    from offramp.backtest.stacked import fit_stacked

    rng = np.random.default_rng(0)
    f = rng.uniform(0, 100, (40, 6))
    y = f @ np.array([0.3, 0.0, 0.0, 0.5, 0.2, 0.0])
    assert fit_stacked(f, y).tolist() == [0.3, 0.0, 0.0, 0.5, 0.2, 0.0]
