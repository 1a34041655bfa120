"""Scores of forecasts against outcomes, and the paired bootstrap by proposal.

Errors are absolute: ``e = |forecast - outcome|`` on the 0-100 scale.  The
issues of one legislative proposal are decided together (by the same actors,
often in one package), so they are not independent draws; the bootstrap
resamples **proposals** (clusters) with replacement, keeps every issue of a
drawn proposal, and pairs the models (both are scored on the same resample).

For a resample with proposal counts ``K_p`` (how often proposal ``p`` was
drawn), the difference of mean absolute errors is

    delta = sum_p K_p (E_p^model - E_p^base) / sum_p K_p n_p

with ``E_p`` the summed errors of the ``n_p`` issues of proposal ``p``.  The
interval is the percentile interval of ``delta`` over the resamples (Efron &
Tibshirani 1993, ch. 13); the point estimate is ``delta`` on the data.

References
----------
.. [1] Efron, B. & Tibshirani, R. J. (1993). An Introduction to the
   Bootstrap. Chapman & Hall. https://doi.org/10.1201/9780429246593
.. [2] Field, C. A. & Welsh, A. H. (2007). Bootstrapping clustered data.
   Journal of the Royal Statistical Society B 69(3), 369-390.
   https://doi.org/10.1111/j.1467-9868.2007.00593.x
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Scores", "cluster_counts", "delta_interval", "proposal_index", "scores"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Scores:
    """Point scores of one model: mean, root-mean-square and median absolute error."""

    mae: float
    rmse: float
    median_ae: float
    n: int


def scores(forecast: ArrayLike, outcome: ArrayLike) -> Scores:
    """MAE, RMSE and median absolute error over the issues where both are finite.

    Examples
    --------
    >>> s = scores([10.0, 50.0, 80.0, 5.0], [0.0, 50.0, 100.0, float("nan")])
    >>> s.mae, round(s.rmse, 4), s.median_ae, s.n
    (10.0, 12.9099, 10.0, 3)
    """
    f = np.asarray(forecast, dtype=np.float64)
    y = np.asarray(outcome, dtype=np.float64)
    ok = np.isfinite(f) & np.isfinite(y)
    e = np.abs(f[ok] - y[ok])
    if e.size == 0:
        return Scores(float("nan"), float("nan"), float("nan"), 0)
    return Scores(float(e.mean()), float(np.sqrt(np.mean(e**2))), float(np.median(e)), int(e.size))


def proposal_index(proposals: ArrayLike) -> tuple[NDArray[np.intp], int]:
    """Number the proposals 0..P-1 in order of first appearance.

    Examples
    --------
    >>> proposal_index(["b", "a", "b", "c"])
    (array([0, 1, 0, 2]), 3)
    """
    labels = np.asarray(proposals)
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[inverse.reshape(-1)].astype(np.intp), int(order.size)


def cluster_counts(n_clusters: int, boot: int, seed: int) -> NDArray[np.int64]:
    """How often each cluster is drawn in each of ``boot`` resamples, shape (boot, P).

    Each resample draws ``P`` clusters with replacement (a multinomial with
    equal probabilities); seeded with :func:`numpy.random.default_rng`.

    Examples
    --------
    >>> k = cluster_counts(3, 4, seed=1)
    >>> k.shape, k.sum(axis=1).tolist()
    ((4, 3), [3, 3, 3, 3])
    """
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters), size=boot).astype(
        np.int64
    )


def delta_interval(
    error: ArrayLike,
    base_error: ArrayLike,
    proposals: ArrayLike,
    *,
    boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """Paired bootstrap interval of MAE(model) - MAE(base), resampling proposals.

    Parameters
    ----------
    error, base_error : array_like of float, shape (k,)
        Absolute errors of the model and of the baseline on the same issues.
    proposals : array_like, shape (k,)
        The proposal each issue belongs to (any labels).
    boot : int, default 2000
        Number of resamples; 0 gives ``(nan, est, nan)``.
    seed : int, default 0
        Seed of the resampling (same seed, same counts for every model, so
        the models' intervals are computed on the same resamples).
    level : float, default 0.95
        Coverage of the percentile interval.

    Returns
    -------
    (lo, est, hi) : tuple of float

    Examples
    --------
    Two proposals; the model is 2 points better on the first, 0 on the second:

    >>> lo, est, hi = delta_interval([1.0, 1.0, 5.0], [3.0, 3.0, 5.0], ["a", "a", "b"], boot=500)
    >>> round(est, 4), -2.0 <= lo <= hi <= 0.0
    (-1.3333, True)
    """
    e = np.asarray(error, dtype=np.float64)
    b = np.asarray(base_error, dtype=np.float64)
    if e.shape != b.shape or e.ndim != 1:
        raise ValueError(f"errors must be two arrays of one shape (k,); got {e.shape}, {b.shape}")
    index, p = proposal_index(proposals)
    if index.shape != e.shape:
        raise ValueError(f"proposals must have shape {e.shape}; got {index.shape}")
    if e.size == 0:
        return (float("nan"), float("nan"), float("nan"))
    diff = np.bincount(index, weights=e - b, minlength=p)
    size = np.bincount(index, minlength=p).astype(np.float64)
    est = float(diff.sum() / size.sum())
    if boot <= 0:
        return (float("nan"), est, float("nan"))
    counts = cluster_counts(p, boot, seed).astype(np.float64)
    deltas = (counts @ diff) / (counts @ size)
    tail = (1.0 - level) / 2.0
    lo, hi = np.quantile(deltas, [tail, 1.0 - tail])
    return (float(lo), est, float(hi))
