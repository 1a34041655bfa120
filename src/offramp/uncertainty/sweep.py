"""Monte Carlo sweeps: N draws of every uncertain input and event, analyzed in batches.

:func:`sweep` splits the draws ``0 .. N-1`` into chunks, computes each chunk
with :func:`run_chunk` (in-process, or on a Dask cluster through
:mod:`offramp.uncertainty.distributed`), and summarizes the per-draw results
(:class:`Draws`) into a :class:`SweepSummary`.

Reproducibility: draw ``d`` is a pure function of the compiled Problem,
the seed, ``d`` and ``at`` (its uniform numbers come from the counter-based
generator :func:`offramp.uncertainty.model.uniforms`, and each draw is
analyzed independently of the others), so the same scenario, seed and
version give bit-identical per-draw results and summary whatever the chunk
size, the batch size inside a chunk, the number of workers or the order in
which chunks finish.

The probability of agreement is the share of draws whose ratified ZOPA is
non-empty; its 95% interval is the Wilson score interval (Wilson 1927,
https://doi.org/10.1080/01621459.1927.10502953), which stays inside [0, 1]
and is informative when no draw (or every draw) agrees.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from offramp._version import __version__
from offramp.problem import Problem
from offramp.uncertainty.kernel import settle
from offramp.uncertainty.model import draw, uniforms
from offramp.uncertainty.routes import route_counts

__all__ = [
    "DEFAULT_FORECASTS",
    "Draws",
    "SweepSummary",
    "chunks",
    "forecast_models",
    "in_process",
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
    return int(min(1024, max(16, (1 << 21) // max(1, m * max(1, len(problem.veto_index))))))


def _forecast(inputs: Problem, models: Sequence[str]) -> NDArray[np.float64]:
    n = inputs.batch
    n_i = inputs.at.shape[0]
    out = np.full((n, len(models), n_i), np.nan)
    if not models:
        return out
    from offramp.forecast import run

    # the inputs of offramp.forecast.scenario.issue_inputs, per draw: the numbers
    # `offramp forecast` uses, so a draw of point values forecasts what it does
    for i in range(n_i):
        actors = np.flatnonzero(inputs.stance[:, i])
        if not len(actors):
            continue
        x = inputs.position[:, actors, i]
        c = inputs.capability[:, actors, i]
        s = inputs.attention[:, actors, i]
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
    """Draw and analyze draws ``start .. stop-1`` (a pure function: the unit of scale-out).

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
    for b0 in range(start, stop, step):
        b1 = min(stop, b0 + step)
        drawn = draw(problem, uniforms(seed, b0, b1, width), at)
        result = settle(drawn.problem)
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
                _forecast(drawn.problem, models),
                result.route,
                result.reach,
                result.passed,
            )
        )
    return Draws.concat(parts)


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
    results: Draws,
    seed: int,
    at: dt.date | None,
    models: Sequence[str],
    top: int = 20,
) -> SweepSummary:
    """Summarize per-draw results.

    ``nash_packages`` lists the ``top`` most frequent Nash packages with
    their share of the draws that have an agreement (ties: lower package
    index first); ``by_branch`` gives, per event that happens by ``at``, the
    draws and probability of agreement in each branch; ``blockers`` the mean
    share of packages each veto actor, public and legislature blocks alone;
    ``by_route`` and ``likely_path`` come from :mod:`offramp.uncertainty.routes`.
    """
    n = results.n
    agree = results.ratified > 0
    k = int(agree.sum())
    by_branch: dict[str, dict[str, dict[str, float | int]]] = {}
    for e, event in enumerate(problem.events):
        column = results.branch[:, e]
        if not (column >= 0).any():
            continue
        by_branch[event.id] = {}
        for b, branch_id in enumerate(event.branch_ids):
            mask = column == b
            count = int(mask.sum())
            by_branch[event.id][branch_id] = {
                "draws": count,
                "p_agreement": float(agree[mask].mean()) if count else 0.0,
            }
    counts = Counter(results.nash[agree].tolist())
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    nash = [{"package": problem.space.package(idx), "share": c / k} for idx, c in ranked]
    forecasts: dict[str, dict[str, dict[str, float]]] = {}
    for m_i, name in enumerate(models):
        forecasts[name] = {}
        for i, issue in enumerate(problem.space.issue_ids):
            col = results.forecasts[:, m_i, i]
            col = col[np.isfinite(col)]
            if col.size == 0:
                continue
            p5, p95 = np.percentile(col, [5, 95])
            forecasts[name][issue] = {
                "mean": float(col.mean()),
                "p5": float(p5),
                "p95": float(p95),
            }
    labels = [problem.actor_ids[v] for v in problem.veto_index] + list(problem.body_ids)
    size = problem.space.size
    by_route, likely_path = route_counts(
        problem, results.route, results.reach, results.passed
    ).summary(problem)
    blockers = {who: float(results.sole[:, j].mean() / size) for j, who in enumerate(labels)}
    low, high = wilson(k, n)
    return SweepSummary(
        scenario=problem.id,
        scenario_hash=problem.scenario_hash,
        seed=seed,
        draws=n,
        at=None if at is None else at.isoformat(),
        p_agreement=k / n if n else 0.0,
        p_agreement_ci=(low, high),
        p_zopa=float((results.zopa > 0).mean()) if n else 0.0,
        by_branch=by_branch,
        nash_packages=nash,
        forecasts=forecasts,
        blockers=blockers,
        by_route=by_route,
        likely_path=likely_path,
    )


Backend = Callable[
    [Problem, int, list[tuple[int, int]], dt.date | None, Sequence[str]], Iterable[Draws]
]
"""Runs chunks and yields their :class:`Draws` as they finish (any order)."""


def in_process(
    problem: Problem,
    seed: int,
    ranges: list[tuple[int, int]],
    at: dt.date | None,
    models: Sequence[str],
) -> Iterable[Draws]:
    """The default backend: chunks one after another in this process."""
    for start, stop in ranges:
        yield run_chunk(problem, seed, start, stop, at, models)


def sweep(
    problem: Problem,
    *,
    draws: int,
    seed: int,
    at: dt.date | None = None,
    chunk_size: int = 10_000,
    models: Sequence[str] = (),
    backend: Backend | None = None,
    on_chunk: Callable[[Draws], None] | None = None,
) -> tuple[SweepSummary, Draws]:
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
        Draws per chunk (the unit of progress, storage and scale-out);
        does not change results.
    models : sequence of str
        Forecast models to run on every draw (:func:`forecast_models`).
    backend : callable, optional
        Default :func:`in_process`; see
        :func:`offramp.uncertainty.distributed.dask_backend`.
    on_chunk : callable, optional
        Called with each chunk's :class:`Draws` as it finishes (progress,
        run store).

    Returns
    -------
    summary : SweepSummary
    results : Draws
        Every draw, in draw order.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> from offramp.problem import compile_problem
    >>> p = compile_problem(load_scenario(Path(__file__).parents[3] / "scenarios"
    ...                                   / "ukraine-2024-09.yaml"))
    >>> summary, _ = sweep(p, draws=200, seed=1)
    >>> 0.0 <= summary.p_agreement <= 1.0, summary.draws
    (True, 200)
    """
    if draws < 1:
        raise ValueError(f"draws must be >= 1; got {draws}")
    if not 0 <= seed < 2**63:
        raise ValueError(f"seed must be in [0, 2**63); got {seed}")
    run = backend or in_process
    parts = []
    for part in run(problem, seed, chunks(draws, max(1, chunk_size)), at, tuple(models)):
        parts.append(part)
        if on_chunk is not None:
            on_chunk(part)
    results = Draws.concat(parts)
    return summarize(problem, results, seed, at, models), results
