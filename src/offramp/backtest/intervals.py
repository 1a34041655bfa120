"""80% predictive intervals by normalized split-conformal calibration, and CV folds.

A model's point forecast ``f`` says nothing about how far the outcome may
fall from it; the interval does, calibrated on issues whose outcomes are
known (Vovk, Gammerman & Shafer 2005; Lei et al. 2018).  The nonconformity
score of an issue is the absolute error relative to how divided the actors
were:

    r = |y - f| / (spread + GAMMA),   spread = sum_i w_i |x_i - f| / sum_i w_i

(``w`` = capability x salience; Papadopoulos, Vovk & Gammerman 2011 call
this a normalized nonconformity measure).  When every weighty actor sits at
the forecast the outcome rarely lands far away; when they are split the
interval widens.  ``GAMMA`` = 5 points keeps a consensus issue's interval
from collapsing to a point (fixed, not fitted).  With ``q`` the
``ceil((n + 1) 0.8) / n`` empirical quantile of the calibration scores, the
interval is ``f +- q (spread + GAMMA)``, clipped to the 0-100 scale.  Under
exchangeability of issues the coverage is at least 80% on new issues.

Honesty about where the calibration issues come from:

* **cross-validated** (no ``--calibrate``): issues are split into 10 folds by
  proposal (:func:`proposal_folds`); each fold's intervals use the scores of
  the other nine.  Its coverage is out of sample.
* ``--calibrate DEV``: ``q`` comes from every issue of DEV; coverage on a
  file other than DEV is out of sample, on DEV itself **in sample** (and the
  cross-validated figure is reported beside it).

References
----------
.. [1] Vovk, V., Gammerman, A. & Shafer, G. (2005). Algorithmic Learning in a
   Random World. Springer. https://doi.org/10.1007/b106715
.. [2] Lei, J., G'Sell, M., Rinaldo, A., Tibshirani, R. J. & Wasserman, L.
   (2018). Distribution-free predictive inference for regression. Journal of
   the American Statistical Association 113(523), 1094-1111.
   https://doi.org/10.1080/01621459.2017.1307116
.. [3] Papadopoulos, H., Vovk, V. & Gammerman, A. (2011). Regression conformal
   prediction with nearest neighbours. Journal of Artificial Intelligence
   Research 40, 815-840. https://doi.org/10.1613/jair.3198
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from offramp.backtest.scoring import proposal_index

__all__ = [
    "GAMMA",
    "LEVEL",
    "conformal_quantile",
    "coverage",
    "cross_validated",
    "interval",
    "nonconformity",
    "proposal_folds",
    "spread",
]

FloatArray = NDArray[np.float64]

LEVEL = 0.8
"""Nominal coverage of the intervals."""
GAMMA = 5.0
"""Points added to the spread in the normalized score (fixed, not fitted)."""


def proposal_folds(proposals: ArrayLike, folds: int = 10, seed: int = 0) -> NDArray[np.intp]:
    """Fold of every issue: proposals permuted (seeded), then dealt round-robin.

    Examples
    --------
    >>> f = proposal_folds(["a", "a", "b", "c", "d"], folds=2, seed=0)
    >>> bool(f[0] == f[1]), sorted(set(f.tolist()))
    (True, [0, 1])
    """
    index, p = proposal_index(proposals)
    order = np.random.default_rng(seed).permutation(p)
    fold_of = np.empty(p, dtype=np.intp)
    fold_of[order] = np.arange(p) % max(1, min(folds, p))
    return fold_of[index]


def spread(position: FloatArray, w: FloatArray, forecast: FloatArray) -> FloatArray:
    """Weighted mean absolute distance of the positions from the forecast, (k,).

    ``position`` and ``w`` are (k, a) with ``w`` = 0 for absent actors.

    Examples
    --------
    >>> spread(np.array([[0.0, 100.0]]), np.array([[1.0, 3.0]]), np.array([75.0])).tolist()
    [37.5]
    """
    x = np.nan_to_num(position)
    total = w.sum(axis=1)
    dev = (w * np.abs(x - forecast[:, None])).sum(axis=1)
    return np.asarray(np.where(total > 0, dev / np.where(total > 0, total, 1.0), np.nan))


def nonconformity(forecast: FloatArray, outcome: FloatArray, scale: FloatArray) -> FloatArray:
    """``|y - f| / (scale + GAMMA)``."""
    return np.asarray(np.abs(outcome - forecast) / (scale + GAMMA))


def conformal_quantile(scores: ArrayLike, level: float = LEVEL) -> float:
    """The split-conformal quantile: the ``ceil((n + 1) level)``-th smallest score.

    Infinite when there are too few scores for the level.

    Examples
    --------
    >>> conformal_quantile([0.1, 0.2, 0.3, 0.4], 0.5), conformal_quantile([1.0], 0.8)
    (0.3, inf)
    """
    s = np.sort(np.asarray(scores, dtype=np.float64)[np.isfinite(scores)])
    rank = math.ceil((s.size + 1) * level)
    return float(s[rank - 1]) if 1 <= rank <= s.size else math.inf


def interval(
    forecast: FloatArray, scale: FloatArray, q: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """``f +- q (scale + GAMMA)`` clipped to [0, 100]; ``q`` scalar or per issue.

    Examples
    --------
    >>> lo, hi = interval(np.array([90.0]), np.array([5.0]), 2.0)
    >>> lo.tolist(), hi.tolist()
    ([70.0], [100.0])
    """
    half = np.asarray(q, dtype=np.float64) * (scale + GAMMA)
    lo = np.clip(forecast - half, 0.0, 100.0)
    hi = np.clip(forecast + half, 0.0, 100.0)
    return np.asarray(lo), np.asarray(hi)


def cross_validated(score: FloatArray, folds: NDArray[np.intp], level: float = LEVEL) -> FloatArray:
    """Per issue, the conformal quantile of the scores of the *other* folds, (k,).

    NaN scores (issues without an outcome) are not used for calibration.

    Examples
    --------
    >>> cross_validated(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 0, 1, 1]), 0.5).tolist()
    [4.0, 4.0, 2.0, 2.0]
    """
    q = np.full(score.shape, np.nan)
    for f in np.unique(folds):
        here = folds == f
        q[here] = conformal_quantile(score[~here], level)
    return q


def coverage(lo: FloatArray, hi: FloatArray, outcome: FloatArray) -> tuple[float, float]:
    """Share of outcomes inside their interval, and the mean width (finite outcomes only).

    Examples
    --------
    >>> coverage(np.array([0.0, 10.0]), np.array([20.0, 30.0]), np.array([5.0, 50.0]))
    (0.5, 20.0)
    """
    ok = np.isfinite(outcome) & np.isfinite(lo) & np.isfinite(hi)
    if not ok.any():
        return (math.nan, math.nan)
    inside = (lo[ok] <= outcome[ok]) & (outcome[ok] <= hi[ok])
    return float(inside.mean()), float((hi[ok] - lo[ok]).mean())
