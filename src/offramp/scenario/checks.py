"""Checks that need the whole scenario: ids, references, rules.

Each problem is returned as ``(path, message)`` where ``path`` is the tuple
of keys and list indices leading to the offending field, so the loader can
point at its line in the file. Messages say what is wrong and how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from offramp.scenario._found import Found, Path, duplicates, hint, provenance
from offramp.scenario.paths import check_events
from offramp.scenario.rules import compile_rules
from offramp.scenario.steps import check_implementation

if TYPE_CHECKING:
    from offramp.scenario.schema import Issue, Public, Scenario

__all__ = ["cross_check", "undocumented"]


def _check_issues(issues: Sequence[Issue], found: Found) -> None:
    duplicates(issues, ("issues",), "issue", found)
    for i, issue in enumerate(issues):
        duplicates(issue.options, ("issues", i, "options"), "option", found)
        for j in range(1, len(issue.options)):
            before, here = issue.options[j - 1], issue.options[j]
            if here.at <= before.at:
                found.append(
                    (
                        ("issues", i, "options", j, "at"),
                        f"options are ordered: `at` must increase, but {here.at:g} "
                        f"follows {before.at:g} (`{before.id}`); reorder the options or fix `at`",
                    )
                )


def _check_actors(scenario: Scenario, sources: set[str], found: Found) -> None:
    issues = {issue.id: issue for issue in scenario.issues}
    duplicates(scenario.actors, ("actors",), "actor", found)
    if not any(actor.veto for actor in scenario.actors):
        found.append(
            (
                ("actors",),
                "no actor has `veto: true`; a settlement needs at least one party whose "
                "consent it requires: mark the signatories with `veto: true`",
            )
        )
    for a, actor in enumerate(scenario.actors):
        path: Path = ("actors", a)
        provenance(actor, path, sources, found)
        if actor.veto and actor.batna is None:
            found.append(
                (
                    (*path, "veto"),
                    "a veto actor needs a `batna` (utility in [0, 1] of no settlement); add one",
                )
            )
        if actor.stances and sum(s.salience for s in actor.stances) <= 0:
            found.append(
                (
                    (*path, "stances"),
                    "every salience is 0, so the actor is indifferent to every package; "
                    "give at least one stance a positive salience",
                )
            )
        elif actor.veto and not actor.stances:
            found.append(
                (
                    (*path, "stances"),
                    "a veto actor with no stances is indifferent to every package and can "
                    "never prefer one to its batna; add stances or set `veto: false`",
                )
            )
        seen: dict[str, int] = {}
        for s, stance in enumerate(actor.stances):
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
            if stance.issue in seen:
                found.append(
                    (
                        (*spath, "issue"),
                        f"a second stance on `{stance.issue}` "
                        f"(first at stances[{seen[stance.issue]}]); "
                        "merge them into one",
                    )
                )
            seen[stance.issue] = s
            option_ids = [o.id for o in issue.options]
            if isinstance(stance.position, str) and stance.position not in option_ids:
                found.append(
                    (
                        (*spath, "position"),
                        f"`{stance.position}` is not an option of `{issue.id}`; "
                        f"{hint(stance.position, option_ids)} (or give a number from 0 to 100)",
                    )
                )
            if stance.values is not None:
                missing = [o for o in option_ids if o not in stance.values]
                unknown = [o for o in stance.values if o not in option_ids]
                if unknown:
                    found.append(
                        (
                            (*spath, "values", unknown[0]),
                            f"`{unknown[0]}` is not an option of `{issue.id}`; "
                            f"{hint(unknown[0], option_ids)}",
                        )
                    )
                if missing:
                    found.append(
                        (
                            (*spath, "values"),
                            "explicit values must cover every option; missing: "
                            + ", ".join(f"`{m}`" for m in missing),
                        )
                    )


def _check_public(
    public: Public, p: int, scenario: Scenario, sources: set[str], found: Found
) -> None:
    path: Path = ("publics", p)
    actor_ids = [actor.id for actor in scenario.actors]
    issues = {issue.id: issue for issue in scenario.issues}
    provenance(public, path, sources, found)
    if public.of not in actor_ids:
        found.append(((*path, "of"), f"unknown actor `{public.of}`; {hint(public.of, actor_ids)}"))
    ids_ok = True
    baselines = 0
    for r, rule in enumerate(public.rules):
        rpath: Path = (*path, "rules", r)
        provenance(rule, rpath, sources, found)
        baselines += not rule.when
        for issue_id, option_ids in rule.when.items():
            issue = issues.get(issue_id)
            if issue is None:
                ids_ok = False
                found.append(
                    (
                        (*rpath, "when", issue_id),
                        f"unknown issue `{issue_id}`; {hint(issue_id, issues)}",
                    )
                )
                continue
            known = [o.id for o in issue.options]
            if not option_ids:
                ids_ok = False
                found.append(
                    (
                        (*rpath, "when", issue_id),
                        "an empty list matches no package; list the options the rule covers",
                    )
                )
            for o, option_id in enumerate(option_ids):
                if option_id not in known:
                    ids_ok = False
                    found.append(
                        (
                            (*rpath, "when", issue_id, o),
                            f"`{option_id}` is not an option of `{issue_id}`; "
                            f"{hint(option_id, known)}",
                        )
                    )
    if baselines == 0:
        found.append(
            (
                (*path, "rules"),
                "no baseline rule: add `{when: {}, reject: <share>}` for packages no other rule "
                "matches",
            )
        )
    if not ids_ok:
        return
    try:
        _, conflicts = compile_rules(public, scenario.issues)
    except ValueError as err:
        found.append(((*path, "rules"), str(err)))
        return
    for conflict in conflicts:
        example = ", ".join(f"{k}={v}" for k, v in conflict.example.items()) or "every package"
        found.append(
            (
                (*path, "rules", conflict.second),
                f"conflicts with rules[{conflict.first}]: both are equally specific and both "
                f"match packages with {example}, which no more specific rule decides; add a "
                "more specific rule for the overlap or narrow one of them",
            )
        )


def _check_dynamics(scenario: Scenario, sources: set[str], found: Found) -> None:
    """The ``dynamics`` section: known actors, issues and options; consistent trajectories."""
    dynamics = scenario.dynamics
    if dynamics is None:
        return
    actors = {actor.id: actor for actor in scenario.actors}
    issues = {issue.id: issue for issue in scenario.issues}
    seen: dict[str, int] = {}
    for d, entry in enumerate(dynamics.actors):
        path: Path = ("dynamics", "actors", d)
        provenance(entry, path, sources, found)
        for key in ("actor", "against"):
            name = getattr(entry, key)
            if name not in actors:
                found.append(((*path, key), f"unknown actor `{name}`; {hint(name, actors)}"))
        if entry.actor == entry.against:
            found.append(((*path, "against"), "an actor cannot fight itself; name its opponent"))
        if entry.actor in seen:
            found.append(
                (
                    (*path, "actor"),
                    f"a second entry for `{entry.actor}` (first at dynamics.actors"
                    f"[{seen[entry.actor]}]); merge them into one",
                )
            )
        seen[entry.actor] = d
        actor = actors.get(entry.actor)
        if actor is not None and actor.power <= 0:
            found.append(
                (
                    (*path, "actor"),
                    f"`{entry.actor}` has power 0, so it can never prevail and its war value is "
                    "undefined; give it a positive `power`",
                )
            )
        if entry.win_value is None and actor is not None and actor.batna is None:
            found.append(
                (
                    (*path, "win_value"),
                    f"`{entry.actor}` has no batna to calibrate its value of prevailing from; "
                    "give `win_value` or a `batna`",
                )
            )
        if entry.points is not None and entry.growth is not None:
            found.append(((*path, "points"), "give either `points` or `growth`, not both"))
        for k in range(1, len(entry.points or [])):
            points = entry.points or []
            if points[k].year <= points[k - 1].year:
                found.append(
                    (
                        (*path, "points", k, "year"),
                        f"`year` must increase; {points[k].year:g} follows {points[k - 1].year:g}",
                    )
                )
    belligerents = {entry.actor for entry in dynamics.actors}
    for e, effect in enumerate(dynamics.effects):
        path = ("dynamics", "effects", e)
        provenance(effect, path, sources, found)
        if effect.actor not in belligerents:
            found.append(
                (
                    (*path, "actor"),
                    f"`{effect.actor}` has no entry in dynamics.actors; "
                    f"{hint(effect.actor, belligerents)}",
                )
            )
        issue = issues.get(effect.issue)
        if issue is None:
            found.append(
                ((*path, "issue"), f"unknown issue `{effect.issue}`; {hint(effect.issue, issues)}")
            )
            continue
        option_ids = [o.id for o in issue.options]
        if effect.option not in option_ids:
            found.append(
                (
                    (*path, "option"),
                    f"`{effect.option}` is not an option of `{issue.id}`; "
                    f"{hint(effect.option, option_ids)}",
                )
            )


def cross_check(scenario: Scenario) -> Found:
    """Every whole-document problem of a structurally valid scenario.

    Returns
    -------
    list of (path, message)
        Empty when the scenario is valid.
    """
    found: Found = []
    duplicates(scenario.sources, ("sources",), "source", found)
    sources = {source.id for source in scenario.sources}
    _check_issues(scenario.issues, found)
    _check_actors(scenario, sources, found)
    duplicates(scenario.publics, ("publics",), "public", found)
    for p, public in enumerate(scenario.publics):
        _check_public(public, p, scenario, sources, found)
    _check_dynamics(scenario, sources, found)
    found.extend(check_events(scenario, sources))
    found.extend(check_implementation(scenario, sources))
    return found


def undocumented(scenario: Scenario) -> Found:
    """Actors, stances and rules with neither ``source`` nor ``assumed`` (for ``--strict``)."""
    found: Found = []
    message = "has neither `source` (with `quote`) nor `assumed`; say where it comes from"
    for a, actor in enumerate(scenario.actors):
        if not actor.documented:
            found.append((("actors", a), f"actor `{actor.id}` {message}"))
        for s, stance in enumerate(actor.stances):
            if not stance.documented:
                found.append((("actors", a, "stances", s), f"stance on `{stance.issue}` {message}"))
    for p, public in enumerate(scenario.publics):
        for r, rule in enumerate(public.rules):
            if not rule.documented:
                found.append((("publics", p, "rules", r), f"rule {message}"))
    if scenario.dynamics is not None:
        for d, entry in enumerate(scenario.dynamics.actors):
            if not entry.documented:
                found.append((("dynamics", "actors", d), f"dynamics of `{entry.actor}` {message}"))
        for e, effect in enumerate(scenario.dynamics.effects):
            if not effect.documented:
                found.append((("dynamics", "effects", e), f"effect {message}"))
    if scenario.implementation is not None:
        for k, step in enumerate(scenario.implementation.steps):
            spath: Path = ("implementation", "steps", k)
            if not step.documented:
                found.append((spath, f"step `{step.id}` {message}"))
            for e, step_effect in enumerate(step.effects):
                if not step_effect.documented:
                    found.append(((*spath, "effects", e), f"effect {message}"))
            if step.monitoring is not None and not step.monitoring.documented:
                found.append(((*spath, "monitoring"), f"monitoring {message}"))
            for g, guarantor in enumerate(step.guarantors):
                if not guarantor.documented:
                    found.append(((*spath, "guarantors", g), f"guarantor {message}"))
    for f, faction in enumerate(scenario.factions):
        if not faction.documented:
            found.append((("factions", f), f"faction `{faction.id}` {message}"))
    for e, event in enumerate(scenario.events):
        for b, branch in enumerate(event.branches):
            if not (branch.documented or event.documented):
                found.append((("events", e, "branches", b), f"branch `{branch.id}` {message}"))
    return found
