"""Dotted paths to a scenario's numeric inputs, and the checks of the ``events`` section.

An event branch changes inputs named by dotted paths, with ids (not list
indices) for actors, stances, options and publics, so a path still means
the same input after the file is reordered:

================================================ ==========================
path                                             input
================================================ ==========================
``actors.<actor>.power``                         capability, >= 0
``actors.<actor>.batna``                         utility of no deal, [0, 1]
``actors.<actor>.stances.<issue>.position``      0-100 or an option id
``actors.<actor>.stances.<issue>.salience``      >= 0
``actors.<actor>.stances.<issue>.values.<opt>``  explicit value, [0, 1]
``actors.<actor>.stances.<issue>.never_p``       P(the red line holds), [0, 1]
``actors.<actor>.stances.<issue>.never_p.<opt>`` the same, for one option of it
``actors.<actor>.stances.<issue>.never``         the red line's options, a list
``publics.<public>.threshold``                   (0, 1]
``publics.<public>.rules.<n>.reject``            rejection share, [0, 1]
================================================ ==========================

(``<n>`` is the rule's 0-based index in the public's ``rules``, which have no
ids.) A path must name an input that exists: a branch cannot add a stance,
so give the actor a stance with salience 0 in the base case if it gains one
in some branch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from offramp.scenario._found import Found, Path, duplicates, hint, provenance
from offramp.scenario.distributions import distribution_of, parse_number

if TYPE_CHECKING:
    from offramp.scenario.schema import Scenario

__all__ = [
    "PROBABILITY_TOLERANCE",
    "PathError",
    "Target",
    "check_events",
    "parse_change",
    "resolve",
]

PROBABILITY_TOLERANCE = 1e-9
"""How far the branch probabilities of an event may sum from 1."""

_ACTOR_FIELDS = {"power": (0.0, math.inf, False), "batna": (0.0, 1.0, False)}
_STANCE_FIELDS = {
    "position": (0.0, 100.0, False),
    "salience": (0.0, math.inf, False),
    "never_p": (0.0, 1.0, False),
}


@dataclass(frozen=True)
class Target:
    """The input a dotted path names.

    ``field`` is one of ``power``, ``batna``, ``position``, ``salience``,
    ``never_p``, ``never``, ``value``, ``threshold``, ``reject``; the indices locate it
    (actor, issue and option in scenario order, option -1: every option on a red line;
    public and rule). ``low``/``high``
    is its valid range; ``options`` maps option ids to their ``at`` (for
    positions given as option ids).
    """

    field: str
    actor: int = -1
    issue: int = -1
    option: int = -1
    public: int = -1
    rule: int = -1
    low: float = 0.0
    high: float = 1.0
    low_open: bool = False
    options: tuple[tuple[str, float], ...] = ()


class PathError(ValueError):
    """A dotted path that names no input of the scenario."""


def _pick(kind: str, name: str, ids: list[str]) -> int:
    if name not in ids:
        raise PathError(f"unknown {kind} `{name}`; {hint(name, ids)}")
    return ids.index(name)


def resolve(scenario: Scenario, path: str) -> Target:
    """The input a dotted path names.

    Raises
    ------
    PathError
        Saying which part is unknown and what is known.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> s = load_scenario(Path(__file__).parents[3] / "scenarios" / "textbook-two-party.yaml")
    >>> resolve(s, "actors.north.batna").field
    'batna'
    >>> resolve(s, "actors.nort.batna")
    Traceback (most recent call last):
    ...
    offramp.scenario.paths.PathError: unknown actor `nort`; did you mean `north`?
    """
    parts = path.split(".")
    shape = (
        "write actors.<actor>.(power|batna), "
        "actors.<actor>.stances.<issue>.(position|salience|never_p|never), "
        "actors.<actor>.stances.<issue>.values.<option>, publics.<public>.threshold or "
        "publics.<public>.rules.<n>.reject"
    )
    if parts[0] == "actors" and len(parts) >= 3:
        a = _pick("actor", parts[1], [x.id for x in scenario.actors])
        actor = scenario.actors[a]
        if len(parts) == 3 and parts[2] in _ACTOR_FIELDS:
            low, high, low_open = _ACTOR_FIELDS[parts[2]]
            return Target(parts[2], actor=a, low=low, high=high, low_open=low_open)
        if parts[2] == "stances" and len(parts) in (5, 6):
            issue_ids = [i.id for i in scenario.issues]
            i = _pick("issue", parts[3], issue_ids)
            stanced = [s.issue for s in actor.stances]
            if parts[3] not in stanced:
                raise PathError(
                    f"`{actor.id}` has no stance on `{parts[3]}`; a branch can only change an "
                    "existing stance: add one (salience 0 if it matters only in some branches)"
                )
            stance = actor.stances[stanced.index(parts[3])]
            issue = scenario.issues[i]
            options = tuple((o.id, o.at) for o in issue.options)
            if len(parts) == 5 and parts[4] == "never_p" and not stance.never:
                raise PathError(
                    f"the stance of `{actor.id}` on `{issue.id}` has no red line (`never`); "
                    "give it one (with `never_p: 0` if it holds only in some branches)"
                )
            if len(parts) == 5 and parts[4] == "never":
                return Target("never", actor=a, issue=i, options=options)
            if len(parts) == 5 and parts[4] in _STANCE_FIELDS:
                low, high, low_open = _STANCE_FIELDS[parts[4]]
                # never_p of the whole line: option -1
                return Target(parts[4], actor=a, issue=i, low=low, high=high, options=options)
            if len(parts) == 6 and parts[4] == "never_p":
                if not stance.never:
                    raise PathError(
                        f"the stance of `{actor.id}` on `{issue.id}` has no red line (`never`); "
                        "give it one (with `never_p: 0` if it holds only in some branches)"
                    )
                if parts[5] not in stance.never:
                    raise PathError(
                        f"`{parts[5]}` is not on the red line of `{actor.id}` on `{issue.id}`; "
                        f"{hint(parts[5], stance.never)}"
                    )
                o = [x.id for x in issue.options].index(parts[5])
                return Target("never_p", actor=a, issue=i, option=o)
            if len(parts) == 6 and parts[4] == "values":
                if stance.values is None:
                    raise PathError(
                        f"the stance of `{actor.id}` on `{issue.id}` has no explicit `values`; "
                        "change its position instead, or give it values"
                    )
                o = _pick("option", parts[5], [x.id for x in issue.options])
                return Target("value", actor=a, issue=i, option=o)
    if parts[0] == "publics" and len(parts) >= 3:
        p = _pick("public", parts[1], [x.id for x in scenario.publics])
        public = scenario.publics[p]
        if len(parts) == 3 and parts[2] == "threshold":
            return Target("threshold", public=p, low_open=True)
        if len(parts) == 5 and parts[2] == "rules" and parts[4] == "reject":
            n = len(public.rules)
            if not parts[3].isdigit() or int(parts[3]) >= n:
                raise PathError(
                    f"`{parts[3]}` is not a rule index of `{public.id}`; "
                    f"give 0 to {n - 1} (rules are numbered from 0 in file order)"
                )
            return Target("reject", public=p, rule=int(parts[3]))
    raise PathError(f"`{path}` names no input; {shape}")


def parse_change(target: Target, value: Any) -> tuple[str, Any]:
    """Validate the value a branch gives an input: ``("set", x)`` or ``("add", x)``.

    ``x`` is a float, an option id (positions), an
    :class:`~offramp.scenario.distributions.UncertainFloat`, or a tuple of option
    ids (a red line, ``never``). An ``add``
    operand may be negative; the sum is clipped to the input's range.

    Raises
    ------
    ValueError
        For a value outside the input's range or a malformed distribution.
    """
    if target.field == "never":
        return "set", _red_line(target, value)
    if isinstance(value, dict) and set(value) == {"add"}:
        span = target.high - target.low if math.isfinite(target.high) else math.inf
        return "add", parse_number(value["add"], -span, span)
    if target.field == "position" and isinstance(value, str):
        known = [o for o, _ in target.options]
        if value not in known:
            raise ValueError(f"`{value}` is not an option of the issue; {hint(value, known)}")
    parsed = parse_number(
        value,
        target.low,
        target.high,
        low_open=target.low_open,
        ids=target.field == "position",
    )
    return "set", parsed


def _red_line(target: Target, value: Any) -> tuple[str, ...]:
    """A branch's new red line: a list of distinct options of the issue, not all of them."""
    known = [o for o, _ in target.options]
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise ValueError(
            f"a red line is a list of option ids of the issue, e.g. [{known[-1]}]; got "
            f"{value!r} (write [] to lift it)"
        )
    for x in value:
        if x not in known:
            raise ValueError(f"`{x}` is not an option of the issue; {hint(x, known)}")
    twice = sorted({x for x in value if value.count(x) > 1})
    if twice:
        raise ValueError(f"`{twice[0]}` is listed twice; drop one")
    if set(value) >= set(known):
        raise ValueError(
            "every option of the issue is ruled out, so no package could ever be accepted; "
            "leave at least one option off the list"
        )
    return tuple(value)


def check_events(scenario: Scenario, sources: set[str]) -> Found:
    """Problems of the ``events`` section (ids, dates, probabilities, paths, values).

    Also checks that option ids drawn by a ``choice`` on a position are options of
    the issue.
    """
    found: Found = []
    for a, actor in enumerate(scenario.actors):
        for s, stance in enumerate(actor.stances):
            dist = distribution_of(stance.position)
            issue = next((i for i in scenario.issues if i.id == stance.issue), None)
            if dist is None or issue is None:
                continue
            known = [o.id for o in issue.options]
            for choice in dist.choices:
                if isinstance(choice, str) and choice not in known:
                    found.append(
                        (
                            ("actors", a, "stances", s, "position"),
                            f"`{choice}` is not an option of `{issue.id}`; {hint(choice, known)}",
                        )
                    )
    events = scenario.events
    duplicates(events, ("events",), "event", found)
    seen: dict[str, int] = {}
    for e, event in enumerate(events):
        path: Path = ("events", e)
        provenance(event, path, sources, found)
        duplicates(event.branches, (*path, "branches"), "branch", found)
        if event.date < scenario.as_of:
            found.append(
                (
                    (*path, "date"),
                    f"{event.date} is before the scenario's as_of ({scenario.as_of}); events are "
                    "what may happen after it: fold a past event into the base case",
                )
            )
        if e and event.date < events[e - 1].date:
            found.append(
                (
                    (*path, "date"),
                    f"events are listed in date order, but {event.date} follows "
                    f"{events[e - 1].date} (`{events[e - 1].id}`); move this event up",
                )
            )
        parent = None
        if event.given is not None:
            if event.given not in seen:
                where = "earlier" if event.given not in [x.id for x in events] else "an earlier"
                found.append(
                    (
                        (*path, "given"),
                        f"`given` must name {where} event listed above this one; got "
                        f"`{event.given}`; {hint(event.given, list(seen))}",
                    )
                )
            else:
                parent = events[seen[event.given]]
        _check_probabilities(event, parent, path, found)
        for b, branch in enumerate(event.branches):
            bpath: Path = (*path, "branches", b)
            provenance(branch, bpath, sources, found)
            for key, value in branch.changes.items():
                try:
                    target = resolve(scenario, key)
                    _, parsed = parse_change(target, value)
                except ValueError as err:
                    found.append(((*bpath, "changes", key), str(err)))
                    continue
                if target.field == "never":
                    actor = scenario.actors[target.actor]
                    issue_id = scenario.issues[target.issue].id
                    stance = next(s for s in actor.stances if s.issue == issue_id)
                    if isinstance(stance.position, str) and stance.position in parsed:
                        found.append(
                            (
                                (*bpath, "changes", key),
                                f"`{stance.position}` is the stance's own position; an actor "
                                "cannot rule out what it wants most: fix the red line",
                            )
                        )
        seen[event.id] = e
    return found


def _check_probabilities(event: Any, parent: Any, path: Path, found: Found) -> None:
    branches = event.branches
    if parent is None:
        if event.given is not None:
            return
        bad = [b for b, x in enumerate(branches) if isinstance(x.probability, dict)]
        for b in bad:
            found.append(
                (
                    (*path, "branches", b, "probability"),
                    "a probability per branch of another event needs `given: <event id>` on "
                    "the event; or give one number",
                )
            )
        if bad:
            return
        total = sum(float(x.probability) for x in branches)
        if abs(total - 1.0) > PROBABILITY_TOLERANCE:
            found.append(
                (
                    (*path, "branches"),
                    f"the branch probabilities sum to {total:g}; they must sum to 1",
                )
            )
        return
    parent_ids = [x.id for x in parent.branches]
    ok = True
    for b, branch in enumerate(branches):
        where: Path = (*path, "branches", b, "probability")
        if not isinstance(branch.probability, dict):
            ok = False
            found.append(
                (
                    where,
                    f"with `given: {parent.id}`, give a probability for each of its branches: "
                    "{" + ", ".join(f"{p}: ..." for p in parent_ids) + "}",
                )
            )
            continue
        for key in branch.probability:
            if key not in parent_ids:
                ok = False
                found.append(
                    (
                        (*where, key),
                        f"`{key}` is not a branch of `{parent.id}`; known: "
                        + ", ".join(f"`{p}`" for p in parent_ids),
                    )
                )
        missing = [p for p in parent_ids if p not in branch.probability]
        if missing:
            ok = False
            found.append(
                (where, "missing the probability given " + ", ".join(f"`{m}`" for m in missing))
            )
    if not ok:
        return
    for p in parent_ids:
        total = sum(float(x.probability[p]) for x in branches)
        if abs(total - 1.0) > PROBABILITY_TOLERANCE:
            found.append(
                (
                    (*path, "branches"),
                    f"given `{parent.id}` = `{p}`, the branch probabilities sum to {total:g}; "
                    "they must sum to 1",
                )
            )
