"""Mergeable per-chunk summaries of a sweep: memory that does not grow with the draws.

A sweep's chunk of draws (:class:`~offramp.uncertainty.sweep.Draws`) reduces
to a :class:`Tally`: counts and sums from which
:func:`~offramp.uncertainty.sweep.summarize` computes every figure of a
:class:`~offramp.uncertainty.sweep.SweepSummary`. Tallies merge with
:meth:`Tally.merge`, which is associative and commutative and gives exactly
the tally of the union of the draws (integer counts, exact rational sums),
so a sweep's summary does not depend on how its draws were chunked, nor on
the order in which chunks finish (tests/test_reduce.py checks both with
hypothesis).

What a tally keeps, and how close the summary is to the one computed from
every draw at once:

* draws, agreements, non-empty ZOPAs, per event branch the draws and
  agreements, per path of branches (every event's branch) the draws and
  agreements, the Nash package counts, the sole-blocker package sums, the
  route counts (:class:`~offramp.uncertainty.routes.RouteCounts`):
  exact integers, so every probability, share and mean built from them is
  identical to the all-draws computation (the blockers' means are
  ``sum / n`` of integers below 2**53, as numpy's mean of them).
* forecast means: the exact sum of the finite values (a rational number,
  :func:`_exact_sum`) divided by their count, correctly rounded; numpy's
  ``mean`` adds in pairs and can differ from it in the last bits (a relative
  difference below 1e-13 for a million draws).
* forecast quantiles (p5, p95): a fixed-bin histogram over the 0-100 scale,
  :data:`BINS` bins of width :data:`BIN_WIDTH`, keeping per occupied bin its
  count and the smallest and largest value in it (stored sparse: only
  occupied bins). A quantile is ``numpy.percentile``'s linear interpolation
  between two order statistics; each order statistic is estimated within its
  bin by interpolating on rank between the bin's smallest and largest value,
  which is exact when the rank is the bin's first or last, or when the bin
  holds one distinct value (a weighted median lands on actors' positions, so
  this is common). Error bound: ``|estimate - numpy.percentile| <=
  BIN_WIDTH`` (0.01 on the 0-100 scale) for values in [0, 100]. A value
  outside [0, 100] goes to the first or last bin and the bound becomes that
  bin's spread.

Memory: a tally's size depends on the scenario (events, branch paths
occurring, Nash packages occurring, models x issues x occupied bins, at most
:data:`BINS` each), never on the number of draws.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from offramp.problem import Problem
from offramp.uncertainty.routes import RouteCounts, route_counts

if TYPE_CHECKING:
    from offramp.uncertainty.sweep import Draws

__all__ = ["BINS", "BIN_WIDTH", "Histogram", "Tally"]

BINS = 10_000
"""Histogram bins over the forecasts' 0-100 scale."""
BIN_WIDTH = 100.0 / BINS
"""Width of one bin: the quantiles' error bound (0-100 scale)."""

_HALF = 26
_LOW = (1 << _HALF) - 1


def _exact_sum(values: NDArray[np.float64]) -> Fraction:
    """The exact (rational) sum of finite doubles, whatever their order.

    Each double is ``mantissa * 2**exponent`` with an integer mantissa below
    2**53; mantissas are split in two 26-bit halves so that int64 sums of up
    to 2**36 values cannot overflow.

    Examples
    --------
    >>> float(_exact_sum(np.array([1e16, 1.0, -1e16])))
    1.0
    """
    if values.size == 0:
        return Fraction(0)
    mantissa, exponent = np.frexp(values)
    whole = np.ldexp(mantissa, 53).astype(np.int64)
    exponent = exponent.astype(np.int64) - 53
    total = Fraction(0)
    for e in np.unique(exponent).tolist():
        part = whole[exponent == e]
        high = int((part >> _HALF).sum())
        low = int((part & _LOW).sum())
        total += Fraction((high << _HALF) + low) * Fraction(2) ** e
    return total


@dataclass(frozen=True, eq=False)
class Histogram:
    """Sparse fixed-bin histogram of one forecast series, with exact count, sum, min and max.

    ``bins`` are the occupied bin indices (increasing); ``counts``, ``low``
    and ``high`` the count and smallest and largest value in each.
    """

    count: int
    total: Fraction
    bins: NDArray[np.int64]
    counts: NDArray[np.int64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Histogram)
            and (self.count, self.total) == (other.count, other.total)
            and all(
                np.array_equal(getattr(self, f), getattr(other, f))
                for f in ("bins", "counts", "low", "high")
            )
        )

    __hash__ = None  # type: ignore[assignment]

    @staticmethod
    def of(values: NDArray[np.float64]) -> Histogram:
        """Histogram of the finite ``values`` (NaN skipped)."""
        x = values[np.isfinite(values)]
        index = np.clip(np.floor(x / BIN_WIDTH), 0, BINS - 1).astype(np.int64)
        return Histogram._grouped(int(x.size), _exact_sum(x), index, x, x, None)

    @staticmethod
    def _grouped(
        count: int,
        total: Fraction,
        index: NDArray[np.int64],
        low: NDArray[np.float64],
        high: NDArray[np.float64],
        counts: NDArray[np.int64] | None,
    ) -> Histogram:
        order = np.argsort(index, kind="stable")
        index, low, high = index[order], low[order], high[order]
        ones = np.ones(index.size, dtype=np.int64) if counts is None else counts[order]
        if index.size == 0:
            return Histogram(count, total, index, ones, low, high)
        starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
        return Histogram(
            count,
            total,
            index[starts],
            np.add.reduceat(ones, starts),
            np.minimum.reduceat(low, starts),
            np.maximum.reduceat(high, starts),
        )

    def merge(self, other: Histogram) -> Histogram:
        """The histogram of both series' values."""
        return Histogram._grouped(
            self.count + other.count,
            self.total + other.total,
            np.concatenate([self.bins, other.bins]),
            np.concatenate([self.low, other.low]),
            np.concatenate([self.high, other.high]),
            np.concatenate([self.counts, other.counts]),
        )

    def mean(self) -> float:
        """Exact sum / count, correctly rounded."""
        return float(self.total / self.count)

    def _order_statistic(self, rank: int) -> float:
        cum = np.cumsum(self.counts)
        b = int(np.searchsorted(cum, rank, side="right"))
        c = int(self.counts[b])
        within = rank - (int(cum[b]) - c)
        low, high = float(self.low[b]), float(self.high[b])
        if c == 1 or within == 0:
            return low
        if within == c - 1:
            return high
        return low + (high - low) * within / (c - 1)

    def percentile(self, q: float) -> float:
        """``numpy.percentile(values, q)`` (linear) within :data:`BIN_WIDTH`.

        Examples
        --------
        >>> x = np.array([0.0, 10.0, 20.0, 30.0, 40.0])
        >>> h = Histogram.of(x[:2]).merge(Histogram.of(x[2:]))
        >>> h.percentile(50), float(np.percentile(x, 50)), h.percentile(5)
        (20.0, 20.0, 2.0)
        """
        # numpy's "linear" method step by step (virtual index, then its lerp),
        # so that exact order statistics give numpy's number bit for bit
        h = (self.count - 1) * (q / 100.0)
        j = int(np.floor(h))
        below = self._order_statistic(j)
        if j + 1 >= self.count:
            return below
        above = self._order_statistic(j + 1)
        t = h - j
        diff = above - below
        return above - diff * (1 - t) if t >= 0.5 else below + diff * t


@dataclass(frozen=True, eq=False)
class Tally:
    """The mergeable summary of a set of draws (see the module docstring).

    Attributes
    ----------
    n, agreements, zopa : int
        Draws; draws with a non-empty ratified ZOPA; with a non-empty ZOPA.
    branches : tuple of ndarray of int64, shape (branches_e, 2) per event
        Per branch of every event: draws in it and agreements among them.
    paths : dict
        Branch of every event (-1: not happened) -> [draws, agreements].
    nash : dict
        Nash package index -> draws with an agreement whose Nash package it is.
    sole : tuple of int
        Per veto actor then public: packages it alone blocks, summed over draws.
    forecasts : tuple of Histogram
        Per model then issue (model-major).
    routes : RouteCounts
        Behind ``by_route`` and ``likely_path``.
    """

    n: int
    agreements: int
    zopa: int
    branches: tuple[NDArray[np.int64], ...]
    paths: dict[tuple[int, ...], tuple[int, int]]
    nash: dict[int, int]
    sole: tuple[int, ...]
    forecasts: tuple[Histogram, ...]
    routes: RouteCounts

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Tally)
            and (self.n, self.agreements, self.zopa, self.sole, self.forecasts)
            == (other.n, other.agreements, other.zopa, other.sole, other.forecasts)
            and (self.paths, self.nash) == (other.paths, other.nash)
            and self.routes.paths == other.routes.paths
            and all(
                np.array_equal(getattr(self.routes, f), getattr(other.routes, f))
                for f in ("agreements", "reach", "passed")
            )
            and len(self.branches) == len(other.branches)
            and all(
                np.array_equal(a, b) for a, b in zip(self.branches, other.branches, strict=True)
            )
        )

    __hash__ = None  # type: ignore[assignment]

    @staticmethod
    def of(problem: Problem, draws: Draws) -> Tally:
        """Reduce per-draw results (one chunk) to a tally."""
        agree = draws.ratified > 0
        branches = []
        for e, event in enumerate(problem.events):
            column = draws.branch[:, e].astype(np.int64)
            ok = column >= 0
            k = len(event.branch_ids)
            branches.append(
                np.stack(
                    [
                        np.bincount(column[ok], minlength=k),
                        np.bincount(column[ok & agree], minlength=k),
                    ],
                    axis=1,
                ).astype(np.int64)
            )
        paths: dict[tuple[int, ...], tuple[int, int]] = {}
        if draws.branch.shape[1]:
            rows, inverse = np.unique(draws.branch, axis=0, return_inverse=True)
            inverse = inverse.reshape(-1)
            seen = np.bincount(inverse, minlength=len(rows))
            agreed = np.bincount(inverse[agree], minlength=len(rows))
            for r, row in enumerate(rows.tolist()):
                paths[tuple(row)] = (int(seen[r]), int(agreed[r]))
        else:
            paths[()] = (draws.n, int(agree.sum()))
        packages, counts = np.unique(draws.nash[agree], return_counts=True)
        series = draws.forecasts.reshape(draws.n, -1)
        return Tally(
            n=draws.n,
            agreements=int(agree.sum()),
            zopa=int((draws.zopa > 0).sum()),
            branches=tuple(branches),
            paths=paths,
            nash=dict(zip(packages.tolist(), counts.tolist(), strict=True)),
            sole=tuple(int(s) for s in draws.sole.sum(axis=0, dtype=np.int64).tolist()),
            forecasts=tuple(Histogram.of(series[:, j]) for j in range(series.shape[1])),
            routes=route_counts(problem, draws.route, draws.reach, draws.passed),
        )

    def merge(self, other: Tally) -> Tally:
        """The tally of both sets of draws (associative and commutative)."""
        paths = dict(self.paths)
        for key, (seen, agreed) in other.paths.items():
            s0, a0 = paths.get(key, (0, 0))
            paths[key] = (s0 + seen, a0 + agreed)
        nash = dict(self.nash)
        for package, count in other.nash.items():
            nash[package] = nash.get(package, 0) + count
        return Tally(
            n=self.n + other.n,
            agreements=self.agreements + other.agreements,
            zopa=self.zopa + other.zopa,
            branches=tuple(a + b for a, b in zip(self.branches, other.branches, strict=True)),
            paths=dict(sorted(paths.items())),
            nash=dict(sorted(nash.items())),
            sole=tuple(a + b for a, b in zip(self.sole, other.sole, strict=True)),
            forecasts=tuple(
                a.merge(b) for a, b in zip(self.forecasts, other.forecasts, strict=True)
            ),
            routes=self.routes + other.routes,
        )

    @staticmethod
    def combine(tallies: Iterable[Tally]) -> Tally:
        """Merge tallies (at least one) in the order given."""
        it = iter(tallies)
        total = next(it)
        for t in it:
            total = total.merge(t)
        return total

    def path_rows(self, problem: Problem) -> list[tuple[dict[str, str | None], int, int]]:
        """Per path of branches: ``({event: branch or None}, draws, agreements)``."""
        rows = []
        for key, (seen, agreed) in self.paths.items():
            named: dict[str, str | None] = {
                event.id: (event.branch_ids[b] if b >= 0 else None)
                for event, b in zip(problem.events, key, strict=True)
            }
            rows.append((named, seen, agreed))
        return rows
