"""The analysis report: one self-contained HTML file and a Markdown summary.

:func:`report_for` runs the analysis (and every optional engine that is
installed) on a scenario and returns a :class:`Report`; :func:`render_html`
and :func:`render_markdown` turn it into text; :func:`write_report` does all
of it and writes the files. :func:`report_for_run` builds the report of a
stored run (:mod:`offramp.report.stored`). See ``docs/report-and-web.md``.
"""

from __future__ import annotations

from offramp.report.build import build_report, frontier_figure, inputs_table
from offramp.report.cloud import Cloud, CloudGroup, default_axes, package_cloud
from offramp.report.model import Figure, Report, Section, StoredResults, Table
from offramp.report.render import render_html, render_markdown
from offramp.report.stored import report_for_run, stored_results
from offramp.report.write import report_for, write_report

__all__ = [
    "Cloud",
    "CloudGroup",
    "Figure",
    "Report",
    "Section",
    "StoredResults",
    "Table",
    "build_report",
    "default_axes",
    "frontier_figure",
    "inputs_table",
    "package_cloud",
    "render_html",
    "render_markdown",
    "report_for",
    "report_for_run",
    "stored_results",
    "write_report",
]
