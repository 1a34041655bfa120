"""Words and colours the report's sections share: labels of options, issues, actors, packages."""

from __future__ import annotations

from collections.abc import Mapping

from offramp.scenario.schema import Scenario
from offramp.uncertainty.sweep import wilson

__all__ = []


_LAYOUT = {"plot_bgcolor": "#ffffff", "paper_bgcolor": "#ffffff", "font": {"size": 12}}
_BLUE, _GREY, _RED, _GREEN = "#2c6fbb", "#7f8c8d", "#a93226", "#1e8449"
_PALETTE = ("#c0392b", "#2c6fbb", "#d68910", "#7d3c98", "#117a65", "#a04000", "#5d6d7e")


def _pct(p: float) -> str:
    return f"{p:.1%}"


def _interval(k: int, n: int) -> tuple[float, float]:
    return wilson(k, n) if n else (0.0, 1.0)


def _option(scenario: Scenario, issue: str, option: str) -> str:
    try:
        found = scenario.issue(issue)
    except KeyError:
        return option
    return next((o.label for o in found.options if o.id == option), option)


def _issue(scenario: Scenario, issue: str) -> str:
    try:
        return scenario.issue(issue).label
    except KeyError:
        return issue


def _actor(scenario: Scenario, actor: str) -> str:
    try:
        return scenario.actor(actor).label
    except KeyError:
        return actor


def _package(scenario: Scenario, package: Mapping[str, str]) -> str:
    return "; ".join(
        f"{_issue(scenario, i)}: {_option(scenario, i, o)}" for i, o in package.items()
    )


def _event_labels(scenario: Scenario) -> dict[str, tuple[str, dict[str, str]]]:
    return {e.id: (e.label, {b.id: b.label for b in e.branches}) for e in scenario.events}
