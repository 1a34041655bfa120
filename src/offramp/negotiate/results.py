"""What a negotiation returns: the engine's :class:`Trace` and the scenario-level records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["ACTIONS", "Move", "Negotiation", "Outcome", "Trace"]


ACTIONS = ("offer", "accept", "reject", "unratified")
"""The actions of the protocol, in the order of their codes 1, 2, 3, 4 in a :class:`Trace`.

``unratified``: the last acceptance that signed a package, which then failed
ratification (with ratification checked at signing, :class:`~offramp.negotiate.protocol.Signing`).
"""


@dataclass(frozen=True)
class Trace:
    """What happened in a batch of ``B`` negotiations of ``S = deadline * k`` turns.

    Attributes
    ----------
    agreement : ndarray of int64, shape (B,)
        The agreed package index, or -1 (breakdown).
    round : ndarray of int64, shape (B,)
        0-based round of agreement, or -1.
    actor : ndarray of int64, shape (B, S)
        Actor (column of the inputs) who moved at each turn, -1 after the end.
    action : ndarray of int8, shape (B, S)
        0 (no move: the talks had ended), or 1, 2, 3, 4 for :data:`ACTIONS`.
    package : ndarray of int64, shape (B, S)
        The package offered or accepted (for a walk-away: the one on the
        table), -1 when none.
    utility : ndarray of float64, shape (B, k)
        Each actor's utility of the agreement (nan on breakdown), under the
        inputs in force when it was reached.
    batna : ndarray of float64, shape (B, k)
        The batnas in force at the end.
    """

    agreement: NDArray[np.int64]
    round: NDArray[np.int64]
    actor: NDArray[np.int64]
    action: NDArray[np.int8]
    package: NDArray[np.int64]
    utility: NDArray[np.float64]
    batna: NDArray[np.float64]


@dataclass(frozen=True)
class Move:
    """One turn: who did what with which package (None: nothing on the table)."""

    round: int
    actor: str
    action: Literal["offer", "accept", "reject", "unratified"]
    package: dict[str, str] | None


@dataclass(frozen=True)
class Outcome:
    """A negotiated outcome (None: breakdown) and its share of the runs."""

    package: dict[str, str] | None
    share: float


@dataclass(frozen=True)
class Negotiation:
    """The result of :func:`negotiate`. See ``docs/negotiation.md`` for every field.

    The single-negotiation fields describe the base case: the veto actors
    move in scenario order with the scenario's point values. ``runs``,
    ``agreement_rate`` and ``outcomes`` describe the batch of ``runs``
    negotiations with a random turn order each (0 runs: not requested).
    """

    scenario: str
    actors: tuple[str, ...]
    strategies: dict[str, str]
    deadline: int
    round_days: int
    agreement: dict[str, str] | None
    round: int | None
    history: tuple[Move, ...]
    utility: dict[str, float] | None
    batna: dict[str, float]
    nash: dict[str, str] | None
    nash_utility: dict[str, float] | None
    nash_distance: float | None
    pareto_optimal: bool | None
    runs: int = 0
    agreement_rate: float | None = None
    outcomes: tuple[Outcome, ...] = ()
    seed: int | None = None
    method: str = "enumeration"
    """Which engine ran: ``enumeration`` (every package scanned) or ``merge`` (merged frontiers)."""

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (``--json``)."""
        out: dict[str, Any] = {
            "scenario": self.scenario,
            "actors": list(self.actors),
            "strategies": self.strategies,
            "deadline": self.deadline,
            "round_days": self.round_days,
            "agreement": self.agreement,
            "round": self.round,
            "history": [
                {"round": m.round, "actor": m.actor, "action": m.action, "package": m.package}
                for m in self.history
            ],
            "utility": self.utility,
            "batna": self.batna,
            "nash": self.nash,
            "nash_utility": self.nash_utility,
            "nash_distance": self.nash_distance,
            "pareto_optimal": self.pareto_optimal,
            "method": self.method,
        }
        if self.runs:
            out |= {
                "runs": self.runs,
                "seed": self.seed,
                "agreement_rate": self.agreement_rate,
                "outcomes": [{"package": o.package, "share": o.share} for o in self.outcomes],
            }
        return out
