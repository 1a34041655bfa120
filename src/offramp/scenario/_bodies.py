"""Checks of the bodies that ratify: publics, legislatures and their routes.

Split from :mod:`offramp.scenario.checks` (same conventions: each problem
is ``(path, message)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from offramp.scenario._found import Found, Path, duplicates, hint, provenance
from offramp.scenario.rules import compile_rules

if TYPE_CHECKING:
    from offramp.scenario.schema import Bloc, Legislature, Public, Scenario

__all__ = ["check_legislature", "check_public", "check_routes"]


def _check_when(when: dict[str, list[str]], path: Path, scenario: Scenario, found: Found) -> bool:
    """Check a ``when`` condition's issue and option ids; False when any is wrong."""
    issues = {issue.id: issue for issue in scenario.issues}
    ok = True
    for issue_id, option_ids in when.items():
        issue = issues.get(issue_id)
        if issue is None:
            ok = False
            found.append(
                (
                    (*path, "when", issue_id),
                    f"unknown issue `{issue_id}`; {hint(issue_id, issues)}",
                )
            )
            continue
        known = [o.id for o in issue.options]
        if not option_ids:
            ok = False
            found.append(
                (
                    (*path, "when", issue_id),
                    "an empty list matches no package; list the options it covers",
                )
            )
        for o, option_id in enumerate(option_ids):
            if option_id not in known:
                ok = False
                found.append(
                    (
                        (*path, "when", issue_id, o),
                        f"`{option_id}` is not an option of `{issue_id}`; {hint(option_id, known)}",
                    )
                )
    return ok


def _check_rules(
    body: Public | Bloc, path: Path, scenario: Scenario, sources: set[str], found: Found
) -> None:
    """The rules of a public or a legislature's bloc: ids, a baseline, no conflicts."""
    ids_ok = True
    baselines = 0
    for r, rule in enumerate(body.rules):
        rpath: Path = (*path, "rules", r)
        provenance(rule, rpath, sources, found)
        baselines += not rule.when
        ids_ok &= _check_when(rule.when, rpath, scenario, found)
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
        _, conflicts = compile_rules(body, scenario.issues)
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


def check_public(
    public: Public, p: int, scenario: Scenario, sources: set[str], found: Found
) -> None:
    path: Path = ("publics", p)
    actor_ids = [actor.id for actor in scenario.actors]
    provenance(public, path, sources, found)
    if public.of not in actor_ids:
        found.append(((*path, "of"), f"unknown actor `{public.of}`; {hint(public.of, actor_ids)}"))
    _check_rules(public, path, scenario, sources, found)


def check_legislature(
    legislature: Legislature, g: int, scenario: Scenario, sources: set[str], found: Found
) -> None:
    path: Path = ("legislatures", g)
    actor_ids = [actor.id for actor in scenario.actors]
    provenance(legislature, path, sources, found)
    if legislature.of not in actor_ids:
        found.append(
            ((*path, "of"), f"unknown actor `{legislature.of}`; {hint(legislature.of, actor_ids)}")
        )
    duplicates(legislature.blocs, (*path, "blocs"), "bloc", found)
    for b, bloc in enumerate(legislature.blocs):
        provenance(bloc, (*path, "blocs", b), sources, found)
        _check_rules(bloc, (*path, "blocs", b), scenario, sources, found)


def _covers(wide: dict[str, list[str]], narrow: dict[str, list[str]]) -> bool:
    """Whether every package ``narrow`` matches is matched by ``wide``."""
    return all(issue in narrow and set(narrow[issue]) <= set(ops) for issue, ops in wide.items())


def check_routes(scenario: Scenario, sources: set[str], found: Found) -> None:
    """Routes of publics and legislatures: ids, conditions, thresholds, reachability."""
    bodies: list[tuple[Path, Public | Legislature]] = [
        (("publics", p), x) for p, x in enumerate(scenario.publics)
    ] + [(("legislatures", g), x) for g, x in enumerate(scenario.legislatures)]
    everything = [route for _, body in bodies for route in body.routes]
    route_ids = [route.id for route in everything]
    targets = {route.then for route in everything if route.then is not None}
    seen: set[str] = set()
    for path, body in bodies:
        is_public = path[0] == "publics"
        for q, route in enumerate(body.routes):
            rpath: Path = (*path, "routes", q)
            provenance(route, rpath, sources, found)
            if route.id in seen:
                found.append(
                    (
                        (*rpath, "id"),
                        f"duplicate route id `{route.id}`; route ids are unique across publics "
                        "and legislatures (a `then` names one): rename one",
                    )
                )
            seen.add(route.id)
            when_ok = _check_when(route.when, rpath, scenario, found)
            if is_public and route.needs is not None:
                found.append(
                    (
                        (*rpath, "needs"),
                        "`needs` is a share of seats, for legislatures; a public's route takes "
                        "a `threshold` (the rejection share at which it fails)",
                    )
                )
            if not is_public:
                for key in ("threshold", "turnout", "quorum", "approval_quorum"):
                    if getattr(route, key) is not None:
                        found.append(
                            (
                                (*rpath, key),
                                f"`{key}` is for a public's referendum; a legislature's route "
                                "takes `needs` (majority, two_thirds, ...)",
                            )
                        )
            if (route.quorum is not None or route.approval_quorum is not None) and (
                route.turnout is None
            ):
                found.append(
                    (
                        (*rpath, "turnout"),
                        "a quorum needs the predicted `turnout` (a share of the electorate) to "
                        "be checked against; add it",
                    )
                )
            if route.on_fail != "renegotiate":
                for key in ("rounds", "then"):
                    if getattr(route, key) is not None:
                        found.append(
                            (
                                (*rpath, key),
                                f"`{key}` only applies with `on_fail: renegotiate`; "
                                "add that or remove it",
                            )
                        )
            if route.then is not None:
                if route.then not in route_ids:
                    found.append(
                        (
                            (*rpath, "then"),
                            f"unknown route `{route.then}`; {hint(route.then, route_ids)}",
                        )
                    )
                elif route.then == route.id:
                    found.append(
                        (
                            (*rpath, "then"),
                            "a route cannot be its own `then`; omit `then` to vote again the "
                            "same way",
                        )
                    )
            if not when_ok or route.id in targets:
                continue
            for e, earlier in enumerate(body.routes[:q]):
                if earlier.id not in targets and _covers(earlier.when, route.when):
                    found.append(
                        (
                            (*rpath, "when"),
                            f"no package can take this route: routes[{e}] (`{earlier.id}`) comes "
                            "first and matches every package it does; narrow that route's "
                            "`when`, move this one up, or name it in a `then`",
                        )
                    )
                    break
