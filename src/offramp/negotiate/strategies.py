"""Concession strategies: their names, options and parser (see :mod:`offramp.negotiate`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from offramp.errors import OfframpError

__all__ = [
    "ACCEPT_RULES",
    "CLOCKS",
    "FLOORS",
    "OFFER_RULES",
    "STRATEGIES",
    "Strategy",
    "StrategyError",
    "parse_strategy",
]


_U = TypeVar("_U", float, NDArray[np.float64])

STRATEGIES: dict[str, tuple[str, float]] = {
    "boulware": ("time", 0.25),
    "linear": ("time", 1.0),
    "conceder": ("time", 4.0),
    "tit_for_tat": ("tit_for_tat", 1.0),
    "best_acceptable": ("best_acceptable", 1.0),
}
"""Strategy names: kind and default parameter (Faratin's ``beta`` for the time-dependent ones)."""


class StrategyError(OfframpError, ValueError):
    """A strategy name or parameter is not one offramp knows."""


OFFER_RULES = ("best_for_others", "closest_above")
"""How a time-dependent actor picks its counter-offer among the packages at or above its target.

``best_for_others`` (default): the package best for the other actors (the
largest smallest gain over batna; complete information). ``closest_above``:
the package whose utility for the actor itself is lowest at or above its
target, the one closest above it (Faratin et al. 1998's offer at the
aspiration level, the "worst outcome within the aspiration band" of NegMAS's
time-based negotiators), with no model of the others.
"""

ACCEPT_RULES = ("next", "now")
"""When an actor accepts the offer on the table (see the module docstring).

``next`` (default): at least its target on its *next* turn less one round's
cost of delay, and anything above its batna in the last round. ``now``: at
least its target on *this* turn less one round's cost of delay, the value of
the counter-offer it would send in reply (Faratin et al. 1998, section 3.3),
with no last-round rule.
"""

CLOCKS = ("closed", "open")
"""How a time-dependent actor reads the deadline: relative time ``t`` of round ``r`` of ``D``.

``closed`` (default): ``t = r / (D - 1)``, 0 in the first round and 1 in the
last, where the target reaches the batna. ``open``: ``t = (r + 1) / (D + 1)``,
the relative time NegMAS's SAO mechanism gives step ``r`` of ``n_steps = D``;
the target never reaches the batna.
"""

FLOORS = ("batna", "worst")
"""Where a time-dependent actor's target curve ends (at ``t = 1``).

``batna`` (default): at its batna. ``worst``: at the larger of its batna and
its worst allowed package, so that it concedes over the utility range of the
packages it could sign (NegMAS scales its aspiration curve to the range
between the best outcome and the larger of the worst outcome and the
reserved value); the two differ only when every package beats the batna.
"""

_OPTIONS: dict[str, tuple[str, ...]] = {
    "offer": OFFER_RULES,
    "accept": ACCEPT_RULES,
    "clock": CLOCKS,
    "floor": FLOORS,
}


@dataclass(frozen=True)
class Strategy:
    """A concession strategy.

    Attributes
    ----------
    name : str
        One of :data:`STRATEGIES`.
    kind : {"time", "tit_for_tat", "best_acceptable"}
    beta : float
        Faratin et al.'s concession parameter of the time-dependent tactics
        (the target curve's exponent is ``1 / beta``); unused otherwise.
    offer : {"best_for_others", "closest_above"}
        Counter-offer rule of the time-dependent tactics (:data:`OFFER_RULES`).
    accept : {"next", "now"}
        Acceptance rule of the time-dependent tactics (:data:`ACCEPT_RULES`).
    clock : {"closed", "open"}
        Relative time of the time-dependent tactics (:data:`CLOCKS`).
    floor : {"batna", "worst"}
        Where the target curve ends (:data:`FLOORS`).
    slack : float
        Utility by which a time-dependent actor lowers its target, both for
        the packages it may offer and for those it accepts (default 0;
        NegMAS's time-based negotiators use ``1e-4``, their ``eps``).
    """

    name: str
    kind: Literal["time", "tit_for_tat", "best_acceptable"]
    beta: float = 1.0
    offer: Literal["best_for_others", "closest_above"] = "best_for_others"
    accept: Literal["next", "now"] = "next"
    clock: Literal["closed", "open"] = "closed"
    floor: Literal["batna", "worst"] = "batna"
    slack: float = 0.0

    def targets(
        self, umax: _U, floor: _U, r: int, deadline: int, t_now: float, t_next: float
    ) -> tuple[_U, _U]:
        """A time-dependent actor's target utility now and at its next turn.

        ``umax - t ** (1 / beta) * (umax - floor) - slack`` (Faratin, Sierra
        and Jennings 1998, section 4.1, polynomial family, with ``kappa = 0``;
        see :mod:`offramp.negotiate`), at ``t`` the
        closed clock's ``t_now`` and ``t_next`` or the open clock's
        ``(r + 1) / (deadline + 1)`` and ``(r + 2) / (deadline + 1)`` in round
        ``r``. Both engines call it, with scalars (the frontier engine) or
        one value per run (the enumerating engine), so their arithmetic is
        the same.

        Examples
        --------
        >>> Strategy("linear", "time").targets(1.0, 0.5, 0, 9, 0.2, 0.4)
        (0.9, 0.8)
        """
        exponent = 1.0 / self.beta
        t_a, t_b = (
            (t_now, t_next)
            if self.clock == "closed"
            else ((r + 1) / (deadline + 1), (r + 2) / (deadline + 1))
        )
        target = umax - t_a**exponent * (umax - floor) - self.slack
        target_next = umax - t_b**exponent * (umax - floor) - self.slack
        return target, target_next

    def __str__(self) -> str:
        parts = []
        if self.kind == "time" and self.beta != STRATEGIES[self.name][1]:
            parts.append(f"{self.beta:g}")
        parts += [
            f"{key}={getattr(self, key)}"
            for key, values in _OPTIONS.items()
            if getattr(self, key) != values[0]
        ]
        if self.slack:
            parts.append(f"slack={self.slack:g}")
        return f"{self.name}:{','.join(parts)}" if parts else self.name


def parse_strategy(text: str) -> Strategy:
    """A strategy from ``NAME[:OPTION,...]``.

    The options, for the time-dependent strategies only, are ``beta`` (a bare
    number, or ``beta=NUMBER``), ``offer=`` one of :data:`OFFER_RULES`,
    ``accept=`` one of :data:`ACCEPT_RULES`, ``clock=`` one of
    :data:`CLOCKS`, ``floor=`` one of :data:`FLOORS` and ``slack=NUMBER``
    (see :class:`Strategy`).

    Examples
    --------
    >>> parse_strategy("boulware").beta
    0.25
    >>> str(parse_strategy("conceder:2"))
    'conceder:2'
    >>> s = parse_strategy("boulware:offer=closest_above,accept=now,clock=open")
    >>> s.offer, s.accept, s.clock, s.beta
    ('closest_above', 'now', 'open', 0.25)
    >>> str(s)
    'boulware:offer=closest_above,accept=now,clock=open'
    >>> parse_strategy("stubborn")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    offramp.negotiate.strategies.StrategyError: unknown strategy `stubborn`; known: boulware, ...
    """
    name, _, parameters = text.strip().partition(":")
    if name not in STRATEGIES:
        raise StrategyError(f"unknown strategy `{name}`; known: {', '.join(STRATEGIES)}")
    kind, beta = STRATEGIES[name]
    chosen: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in parameters.split(","))):
        if kind != "time":
            raise StrategyError(f"`{name}` takes no parameter; got `{text}`")
        key, sep, value = item.partition("=")
        key, value = (key.strip(), value.strip()) if sep else ("beta", key.strip())
        if key == "beta":
            try:
                beta = float(value)
            except ValueError:
                beta = float("nan")
            if not np.isfinite(beta) or beta <= 0:
                raise StrategyError(
                    f"the concession parameter of `{name}` must be a positive number; got `{value}`"
                )
        elif key == "slack":
            try:
                chosen["slack"] = float(value)
            except ValueError:
                chosen["slack"] = float("nan")
            if not np.isfinite(chosen["slack"]) or chosen["slack"] < 0:
                raise StrategyError(
                    f"the slack of `{name}` must be a number 0 or more; got `{value}`"
                )
        elif key in _OPTIONS and value in _OPTIONS[key]:
            chosen[key] = value
        elif key in _OPTIONS:
            raise StrategyError(
                f"`{key}` must be one of {', '.join(_OPTIONS[key])}; got `{value}` in `{text}`"
            )
        else:
            raise StrategyError(
                f"unknown option `{key}` in `{text}`; known: beta, {', '.join(_OPTIONS)}, slack"
            )
    return Strategy(name, kind, beta, **chosen)  # type: ignore[arg-type]
