"""Routes for background runs: sweeps, one-way sweeps, and the runs list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import FastAPI

from offramp.assess import analyze
from offramp.errors import InputError
from offramp.problem import compile_problem
from offramp.report.sections import sweep_section
from offramp.uncertainty.sweep import Chunk
from offramp.uncertainty.sweep import sweep as run_sweep
from offramp.web.context import Context, Refused
from offramp.web.edit import Edit, load_with_edits
from offramp.web.jobs import JobControl
from offramp.web.schemas import ERRORS, OneWayIn, ProblemsOut, RunOut, SweepIn

__all__ = ["add_run_routes"]


def _stored_run(row: dict[str, Any]) -> dict[str, Any]:
    """A run-store row in the shape of :class:`RunOut` (without the result)."""
    params = row.get("params") or {}
    total = int(params.get("draws") or 0) if row["kind"] == "sweep" else 1
    done = (
        int(row.get("draws_done") or 0)
        if row["kind"] == "sweep"
        else int(row["status"] == "complete")
    )
    status = {"complete": "done", "interrupted": "cancelled"}.get(row["status"], "incomplete")
    started, finished = row.get("started"), row.get("finished")
    return {
        "id": row["id"],
        "kind": row["kind"],
        "label": f"{row.get('scenario') or ''} ({row['kind']}, run store)",
        "status": status,
        "done": done,
        "total": total,
        "progress": done / total if total else 0.0,
        "created": started.timestamp() if isinstance(started, dt.datetime) else 0.0,
        "finished": finished.timestamp() if isinstance(finished, dt.datetime) else None,
        "error": None,
        "origin": "store",
    }


def add_run_routes(app: FastAPI, ctx: Context) -> None:
    """``POST /sweep``, ``/sweep/one-way``, ``/runs/{id}/cancel``; ``GET /runs``, ``/runs/{id}``."""

    @app.post(
        "/sweep",
        status_code=202,
        summary="Start a Monte Carlo sweep (every uncertain input and event) as a background run",
        responses={**ERRORS, 429: {"model": ProblemsOut}},
    )
    def sweep_endpoint(body: SweepIn) -> RunOut:
        scenario, file = ctx.load(body)
        model = compile_problem(scenario)
        if model.streams == 0:
            raise Refused(
                422,
                "nothing in this scenario is uncertain: give an input a distribution "
                "(e.g. `batna: {triangular: [0.3, 0.4, 0.6]}`) or add events",
                file,
            )
        chunk = max(100, -(-body.draws // 20))

        def work(control: JobControl) -> dict[str, Any]:
            control.start(body.draws)
            done = 0

            def on_chunk(part: Chunk) -> None:
                nonlocal done
                done += part.n
                control.step(done)

            summary, _ = run_sweep(
                model,
                draws=body.draws,
                seed=body.seed,
                at=body.at,
                chunk_size=chunk,
                on_chunk=on_chunk,
            )
            data = summary.to_dict()
            section = sweep_section(
                scenario, data, origin="a sweep run by the workbench, not stored"
            )
            return {
                "summary": data,
                "text": list(section.paragraphs),
                "tables": [
                    {"columns": tb.columns, "rows": tb.rows, "caption": tb.caption}
                    for tb in section.tables
                ],
                "figures": [
                    {"title": f.title, "caption": f.caption, "spec": f.spec}
                    for f in section.figures
                ],
            }

        job = ctx.jobs.submit("sweep", f"{file}: {body.draws:,} draws, seed {body.seed}", work)
        if job is None:
            raise Refused(
                429, f"{ctx.jobs.max_running} runs are already running; wait or cancel one"
            )
        return RunOut(**job.summary())

    @app.post(
        "/sweep/one-way",
        status_code=202,
        summary="Start a one-way sweep (one input over values) as a background run",
        responses={**ERRORS, 429: {"model": ProblemsOut}},
    )
    def one_way_endpoint(body: OneWayIn) -> RunOut:
        text, file = ctx.text_of(body)
        base = [Edit(tuple(e.path), e.value) for e in body.edits]
        target = tuple(body.path)
        # validate the base scenario and the path before starting
        load_with_edits(text, file, [*base, Edit(target, body.values[0])])
        dotted = Edit(target, None).dotted

        def work(control: JobControl) -> dict[str, Any]:
            control.start(len(body.values))
            rows = []
            for k, value in enumerate(body.values):
                control.step(k)
                try:
                    scenario = load_with_edits(text, file, [*base, Edit(target, value)])
                except InputError as error:
                    rows.append({"value": value, "error": str(error)})
                    continue
                a = analyze(compile_problem(scenario), forecasts=False, durability=False)
                rows.append(
                    {
                        "value": value,
                        "zopa": a.zopa_count,
                        "ratified": a.ratified_count,
                        "settled": a.ratified_count > 0,
                        "verdict": a.verdict,
                    }
                )
            control.step(len(body.values))
            return {"path": dotted, "rows": rows}

        job = ctx.jobs.submit("one-way", f"{file}: {dotted} over {len(body.values)} values", work)
        if job is None:
            raise Refused(
                429, f"{ctx.jobs.max_running} runs are already running; wait or cancel one"
            )
        return RunOut(**job.summary())

    @app.get(
        "/runs",
        summary="The runs of this server, then the run store's (read-only), newest first",
    )
    def runs() -> list[RunOut]:
        own = [RunOut(**job.summary()) for job in ctx.jobs.all()]
        rows = ctx.stored(lambda s: s.list(200), [])
        return own + [RunOut(**_stored_run(row)) for row in rows]

    @app.get(
        "/runs/{run_id}", summary="One run with its result", responses={404: {"model": ProblemsOut}}
    )
    def run(run_id: str) -> RunOut:
        job = ctx.jobs.get(run_id)
        if job is not None:
            return RunOut(**job.summary(), result=job.result)
        row = ctx.stored(lambda s: s.get(run_id), None)
        if row is None:
            raise Refused(404, f"no run {run_id!r}; see GET /runs", path="run_id")
        return RunOut(**_stored_run(row), result=row.get("summary"))

    @app.post(
        "/runs/{run_id}/cancel",
        summary="Cancel a running run",
        responses={404: {"model": ProblemsOut}},
    )
    def cancel(run_id: str) -> RunOut:
        job = ctx.jobs.cancel(run_id)
        if job is None:
            raise Refused(404, f"no run {run_id!r}; see GET /runs", path="run_id")
        return RunOut(**job.summary())
