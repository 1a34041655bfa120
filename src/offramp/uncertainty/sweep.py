"""Monte Carlo sweeps: N draws of every uncertain input and event, analyzed in batches.

:func:`sweep` splits the draws ``0 .. N-1`` into chunks, computes each chunk
with :func:`reduce_chunk` (in-process, or on a Dask cluster through
:mod:`offramp.uncertainty.distributed`): :func:`run_chunk` computes the
chunk's per-draw results (:class:`Draws`) and they reduce at once to a
mergeable :class:`~offramp.uncertainty.reduce.Tally`. The tallies merge as
chunks finish and :func:`summarize` turns the total into a
:class:`SweepSummary`, so memory does not grow with the number of draws;
the per-draw results leave a chunk only when asked (``keep_draws``, e.g.
``offramp sweep --keep-draws FILE.parquet``).

Reproducibility: draw ``d`` is a pure function of the compiled Problem,
the seed, ``d`` and ``at`` (its uniform numbers come from the counter-based
generator :func:`offramp.uncertainty.model.uniforms`, and each draw is
analyzed independently of the others), so the same scenario, seed and
version give bit-identical per-draw results and summary whatever the chunk
size, the batch size inside a chunk, the number of workers or the order in
which chunks finish (tallies merge exactly; see
:mod:`offramp.uncertainty.reduce` for the forecast quantiles' stated error
against a computation over every draw at once).

The probability of agreement is the share of draws whose ratified ZOPA is
non-empty; its 95% interval is the Wilson score interval (Wilson 1927,
https://doi.org/10.1080/01621459.1927.10502953), which stays inside [0, 1]
and is informative when no draw (or every draw) agrees.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from offramp._version import __version__
from offramp.problem import Problem
from offramp.uncertainty import _fused
from offramp.uncertainty.kernel import settle
from offramp.uncertainty.model import draw, uniforms
from offramp.uncertainty.reduce import Tally

__all__ = [
    "DEFAULT_FORECASTS",
    "Chunk",
    "Draws",
    "SweepSummary",
    "chunks",
    "forecast_models",
    "in_process",
    "reduce_chunk",
    "run_chunk",
    "summarize",
    "sweep",
    "wilson",
]

DEFAULT_FORECASTS = ("compromise", "median")
"""Forecast models run on every draw when :mod:`offramp.forecast` is installed."""

_Z95 = 1.959963984540054


def forecast_models(requested: Sequence[str] | None = None) -> tuple[str, ...]:
    """The forecast models a sweep runs: ``requested`` or the defaults, if offramp.forecast exists.

    This is the hook to the forecast engine: models are called as
    ``offramp.forecast.run(name, positions, capability, salience)`` per issue.
    """
    try:
        from offramp.forecast import MODELS
    except ImportError:  # pragma: no cover - the forecast package is part of offramp
        return ()
    names = tuple(requested) if requested is not None else DEFAULT_FORECASTS
    return tuple(n for n in names if n in MODELS)


@dataclass(frozen=True)
class Draws:
    """Per-draw results for the draws ``start .. start + n - 1``.

    Attributes
    ----------
    start : int
    branch : ndarray of int16, shape (n, E)
        Branch index of every event (-1: not happened by ``at``).
    drawn : ndarray of float64, shape (n, n_inputs)
        The uncertain inputs' base draws (before events change them).
    zopa, ratified, nash : ndarray of int64, shape (n,)
        See :class:`~offramp.uncertainty.kernel.Settlement`.
    blocked, sole : ndarray of int64, shape (n, V + P + L)
    forecasts : ndarray of float64, shape (n, n_models, I)
        Forecast of every model on every issue (0-100 scale); NaN where no
        actor with a stance on the issue has weight.
    route : ndarray of int16, shape (n, P + L)
    reach, passed : ndarray of int64, shape (n, S)
        Routes: see :class:`~offramp.uncertainty.kernel.Settlement`;
        :func:`offramp.uncertainty.routes.route_counts` sums them.
    """

    start: int
    branch: NDArray[np.int16]
    drawn: NDArray[np.float64]
    zopa: NDArray[np.int64]
    ratified: NDArray[np.int64]
    nash: NDArray[np.int64]
    blocked: NDArray[np.int64]
    sole: NDArray[np.int64]
    forecasts: NDArray[np.float64]
    route: NDArray[np.int16]
    reach: NDArray[np.int64]
    passed: NDArray[np.int64]

    @property
    def n(self) -> int:
        """Number of draws."""
        return int(self.zopa.shape[0])

    @staticmethod
    def concat(parts: Sequence[Draws]) -> Draws:
        """Join consecutive parts (sorted by ``start``)."""
        parts = sorted(parts, key=lambda p: p.start)
        return Draws(
            parts[0].start,
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in (
                    "branch",
                    "drawn",
                    "zopa",
                    "ratified",
                    "nash",
                    "blocked",
                    "sole",
                    "forecasts",
                    "route",
                    "reach",
                    "passed",
                )
            ),
        )


def _batch(problem: Problem) -> int:
    m = min(problem.space.size, 1 << 18)
    if _fused.AVAILABLE and problem.space.size <= 1 << 18:
        return 1024  # the compiled kernel holds one draw's packages at a time
    return int(min(1024, max(16, (1 << 21) // max(1, m * max(1, len(problem.veto_index))))))


def _forecast(
    stance: NDArray[np.bool_],
    position: NDArray[np.float64],
    capability: NDArray[np.float64],
    attention: NDArray[np.float64],
    models: Sequence[str],
) -> NDArray[np.float64]:
    """Forecasts of every model on every issue for a batch of draws: shape (B, n_models, I)."""
    n, _, n_i = position.shape
    out = np.full((n, len(models), n_i), np.nan)
    if not models:
        return out
    from offramp.forecast import run

    # the inputs of offramp.forecast.scenario.issue_inputs, per draw: the numbers
    # `offramp forecast` uses, so a draw of point values forecasts what it does
    for i in range(n_i):
        actors = np.flatnonzero(stance[:, i])
        if not len(actors):
            continue
        x = position[:, actors, i]
        c = capability[:, actors, i]
        s = attention[:, actors, i]
        ok = (c * s).sum(axis=1) > 0
        if not ok.any():
            continue
        for k, name in enumerate(models):
            out[ok, k, i] = run(name, x[ok], c[ok], s[ok]).forecast[:, -1]
    return out


def run_chunk(
    problem: Problem,
    seed: int,
    start: int,
    stop: int,
    at: dt.date | None = None,
    models: Sequence[str] = (),
) -> Draws:
    """Draw and analyze draws ``start .. stop-1`` (a pure function).

    The settlement analysis runs on batches of draws sized to the space; the
    forecasts run once on the whole chunk (each draw's forecast depends on
    that draw only, so the batching does not change them).

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> from offramp.problem import compile_problem
    >>> p = compile_problem(load_scenario(Path(__file__).parents[3] / "scenarios"
    ...                                   / "textbook-two-party.yaml"))
    >>> d = run_chunk(p, seed=1, start=0, stop=3)
    >>> d.ratified.tolist(), d.nash.tolist()
    ([4, 4, 4], [5, 5, 5])
    """
    width = max(1, problem.streams)
    step = _batch(problem)
    parts = []
    inputs: list[tuple[NDArray[np.float64], ...]] = []
    for b0 in range(start, stop, step):
        b1 = min(stop, b0 + step)
        drawn = draw(problem, uniforms(seed, b0, b1, width), at)
        result = settle(drawn.problem)
        if models:
            q = drawn.problem
            inputs.append((q.position, q.capability, q.attention))
        parts.append(
            Draws(
                b0,
                drawn.branch,
                drawn.drawn,
                result.zopa,
                result.ratified,
                result.nash,
                result.blocked,
                result.sole,
                np.empty((b1 - b0, 0, len(problem.space.issue_ids))),
                result.route,
                result.reach,
                result.passed,
            )
        )
    whole = Draws.concat(parts)
    if not models:
        return whole
    position, capability, attention = (np.concatenate(a) for a in zip(*inputs, strict=True))
    forecasts = _forecast(problem.stance, position, capability, attention, models)
    return dataclasses.replace(whole, forecasts=forecasts)


@dataclass(frozen=True)
class Chunk:
    """What a chunk sends back: its tally and, when asked, its per-draw results.

    Attributes
    ----------
    start, n : int
        Its draws are ``start .. start + n - 1``.
    tally : Tally
    draws : Draws or None
        Only when the sweep keeps its draws.
    """

    start: int
    n: int
    tally: Tally
    draws: Draws | None = None


def reduce_chunk(
    problem: Problem,
    seed: int,
    start: int,
    stop: int,
    at: dt.date | None = None,
    models: Sequence[str] = (),
    keep: bool = False,
) -> Chunk:
    """:func:`run_chunk` reduced to its :class:`Chunk` (the unit of scale-out).

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> from offramp.problem import compile_problem
    >>> p = compile_problem(load_scenario(Path(__file__).parents[3] / "scenarios"
    ...                                   / "textbook-two-party.yaml"))
    >>> c = reduce_chunk(p, seed=1, start=0, stop=3)
    >>> c.n, c.tally.agreements, c.tally.nash, c.draws is None
    (3, 3, {5: 3}, True)
    """
    results = run_chunk(problem, seed, start, stop, at, models)
    return Chunk(start, results.n, Tally.of(problem, results), results if keep else None)


def chunks(draws: int, chunk_size: int) -> list[tuple[int, int]]:
    """``[start, stop)`` ranges covering ``0 .. draws-1``."""
    return [(s, min(draws, s + chunk_size)) for s in range(0, draws, chunk_size)]


def wilson(successes: int, n: int, z: float = _Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    Examples
    --------
    >>> [round(x, 4) for x in wilson(0, 100)]
    [0.0, 0.037]
    >>> [round(x, 4) for x in wilson(50, 100)]
    [0.4038, 0.5962]
    """
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class SweepSummary:
    """What a sweep found; :meth:`to_dict` gives the stable ``--json`` keys."""

    scenario: str
    scenario_hash: str
    seed: int
    draws: int
    at: str | None
    p_agreement: float
    p_agreement_ci: tuple[float, float]
    p_zopa: float
    by_branch: dict[str, dict[str, dict[str, float | int]]]
    nash_packages: list[dict[str, Any]]
    forecasts: dict[str, dict[str, dict[str, float]]]
    blockers: dict[str, float]
    run_id: str | None = None
    offramp_version: str = __version__
    event_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    by_route: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per public and legislature and route: ``share`` of the agreements reaching it that
    way and ``p_ratified`` there (:mod:`offramp.uncertainty.routes`)."""
    likely_path: dict[str, Any] = field(default_factory=dict)
    """The agreements' most frequent sequence of votes (``path``) and its ``share``."""

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (keys documented in docs/uncertainty.md)."""
        return {
            "scenario": self.scenario,
            "scenario_hash": self.scenario_hash,
            "offramp_version": self.offramp_version,
            "seed": self.seed,
            "draws": self.draws,
            "at": self.at,
            "p_agreement": self.p_agreement,
            "p_agreement_ci": list(self.p_agreement_ci),
            "p_zopa": self.p_zopa,
            "by_branch": self.by_branch,
            "nash_packages": self.nash_packages,
            "forecasts": self.forecasts,
            "blockers": self.blockers,
            "by_route": self.by_route,
            "likely_path": self.likely_path,
            "run_id": self.run_id,
        }


def summarize(
    problem: Problem,
    tally: Tally,
    seed: int,
    at: dt.date | None,
    models: Sequence[str],
    top: int = 20,
) -> SweepSummary:
    """Summarize a sweep's merged :class:`~offramp.uncertainty.reduce.Tally`.

    ``nash_packages`` lists the ``top`` most frequent Nash packages with
    their share of the draws that have an agreement (ties: lower package
    index first); ``by_branch`` gives, per event that happens by ``at``, the
    draws and probability of agreement in each branch; ``blockers`` the mean
    share of packages each veto actor, public and legislature blocks alone;
    ``by_route`` and ``likely_path`` come from :mod:`offramp.uncertainty.routes`;
    ``forecasts`` each model's mean and 5th and 95th percentiles per issue
    (the percentiles within :data:`~offramp.uncertainty.reduce.BIN_WIDTH`).
    """
    n = tally.n
    k = tally.agreements
    by_branch: dict[str, dict[str, dict[str, float | int]]] = {}
    for event, counts in zip(problem.events, tally.branches, strict=True):
        if not counts[:, 0].any():
            continue
        by_branch[event.id] = {}
        for branch_id, (count, agreed) in zip(event.branch_ids, counts.tolist(), strict=True):
            by_branch[event.id][branch_id] = {
                "draws": count,
                "p_agreement": agreed / count if count else 0.0,
            }
    ranked = sorted(tally.nash.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    nash = [{"package": problem.space.package(idx), "share": c / k} for idx, c in ranked]
    forecasts: dict[str, dict[str, dict[str, float]]] = {}
    series = iter(tally.forecasts)
    for name in models:
        forecasts[name] = {}
        for issue in problem.space.issue_ids:
            hist = next(series)
            if hist.count == 0:
                continue
            forecasts[name][issue] = {
                "mean": hist.mean(),
                "p5": hist.percentile(5),
                "p95": hist.percentile(95),
            }
    labels = [problem.actor_ids[v] for v in problem.veto_index] + list(problem.body_ids)
    size = problem.space.size
    by_route, likely_path = tally.routes.summary(problem)
    blockers = {
        who: float(total / n / size) if n else 0.0
        for who, total in zip(labels, tally.sole, strict=True)
    }
    low, high = wilson(k, n)
    return SweepSummary(
        scenario=problem.id,
        scenario_hash=problem.scenario_hash,
        seed=seed,
        draws=n,
        at=None if at is None else at.isoformat(),
        p_agreement=k / n if n else 0.0,
        p_agreement_ci=(low, high),
        p_zopa=tally.zopa / n if n else 0.0,
        by_branch=by_branch,
        nash_packages=nash,
        forecasts=forecasts,
        blockers=blockers,
        by_route=by_route,
        likely_path=likely_path,
    )


Backend = Callable[
    [Problem, int, list[tuple[int, int]], dt.date | None, Sequence[str], bool], Iterable[Chunk]
]
"""Runs chunks (:func:`reduce_chunk`) and yields their :class:`Chunk` as they finish (any order)."""


def in_process(
    problem: Problem,
    seed: int,
    ranges: list[tuple[int, int]],
    at: dt.date | None,
    models: Sequence[str],
    keep: bool = False,
) -> Iterable[Chunk]:
    """The default backend: chunks one after another in this process."""
    for start, stop in ranges:
        yield reduce_chunk(problem, seed, start, stop, at, models, keep)


def sweep(
    problem: Problem,
    *,
    draws: int,
    seed: int,
    at: dt.date | None = None,
    chunk_size: int = 10_000,
    models: Sequence[str] = (),
    backend: Backend | None = None,
    on_chunk: Callable[[Chunk], None] | None = None,
    keep_draws: bool = False,
) -> tuple[SweepSummary, Tally]:
    """Run a sweep: draw, analyze and summarize ``draws`` samples.

    Parameters
    ----------
    problem : Problem
        From :func:`~offramp.problem.compile_problem` (a batch of one).
    draws : int
        Number of draws (>= 1).
    seed : int
        0 <= seed < 2**63; fixes every draw.
    at : date, optional
        Only events up to this date happen (default: every event).
    chunk_size : int
        Draws per chunk (the unit of progress and scale-out); does not
        change results. Memory grows with it, not with ``draws``.
    models : sequence of str
        Forecast models to run on every draw (:func:`forecast_models`).
    backend : callable, optional
        Default :func:`in_process`; see
        :func:`offramp.uncertainty.distributed.dask_backend`.
    on_chunk : callable, optional
        Called with each :class:`Chunk` as it finishes (progress, run store,
        streaming the draws to a file).
    keep_draws : bool
        Send each chunk's per-draw results (:attr:`Chunk.draws`) to
        ``on_chunk``; they are not kept after it returns.

    Returns
    -------
    summary : SweepSummary
    tally : Tally
        Every chunk's tally merged (e.g. the paths of branches).

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> from offramp.problem import compile_problem
    >>> p = compile_problem(load_scenario(Path(__file__).parents[3] / "scenarios"
    ...                                   / "ukraine-2024-09.yaml"))
    >>> summary, tally = sweep(p, draws=200, seed=1)
    >>> 0.0 <= summary.p_agreement <= 1.0, summary.draws, tally.n
    (True, 200, 200)
    """
    if draws < 1:
        raise ValueError(f"draws must be >= 1; got {draws}")
    if not 0 <= seed < 2**63:
        raise ValueError(f"seed must be in [0, 2**63); got {seed}")
    run = backend or in_process
    total: Tally | None = None
    ranges = chunks(draws, max(1, chunk_size))
    for part in run(problem, seed, ranges, at, tuple(models), keep_draws):
        total = part.tally if total is None else total.merge(part.tally)
        if on_chunk is not None:
            on_chunk(part)
    assert total is not None  # at least one chunk
    return summarize(problem, total, seed, at, models), total
