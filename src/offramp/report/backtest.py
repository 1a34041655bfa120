"""The backtest page: scores, per-issue errors and a calibration plot.

:func:`backtest_section` turns the JSON of ``offramp backtest deu``
(:meth:`offramp.backtest.DeuBacktest.to_dict`, as the run store keeps it)
into a :class:`~offramp.report.model.Section`: the scores table, every
issue's forecasts against its outcome, the absolute errors per model, and
the calibration curve of the intervals (cross-validated coverage against
the nominal level).  It computes nothing a backtest did not already report.
:func:`render_backtest_html` makes it a self-contained page (the report's
stylesheet and inlined plotly.js), :func:`write_backtest_page` writes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from offramp._version import __version__
from offramp.errors import OfframpError
from offramp.report.model import Figure, Section, Table
from offramp.report.render import json_for_script, plotly_js

__all__ = ["backtest_section", "render_backtest_html", "write_backtest_page"]

_LAYOUT = {"plot_bgcolor": "#ffffff", "paper_bgcolor": "#ffffff", "font": {"size": 12}}
_PALETTE = ("#2c6fbb", "#c0392b", "#d68910", "#7d3c98", "#117a65", "#a04000", "#5d6d7e")

_CITATION = (
    "Data: DEU III, Arregui & Perarnaud (2021), Journal of European Public Policy; "
    "doi:10.34810/data53 (CC BY 4.0)."
)


def _f(value: float | None, spec: str = ".2f") -> str:
    return "" if value is None else format(value, spec)


def _scores_table(data: Mapping[str, Any]) -> Table:
    rows = []
    for name, m in data["models"].items():
        lo, est, hi = m["delta_vs_weighted_mean"]
        delta = "" if name == "weighted_mean" else f"{_f(est, '+.2f')} [{_f(lo)}, {_f(hi)}]"
        rows.append(
            (
                name,
                _f(m["mae"]),
                _f(m["rmse"]),
                _f(m["median_ae"]),
                str(m["n"]),
                delta,
                _f(m["coverage80"]),
                _f(m["width80"], ".1f"),
            )
        )
    return Table(
        columns=(
            "model",
            "MAE",
            "RMSE",
            "median AE",
            "n",
            "Δ MAE vs weighted mean [95%]",
            "coverage80",
            "width80",
        ),
        rows=tuple(rows),
        caption="Errors on the 0-100 scale; the interval of Δ is a paired bootstrap over"
        f" proposals ({data['boot']} resamples, seed {data['seed']}); coverage is"
        f" {data['calibration']['coverage80_kind']}.",
    )


def _scatter(data: Mapping[str, Any]) -> dict[str, Any]:
    issues = data["per_issue"]
    traces = []
    for k, name in enumerate(data["models"]):
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": name,
                "x": [i["forecasts"][name] for i in issues],
                "y": [i["out"] for i in issues],
                "text": [i["isnr"] for i in issues],
                "marker": {"color": _PALETTE[k % len(_PALETTE)], "size": 6, "opacity": 0.6},
                "visible": True if k == 0 else "legendonly",
                "hovertemplate": "%{text}: forecast %{x:.1f}, outcome %{y:.0f}<extra>"
                + name
                + "</extra>",
            }
        )
    traces.append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": "forecast = outcome",
            "x": [0, 100],
            "y": [0, 100],
            "line": {"color": "#999999", "dash": "dot"},
        }
    )
    layout = _LAYOUT | {
        "xaxis": {"title": "forecast", "range": [-3, 103]},
        "yaxis": {"title": "outcome", "range": [-3, 103]},
        "height": 460,
    }
    return {"data": traces, "layout": layout}


def _error(issue: Mapping[str, Any], name: str) -> float | None:
    value = issue["forecasts"][name]
    return None if value is None else abs(value - issue["out"])


def _errors(data: Mapping[str, Any]) -> dict[str, Any]:
    issues = data["per_issue"]
    traces = [
        {
            "type": "box",
            "name": name,
            "y": [_error(i, name) for i in issues],
            "text": [i["isnr"] for i in issues],
            "boxpoints": "all",
            "jitter": 0.4,
            "pointpos": 0,
            "marker": {"color": _PALETTE[k % len(_PALETTE)], "size": 4},
            "boxmean": True,
        }
        for k, name in enumerate(data["models"])
    ]
    layout = _LAYOUT | {
        "yaxis": {"title": "absolute error (0-100 scale)"},
        "showlegend": False,
        "height": 420,
    }
    return {"data": traces, "layout": layout}


def _calibration(data: Mapping[str, Any]) -> dict[str, Any]:
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": "perfect calibration",
            "x": [0.5, 0.95],
            "y": [0.5, 0.95],
            "line": {"color": "#999999", "dash": "dot"},
        }
    ]
    for k, (name, m) in enumerate(data["models"].items()):
        curve = m.get("coverage_by_level") or {}
        levels = sorted(curve, key=float)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": [float(v) for v in levels],
                "y": [curve[v] for v in levels],
                "line": {"color": _PALETTE[k % len(_PALETTE)]},
            }
        )
    layout = _LAYOUT | {
        "xaxis": {"title": "nominal coverage", "range": [0.45, 1.0]},
        "yaxis": {"title": "observed coverage (cross-validated)", "range": [0.3, 1.0]},
        "height": 420,
    }
    return {"data": traces, "layout": layout}


def _issue_table(data: Mapping[str, Any]) -> Table:
    names = list(data["models"])
    rows = []
    for i in data["per_issue"]:
        cells = [i["isnr"], _f(i["out"], ".0f")]
        for name in names:
            lo, hi = i["intervals"][name]
            cells.append(f"{_f(i['forecasts'][name], '.1f')} [{_f(lo, '.0f')}, {_f(hi, '.0f')}]")
        rows.append(tuple(cells))
    return Table(
        columns=("issue", "outcome", *names),
        rows=tuple(rows),
        caption="Each model's forecast and 80% interval, issue by issue.",
    )


def backtest_section(data: Mapping[str, Any]) -> Section:
    """The report section of a backtest, from its JSON.

    Examples
    --------
    >>> data = {"dataset": "x.tsv", "issues": 1, "capability": "council", "boot": 0,
    ...         "seed": 0, "width80_unconditional": 100.0, "skipped": [],
    ...         "calibration": {"coverage80_kind": "in-sample", "source": "x.tsv"},
    ...         "models": {"weighted_mean": {"mae": 1.0, "rmse": 1.0, "median_ae": 1.0,
    ...             "n": 1, "delta_vs_weighted_mean": [0.0, 0.0, 0.0], "coverage80": 1.0,
    ...             "width80": 10.0, "coverage_by_level": {"0.8": 1.0}}},
    ...         "per_issue": [{"isnr": "a1", "out": 40.0, "forecasts": {"weighted_mean": 41.0},
    ...                        "intervals": {"weighted_mean": [35.0, 45.0]}}]}
    >>> s = backtest_section(data)
    >>> s.id, [f.id for f in s.figures]
    ('backtest', ['backtest-scatter', 'backtest-errors', 'backtest-calibration'])
    >>> s.tables[0].rows[0][:2]
    ('weighted_mean', '1.00')
    """
    models = data["models"]
    base = models.get("weighted_mean", {})
    beat = [
        name
        for name, m in models.items()
        if name != "weighted_mean"
        and m["delta_vs_weighted_mean"][2] is not None
        and m["delta_vs_weighted_mean"][2] < 0
    ]
    verdict = (
        f"{', '.join(beat)} beat{'s' if len(beat) == 1 else ''} the weighted mean with a 95%"
        " interval below 0."
        if beat
        else "No model beats the weighted mean with a 95% interval of the MAE difference below 0."
    )
    paragraphs = (
        f"{data['issues']} issues of {data['dataset']} scored, capability rule"
        f" {data['capability']!r}. The capability x salience weighted mean errs by"
        f" {_f(base.get('mae'))} points on average. {verdict}",
        f"80% intervals: {data['calibration'].get('method', 'conformal')}; calibration:"
        f" {data['calibration']['source']}; coverage is"
        f" {data['calibration']['coverage80_kind']}. For comparison, the 10-90% range of"
        f" the outcomes (an interval that ignores every input) is"
        f" {_f(data['width80_unconditional'], '.1f')} points wide.",
        _CITATION,
    )
    figures = (
        Figure(
            "backtest-scatter",
            "Forecast against outcome",
            "One point per issue; click a model in the legend to show it. Points on the"
            " dotted line were forecast exactly.",
            _scatter(data),
        ),
        Figure(
            "backtest-errors",
            "Per-issue absolute errors",
            "Every issue's absolute error per model, with the box (quartiles), the median"
            " and the mean (dashed).",
            _errors(data),
        ),
        Figure(
            "backtest-calibration",
            "Calibration of the intervals",
            "Share of outcomes inside each model's interval (cross-validated by proposal)"
            " against the interval's nominal coverage; on the dotted line an interval"
            " means what it says.",
            _calibration(data),
        ),
    )
    return Section(
        id="backtest",
        title="Backtest against DEU III outcomes",
        paragraphs=paragraphs,
        tables=(_scores_table(data), _issue_table(data)),
        figures=figures,
    )


def render_backtest_html(data: Mapping[str, Any]) -> str:
    """The backtest page as one self-contained HTML document (DEU or history cases)."""
    from importlib.resources import files

    from offramp.report.cases import cases_section

    env = Environment(autoescape=True)
    env.filters["tojson_safe"] = lambda value: Markup(json_for_script(value))
    css = (files("offramp.report") / "templates" / "report.css").read_text(encoding="utf-8")
    page = (files("offramp.report") / "templates" / "backtest.html.j2").read_text(encoding="utf-8")
    return env.from_string(page).render(
        section=cases_section(data) if "cases" in data else backtest_section(data),
        version=__version__,
        css=Markup(css),
        plotly_js=Markup(plotly_js()),
    )


def write_backtest_page(data: Mapping[str, Any], directory: Path) -> Path:
    """Write ``DIRECTORY/backtest-<dataset stem>.html`` (``backtest-cases-<dir>.html``).

    Returns the path written.

    Raises
    ------
    OfframpError
        When the directory or file cannot be written.
    """
    stem = Path(str(data["dataset"])).stem or "deu"
    path = directory / f"backtest-{'cases-' if 'cases' in data else ''}{stem}.html"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(render_backtest_html(data), encoding="utf-8")
    except OSError as error:
        raise OfframpError(f"cannot write {path}: {error}") from error
    return path
