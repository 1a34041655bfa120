"""Sweeps on a real Dask LocalCluster give the in-process results bit for bit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from offramp.problem import compile_problem
from offramp.scenario import load_scenario
from offramp.uncertainty import sweep
from offramp.uncertainty.distributed import dask_backend
from tests.conftest import SCENARIOS

distributed = pytest.importorskip("distributed")


def test_two_worker_local_cluster_matches_in_process() -> None:
    model = compile_problem(load_scenario(SCENARIOS / "ukraine-2024-09.yaml"))
    local, here = sweep(model, draws=1200, seed=9, chunk_size=1200, models=("median",))
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        backend = dask_backend(scheduler=cluster.scheduler_address)
        remote, there = sweep(
            model, draws=1200, seed=9, chunk_size=250, models=("median",), backend=backend
        )
        workers = len(cluster.scheduler_info["workers"])
    assert workers == 2
    for f in dataclasses.fields(here):
        np.testing.assert_array_equal(getattr(here, f.name), getattr(there, f.name))
    assert remote == local
