"""Tests of the one forecast interface, offramp.forecast.run, and its exports."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import offramp.forecast as forecast
from offramp.forecast import MODELS, ForecastInputError, ForecastTrace, run


def test_exported_members() -> None:
    assert set(forecast.__all__) >= set(
        [
            "EXCHANGE_DTYPE",
            "MODELS",
            "ActorTable",
            "ForecastInputError",
            "ForecastTrace",
            "Offer",
            "compromise",
            "exchange",
            "expected_utility",
            "median",
            "read_table",
            "run",
        ]
    )
    assert len(set(forecast.__all__)) == len(forecast.__all__)
    for name in forecast.__all__:
        assert hasattr(forecast, name)


def test_registry_names() -> None:
    assert set(MODELS) >= {"compromise", "median", "eu", "exchange"}
    assert all(callable(fn) for fn in MODELS.values())


@pytest.mark.parametrize("model", ["compromise", "median", "eu"])
def test_one_issue_models_share_the_trace_shape(model: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(4, 10, (3, 5))
    trace = run(model, x, rng.uniform(0.1, 1, (3, 5)), rng.uniform(0.1, 1, (3, 5)))
    r = trace.rounds
    assert trace.model == model
    assert trace.positions.shape == (3, r + 1, 5)
    assert trace.forecast.shape == trace.mean.shape == trace.median.shape == (3, r + 1)
    assert ((trace.final >= 4) & (trace.final <= 10)).all()  # on the input's scale


def test_exchange_trace_shape() -> None:
    rng = np.random.default_rng(0)
    trace = run("exchange", rng.uniform(0, 1, (2, 4, 3)), 1.0, 0.5, rounds=2)
    assert trace.positions.shape == (2, 3, 4, 3)
    assert trace.forecast.shape == (2, 3, 3)


def test_trace_is_frozen() -> None:
    trace = run("compromise", [1.0, 2.0], 1.0, 1.0)
    assert isinstance(trace, ForecastTrace)
    with pytest.raises(dataclasses.FrozenInstanceError):
        trace.model = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        trace.events["x"] = np.zeros(1)  # type: ignore[index]


def test_unknown_model_and_parameter() -> None:
    with pytest.raises(ForecastInputError, match="unknown forecast model"):
        run("oracle", [1.0], 1.0, 1.0)
    with pytest.raises(ForecastInputError, match="bad parameters"):
        run("compromise", [1.0], 1.0, 1.0, rounds=3)
