"""The scenario: schema, loading and validation with line-numbered errors."""

from __future__ import annotations

from offramp.scenario.load import (
    content_hash,
    load_scenario,
    load_scenario_data,
    load_scenario_text,
)
from offramp.scenario.schema import (
    Actor,
    Issue,
    Option,
    Provenance,
    Public,
    Rule,
    Scenario,
    Source,
    Stance,
)

__all__ = [
    "Actor",
    "Issue",
    "Option",
    "Provenance",
    "Public",
    "Rule",
    "Scenario",
    "Source",
    "Stance",
    "content_hash",
    "load_scenario",
    "load_scenario_data",
    "load_scenario_text",
]
