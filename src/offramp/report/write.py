"""Run everything a report shows for a scenario and write the report files."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from offramp.analysis import Analysis, analyze
from offramp.report.build import build_report
from offramp.report.extras import (
    available_engines,
    durability_section,
    forecast_section,
    run_forecasts,
)
from offramp.report.model import Report, Section
from offramp.report.render import render_html, render_markdown
from offramp.scenario.schema import Scenario

__all__ = ["report_for", "write_report"]


def report_for(
    scenario: Scenario,
    analysis: Analysis | None = None,
    *,
    axes: tuple[str, str] | None = None,
    forecasts: bool = True,
) -> Report:
    """The report of a scenario: its analysis plus every optional engine installed.

    Parameters
    ----------
    scenario : Scenario
    analysis : Analysis, optional
        Computed with :func:`offramp.analysis.analyze` when not given.
    axes : (str, str), optional
        Actor ids of the settlement picture's axes.
    forecasts : bool, default True
        Run the forecast models (when installed).

    Returns
    -------
    Report
    """
    analysis = analysis if analysis is not None else analyze(scenario)
    engines = available_engines()
    extras: list[Section] = []
    wired: list[str] = []
    if forecasts and engines["forecasts"]:
        section = forecast_section(scenario, *run_forecasts(scenario))
        if section is not None:
            extras.append(section)
            wired.append("forecasts")
    held = durability_section(scenario, getattr(analysis, "durability", None))
    if held is not None:
        extras.append(held)
        wired.append("durability")
    # sections the report knows of but does not show for this scenario
    missing = [
        name
        for name in ("forecasts", "sweeps and sensitivity", "negotiation", "durability")
        if name not in wired
    ]
    return build_report(scenario, analysis, axes=axes, extras=extras, wired=wired, missing=missing)


def write_report(
    report: Report,
    out_dir: Path,
    formats: tuple[Literal["html", "md"], ...] = ("html", "md"),
) -> list[Path]:
    """Write ``OUT/<scenario id>/report.html`` and/or ``report.md``; return the paths written.

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
    return written
