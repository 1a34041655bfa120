"""The settlement analysis batched over draws: ZOPA, ratification, Nash package, blockers.

For a batch of problems (a :class:`~offramp.problem.Problem` whose batch
axis holds a sweep's draws, :func:`offramp.uncertainty.model.draw`) this
computes, per draw, exactly what :func:`offramp.settle.analysis.analyze_space` computes
for one scenario, with the same definitions and the same floating
point operations (so a draw of point values reproduces ``analyze``
bit for bit; see tests/test_uncertainty.py):

* utilities of the veto actors summed in the order of
  :func:`offramp.settle.space.iter_blocks` (laid out packages-first, see
  :func:`_blocks`) over the Problem's batched utility tables
  (:attr:`offramp.problem.Problem.tables`);
* ZOPA: packages every veto actor strictly prefers to its batna and whose
  options cross none of its red lines (drawn); ratified: those every public
  and legislature passes, by the route each package takes there
  (:meth:`offramp.problem.Problem.body_rejects`: a public's drawn rejection
  shares and threshold, a route's own threshold, needs and quorums, a
  legislature's blocs at their point values);
* the Nash package (Nash 1950, https://doi.org/10.2307/1907266): the
  ratified package maximizing the product of gains over batnas, ties within
  1e-12 (as :func:`offramp.settle.solutions.solve`) going to the lowest package index
  among the tied packages that no other tied package Pareto-dominates. This
  equals ``analyze``'s choice on the frontier: a dominated maximizer's
  dominator has a product at least as large, so it is tied too;
* blockers: per veto actor, public and legislature, the packages it blocks
  and those it alone blocks;
* routes: per body, the route the Nash package takes there, and per body
  and route the ZOPA packages that take it and those the body passes
  (counts, so chunks add up).

When the space is one block (at most ``block_size`` packages) and numba is
installed, the same analysis runs compiled, draw by draw
(:mod:`offramp.uncertainty._fused`), with the same operations in the same
order: identical results (tests/test_uncertainty.py), a fraction of the time.

Interpretive choices
--------------------
* A draw in which every salience of a veto actor is 0 makes it indifferent
  (utility 0 everywhere) instead of dividing by zero.
* When a space needs several blocks of packages (more than
  ``block_size``), Nash ties within 1e-12 across blocks keep the earlier
  block's package; a space of up to ``block_size`` packages is one block.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from math import prod
from typing import Any

import numpy as np
from numpy.typing import NDArray

from offramp.problem import Problem
from offramp.settle.space import DECIMALS
from offramp.uncertainty import _fused

__all__ = ["NO_AGREEMENT", "Settlement", "route_slots", "settle"]

NO_AGREEMENT = -3
"""``Settlement.route`` of a draw without a Nash package."""

_REL_TIE = 1e-12
_CROSSED = -1e9
"""Weighted value of an option a veto actor's red line rules out: no package with it can
reach a batna in [0, 1] (sums stay finite, so rounding and comparisons are unchanged)."""


@dataclass(frozen=True)
class Settlement:
    """Per-draw results of the settlement analysis (leading axis B).

    Attributes
    ----------
    zopa, ratified : ndarray of int64, shape (B,)
        Packages in the ZOPA and in the ratified ZOPA.
    nash : ndarray of int64, shape (B,)
        Package index of the Nash solution, -1 when the ratified ZOPA is empty.
    blocked, sole : ndarray of int64, shape (B, V + P + L)
        Packages each veto actor (then each public, then each legislature)
        blocks, and blocks alone.
    route : ndarray of int16, shape (B, P + L)
        The route the Nash package takes at each body (``Body.route``
        values: -2 it does not vote, -1 its defaults, r its route r);
        :data:`NO_AGREEMENT` without a Nash package.
    reach, passed : ndarray of int64, shape (B, S)
        Per slot of :func:`route_slots` (a body and a route value): the ZOPA
        packages that take that route there, and those of them the body passes.
    """

    zopa: NDArray[np.int64]
    ratified: NDArray[np.int64]
    nash: NDArray[np.int64]
    blocked: NDArray[np.int64]
    sole: NDArray[np.int64]
    route: NDArray[np.int16]
    reach: NDArray[np.int64]
    passed: NDArray[np.int64]


def route_slots(problem: Problem) -> list[tuple[int, int]]:
    """``(body, route value)`` of every column of ``Settlement.reach``: per body, -2, -1, 0, ...

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.problem import compile_problem
    >>> from offramp.scenario import load_scenario
    >>> p = compile_problem(load_scenario(Path(__file__).parents[3] / "scenarios"
    ...                                   / "ukraine-2024-09.yaml"))
    >>> route_slots(p)[:4]
    [(0, -2), (0, -1), (0, 0), (1, -2)]
    """
    return [(q, r) for q, body in enumerate(problem.bodies) for r in range(-2, len(body.route_ids))]


def _blocks(
    tables: list[NDArray[np.float64]], block_size: int
) -> Iterator[tuple[int, NDArray[np.float64]]]:
    """:func:`offramp.settle.space.iter_blocks` in package-major layout.

    ``tables[i]`` has shape (K_i, V, B); yields ``(start, utility)`` with
    utility of shape (m, V, B). The additions are those of ``iter_blocks``
    in the same order (so the sums are bit-identical), and the rounding is
    numpy's ``round(x, DECIMALS)`` spelled out in place (multiply, rint,
    divide), so it is too. Packages first makes every broadcast's inner
    loop run over the V x B contiguous values of one package.
    """
    sizes = [t.shape[0] for t in tables]
    tail = tables[0].shape[1:]
    split = len(sizes)
    while split > 0 and prod(sizes[split - 1 :]) <= block_size:
        split -= 1
    trailing = np.zeros((1, *tail))
    for table in tables[split:]:
        trailing = (trailing[:, None] + table[None, :]).reshape(-1, *tail)
    n_trailing = trailing.shape[0]
    n_prefix = prod(sizes[:split])
    per_block = max(1, block_size // n_trailing)
    scale = 10.0**DECIMALS
    for p0 in range(0, n_prefix, per_block):
        p1 = min(n_prefix, p0 + per_block)
        if split:
            prefix = np.stack(np.unravel_index(np.arange(p0, p1), sizes[:split]), axis=1)
            head: Any = 0
            for i, table in enumerate(tables[:split]):
                head = head + table[prefix[:, i]]
            block = (np.asarray(head)[:, None] + trailing[None, :]).reshape(-1, *tail)
        else:
            block = trailing.copy()
        np.multiply(block, scale, out=block)
        np.rint(block, out=block)
        np.true_divide(block, scale, out=block)
        yield p0 * n_trailing, block


def _body_cells(
    problem: Problem, first: list[int]
) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.int64]]:
    """For the compiled kernel, per ratification body: the cell of every package, shape
    (Q, M); whether it rejects each cell in each draw, shape (B, Q, C), decided as the numpy
    path decides per package; and the ``reach`` column counting each package, shape (Q, M)."""
    m = problem.space.size
    bodies = problem.bodies
    n_pub = len(problem.public_ids)
    options = problem.space.options_of(np.arange(m, dtype=np.int64))
    width = max([len(body.route) for body in bodies], default=1)
    cell = np.zeros((len(bodies), m), dtype=np.int64)
    slot = np.zeros((len(bodies), m), dtype=np.int64)
    verdict = np.ones((problem.batch, len(bodies), width), dtype=bool)
    for q, body in enumerate(bodies):
        cell[q] = body.cells(options)
        ids = np.arange(len(body.route), dtype=np.intp)
        slot[q] = first[q] + body.route[cell[q]] + 2
        if q >= n_pub:  # a legislature: its blocs at their point values
            verdict[:, q, : len(ids)] = body.rejected[None, :]
            continue
        rule = body.rule[ids]
        share = problem.reject[:, q, :][:, np.maximum(rule, 0)]  # (B, C)
        share[:, rule < 0] = 1.0
        own = problem.threshold[:, q, None]
        if body.own_vote:  # its own drawn threshold, where it votes
            verdict[:, q, : len(ids)] = (share >= own) & (body.route[ids] != -2)[None, :]
        else:  # the vote by the route each cell takes there
            verdict[:, q, : len(ids)] = ~body.passes(ids[None, :], share, own)
    return cell, verdict, slot


def _routes_of(problem: Problem, nash: NDArray[np.int64]) -> NDArray[np.int16]:
    """``Settlement.route``: the route the Nash package takes at every body."""
    bodies = problem.bodies
    route = np.full((len(nash), len(bodies)), NO_AGREEMENT, dtype=np.int16)
    agreed = np.flatnonzero(nash >= 0)
    if len(agreed) and bodies:
        options = problem.space.options_of(nash[agreed])
        for q, body in enumerate(bodies):
            route[agreed, q] = body.route[body.cells(options)]
    return route


def settle(problem: Problem, block_size: int = 1 << 18) -> Settlement:
    """The settlement analysis of every problem in a batch.

    Parameters
    ----------
    problem : Problem
        A batch of B problems (draws).
    block_size : int
        Packages per block, as in :func:`offramp.settle.analysis.analyze_space` (results
        do not depend on it except for the cross-block tie rule above).

    Returns
    -------
    Settlement
    """
    n = problem.batch
    veto = problem.veto_index
    bodies = problem.bodies
    n_v, n_p, n_pub = len(veto), len(bodies), len(problem.public_ids)
    slots = route_slots(problem)
    first = [slots.index((q, -2)) for q in range(n_p)]  # each body's first slot
    batna = np.ascontiguousarray(problem.batna[:, veto].T)  # (V, B)
    batched = problem.tables_for(veto)
    for i, weighted in enumerate(batched):
        # a veto actor refuses an option its red line rules out in this draw
        # (settle/redlines.py): its value sinks every package with it
        ruled = problem.never[i][:, veto, :]
        if ruled.any():
            weighted = weighted.copy()
            weighted[np.broadcast_to(ruled, weighted.shape)] = _CROSSED
            batched[i] = weighted
    if problem.space.size <= block_size and _fused.AVAILABLE:
        # one block: the compiled kernel, same operations draw by draw (uncertainty/_fused.py)
        cell, verdict, slot = _body_cells(problem, first)
        zopa, ratified, nash, blocked, sole, reach, passed = _fused.one_block(
            batched,
            problem.batna[:, veto],
            cell,
            verdict,
            slot,
            len(slots),
            10.0**DECIMALS,
            _REL_TIE,
        )
        return Settlement(
            zopa, ratified, nash, blocked, sole, _routes_of(problem, nash), reach, passed
        )
    tables = [np.ascontiguousarray(t.transpose(2, 1, 0)) for t in batched]
    reject_t = [np.ascontiguousarray(problem.reject[:, p, :].T) for p in range(n_pub)]  # (R, B)
    threshold = problem.threshold.T  # (P, B)
    own = [body.own_vote for body in bodies]
    # per route value of each body, a one-hot row over a block's packages (float32 counts
    # by a product with it are exact: a block has at most 2**18 < 2**24 packages)
    values = [np.arange(-2, len(body.route_ids)) for body in bodies]
    zopa = np.zeros(n, dtype=np.int64)
    ratified_n = np.zeros(n, dtype=np.int64)
    blocked = np.zeros((n_v + n_p, n), dtype=np.int64)
    sole = np.zeros((n_v + n_p, n), dtype=np.int64)
    reach = np.zeros((len(slots), n), dtype=np.int64)
    passed = np.zeros((len(slots), n), dtype=np.int64)
    best = np.full(n, -np.inf)
    nash = np.full(n, -1, dtype=np.int64)
    for start, utility in _blocks(tables, block_size):
        m = utility.shape[0]
        refuses = utility <= batna[None]  # (m, V, B)
        masks = [refuses[:, v, :] for v in range(n_v)]
        onehot: list[NDArray[np.float32]] = []
        if n_p:
            options = problem.space.options_of(np.arange(start, start + m, dtype=np.int64))
            for q, body in enumerate(bodies):
                cells = body.cells(options)
                taken = body.route[cells]
                onehot.append((values[q][:, None] == taken[None, :]).astype(np.float32))
                if q >= n_pub:  # a legislature: its blocs at their point values
                    masks.append(np.broadcast_to(body.rejects(options)[:, None], (m, n)))
                    continue
                rule = body.rule[cells]
                share = reject_t[q][np.maximum(rule, 0)]
                share[rule < 0] = 1.0
                if own[q]:  # the public's own drawn threshold, where it votes
                    mask = share >= threshold[q][None, :]
                    if (taken == -2).any():
                        mask &= (taken != -2)[:, None]
                    masks.append(mask)
                else:  # the vote by the route each package takes there
                    masks.append(~body.passes(cells[:, None], share, threshold[q][None, :]))
        count = np.zeros((m, n), dtype=np.uint8)
        for mask in masks:
            count += mask
        alone = count == 1
        for k, mask in enumerate(masks):
            blocked[k] += np.count_nonzero(mask, axis=0)
            sole[k] += np.count_nonzero(mask & alone, axis=0)
        refused = masks[0].copy()
        for v in range(1, n_v):
            refused |= masks[v]
        in_zopa = m - np.count_nonzero(refused, axis=0)
        zopa += in_zopa
        if n_p:
            # per body and route: the ZOPA packages taking it there, and those it passes
            in_zopa_f = (~refused).astype(np.float32)
            for q in range(n_p):
                passes_f = in_zopa_f * ~masks[n_v + q]
                slots_q = slice(first[q], first[q] + len(values[q]))
                # einsum's own loops: a BLAS call this small mostly waits for its threads
                reach[slots_q] += np.rint(np.einsum("rm,mb->rb", onehot[q], in_zopa_f)).astype(
                    np.int64
                )
                passed[slots_q] += np.rint(np.einsum("rm,mb->rb", onehot[q], passes_f)).astype(
                    np.int64
                )
        ratified = count == 0
        if not ratified.any():
            continue
        ratified_n += np.count_nonzero(ratified, axis=0)
        gain = utility - batna[None]
        score = gain[:, 0, :].copy()
        for v in range(1, n_v):
            score = score * gain[:, v, :]
        score[~ratified] = -np.inf
        block_best = score.max(axis=0)
        has = np.isfinite(block_best)
        finite = np.where(has, block_best, 0.0)
        tol = _REL_TIE * np.maximum(1.0, np.abs(finite))
        tied = (score >= (finite - tol)[None, :]) & ratified
        pick = np.argmax(tied, axis=0)
        for d in np.flatnonzero(has & (np.count_nonzero(tied, axis=0) > 1)):
            candidates = np.flatnonzero(tied[:, d])
            points = utility[candidates, :, d]
            keep = [
                c
                for j, c in enumerate(candidates)
                if not np.any(
                    np.all(points >= points[j], axis=1) & np.any(points > points[j], axis=1)
                )
            ]
            pick[d] = keep[0]
        finite_best = np.where(has, block_best, 0.0)
        margin = _REL_TIE * np.maximum(1.0, np.abs(finite_best))
        improves = has & (finite_best > best + margin)
        nash = np.where(improves, start + pick, nash)
        best = np.where(has, np.maximum(best, block_best), best)
    return Settlement(
        zopa,
        ratified_n,
        nash,
        blocked.T.copy(),
        sole.T.copy(),
        _routes_of(problem, nash),
        reach.T.copy(),
        passed.T.copy(),
    )
