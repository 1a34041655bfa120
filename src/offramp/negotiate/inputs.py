"""A scenario as the protocol's inputs: the veto actors' utilities and the ratified packages."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from offramp.errors import SpaceTooLargeError
from offramp.negotiate.protocol import Signing
from offramp.negotiate.strategies import (
    StrategyError,
)
from offramp.problem import Problem, Space
from offramp.problem.bodies import Body, compile_bodies
from offramp.scenario.schema import Route
from offramp.settle.redlines import crossed
from offramp.settle.space import iter_blocks

__all__ = [
    "ENUMERATION_MAX",
    "MAX_PACKAGES",
    "METHODS",
    "rounds_until",
    "scenario_inputs",
    "scenario_lines",
    "scenario_signing",
]


MAX_PACKAGES = 1_000_000
"""Largest space ``method="enumeration"`` simulates over (every turn scans every package)."""

ENUMERATION_MAX = 1 << 14
"""Largest space ``method="auto"`` enumerates; larger ones negotiate on merged frontiers.

Where both engines run they give the same transcript; this is where the
frontier engine becomes the faster one (``benchmarks/bench_negotiate.py --huge``).
"""

METHODS = ("auto", "enumeration", "merge")
"""Values of :func:`~offramp.negotiate.negotiate`'s ``method`` (as ``analyze``'s)."""


def rounds_until(problem: Problem, deadline: dt.date, round_days: int = 7) -> int:
    """Rounds of ``round_days`` days from the scenario's ``as_of`` to a date (at least 1).

    Raises
    ------
    StrategyError
        If the date is not after ``as_of``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> rounds_until(SimpleNamespace(as_of=dt.date(2024, 9, 16)), dt.date(2025, 1, 20))
    18
    """
    days = (deadline - problem.as_of).days
    if days <= 0:
        raise StrategyError(
            f"the deadline {deadline} is not after the scenario's date ({problem.as_of}); "
            "give a later date or a number of rounds"
        )
    return max(1, -(-days // round_days))


def scenario_inputs(
    problem: Problem,
) -> tuple[Space, NDArray[np.intp], NDArray[np.float64], NDArray[np.bool_]]:
    space = problem.space
    if space.size > MAX_PACKAGES:
        raise SpaceTooLargeError(
            f"the scenario has {space.size:,} packages; negotiation enumerates at most "
            f"{MAX_PACKAGES:,}: use method 'merge' (the default for large spaces)"
        )
    veto = problem.veto_index
    tables = problem.tables_of(0)
    utility = np.concatenate([block[veto] for _, block in iter_blocks(tables)], axis=1)
    allowed = np.ones(space.size, dtype=bool)
    if problem.bodies:  # every public and legislature, by the route each package takes
        options = space.options_of(np.arange(space.size, dtype=np.int64))
        allowed = ~problem.body_rejects(options)[0].any(axis=0)
    return space, veto, utility, allowed


def scenario_lines(problem: Problem, space: Space, veto: NDArray[np.intp]) -> NDArray[np.bool_]:
    """Packages each veto actor may offer or accept: those crossing none of its red lines.

    Returns
    -------
    ndarray of bool, shape (n_veto, n_packages)
    """
    masks = [m[0][veto] for m in problem.never]
    options = space.options_of(np.arange(space.size, dtype=np.int64))
    out: NDArray[np.bool_] = ~crossed(masks, options)
    return out


def scenario_signing(
    problem: Problem, space: Space, options: NDArray[np.intp] | None = None
) -> Signing:
    """Ratification at signing: the first body whose vote a package fails, and what follows.

    Votes follow their routes' ``order`` (then publics before legislatures, in
    file order, as :func:`offramp.settle.routes.stages`); a failed vote sends
    the text back to the table as many times as its route's ``rounds`` when
    its ``on_fail`` is ``renegotiate``. The renegotiated text takes the route
    named by the failed route's ``then`` (:func:`offramp.settle.routes.compile_bodies`
    with ``after``: Colombia 2016, the plebiscite failed and the renegotiated
    accord went to Congress), or faces the same votes when it names none.
    The bodies are compiled from the scenario's point values. ``options``
    (shape (n, n_issues)) gives the packages to compute it for; default every
    package of the space, in order.
    """
    scenario = problem.scenario
    if options is None:
        options = space.options_of(np.arange(space.size, dtype=np.int64))
    routes = [*[p.routes for p in scenario.publics], *[g.routes for g in scenario.legislatures]]
    onward = [r for rs in routes for r in rs if r.then is not None and r.on_fail == "renegotiate"]
    first = _signing(problem.bodies, routes, onward, options)
    after = tuple(
        _signing(compile_bodies(scenario, after=r), routes, onward, options) for r in onward
    )
    return replace(first, after=after)


def _signing(
    bodies: tuple[Body, ...],
    routes: list[list[Route]],
    onward: list[Route],
    options: NDArray[np.intp],
) -> Signing:
    """:func:`scenario_signing` for one set of compiled bodies; ``then`` indexes ``onward``."""
    n = options.shape[0]
    failure = np.full(n, -1, dtype=np.intp)
    rounds = np.zeros(n, dtype=np.int64)
    then = np.full(n, -1, dtype=np.intp)
    best = np.full(n, np.inf)
    constraint = np.zeros((len(bodies), n), dtype=bool)
    for f, body in enumerate(bodies):
        rejects = body.rejects(options)
        constraint[f] = ~rejects
        route = body.route[body.cells(options)]
        order = np.array([0] + [r.order for r in routes[f]], dtype=np.float64)[route + 1]
        again = np.array(
            [0] + [(r.rounds or 1) if r.on_fail == "renegotiate" else 0 for r in routes[f]],
            dtype=np.int64,
        )[route + 1]
        goes = np.array(
            [-1] + [next((j for j, o in enumerate(onward) if o is r), -1) for r in routes[f]],
            dtype=np.intp,
        )[route + 1]
        first = rejects & (order < best)
        failure[first], rounds[first], best[first] = f, again[first], order[first]
        then[first] = goes[first]
    return Signing(failure, rounds, constraint, then)
