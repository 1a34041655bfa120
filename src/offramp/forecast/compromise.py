"""The two static baselines: the compromise model and the weighted median.

Compromise model
    The forecast is the capability x salience weighted mean of the actors'
    positions, ``sum_i c_i s_i x_i / sum_i c_i s_i`` (Van den Bos 1991;
    Achen 2006, who finds it predicts EU decisions as well as far more
    elaborate models).  Stokman's exchange model uses the same quantity as its
    expected outcome (the "Nash bargaining solution" of the DECIDE software).

Weighted median
    The position that no coalition of opposing capability x salience can beat
    in a pairwise vote: with distance (single-peaked) preferences on a line it
    is the weighted median (Black 1948), and it is the "median voter" position
    that Bueno de Mesquita's expected-utility model forecasts.

Interpretive choices
    * Weights are ``capability * salience``, as in both literatures.
    * If the weight splits exactly in half, every point between the two middle
      positions ties; the midpoint is returned (see
      :func:`offramp.forecast._common.weighted_median`).

References
----------
.. [1] Black, D. (1948). On the rationale of group decision-making. Journal of
   Political Economy 56(1), 23-34. https://doi.org/10.1086/256633
.. [2] Achen, C. H. (2006). Evaluating political decision-making models. In
   Thomson, Stokman, Achen & Koenig (eds.), The European Union Decides,
   Cambridge University Press, 264-298. https://doi.org/10.1017/CBO9780511492082.011
"""

from __future__ import annotations

from typing import Literal

from numpy.typing import ArrayLike

from offramp.forecast._common import ForecastTrace, check_inputs, weighted_mean, weighted_median

__all__ = ["compromise", "median"]


def compromise(positions: ArrayLike, capability: ArrayLike, salience: ArrayLike) -> ForecastTrace:
    """Forecast by the compromise model: the capability x salience weighted mean.

    Parameters
    ----------
    positions : array_like, shape (B, n) or (n,)
        Actor positions per draw, on any scale.
    capability : array_like, broadcastable to ``positions``
        Non-negative capability (power) per actor.
    salience : array_like, broadcastable to ``positions``
        Non-negative salience per actor.

    Returns
    -------
    ForecastTrace
        With zero rounds: ``positions`` of shape (B, 1, n) and ``forecast``
        equal to ``mean``, shape (B, 1).  ``events`` is empty.

    Raises
    ------
    ForecastInputError
        On malformed arrays (see :func:`offramp.forecast._common.check_inputs`).

    References
    ----------
    Achen (2006), https://doi.org/10.1017/CBO9780511492082.011

    Examples
    --------
    >>> trace = compromise([4.0, 10.0], [1.0, 1.0], [0.5, 1.0])
    >>> trace.final
    array([8.])
    """
    return _zero_rounds("compromise", positions, capability, salience)


def median(positions: ArrayLike, capability: ArrayLike, salience: ArrayLike) -> ForecastTrace:
    """Forecast by the weighted median: the position no opposing coalition can beat.

    Parameters
    ----------
    positions : array_like, shape (B, n) or (n,)
        Actor positions per draw, on any scale.
    capability : array_like, broadcastable to ``positions``
        Non-negative capability (power) per actor.
    salience : array_like, broadcastable to ``positions``
        Non-negative salience per actor.

    Returns
    -------
    ForecastTrace
        With zero rounds; ``forecast`` equals ``median``, shape (B, 1).

    Raises
    ------
    ForecastInputError
        On malformed arrays.

    References
    ----------
    Black (1948), https://doi.org/10.1086/256633

    Examples
    --------
    >>> median([4.0, 7.0, 10.0], [8, 8, 16], [0.8, 0.4, 0.9]).final
    array([10.])
    """
    return _zero_rounds("median", positions, capability, salience)


def _zero_rounds(
    model: Literal["compromise", "median"],
    positions: ArrayLike,
    capability: ArrayLike,
    salience: ArrayLike,
) -> ForecastTrace:
    """The zero-round trace both models share; ``forecast`` is the model's statistic."""
    x, c, s = check_inputs(positions, capability, salience, issues=False)
    w = c * s
    mean = weighted_mean(x, w)[:, None]
    med = weighted_median(x, w)[:, None]
    return ForecastTrace(
        model=model,
        positions=x[:, None, :].copy(),
        forecast=(mean if model == "compromise" else med).copy(),
        mean=mean,
        median=med,
    )
