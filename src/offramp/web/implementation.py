"""Route for carrying a deal out: ``POST /sequences`` (orders of steps and spoilers)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI
from pydantic import Field

from offramp.implementation import sequence_package, sequences, spoilers
from offramp.problem import compile_problem
from offramp.report.implementation import implementation_section
from offramp.web.context import Context, Refused
from offramp.web.schemas import ERRORS, ScenarioIn

__all__ = ["SequencesIn", "add_implementation_routes"]


class SequencesIn(ScenarioIn):
    """Every order of the scenario's implementation steps, and its factions as spoilers."""

    package: dict[str, str] = Field(
        default_factory=dict,
        description="Options for issues no step implements (default: the Nash package's).",
    )
    orders: list[list[str]] = Field(
        default_factory=list, max_length=20, description="Orders of step ids to solve too."
    )
    draws: int = Field(default=1000, ge=0, le=20_000, description="Monte Carlo draws.")
    seed: int = Field(default=0, ge=0, le=2**63 - 1, description="Seed: fixes every draw.")


def add_implementation_routes(app: FastAPI, ctx: Context) -> None:
    """``POST /sequences``: the JSON of ``offramp durability --sequences`` plus its section."""

    @app.post(
        "/sequences",
        summary="Which orders of the implementation steps hold, and which factions spoil",
        responses=ERRORS,
    )
    def sequences_endpoint(body: SequencesIn) -> dict[str, Any]:
        started = time.perf_counter()
        scenario, file = ctx.load(body)
        if scenario.implementation is None:
            raise Refused(
                422,
                "the scenario has no `implementation` section (see docs/implementation.md)",
                file,
                "implementation",
            )
        problem = compile_problem(scenario)
        package = sequence_package(problem, body.package)
        found = sequences(
            problem, package, draws=body.draws, seed=body.seed, orders=body.orders
        ).to_dict()
        spoiling = spoilers(problem, package, draws=body.draws, seed=body.seed).to_dict()
        section = implementation_section(scenario, found, spoiling)
        figure = section.figures[0]
        return {
            "sequences": found,
            "spoilers": spoiling,
            "figure": {"title": figure.title, "caption": figure.caption, "spec": figure.spec},
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
        }
