"""Ratification bodies compiled once: which route each package takes and how the vote goes.

A body is a public (``publics``) or a legislature (``legislatures``); the
meaning of routes, thresholds, ``needs`` and quorums is given in
:mod:`offramp.settle.routes`, whose :func:`~offramp.settle.routes.stages`
words one package's votes. Here every body is compiled over the issues its
rules and routes mention: per combination of their options (a *cell*), the
route a first text takes (or none), the limit on the rejection share, the
quorums, and, for a public, the rule whose (possibly drawn) rejection share
applies. :class:`offramp.problem.Problem` holds them (``bodies``) and
:meth:`offramp.problem.Problem.body_rejects` applies them to a batch of
problems, so that the analysis, the merge, the counts and the sweep kernel
read ratification from one place.

Interpretive choices
--------------------
* Route selection depends only on the package's options, never on drawn
  inputs; the rejection shares and a public's own threshold are drawn
  (the Problem's ``reject`` and ``threshold``), a route's own threshold,
  ``needs`` and quorums are fixed numbers.
* A legislature's bloc rules take their point values (the sweep does not
  draw them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from math import prod
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from offramp.scenario.rules import compile_rules
from offramp.scenario.schema import NEEDS, Legislature, Public, Route, Scenario

__all__ = [
    "TOLERANCE",
    "Body",
    "bloc_rejection",
    "compile_bodies",
    "route_targets",
    "select_route",
    "vote_limit",
]

TOLERANCE = 1e-12
"""Slack of a non-strict ("at least") vote."""


def route_targets(scenario: Scenario) -> set[str]:
    """Ids of the routes some route names as its ``then`` (taken only after that one fails)."""
    bodies: list[Public | Legislature] = [*scenario.publics, *scenario.legislatures]
    return {r.then for b in bodies for r in b.routes if r.then is not None}


def _matches(when: Mapping[str, list[str]], package: Mapping[str, str]) -> bool:
    return all(package[issue] in options for issue, options in when.items())


def select_route(
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


def bloc_rejection(legislature: Legislature, scenario: Scenario, options: NDArray[np.intp]) -> Any:
    seats = np.array([b.seats for b in legislature.blocs], dtype=np.float64)
    shares = np.stack(
        [compile_rules(b, scenario.issues)[0].lookup(options) for b in legislature.blocs]
    )
    return (seats[:, None] * shares).sum(axis=0) / seats.sum()


def vote_limit(body: Public | Legislature, route: Route | None) -> tuple[float, bool]:
    """The rejection share a vote must stay below (strict) or at most at."""
    if isinstance(body, Public):
        if route is not None and route.threshold is not None:
            return float(route.threshold), True
        return float(body.threshold), True
    needs = route.needs if route is not None and route.needs is not None else body.needs
    return 1.0 - NEEDS[needs], needs == "majority"  # more than half: strict


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
    route_orders: tuple[int, ...] = ()
    """Each route's ``order`` (votes happen lower first; the defaults have order 0)."""
    route_on_fail: tuple[str, ...] = ()
    """Each route's ``on_fail``: ``end`` or ``renegotiate`` (the defaults: ``end``)."""

    @property
    def route_names(self) -> tuple[str, ...]:
        """Names for ``route`` values -2, -1, 0, ...: ``none``, ``default``, then the route ids.

        Examples
        --------
        >>> from pathlib import Path
        >>> from offramp.scenario import load_scenario
        >>> s = load_scenario(Path(__file__).parents[3] / "scenarios" / "ukraine-2024-09.yaml")
        >>> [b.route_names for b in compile_bodies(s)]  # doctest: +NORMALIZE_WHITESPACE
        [('none', 'default', 'referendum'),
         ('none', 'default', 'amendment_nato', 'amendment_eu', 'ratification_law')]
        """
        return ("none", "default", *self.route_ids)

    def order_of(self, route: int) -> int:
        """The ``order`` of a ``route`` value (-1, the defaults: 0)."""
        return 0 if route < 0 else self.route_orders[route]

    def on_fail_of(self, route: int) -> str:
        """What a failed vote by a ``route`` value does: ``end`` or ``renegotiate``."""
        return "end" if route < 0 else self.route_on_fail[route]

    @property
    def own_vote(self) -> bool:
        """Whether every vote it holds is by a public's own threshold, strictly, quorums met.

        Then a package it votes on is rejected exactly when its rejection
        share is at least that threshold (the sweep kernel's fast path).
        """
        votes = self.route != -2
        return bool(
            self.kind == "public"
            and np.isnan(self.threshold[votes]).all()
            and self.strict[votes].all()
            and self.quorum_met[votes].all()
            and np.isnan(self.approval[votes]).all()
        )

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
        ok = np.where(strict, share < limit, share <= limit + TOLERANCE)
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


def compile_bodies(scenario: Scenario, *, after: Route | None = None) -> tuple[Body, ...]:
    """Every public, then every legislature, compiled for first texts (no renegotiation).

    With ``after``, for the texts renegotiated after that route failed (its
    ``then`` route replaces it, as :func:`select_route` with ``after``).

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
            reject = bloc_rejection(body, scenario, grid)
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
            votes, chosen = select_route(body, package, targets, after)
            if not votes:
                continue
            route[c] = -1 if chosen is None else body.routes.index(chosen)
            limit, strict[c] = vote_limit(body, chosen)
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
                tuple(r.order for r in body.routes),
                tuple(r.on_fail for r in body.routes),
            )
        )
    return tuple(out)
