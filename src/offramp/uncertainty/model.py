"""Draws of a Problem's uncertain inputs and events: one batched Problem per batch of draws.

:func:`offramp.problem.compile_problem` compiles a scenario once: the point
values of every numeric input as arrays, the uncertain inputs (each a
distribution and the array slot it fills) and the events (branch
probabilities and the changes of every branch). :func:`draw` maps uniform
numbers in [0, 1) to a batch of problems: a :class:`~offramp.problem.Problem`
whose batch axis holds the draws.

Every draw is a deterministic function of one row of uniform numbers, one
column ("stream") per uncertain input, per event and per distribution in a
branch's changes, in this order. The rows come from a counter-based
generator (:func:`uniforms`) for sweeps and from a Sobol or Morris design
for the sensitivity analysis, so both drive the same function.

Interpretive choices
--------------------
* Events apply in file (= date) order; a later event's change of an input
  overrides an earlier one's (``{add: x}`` adds to the value it finds).
* An event dated after ``at`` does not happen: its branch is recorded as
  -1 and its changes are not applied. Its streams are still drawn, so the
  same seed gives the same base draws whatever ``at`` is (common random
  numbers across dates).
* A branch is picked by inverse CDF of its event's (conditional)
  probabilities: the first branch whose cumulative probability exceeds u.
* Red lines are drawn last (:mod:`offramp.settle.redlines`): after the
  inputs and events have given every option's ``never_p`` its value in the
  draw (itself drawn when uncertain, changed by the branches that happen),
  one more uniform ``v`` per stance with a red line decides it: option ``k``
  is ruled out when ``v < never_p[k]``, i.e. a Bernoulli trial with the
  drawn probability. With ``never_p`` 1 the line always holds, with 0 never.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from offramp.problem import BATCHED, Problem

__all__ = ["Drawn", "draw", "uniforms"]


@dataclass(frozen=True)
class Drawn:
    """A batch of draws (leading axis B).

    Attributes
    ----------
    problem : Problem
        The drawn problems, a batch of B.
    branch : ndarray of int16, shape (B, E)
        Branch of every event (-1: the event does not happen by ``at``).
    drawn : ndarray of float64, shape (B, n_inputs)
        The uncertain inputs' base draws (before events change them).
    """

    problem: Problem
    branch: NDArray[np.int16]
    drawn: NDArray[np.float64]


def uniforms(seed: int, start: int, stop: int, streams: int) -> NDArray[np.float64]:
    """Uniform numbers in [0, 1) for draws ``start .. stop-1``: shape (stop-start, streams).

    Counter-based: draw ``d`` always gets the same row, whatever chunk it is
    computed in. The generator is Philox4x64-10 (Salmon et al. 2011,
    https://doi.org/10.1145/2063384.2063405) keyed by ``seed``; draw ``d``
    takes the 64-bit outputs ``d*W .. d*W + streams - 1`` with ``W`` =
    ``streams`` rounded up to a multiple of 4 (one Philox block), converted
    to doubles as ``(x >> 11) * 2**-53``.

    Examples
    --------
    >>> a = uniforms(7, 0, 10, 3)
    >>> bool(np.array_equal(a[4:9], uniforms(7, 4, 9, 3)))
    True
    """
    width = max(4, -(-streams // 4) * 4)
    bits = np.random.Philox(key=seed)
    bits.advance(start * width // 4)
    out = np.random.Generator(bits).random((stop - start, width))
    return out[:, :streams]


def draw(problem: Problem, u: NDArray[np.float64], at: dt.date | None = None) -> Drawn:
    """Problems for a batch of uniform rows.

    Parameters
    ----------
    problem : Problem
        A batch of one (the compiled scenario).
    u : ndarray of float64, shape (B, problem.streams)
    at : date, optional
        Events dated after it do not happen; None: every event happens.

    Returns
    -------
    Drawn

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.problem import compile_problem
    >>> from offramp.scenario import load_scenario
    >>> p = compile_problem(load_scenario(Path(__file__).parents[3] / "scenarios"
    ...                                   / "ukraine-2024-09.yaml"))
    >>> d = draw(p, uniforms(1, 0, 8, p.streams))
    >>> d.problem.batch, d.branch.shape[0], [t.shape[0] for t in d.problem.tables][:2]
    (8, 8, [8, 8])
    """
    n = u.shape[0]
    arrays = {k: np.repeat(getattr(problem, k)[:1], n, axis=0) for k in BATCHED}
    drawn = np.empty((n, len(problem.inputs)))
    for k, inp in enumerate(problem.inputs):
        name, index = inp.slot
        x = inp.distribution.ppf(u[:, k], inp.resolve)
        for where in (index, *inp.more):
            arrays[name][(slice(None), *where)] = x  # type: ignore[index]
        drawn[:, k] = x
    branch = np.full((n, len(problem.events)), -1, dtype=np.int16)
    for e, event in enumerate(problem.events):
        if at is not None and event.date > at:
            continue
        if event.parent >= 0:
            probs = event.probability[branch[:, event.parent]]
        else:
            probs = np.broadcast_to(event.probability[0], (n, event.probability.shape[1]))
        cum = np.cumsum(probs, axis=1)[:, :-1]
        chosen = (u[:, event.stream, None] >= cum).sum(axis=1).astype(np.int16)
        branch[:, e] = chosen
        for b, changes in enumerate(event.changes):
            mask = chosen == b
            if not changes or not mask.any():
                continue
            for change in changes:
                name, index = change.slot
                where = (mask, *index)
                if change.distribution is None:
                    value: Any = change.value
                else:
                    value = change.distribution.ppf(u[mask, change.stream], change.resolve)
                if change.op == "add":
                    value = np.clip(arrays[name][where] + value, change.low, change.high)
                arrays[name][where] = value
    never = [np.zeros((n, *m.shape[1:]), dtype=bool) for m in problem.never]
    never_p = arrays["never_p"]
    for a, i, s in problem.red_line_streams:
        k = never[i].shape[2]
        never[i][:, a, :] = u[:, s, None] < never_p[:, a, i, :k]
    return Drawn(problem.with_inputs(**arrays, never=tuple(never)), branch, drawn)
