"""Every public module declares what it exports, and exports exist."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "offramp",
    "offramp.errors",
    "offramp.scenario",
    "offramp.space",
    "offramp.bargain",
    "offramp.ratify",
    "offramp.analysis",
    "offramp.cli",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_existing_names(name: str) -> None:
    module = importlib.import_module(name)
    assert len(set(module.__all__)) == len(module.__all__)
    for export in module.__all__:
        assert hasattr(module, export), f"{name}.{export}"


def test_top_level_api() -> None:
    import offramp

    assert {"analyze", "load_scenario", "Scenario", "Analysis", "OfframpError"} <= set(
        offramp.__all__
    )
