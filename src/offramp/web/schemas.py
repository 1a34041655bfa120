"""The workbench's request and response bodies (its OpenAPI schemas)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ERRORS",
    "AnalyzeIn",
    "EditIn",
    "EvaluateIn",
    "OneWayIn",
    "ProblemOut",
    "ProblemsOut",
    "RunOut",
    "SaveIn",
    "ScenarioIn",
    "SweepIn",
]

Scalar = Annotated[str, Field(max_length=10_000)] | float | bool | None
Number = float | Annotated[str, Field(max_length=200)]
Distribution = Annotated[
    dict[
        Annotated[str, Field(max_length=32)],
        Annotated[list[Number], Field(max_length=1000)] | Number,
    ],
    Field(min_length=1, max_length=4),
]
"""A distribution as the scenario file writes it, e.g. ``{"triangular": [0.3, 0.4, 0.6]}``."""
RedLine = Annotated[
    dict[Annotated[str, Field(max_length=64)], Number | Distribution],
    Field(min_length=1, max_length=200),
]
"""A red line's ``never_p`` option by option, e.g. ``{"freeze": 0, "full_return": 1}``."""
PathPart = Annotated[str, Field(max_length=200)] | Annotated[int, Field(ge=0, le=1_000_000)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EditIn(_Body):
    """Set one field of the scenario: ``path`` from the root, e.g. ``["actors", 1, "batna"]``."""

    path: list[PathPart] = Field(min_length=1, max_length=16)
    value: Scalar | Distribution | RedLine = Field(
        description="A number, text (an option id) or boolean; or a distribution such as "
        '`{"triangular": [low, mode, high]}` (see docs/uncertainty.md); or a red line\'s '
        '`never_p` option by option, `{"freeze": 0, "full_return": 1}` (see docs/evaluate.md).'
    )


class ScenarioIn(_Body):
    """A scenario as YAML text or by name, with edits applied before validation."""

    yaml: str | None = Field(default=None, max_length=2_000_000, description="Scenario YAML.")
    name: str | None = Field(
        default=None, max_length=200, description="A scenario file this server serves."
    )
    file: str | None = Field(
        default=None, max_length=200, description="File name to use in error messages."
    )
    edits: list[EditIn] = Field(default_factory=list, max_length=2000)


class AnalyzeIn(ScenarioIn):
    """Analyze a scenario; ``x`` and ``y`` pick the actors of the picture's axes."""

    x: str | None = Field(default=None, max_length=64)
    y: str | None = Field(default=None, max_length=64)


class EvaluateIn(ScenarioIn):
    """Evaluate one package (``offramp evaluate``): a named one and/or ``ISSUE: OPTION`` pairs."""

    named: str | None = Field(default=None, max_length=64, description="A `packages` entry's id.")
    package: dict[str, str] = Field(
        default_factory=dict, description="Issue id -> option id (with `named`: overrides)."
    )
    draws: int = Field(default=0, ge=0, le=100_000, description="Draws for P(accepted, ratified).")
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    at: dt.date | None = Field(default=None, description="With draws: only events up to this date.")


class SweepIn(ScenarioIn):
    """A Monte Carlo sweep over every uncertain input and event branch (``offramp sweep``)."""

    draws: int = Field(default=2000, ge=1, le=100_000, description="Number of draws.")
    seed: int = Field(default=0, ge=0, le=2**63 - 1, description="Seed: fixes every draw.")
    at: dt.date | None = Field(default=None, description="Only events up to this date.")


class OneWayIn(ScenarioIn):
    """Vary one input over values and analyze each variant (a one-way sweep)."""

    path: list[PathPart] = Field(min_length=1, max_length=16, description="Input to vary.")
    values: list[float] = Field(min_length=1, max_length=201, description="Its values.")


class SaveIn(ScenarioIn):
    """Save the edited scenario under a new file name in the served directory."""

    save_as: str = Field(max_length=130, description="New file name, ending in .yaml.")
    id: str | None = Field(
        default=None, max_length=64, description="New scenario id (default: keep)."
    )


class ProblemOut(BaseModel):
    """One problem, as the CLI prints it (``text``) and field by field."""

    file: str
    line: int | None
    path: str
    message: str
    text: str


class ProblemsOut(BaseModel):
    """Why the input was refused."""

    detail: str
    problems: list[ProblemOut]


class RunOut(BaseModel):
    """A background run and its progress."""

    id: str
    kind: str
    label: str
    status: Literal["queued", "running", "done", "failed", "cancelled", "incomplete"]
    done: int
    total: int
    progress: float
    created: float
    finished: float | None
    error: str | None
    origin: Literal["server", "store"] = Field(
        default="server", description="A run of this server, or one read from the run store."
    )
    result: Any = None


ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ProblemsOut, "description": "Invalid input: every problem found."}
}
