"""The settlement-space analysis against a brute-force reference on random scenarios."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offramp.assess import analyze
from offramp.errors import SpaceTooLargeError
from offramp.problem import compile_problem
from offramp.scenario import load_scenario, load_scenario_data, load_scenario_text
from offramp.settle.analysis import MAX_PACKAGES
from tests.conftest import MINI, SCENARIOS
from tests.strategies import dominates, reference, scenarios

SLOW = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(scenarios(routes=True), st.sampled_from([1, 3, 7, 1 << 18]))
def test_analysis_equals_brute_force(scenario: object, block_size: int) -> None:
    ref = reference(scenario)  # type: ignore[arg-type]
    result = analyze(compile_problem(scenario), block_size=block_size)  # type: ignore[arg-type]
    assert result.packages == len(ref.packages)
    assert result.zopa_count == len(ref.zopa)
    assert result.ratified_count == len(ref.ratified)
    assert [p.index for p in result.frontier] == ref.frontier
    for name, index in ref.solutions.items():
        got = result.solutions[name]
        assert (got.index if got else None) == index, name
    assert [b.packages for b in result.blockers] == ref.blocked + ref.red_lines
    assert [b.sole for b in result.blockers] == ref.sole + [0] * len(ref.red_lines)


@SLOW
@given(scenarios())
def test_frontier_is_nondominated_and_dominates_the_rest(scenario: object) -> None:
    result = analyze(compile_problem(scenario))  # type: ignore[arg-type]
    ref = reference(scenario)  # type: ignore[arg-type]
    veto = list(result.veto)
    front = [[p.utility[a] for a in veto] for p in result.frontier]
    for u in front:
        assert not any(dominates(v, u) for v in front)
    ids = [a.id for a in scenario.actors]  # type: ignore[attr-defined]
    on_front = {p.index for p in result.frontier}
    for n in ref.ratified:
        if n in on_front:
            continue
        u = [ref.utility[n][ids.index(a)] for a in veto]
        assert any(dominates(f, u) for f in front)


def test_solutions_beat_every_batna_and_are_on_the_frontier() -> None:
    result = analyze(compile_problem(load_scenario(SCENARIOS / "textbook-two-party.yaml")))
    for point in result.solutions.values():
        assert point is not None
        assert point in result.frontier
        assert all(point.utility[a] > result.batna[a] for a in result.veto)


def test_empty_ratified_zopa_gives_null_solutions_and_a_reason() -> None:
    text = MINI.replace("batna: 0.3", "batna: 0.99")
    result = analyze(compile_problem(load_scenario_text(text)))
    assert result.ratified_count == 0
    assert result.frontier == ()
    assert all(p is None for p in result.solutions.values())
    assert result.verdict.startswith("No settlement: ")
    assert "Russia" in result.verdict and "0.99" in result.verdict


def test_public_blocking_every_zopa_package_is_named() -> None:
    # Ukraine indifferent to land and Russia needs land: the ZOPA is all "cede".
    text = MINI.replace("batna: 0.3", "batna: 0.5").replace("batna: 0.4", "batna: 0.0")
    result = analyze(compile_problem(load_scenario_text(text)))
    assert result.zopa_count > 0 and result.ratified_count == 0
    assert (
        "Public would reject all of them" in result.verdict
        or "ratified by Public" in result.verdict
    )


def test_result_json_has_the_stable_keys() -> None:
    data = analyze(compile_problem(load_scenario_text(MINI))).to_dict()
    assert {
        "scenario",
        "offramp_version",
        "space",
        "zopa",
        "ratified",
        "frontier",
        "solutions",
        "blockers",
        "verdict",
    } <= set(data)
    assert set(data["space"]) >= {"packages", "issues"}
    assert set(data["solutions"]) == {"nash", "kalai_smorodinsky", "egalitarian", "utilitarian"}
    assert all(set(p) == {"package", "utility"} for p in data["frontier"])
    assert all({"who", "packages"} <= set(b) for b in data["blockers"])
    json.dumps(data)


def test_same_scenario_gives_identical_results() -> None:
    first = analyze(compile_problem(load_scenario_text(MINI))).to_dict()
    second = analyze(compile_problem(load_scenario_text(MINI)), block_size=1).to_dict()
    assert first == second


def test_too_large_space_is_refused_by_enumeration_with_a_clear_message() -> None:
    issues = [
        {
            "id": f"i{i}",
            "label": "x",
            "options": [{"id": f"o{j}", "label": "o", "at": j} for j in range(10)],
        }
        for i in range(8)
    ]
    data = {
        "id": "big",
        "title": "big",
        "as_of": "2024-01-01",
        "issues": issues,
        "actors": [
            {
                "id": "a",
                "label": "a",
                "power": 1,
                "veto": True,
                "batna": 0.1,
                "stances": [{"issue": "i0", "position": 0, "salience": 1}],
            }
        ],
    }
    assert MAX_PACKAGES < 10**8
    with pytest.raises(SpaceTooLargeError, match="100,000,000 packages"):
        analyze(compile_problem(load_scenario_data(data)), method="enumeration")
