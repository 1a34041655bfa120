"""Ratification by routes: which body votes on a package, by which rule, and what a failure does.

A body is a public (``publics``) or a legislature (``legislatures``). Each
predicts the share of it that rejects a package: a public from its rules
(:mod:`offramp.ratify`), a legislature as the seat-weighted mean of its
blocs' rules. A body without ``routes`` votes on every package and passes it
when the rejection share is below its threshold (a public) or when the share
of seats for it reaches ``needs`` (a legislature). A body with routes votes
on a package by the first route whose ``when`` matches it, and not at all
when none does; a route may override the threshold (publics) or ``needs``
(legislatures), and a referendum may need a turnout quorum (valid only when
the predicted ``turnout`` reaches ``quorum``) and an approval quorum (the
yes votes, ``(1 - reject) * turnout`` of the electorate, reach
``approval_quorum``).

Votes happen in ``order`` (lower first; ties in file order). The first
failing vote decides what happens: ``end`` (no settlement) or
``renegotiate``: the talks resume, for at most ``rounds`` rounds, with the
rejecting body's objections as an added constraint (the new text must be
one that body would pass), and the new text takes the route named by
``then`` instead of the failed one (a route named by some ``then`` is taken
only that way, e.g. Colombia 2016: the plebiscite failed; the renegotiated
accord went to Congress).

Interpretive choices
--------------------
* ``majority`` is more than half of the seats (a strict inequality on the
  rejection share, as for publics); ``three_fifths``, ``two_thirds`` and
  ``three_quarters`` are "at least" (non-strict, within 1e-12).
* A legislature's bloc rules take their point values (the sweep does not
  draw them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from offramp.problem.bodies import (
    TOLERANCE,
    bloc_rejection,
    route_targets,
    select_route,
    vote_limit,
)
from offramp.scenario.rules import compile_rules
from offramp.scenario.schema import Legislature, Public, Route, Scenario

__all__ = ["Stage", "stages"]


@dataclass(frozen=True)
class Stage:
    """One vote of one body on one package.

    ``threshold`` is the rejection share the vote must stay below
    (``strict``) or at most at (not ``strict``); ``passes`` is the verdict
    and ``why`` says it in words.
    """

    body: str
    kind: Literal["public", "legislature"]
    label: str
    route: str | None
    route_label: str | None
    order: int
    reject: float
    threshold: float
    strict: bool
    turnout: float | None
    quorum: float | None
    approval_quorum: float | None
    passes: bool
    why: str
    on_fail: str
    rounds: int
    then: str | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``verdict``: ``"passes"`` or ``"fails"``)."""
        out = asdict(self)
        out["verdict"] = "passes" if self.passes else "fails"
        return out


def _quorums(reject: float, route: Route | None) -> str | None:
    """Why a referendum's quorums fail (None when met or when there are none)."""
    if route is None or route.turnout is None:
        return None
    if route.quorum is not None and route.turnout < route.quorum:
        return f"turnout {route.turnout:.0%} is below the quorum of {route.quorum:.0%}"
    yes = (1.0 - reject) * route.turnout
    if route.approval_quorum is not None and yes < route.approval_quorum:
        return f"yes votes of {yes:.0%} of the electorate fall short of {route.approval_quorum:.0%}"
    return None


def _verdict(
    reject: float, threshold: float, strict: bool, route: Route | None
) -> tuple[bool, str]:
    ok = reject < threshold if strict else reject <= threshold + TOLERANCE
    relation = "below" if strict else "at most"
    if not ok:
        return False, f"rejection {reject:.0%} is not {relation} {threshold:.0%}"
    short = _quorums(reject, route)
    if short is not None:
        return False, short
    return True, f"rejection {reject:.0%} is {relation} {threshold:.0%}"


def stages(
    scenario: Scenario, package: Mapping[str, str], *, after: Route | None = None
) -> tuple[Stage, ...]:
    """Every vote a package faces, in order.

    Parameters
    ----------
    scenario : Scenario
    package : mapping of issue id to option id
        One option on every issue.
    after : Route, optional
        The route whose failure sent the text back to the table (its
        ``then`` route replaces it).

    Returns
    -------
    tuple of Stage
        Sorted by ``order`` (then publics before legislatures, in file order).

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> s = load_scenario(Path(__file__).parents[3] / "scenarios" / "ukraine-2024-09.yaml")
    >>> plan = next(p for p in s.packages if p.id == "vance_plan").options
    >>> [(x.route, x.passes) for x in stages(s, plan)]
    [('amendment_nato', False), ('referendum', False)]
    """
    targets = route_targets(scenario)
    options = np.array(
        [[[o.id for o in i.options].index(package[i.id]) for i in scenario.issues]], dtype=np.intp
    )
    out: list[Stage] = []
    bodies: list[Public | Legislature] = [*scenario.publics, *scenario.legislatures]
    for body in bodies:
        votes, route = select_route(body, package, targets, after)
        if not votes:
            continue
        if isinstance(body, Public):
            reject = float(compile_rules(body, scenario.issues)[0].lookup(options)[0])
            kind: Literal["public", "legislature"] = "public"
        else:
            reject = float(bloc_rejection(body, scenario, options)[0])
            kind = "legislature"
        threshold, strict = vote_limit(body, route)
        passes, why = _verdict(reject, threshold, strict, route)
        out.append(
            Stage(
                body=body.id,
                kind=kind,
                label=body.label,
                route=None if route is None else route.id,
                route_label=None if route is None else route.label,
                order=0 if route is None else route.order,
                reject=round(reject, 10),
                threshold=threshold,
                strict=strict,
                turnout=None if route is None else route.turnout,
                quorum=None if route is None else route.quorum,
                approval_quorum=None if route is None else route.approval_quorum,
                passes=passes,
                why=why,
                on_fail="end" if route is None else route.on_fail,
                rounds=0 if route is None or route.on_fail == "end" else (route.rounds or 1),
                then=None if route is None else route.then,
            )
        )
    return tuple(sorted(out, key=lambda s: s.order))
