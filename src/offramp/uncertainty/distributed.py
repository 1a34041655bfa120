"""Run a sweep's chunks on a Dask distributed cluster.

Each chunk is one task, :func:`offramp.uncertainty.sweep.reduce_chunk` on a
range of draw indices; the compiled model is scattered to the workers once.
A worker reduces its chunk to a :class:`~offramp.uncertainty.reduce.Tally`,
so the client receives per-chunk summaries only (a few kilobytes to about a
megabyte, whatever the chunk size), plus the per-draw results only when the
sweep keeps its draws.
Because a draw depends only on the seed and its index (see
:mod:`offramp.uncertainty.sweep`), the results are identical to the
in-process run whatever the number of workers and the order chunks finish
in. Workers need offramp installed (the same version).

``scheduler`` is a ``tcp://HOST:PORT`` address (or the environment variable
``OFFRAMP_DASK_SCHEDULER``); ``workers=N`` starts a local cluster of N
worker processes (one thread each) for the duration of the sweep.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from typing import Any

from offramp.errors import OfframpError
from offramp.problem import Problem
from offramp.uncertainty.sweep import Chunk, reduce_chunk

__all__ = ["ENV_SCHEDULER", "dask_backend"]

ENV_SCHEDULER = "OFFRAMP_DASK_SCHEDULER"
"""Environment variable naming the Dask scheduler address."""


def _client(stack: ExitStack, scheduler: str | None, workers: int | None) -> Any:
    # distributed is untyped: its classes are handled as Any
    try:
        import distributed
    except ImportError as err:  # pragma: no cover - a declared dependency
        raise OfframpError(
            "Dask distributed is not installed: pip install 'dask[distributed]'"
        ) from err
    dask: Any = distributed
    if scheduler:
        try:
            return stack.enter_context(dask.Client(scheduler, timeout=30))
        except (OSError, TimeoutError) as err:
            raise OfframpError(
                f"cannot reach the Dask scheduler at {scheduler}: {err}; check the address "
                f"(or unset {ENV_SCHEDULER})"
            ) from err
    cluster = stack.enter_context(
        dask.LocalCluster(
            n_workers=workers or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=40,
        )
    )
    return stack.enter_context(dask.Client(cluster))


def dask_backend(scheduler: str | None = None, workers: int | None = None) -> Any:
    """A sweep backend that runs chunks on a Dask cluster.

    Parameters
    ----------
    scheduler : str, optional
        ``tcp://HOST:PORT`` of a running scheduler; default
        ``$OFFRAMP_DASK_SCHEDULER``.
    workers : int, optional
        Start a local cluster with this many worker processes instead.

    Returns
    -------
    callable
        ``backend(problem, seed, ranges, at, models, keep)`` yielding each
        chunk's :class:`~offramp.uncertainty.sweep.Chunk` as it finishes.
    """
    address = scheduler or (None if workers else os.environ.get(ENV_SCHEDULER))

    def backend(
        problem: Problem,
        seed: int,
        ranges: list[tuple[int, int]],
        at: dt.date | None,
        models: Sequence[str],
        keep: bool = False,
    ) -> Iterator[Chunk]:
        import distributed

        as_completed: Any = distributed.as_completed
        with ExitStack() as stack:
            client = _client(stack, address, workers)
            shared = client.scatter(problem, broadcast=True)
            futures = [
                client.submit(reduce_chunk, shared, seed, a, b, at, tuple(models), keep, pure=False)
                for a, b in ranges
            ]
            try:
                for future in as_completed(futures):
                    chunk = future.result()
                    future.release()  # the client holds one chunk at a time
                    yield chunk
            finally:
                client.cancel(futures)

    return backend
