"""A scenario as the frontier engine's inputs, per issue (for spaces too large to enumerate)."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np
from numpy.typing import NDArray

from offramp.errors import SpaceTooLargeError
from offramp.negotiate.inputs import scenario_signing
from offramp.negotiate.protocol import Signing
from offramp.problem import Problem
from offramp.problem.bodies import compile_bodies
from offramp.settle.merge import MAX_RULE_COMBOS, FrontierTooLargeError, merge_frontier
from offramp.settle.solutions import solve

__all__ = ["IssueInputs", "issue_inputs", "merged_check"]


@dataclass(frozen=True)
class IssueInputs:
    """The veto actors' per-issue inputs of :func:`~offramp.negotiate.frontier.simulate_frontier`.

    Attributes
    ----------
    tables : list of ndarray of float64, each (k, n_options_i)
    lines : list of ndarray of bool, each (k, n_options_i)
        Options crossing none of the actor's red lines.
    mentioned : tuple of int
        Issues the ratifying bodies' rules and routes mention (for first and
        for renegotiated texts).
    signing : Signing
        Ratification at signing over the combinations of those issues' options.
    """

    tables: list[NDArray[np.float64]]
    lines: list[NDArray[np.bool_]]
    mentioned: tuple[int, ...]
    signing: Signing


def issue_inputs(problem: Problem) -> IssueInputs:
    """The problem's veto actors, red lines and ratification, issue by issue.

    Raises
    ------
    SpaceTooLargeError
        When the issues the bodies mention have more than
        :data:`~offramp.settle.merge.MAX_RULE_COMBOS` combinations of options.
    """
    veto = problem.veto_index
    space = problem.space
    scenario = problem.scenario
    routes = [r for p in scenario.publics for r in p.routes]
    routes += [r for g in scenario.legislatures for r in g.routes]
    onward = [r for r in routes if r.then is not None and r.on_fail == "renegotiate"]
    bodies = [*problem.bodies, *(b for r in onward for b in compile_bodies(scenario, after=r))]
    mentioned = tuple(sorted({i for body in bodies for i in body.issues}))
    sizes = [space.sizes[i] for i in mentioned]
    if prod(sizes) > MAX_RULE_COMBOS:
        raise SpaceTooLargeError(
            f"the ratifying bodies' rules and routes mention issues with {prod(sizes):,} "
            f"combinations of options; negotiation on a merged space handles at most "
            f"{MAX_RULE_COMBOS:,}: simplify the rules"
        )
    grid = np.zeros((prod(sizes), len(space.sizes)), dtype=np.intp)
    if mentioned:
        grid[:, list(mentioned)] = np.stack(np.unravel_index(np.arange(prod(sizes)), sizes), axis=1)
    return IssueInputs(
        tables=[t[veto] for t in problem.tables_of(0)],
        lines=[~m[0][veto] for m in problem.never],
        mentioned=mentioned,
        signing=scenario_signing(problem, space, options=grid),
    )


def merged_check(problem: Problem, agreed: int) -> tuple[int | None, bool | None]:
    """Nash package of the ratified ZOPA and whether ``agreed`` is on its frontier, by merging.

    The merged counterpart of enumeration's check (the same packages:
    above every veto actor's batna, crossing none of their red lines, every
    public and legislature passes by the route it takes; the Nash solution's
    ties to the first package). The check problem's ratification inputs are
    the scenario's as compiled (events do not move them, as in enumeration's
    check).

    Returns
    -------
    nash : int or None
        Package index; None when the ZOPA is empty or its exact frontier exceeds
        the merge's memory budget.
    pareto : bool or None
        Whether ``agreed`` (-1: none) is on the frontier; None without an agreement
        or when the frontier could not be computed.
    """
    try:
        front = merge_frontier(problem)
    except FrontierTooLargeError:
        return None, None
    veto = problem.veto_index
    batna = problem.batna[0, veto].astype(np.float64)
    sizes = problem.space.sizes
    index = (
        np.ravel_multi_index(tuple(front.options.T.astype(np.intp)), sizes)
        if len(front.options)
        else np.zeros(0, dtype=np.intp)
    )
    nash = None
    if len(index):
        row = solve(front.utility[veto].T, batna, index.astype(np.int64))["nash"]
        nash = None if row is None else int(index[row])
    return nash, (None if agreed < 0 else bool(np.any(index == agreed)))
