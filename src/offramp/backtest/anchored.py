"""``anchored``: a procedure-aware weighted compromise pulled toward the status quo.

Frozen specification (written, and committed, before the model was scored
on anything; docs/backtest.md repeats it).  Version 1.

Why.  The capability x salience weighted mean is the model to beat on EU
legislation (Achen 2006).  Two facts about EU decision-making it ignores are
documented independently of any DEU score:

* Under the consultation procedure (``proc == "CNS"``) the Parliament gives
  an opinion the Council may ignore; only under co-decision (``COD``) is it a
  co-legislator (Art. 294 TFEU; Thomson 2011, ch. 2).  The procedural models
  of the DEU project give it no say under consultation.
* A proposal amends an existing law or practice, and legislative outcomes
  are sticky: the status quo (DEU's reference point) bounds what the
  required majority can agree on (Tsebelis 2002; Crombez 1996).

The model, per issue:

1. Weights ``w_i = c_i s_i`` as for the weighted mean, except that the
   Parliament's capability is 0 under consultation.
2. ``m`` = weighted mean and ``d`` = weighted median of the positions under
   these weights (the median with the same midpoint rule as
   :func:`offramp.forecast._common.weighted_median`); where the Parliament
   was the only actor with weight, the rule falls back to the weights of
   step 1 without the change.
3. ``f = (1 - beta) m + beta d``; where the reference point ``rp`` is
   given, ``f <- (1 - alpha) f + alpha rp``.
4. ``alpha`` and ``beta`` are taken from the grid {0, 0.1, ..., 1} to
   minimize the mean absolute error on the training issues (ties: smaller
   ``alpha``, then smaller ``beta``).
5. Scored out of sample only: 10-fold cross-validation by proposal on the
   development file (folds: a permutation of the proposals seeded by the
   run's ``--seed``, dealt round-robin); each fold is forecast with the
   parameters fitted on the other nine.  With ``--calibrate DEV`` the
   parameters are fitted once on all of DEV and applied to the scored file.

Nothing else was tried under this name; any change is a new version with
its own written specification.

References
----------
.. [1] Achen, C. H. (2006). Evaluating political decision-making models. In
   Thomson et al. (eds.), The European Union Decides, Cambridge UP, 264-298.
.. [2] Crombez, C. (1996). Legislative procedures in the European Community.
   British Journal of Political Science 26(2), 199-228.
   https://doi.org/10.1017/S0007123400000442
.. [3] Tsebelis, G. (2002). Veto Players. Princeton University Press.
.. [4] Thomson, R. (2011). Resolving Controversy in the European Union.
   Cambridge University Press. https://doi.org/10.1017/CBO9781139005357
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from offramp.backtest.models import DeuProblem, statistics, weights

__all__ = ["GRID", "AnchoredFit", "anchored_inputs", "fit_anchored", "predict_anchored"]

FloatArray = NDArray[np.float64]

GRID: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(11))
"""The values tried for ``alpha`` and ``beta``."""


@dataclass(frozen=True)
class AnchoredFit:
    """The fitted parameters and the training MAE they reached."""

    alpha: float
    beta: float
    mae: float
    n: int


def anchored_inputs(problem: DeuProblem) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The procedure-aware weighted mean and median and the reference point, each (k,).

    Examples
    --------
    >>> from offramp.backtest.models import DeuProblem
    >>> nan = float("nan")
    >>> p = DeuProblem(("a",), ("a1",), ("CNS",), ("QMV",),
    ...     np.array([[0.0, 100.0, 20.0]]), np.array([[50.0, 50.0, 50.0]]),
    ...     np.array([[100.0, 100.0, 100.0]]), np.array([nan]), np.array([30.0]))
    >>> [v.tolist() for v in anchored_inputs(p)]  # EP (100) is left out under CNS
    [[10.0], [10.0], [nan]]
    """
    c = problem.capability.copy()
    cns = np.asarray([proc.strip().upper() == "CNS" for proc in problem.proc])
    c[cns, 1] = 0.0  # column 1 is the Parliament (offramp.io.deu.ACTORS)
    w = weights(problem, c)
    fallback = (w.sum(axis=1) <= 0)[:, None]
    w = np.where(fallback, weights(problem), w)
    mean, med = statistics(problem, w)
    return mean, med, problem.rp.copy()


def predict_anchored(
    mean: FloatArray, med: FloatArray, rp: FloatArray, alpha: float, beta: float
) -> FloatArray:
    """Step 3 of the specification.

    Examples
    --------
    >>> predict_anchored(np.array([40.0, 40.0]), np.array([60.0, 60.0]),
    ...                  np.array([0.0, np.nan]), 0.5, 0.5).tolist()
    [25.0, 50.0]
    """
    f = (1.0 - beta) * mean + beta * med
    return np.asarray(np.where(np.isfinite(rp), (1.0 - alpha) * f + alpha * rp, f))


def fit_anchored(mean: FloatArray, med: FloatArray, rp: FloatArray, out: FloatArray) -> AnchoredFit:
    """Step 4: the grid point with the smallest MAE on the issues given.

    Examples
    --------
    >>> fit = fit_anchored(np.array([40.0, 60.0]), np.array([40.0, 60.0]),
    ...                    np.array([0.0, 0.0]), np.array([20.0, 30.0]))
    >>> fit.alpha, fit.beta, fit.mae
    (0.5, 0.0, 0.0)
    """
    ok = np.isfinite(out) & np.isfinite(mean)
    a = np.asarray(GRID)[:, None, None]
    b = np.asarray(GRID)[None, :, None]
    m, d, r, y = mean[ok], med[ok], rp[ok], out[ok]
    f = (1.0 - b) * m + b * d
    f = np.where(np.isfinite(r), (1.0 - a) * f + a * np.nan_to_num(r), f)
    mae = np.abs(f - y).mean(axis=-1) if y.size else np.zeros((len(GRID), len(GRID)))
    best = np.round(mae, 12)
    i, j = np.unravel_index(int(np.argmin(best)), best.shape)  # first = smallest alpha, beta
    return AnchoredFit(GRID[i], GRID[j], float(mae[i, j]), int(y.size))
