"""Run everything a report shows for a scenario and write the report files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np

from offramp.assess import analyze
from offramp.errors import OfframpError
from offramp.problem import Problem
from offramp.report.build import build_report
from offramp.report.extras import (
    available_engines,
    durability_section,
    forecast_section,
    forecasts_json,
    run_forecasts,
)
from offramp.report.implementation import implementation_results, implementation_section
from offramp.report.model import Report, Section, StoredResults
from offramp.report.named import named_packages_section
from offramp.report.render import render_html, render_markdown
from offramp.report.sections import sensitivity_section, sweep_section
from offramp.report.talks import negotiation_section, war_path_section
from offramp.settle.analysis import Analysis

__all__ = ["QUICK_SWEEP_DRAWS", "report_for", "write_report"]

QUICK_SWEEP_DRAWS = 1000
"""Draws of the sweep ``offramp report FILE`` runs when the run store has none for the scenario."""


def _quick_sweep(problem: Problem, draws: int, seed: int) -> dict[str, Any] | None:
    """A small in-process sweep (no forecasts); None when nothing in the scenario is uncertain."""
    from offramp.uncertainty import sweep

    if problem.streams == 0:
        return None
    summary, _ = sweep(problem, draws=draws, seed=seed)
    return summary.to_dict()


def _durability_over_time(
    problem: Problem, analysis: Analysis, agreement: dict[str, str] | None
) -> tuple[Section | None, str]:
    """The war-against-deal chart for the Nash package (or else the negotiated agreement)."""
    scenario = problem.scenario
    if problem.dynamics is None:
        return None, "the scenario has no `dynamics` section (see docs/durability.md)"
    from offramp.durability import durability, war_paths

    found = dict(getattr(analysis, "durability", None) or {})
    nash = analysis.solutions.get("nash")
    if nash is not None and found.get("nash"):
        package, result, which = dict(nash.package), found["nash"], "the Nash package"
    elif agreement is not None:
        package, which = agreement, "the negotiated agreement"
        result = durability(problem, package).to_dict()
    else:
        return None, (
            "no package settles the base case and the simulated talks reach no agreement, so "
            "there is no deal whose durability to show; `offramp durability FILE --package "
            "ISSUE=OPTION ...` assesses any package"
        )
    years = np.linspace(0.0, float(result["horizon"]), 61)
    paths = {a: v.tolist() for a, v in war_paths(problem, package, years).items()}
    return war_path_section(scenario, result, paths, years.tolist(), which=which), ""


def report_for(
    problem: Problem,
    analysis: Analysis | None = None,
    *,
    axes: tuple[str, str] | None = None,
    forecasts: bool = True,
    negotiation: bool = True,
    stored: StoredResults | None = None,
    sweep_draws: int = 0,
    seed: int = 0,
    origin: str = "",
) -> Report:
    """The report of a scenario: its analysis plus every optional engine's section.

    Every engine runs on ``problem``, compiled once by the caller; the
    forecasts are :func:`offramp.report.extras.run_forecasts`'s, the numbers
    ``offramp forecast`` prints, and go to the report's ``forecasts`` (its
    ``report.json``) too.

    Parameters
    ----------
    problem : Problem
        The compiled scenario (:func:`offramp.problem.compile_problem`), a batch of one.
    analysis : Analysis, optional
        Computed with :func:`offramp.assess.analyze` when not given.
    axes : (str, str), optional
        Actor ids of the settlement picture's axes.
    forecasts : bool, default True
        Run the forecast models (when installed).
    negotiation : bool, default True
        Simulate the talks with :func:`offramp.negotiate.negotiate`'s defaults
        (Boulware for every veto actor, 20 weekly rounds) and show the offers.
    stored : StoredResults, optional
        Sweep and sensitivity results to show (see :mod:`offramp.report.stored`).
    sweep_draws : int, default 0
        When ``stored`` has no sweep and the scenario has uncertain inputs or
        events, run a quick sweep of this many draws (seeded by ``seed``) and
        show it, labelled as not stored; 0 runs none.
    seed : int, default 0
    origin : str, optional
        Where the results come from (shown under the title).

    Returns
    -------
    Report
    """
    scenario = problem.scenario
    analysis = analysis if analysis is not None else analyze(problem)
    stored = stored or StoredResults()
    engines = available_engines()
    extras: list[Section] = []
    wired: list[str] = []
    missing: list[str] = []

    def add(name: str, section: Section | None, why_not: str) -> None:
        if section is not None:
            extras.append(section)
            wired.append(name)
        elif why_not:
            missing.append(f"{name}: {why_not}")

    summary, sweep_origin = stored.sweep, stored.sweep_origin
    if summary is None and sweep_draws > 0:
        summary = _quick_sweep(problem, sweep_draws, seed)
        sweep_origin = (
            "a quick sweep run for this report and not stored; `offramp sweep` records a "
            "larger one, which later reports show instead"
        )
    add(
        "sweep",
        None
        if summary is None
        else sweep_section(scenario, summary, origin=sweep_origin, paths=stored.paths),
        "no uncertain input or event, or no sweep run (`offramp sweep FILE` records one)",
    )
    add(
        "sensitivity",
        None
        if stored.sensitivity is None
        else sensitivity_section(scenario, stored.sensitivity, origin=stored.sensitivity_origin),
        "no stored sensitivity run for this scenario (`offramp sensitivity FILE` records one)",
    )
    by_model: dict[str, dict[str, Any]] = {}
    if forecasts and engines["forecasts"]:
        found, skipped = run_forecasts(problem)
        by_model = forecasts_json(found)
        add("forecasts", forecast_section(scenario, found, skipped), "")
    agreement: dict[str, str] | None = None
    if negotiation and engines["negotiation"]:
        from offramp.negotiate import negotiate

        try:
            talks = negotiate(problem).to_dict()
        except OfframpError as error:
            add("negotiation", None, str(error))
        else:
            agreement = talks.get("agreement")
            add("negotiation", negotiation_section(scenario, talks), "")
    add("durability", durability_section(scenario, getattr(analysis, "durability", None)), "")
    over_time, why = _durability_over_time(problem, analysis, agreement)
    add("durability over time", over_time, why)
    if scenario.packages:
        from offramp.evaluate import evaluate

        named = [
            evaluate(problem.scenario, named=p.id, problem=problem).to_dict()
            for p in scenario.packages
        ]
        add("named packages", named_packages_section(scenario, named), "")
    if scenario.implementation is not None:
        steps, spoiling, why = implementation_results(problem, seed=seed)
        section = None if steps is None else implementation_section(scenario, steps, spoiling)
        add("implementation", section, why)
    return build_report(
        problem,
        analysis,
        axes=axes,
        extras=extras,
        wired=wired,
        missing=missing,
        origin=origin,
        forecasts=by_model,
    )


def write_report(
    report: Report,
    out_dir: Path,
    formats: tuple[Literal["html", "md"], ...] = ("html", "md"),
) -> list[Path]:
    """Write ``OUT/<scenario id>/report.html`` and/or ``report.md``, and ``report.json``.

    ``report.json`` (:meth:`offramp.report.model.Report.to_dict`) is always
    written: the verdict and every forecast model's ``issues`` in the shape
    of ``offramp forecast --json``. Returns the paths written.

    Raises
    ------
    OSError
        If the directory or files cannot be written.
    """
    target = out_dir / report.scenario
    target.mkdir(parents=True, exist_ok=True)
    written = []
    if "html" in formats:
        path = target / "report.html"
        path.write_text(render_html(report), encoding="utf-8")
        written.append(path)
    if "md" in formats:
        path = target / "report.md"
        path.write_text(render_markdown(report), encoding="utf-8")
        written.append(path)
    path = target / "report.json"
    path.write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    written.append(path)
    return written
