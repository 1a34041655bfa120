"""Forecast models: where the bargaining is likely to land.

One function, :func:`run`, dispatches to the published models by name; each
model is also importable on its own.  All models work on arrays with a leading
batch axis of Monte Carlo draws and return a :class:`ForecastTrace`.

========== =========================================== =======================
name       model                                       positions
========== =========================================== =======================
compromise capability x salience weighted mean         (B, n)
median     weighted median (unbeatable position)       (B, n)
eu         Bueno de Mesquita / Scholz et al. (2011)    (B, n), salience in [0,1]
exchange   Stokman & Van Oosten (1994) exchange model  (B, n, m)
========== =========================================== =======================
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from numpy.typing import ArrayLike

from offramp.forecast._common import ForecastInputError, ForecastTrace
from offramp.forecast.compromise import compromise, median
from offramp.forecast.eu import Offer, expected_utility
from offramp.forecast.exchange import EXCHANGE_DTYPE, exchange
from offramp.forecast.smp import smp
from offramp.forecast.table import ActorTable, read_table

__all__ = [
    "EXCHANGE_DTYPE",
    "MODELS",
    "ActorTable",
    "ForecastInputError",
    "ForecastTrace",
    "Offer",
    "compromise",
    "exchange",
    "expected_utility",
    "median",
    "read_table",
    "run",
]

MODELS: MappingProxyType[str, Callable[..., ForecastTrace]] = MappingProxyType(
    {
        "compromise": compromise,
        "median": median,
        "eu": expected_utility,
        "exchange": exchange,
        "smp": smp,
    }
)
"""Registry of the forecast models by name."""


def run(
    model: str,
    positions: ArrayLike,
    capability: ArrayLike,
    salience: ArrayLike,
    **params: Any,
) -> ForecastTrace:
    """Run the forecast model ``model`` on a batch of draws.

    Parameters
    ----------
    model : {"compromise", "median", "eu", "exchange"}
        Name of the model in :data:`MODELS`.
    positions : array_like
        (B, n) for the one-issue models, (B, n, m) for ``"exchange"``; an
        array without the batch axis is one draw.
    capability, salience : array_like
        Broadcastable to ``positions`` (see each model).
    **params
        Model parameters, e.g. ``rounds`` (see :func:`expected_utility`,
        :func:`exchange`).

    Returns
    -------
    ForecastTrace

    Raises
    ------
    ForecastInputError
        For an unknown model name, unknown parameters or malformed arrays.

    Examples
    --------
    >>> run("compromise", [[4.0, 10.0]], [1.0, 1.0], [1.0, 1.0]).final
    array([7.])
    >>> run("median", [[4.0, 7.0, 10.0]], 1.0, 1.0).final
    array([7.])
    """
    try:
        func = MODELS[model]
    except KeyError:
        raise ForecastInputError(
            f"unknown forecast model {model!r}; choose one of {', '.join(MODELS)}"
        ) from None
    try:
        return func(positions, capability, salience, **params)
    except TypeError as err:
        raise ForecastInputError(f"bad parameters for model {model!r}: {err}") from err
