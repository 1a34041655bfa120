"""Shared pieces of the forecast models: the result type, input checks, weighted statistics.

Every model in :mod:`offramp.forecast` returns a :class:`ForecastTrace` and
validates its arrays with :func:`check_inputs`; the statistics here (the
capability x salience weighted mean and weighted median) are the two baselines
and are also reported per round by the dynamic models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from offramp.errors import OfframpError

__all__ = [
    "ForecastInputError",
    "ForecastTrace",
    "check_inputs",
    "weighted_mean",
    "weighted_median",
]

FloatArray = NDArray[np.float64]


class ForecastInputError(OfframpError, ValueError):
    """Arrays handed to a forecast model are unusable (shape, sign, range, NaN)."""


@dataclass(frozen=True)
class ForecastTrace:
    """The round-by-round record of one forecast model over a batch of draws.

    ``B`` is the number of draws, ``R`` the number of rounds played (0 for the
    static baselines), ``n`` the number of actors and ``m`` the number of issues
    (the trailing issue axis is absent for single-issue models).

    Attributes
    ----------
    model : str
        Registry name of the model (``"compromise"``, ``"median"``, ``"eu"``,
        ``"exchange"``).
    positions : ndarray of float, shape (B, R+1, n) or (B, R+1, n, m)
        Positions at the start (index 0) and after every round, on the input scale.
    forecast : ndarray of float, shape (B, R+1) or (B, R+1, m)
        The model's forecast after every round; ``forecast[:, -1]`` is the answer.
    mean : ndarray of float, shape like ``forecast``
        Capability x salience weighted mean of the positions per round.
    median : ndarray of float, shape like ``forecast``
        Capability x salience weighted median of the positions per round.
    events : Mapping[str, ndarray]
        Model-specific structured event arrays (documented by each model),
        read-only.
    params : Mapping[str, object]
        The parameters the model ran with, defaults filled in.
    """

    model: str
    positions: FloatArray
    forecast: FloatArray
    mean: FloatArray
    median: FloatArray
    events: Mapping[str, NDArray[Any]] = field(default_factory=dict)
    params: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "events", MappingProxyType(dict(self.events)))
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    @property
    def rounds(self) -> int:
        """Number of rounds played (``R``)."""
        return int(self.positions.shape[1]) - 1

    @property
    def final(self) -> FloatArray:
        """The forecast after the last round, shape (B,) or (B, m)."""
        return self.forecast[:, -1]


def _as_float(name: str, value: ArrayLike) -> FloatArray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ForecastInputError(f"{name} must be numeric; got {value!r}") from err
    if not np.all(np.isfinite(arr)):
        raise ForecastInputError(f"{name} contains NaN or infinite values")
    return arr


def check_inputs(
    positions: ArrayLike,
    capability: ArrayLike,
    salience: ArrayLike,
    *,
    issues: bool,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate and broadcast model inputs to a common batched shape.

    Parameters
    ----------
    positions : array_like, shape (B, n) or (n,); (B, n, m) or (n, m) if ``issues``
        Positions on any scale; an unbatched array is treated as one draw.
    capability : array_like
        Non-negative; any shape that broadcasts to ``positions`` once a missing
        batch axis is added.  With ``issues``, a per-actor shape ((n,) or (B, n))
        is spread over the issues.
    salience : array_like
        Non-negative; same rules as ``capability``.
    issues : bool
        Whether the model works on several issues at once.

    Returns
    -------
    tuple of ndarray
        ``positions``, ``capability``, ``salience`` as float64 arrays of shape
        (B, n) or (B, n, m).

    Raises
    ------
    ForecastInputError
        On wrong shapes, negative weights, NaN, or an actor set with no weight.

    Examples
    --------
    >>> x, c, s = check_inputs([1.0, 2.0], [1, 1], [0.5, 0.5], issues=False)
    >>> x.shape, c.shape
    ((1, 2), (1, 2))
    """
    x = _as_float("positions", positions)
    core = 2 if issues else 1
    if x.ndim == core:
        x = x[None]
    if x.ndim != core + 1:
        want = "(B, n, m) or (n, m)" if issues else "(B, n) or (n,)"
        raise ForecastInputError(f"positions must have shape {want}; got shape {x.shape}")
    if x.shape[1] < 1 or (issues and x.shape[2] < 1):
        raise ForecastInputError(f"positions must hold at least one actor; got shape {x.shape}")
    out: list[FloatArray] = [x]
    for name, value in (("capability", capability), ("salience", salience)):
        arr = _as_float(name, value)
        per_actor = arr.ndim in (1, 2) and arr.shape[-1] == x.shape[1]
        if issues and per_actor and (arr.ndim == 1 or arr.shape != x.shape[1:]):
            arr = arr[..., None]
        try:
            arr = np.broadcast_to(arr, x.shape).astype(np.float64, copy=True)
        except ValueError as err:
            raise ForecastInputError(
                f"{name} of shape {np.shape(value)} does not fit positions of shape {x.shape}"
            ) from err
        if np.any(arr < 0):
            raise ForecastInputError(f"{name} must be >= 0; got minimum {arr.min()}")
        out.append(arr)
    weight = out[1] * out[2]
    if np.any(weight.sum(axis=1) <= 0):
        raise ForecastInputError(
            "capability x salience sums to 0 on some draw (or issue): nobody has any weight"
        )
    return out[0], out[1], out[2]


def weighted_mean(x: FloatArray, w: FloatArray) -> FloatArray:
    """Weighted mean over the actor axis (axis 1): ``sum(w x) / sum(w)``.

    Examples
    --------
    >>> weighted_mean(np.array([[0.0, 10.0]]), np.array([[1.0, 3.0]]))
    array([7.5])
    """
    return np.asarray((w * x).sum(axis=1) / w.sum(axis=1), dtype=np.float64)


def weighted_median(x: FloatArray, w: FloatArray) -> FloatArray:
    """Weighted median over the actor axis (axis 1), the position no coalition can beat.

    In one dimension with single-peaked (distance) preferences the position of
    the actor at which the cumulated weight first reaches half the total beats
    every other position in a pairwise capability x salience weighted vote
    (Black 1948).  When the weight splits exactly in half between two
    positions, every point between them ties; the midpoint is returned so that
    the answer does not depend on which end of the scale is called "low".

    Examples
    --------
    >>> weighted_median(np.array([[4.0, 7.0, 10.0]]), np.array([[2.0, 1.0, 2.0]]))
    array([7.])
    >>> weighted_median(np.array([[0.0, 10.0]]), np.array([[1.0, 1.0]]))
    array([5.])
    """
    moved = np.moveaxis(x, 1, -1)
    wm = np.moveaxis(w, 1, -1)
    order = np.argsort(moved, axis=-1, kind="stable")
    xs = np.take_along_axis(moved, order, axis=-1)
    ws = np.take_along_axis(wm, order, axis=-1)
    cum = np.cumsum(ws, axis=-1)
    half = cum[..., -1:] / 2.0
    tol = 1e-12 * cum[..., -1:]
    lo = np.argmax(cum >= half - tol, axis=-1)[..., None]
    hi = np.argmax(cum > half + tol, axis=-1)[..., None]
    return np.asarray(
        0.5 * (np.take_along_axis(xs, lo, -1) + np.take_along_axis(xs, hi, -1))[..., 0],
        dtype=np.float64,
    )
