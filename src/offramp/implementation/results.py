"""Results of :func:`offramp.implementation.sequences`: plain dataclasses with a JSON form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Break", "Need", "OrderResult", "Sequencing"]


@dataclass(frozen=True)
class Break:
    """Where an order breaks: the step, the actor that reneges, its slot and year."""

    step: str
    actor: str
    position: int
    year: float


@dataclass(frozen=True)
class Need:
    """What would make an order hold at one step (see the module docstring).

    ``gap`` is the expected penalty ``d * F`` needed; ``detection`` the
    smallest detection probability with the step's current penalty (None if
    no penalty, or more than 1 would be needed); ``penalty`` the smallest
    penalty with its current detection (None without monitoring).
    """

    step: str
    actor: str
    gap: float
    detection: float | None
    penalty: float | None


@dataclass(frozen=True)
class OrderResult:
    """One order of the steps, solved by backward induction."""

    order: tuple[str, ...]
    self_enforcing: bool
    breaks_at: Break | None
    values: dict[str, float]
    needs: tuple[Need, ...]
    shortfall: float
    slack: float | None
    p_holds: float

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form."""
        b = self.breaks_at
        return {
            "order": list(self.order),
            "self_enforcing": self.self_enforcing,
            "breaks_at": None
            if b is None
            else {"step": b.step, "actor": b.actor, "position": b.position, "year": b.year},
            "values": self.values,
            "needs": [
                {
                    "step": n.step,
                    "actor": n.actor,
                    "gap": n.gap,
                    "detection": n.detection,
                    "penalty": n.penalty,
                }
                for n in self.needs
            ],
            "shortfall": self.shortfall,
            "slack": self.slack,
            "p_holds": self.p_holds,
        }


@dataclass(frozen=True)
class Sequencing:
    """Every admissible order of a package's steps, best first. See :func:`sequences`."""

    package: dict[str, str]
    steps: tuple[dict[str, Any], ...]
    method: str
    n_orders: int
    n_self_enforcing: int | None
    orders: tuple[OrderResult, ...]
    worst: OrderResult
    declared: OrderResult | None
    requested: tuple[OrderResult, ...]
    draws: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form."""
        return {
            "package": self.package,
            "steps": list(self.steps),
            "method": self.method,
            "n_orders": self.n_orders,
            "n_self_enforcing": self.n_self_enforcing,
            "orders": [o.to_dict() for o in self.orders],
            "worst": self.worst.to_dict(),
            "declared": None if self.declared is None else self.declared.to_dict(),
            "requested": [o.to_dict() for o in self.requested],
            "draws": self.draws,
            "seed": self.seed,
        }
