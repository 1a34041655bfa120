"""``stacked``: a stacked ensemble of the published models, weights learned out of sample.

Frozen specification (committed in docs/backtest.md before any code of the
model existed or it was scored; this docstring repeats it).  Version 1.

Models that err differently can err less on average when combined, and the
combination weights are learned from training issues only (Breiman 1996).

1. Members, fixed: :data:`MEMBERS`, the forecasts of ``weighted_mean``,
   ``weighted_median``, ``eu``, ``eu_paper_text``, ``exchange`` and ``smp``
   on the same issue.
2. Forecast ``f = sum_m w_m f_m`` with the weights on the simplex grid: every
   ``w_m`` in {0, 0.1, ..., 1}, summing to 1 (3003 weight vectors).
3. The weights minimize the mean absolute error on the training issues
   (ties: the first vector in lexicographic order, largest weight on the
   earliest member first).
4. Scored only out of sample: 10-fold cross-validation by proposal, folds
   seeded by ``--seed``; with ``--calibrate DEV``, fitted on all of DEV and
   applied to the scored file.

References
----------
.. [1] Breiman, L. (1996). Stacked regressions. Machine Learning 24, 49-64.
   https://doi.org/10.1007/BF00117832
.. [2] Wolpert, D. H. (1992). Stacked generalization. Neural Networks 5(2),
   241-259. https://doi.org/10.1016/S0893-6080(05)80023-1
"""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
from numpy.typing import NDArray

__all__ = ["MEMBERS", "fit_stacked", "simplex_grid"]

FloatArray = NDArray[np.float64]

MEMBERS: tuple[str, ...] = (
    "weighted_mean",
    "weighted_median",
    "eu",
    "eu_paper_text",
    "exchange",
    "smp",
)
"""The models the ensemble combines, in tie-break order."""


@cache
def simplex_grid(members: int = len(MEMBERS), steps: int = 10) -> FloatArray:
    """Every weight vector with entries in {0, 1/steps, ..., 1} summing to 1, (G, members).

    Sorted in descending lexicographic order, so the first rows put the most
    weight on the earliest members.

    Examples
    --------
    >>> simplex_grid(2, 2).tolist()
    [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]
    >>> simplex_grid().shape
    (3003, 6)
    """
    rows = [c for c in itertools.product(range(steps, -1, -1), repeat=members) if sum(c) == steps]
    return np.asarray(rows, dtype=np.float64) / steps


def fit_stacked(forecasts: FloatArray, outcome: FloatArray) -> FloatArray:
    """Step 3: the grid weights with the smallest MAE on the issues with an outcome.

    Parameters
    ----------
    forecasts : ndarray, shape (k, M)
        The members' forecasts, one column per member of :data:`MEMBERS`.
    outcome : ndarray, shape (k,)
        NaN where unknown (not used).

    Returns
    -------
    ndarray, shape (M,)

    Examples
    --------
    >>> f = np.array([[0.0, 10.0], [0.0, 20.0]])
    >>> fit_stacked(f, np.array([3.0, 6.0])).tolist()
    [0.7, 0.3]
    """
    ok = np.isfinite(outcome) & np.all(np.isfinite(forecasts), axis=1)
    grid = simplex_grid(forecasts.shape[1])
    if not ok.any():
        return np.array(grid[0], dtype=np.float64)
    mae = np.abs(forecasts[ok] @ grid.T - outcome[ok][:, None]).mean(axis=0)
    return np.array(grid[int(np.argmin(np.round(mae, 12)))], dtype=np.float64)
