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
from math import prod
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from offramp.scenario.rules import compile_rules
from offramp.scenario.schema import NEEDS, Legislature, Public, Route, Scenario

__all__ = [
    "Body",
    "Stage",
    "compile_bodies",
    "route_targets",
    "stages",
]

_TOLERANCE = 1e-12


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


def route_targets(scenario: Scenario) -> set[str]:
    """Ids of the routes some route names as its ``then`` (taken only after that one fails)."""
    bodies: list[Public | Legislature] = [*scenario.publics, *scenario.legislatures]
    return {r.then for b in bodies for r in b.routes if r.then is not None}


def _matches(when: Mapping[str, list[str]], package: Mapping[str, str]) -> bool:
    return all(package[issue] in options for issue, options in when.items())


def _select(
    body: Public | Legislature,
    package: Mapping[str, str],
    targets: set[str],
    after: Route | None,
) -> tuple[bool, Route | None]:
    """Whether the body votes on the package, and by which route (None: the body's defaults)."""
    if after is not None and after.then is not None:
        forced = next((r for r in body.routes if r.id == after.then), None)
        if forced is not None and _matches(forced.when, package):
            return True, forced
    if not body.routes:
        return True, None
    skip = set(targets)
    if after is not None and after.then is not None:
        skip.add(after.id)
    for route in body.routes:
        if route.id not in skip and _matches(route.when, package):
            return True, route
    return False, None


def _bloc_reject(legislature: Legislature, scenario: Scenario, options: NDArray[np.intp]) -> Any:
    seats = np.array([b.seats for b in legislature.blocs], dtype=np.float64)
    shares = np.stack(
        [compile_rules(b, scenario.issues)[0].lookup(options) for b in legislature.blocs]
    )
    return (seats[:, None] * shares).sum(axis=0) / seats.sum()


def _limit(body: Public | Legislature, route: Route | None) -> tuple[float, bool]:
    """The rejection share a vote must stay below (strict) or at most at."""
    if isinstance(body, Public):
        if route is not None and route.threshold is not None:
            return float(route.threshold), True
        return float(body.threshold), True
    needs = route.needs if route is not None and route.needs is not None else body.needs
    return 1.0 - NEEDS[needs], needs != "majority"


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
    ok = reject < threshold if strict else reject <= threshold + _TOLERANCE
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
        votes, route = _select(body, package, targets, after)
        if not votes:
            continue
        if isinstance(body, Public):
            reject = float(compile_rules(body, scenario.issues)[0].lookup(options)[0])
            kind: Literal["public", "legislature"] = "public"
        else:
            reject = float(_bloc_reject(body, scenario, options)[0])
            kind = "legislature"
        threshold, strict = _limit(body, route)
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


@dataclass(frozen=True)
class Body:
    """A public or legislature compiled over the issues its rules and routes mention.

    Attributes
    ----------
    id, kind, label : str
    issues : tuple of int
        Scenario indices of the mentioned issues.
    sizes : tuple of int
        Their option counts; cells are their combinations, row-major.
    reject : ndarray of float64, shape (cells,)
        Predicted rejection share (point values).
    rule : ndarray of intp, shape (cells,)
        A public's rule giving the prediction (-1 for legislatures), so a
        sweep can look up drawn rejection shares.
    route : ndarray of intp, shape (cells,)
        Index in the body's routes of the route a first text takes; -1: the
        body's defaults; -2: the body does not vote.
    threshold : ndarray of float64, shape (cells,)
        The rejection share the vote must stay below (``strict``) or at most
        at; NaN where it is the public's own (uncertain) ``threshold``.
    strict : ndarray of bool, shape (cells,)
    quorum_met : ndarray of bool, shape (cells,)
        Whether the predicted turnout reaches the turnout quorum (True without one).
    turnout, approval : ndarray of float64, shape (cells,)
        Predicted turnout and approval quorum (NaN when there is none).
    default_threshold : float
        The public's own threshold (point value; NaN for legislatures).
    """

    id: str
    kind: Literal["public", "legislature"]
    label: str
    issues: tuple[int, ...]
    sizes: tuple[int, ...]
    reject: NDArray[np.float64]
    rule: NDArray[np.intp]
    route: NDArray[np.intp]
    threshold: NDArray[np.float64]
    strict: NDArray[np.bool_]
    quorum_met: NDArray[np.bool_]
    turnout: NDArray[np.float64]
    approval: NDArray[np.float64]
    default_threshold: float
    route_ids: tuple[str, ...] = ()
    """Ids of the body's routes (the indices of ``route``)."""

    @property
    def route_names(self) -> tuple[str, ...]:
        """Names for ``route`` values -2, -1, 0, ...: ``none``, ``default``, then the route ids.

        A body without routes has only ``("default",)``.
        """
        return ("none", "default", *self.route_ids) if self.route_ids else ("default",)

    def cells(self, options: NDArray[np.intp]) -> NDArray[np.intp]:
        """Cell of every package, from option indices of shape (n, n_issues)."""
        if not self.issues:
            return np.zeros(options.shape[0], dtype=np.intp)
        return np.ravel_multi_index(tuple(options[:, i] for i in self.issues), self.sizes)

    def passes(
        self, cells: NDArray[np.intp], share: NDArray[np.float64], own: Any = None
    ) -> NDArray[np.bool_]:
        """Whether the vote on each cell passes, given rejection shares (broadcast with cells).

        ``own`` is the public's own threshold where a route does not set one
        (default: its point value). Cells the body does not vote on pass.
        """
        own = self.default_threshold if own is None else own
        limit = np.where(np.isnan(self.threshold[cells]), own, self.threshold[cells])
        strict = self.strict[cells]
        ok = np.where(strict, share < limit, share <= limit + _TOLERANCE)
        ok &= self.quorum_met[cells]
        approval, turnout = self.approval[cells], self.turnout[cells]
        ok &= np.isnan(approval) | ((1.0 - share) * turnout >= approval)
        out: NDArray[np.bool_] = (self.route[cells] == -2) | ok
        return out

    @property
    def rejected(self) -> NDArray[np.bool_]:
        """Whether the body rejects each cell (point values; False where it does not vote)."""
        cells = np.arange(len(self.reject), dtype=np.intp)
        return ~self.passes(cells, self.reject)

    def rejects(self, options: NDArray[np.intp]) -> NDArray[np.bool_]:
        """Whether the body rejects each package (point values), shape (n, n_issues) -> (n,)."""
        cells = self.cells(options)
        return ~self.passes(cells, self.reject[cells])


def compile_bodies(scenario: Scenario) -> tuple[Body, ...]:
    """Every public, then every legislature, compiled for first texts (no renegotiation).

    Raises
    ------
    ValueError
        When a body's mentioned issues have more than
        :data:`offramp.ratify.MAX_RULE_COMBINATIONS` combinations.
    """
    from offramp.scenario.rules import MAX_RULE_COMBINATIONS

    index = {issue.id: i for i, issue in enumerate(scenario.issues)}
    targets = route_targets(scenario)
    out: list[Body] = []
    bodies: list[Public | Legislature] = [*scenario.publics, *scenario.legislatures]
    for body in bodies:
        mentioned: set[int] = {index[i] for r in body.routes for i in r.when}
        if isinstance(body, Public):
            mentioned |= {index[i] for rule in body.rules for i in rule.when}
        else:
            mentioned |= {index[i] for b in body.blocs for rule in b.rules for i in rule.when}
        issues = tuple(sorted(mentioned))
        sizes = tuple(len(scenario.issues[i].options) for i in issues)
        total = prod(sizes)
        if total > MAX_RULE_COMBINATIONS:
            raise ValueError(
                f"`{body.id}`'s rules and routes mention issues with {total:,} combinations of "
                f"options; offramp compiles at most {MAX_RULE_COMBINATIONS:,}: simplify them"
            )
        grid = np.zeros((total, len(scenario.issues)), dtype=np.intp)
        if issues:
            grid[:, list(issues)] = np.stack(np.unravel_index(np.arange(total), sizes), axis=1)
        if isinstance(body, Public):
            table = compile_rules(body, scenario.issues)[0]
            reject = table.lookup(grid)
            if table.issues:
                flat = np.ravel_multi_index(tuple(grid[:, i] for i in table.issues), table.sizes)
                rule = table.rule[flat]
            else:
                rule = np.full(total, table.rule[0], dtype=np.intp)
            kind: Literal["public", "legislature"] = "public"
            default = float(body.threshold)
        else:
            reject = _bloc_reject(body, scenario, grid)
            rule = np.full(total, -1, dtype=np.intp)
            kind = "legislature"
            default = float("nan")
        route = np.full(total, -2, dtype=np.intp)
        threshold = np.full(total, np.nan)
        strict = np.ones(total, dtype=bool)
        quorum_met = np.ones(total, dtype=bool)
        turnout = np.full(total, np.nan)
        approval = np.full(total, np.nan)
        for c in range(total):
            package = {
                issue.id: issue.options[int(grid[c, i])].id
                for i, issue in enumerate(scenario.issues)
            }
            votes, chosen = _select(body, package, targets, None)
            if not votes:
                continue
            route[c] = -1 if chosen is None else body.routes.index(chosen)
            limit, strict[c] = _limit(body, chosen)
            own = isinstance(body, Public) and (chosen is None or chosen.threshold is None)
            threshold[c] = np.nan if own else limit
            if chosen is not None and chosen.turnout is not None:
                turnout[c] = chosen.turnout
                quorum_met[c] = chosen.quorum is None or chosen.turnout >= chosen.quorum
                if chosen.approval_quorum is not None:
                    approval[c] = chosen.approval_quorum
        out.append(
            Body(
                body.id,
                kind,
                body.label,
                issues,
                sizes,
                np.asarray(reject, dtype=np.float64),
                rule,
                route,
                threshold,
                strict,
                quorum_met,
                turnout,
                approval,
                default,
                tuple(r.id for r in body.routes),
            )
        )
    return tuple(out)
