"""The library of historical cases: offramp's forecasts scored against what happened.

Each case is a scenario whose inputs were fixed as of a date before the
outcome, and whose ``outcome:`` block records what happened (no engine reads
it). :func:`forecast_case` asks offramp three questions about a case, with
the same engine functions the CLI uses, and :func:`score_cases` scores the
answers (:mod:`offramp.backtest.brier`).

The three forecasts
-------------------
``p_agreement``
    The probability that the sides with a veto sign a settlement: the share
    of the Monte Carlo sweep's draws (:func:`offramp.uncertainty.sweep`,
    the engine of ``offramp sweep``) whose **ZOPA** is non-empty, i.e. some
    package every veto actor prefers to fighting on (``p_zopa`` in the
    sweep's JSON). Scored against ``outcome.agreement``.
``p_ratified``
    The probability that a signed settlement is ratified by every public
    that must ratify it: among the draws with a ZOPA, the share whose
    ratified ZOPA is non-empty (the sweep's ``p_agreement / p_zopa``).
    Scored against ``outcome.ratified`` where there was a ratification
    stage. It asks whether a ratifiable package exists, and assumes the
    negotiators find it: an upper bound on the chance that the text they
    actually put to the vote passes.
``p_holds``
    Where the scenario has ``dynamics``, the durability engine's
    probability (:func:`offramp.durability.durability`, its Monte Carlo
    draws) that the deal holds from ``as_of`` to ``outcome.observed``, the
    date the record was checked: the horizon is that span, fixed by when we
    look, not by what happened. The deal assessed is the Nash package of
    the ratified ZOPA at point values (the default of ``offramp
    durability``), else the sweep's most frequent Nash package; with
    neither, there is no forecast. Scored against ``outcome.held``.

The sweep's product ``p_zopa * p_ratified`` is its ``p_agreement`` (a
ratified agreement exists); the two factors are scored apart because each
has its own observed outcome. ``observed`` is the only outcome field a
forecast sees (as its horizon); :func:`forecast_case` takes it as a
parameter and never reads the rest of the outcome.

Everything here is pure: scenarios come in as validated objects (reading the
directory is the CLI's job), and the same scenarios, draws and seed give the
same numbers.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from offramp.backtest.brier import brier, calibration, loo_base_rate, skill
from offramp.durability import default_package, durability
from offramp.problem import compile_problem
from offramp.scenario.outcome import DAYS_PER_YEAR
from offramp.scenario.schema import Outcome, Scenario
from offramp.uncertainty.sweep import sweep

__all__ = [
    "TARGETS",
    "CaseForecast",
    "CaseResult",
    "CasesBacktest",
    "Observed",
    "backtest_cases",
    "forecast_case",
    "observed_of",
    "score_cases",
]

TARGETS = ("p_agreement", "p_ratified", "p_holds")
"""The forecasts scored, in report order."""


@dataclass(frozen=True)
class Observed:
    """What happened, as the scorer needs it (the structured fields of ``outcome:``)."""

    agreement: bool
    observed: dt.date
    signed: dt.date | None = None
    ratified: bool | None = None
    route: str | None = None
    held: bool | None = None
    held_years: float | None = None

    def value(self, target: str) -> float:
        """The outcome a target is scored against: 1.0, 0.0 or NaN (none observed)."""
        flag = {"p_agreement": self.agreement, "p_ratified": self.ratified, "p_holds": self.held}[
            target
        ]
        return math.nan if flag is None else float(flag)

    def to_dict(self) -> dict[str, Any]:
        """The case's ``outcome`` in the JSON."""
        return {
            "agreement": self.agreement,
            "signed": None if self.signed is None else self.signed.isoformat(),
            "ratified": self.ratified,
            "route": self.route,
            "held": self.held,
            "held_years": self.held_years,
            "observed": self.observed.isoformat(),
        }


@dataclass(frozen=True)
class CaseForecast:
    """offramp's three forecasts for one case (None: no forecast), and how they were made."""

    p_agreement: float
    p_ratified: float | None
    p_holds: float | None
    horizon_years: float | None
    package: dict[str, str] | None
    draws: int
    seed: int

    def get(self, target: str) -> float:
        """A forecast by target name, NaN when there is none."""
        value = getattr(self, target)
        return math.nan if value is None else float(value)


@dataclass(frozen=True)
class CaseResult:
    """One scored case."""

    id: str
    title: str
    as_of: dt.date
    outcome: Observed
    forecast: CaseForecast
    base_rate: dict[str, float]

    def squared_errors(self, forecaster: str) -> dict[str, float | None]:
        """Each target's ``(p - o)^2`` for ``offramp`` or ``base_rate`` (None: not scored)."""
        out: dict[str, float | None] = {}
        for t in TARGETS:
            p = self.forecast.get(t) if forecaster == "offramp" else self.base_rate[t]
            o = self.outcome.value(t)
            out[t] = None if math.isnan(p) or math.isnan(o) else (p - o) ** 2
        return out

    def to_dict(self) -> dict[str, Any]:
        """The case's entry under ``cases``."""
        f = self.forecast
        return {
            "id": self.id,
            "title": self.title,
            "as_of": self.as_of.isoformat(),
            "outcome": self.outcome.to_dict(),
            "forecasts": {t: _num(f.get(t)) for t in TARGETS},
            "base_rate": {t: _num(self.base_rate[t]) for t in TARGETS},
            "brier": {
                "offramp": {k: _num(v) for k, v in self.squared_errors("offramp").items()},
                "base_rate": {k: _num(v) for k, v in self.squared_errors("base_rate").items()},
            },
            "agreement_known_at_as_of": self.outcome.signed is not None
            and self.outcome.signed <= self.as_of,
            "horizon_years": f.horizon_years,
            "package": f.package,
        }


@dataclass(frozen=True)
class CasesBacktest:
    """The result of :func:`score_cases`; :meth:`to_dict` is the JSON of ``backtest cases``."""

    dataset: str
    cases: tuple[CaseResult, ...]
    draws: int
    seed: int
    bins: int = 5

    def scores(self) -> dict[str, dict[str, float | int | None]]:
        """``offramp``, ``base_rate`` and ``skill`` per target and ``all``; ``n`` scored.

        A target is scored over the cases with an outcome, an offramp forecast
        and a base-rate forecast (the same cases for both forecasters).
        """
        out: dict[str, dict[str, float | int | None]] = {
            "offramp": {},
            "base_rate": {},
            "skill": {},
            "n": {},
        }
        pooled: dict[str, list[float]] = {"p": [], "b": [], "o": []}
        for t in (*TARGETS, "all"):
            if t == "all":
                p, b, o = (np.array(pooled[k]) for k in ("p", "b", "o"))
            else:
                p, b, o = self._paired(t)
                pooled["p"] += p.tolist()
                pooled["b"] += b.tolist()
                pooled["o"] += o.tolist()
            ours, ref = brier(p, o), brier(b, o)
            out["offramp"][t] = _num(ours)
            out["base_rate"][t] = _num(ref)
            out["skill"][t] = _num(skill(ours, ref))
            out["n"][t] = int(o.size)
        return out

    def _paired(self, target: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = np.array([c.forecast.get(target) for c in self.cases], dtype=np.float64)
        b = np.array([c.base_rate[target] for c in self.cases], dtype=np.float64)
        o = np.array([c.outcome.value(target) for c in self.cases], dtype=np.float64)
        ok = np.isfinite(p) & np.isfinite(b) & np.isfinite(o)
        return p[ok], b[ok], o[ok]

    def calibration(self) -> list[dict[str, Any]]:
        """Calibration bins of offramp's forecasts, per target and pooled (``all``)."""
        rows: list[dict[str, Any]] = []
        pooled_p: list[float] = []
        pooled_o: list[float] = []
        for t in TARGETS:
            p = [c.forecast.get(t) for c in self.cases]
            o = [c.outcome.value(t) for c in self.cases]
            pooled_p += p
            pooled_o += o
            rows += _bins(t, p, o, self.bins)
        return _bins("all", pooled_p, pooled_o, self.bins) + rows

    def to_dict(self) -> dict[str, Any]:
        """``dataset``, ``cases``, ``brier`` (offramp, base_rate, skill, n), ``calibration``."""
        return {
            "dataset": self.dataset,
            "draws": self.draws,
            "seed": self.seed,
            "cases": [c.to_dict() for c in self.cases],
            "brier": self.scores(),
            "calibration": self.calibration(),
        }


def _bins(target: str, p: Sequence[float], o: Sequence[float], bins: int) -> list[dict[str, Any]]:
    return [
        {"target": target, "lo": b.lo, "hi": b.hi, "n": b.n, "forecast": b.forecast}
        | {"observed": b.observed}
        for b in calibration(p, o, bins)
    ]


def _num(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 6)


def observed_of(outcome: Outcome) -> Observed:
    """The scored fields of a scenario's ``outcome:`` block."""
    return Observed(
        agreement=outcome.agreement,
        observed=outcome.observed,
        signed=outcome.signed,
        ratified=outcome.ratified,
        route=outcome.route,
        held=outcome.held,
        held_years=outcome.held_years,
    )


def forecast_case(
    scenario: Scenario,
    observed: dt.date,
    *,
    draws: int = 1000,
    seed: int = 0,
) -> CaseForecast:
    """offramp's forecasts of one case: ``p_agreement``, ``p_ratified``, ``p_holds``.

    Parameters
    ----------
    scenario : Scenario
        The case's inputs; its ``outcome`` (if any) is not read.
    observed : date
        When the record was last checked: the end of the horizon of ``p_holds``.
    draws : int, default 1000
        Monte Carlo draws of the sweep and of the durability engine.
    seed : int, default 0

    Returns
    -------
    CaseForecast

    Examples
    --------
    >>> from offramp.scenario import load_scenario_text
    >>> s = load_scenario_text('''
    ... id: t
    ... title: t
    ... as_of: 2000-01-01
    ... issues:
    ...   - {id: i, label: i, options: [{id: x, label: x, at: 0}, {id: y, label: y, at: 100}]}
    ... actors:
    ...   - {id: a, label: A, power: 50, veto: true, batna: {uniform: [0.2, 0.8]},
    ...      stances: [{issue: i, position: x, salience: 1, values: {x: 0.6, y: 0.0}}]}
    ...   - {id: b, label: B, power: 50, veto: true, batna: 0.1,
    ...      stances: [{issue: i, position: y, salience: 1, values: {x: 0.5, y: 1.0}}]}
    ... publics:
    ...   - {id: pb, label: PB, of: b, threshold: 0.5, rules: [{when: {}, reject: 0.4}]}
    ... ''')
    >>> f = forecast_case(s, dt.date(2005, 1, 1), draws=400, seed=1)
    >>> 0.4 < f.p_agreement < 0.8, f.p_ratified, f.p_holds
    (True, 1.0, None)
    """
    # The outcome is dropped before compiling: no engine can see it.
    problem = compile_problem(scenario.model_copy(update={"outcome": None}))
    summary, _ = sweep(problem, draws=draws, seed=seed)
    p_zopa = summary.p_zopa
    p_ratified = summary.p_agreement / p_zopa if p_zopa > 0 else None
    p_holds: float | None = None
    horizon: float | None = None
    package: dict[str, str] | None = None
    if problem.dynamics is not None:
        package = default_package(problem)
        if package is None and summary.nash_packages:
            # the most frequent Nash package (ties: the lower package index)
            package = dict(summary.nash_packages[0]["package"])
        if package is not None:
            horizon = round(max(0.0, (observed - scenario.as_of).days / DAYS_PER_YEAR), 2)
            result = durability(problem, package, draws=draws, seed=seed, years=(horizon,))
            p_holds = result.p_holds[str(horizon)]
    return CaseForecast(
        p_agreement=p_zopa,
        p_ratified=p_ratified,
        p_holds=p_holds,
        horizon_years=horizon,
        package=package,
        draws=draws,
        seed=seed,
    )


def score_cases(
    ids: Sequence[tuple[str, str, dt.date]],
    forecasts: Sequence[CaseForecast],
    outcomes: Sequence[Observed],
    *,
    dataset: str = "",
    bins: int = 5,
) -> CasesBacktest:
    """Score forecasts against outcomes, with the leave-one-out base rate of the library.

    Parameters
    ----------
    ids : sequence of (id, title, as_of)
        One per case.
    forecasts : sequence of CaseForecast
    outcomes : sequence of Observed
        In the same order.
    dataset : str
        A name for the library (the directory).
    bins : int, default 5
        Bins of the calibration table.

    Returns
    -------
    CasesBacktest
    """
    if not len(ids) == len(forecasts) == len(outcomes):
        raise ValueError("ids, forecasts and outcomes must have the same length")
    base = {t: loo_base_rate([o.value(t) for o in outcomes]) for t in TARGETS}
    cases = tuple(
        CaseResult(
            id=case_id,
            title=title,
            as_of=as_of,
            outcome=outcomes[k],
            forecast=forecasts[k],
            base_rate={t: float(base[t][k]) for t in TARGETS},
        )
        for k, (case_id, title, as_of) in enumerate(ids)
    )
    draws = forecasts[0].draws if forecasts else 0
    seed = forecasts[0].seed if forecasts else 0
    return CasesBacktest(dataset=dataset, cases=cases, draws=draws, seed=seed, bins=bins)


def backtest_cases(
    cases: Sequence[tuple[Scenario, Observed]],
    *,
    dataset: str = "",
    draws: int = 1000,
    seed: int = 0,
) -> CasesBacktest:
    """Forecast every case (:func:`forecast_case`) and score the library (:func:`score_cases`)."""
    forecasts = [forecast_case(s, o.observed, draws=draws, seed=seed) for s, o in cases]
    ids = [(s.id, s.title, s.as_of) for s, _ in cases]
    return score_cases(ids, forecasts, [o for _, o in cases], dataset=dataset)
