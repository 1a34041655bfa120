"""Sweeps on a real Dask LocalCluster give the in-process results bit for bit.

The workers reduce their chunks: the client receives per-chunk tallies only,
unless the sweep keeps its draws.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from offramp.problem import compile_problem
from offramp.scenario import load_scenario
from offramp.uncertainty import Draws, run_chunk, sweep
from offramp.uncertainty.distributed import dask_backend
from offramp.uncertainty.sweep import Chunk
from tests.conftest import SCENARIOS

distributed = pytest.importorskip("distributed")


def test_two_worker_local_cluster_matches_in_process() -> None:
    model = compile_problem(load_scenario(SCENARIOS / "ukraine-2024-09.yaml"))
    local, here = sweep(model, draws=1200, seed=9, chunk_size=1200, models=("median",))
    received: list[Chunk] = []
    kept: list[Chunk] = []
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        backend = dask_backend(scheduler=cluster.scheduler_address)
        remote, there = sweep(
            model,
            draws=1200,
            seed=9,
            chunk_size=250,
            models=("median",),
            backend=backend,
            on_chunk=received.append,
        )
        again, _ = sweep(
            model,
            draws=600,
            seed=9,
            chunk_size=250,
            models=("median",),
            backend=backend,
            on_chunk=kept.append,
            keep_draws=True,
        )
        workers = len(cluster.scheduler_info["workers"])
    assert workers == 2
    assert there == here
    assert remote == local
    # summaries only: no per-draw arrays came back
    assert len(received) == 5 and all(c.draws is None for c in received)
    assert sorted(c.n for c in received) == [200, 250, 250, 250, 250]
    draws = Draws.concat([c.draws for c in kept if c.draws is not None])
    expected = run_chunk(model, 9, 0, 600, models=("median",))
    for f in dataclasses.fields(expected):
        np.testing.assert_array_equal(getattr(draws, f.name), getattr(expected, f.name))
    assert again == sweep(model, draws=600, seed=9, models=("median",))[0]
