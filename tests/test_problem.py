"""The compiled Problem: the same numbers as the scenario, once, with a batch axis."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from offramp.problem import BATCHED, Problem, compile_problem
from offramp.scenario import Scenario, load_scenario
from offramp.settle.space import utility_tables
from tests.strategies import reference_reject, reference_utility, scenarios

SCENARIOS = Path(__file__).parents[1] / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.yaml")) + sorted(SCENARIOS.glob("history/*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_tables_are_bit_identical_to_the_scenarios(path: Path) -> None:
    scenario = load_scenario(path)
    problem = compile_problem(scenario)
    assert problem.batch == 1
    for ours, theirs in zip(problem.tables_of(0), utility_tables(scenario), strict=True):
        np.testing.assert_array_equal(ours, theirs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios())
def test_utilities_and_rejection_match_a_brute_force_reading(scenario: Scenario) -> None:
    problem = compile_problem(scenario)
    sizes = problem.space.sizes
    packages = list(itertools.product(*(range(k) for k in sizes)))[:200]
    options = np.array(packages, dtype=np.intp)
    utility = sum(t[0][:, options[:, i]] for i, t in enumerate(problem.tables))
    rejected = problem.rejection(options)[0] >= problem.threshold[0][:, None]
    for n, package in enumerate(packages):
        np.testing.assert_allclose(utility[:, n], reference_utility(scenario, package), atol=1e-9)
        assert rejected[:, n].tolist() == reference_reject(scenario, package)


def test_index_maps_and_labels() -> None:
    ukraine = load_scenario(SCENARIOS / "ukraine-2024-09.yaml")
    problem = compile_problem(ukraine)
    assert problem.actor_ids == tuple(a.id for a in ukraine.actors)
    assert problem.issue_labels == tuple(i.label for i in ukraine.issues)
    assert problem.veto_index.tolist() == [a for a, x in enumerate(ukraine.actors) if x.veto]
    for p, public in enumerate(ukraine.publics):
        assert problem.actor_ids[problem.public_of[p]] == public.of
    # red lines: Moscow's (land back, NATO) and Kyiv's (legal cession) hold; Moscow's line
    # against a freeze is a coin toss (p 0.5), not applied to the batch of one
    russia, ukraine_a = problem.actor_ids.index("russia"), problem.actor_ids.index("ukraine")
    assert problem.never[0][0, russia].tolist() == [True, True, False, False]
    assert problem.never[0][0, ukraine_a].tolist() == [False, False, False, True]
    assert sum(int(m.sum()) for m in problem.never) == 5
    assert problem.body_ids == ("ukraine_public", "rada")
    assert [m.shape for m in problem.never] == [
        (1, len(ukraine.actors), k) for k in problem.space.sizes
    ]


def test_a_batch_holds_independent_problems() -> None:
    ukraine = load_scenario(SCENARIOS / "ukraine-2024-09.yaml")
    problem = compile_problem(ukraine)
    russia = problem.actor_ids.index("russia")
    salience = np.repeat(problem.salience, 3, axis=0)
    salience[1, russia] *= 2.0  # scaling an actor's saliences leaves its utilities alone
    salience[2, russia, 0] = 0.0  # dropping an issue changes them
    batch = problem.with_inputs(salience=salience)
    assert batch.batch == 3 and batch.power.shape[0] == 3 and batch.never[0].shape[0] == 3
    for t, one in zip(batch.tables, problem.tables, strict=True):
        np.testing.assert_allclose(t[1], one[0], atol=1e-15)
    assert not np.allclose(batch.tables[0][2, russia], problem.tables[0][0, russia])
    again = batch.take(2)
    assert again.batch == 1
    for name in BATCHED:
        np.testing.assert_array_equal(getattr(again, name)[0], getattr(batch, name)[2])


def test_changes_apply_at_point_values(mini_text: str) -> None:
    from offramp.scenario import load_scenario_text
    from tests.test_uncertainty import EVENTS

    problem = compile_problem(load_scenario_text(mini_text + EVENTS))
    vote, after = problem.events
    ua, ru = 0, 1
    yes = problem.with_changes(vote.changes[0])
    assert yes.batna[0, ru] == 0.1
    assert yes.position[0, ua, 0] == 100.0  # an option id is its `at`
    up = yes.with_changes(after.changes[0])  # {add: uniform[-0.2, 0]} at its central value
    assert up.batna[0, ua] == pytest.approx(problem.batna[0, ua] - 0.1)
    assert problem.batna[0, ru] != 0.1  # the original is unchanged


# --- one compile per command ------------------------------------------------------------

UKRAINE = SCENARIOS / "ukraine-2024-09.yaml"


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call to the one compile, by scenario id (a spy on its private engine)."""
    import offramp.problem.compiler as compiler

    seen: list[str] = []
    real = compiler._compile

    def spy(scenario: Scenario) -> Problem:
        seen.append(scenario.id)
        return real(scenario)

    monkeypatch.setattr(compiler, "_compile", spy)
    return seen


@pytest.mark.parametrize(
    "command",
    [
        ["analyze", "{file}", "--out", "{tmp}"],
        ["forecast", "{file}", "--model", "median", "--store", "{tmp}/runs.duckdb"],
        ["forecast", "{file}", "--model", "smp", "--store", "{tmp}/runs.duckdb"],
        ["sweep", "{file}", "--draws", "64", "--store", "{tmp}/runs.duckdb"],
        ["sensitivity", "{file}", "--samples", "4", "--store", "{tmp}/runs.duckdb"],
        ["negotiate", "{file}", "--runs", "3"],
        [
            "durability",
            "{file}",
            "--draws",
            "10",
            *(
                f"--package={pair}"
                for pair in (
                    "territory=freeze",
                    "dmz=none",
                    "nato=membership",
                    "eu=membership",
                    "guarantees=binding",
                    "long_range=unrestricted",
                    "economy=western_support",
                )
            ),
        ],
        ["report", "{file}", "--out", "{tmp}", "--store", "{tmp}/none", "--draws", "64"],
    ],
    ids=lambda c: "-".join(c[:3:2]) if c[0] == "forecast" else c[0],
)
def test_every_command_compiles_the_scenario_once(
    command: list[str], compiles: list[str], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from offramp.cli import app

    args = [a.format(file=UKRAINE, tmp=tmp_path) for a in command]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert compiles == ["ukraine-2024-09"]


def test_the_compile_spy_sees_every_compile(compiles: list[str]) -> None:
    scenario = load_scenario(UKRAINE)
    compile_problem(scenario)
    compile_problem(scenario)
    assert compiles == ["ukraine-2024-09"] * 2
