"""Uncertain numbers: distributions written inline where a number would be.

Any numeric input of a scenario (an actor's ``power`` and ``batna``, a
stance's ``position``, ``salience`` and explicit ``values``, a public's
``threshold``, a rule's ``reject`` share, and the values an event branch
sets) may be a plain number or one of these mappings::

    batna: {triangular: [0.3, 0.4, 0.6]}            # low, most likely, high
    batna: {uniform: [0.3, 0.6]}                    # low, high
    batna: {normal: [0.45, 0.05]}                   # mean, sd; truncated to the field's range
    batna: {beta: [2, 5]}                           # a, b; on the field's range
    salience: {beta: [2, 2, 0.5, 1.5]}              # a, b, low, high
    position: {choice: [freeze, 50], weights: [0.7, 0.3]}   # values (option ids on positions)
    batna: {uniform: [0.3, 0.6], value: 0.4}        # `value`: the point value, see below

Point values
------------
``offramp analyze`` is deterministic: it uses one point value per input,
``value`` when given (it must lie in the support), otherwise:

============ ==============================================================
kind         point value
============ ==============================================================
uniform      the midpoint (the median; a uniform has no mode)
triangular   the mode (the middle number: "most likely")
normal       the mean (the mode; it must lie in the field's range)
beta         the mode ``(a-1)/(a+b-2)`` when a, b > 1, else the median
choice       the value with the largest weight (the first on a tie)
============ ==============================================================

Interpretive choices
--------------------
* ``normal`` is truncated to the field's valid range (e.g. [0, 1] for a
  batna, [0, inf) for a salience): draws are ``F^-1(F(lo) + u (F(hi) - F(lo)))``
  with ``F`` the normal CDF (inverse-CDF sampling of the truncated law).
* ``beta`` without bounds needs a bounded field; with bounds it is scaled to them.
* ``choice`` weights need not sum to 1; they are normalized.
* Every draw is made by inverse-CDF transform of one uniform number, so a
  sweep and a Sobol/Morris design drive the same function
  (:mod:`offramp.uncertainty`).

A validated uncertain input is an :class:`UncertainFloat` (or, for a
position drawn among option ids, an :class:`UncertainStr`): a ``float``
(``str``) equal to the point value that also carries its
:class:`Distribution`, so every deterministic engine keeps working unchanged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema
from scipy import special

__all__ = [
    "KINDS",
    "Distribution",
    "Uncertain",
    "UncertainFloat",
    "UncertainStr",
    "distribution_of",
    "parse_number",
]

KINDS = ("uniform", "triangular", "normal", "beta", "choice")
"""The distribution kinds, as written in a scenario."""

_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_ARITY = {"uniform": (2,), "triangular": (3,), "normal": (2,), "beta": (2, 4)}
_FORMS = {
    "uniform": "[low, high]",
    "triangular": "[low, most likely, high]",
    "normal": "[mean, sd]",
    "beta": "[a, b] or [a, b, low, high]",
    "choice": "[value, ...] with optional weights: [w, ...]",
}


@dataclass(frozen=True)
class Distribution:
    """A validated distribution of one input, with its point value.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    params : tuple of float
        The numbers as written (for ``choice``: empty).
    choices : tuple of (float or str)
        ``choice`` values as written (option ids allowed on positions).
    weights : tuple of float
        ``choice`` weights, normalized to sum to 1.
    low, high : float
        The field's valid range (the support is inside it; ``high`` may be inf).
    point : float or str
        The point value used by the deterministic analysis.
    explicit : bool
        Whether ``point`` was written as ``value``.
    """

    kind: str
    params: tuple[float, ...]
    choices: tuple[float | str, ...]
    weights: tuple[float, ...]
    low: float
    high: float
    point: float | str
    explicit: bool = False

    def to_data(self) -> dict[str, Any]:
        """The mapping as it would be written in a scenario.

        Examples
        --------
        >>> parse_number({"triangular": [0.3, 0.4, 0.6]}, 0, 1).distribution.to_data()
        {'triangular': [0.3, 0.4, 0.6]}
        """
        data: dict[str, Any]
        if self.kind == "choice":
            data = {"choice": list(self.choices), "weights": list(self.weights)}
        else:
            data = {self.kind: list(self.params)}
        if self.explicit:
            data["value"] = self.point
        return data

    @property
    def support(self) -> tuple[float, float]:
        """Smallest and largest possible draw (numeric kinds; ``choice`` of numbers)."""
        if self.kind == "uniform":
            return self.params[0], self.params[1]
        if self.kind == "triangular":
            return self.params[0], self.params[2]
        if self.kind == "normal":
            return self.low, self.high
        if self.kind == "beta":
            return _beta_bounds(self)
        numbers = [float(c) for c in self.choices if not isinstance(c, str)]
        return (min(numbers), max(numbers)) if numbers else (self.low, self.high)

    def ppf(self, u: NDArray[np.float64], resolve: Mapping[str, float] | None = None) -> Any:
        """Inverse CDF: the draws for uniform numbers ``u`` in [0, 1).

        Parameters
        ----------
        u : ndarray of float64, any shape
        resolve : mapping, optional
            Numbers for option ids (a ``choice`` among option ids on a position).

        Returns
        -------
        ndarray of float64, shape of ``u``

        Examples
        --------
        >>> d = parse_number({"triangular": [0, 1, 2]}, 0, 10).distribution
        >>> d.ppf(np.array([0.0, 0.5, 0.875])).tolist()
        [0.0, 1.0, 1.5]
        >>> c = parse_number({"choice": [1, 2], "weights": [1, 3]}, 0, 10).distribution
        >>> c.ppf(np.array([0.2, 0.3])).tolist()
        [1.0, 2.0]
        """
        u = np.asarray(u, dtype=np.float64)
        if self.kind == "uniform":
            lo, hi = self.params
            return lo + u * (hi - lo)
        if self.kind == "triangular":
            lo, mode, hi = self.params
            c = (mode - lo) / (hi - lo)
            left = lo + np.sqrt(u * (hi - lo) * (mode - lo))
            right = hi - np.sqrt((1.0 - u) * (hi - lo) * (hi - mode))
            return np.where(u < c, left, right)
        if self.kind == "normal":
            mean, sd = self.params
            a = special.ndtr((self.low - mean) / sd)
            b = special.ndtr((self.high - mean) / sd) if math.isfinite(self.high) else 1.0
            x = mean + sd * special.ndtri(a + u * (b - a))
            return np.clip(x, self.low, self.high)
        if self.kind == "beta":
            a_, b_ = self.params[0], self.params[1]
            lo, hi = _beta_bounds(self)
            return lo + (hi - lo) * special.betaincinv(a_, b_, u)
        values = np.array([_resolve(c, resolve) for c in self.choices])
        cum = np.cumsum(self.weights)
        k = np.searchsorted(cum, u * cum[-1], side="right")
        return values[np.minimum(k, len(values) - 1)]


def _resolve(value: float | str, resolve: Mapping[str, float] | None) -> float:
    if isinstance(value, str):
        if resolve is None or value not in resolve:
            raise KeyError(value)
        return float(resolve[value])
    return float(value)


def _beta_bounds(d: Distribution) -> tuple[float, float]:
    if len(d.params) == 4:
        return d.params[2], d.params[3]
    return d.low, d.high


class UncertainFloat(float):
    """A float equal to an input's point value that carries its distribution.

    Examples
    --------
    >>> x = parse_number({"uniform": [0.2, 0.6]}, 0, 1)
    >>> x, x + 0.1 == 0.5, x.distribution.kind
    (0.4, True, 'uniform')
    """

    distribution: Distribution

    def __new__(cls, value: float, distribution: Distribution) -> UncertainFloat:
        self = super().__new__(cls, value)
        self.distribution = distribution
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (UncertainFloat, (float(self), self.distribution))


class UncertainStr(str):
    """An option id (a position's point value) that carries its distribution."""

    distribution: Distribution

    def __new__(cls, value: str, distribution: Distribution) -> UncertainStr:
        self = super().__new__(cls, value)
        self.distribution = distribution
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (UncertainStr, (str(self), self.distribution))


def distribution_of(value: object) -> Distribution | None:
    """The distribution an input carries, or None for a plain number."""
    if isinstance(value, UncertainFloat | UncertainStr):
        return value.distribution
    return None


def _number(x: object, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        raise ValueError(f"{what} must be a finite number; got {x!r}")
    return float(x)


def _range_text(low: float, high: float, low_open: bool) -> str:
    left = "(" if low_open else "["
    right = "inf)" if not math.isfinite(high) else f"{high:g}]"
    return f"{left}{low:g}, {right}"


def _check_in(x: float, low: float, high: float, low_open: bool, what: str) -> None:
    if x < low or x > high or (low_open and x <= low):
        raise ValueError(f"{what} must be in {_range_text(low, high, low_open)}; got {x:g}")


def parse_number(
    data: object, low: float, high: float, *, low_open: bool = False, ids: bool = False
) -> Any:
    """Validate a plain number or a distribution mapping for a field with this range.

    Parameters
    ----------
    data : number, str or mapping
        As written in the scenario.
    low, high : float
        The field's valid range (``high`` may be ``math.inf``).
    low_open : bool
        Whether ``low`` itself is excluded (e.g. a threshold must be > 0).
    ids : bool
        Whether option ids are allowed (positions).

    Returns
    -------
    float, str, UncertainFloat or UncertainStr

    Raises
    ------
    ValueError
        With a message that says what is wrong and how to fix it.

    Examples
    --------
    >>> parse_number(0.4, 0, 1), parse_number({"normal": [0.45, 0.1]}, 0, 1)
    (0.4, 0.45)
    >>> parse_number({"triangular": [0.3, 0.7, 0.6]}, 0, 1)
    Traceback (most recent call last):
    ...
    ValueError: triangular: needs low <= most likely <= high and low < high; got [0.3, 0.7, 0.6]
    """
    if isinstance(data, str) and ids and _ID.match(data.strip()):
        return data.strip()
    if not isinstance(data, Mapping):
        if isinstance(data, bool) or not isinstance(data, int | float) or not math.isfinite(data):
            alternative = " or an option id" if ids else ""
            raise ValueError(
                f"must be a finite number{alternative} (or a distribution such as "
                f"{{triangular: [low, most likely, high]}}); got {data!r}"
            )
        x = float(data)
        if ids and (x < low or x > high):
            raise ValueError(
                f"must be a number from {low:g} to {high:g} (or an option id); got {data!r}"
            )
        if x < low or (low_open and x <= low):
            which = "more than" if low_open else "at least"
            raise ValueError(f"must be {which} {low:g}; got {data!r}")
        if x > high:
            raise ValueError(f"must be at most {high:g}; got {data!r}")
        return x
    keys = [k for k in data if k in KINDS]
    extra = [k for k in data if k not in (*KINDS, "value", "weights")]
    if len(keys) != 1 or extra:
        raise ValueError(
            "a distribution is a mapping with exactly one of "
            + ", ".join(f"`{k}`" for k in KINDS)
            + " (plus optional `value`, and `weights` with `choice`); got keys "
            + ", ".join(f"`{k}`" for k in data)
        )
    kind = keys[0]
    dist = _parse_kind(kind, data, low, high, low_open, ids)
    if isinstance(dist.point, str):
        return UncertainStr(dist.point, dist)
    return UncertainFloat(dist.point, dist)


def _parse_kind(
    kind: str, data: Mapping[str, Any], low: float, high: float, low_open: bool, ids: bool
) -> Distribution:
    raw = data[kind]
    if "weights" in data and kind != "choice":
        raise ValueError("`weights` belongs to `choice`; remove it")
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise ValueError(f"{kind}: must be a list {_FORMS[kind]}; got {raw!r}")
    if kind == "choice":
        return _parse_choice(raw, data, low, high, low_open, ids)
    if len(raw) not in _ARITY[kind]:
        raise ValueError(f"{kind}: must be a list {_FORMS[kind]}; got {list(raw)!r}")
    p = tuple(_number(x, f"{kind}: every parameter") for x in raw)
    shown = "[" + ", ".join(f"{x:g}" for x in p) + "]"
    if kind == "uniform":
        if not p[0] < p[1]:
            raise ValueError(f"uniform: needs low < high; got {shown}")
        for x in p:
            _check_in(x, low, high, False, "uniform: low and high")
        point = (p[0] + p[1]) / 2
    elif kind == "triangular":
        if not (p[0] <= p[1] <= p[2] and p[0] < p[2]):
            raise ValueError(
                f"triangular: needs low <= most likely <= high and low < high; got {shown}"
            )
        for x in p:
            _check_in(x, low, high, False, "triangular: every number")
        point = p[1]
    elif kind == "normal":
        if p[1] <= 0:
            raise ValueError(f"normal: the sd must be > 0; got {shown}")
        _check_in(p[0], low, high, low_open, "normal: the mean")
        point = p[0]
    else:
        if p[0] <= 0 or p[1] <= 0:
            raise ValueError(f"beta: a and b must be > 0; got {shown}")
        if len(p) == 4:
            if not p[2] < p[3]:
                raise ValueError(f"beta: needs low < high; got {shown}")
            _check_in(p[2], low, high, False, "beta: low")
            _check_in(p[3], low, high, False, "beta: high")
            lo, hi = p[2], p[3]
        elif not math.isfinite(high):
            raise ValueError(
                f"beta: this field has no upper limit; give bounds: [a, b, low, high]; got {shown}"
            )
        else:
            lo, hi = low, high
        a, b = p[0], p[1]
        unit = (a - 1) / (a + b - 2) if a > 1 and b > 1 else float(special.betaincinv(a, b, 0.5))
        point = lo + (hi - lo) * unit
    dist = Distribution(kind, p, (), (), float(low), float(high), float(point))
    return _with_value(dist, data, low_open)


def _parse_choice(
    raw: Sequence[Any],
    data: Mapping[str, Any],
    low: float,
    high: float,
    low_open: bool,
    ids: bool,
) -> Distribution:
    if len(raw) < 1:
        raise ValueError("choice: list at least one value")
    choices: list[float | str] = []
    for x in raw:
        if isinstance(x, str) and ids and _ID.match(x.strip()):
            choices.append(x.strip())
            continue
        v = _number(x, "choice: every value" + (" (or option id)" if ids else ""))
        _check_in(v, low, high, low_open, "choice: every value")
        choices.append(v)
    weights_raw = data.get("weights", [1.0] * len(choices))
    if not isinstance(weights_raw, Sequence) or isinstance(weights_raw, str):
        raise ValueError(f"choice: `weights` must be a list of numbers; got {weights_raw!r}")
    if len(weights_raw) != len(choices):
        raise ValueError(
            f"choice: {len(choices)} values but {len(weights_raw)} weights; give one weight each"
        )
    weights = [_number(w, "choice: every weight") for w in weights_raw]
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError("choice: weights must be >= 0 with a positive sum")
    total = sum(weights)
    weights = [w / total for w in weights]
    point = choices[int(np.argmax(weights))]
    dist = Distribution(
        "choice", (), tuple(choices), tuple(weights), float(low), float(high), point
    )
    return _with_value(dist, data, low_open)


def _with_value(dist: Distribution, data: Mapping[str, Any], low_open: bool) -> Distribution:
    if "value" not in data:
        return dist
    raw = data["value"]
    if dist.kind == "choice":
        if raw not in dist.choices:
            raise ValueError(f"`value` must be one of the choices; got {raw!r}")
        return Distribution(
            dist.kind, dist.params, dist.choices, dist.weights, dist.low, dist.high, raw, True
        )
    v = _number(raw, "`value`")
    lo, hi = dist.support
    if not lo <= v <= hi:
        raise ValueError(
            f"`value` must lie in the distribution's support [{lo:g}, {hi:g}]; got {v:g}"
        )
    _check_in(v, dist.low, dist.high, low_open, "`value`")
    return Distribution(
        dist.kind, dist.params, dist.choices, dist.weights, dist.low, dist.high, v, True
    )


@dataclass(frozen=True)
class Uncertain:
    """Pydantic annotation: a field that takes a number or a distribution.

    ``Annotated[float, Uncertain(0, 1)]`` validates a number in [0, 1] or a
    distribution whose support lies in it; ``ids=True`` also accepts option
    ids (positions). The validated value is the point value (a plain
    float/str, or an :class:`UncertainFloat`/:class:`UncertainStr`); it
    serializes back to the mapping, so a scenario's content hash covers its
    distributions.
    """

    low: float
    high: float = math.inf
    low_open: bool = False
    ids: bool = False

    def validate(self, value: object) -> Any:
        """Validate one input (see :func:`parse_number`)."""
        if isinstance(value, UncertainFloat | UncertainStr):
            return value
        return parse_number(value, self.low, self.high, low_open=self.low_open, ids=self.ids)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            self.validate,
            serialization=core_schema.plain_serializer_function_ser_schema(_dump),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        number: dict[str, Any] = {"type": "number"}
        number["exclusiveMinimum" if self.low_open else "minimum"] = self.low
        if math.isfinite(self.high):
            number["maximum"] = self.high
        listed = {
            "type": "array",
            "items": {"type": ["number", "string"] if self.ids else "number"},
        }
        dist = {
            "type": "object",
            "description": "A distribution: exactly one of "
            + ", ".join(f"{k}: {_FORMS[k]}" for k in KINDS)
            + "; optional `value` (the point value for `analyze`).",
            "properties": {
                **{k: listed for k in KINDS},
                "weights": {"type": "array", "items": {"type": "number", "minimum": 0}},
                "value": {"type": ["number", "string"] if self.ids else "number"},
            },
            "additionalProperties": False,
            "minProperties": 1,
        }
        options: list[dict[str, Any]] = [number, dist]
        if self.ids:
            options.insert(0, {"type": "string", "pattern": _ID.pattern})
        return {"anyOf": options}


def _dump(value: Any) -> Any:
    dist = distribution_of(value)
    if dist is not None:
        return dist.to_data()
    return value
