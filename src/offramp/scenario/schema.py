"""The scenario format: one pydantic model, the single place where limits live.

A scenario says who is at the table (actors), what is on it (issues with
ordered options placed on a 0-100 scale), what each side would rather have
(stances), what each can fall back on (batna) and who at home must say yes
(publics with ratification rules). Every actor, stance and rule can carry its
provenance: a ``source`` id (with a ``quote``) or an ``assumed`` rationale.

Structural limits (types, ranges, required fields) are declared on the
fields. Limits that need the whole document (unknown ids, duplicate ids,
conflicting rules, ...) are checked by :func:`offramp.scenario.checks.cross_check`,
which runs as the model's last validator, so no invalid :class:`Scenario`
can exist, whether it came from a file or from Python.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)

__all__ = [
    "Actor",
    "Issue",
    "Option",
    "Provenance",
    "Public",
    "Rule",
    "Scenario",
    "Source",
    "Stance",
]

Id = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$",
        min_length=1,
        max_length=64,
        description="Identifier: a letter or _, then letters, digits, _ or -.",
    ),
]
Scale = Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)]
Unit = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
_ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def _position(value: object) -> str | float:
    """Validate a stance position: an option id or a number on the 0-100 scale."""
    if isinstance(value, bool):
        raise ValueError(f"must be an option id or a number from 0 to 100; got {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value) or not 0.0 <= value <= 100.0:
            raise ValueError(f"must be a number from 0 to 100 (or an option id); got {value!r}")
        return float(value)
    if isinstance(value, str) and _ID_PATTERN.match(value.strip()):
        return value.strip()
    raise ValueError(f"must be an option id or a number from 0 to 100; got {value!r}")


Position = Annotated[
    str | float,
    PlainValidator(_position),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": _ID_PATTERN.pattern},
                {"type": "number", "minimum": 0, "maximum": 100},
            ],
            "description": "An option id or a number on the 0-100 scale.",
        }
    ),
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Provenance(_Frozen):
    """Where a number comes from: a cited ``source`` (with ``quote``) or ``assumed`` reasons."""

    source: Id | None = Field(default=None, description="Id of an entry in `sources`.")
    quote: str | None = Field(default=None, description="The words in the source that support it.")
    assumed: str | None = Field(default=None, description="Why this value was assumed.")

    @property
    def documented(self) -> bool:
        """True when the input says where it comes from (``source`` or ``assumed``)."""
        return self.source is not None or self.assumed is not None


class Source(_Frozen):
    """A document the scenario's numbers cite."""

    id: Id
    title: str
    publisher: str | None = None
    date: dt.date | None = None
    url: str | None = None


class Option(_Frozen):
    """One option of an issue, placed on the issue's 0-100 scale by ``at``."""

    id: Id
    label: str
    at: Scale = Field(description="Position of the option on the issue's 0-100 scale.")


class Issue(_Frozen):
    """An issue on the table: ordered options, each at a point of a 0-100 scale."""

    id: Id
    label: str
    description: str | None = None
    options: list[Option] = Field(min_length=2, description="Ordered; `at` must increase.")


class Stance(Provenance):
    """An actor's stance on one issue.

    The value of an option to the actor is ``1 - |at(option) - position| / 100``
    unless ``values`` gives every option's value explicitly.
    """

    issue: Id
    position: Position
    salience: NonNegative = Field(description="How much the issue matters; normalized per actor.")
    values: dict[Id, Unit] | None = Field(
        default=None, description="Explicit value in [0, 1] of every option of the issue."
    )


class Actor(Provenance):
    """A party whose preferences count; with ``veto`` its consent is needed."""

    id: Id
    label: str
    description: str | None = None
    power: NonNegative = Field(description="Capability, used by the forecast models.")
    veto: bool = Field(default=False, description="A settlement needs this actor's consent.")
    batna: Unit | None = Field(
        default=None,
        description="Utility in [0, 1] of no settlement (the war goes on); required with veto.",
    )
    stances: list[Stance] = Field(default_factory=list)


class Rule(Provenance):
    """A ratification rule: the predicted rejection share of packages it matches.

    ``when`` maps issue ids to lists of option ids; the rule matches a package
    whose option on every listed issue is in its list. ``when: {}`` is the
    baseline that matches every package.
    """

    when: dict[Id, list[Id]] = Field(default_factory=dict)
    reject: Unit = Field(description="Predicted share of the public rejecting the package.")


class Public(Provenance):
    """A constituency that must ratify what an actor signs."""

    id: Id
    label: str
    of: Id = Field(description="The actor whose signature this public must ratify.")
    threshold: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)] = Field(
        description="Ratifies when the predicted rejection share is below this."
    )
    rules: list[Rule] = Field(min_length=1)


class Scenario(_Frozen):
    """A whole scenario file. See the README for the format, field by field."""

    id: Id
    title: str
    as_of: dt.date
    description: str | None = None
    sources: list[Source] = Field(default_factory=list)
    issues: list[Issue] = Field(min_length=1)
    actors: list[Actor] = Field(min_length=1)
    publics: list[Public] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cross_check(self, info: ValidationInfo) -> Scenario:
        from offramp.scenario.checks import cross_check

        found = cross_check(self)
        if not found:
            return self
        sink: Any = info.context.get("problems") if isinstance(info.context, dict) else None
        if isinstance(sink, list):
            sink.extend(found)
            return self
        raise ValueError("; ".join(f"{'.'.join(map(str, p))}: {m}" for p, m in found))

    def issue(self, issue_id: str) -> Issue:
        """The issue with this id (KeyError if none)."""
        for issue in self.issues:
            if issue.id == issue_id:
                return issue
        raise KeyError(issue_id)

    def actor(self, actor_id: str) -> Actor:
        """The actor with this id (KeyError if none)."""
        for actor in self.actors:
            if actor.id == actor_id:
                return actor
        raise KeyError(actor_id)
