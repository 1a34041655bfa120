"""Render a :class:`~offramp.report.model.Report` as one self-contained HTML file or Markdown.

The HTML inlines its stylesheet and plotly.js (the offline bundle shipped in
the ``plotly`` Python package), so the file opens without network access. The
report keeps plotly.js gzip-compressed and its figures' hover texts line-packed
(:mod:`offramp.report.compact`); its script restores both before drawing.
Every text is HTML-escaped by Jinja2's autoescaping; figure specifications
are embedded as JSON with ``<``, ``>`` and ``&`` escaped so no data can close
the ``<script>`` element that holds them.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from offramp.errors import OfframpError
from offramp.report.compact import gzip_base64, pack_spec
from offramp.report.model import Report, Table

__all__ = [
    "json_for_script",
    "plotly_js",
    "plotly_js_gzip",
    "plotly_js_path",
    "render_html",
    "render_markdown",
]


def json_for_script(value: Any) -> str:
    """JSON safe to embed inside an HTML ``<script>`` element.

    Examples
    --------
    >>> json_for_script({"a": "</script><b>&"})
    '{"a": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def plotly_js_path() -> Path:
    """Path of plotly.js's offline bundle inside the installed ``plotly`` package.

    Raises
    ------
    OfframpError
        If the ``plotly`` package (or its bundle) is not installed.
    """
    spec = importlib.util.find_spec("plotly")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        path = Path(location) / "package_data" / "plotly.min.js"
        if path.is_file():
            return path
    raise OfframpError(
        "plotly.js is not available: install the `plotly` package (pip install plotly)"
    )


@cache
def plotly_js() -> str:
    """The text of plotly.js's offline bundle, made safe to inline in a ``<script>``."""
    return plotly_js_path().read_text(encoding="utf-8").replace("</script", "<\\/script")


@cache
def plotly_js_gzip() -> str:
    """plotly.js's offline bundle, gzip-compressed and base64-encoded (safe in any element)."""
    return gzip_base64(plotly_js_path().read_text(encoding="utf-8"))


@cache
def _environment() -> Environment:
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson_safe"] = lambda value: Markup(json_for_script(value))
    env.filters["tojson_packed"] = lambda value: Markup(json_for_script(pack_spec(value)))
    return env


def _resource(name: str) -> str:
    return (files("offramp.report") / "templates" / name).read_text(encoding="utf-8")


def render_html(report: Report) -> str:
    """The report as one self-contained HTML document.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.assess import analyze
    >>> from offramp.report.build import build_report
    >>> from offramp.problem import compile_problem
    >>> from offramp.scenario import load_scenario
    >>> p = compile_problem(load_scenario(Path(__file__).parents[3] / "scenarios"
    ...                                   / "textbook-two-party.yaml"))
    >>> html = render_html(build_report(p, analyze(p)))
    >>> html.startswith("<!DOCTYPE html>"), "<script src=" in html
    (True, False)
    """
    template = _environment().from_string(_resource("report.html.j2"))
    return template.render(
        report=report,
        css=Markup(_resource("report.css")),
        plotly_js_gzip=plotly_js_gzip(),
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown_table(table: Table) -> list[str]:
    lines = []
    if table.caption:
        lines += [f"*{table.caption}*", ""]
    lines.append("| " + " | ".join(_cell(c) for c in table.columns) + " |")
    lines.append("|" + "---|" * len(table.columns))
    for k, row in enumerate(table.rows):
        cells = [_cell(c) for c in row]
        if table.flag(k):
            cells[0] = f"**[{table.flag(k)}]** {cells[0]}"
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def render_markdown(report: Report) -> str:
    """A Markdown summary of the report: the text and tables, charts described in words.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.assess import analyze
    >>> from offramp.report.build import build_report
    >>> from offramp.problem import compile_problem
    >>> from offramp.scenario import load_scenario
    >>> p = compile_problem(load_scenario(Path(__file__).parents[3] / "scenarios"
    ...                                   / "textbook-two-party.yaml"))
    >>> render_markdown(build_report(p, analyze(p))).splitlines()[0]
    '# Textbook: a cease-fire between North and South after a border war'
    """
    lines = [
        f"# {report.title}",
        "",
        f"*offramp {report.version}, scenario `{report.scenario}` as of {report.as_of}.*",
        "",
        *([report.origin, ""] if report.origin else []),
        f"> **Verdict.** {report.verdict}",
        "",
    ]
    for section in report.sections:
        lines += [f"## {section.title}", ""]
        for paragraph in section.paragraphs:
            lines += [paragraph, ""]
        if section.bullets:
            lines += [f"- {b}" for b in section.bullets] + [""]
        for figure in section.figures:
            lines += [
                f"**{figure.title}** (interactive chart in the HTML report). {figure.caption}",
                "",
            ]
        for table in section.tables:
            lines += _markdown_table(table)
    if report.missing:
        lines += ["## Not included", "", *(f"- {m}" for m in report.missing), ""]
    return "\n".join(lines).rstrip() + "\n"
