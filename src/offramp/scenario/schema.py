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
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    model_validator,
)

from offramp.scenario.distributions import KINDS, Uncertain

__all__ = [
    "NEEDS",
    "Actor",
    "ActorDynamics",
    "Bloc",
    "Branch",
    "Dynamics",
    "Event",
    "Faction",
    "Guarantor",
    "Implementation",
    "Issue",
    "Legislature",
    "Monitoring",
    "Option",
    "OptionEffect",
    "Outcome",
    "Package",
    "PowerPoint",
    "Provenance",
    "Public",
    "Route",
    "Rule",
    "Scenario",
    "Source",
    "Stance",
    "Step",
    "StepEffect",
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


Position = Annotated[str | float, Uncertain(0.0, 100.0, ids=True)]
"""An option id or a number on the 0-100 scale, or a distribution of them."""
UncertainUnit = Annotated[float, Uncertain(0.0, 1.0)]
"""A number in [0, 1], or a distribution on it (:mod:`offramp.scenario.distributions`)."""
UncertainNonNegative = Annotated[float, Uncertain(0.0)]
"""A number >= 0, or a distribution on it."""


def _never_p_kind(value: Any) -> str:
    """``[per option]`` for a mapping of option ids, ``[number]`` for a number or distribution."""
    if isinstance(value, dict) and not set(value) & {*KINDS, "value", "weights"}:
        return "[per option]"
    return "[number]"


NeverP = Annotated[
    Annotated[UncertainUnit, Tag("[number]")]
    | Annotated[dict[Id, UncertainUnit], Tag("[per option]")],
    Discriminator(_never_p_kind),
]
"""A red line's probability of holding: one number (or distribution), or one per option."""


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
    notes: str | None = Field(
        default=None,
        description="What the ends of the issue's 0-100 scale mean, in words "
        "(shown beside the forecasts, which are on that scale).",
    )
    options: list[Option] = Field(min_length=2, description="Ordered; `at` must increase.")


class Stance(Provenance):
    """An actor's stance on one issue.

    The value of an option to the actor is ``1 - |at(option) - position| / 100``
    unless ``values`` gives every option's value explicitly.
    """

    issue: Id
    position: Position
    salience: UncertainNonNegative = Field(
        description="How much the issue matters; normalized per actor."
    )
    values: dict[Id, UncertainUnit] | None = Field(
        default=None, description="Explicit value in [0, 1] of every option of the issue."
    )
    power: NonNegative | None = Field(
        default=None,
        description="Capability on this issue, >= 0, for the forecast models; "
        "defaults to the actor's `power` (Decide data give one per actor and issue).",
    )
    never: list[Id] = Field(
        default_factory=list,
        description="A red line: options of the issue the actor rejects whatever else the "
        "package gives it (non-compensatory).",
    )
    red_line: Provenance | None = Field(
        default=None,
        description="Where the red line comes from: `source` + `quote`, or `assumed` "
        "(`check --strict` asks for it on every red line).",
    )
    never_p: NeverP | None = Field(
        default=None,
        description="Probability that the red line holds, or a mapping from some of its "
        "options to their own probability (others: 1). One draw decides the whole stance: "
        "option k is ruled out when u < p_k, so a firmer line holds whenever a softer one "
        "does. `analyze` applies a line whose point value is above 0.5; default 1.",
    )


class Actor(Provenance):
    """A party whose preferences count; with ``veto`` its consent is needed."""

    id: Id
    label: str
    description: str | None = None
    power: UncertainNonNegative = Field(description="Capability, used by the forecast models.")
    veto: bool = Field(default=False, description="A settlement needs this actor's consent.")
    batna: UncertainUnit | None = Field(
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
    reject: UncertainUnit = Field(
        description="Predicted share of the public rejecting the package."
    )


NEEDS = {"majority": 0.5, "three_fifths": 0.6, "two_thirds": 2 / 3, "three_quarters": 0.75}
"""Named vote thresholds: the share of votes for a text it needs (``majority``: more than half)."""


class Route(Provenance):
    """One way a body ratifies: a vote for the packages ``when`` matches, and what a failure does.

    A body's routes are ordered alternatives: a package takes the first route
    whose ``when`` matches it (``when: {}`` matches every package); a body
    with routes does not vote on a package none of them matches. ``order``
    sequences the votes of different bodies (lower first). A route named by
    another route's ``then`` is taken only by a text renegotiated after that
    route failed.
    """

    id: Id
    label: str
    when: dict[Id, list[Id]] = Field(
        default_factory=dict, description="Issue id -> option ids: the packages this route is for."
    )
    order: Annotated[int, Field(ge=0, le=100)] = Field(
        default=0, description="Stage order across bodies: lower votes first."
    )
    threshold: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)] | None = Field(
        default=None,
        description="Publics: passes when the predicted rejection share is below this "
        "(default: the public's `threshold`).",
    )
    needs: Literal["majority", "three_fifths", "two_thirds", "three_quarters"] | None = Field(
        default=None,
        description="Legislatures: the share of seats that must vote for it "
        "(default: the legislature's `needs`).",
    )
    turnout: Unit | None = Field(
        default=None, description="Referendums: predicted turnout, a share of the electorate."
    )
    quorum: Unit | None = Field(
        default=None, description="Referendums: least turnout for the result to be valid."
    )
    approval_quorum: Unit | None = Field(
        default=None,
        description="Referendums: least share of the electorate that must vote yes.",
    )
    on_fail: Literal["end", "renegotiate"] = Field(
        default="end",
        description="`end`: no settlement; `renegotiate`: talks resume with the rejecting "
        "body's objections as added constraints.",
    )
    rounds: Annotated[int, Field(ge=1, le=100)] | None = Field(
        default=None, description="With `renegotiate`: how many times (default 1)."
    )
    then: Id | None = Field(
        default=None,
        description="With `renegotiate`: the route (of any body) the renegotiated text takes "
        "instead of this one.",
    )


class Public(Provenance):
    """A constituency that must ratify what an actor signs."""

    id: Id
    label: str
    of: Id = Field(description="The actor whose signature this public must ratify.")
    threshold: Annotated[float, Uncertain(0.0, 1.0, low_open=True)] = Field(
        description="Ratifies when the predicted rejection share is below this."
    )
    rules: list[Rule] = Field(min_length=1)
    routes: list[Route] = Field(
        default_factory=list,
        description="Ordered ratification routes; without any, the public votes on every package.",
    )


class Bloc(Provenance):
    """A group of seats in a legislature that votes alike, with rules like a public's."""

    id: Id
    label: str
    seats: Annotated[int, Field(ge=1, le=100_000)]
    rules: list[Rule] = Field(
        min_length=1, description="Predicted share of the bloc's seats voting against."
    )


class Legislature(Provenance):
    """A parliament that must ratify what an actor signs: blocs with seats and a vote threshold.

    The predicted rejection share is the seat-weighted mean of the blocs'
    predictions; a text passes when the share of seats for it (one minus the
    rejection) reaches ``needs`` (``majority``: more than half).
    """

    id: Id
    label: str
    of: Id = Field(description="The actor whose signature this legislature must ratify.")
    needs: Literal["majority", "three_fifths", "two_thirds", "three_quarters"] = Field(
        default="majority", description="Share of seats a text needs (routes may override it)."
    )
    blocs: list[Bloc] = Field(min_length=1)
    routes: list[Route] = Field(
        default_factory=list,
        description="Ordered ratification routes; without any, it votes on every package.",
    )


class Package(Provenance):
    """A named, sourced package (a plan someone proposed): one option on every issue."""

    id: Id
    label: str
    description: str | None = None
    date: dt.date | None = Field(default=None, description="When it was proposed.")
    options: dict[Id, Id] = Field(description="Issue id -> option id, for every issue.")


class PowerPoint(_Frozen):
    """A point of a projected power trajectory: capability ``value`` at ``year`` after ``as_of``."""

    year: Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)]
    value: NonNegative


class ActorDynamics(Provenance):
    """How one belligerent's power and costs evolve after a deal (:mod:`offramp.durability`).

    Power starts at the actor's ``power`` and follows either ``growth`` (a
    constant relative rate per year, optionally a distribution) or ``points``
    (piecewise linear, constant after the last point); with neither it stays
    constant.
    """

    actor: Id
    against: Id = Field(description="The opponent its chance of prevailing is measured against.")
    growth: Annotated[float, Uncertain(-1.0, 10.0, low_open=True)] | None = Field(
        default=None,
        description="Relative change of power per year (0.1 = +10%/year), or a distribution.",
    )
    points: list[PowerPoint] | None = Field(
        default=None, min_length=1, description="Projected power at given years; `year` increases."
    )
    war_cost: UncertainNonNegative = Field(
        description="Utility cost of resuming the war, or a distribution."
    )
    win_value: NonNegative | None = Field(
        default=None,
        description="Utility of prevailing; default: calibrated so that resuming the war now "
        "is worth the actor's batna.",
    )
    delay_cost: NonNegative = Field(
        default=0.0, description="Utility lost per year of fighting while talks go on."
    )


class OptionEffect(Provenance):
    """How an option of a package changes an actor's prospects in a renewed war."""

    issue: Id
    option: Id
    actor: Id = Field(description="The actor whose renewed-war prospects change.")
    cost: Annotated[float, Field(ge=-1.0, le=10.0, allow_inf_nan=False)] = Field(
        default=0.0, description="Added to the actor's cost of resuming the war."
    )
    prospects: Annotated[float, Field(ge=-1.0, le=1.0, allow_inf_nan=False)] = Field(
        default=0.0, description="Added to the actor's probability of prevailing."
    )


class Dynamics(_Frozen):
    """What happens after a deal: power trajectories, war costs, option effects."""

    horizon: Annotated[float, Field(gt=0.0, le=50.0, allow_inf_nan=False)] = Field(
        default=5.0, description="Years over which a deal must hold to be self-enforcing."
    )
    actors: list[ActorDynamics] = Field(min_length=1)
    effects: list[OptionEffect] = Field(default_factory=list)


class StepEffect(Provenance):
    """How carrying out a step changes one belligerent's prospects in a renewed war.

    Effects accumulate over the steps already carried out
    (:mod:`offramp.implementation.sequencing`).
    """

    actor: Id = Field(description="The belligerent (an entry of dynamics.actors) affected.")
    power: Annotated[float, Uncertain(-1.0, 10.0, low_open=True)] = Field(
        default=0.0,
        description="Relative change of the actor's power (-0.2: a fifth of it withdrawn).",
    )
    prospects: Annotated[float, Uncertain(-1.0, 1.0)] = Field(
        default=0.0, description="Added to the actor's probability of prevailing."
    )
    cost: Annotated[float, Uncertain(-1.0, 10.0)] = Field(
        default=0.0, description="Added to the actor's cost of resuming the war."
    )


class Monitoring(Provenance):
    """Who watches a step, and the probability that a violation of it is detected."""

    by: str = Field(min_length=1, description="Who monitors (an actor id or a mission's name).")
    detect: UncertainUnit = Field(description="Probability that reneging on the step is detected.")


class Guarantor(Provenance):
    """Who raises the cost of reneging on a step once a violation is detected, and by how much."""

    by: str = Field(min_length=1, description="Who guarantees (an actor id or a name).")
    penalty: UncertainNonNegative = Field(
        description="Utility the reneging side loses when its violation is detected."
    )


class Step(Provenance):
    """One step of carrying out a package: who does what, when, with what effects."""

    id: Id
    label: str
    actor: Id = Field(description="The actor that carries the step out.")
    options: dict[Id, Id] = Field(
        default_factory=dict, description="The package options it implements: {issue: option}."
    )
    due: float | dt.date = Field(
        description="When it is due: a date, or days after `as_of` (a number >= 0)."
    )
    after: list[Id] = Field(
        default_factory=list, description="Steps that must be carried out before this one."
    )
    effects: list[StepEffect] = Field(default_factory=list)
    monitoring: Monitoring | None = None
    guarantors: list[Guarantor] = Field(default_factory=list)


class Implementation(Provenance):
    """How a signed package is carried out: ordered steps (:mod:`offramp.implementation`)."""

    steps: list[Step] = Field(min_length=1, max_length=20)


class Faction(Provenance):
    """A possible spoiler (Stedman 1997): a faction inside a party, or outside every party.

    Without ``stances`` a faction values packages as its ``parent`` does.
    """

    id: Id
    label: str
    parent: Id | None = Field(
        default=None, description="The actor it belongs to; omit for a faction outside every party."
    )
    aims: Literal["limited", "greedy", "total"] = Field(
        description="Stedman's types: limited, greedy or total aims."
    )
    batna: UncertainUnit = Field(description="Utility in [0, 1] of fighting on outside the deal.")
    capability: UncertainNonNegative = Field(
        description="Its capacity to resume violence (fighters, or any unit used for `threshold`)."
    )
    threshold: UncertainNonNegative = Field(
        description="The capability above which it can wreck the deal (same unit)."
    )
    stances: list[Stance] = Field(default_factory=list)


class Outcome(_Frozen):
    """What happened (never a model input); ``offramp backtest cases`` scores the fields."""

    summary: str
    date: dt.date | None = None
    sources: list[Id] = Field(default_factory=list, description="Ids of entries in `sources`.")
    facts: dict[str, Any] = Field(
        default_factory=dict, description="Named observations (free form, for comparison)."
    )
    agreement: bool = Field(description="A settlement text was signed.")
    signed: dt.date | None = Field(default=None, description="When it was signed.")
    ratified: bool | None = Field(default=None, description="By every body that had to.")
    route: Id | None = Field(default=None, description="Who carried or rejected it.")
    held: bool | None = Field(default=None, description="Still holding at `observed`.")
    held_years: Annotated[float, Field(ge=0.0, le=500.0, allow_inf_nan=False)] | None = None
    observed: dt.date = Field(description="When the record was last checked.")
    how_fixed: str | None = Field(default=None, description="How the case's inputs were fixed.")


class Branch(Provenance):
    """One way an event can turn out, with its probability and what it changes.

    ``changes`` maps dotted input paths (``actors.<actor>.batna``,
    ``actors.<actor>.stances.<issue>.position``, ...; see
    :mod:`offramp.scenario.paths`) to the value they take in this branch: a
    number, an option id (positions), a distribution, or ``{add: x}`` to add
    ``x`` (a number or distribution) to the current value.
    """

    id: Id
    label: str
    probability: Unit | dict[Id, Unit] = Field(
        description="Probability of this branch; with the event's `given`, a mapping from "
        "each branch of that event to the probability given it."
    )
    changes: dict[str, Any] = Field(
        default_factory=dict, description="Dotted input path -> value in this branch."
    )


class Event(Provenance):
    """A dated event whose branches change named inputs (:mod:`offramp.uncertainty`)."""

    id: Id
    label: str
    date: dt.date
    description: str | None = None
    given: Id | None = Field(
        default=None,
        description="An earlier event; branch probabilities are then given each of its branches.",
    )
    branches: list[Branch] = Field(min_length=1)


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
    legislatures: list[Legislature] = Field(
        default_factory=list, description="Parliaments that must ratify (blocs, seats, routes)."
    )
    packages: list[Package] = Field(
        default_factory=list, description="Named, sourced packages (`offramp evaluate --named`)."
    )
    dynamics: Dynamics | None = Field(
        default=None, description="Power trajectories and war costs after a deal (durability)."
    )
    events: list[Event] = Field(
        default_factory=list, description="Dated events with branches (sweeps; in date order)."
    )
    implementation: Implementation | None = Field(
        default=None, description="The steps that carry a package out (sequencing)."
    )
    factions: list[Faction] = Field(
        default_factory=list, description="Possible spoilers: factions with their own batna."
    )
    outcome: Outcome | None = Field(
        default=None,
        description="What happened (history cases): for comparison only, never a model input.",
    )

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
