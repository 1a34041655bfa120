"""Run a sweep's chunks on a Dask distributed cluster.

Each chunk is one task, :func:`offramp.uncertainty.sweep.run_chunk` on a
range of draw indices; the compiled model is scattered to the workers once.
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
from offramp.uncertainty.sweep import Draws, run_chunk

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
        ``backend(problem, seed, ranges, at, models)`` yielding :class:`Draws`
        as chunks finish.
    """
    address = scheduler or (None if workers else os.environ.get(ENV_SCHEDULER))

    def backend(
        problem: Problem,
        seed: int,
        ranges: list[tuple[int, int]],
        at: dt.date | None,
        models: Sequence[str],
    ) -> Iterator[Draws]:
        import distributed

        as_completed: Any = distributed.as_completed
        with ExitStack() as stack:
            client = _client(stack, address, workers)
            shared = client.scatter(problem, broadcast=True)
            futures = [
                client.submit(run_chunk, shared, seed, a, b, at, tuple(models), pure=False)
                for a, b in ranges
            ]
            try:
                for future in as_completed(futures):
                    yield future.result()
            finally:
                client.cancel(futures)

    return backend
