"""The history cases' scorer: Brier scores, the leave-one-out base rate, calibration, forecasts."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from offramp.backtest.brier import brier, calibration, loo_base_rate, skill
from offramp.backtest.cases import CaseForecast, Observed, forecast_case, score_cases
from offramp.problem import compile_problem
from offramp.scenario import load_scenario_text
from offramp.uncertainty.sweep import sweep

DAY = dt.date(2000, 1, 1)


def _f(a: float, r: float | None, h: float | None) -> CaseForecast:
    return CaseForecast(a, r, h, horizon_years=None, package=None, draws=10, seed=0)


def _toy() -> tuple[list[tuple[str, str, dt.date]], list[CaseForecast], list[Observed]]:
    """Three cases: signed, ratified and held; signed, rejected; no agreement."""
    ids = [("a", "A", DAY), ("b", "B", DAY), ("c", "C", DAY)]
    forecasts = [_f(0.9, 0.8, 0.7), _f(0.6, 0.3, None), _f(0.2, None, None)]
    outcomes = [
        Observed(agreement=True, observed=DAY, ratified=True, held=True),
        Observed(agreement=True, observed=DAY, ratified=False, held=False),
        Observed(agreement=False, observed=DAY),
    ]
    return ids, forecasts, outcomes


def test_brier_and_skill_by_hand() -> None:
    assert brier([0.9, 0.6, 0.2], [1, 1, 0]) == pytest.approx((0.01 + 0.16 + 0.04) / 3)
    assert brier([1.0, 0.0], [0, 1]) == 1.0
    assert math.isnan(brier([0.5], [math.nan]))
    assert skill(0.07, 0.5) == pytest.approx(0.86)
    assert math.isnan(skill(0.1, 0.0))


def test_leave_one_out_base_rate_by_hand() -> None:
    # agreement outcomes (1, 1, 0): case a sees (1, 0) -> 0.5, b the same, c sees (1, 1) -> 1.
    assert loo_base_rate([1, 1, 0]).tolist() == [0.5, 0.5, 1.0]
    # ratified (1, 0, unobserved): each observed case sees only the other one.
    rate = loo_base_rate([1, 0, math.nan])
    assert rate[:2].tolist() == [0.0, 1.0] and math.isnan(rate[2])
    assert all(math.isnan(v) for v in loo_base_rate([1, math.nan]).tolist())


def test_toy_library_scored_by_hand() -> None:
    result = score_cases(*_toy(), dataset="toy")
    s = result.scores()
    # p_agreement: offramp (0.1^2 + 0.4^2 + 0.2^2) / 3; base rate (0.5^2 + 0.5^2 + 1^2) / 3.
    assert s["offramp"]["p_agreement"] == pytest.approx(0.07)
    assert s["base_rate"]["p_agreement"] == pytest.approx(0.5)
    assert s["skill"]["p_agreement"] == pytest.approx(0.86)
    # p_ratified: cases a, b: offramp (0.2^2 + 0.3^2) / 2; base rate forecasts 0 and 1: both wrong.
    assert s["offramp"]["p_ratified"] == pytest.approx(0.065)
    assert s["base_rate"]["p_ratified"] == pytest.approx(1.0)
    # p_holds: b has no offramp forecast, so only a is scored, for both forecasters.
    assert s["n"]["p_holds"] == 1
    assert s["offramp"]["p_holds"] == pytest.approx(0.09)
    assert s["base_rate"]["p_holds"] == pytest.approx(1.0)
    # all: the six scored pairs pooled.
    assert s["n"]["all"] == 6
    assert s["offramp"]["all"] == pytest.approx(0.43 / 6, abs=1e-6)
    assert s["base_rate"]["all"] == pytest.approx(4.5 / 6)
    data = result.to_dict()
    assert [c["id"] for c in data["cases"]] == ["a", "b", "c"]
    b = data["cases"][1]
    assert b["forecasts"] == {"p_agreement": 0.6, "p_ratified": 0.3, "p_holds": None}
    assert b["brier"]["offramp"]["p_ratified"] == pytest.approx(0.09)
    assert b["brier"]["base_rate"]["p_holds"] == 1.0  # base rate 1 (a held), b did not
    assert data["cases"][2]["brier"]["offramp"]["p_ratified"] is None


def test_calibration_table_by_hand() -> None:
    bins = calibration([0.9, 0.6, 0.2, 0.8, 0.3, 0.7], [1, 1, 0, 1, 0, 1], bins=5)
    assert [b.n for b in bins] == [0, 2, 0, 2, 2]
    assert bins[1].forecast == pytest.approx(0.25) and bins[1].observed == 0.0
    assert bins[3].forecast == pytest.approx(0.65) and bins[3].observed == 1.0
    assert bins[4].forecast == pytest.approx(0.85) and bins[4].observed == 1.0
    assert bins[0].forecast is None and bins[0].observed is None
    rows = score_cases(*_toy()).calibration()
    pooled = [r for r in rows if r["target"] == "all"]
    assert [r["n"] for r in pooled] == [0, 2, 0, 2, 2]
    assert {r["target"] for r in rows} == {"all", "p_agreement", "p_ratified", "p_holds"}
    assert calibration([1.0], [1], bins=2)[1].n == 1  # 1.0 falls in the last bin


_CASE = """
id: t
title: t
as_of: 2000-01-01
issues:
  - {id: i, label: i, options: [{id: x, label: x, at: 0}, {id: y, label: y, at: 100}]}
actors:
  - {id: a, label: A, power: 50, veto: true, batna: {uniform: [0.2, 0.8]},
     stances: [{issue: i, position: x, salience: 1, values: {x: 0.6, y: 0.0}}]}
  - {id: b, label: B, power: 50, veto: true, batna: 0.1,
     stances: [{issue: i, position: y, salience: 1, values: {x: 0.5, y: 1.0}}]}
publics:
  - {id: pb, label: PB, of: b, threshold: 0.5,
     rules: [{when: {}, reject: 0.4}, {when: {i: [x]}, reject: {uniform: [0.3, 0.7]}}]}
dynamics:
  horizon: 5
  actors:
    - {actor: a, against: b, war_cost: 0.1}
    - {actor: b, against: a, war_cost: 0.1, growth: {uniform: [0.0, 0.2]}}
"""


def test_forecasts_are_the_sweeps_and_durabilitys_numbers() -> None:
    scenario = load_scenario_text(_CASE)
    f = forecast_case(scenario, dt.date(2003, 1, 1), draws=500, seed=3)
    summary, _ = sweep(compile_problem(scenario), draws=500, seed=3)
    assert f.p_agreement == summary.p_zopa
    assert f.p_ratified == pytest.approx(summary.p_agreement / summary.p_zopa)
    assert 0.0 < f.p_ratified < 1.0  # the public's rule on x is uncertain
    assert f.horizon_years == 3.0
    assert f.p_holds is not None and 0.0 <= f.p_holds <= 1.0
    again = forecast_case(scenario, dt.date(2003, 1, 1), draws=500, seed=3)
    assert again == f  # reproducible
    longer = forecast_case(scenario, dt.date(2020, 1, 1), draws=500, seed=3)
    assert longer.p_holds is not None and longer.p_holds <= f.p_holds  # a longer horizon
