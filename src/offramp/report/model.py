"""The report as plain data: sections of paragraphs, tables and figures.

The report is built once (:func:`offramp.report.build_report`) and rendered
by separate renderers to HTML and Markdown; the web app sends the same
figures to the browser. Figures are plotly figure specifications (plain
``{"data": [...], "layout": {...}}`` dicts), so no plotting library is needed
to build them, only plotly.js to draw them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Figure", "Report", "Section", "StoredResults", "Table"]


@dataclass(frozen=True)
class Table:
    """A table of text cells; ``flags`` marks rows (e.g. ``"assumed"``), one entry per row."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    flags: tuple[str, ...] = ()

    def flag(self, row: int) -> str:
        """The flag of a row ('' when none)."""
        return self.flags[row] if row < len(self.flags) else ""


@dataclass(frozen=True)
class Figure:
    """An interactive chart: a plotly figure spec with a caption that says what it shows."""

    id: str
    title: str
    caption: str
    spec: dict[str, Any]


@dataclass(frozen=True)
class Section:
    """One part of the report."""

    id: str
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    figures: tuple[Figure, ...] = ()
    bullets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    """A whole report: headline facts and the sections in order.

    ``wired`` lists the optional engines whose sections are present and
    ``missing`` those not available (so the report says what it leaves out).
    """

    scenario: str
    title: str
    as_of: str
    verdict: str
    settled: bool
    sections: tuple[Section, ...]
    version: str
    scenario_hash: str
    wired: tuple[str, ...] = field(default=())
    missing: tuple[str, ...] = field(default=())
    origin: str = ""
    forecasts: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per forecast model, ``offramp forecast --json``'s ``issues`` (see ``report.json``)."""

    def to_dict(self) -> dict[str, Any]:
        """``report.json``: the headline facts and every forecast, as the CLI writes them."""
        return {
            "scenario": self.scenario,
            "scenario_hash": self.scenario_hash,
            "offramp_version": self.version,
            "verdict": self.verdict,
            "settled": self.settled,
            "forecasts": self.forecasts,
        }


@dataclass(frozen=True)
class StoredResults:
    """Results of earlier runs for a report (from the run store, or computed for it).

    ``sweep`` is a ``SweepSummary.to_dict()``, ``paths`` the sweep's
    ``RunStore.branch_paths``, ``sensitivity`` a ``Sensitivity.to_dict()``;
    each ``*_origin`` says in words where it comes from ("stored run ...").
    """

    sweep: dict[str, Any] | None = None
    sweep_origin: str = ""
    paths: tuple[dict[str, Any], ...] = ()
    sensitivity: dict[str, Any] | None = None
    sensitivity_origin: str = ""
