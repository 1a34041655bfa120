"""Hypothesis strategies for random scenarios, and a brute-force reference analysis.

The reference recomputes everything from the scenario with plain Python loops
over ``itertools.product``, independently of offramp's numpy engines, so the
property tests compare two implementations of the same definitions.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from offramp.scenario import Scenario, load_scenario_data

TIE = 1e-12


@st.composite
def scenarios(
    draw: st.DrawFn,
    max_issues: int = 4,
    max_options: int = 4,
    max_actors: int = 4,
    publics: bool = True,
    red_lines: bool = True,
    routes: bool = False,
) -> Scenario:
    """A random valid scenario (with coarse numbers, so ties happen), some with red lines.

    With ``routes``, some publics get ratification routes (a referendum with
    quorums for some packages, a vote with its own threshold for others) and
    some scenarios a legislature (blocs with seats, a ``needs``, maybe a route).
    """
    n_issues = draw(st.integers(1, max_issues))
    issues = []
    for i in range(n_issues):
        k = draw(st.integers(2, max_options))
        ats = sorted(draw(st.sets(st.integers(0, 100), min_size=k, max_size=k)))
        issues.append(
            {
                "id": f"i{i}",
                "label": f"Issue {i}",
                "options": [
                    {"id": f"o{j}", "label": f"o{j}", "at": at} for j, at in enumerate(ats)
                ],
            }
        )
    n_actors = draw(st.integers(1, max_actors))
    veto = [draw(st.booleans()) for _ in range(n_actors)]
    veto[draw(st.integers(0, n_actors - 1))] = True
    actors = []
    for a in range(n_actors):
        stances = []
        for i, issue in enumerate(issues):
            if not draw(st.booleans()) and i > 0:
                continue
            stance: dict[str, Any] = {
                "issue": issue["id"],
                "salience": draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0])),
                "assumed": "random",
            }
            if draw(st.booleans()):
                stance["position"] = draw(st.integers(0, 100))
            else:
                stance["position"] = draw(st.sampled_from([o["id"] for o in issue["options"]]))
                if draw(st.booleans()):
                    stance["values"] = {
                        o["id"]: draw(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]))
                        for o in issue["options"]
                    }
            if red_lines and draw(st.integers(0, 3)) == 0:
                ids = [o["id"] for o in issue["options"] if o["id"] != stance["position"]]
                never = draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
                if len(never) < len(issue["options"]):
                    stance["never"] = never
                    kind = draw(st.integers(0, 3))
                    if kind == 1:
                        stance["never_p"] = draw(st.sampled_from([0.0, 0.3, 0.5, 0.7, 1.0]))
                    elif kind == 2:
                        stance["never_p"] = {never[0]: draw(st.sampled_from([0.2, 0.6]))}
            stances.append(stance)
        stances[0]["salience"] = 1.0
        actor: dict[str, Any] = {
            "id": f"a{a}",
            "label": f"Actor {a}",
            "power": draw(st.integers(0, 100)),
            "veto": veto[a],
            "stances": stances,
            "assumed": "random",
        }
        if veto[a] or draw(st.booleans()):
            actor["batna"] = draw(st.sampled_from([0.0, 0.1, 0.25, 0.3, 0.5, 0.6]))
        actors.append(actor)
    public_list = []
    if publics and draw(st.booleans()):
        # nested rules (each adds one issue to the previous) never conflict
        rules = [{"when": {}, "reject": draw(st.sampled_from([0.1, 0.4, 0.6]))}]
        when: dict[str, list[str]] = {}
        for issue in draw(st.permutations(issues))[: draw(st.integers(0, n_issues))]:
            ids = [o["id"] for o in issue["options"]]
            when = {
                **when,
                issue["id"]: draw(st.lists(st.sampled_from(ids), min_size=1, unique=True)),
            }
            rules.append({"when": when, "reject": draw(st.sampled_from([0.2, 0.5, 0.7]))})
        public: dict[str, Any] = {
            "id": "pub",
            "label": "Public",
            "of": "a0",
            "threshold": 0.5,
            "rules": rules,
        }
        if routes and draw(st.booleans()):
            public["routes"] = _routes(draw, issues, "pub", legislature=False)
        public_list.append(public)
    legislatures = []
    if routes and draw(st.booleans()):
        blocs = []
        for b in range(draw(st.integers(1, 3))):
            bloc_rules = [{"when": {}, "reject": draw(st.sampled_from([0.0, 0.2, 0.5, 0.9]))}]
            issue = draw(st.sampled_from(issues))
            ids = [o["id"] for o in issue["options"]]
            if draw(st.booleans()):
                picked = draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
                bloc_rules.append(
                    {
                        "when": {issue["id"]: picked},
                        "reject": draw(st.sampled_from([0.1, 0.4, 0.6, 1.0])),
                    }
                )
            blocs.append(
                {
                    "id": f"b{b}",
                    "label": f"Bloc {b}",
                    "seats": draw(st.integers(1, 5)),
                    "rules": bloc_rules,
                }
            )
        legislature: dict[str, Any] = {
            "id": "leg",
            "label": "Legislature",
            "of": "a0",
            "needs": draw(st.sampled_from(["majority", "three_fifths", "two_thirds"])),
            "blocs": blocs,
        }
        if draw(st.booleans()):
            legislature["routes"] = _routes(draw, issues, "leg", legislature=True)
        legislatures.append(legislature)
    data = {
        "id": "random",
        "title": "random",
        "as_of": "2024-01-01",
        "issues": issues,
        "actors": actors,
        "publics": public_list,
        "legislatures": legislatures,
    }
    return load_scenario_data(data)


def _routes(
    draw: st.DrawFn, issues: list[dict[str, Any]], body: str, *, legislature: bool
) -> list[dict[str, Any]]:
    """One route for the packages with some options of one issue, then maybe a catch-all."""
    issue = draw(st.sampled_from(issues))
    ids = [o["id"] for o in issue["options"]]
    first: dict[str, Any] = {
        "id": f"{body}_r0",
        "label": "first",
        "when": {issue["id"]: draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))},
        "order": draw(st.integers(0, 2)),
        "on_fail": draw(st.sampled_from(["end", "renegotiate"])),
        "assumed": "random",
    }
    if legislature:
        first["needs"] = draw(st.sampled_from(["majority", "two_thirds", "three_quarters"]))
    else:
        if draw(st.booleans()):
            first["threshold"] = draw(st.sampled_from([0.3, 0.6]))
        if draw(st.booleans()):
            first["turnout"] = draw(st.sampled_from([0.4, 0.6]))
            first["quorum"] = draw(st.sampled_from([None, 0.5]))
            first["approval_quorum"] = draw(st.sampled_from([None, 0.25]))
    out = [first]
    if draw(st.booleans()):
        out.append(
            {
                "id": f"{body}_r1",
                "label": "rest",
                "when": {},
                "order": draw(st.integers(0, 2)),
                "assumed": "random",
            }
        )
    return out


@dataclass
class Reference:
    packages: list[tuple[int, ...]]
    utility: list[list[float]]  # per package, per actor
    zopa: list[int]
    ratified: list[int]
    frontier: list[int]
    solutions: dict[str, int | None]
    blocked: list[int]
    sole: list[int]
    red_lines: list[int]  # per non-veto actor with a red line: the packages crossing it


def reference_utility(scenario: Scenario, package: tuple[int, ...]) -> list[float]:
    out = []
    for actor in scenario.actors:
        total = sum(s.salience for s in actor.stances)
        u = 0.0
        for stance in actor.stances:
            i = next(k for k, issue in enumerate(scenario.issues) if issue.id == stance.issue)
            option = scenario.issues[i].options[package[i]]
            if stance.values is not None:
                v = stance.values[option.id]
            else:
                pos = stance.position
                if isinstance(pos, str):
                    pos = next(o.at for o in scenario.issues[i].options if o.id == pos)
                v = 1 - abs(option.at - pos) / 100
            u += stance.salience / total * v
        out.append(round(u, 10))
    return out


def reference_crosses(scenario: Scenario, package: tuple[int, ...]) -> list[bool]:
    """Whether the package crosses each actor's red line (applied when p > 0.5)."""
    out = []
    for actor in scenario.actors:
        crosses = False
        for stance in actor.stances:
            i = [x.id for x in scenario.issues].index(stance.issue)
            option = scenario.issues[i].options[package[i]].id
            if option not in stance.never:
                continue
            p = stance.never_p
            p = p.get(option, 1.0) if isinstance(p, dict) else (1.0 if p is None else p)
            crosses |= p > 0.5
        out.append(crosses)
    return out


def _share(scenario: Scenario, rules: Any, package: tuple[int, ...]) -> float:
    """The most specific matching rule's rejection share (1.0 when none matches)."""
    ids = [x.id for x in scenario.issues]
    best, share = -1, 1.0
    for rule in rules:
        ok = all(
            scenario.issue(i).options[package[ids.index(i)]].id in opts
            for i, opts in rule.when.items()
        )
        if ok and len(rule.when) > best:
            best, share = len(rule.when), rule.reject
    return float(share)


_NEEDS = {"majority": 0.5, "three_fifths": 0.6, "two_thirds": 2 / 3, "three_quarters": 0.75}


def reference_reject(scenario: Scenario, package: tuple[int, ...]) -> list[bool]:
    """Whether each public, then each legislature, rejects the package (by its route)."""
    ids = [x.id for x in scenario.issues]
    option = {i: scenario.issues[k].options[package[k]].id for k, i in enumerate(ids)}
    targets = {r.then for b in [*scenario.publics, *scenario.legislatures] for r in b.routes}
    rejects = []
    for body in [*scenario.publics, *scenario.legislatures]:
        route = None
        if body.routes:
            matching = [
                r
                for r in body.routes
                if r.id not in targets and all(option[i] in opts for i, opts in r.when.items())
            ]
            if not matching:
                rejects.append(False)  # no vote on it
                continue
            route = matching[0]
        if hasattr(body, "blocs"):
            seats = sum(b.seats for b in body.blocs)
            share = sum(b.seats * _share(scenario, b.rules, package) for b in body.blocs) / seats
            needs = route.needs if route is not None and route.needs else body.needs
            if needs == "majority":
                rejects.append(not share < 0.5)
            else:
                rejects.append(not share <= 1 - _NEEDS[needs] + TIE)
            continue
        share = _share(scenario, body.rules, package)
        limit = body.threshold
        if route is not None and route.threshold is not None:
            limit = route.threshold
        ok = share < limit
        if route is not None and route.turnout is not None:
            if route.quorum is not None and route.turnout < route.quorum:
                ok = False
            if route.approval_quorum is not None and (1 - share) * route.turnout < (
                route.approval_quorum
            ):
                ok = False
        rejects.append(not ok)
    return rejects


def dominates(p: list[float], q: list[float]) -> bool:
    return all(a >= b for a, b in zip(p, q, strict=True)) and any(
        a > b for a, b in zip(p, q, strict=True)
    )


def reference(scenario: Scenario) -> Reference:
    veto = [k for k, a in enumerate(scenario.actors) if a.veto]
    batna = [scenario.actors[k].batna or 0.0 for k in veto]
    packages = list(itertools.product(*(range(len(i.options)) for i in scenario.issues)))
    utility = [reference_utility(scenario, p) for p in packages]
    n_block = len(veto) + len(scenario.publics) + len(scenario.legislatures)
    blocked, sole = [0] * n_block, [0] * n_block
    others = [
        k for k, a in enumerate(scenario.actors) if not a.veto and any(s.never for s in a.stances)
    ]
    crossing = [0] * len(others)
    zopa, ratified = [], []
    for n, p in enumerate(packages):
        crosses = reference_crosses(scenario, p)
        for j, k in enumerate(others):
            crossing[j] += crosses[k]
        refuse = [utility[n][k] <= b or crosses[k] for k, b in zip(veto, batna, strict=True)]
        flags = refuse + reference_reject(scenario, p)
        for k, flag in enumerate(flags):
            blocked[k] += flag
            sole[k] += flag and sum(flags) == 1
        if not any(refuse):
            zopa.append(n)
            if not any(flags):
                ratified.append(n)
    vu = {n: [utility[n][k] for k in veto] for n in ratified}
    frontier = [n for n in ratified if not any(dominates(vu[m], vu[n]) for m in ratified)]
    solutions: dict[str, int | None] = dict.fromkeys(
        ["nash", "kalai_smorodinsky", "egalitarian", "utilitarian"]
    )
    if frontier:
        gains = {n: [u - b for u, b in zip(vu[n], batna, strict=True)] for n in frontier}
        ideal = [max(g[k] for g in gains.values()) for k in range(len(veto))]
        crit = {
            "nash": lambda g: _prod(g),
            "kalai_smorodinsky": lambda g: min(x / m for x, m in zip(g, ideal, strict=True)),
            "egalitarian": min,
            "utilitarian": sum,
        }
        for name, f in crit.items():
            scores = {n: f(gains[n]) for n in frontier}
            best = max(scores.values())
            solutions[name] = min(
                n for n in frontier if scores[n] >= best - TIE * max(1, abs(best))
            )
    # non-veto actors with red lines: the packages crossing them (they block none alone)
    lined = [c for c in crossing if c]
    return Reference(packages, utility, zopa, ratified, frontier, solutions, blocked, sole, lined)


def _prod(values: list[float]) -> float:
    out = 1.0
    for v in values:
        out *= v
    return out


def reference_statuses(scenario: Scenario) -> Counter[str]:
    """Every package's status in the picture, by plain loops over the packages.

    A veto actor's crossed red line comes first (one actor: ``red_line:ID``;
    more: ``red_line``); otherwise the blockers are the veto actors whose
    utility is not above their batna and the publics (then legislatures)
    that reject it.
    """
    veto = [k for k, a in enumerate(scenario.actors) if a.veto]
    out: Counter[str] = Counter()
    for package in itertools.product(*(range(len(i.options)) for i in scenario.issues)):
        crosses = reference_crosses(scenario, package)
        lines = [scenario.actors[k].id for k in veto if crosses[k]]
        if lines:
            out["red_line" if len(lines) > 1 else f"red_line:{lines[0]}"] += 1
            continue
        utility = reference_utility(scenario, package)
        flags = [
            f"actor:{scenario.actors[k].id}"
            for k in veto
            if utility[k] <= (scenario.actors[k].batna or 0.0)
        ]
        bodies = [f"public:{p.id}" for p in scenario.publics] + [
            f"legislature:{g.id}" for g in scenario.legislatures
        ]
        rejects = reference_reject(scenario, package)  # publics, then legislatures
        flags += [b for b, r in zip(bodies[: len(rejects)], rejects, strict=True) if r]
        out["ratified" if not flags else flags[0] if len(flags) == 1 else "several"] += 1
    return out
