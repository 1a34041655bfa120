"""Tests of the forecast models on scenarios, offramp.forecast.scenario, and analyze's report."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from offramp.assess import analyze
from offramp.errors import PackageError
from offramp.forecast import ForecastInputError
from offramp.forecast.scenario import (
    check_package,
    forecast_problem,
    forecasts,
    issue_inputs,
)
from offramp.problem import compile_problem
from offramp.scenario import load_scenario, load_scenario_text
from tests.conftest import MINI, SCENARIOS

TEXTBOOK = SCENARIOS / "textbook-two-party.yaml"


def test_issue_inputs_resolve_options_and_scale_salience() -> None:
    border, prisoners, sanctions = issue_inputs(compile_problem(load_scenario(TEXTBOOK)))
    assert border.actors == ("north", "south")
    assert border.position.tolist() == [100.0, 0.0]  # option ids -> their `at`
    assert border.capability.tolist() == [60.0, 40.0]
    # each actor's saliences over its largest: north 0.5/0.5, 0.3/0.5; south 0.6/0.6, 0.1/0.6
    assert border.salience.tolist() == [1.0, 1.0]
    np.testing.assert_allclose(sanctions.salience, [0.6, 1 / 6])
    np.testing.assert_allclose(prisoners.salience, [0.4, 0.5])


def test_compromise_on_the_textbook_by_hand() -> None:
    # border: (60*1*100 + 40*1*0) / 100 = 60 -> split (50);
    # sanctions: (60*0.6*100) / (36 + 40/6) = 84.375 -> lifted; prisoners: both at 0.
    result = forecast_problem(compile_problem(load_scenario(TEXTBOOK)), "compromise")
    by_issue = {f.issue: f for f in result.issues}
    assert by_issue["border"].forecast == pytest.approx(60.0)
    assert by_issue["sanctions"].forecast == pytest.approx(84.375)
    assert by_issue["prisoners"].forecast == pytest.approx(0.0)
    assert result.check is not None
    assert result.check.package == {
        "border": "split",
        "prisoners": "all_for_all",
        "sanctions": "lifted",
    }
    assert result.check.in_ratified_zopa and result.check.blockers == ()


def test_check_package_agrees_with_the_analysis_counts() -> None:
    for path in (TEXTBOOK, SCENARIOS / "ukraine-2024-09.yaml"):
        scenario = load_scenario(path)
        result = analyze(compile_problem(scenario))
        if result.packages > 6000:  # keep the test fast: check a deterministic sample
            continue
        zopa = ratified = 0
        for combo in itertools.product(*(issue.options for issue in scenario.issues)):
            pkg = {i.id: o.id for i, o in zip(scenario.issues, combo, strict=True)}
            check = check_package(compile_problem(scenario), pkg)
            zopa += check.in_zopa
            ratified += check.in_ratified_zopa
            assert check.in_zopa == all(b.kind != "actor" for b in check.blockers)
        assert (zopa, ratified) == (result.zopa_count, result.ratified_count)


def test_check_package_names_blockers_with_values() -> None:
    scenario = load_scenario(TEXTBOOK)
    check = check_package(
        compile_problem(scenario), {"border": "current", "prisoners": "none", "sanctions": "kept"}
    )
    kinds = {(b.who, b.kind) for b in check.blockers}
    assert ("south", "actor") in kinds and ("south_parliament", "public") in kinds
    south = next(b for b in check.blockers if b.who == "south")
    assert south.value <= south.limit == pytest.approx(0.35)
    with pytest.raises(PackageError, match=r"needs one of .* for issue `border`; got None"):
        check_package(compile_problem(scenario), {"prisoners": "none", "sanctions": "kept"})


def test_every_model_on_the_ukraine_scenario() -> None:
    scenario = load_scenario(SCENARIOS / "ukraine-2024-09.yaml")
    for model in ("compromise", "median", "eu", "exchange"):
        result = forecast_problem(compile_problem(scenario), model)
        for f in result.issues:
            assert f.forecast is not None and 0.0 <= f.forecast <= 100.0
            issue = next(i for i in scenario.issues if i.id == f.issue)
            gaps = [abs(o.at - f.forecast) for o in issue.options]
            assert f.option == issue.options[int(np.argmin(gaps))].id


def test_analyze_reports_forecasts_in_result_json() -> None:
    data = analyze(compile_problem(load_scenario(TEXTBOOK))).to_dict()
    assert set(data["forecasts"]) == {"compromise", "median", "eu", "exchange"}
    for entry in data["forecasts"].values():
        assert {"issues", "package", "in_zopa", "ratified", "in_ratified_zopa", "blockers"} <= set(
            entry
        )
        assert set(entry["issues"]) == {"border", "prisoners", "sanctions"}
    assert data["forecasts"]["compromise"]["in_ratified_zopa"] is True
    json.dumps(data)


def test_issue_without_stances_has_no_forecast() -> None:
    text = MINI.replace("      - {issue: nato, position: 0, salience: 0.5, assumed: a}\n", "")
    scenario = load_scenario_text(text)
    if any(st.issue == "nato" for a in scenario.actors for st in a.stances):
        pytest.skip("MINI gives every actor a nato stance")
    result = forecasts(compile_problem(scenario))
    assert result is not None
    assert result["median"]["issues"]["nato"] == {"forecast": None, "option": None}
    assert result["median"]["package"] is None


def test_unknown_model_is_refused() -> None:
    with pytest.raises(ForecastInputError, match="unknown forecast model"):
        forecast_problem(compile_problem(load_scenario(TEXTBOOK)), "oracle")
