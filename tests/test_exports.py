"""Every public module declares what it exports, and every export exists."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import offramp

MODULES = sorted(
    ["offramp"]
    + [
        m.name
        for m in pkgutil.walk_packages(offramp.__path__, "offramp.")
        if not any(part.startswith("_") for part in m.name.split("."))
    ]
)


def test_the_walk_found_the_packages() -> None:
    assert {
        "offramp.settle.analysis",
        "offramp.forecast.eu",
        "offramp.io.genius",
        "offramp.web",
    } <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_existing_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert len(set(exported)) == len(exported)
    for export in exported:
        assert hasattr(module, export), f"{name}.{export}"


def test_top_level_api() -> None:
    assert {"analyze", "load_scenario", "Scenario", "Analysis", "OfframpError"} <= set(
        offramp.__all__
    )
