"""A sweep's per-draw results streamed to a Parquet file, one row group per chunk.

``offramp sweep --keep-draws FILE.parquet`` writes one row per draw as the
chunks finish (in the order they finish; sort by ``draw`` for draw order),
so the per-draw results never accumulate in memory. Columns (one per value,
a wide table):

``draw`` (int64), ``agreement`` (bool: the ratified ZOPA is non-empty),
``zopa``, ``ratified`` (package counts), ``nash`` (package index, -1 for
none), ``nash_package`` (``issue=option; ...``, null for none), then
``branch:EVENT`` (the branch id, null when the event had not happened by
``at``), ``input:PATH`` (the drawn value), ``blocked:WHO`` and ``sole:WHO``
(packages the veto actor, public or legislature blocks, and blocks alone),
``route:BODY`` (the route the Nash package takes at that public or
legislature: ``none``, ``default`` or a route id; null without an
agreement), and ``forecast:MODEL:ISSUE`` (0-100 scale, NaN without a
forecast).
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from offramp.errors import OfframpError
from offramp.problem import Problem
from offramp.uncertainty.sweep import Draws

__all__ = ["DrawsWriter"]


class DrawsWriter:
    """Append a sweep's chunks of draws to a Parquet file (a context manager).

    Raises
    ------
    OfframpError
        When the file cannot be created or written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pyarrow.parquet as pq
    >>> from offramp.scenario import load_scenario
    >>> from offramp.problem import compile_problem
    >>> from offramp.uncertainty.sweep import run_chunk
    >>> root = pathlib.Path(__file__).parents[3]
    >>> p = compile_problem(load_scenario(root / "scenarios" / "textbook-two-party.yaml"))
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "draws.parquet"
    >>> with DrawsWriter(target, p, ()) as out:
    ...     out.write(run_chunk(p, 1, 0, 3))
    ...     out.write(run_chunk(p, 1, 3, 5))
    >>> pq.read_table(target).column("draw").to_pylist()
    [0, 1, 2, 3, 4]
    """

    def __init__(self, path: str | Path, problem: Problem, models: tuple[str, ...]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.path = Path(path)
        self.problem = problem
        self.models = models
        blockers = [problem.actor_ids[v] for v in problem.veto_index] + list(problem.body_ids)
        fields: list[Any] = [
            pa.field("draw", pa.int64()),
            pa.field("agreement", pa.bool_()),
            pa.field("zopa", pa.int64()),
            pa.field("ratified", pa.int64()),
            pa.field("nash", pa.int64()),
            pa.field("nash_package", pa.string()),
        ]
        fields += [pa.field(f"branch:{e.id}", pa.string()) for e in problem.events]
        fields += [pa.field(f"input:{name}", pa.float64()) for name in problem.input_names]
        fields += [pa.field(f"blocked:{who}", pa.int64()) for who in blockers]
        fields += [pa.field(f"sole:{who}", pa.int64()) for who in blockers]
        fields += [pa.field(f"route:{body.id}", pa.string()) for body in problem.bodies]
        fields += [
            pa.field(f"forecast:{m}:{i}", pa.float64())
            for m in models
            for i in problem.space.issue_ids
        ]
        self.schema = pa.schema(fields)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(str(self.path), self.schema)
        except OSError as err:
            raise OfframpError(
                f"cannot write the draws to {self.path}: {err}; give a writable --keep-draws path"
            ) from err

    def __enter__(self) -> DrawsWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Finish the file (its footer); rows written so far stay readable."""
        self.writer.close()

    def write(self, draws: Draws) -> None:
        """Append one chunk's draws as a row group."""
        import pyarrow as pa

        problem = self.problem
        n = draws.n
        labels = {
            idx: "; ".join(f"{k}={v}" for k, v in problem.space.package(idx).items())
            for idx in np.unique(draws.nash[draws.nash >= 0]).tolist()
        }
        columns: list[Any] = [
            np.arange(draws.start, draws.start + n, dtype=np.int64),
            draws.ratified > 0,
            draws.zopa,
            draws.ratified,
            draws.nash,
            pa.array([labels.get(int(i)) for i in draws.nash.tolist()], pa.string()),
        ]
        for e, event in enumerate(problem.events):
            names = np.array([*event.branch_ids, None], dtype=object)
            columns.append(pa.array(names[draws.branch[:, e]], pa.string()))
        columns += [draws.drawn[:, k] for k in range(draws.drawn.shape[1])]
        columns += [draws.blocked[:, j] for j in range(draws.blocked.shape[1])]
        columns += [draws.sole[:, j] for j in range(draws.sole.shape[1])]
        for q, body in enumerate(problem.bodies):
            # route values -2, -1, 0, ... name none, default, the routes; no agreement: null
            names = np.array([*body.route_names, None], dtype=object)
            route = draws.route[:, q].astype(np.int64)
            columns.append(pa.array(names[np.where(route < -2, -1, route + 2)], pa.string()))
        series = draws.forecasts.reshape(n, -1)
        columns += [series[:, j] for j in range(series.shape[1])]
        try:
            self.writer.write_table(pa.Table.from_arrays(columns, schema=self.schema))
        except OSError as err:
            raise OfframpError(f"cannot write the draws to {self.path}: {err}") from err
