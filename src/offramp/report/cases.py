"""The history cases' backtest page: forecasts against outcomes, scores, calibration.

:func:`cases_section` turns the JSON of ``offramp backtest cases``
(:meth:`offramp.backtest.cases.CasesBacktest.to_dict`) into a
:class:`~offramp.report.model.Section`: every case's three forecasts beside
what happened (misses included), the Brier scores of offramp and of the
library's leave-one-out base rate, and the calibration plot (mean forecast
against observed frequency per bin). It computes nothing the backtest did not
report. The page is rendered by :func:`offramp.report.backtest.render_backtest_html`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from offramp.report.model import Figure, Section, Table

__all__ = ["cases_section"]

_LAYOUT = {"plot_bgcolor": "#ffffff", "paper_bgcolor": "#ffffff", "font": {"size": 12}}
_COLORS = {
    "all": "#2c6fbb",
    "p_agreement": "#c0392b",
    "p_ratified": "#d68910",
    "p_holds": "#117a65",
}
_TARGETS = ("p_agreement", "p_ratified", "p_holds")
_OUTCOME = {"p_agreement": "agreement", "p_ratified": "ratified", "p_holds": "held"}


def _p(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _yes(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "no")


def _case_table(data: Mapping[str, Any]) -> Table:
    rows = []
    for case in data["cases"]:
        f, o = case["forecasts"], case["outcome"]
        cells = [case["id"], case["as_of"]]
        for t in _TARGETS:
            err = case["brier"]["offramp"][t]
            miss = "" if err is None or err < 0.25 else " (miss)"
            cells.append(f"{_p(f[t])} / {_yes(o[_OUTCOME[t]])}{miss}")
        cells.append(o["route"] or "—")
        cells.append(o["observed"])
        rows.append(tuple(cells))
    return Table(
        columns=(
            "case",
            "as of",
            "P(agreement) / signed",
            "P(ratified) / ratified",
            "P(holds) / held",
            "route",
            "observed",
        ),
        rows=tuple(rows),
        caption="offramp's forecast / what happened; a miss is a forecast on the wrong side"
        " of 0.5 (squared error 0.25 or more). — : no forecast or nothing to observe.",
    )


def _scores_table(data: Mapping[str, Any]) -> Table:
    b = data["brier"]
    rows = []
    for t in (*_TARGETS, "all"):
        sk = b["skill"][t]
        rows.append(
            (
                t,
                str(b["n"][t]),
                _p3(b["offramp"][t]),
                _p3(b["base_rate"][t]),
                "" if sk is None else f"{sk:+.2f}",
            )
        )
    return Table(
        columns=("forecast", "n", "Brier offramp", "Brier base rate (leave one out)", "skill"),
        rows=tuple(rows),
        caption="Brier score: mean squared error of the probability (0 perfect, 0.25 always"
        " saying 0.5). Skill = 1 - offramp / base rate; above 0 offramp beats the base rate.",
    )


def _p3(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _calibration(data: Mapping[str, Any]) -> dict[str, Any]:
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": "perfect calibration",
            "x": [0, 1],
            "y": [0, 1],
            "line": {"color": "#999999", "dash": "dot"},
        }
    ]
    for target in ("all", *_TARGETS):
        rows = [r for r in data["calibration"] if r["target"] == target and r["n"]]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers" if target == "all" else "markers",
                "name": target,
                "x": [r["forecast"] for r in rows],
                "y": [r["observed"] for r in rows],
                "text": [f"n = {r['n']}" for r in rows],
                "marker": {"color": _COLORS[target], "size": [6 + 3 * r["n"] for r in rows]},
                "hovertemplate": "forecast %{x:.2f}, observed %{y:.2f} (%{text})<extra>"
                + target
                + "</extra>",
            }
        )
    layout = _LAYOUT | {
        "xaxis": {"title": "mean forecast probability in the bin", "range": [-0.03, 1.03]},
        "yaxis": {"title": "observed frequency", "range": [-0.03, 1.03]},
        "height": 440,
    }
    return {"data": traces, "layout": layout}


def cases_section(data: Mapping[str, Any]) -> Section:
    """The report section of a cases backtest, from its JSON.

    Examples
    --------
    >>> none = {"p_agreement": None, "p_ratified": None, "p_holds": None}
    >>> data = {"dataset": "history", "draws": 10, "seed": 0, "calibration": [],
    ...   "cases": [{"id": "x", "as_of": "2000-01-01", "horizon_years": None,
    ...     "forecasts": {"p_agreement": 0.9, "p_ratified": None, "p_holds": None},
    ...     "outcome": {"agreement": False, "ratified": None, "held": None, "route": None,
    ...                 "observed": "2001-01-01"},
    ...     "brier": {"offramp": {"p_agreement": 0.81, "p_ratified": None, "p_holds": None},
    ...               "base_rate": none}}],
    ...   "brier": {k: none | {"all": None} for k in ("offramp", "base_rate", "skill")}
    ...            | {"n": {"p_agreement": 0, "p_ratified": 0, "p_holds": 0, "all": 0}}}
    >>> s = cases_section(data)
    >>> s.id, s.tables[1].rows[0][2]
    ('backtest-cases', '0.90 / no (miss)')
    """
    b = data["brier"]
    n = len(data["cases"])
    ours, ref = b["offramp"]["all"], b["base_rate"]["all"]
    verdict = (
        "There are too few scored outcomes to compare with a base rate."
        if ours is None or ref is None
        else f"Pooled over every scored forecast, offramp's Brier score is {ours:.3f} against"
        f" {ref:.3f} for the library's leave-one-out base rate"
        f" ({'better' if ours < ref else 'not better'})."
    )
    paragraphs = (
        f"{n} history cases of {data['dataset']}, each forecast from its inputs as of a date"
        f" before the outcome ({data['draws']} Monte Carlo draws, seed {data['seed']}):"
        " P(agreement) is the share of draws in which some package beats every veto"
        " actor's batna, P(ratified) the share of those in which one also passes every"
        " public, P(holds) the durability engine's probability that the deal holds from"
        " as-of to the date the record was checked. " + verdict,
        "Every case stays in the table, misses included; no input was tuned to its outcome"
        " (each file says how its inputs were fixed).",
    )
    return Section(
        id="backtest-cases",
        title="Backtest against history cases",
        paragraphs=paragraphs,
        tables=(_scores_table(data), _case_table(data)),
        figures=(
            Figure(
                "backtest-cases-calibration",
                "Calibration of the probabilities",
                "Forecasts binned by probability (width 0.2): each point is a bin's mean"
                " forecast against how often the event happened, its size the number of"
                " forecasts; on the dotted line the probabilities mean what they say.",
                _calibration(data),
            ),
        ),
    )
