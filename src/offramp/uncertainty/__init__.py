"""Uncertainty: Monte Carlo draws, event branches, sensitivity, distributed sweeps.

* :mod:`~offramp.uncertainty.model` draws a compiled scenario's
  (:class:`~offramp.problem.Problem`'s) uncertain inputs and events from
  uniform numbers (counter-based seeds), as one batched Problem;
* :mod:`~offramp.uncertainty.kernel` runs the settlement analysis on a
  batch of draws at once;
* :mod:`~offramp.uncertainty.sweep` chunks, runs and summarizes a sweep;
* :mod:`~offramp.uncertainty.reduce` reduces a chunk's draws to a mergeable
  tally, so a sweep's memory does not grow with its draws;
* :mod:`~offramp.uncertainty.sensitivity` computes Sobol and Morris indices;
* :mod:`~offramp.uncertainty.distributed` runs chunks on a Dask cluster.

See docs/uncertainty.md for the scenario format, the seeding scheme and
the figures.
"""

from __future__ import annotations

from offramp.uncertainty.kernel import Settlement, settle
from offramp.uncertainty.model import Drawn, draw, uniforms
from offramp.uncertainty.reduce import Tally
from offramp.uncertainty.sensitivity import Sensitivity, sensitivity
from offramp.uncertainty.sweep import Chunk, Draws, SweepSummary, reduce_chunk, run_chunk, sweep

__all__ = [
    "Chunk",
    "Drawn",
    "Draws",
    "Sensitivity",
    "Settlement",
    "SweepSummary",
    "Tally",
    "draw",
    "reduce_chunk",
    "run_chunk",
    "sensitivity",
    "settle",
    "sweep",
    "uniforms",
]
