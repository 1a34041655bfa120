"""Checks of the ``implementation``, ``factions`` and ``outcome`` sections.

Same contract as :mod:`offramp.scenario.checks`: each problem is a
``(path, message)`` pair the loader turns into ``FILE:LINE``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from offramp.scenario._found import Found, Path, duplicates, hint, provenance
from offramp.scenario.outcome import check_outcome

if TYPE_CHECKING:
    from offramp.scenario.schema import Scenario

__all__ = ["check_implementation"]


def check_implementation(scenario: Scenario, sources: set[str]) -> Found:
    """Every problem of the ``implementation``, ``factions`` and ``outcome`` sections."""
    found: Found = []
    _check_implementation(scenario, sources, found)
    _check_factions(scenario, sources, found)
    _check_outcome(scenario, sources, found)
    return found


def _check_options(options: dict[str, str], path: Path, scenario: Scenario, found: Found) -> None:
    issues = {issue.id: issue for issue in scenario.issues}
    for issue_id, option_id in options.items():
        issue = issues.get(issue_id)
        if issue is None:
            found.append(
                ((*path, issue_id), f"unknown issue `{issue_id}`; {hint(issue_id, issues)}")
            )
            continue
        known = [o.id for o in issue.options]
        if option_id not in known:
            found.append(
                (
                    (*path, issue_id),
                    f"`{option_id}` is not an option of `{issue_id}`; {hint(option_id, known)}",
                )
            )


def _check_implementation(scenario: Scenario, sources: set[str], found: Found) -> None:
    """The ``implementation`` section: known actors, options and steps; no cycles."""
    implementation = scenario.implementation
    if implementation is None:
        return
    provenance(implementation, ("implementation",), sources, found)
    if scenario.dynamics is None:
        found.append(
            (
                ("implementation",),
                "implementation needs a `dynamics` section: each side's war value at a step "
                "comes from its power and war cost there (see docs/durability.md)",
            )
        )
    actors = [actor.id for actor in scenario.actors]
    belligerents = {e.actor for e in scenario.dynamics.actors} if scenario.dynamics else set()
    steps = implementation.steps
    duplicates(steps, ("implementation", "steps"), "step", found)
    ids = [step.id for step in steps]
    implemented: dict[str, tuple[str, int]] = {}
    for k, step in enumerate(steps):
        path: Path = ("implementation", "steps", k)
        provenance(step, path, sources, found)
        if step.actor not in actors:
            found.append(
                ((*path, "actor"), f"unknown actor `{step.actor}`; {hint(step.actor, actors)}")
            )
        _check_options(step.options, (*path, "options"), scenario, found)
        for issue_id, option_id in step.options.items():
            before = implemented.get(issue_id)
            if before is not None and before[0] != option_id:
                found.append(
                    (
                        (*path, "options", issue_id),
                        f"steps[{before[1]}] implements `{issue_id}={before[0]}`; a package has "
                        "one option per issue: make both steps implement the same option",
                    )
                )
            implemented.setdefault(issue_id, (option_id, k))
        if isinstance(step.due, dt.date) and step.due < scenario.as_of:
            found.append(
                (
                    (*path, "due"),
                    f"due {step.due} is before as_of {scenario.as_of}; steps come after the "
                    "scenario's date",
                )
            )
        elif not isinstance(step.due, dt.date) and not 0 <= step.due <= 36500:
            found.append(((*path, "due"), f"days after as_of must be 0 to 36500; got {step.due:g}"))
        for j, other in enumerate(step.after):
            if other not in ids:
                found.append(((*path, "after", j), f"unknown step `{other}`; {hint(other, ids)}"))
            elif other == step.id:
                found.append(((*path, "after", j), "a step cannot come after itself"))
        for e, effect in enumerate(step.effects):
            epath: Path = (*path, "effects", e)
            provenance(effect, epath, sources, found)
            if effect.actor not in belligerents:
                found.append(
                    (
                        (*epath, "actor"),
                        f"`{effect.actor}` has no entry in dynamics.actors; "
                        f"{hint(effect.actor, belligerents)}",
                    )
                )
        if step.monitoring is not None:
            provenance(step.monitoring, (*path, "monitoring"), sources, found)
        for g, guarantor in enumerate(step.guarantors):
            provenance(guarantor, (*path, "guarantors", g), sources, found)
        if step.guarantors and step.monitoring is None:
            found.append(
                (
                    (*path, "guarantors"),
                    "a guarantor can only punish a violation someone detects: add "
                    "`monitoring: {by: ..., detect: <probability>}` to the step",
                )
            )
    cycle = _cycle({step.id: [a for a in step.after if a in ids] for step in steps})
    if cycle:
        k = ids.index(cycle[0])
        found.append(
            (
                ("implementation", "steps", k, "after"),
                "the `after` precedences form a cycle ("
                + " -> ".join(f"`{c}`" for c in [*cycle, cycle[0]])
                + "); no order can satisfy them: remove one",
            )
        )


def _cycle(after: dict[str, list[str]]) -> list[str]:
    """A cycle of the precedence graph (step ids), or [] when there is none."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in after.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in after:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def _check_factions(scenario: Scenario, sources: set[str], found: Found) -> None:
    """The ``factions`` section: parents, stances, ids distinct from actors'."""
    actors = [actor.id for actor in scenario.actors]
    issues = {issue.id: issue for issue in scenario.issues}
    duplicates(scenario.factions, ("factions",), "faction", found)
    for f, faction in enumerate(scenario.factions):
        path: Path = ("factions", f)
        provenance(faction, path, sources, found)
        if faction.id in actors:
            found.append(
                ((*path, "id"), f"`{faction.id}` is an actor's id; give the faction its own id")
            )
        if faction.parent is not None and faction.parent not in actors:
            found.append(
                (
                    (*path, "parent"),
                    f"unknown actor `{faction.parent}`; {hint(faction.parent, actors)} "
                    "(omit `parent` for a faction outside every party)",
                )
            )
        if not faction.stances and faction.parent is None:
            found.append(
                (
                    (*path, "stances"),
                    "a faction outside every party needs its own `stances` (one with a parent "
                    "takes the parent's)",
                )
            )
        if faction.stances and sum(s.salience for s in faction.stances) <= 0:
            found.append(
                ((*path, "stances"), "every salience is 0; give one stance a positive salience")
            )
        for s, stance in enumerate(faction.stances):
            spath: Path = (*path, "stances", s)
            provenance(stance, spath, sources, found)
            issue = issues.get(stance.issue)
            if issue is None:
                found.append(
                    (
                        (*spath, "issue"),
                        f"unknown issue `{stance.issue}`; {hint(stance.issue, issues)}",
                    )
                )
                continue
            option_ids = [o.id for o in issue.options]
            if isinstance(stance.position, str) and stance.position not in option_ids:
                found.append(
                    (
                        (*spath, "position"),
                        f"`{stance.position}` is not an option of `{issue.id}`; "
                        f"{hint(stance.position, option_ids)}",
                    )
                )
            if stance.values is not None and sorted(stance.values) != sorted(option_ids):
                found.append(
                    (
                        (*spath, "values"),
                        "explicit values must cover exactly the options: "
                        + ", ".join(f"`{o}`" for o in option_ids),
                    )
                )


def _check_outcome(scenario: Scenario, sources: set[str], found: Found) -> None:
    if scenario.outcome is None:
        return
    found.extend(check_outcome(scenario))
    for k, source in enumerate(scenario.outcome.sources):
        if source not in sources:
            found.append(
                (("outcome", "sources", k), f"unknown source `{source}`; {hint(source, sources)}")
            )
