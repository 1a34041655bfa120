"""A sweep by ratification route: how the agreements reach each body, and how likely it passes.

Per draw, the sweep kernel (:func:`offramp.uncertainty.kernel.settle`)
returns the route the Nash package takes at every public and legislature,
and, per body and route, the ZOPA packages that take that route and those
the body passes. :func:`route_counts` turns the draws of one chunk into
:class:`RouteCounts`, plain counts that add up over chunks (``a + b``), and
:meth:`RouteCounts.summary` gives the sweep's ``by_route`` and
``likely_path``:

* ``share``: of the draws with an agreement, the share whose Nash package
  reaches the body by that route (``none``: the body does not vote on it);
* ``p_ratified``: of the ZOPA packages of every draw that take that route
  there, pooled over the draws, the share the body passes (None when no
  ZOPA package takes it); the chance that a text the veto actors would sign
  survives that vote;
* ``likely_path``: the most frequent sequence of votes the agreements take
  (``body:route`` in vote order, :mod:`offramp.settle.routes`), and its
  share of the agreements.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from offramp.problem import Problem
from offramp.uncertainty.kernel import NO_AGREEMENT, route_slots

__all__ = ["RouteCounts", "route_counts"]


@dataclass(frozen=True)
class RouteCounts:
    """Mergeable counts behind ``by_route`` and ``likely_path``.

    Attributes
    ----------
    agreements : ndarray of int64, shape (S,)
        Per slot of :func:`offramp.uncertainty.kernel.route_slots`: draws whose
        Nash package takes that route there.
    reach, passed : ndarray of int64, shape (S,)
        ZOPA packages (summed over draws) that take it, and those the body passes.
    paths : Counter of tuple of int
        The Nash package's route at every body (a tuple per draw with an agreement).
    """

    agreements: NDArray[np.int64]
    reach: NDArray[np.int64]
    passed: NDArray[np.int64]
    paths: Counter[tuple[int, ...]] = field(default_factory=Counter)

    def __add__(self, other: RouteCounts) -> RouteCounts:
        return RouteCounts(
            self.agreements + other.agreements,
            self.reach + other.reach,
            self.passed + other.passed,
            self.paths + other.paths,
        )

    def summary(self, problem: Problem) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
        """``by_route`` (body id -> route name -> share, p_ratified) and ``likely_path``.

        Examples
        --------
        >>> from pathlib import Path
        >>> from offramp.problem import compile_problem
        >>> from offramp.scenario import load_scenario
        >>> p = compile_problem(load_scenario(Path(__file__).parents[3] / "scenarios"
        ...                                   / "textbook-two-party.yaml"))
        >>> route = np.array([[-1], [-1], [NO_AGREEMENT]], dtype=np.int16)
        >>> c = route_counts(p, route, np.array([[0, 4]] * 3), np.array([[0, 3]] * 3))
        >>> by_route, path = c.summary(p)
        >>> by_route["south_parliament"]["default"], path
        ({'share': 1.0, 'p_ratified': 0.75}, {'path': ['south_parliament:default'], 'share': 1.0})
        """
        slots = route_slots(problem)
        agreed = int(sum(self.paths.values()))
        by_route: dict[str, dict[str, Any]] = {}
        for s, (q, r) in enumerate(slots):
            body = problem.bodies[q]
            if not body.route_ids and r == -2:
                continue  # a body without routes votes on every package
            reach = int(self.reach[s])
            by_route.setdefault(body.id, {})[body.route_names[r + 2]] = {
                "share": int(self.agreements[s]) / agreed if agreed else 0.0,
                "p_ratified": int(self.passed[s]) / reach if reach else None,
            }
        likely: dict[str, Any] = {"path": [], "share": 0.0}
        if agreed:
            routes, n = min(self.paths.items(), key=lambda kv: (-kv[1], kv[0]))
            votes = [(problem.bodies[q].order_of(r), q, r) for q, r in enumerate(routes) if r != -2]
            likely = {
                "path": [
                    f"{problem.bodies[q].id}:{problem.bodies[q].route_names[r + 2]}"
                    for _, q, r in sorted(votes)
                ],
                "share": n / agreed,
            }
        return by_route, likely


def route_counts(
    problem: Problem,
    route: NDArray[np.int16],
    reach: NDArray[np.int64],
    passed: NDArray[np.int64],
) -> RouteCounts:
    """The counts of a chunk of draws, from the kernel's per-draw route fields.

    Parameters
    ----------
    problem : Problem
    route : ndarray of int16, shape (n, P + L)
        ``Settlement.route``.
    reach, passed : ndarray of int64, shape (n, S)
        ``Settlement.reach`` and ``Settlement.passed``.
    """
    slots = route_slots(problem)
    agreed = route[:, 0] != NO_AGREEMENT if route.shape[1] else np.zeros(len(route), bool)
    agreements = np.array(
        [int(np.count_nonzero(route[agreed, q] == r)) for q, r in slots], dtype=np.int64
    )
    paths = Counter(map(tuple, route[agreed].tolist()))
    return RouteCounts(
        agreements, reach.sum(axis=0, dtype=np.int64), passed.sum(axis=0, dtype=np.int64), paths
    )
