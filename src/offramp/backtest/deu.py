"""The DEU III backtest: every model on every issue, scored, with 80% intervals.

:func:`backtest_deu` takes a :class:`~offramp.backtest.models.DeuProblem`
(arrays; no file is read here) and returns a :class:`DeuBacktest`, whose
:meth:`~DeuBacktest.to_dict` is the stable JSON of ``offramp backtest deu``:

``dataset``, ``issues`` (number scored), ``capability``, ``models`` (per
model ``mae``, ``rmse``, ``median_ae``, ``n``, ``delta_vs_weighted_mean``
``[lo, est, hi]``, ``coverage80``, ``width80``, ``coverage80_kind``, and
``coverage80_cv`` / ``width80_cv`` when the reported coverage is wholly or
partly in sample: when scored issues (by ``isnr``) are also in the
calibration file),
``coverage_by_level`` (cross-validated coverage at nominal levels 0.5-0.95,
the calibration curve), ``per_issue`` (``isnr``, ``prnr``, ``out``, ``forecasts``, ``intervals``),
``calibration`` (how intervals and fitted parameters were obtained),
``width80_unconditional`` (the 10-90% range of the calibration outcomes, the
interval of a forecaster who ignores every input) and ``skipped`` (issues
with an outcome that no model can forecast).

Scored issues are those with an outcome; the paired bootstrap
(:func:`offramp.backtest.scoring.delta_interval`) uses the same resamples of
proposals for every model.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from offramp.backtest.anchored import anchored_inputs, fit_anchored, predict_anchored
from offramp.backtest.intervals import (
    LEVEL,
    conformal_quantile,
    coverage,
    cross_validated,
    interval,
    nonconformity,
    proposal_folds,
    spread,
)
from offramp.backtest.models import MODELS as PUBLISHED
from offramp.backtest.models import DeuProblem, forecast, weights
from offramp.backtest.scoring import delta_interval, scores
from offramp.backtest.stacked import MEMBERS, fit_stacked

__all__ = ["BASELINE", "MODEL_NAMES", "DeuBacktest", "IssueResult", "ModelResult", "backtest_deu"]

FloatArray = NDArray[np.float64]

BASELINE = "weighted_mean"
MODEL_NAMES: tuple[str, ...] = (*PUBLISHED, "anchored", "stacked")
"""Every model the backtest knows, in report order."""
FOLDS = 10
CURVE = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
"""Nominal levels of the calibration curve (cross-validated coverage at each)."""


@dataclass(frozen=True)
class ModelResult:
    """One model's scores on the scored issues."""

    name: str
    mae: float
    rmse: float
    median_ae: float
    n: int
    delta_vs_weighted_mean: tuple[float, float, float]
    coverage80: float
    width80: float
    coverage80_kind: str
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The model's entry under ``models`` in the JSON."""
        data: dict[str, Any] = {
            "mae": _num(self.mae),
            "rmse": _num(self.rmse),
            "median_ae": _num(self.median_ae),
            "n": self.n,
            "delta_vs_weighted_mean": [_num(v) for v in self.delta_vs_weighted_mean],
            "coverage80": _num(self.coverage80),
            "width80": _num(self.width80),
            "coverage80_kind": self.coverage80_kind,
            "seconds": round(self.seconds, 3),
        }
        return data | {k: _jsonable(v) for k, v in self.extra.items()}


@dataclass(frozen=True)
class IssueResult:
    """One scored issue: its outcome, every model's forecast and 80% interval."""

    isnr: str
    prnr: str
    out: float
    forecasts: dict[str, float]
    intervals: dict[str, tuple[float, float]]

    def to_dict(self) -> dict[str, Any]:
        """The issue's entry under ``per_issue``."""
        return {
            "isnr": self.isnr,
            "prnr": self.prnr,
            "out": self.out,
            "forecasts": {k: _num(v) for k, v in self.forecasts.items()},
            "intervals": {k: [_num(lo), _num(hi)] for k, (lo, hi) in self.intervals.items()},
        }


@dataclass(frozen=True)
class DeuBacktest:
    """The result of :func:`backtest_deu`."""

    dataset: str
    capability: str
    issues: int
    models: dict[str, ModelResult]
    per_issue: tuple[IssueResult, ...]
    calibration: dict[str, Any]
    width80_unconditional: float
    skipped: tuple[str, ...]
    boot: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON of ``offramp backtest deu`` (see the module docstring)."""
        return {
            "dataset": self.dataset,
            "issues": self.issues,
            "capability": self.capability,
            "models": {name: m.to_dict() for name, m in self.models.items()},
            "per_issue": [i.to_dict() for i in self.per_issue],
            "calibration": _jsonable(self.calibration),
            "width80_unconditional": _num(self.width80_unconditional),
            "skipped": list(self.skipped),
            "boot": self.boot,
            "seed": self.seed,
        }


def _num(value: float) -> float | None:
    return None if not math.isfinite(value) else round(float(value), 6)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float | np.floating):
        return _num(float(value))
    if isinstance(value, np.integer):
        return int(value)
    return value


def _same_data(a: DeuProblem, b: DeuProblem) -> bool:
    return a.issue == b.issue and bool(np.array_equal(a.out, b.out, equal_nan=True))


def _anchored_cv(
    problem: DeuProblem, folds: NDArray[np.intp]
) -> tuple[FloatArray, list[dict[str, float]]]:
    mean, med, rp = anchored_inputs(problem)
    pred = np.full(mean.shape, np.nan)
    fits = []
    for f in np.unique(folds):
        here = folds == f
        train = np.where(here, np.nan, problem.out)
        fit = fit_anchored(mean, med, rp, train)
        pred[here] = predict_anchored(mean[here], med[here], rp[here], fit.alpha, fit.beta)
        fits.append({"fold": int(f), "alpha": fit.alpha, "beta": fit.beta})
    return pred, fits


def _stacked(
    problem: DeuProblem,
    done: dict[str, FloatArray],
    folds: NDArray[np.intp],
    fit_on: tuple[DeuProblem, dict[str, FloatArray]] | None,
) -> tuple[FloatArray, dict[str, Any]]:
    """The stacked ensemble: weights by CV on ``problem``, or fitted on ``fit_on``."""
    members = np.stack([done[m] for m in MEMBERS], axis=1)
    if fit_on is not None:
        cal, cal_done = fit_on
        w = fit_stacked(np.stack([cal_done[m] for m in MEMBERS], axis=1), cal.out)
        weights_ = dict(zip(MEMBERS, w.tolist(), strict=True))
        return members @ w, {"fitted": "calibration file", "weights": weights_}
    pred = np.full(problem.out.shape, np.nan)
    fits = []
    for f in np.unique(folds):
        here = folds == f
        w = fit_stacked(members, np.where(here, np.nan, problem.out))
        pred[here] = members[here] @ w
        fits.append({"fold": int(f), "weights": dict(zip(MEMBERS, w.tolist(), strict=True))})
    return pred, {"fitted": "10-fold cross-validation by proposal", "folds": fits}


def _forecasts(
    problem: DeuProblem,
    names: Sequence[str],
    folds: NDArray[np.intp],
    fit_on: tuple[DeuProblem, dict[str, FloatArray]] | None = None,
) -> tuple[dict[str, FloatArray], dict[str, float], dict[str, dict[str, Any]]]:
    """Every model's forecasts on ``problem``; the fitted ones on ``fit_on`` or by CV.

    ``fit_on`` is a calibration problem with its members' forecasts.

    ``stacked`` needs every member's forecasts: those not asked for are
    computed too (and not reported).
    """
    out: dict[str, FloatArray] = {}
    seconds: dict[str, float] = {}
    extra: dict[str, dict[str, Any]] = {}
    wanted = list(names)
    if "stacked" in wanted:  # members first, the ensemble last
        wanted = [n for n in wanted if n != "stacked"]
        wanted += [m for m in MEMBERS if m not in wanted] + ["stacked"]
    for name in wanted:
        start = time.perf_counter()
        if name == "stacked":
            out[name], extra[name] = _stacked(problem, out, folds, fit_on)
        elif name == "anchored":
            if fit_on is None:
                out[name], fits = _anchored_cv(problem, folds)
                extra[name] = {"fitted": "10-fold cross-validation by proposal", "folds": fits}
            else:
                fit = fit_anchored(*anchored_inputs(fit_on[0]), fit_on[0].out)
                out[name] = predict_anchored(*anchored_inputs(problem), fit.alpha, fit.beta)
                extra[name] = {"fitted": "calibration file", "alpha": fit.alpha, "beta": fit.beta}
        else:
            out[name] = forecast(problem, name)
        seconds[name] = time.perf_counter() - start
    return out, seconds, extra


def backtest_deu(
    problem: DeuProblem,
    models: Sequence[str] = MODEL_NAMES,
    *,
    dataset: str = "",
    capability: str = "council",
    boot: int = 2000,
    seed: int = 0,
    calibrate: DeuProblem | None = None,
    calibrate_name: str = "",
) -> DeuBacktest:
    """Score forecast models on DEU issues, with 80% conformal intervals.

    Parameters
    ----------
    problem : DeuProblem
        The issues to score (those with an outcome are scored).
    models : sequence of str
        Names from :data:`MODEL_NAMES`; the baseline ``weighted_mean`` is
        always run (and reported first).
    dataset, capability : str
        Labels for the result.
    boot : int, default 2000
        Bootstrap resamples of proposals for ``delta_vs_weighted_mean``.
    seed : int, default 0
        Seeds the bootstrap and the cross-validation folds.
    calibrate : DeuProblem, optional
        Issues (with outcomes) to fit the intervals and ``anchored`` on.
        Without it both are cross-validated by proposal on ``problem``.
    calibrate_name : str
        Label of the calibration data.

    Returns
    -------
    DeuBacktest

    Raises
    ------
    ValueError
        For an unknown model name.
    """
    unknown = [m for m in models if m not in MODEL_NAMES]
    if unknown:
        raise ValueError(f"unknown model {unknown[0]!r}; choose from {', '.join(MODEL_NAMES)}")
    names = [BASELINE, *(m for m in dict.fromkeys(models) if m != BASELINE)]
    scored = np.isfinite(problem.out)
    ok = scored & problem.weighable
    skipped = tuple(i for i, s, w in zip(problem.issue, scored, ok, strict=True) if s and not w)
    folds = proposal_folds(problem.proposal, FOLDS, seed)
    same = calibrate is not None and _same_data(problem, calibrate)
    if calibrate is not None and not same:
        # the calibration file's own (cross-validated) forecasts, for the intervals'
        # residuals; the fitted models are then fitted on all of it for this file
        cal_preds = _forecasts(calibrate, names, proposal_folds(calibrate.proposal, FOLDS, seed))[0]
        preds, seconds, extra = _forecasts(problem, names, folds, (calibrate, cal_preds))
    else:
        preds, seconds, extra = _forecasts(problem, names, folds)
        cal_preds = preds
    w = weights(problem)
    if calibrate is not None:
        cal_w = weights(calibrate)
        shared = len(set(np.asarray(problem.issue)[ok]) & set(calibrate.issue))
        if same or shared == int(ok.sum()):
            kind = "in-sample"
        elif shared:
            kind = (
                f"partly in-sample ({shared} of {int(ok.sum())} issues are in the calibration file)"
            )
        else:
            kind = "out-of-sample"
        unconditional = np.nanquantile(calibrate.out, [0.1, 0.9])
    else:
        kind = "cross-validated by proposal (10 folds)"
        unconditional = np.nanquantile(problem.out, [0.1, 0.9])
    lows: dict[str, FloatArray] = {}
    highs: dict[str, FloatArray] = {}
    results: dict[str, ModelResult] = {}
    base_error = np.abs(preds[BASELINE] - problem.out)
    for name in names:
        f = preds[name]
        scale = spread(problem.position, w, f)
        score = nonconformity(f, problem.out, scale)
        cv_lo, cv_hi = interval(f, scale, cross_validated(score, folds))
        more = dict(extra.get(name, {}))
        curve = {}
        for level in CURVE:
            lv_lo, lv_hi = interval(f, scale, cross_validated(score, folds, level))
            curve[f"{level:g}"] = coverage(lv_lo[ok], lv_hi[ok], problem.out[ok])[0]
        more["coverage_by_level"] = curve
        if calibrate is None:
            lo, hi = cv_lo, cv_hi
        else:
            cf = cal_preds[name]
            cal_scale = spread(calibrate.position, cal_w, cf)
            q = conformal_quantile(nonconformity(cf, calibrate.out, cal_scale))
            lo, hi = interval(f, scale, q)
            more["q80"] = q
            if kind != "out-of-sample":
                cov_cv, width_cv = coverage(cv_lo[ok], cv_hi[ok], problem.out[ok])
                more |= {"coverage80_cv": cov_cv, "width80_cv": width_cv}
        lows[name], highs[name] = lo, hi
        s = scores(f[ok], problem.out[ok])
        error = np.abs(f - problem.out)
        delta = delta_interval(error[ok], base_error[ok], np.asarray(problem.proposal)[ok],
                               boot=boot, seed=seed)  # fmt: skip
        cov, width = coverage(lo[ok], hi[ok], problem.out[ok])
        results[name] = ModelResult(
            name, s.mae, s.rmse, s.median_ae, s.n, delta, cov, width, kind, seconds[name], more
        )
    per_issue = tuple(
        IssueResult(
            problem.issue[k],
            problem.proposal[k],
            float(problem.out[k]),
            {name: float(preds[name][k]) for name in names},
            {name: (float(lows[name][k]), float(highs[name][k])) for name in names},
        )
        for k in np.flatnonzero(ok)
    )
    calibration = {
        "level": LEVEL,
        "method": "normalized split-conformal (|y - f| / (spread + 5))",
        "source": calibrate_name
        if calibrate is not None
        else "cross-validation on the scored file",
        "coverage80_kind": kind,
        "folds": FOLDS,
    }
    return DeuBacktest(
        dataset=dataset,
        capability=capability,
        issues=int(ok.sum()),
        models=results,
        per_issue=per_issue,
        calibration=calibration,
        width80_unconditional=float(unconditional[1] - unconditional[0]),
        skipped=skipped,
        boot=boot,
        seed=seed,
    )
