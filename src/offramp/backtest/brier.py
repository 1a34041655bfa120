"""Scores of probability forecasts of yes/no outcomes: Brier, a base rate, calibration.

The Brier score (Brier 1950) of forecasts ``p_i`` of outcomes ``o_i`` in
{0, 1} is the mean squared error ``B = (1/n) sum_i (p_i - o_i)^2``: 0 is a
perfect forecaster, 0.25 the one who always says 0.5, 1 the one who is
always certain and always wrong.

A forecaster is only as good as what it beats. The reference here is the
**base rate** of the library itself, computed **leave one out**: the
forecast of case ``i`` is the share of the *other* cases whose outcome was
yes, ``b_i = (sum_j o_j - o_i) / (n - 1)``, so a case never forecasts
itself (the in-sample base rate would be a forecaster that has seen the
answer; Hastie, Tibshirani & Friedman 2009, sec. 7.10). The skill score
is ``1 - B / B_ref`` (Murphy 1973): above 0 the forecasts beat the base rate.

A **calibration table** (Murphy & Winkler 1977) bins the forecasts by their
probability and sets each bin's mean forecast beside the observed frequency
of yes in it; a calibrated forecaster's points lie on the diagonal.

Missing values are NaN: a forecast that does not exist (no model could make
it) or an outcome that was not observed is left out of every score, and
scores that compare two forecasters use only the cases both forecast.

References
----------
.. [1] Brier, G. W. (1950). Verification of forecasts expressed in terms of
   probability. Monthly Weather Review 78(1), 1-3.
   https://doi.org/10.1175/1520-0493(1950)078<0001:VOFEIT>2.0.CO;2
.. [2] Murphy, A. H. (1973). A new vector partition of the probability
   score. Journal of Applied Meteorology 12(4), 595-600.
   https://doi.org/10.1175/1520-0450(1973)012<0595:ANVPOT>2.0.CO;2
.. [3] Murphy, A. H. & Winkler, R. L. (1977). Reliability of subjective
   probability forecasts of precipitation and temperature. Journal of the
   Royal Statistical Society C 26(1), 41-47. https://doi.org/10.2307/2346866
.. [4] Hastie, T., Tibshirani, R. & Friedman, J. (2009). The Elements of
   Statistical Learning, 2nd ed. Springer.
   https://doi.org/10.1007/978-0-387-84858-7
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["CalibrationBin", "brier", "calibration", "loo_base_rate", "skill"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class CalibrationBin:
    """One bin ``[lo, hi)`` of forecast probability (the last bin includes 1).

    ``forecast`` is the mean forecast of the ``n`` cases in it and
    ``observed`` the share of them whose outcome was yes (None when empty).
    """

    lo: float
    hi: float
    n: int
    forecast: float | None
    observed: float | None


def _pairs(forecast: ArrayLike, outcome: ArrayLike) -> tuple[FloatArray, FloatArray]:
    p = np.asarray(forecast, dtype=np.float64)
    o = np.asarray(outcome, dtype=np.float64)
    if p.shape != o.shape:
        raise ValueError(f"forecast shape {p.shape} differs from outcome shape {o.shape}")
    ok = np.isfinite(p) & np.isfinite(o)
    return p[ok], o[ok]


def brier(forecast: ArrayLike, outcome: ArrayLike) -> float:
    """Mean squared difference of forecasts and 0/1 outcomes where both exist.

    Parameters
    ----------
    forecast : array_like of float, shape (n,)
        Probabilities in [0, 1]; NaN where there is none.
    outcome : array_like of float, shape (n,)
        1 (yes), 0 (no) or NaN (not observed).

    Returns
    -------
    float
        NaN when no case has both.

    Examples
    --------
    >>> round(brier([0.9, 0.2, 0.5, float("nan")], [1, 0, 0, 1]), 12)
    0.1
    """
    p, o = _pairs(forecast, outcome)
    if p.size == 0:
        return float("nan")
    return float(np.mean((p - o) ** 2))


def loo_base_rate(outcome: ArrayLike) -> FloatArray:
    """Each case's leave-one-out base rate: the share of yes among the other observed cases.

    Parameters
    ----------
    outcome : array_like of float, shape (n,)
        1, 0 or NaN (not observed: neither forecast for nor counted).

    Returns
    -------
    ndarray of float64, shape (n,)
        NaN for an unobserved case, and for every case when fewer than two
        are observed (there is no other case to learn a rate from).

    Examples
    --------
    Three observed cases (yes, no, yes) and one unobserved:

    >>> loo_base_rate([1, 0, 1, float("nan")]).tolist()
    [0.5, 1.0, 0.5, nan]
    """
    o = np.asarray(outcome, dtype=np.float64)
    seen = np.isfinite(o)
    n = int(seen.sum())
    out = np.full(o.shape, np.nan)
    if n < 2:
        return out
    total = float(o[seen].sum())
    out[seen] = (total - o[seen]) / (n - 1)
    return out


def skill(score: float, reference: float) -> float:
    """The skill score ``1 - score / reference`` (NaN when the reference is 0 or NaN).

    Examples
    --------
    >>> skill(0.1, 0.25)
    0.6
    """
    if not np.isfinite(score) or not np.isfinite(reference) or reference == 0:
        return float("nan")
    return float(1.0 - score / reference)


def calibration(
    forecast: ArrayLike, outcome: ArrayLike, bins: int = 5
) -> tuple[CalibrationBin, ...]:
    """Bins of equal width over [0, 1]: mean forecast against observed frequency.

    Parameters
    ----------
    forecast, outcome : array_like of float, shape (n,)
        As in :func:`brier`; pairs with a NaN are left out.
    bins : int, default 5
        Number of bins; bin ``k`` is ``[k/bins, (k+1)/bins)``, the last one
        closed at 1.

    Returns
    -------
    tuple of CalibrationBin
        Every bin, empty ones included (``n`` 0).

    Examples
    --------
    >>> [(b.n, b.forecast, b.observed) for b in calibration([0.1, 0.15, 0.9, 1.0], [0, 1, 1, 1], 2)]
    [(2, 0.125, 0.5), (2, 0.95, 1.0)]
    """
    if bins < 1:
        raise ValueError(f"bins must be >= 1; got {bins}")
    p, o = _pairs(forecast, outcome)
    k = np.minimum((p * bins).astype(np.int64), bins - 1)
    out = []
    for b in range(bins):
        inside = k == b
        n = int(inside.sum())
        out.append(
            CalibrationBin(
                lo=b / bins,
                hi=(b + 1) / bins,
                n=n,
                forecast=float(p[inside].mean()) if n else None,
                observed=float(o[inside].mean()) if n else None,
            )
        )
    return tuple(out)
