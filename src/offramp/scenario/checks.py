"""Checks that need the whole scenario: ids, references, rules.

Each problem is returned as ``(path, message)`` where ``path`` is the tuple
of keys and list indices leading to the offending field, so the loader can
point at its line in the file. Messages say what is wrong and how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from offramp.scenario._bodies import check_legislature, check_public, check_routes
from offramp.scenario._found import Found, Path, duplicates, hint, provenance
from offramp.scenario.paths import check_events
from offramp.scenario.steps import check_implementation

if TYPE_CHECKING:
    from offramp.scenario.schema import (
        Issue,
        Legislature,
        Public,
        Scenario,
        Stance,
    )

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
            _check_red_line(stance, spath, option_ids, sources, found)
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


def _check_red_line(
    stance: Stance, path: Path, option_ids: list[str], sources: set[str], found: Found
) -> None:
    """A stance's ``never`` (options of its issue, not all of them, not its position)."""
    if stance.never_p is not None and not stance.never:
        found.append(
            (
                (*path, "never_p"),
                "`never_p` is the probability a red line holds, but the stance has no "
                "`never`; list the options it never accepts, or remove `never_p`",
            )
        )
    if stance.red_line is not None:
        provenance(stance.red_line, (*path, "red_line"), sources, found)
        if not stance.never:
            found.append(
                (
                    (*path, "red_line"),
                    "`red_line` documents a red line, but the stance has no `never`; list the "
                    "options it never accepts, or remove `red_line`",
                )
            )
    if isinstance(stance.never_p, dict):
        for option_id in stance.never_p:
            if option_id not in stance.never:
                found.append(
                    (
                        (*path, "never_p", option_id),
                        f"`{option_id}` is not on the red line; "
                        f"{hint(option_id, stance.never)} (give probabilities only for options "
                        "listed in `never`)",
                    )
                )
    for k, option_id in enumerate(stance.never):
        if option_id not in option_ids:
            found.append(
                (
                    (*path, "never", k),
                    f"`{option_id}` is not an option of `{stance.issue}`; "
                    f"{hint(option_id, option_ids)}",
                )
            )
        elif stance.never.index(option_id) != k:
            found.append(((*path, "never", k), f"`{option_id}` is listed twice; drop one"))
        elif option_id == stance.position:
            found.append(
                (
                    (*path, "never", k),
                    f"`{option_id}` is the stance's own position; an actor cannot rule out "
                    "what it wants most: fix the position or the red line",
                )
            )
    if stance.never and set(stance.never) >= set(option_ids):
        found.append(
            (
                (*path, "never"),
                f"every option of `{stance.issue}` is ruled out, so no package could ever be "
                "accepted; leave at least one option off the list",
            )
        )


def _check_packages(scenario: Scenario, sources: set[str], found: Found) -> None:
    """Named packages: an existing option on every issue, nothing else."""
    issues = {issue.id: issue for issue in scenario.issues}
    duplicates(scenario.packages, ("packages",), "package", found)
    for k, package in enumerate(scenario.packages):
        path: Path = ("packages", k)
        provenance(package, path, sources, found)
        for issue_id, option_id in package.options.items():
            issue = issues.get(issue_id)
            if issue is None:
                found.append(
                    (
                        (*path, "options", issue_id),
                        f"unknown issue `{issue_id}`; {hint(issue_id, issues)}",
                    )
                )
                continue
            known = [o.id for o in issue.options]
            if option_id not in known:
                found.append(
                    (
                        (*path, "options", issue_id),
                        f"`{option_id}` is not an option of `{issue_id}`; {hint(option_id, known)}",
                    )
                )
        missing = [i for i in issues if i not in package.options]
        if missing:
            found.append(
                (
                    (*path, "options"),
                    "a package picks an option on every issue; missing: "
                    + ", ".join(f"`{m}`" for m in missing)
                    + " (if the plan is silent on one, pick the option it implies and say so "
                    "in `assumed`)",
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
        check_public(public, p, scenario, sources, found)
    duplicates(scenario.legislatures, ("legislatures",), "legislature", found)
    public_ids = {public.id for public in scenario.publics}
    for g, legislature in enumerate(scenario.legislatures):
        if legislature.id in public_ids:
            found.append(
                (
                    ("legislatures", g, "id"),
                    f"`{legislature.id}` is also a public's id; publics and legislatures share "
                    "one namespace (results name them by id): rename one",
                )
            )
        check_legislature(legislature, g, scenario, sources, found)
    check_routes(scenario, sources, found)
    _check_packages(scenario, sources, found)
    _check_dynamics(scenario, sources, found)
    found.extend(check_events(scenario, sources))
    found.extend(check_implementation(scenario, sources))
    return found


def undocumented(scenario: Scenario) -> Found:
    """Inputs with neither ``source`` nor ``assumed`` (for ``--strict``).

    Actors, stances, rules, blocs, routes, named packages, dynamics and branches.
    """
    found: Found = []
    message = "has neither `source` (with `quote`) nor `assumed`; say where it comes from"
    for a, actor in enumerate(scenario.actors):
        if not actor.documented:
            found.append((("actors", a), f"actor `{actor.id}` {message}"))
        for s, stance in enumerate(actor.stances):
            if not stance.documented:
                found.append((("actors", a, "stances", s), f"stance on `{stance.issue}` {message}"))
            if stance.never and not (stance.red_line is not None and stance.red_line.documented):
                found.append(
                    (
                        ("actors", a, "stances", s, "never"),
                        f"red line on `{stance.issue}` has no `red_line: {{source, quote}}` or "
                        "`red_line: {assumed}`; say where it comes from",
                    )
                )
    for p, public in enumerate(scenario.publics):
        for r, rule in enumerate(public.rules):
            if not rule.documented:
                found.append((("publics", p, "rules", r), f"rule {message}"))
    for g, legislature in enumerate(scenario.legislatures):
        for b, bloc in enumerate(legislature.blocs):
            if not bloc.documented:
                found.append((("legislatures", g, "blocs", b), f"bloc `{bloc.id}` {message}"))
            for r, rule in enumerate(bloc.rules):
                if not rule.documented:
                    found.append((("legislatures", g, "blocs", b, "rules", r), f"rule {message}"))
    bodies: list[tuple[Path, Public | Legislature]] = [
        (("publics", p), x) for p, x in enumerate(scenario.publics)
    ] + [(("legislatures", g), x) for g, x in enumerate(scenario.legislatures)]
    for path, body in bodies:
        for q, route in enumerate(body.routes):
            if not route.documented:
                found.append(((*path, "routes", q), f"route `{route.id}` {message}"))
    for k, package in enumerate(scenario.packages):
        if not package.documented:
            found.append((("packages", k), f"package `{package.id}` {message}"))
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
