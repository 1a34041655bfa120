"""What a durability assessment returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Breach", "Durability", "Restoration"]


@dataclass(frozen=True)
class Breach:
    """The first side to prefer war again, and when (years after ``as_of``)."""

    actor: str
    year: float


@dataclass(frozen=True)
class Restoration:
    """Option changes that make a package self-enforcing over the horizon."""

    change: dict[str, str]
    beats_batnas: bool


@dataclass(frozen=True)
class Durability:
    """Whether a package would hold. See :func:`durability`.

    ``deal``, ``war_now`` and ``war_end`` give, for each belligerent, the
    package's utility and the value of resuming the war at year 0 and at the
    horizon (base-case growth).
    """

    package: dict[str, str]
    horizon: float
    self_enforcing: bool
    first_breach: Breach | None
    p_holds: dict[str, float]
    restoring: tuple[Restoration, ...]
    draws: int
    seed: int
    deal: dict[str, float] = field(default_factory=dict)
    war_now: dict[str, float] = field(default_factory=dict)
    war_end: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form."""
        return {
            "package": self.package,
            "horizon": self.horizon,
            "self_enforcing": self.self_enforcing,
            "first_breach": None
            if self.first_breach is None
            else {"actor": self.first_breach.actor, "year": round(self.first_breach.year, 6)},
            "p_holds": self.p_holds,
            "restoring": [
                {"change": r.change, "beats_batnas": r.beats_batnas} for r in self.restoring
            ],
            "draws": self.draws,
            "seed": self.seed,
            "values": {
                a: {"deal": self.deal[a], "war_now": self.war_now[a], "war_end": self.war_end[a]}
                for a in self.deal
            },
        }
