"""The offramp workbench: a FastAPI app with an OpenAPI spec and a browser UI.

Endpoints (all JSON unless said otherwise; the OpenAPI spec is at
``/openapi.json`` and browsable at ``/docs``):

``GET /``                    the browser UI (plain HTML and JavaScript; plotly.js from the package)
``GET /scenarios``           the scenario files this server serves
``GET /scenarios/{name}``    one of them, as YAML text
``POST /analyze``            settlement analysis of a scenario (+ edits): verdict, counts, picture
``POST /forecast``           the forecast models, issue by issue
``POST /sweep``              start a Monte Carlo sweep in the background (HTTP 202); progress
                             at ``GET /runs/{id}``
``POST /sweep/one-way``      start a one-way sweep (one input over values) in the background
``GET /runs``                the runs of this server and the run store's runs (read-only)
``GET /runs/{id}``           one run: status, progress and, when done, its result
``POST /runs/{id}/cancel``   stop a running run of this server
``POST /variants``           save a variant as a new scenario file (comments and sources kept)
``POST /report``             the HTML report of a scenario (+ edits)

A scenario is sent as YAML text (``yaml``) or named (``name``, one of
``GET /scenarios``), with ``edits``: field paths and new values applied to
the YAML document (:mod:`offramp.web.edit`). Invalid input answers 422 with
the CLI's ``FILE:LINE: field: message`` problems.

Security: the app serves and writes only the scenario files of its own
directory (names are checked, nothing is overwritten). With a token, every
request must carry it (``Authorization: Bearer T``, the ``X-Offramp-Token``
header, a ``token`` query parameter, or the cookie set when the UI is opened
with ``?token=T``).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from offramp._version import __version__
from offramp.assess import analyze
from offramp.errors import InputError, OfframpError, Problem
from offramp.report.build import frontier_figure
from offramp.report.cloud import package_cloud
from offramp.report.extras import available_engines, forecast_section, run_forecasts
from offramp.report.render import plotly_js_path, render_html
from offramp.report.sections import sweep_section
from offramp.report.stored import stored_results
from offramp.report.write import QUICK_SWEEP_DRAWS, report_for
from offramp.scenario.load import content_hash
from offramp.scenario.schema import Scenario
from offramp.store import DEFAULT_STORE, RunStore, StoreError
from offramp.uncertainty.model import compile_model
from offramp.uncertainty.sweep import Draws
from offramp.uncertainty.sweep import sweep as run_sweep
from offramp.web.edit import Edit, dump_document, edited_document, load_with_edits
from offramp.web.jobs import JobControl, Jobs

__all__ = ["create_app"]

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,120}\.ya?ml$")
_STATIC = {"app.js": "text/javascript", "app.css": "text/css", "index.html": "text/html"}

Scalar = Annotated[str, Field(max_length=10_000)] | float | bool | None
PathPart = Annotated[str, Field(max_length=200)] | Annotated[int, Field(ge=0, le=1_000_000)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EditIn(_Body):
    """Set one field of the scenario: ``path`` from the root, e.g. ``["actors", 1, "batna"]``."""

    path: list[PathPart] = Field(min_length=1, max_length=16)
    value: Scalar


class ScenarioIn(_Body):
    """A scenario as YAML text or by name, with edits applied before validation."""

    yaml: str | None = Field(default=None, max_length=2_000_000, description="Scenario YAML.")
    name: str | None = Field(
        default=None, max_length=200, description="A scenario file this server serves."
    )
    file: str | None = Field(
        default=None, max_length=200, description="File name to use in error messages."
    )
    edits: list[EditIn] = Field(default_factory=list, max_length=2000)


class AnalyzeIn(ScenarioIn):
    """Analyze a scenario; ``x`` and ``y`` pick the actors of the picture's axes."""

    x: str | None = Field(default=None, max_length=64)
    y: str | None = Field(default=None, max_length=64)


class SweepIn(ScenarioIn):
    """A Monte Carlo sweep over every uncertain input and event branch (``offramp sweep``)."""

    draws: int = Field(default=2000, ge=1, le=100_000, description="Number of draws.")
    seed: int = Field(default=0, ge=0, le=2**63 - 1, description="Seed: fixes every draw.")
    at: dt.date | None = Field(default=None, description="Only events up to this date.")


class OneWayIn(ScenarioIn):
    """Vary one input over values and analyze each variant (a one-way sweep)."""

    path: list[PathPart] = Field(min_length=1, max_length=16, description="Input to vary.")
    values: list[float] = Field(min_length=1, max_length=201, description="Its values.")


class SaveIn(ScenarioIn):
    """Save the edited scenario under a new file name in the served directory."""

    save_as: str = Field(max_length=130, description="New file name, ending in .yaml.")
    id: str | None = Field(
        default=None, max_length=64, description="New scenario id (default: keep)."
    )


class ProblemOut(BaseModel):
    """One problem, as the CLI prints it (``text``) and field by field."""

    file: str
    line: int | None
    path: str
    message: str
    text: str


class ProblemsOut(BaseModel):
    """Why the input was refused."""

    detail: str
    problems: list[ProblemOut]


class RunOut(BaseModel):
    """A background run and its progress."""

    id: str
    kind: str
    label: str
    status: Literal["queued", "running", "done", "failed", "cancelled", "incomplete"]
    done: int
    total: int
    progress: float
    created: float
    finished: float | None
    error: str | None
    origin: Literal["server", "store"] = Field(
        default="server", description="A run of this server, or one read from the run store."
    )
    result: Any = None


_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ProblemsOut, "description": "Invalid input: every problem found."}
}


def _problems(problems: list[Problem] | tuple[Problem, ...], status: int = 422) -> JSONResponse:
    n = len(problems)
    return JSONResponse(
        status_code=status,
        content={
            "detail": f"{n} problem{'s' if n != 1 else ''} found",
            "problems": [
                {
                    "file": p.file,
                    "line": p.line,
                    "path": p.path,
                    "message": p.message,
                    "text": str(p),
                }
                for p in problems
            ],
        },
    )


class _Refused(Exception):
    def __init__(self, status: int, message: str, file: str = "<request>", path: str = "") -> None:
        super().__init__(message)
        self.status, self.problem = status, Problem(file, None, path, message)


def _number(value: Any) -> Any:
    """A scenario input's point value as JSON (distributions give their point value)."""
    if value is None or isinstance(value, bool | str):
        return value
    return float(value)


def _for_ui(scenario: Scenario) -> dict[str, Any]:
    """The scenario as the UI's controls need it: point values, and which are uncertain.

    ``uncertain`` lists the paths (as in edits) of inputs written as
    distributions; the UI says so, and editing one replaces it by a number.
    """
    data = scenario.model_dump(mode="json")
    uncertain: list[list[str | int]] = []

    def walk(node: Any, path: list[str | int]) -> None:
        if isinstance(node, dict):
            if path and path[-1] in (
                "batna",
                "power",
                "position",
                "salience",
                "threshold",
                "reject",
            ):
                uncertain.append(path)
                return
            for key, value in node.items():
                walk(value, [*path, key])
        elif isinstance(node, list):
            for k, value in enumerate(node):
                walk(value, [*path, k])

    walk(data, [])
    for a, actor in enumerate(scenario.actors):
        data["actors"][a]["batna"] = _number(actor.batna)
        data["actors"][a]["power"] = _number(actor.power)
        for k, stance in enumerate(actor.stances):
            data["actors"][a]["stances"][k]["position"] = _number(stance.position)
            data["actors"][a]["stances"][k]["salience"] = _number(stance.salience)
    for p, public in enumerate(scenario.publics):
        data["publics"][p]["threshold"] = _number(public.threshold)
        for k, rule in enumerate(public.rules):
            data["publics"][p]["rules"][k]["reject"] = _number(rule.reject)
    data["uncertain"] = uncertain
    return data


def _loopback_only(host: str) -> bool:
    return host in ("127.0.0.1", "::1", "localhost") or host.startswith("127.")


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


def create_app(
    source: Path | None = None, *, token: str | None = None, store: Path | None = None
) -> FastAPI:
    """Build the workbench app.

    Parameters
    ----------
    source : Path, optional
        A scenario file (served alone, variants saved beside it) or a directory
        (its ``*.yaml``/``*.yml`` files are served, variants saved in it).
        Default: ``scenarios/`` if it exists, else the current directory.
    token : str, optional
        If given, every request must carry it.
    store : Path, optional
        Run store whose runs ``GET /runs`` lists beside the server's own (read
        only; default ``offramp-out/runs.duckdb`` when it exists).

    Returns
    -------
    FastAPI

    Examples
    --------
    >>> from fastapi.testclient import TestClient
    >>> from pathlib import Path
    >>> app = create_app(Path(__file__).parents[3] / "scenarios")
    >>> reply = TestClient(app).post("/analyze", json={"name": "textbook-two-party.yaml"})
    >>> reply.status_code, reply.json()["result"]["ratified"]["count"]
    (200, 4)
    """
    if source is None:
        source = Path("scenarios") if Path("scenarios").is_dir() else Path(".")
    root = source if source.is_dir() else source.parent
    only = source.name if source.is_file() else None
    jobs = Jobs()
    store_path = store if store is not None else DEFAULT_STORE

    def stored(action: Callable[[RunStore], Any], default: Any) -> Any:
        """Read the run store; a missing or busy store reads as empty."""
        if not store_path.exists():
            return default
        try:
            with RunStore(store_path, read_only=True) as opened:
                return action(opened)
        except StoreError:
            return default

    app = FastAPI(
        title="offramp workbench",
        version=__version__,
        description="Analyze, forecast and sweep war-termination scenarios. "
        "See docs/report-and-web.md.",
    )

    def served() -> list[Path]:
        if only is not None:
            return [root / only]
        return (
            sorted(p for p in root.iterdir() if p.is_file() and _NAME.match(p.name))
            if root.is_dir()
            else []
        )

    def text_of(body: ScenarioIn) -> tuple[str, str]:
        if body.yaml is not None:
            return body.yaml, body.file or body.name or "<request>"
        if body.name is None:
            raise _Refused(422, "give the scenario as `yaml` text or the `name` of a served file")
        path = next((p for p in served() if p.name == body.name), None)
        if path is None:
            raise _Refused(404, f"no scenario named {body.name!r}; see GET /scenarios", body.name)
        try:
            return path.read_text(encoding="utf-8"), body.file or path.name
        except (OSError, UnicodeDecodeError) as error:
            raise _Refused(422, f"cannot read the file: {error}", path.name) from error

    def load(body: ScenarioIn) -> tuple[Scenario, str]:
        text, file = text_of(body)
        edits = [Edit(tuple(e.path), e.value) for e in body.edits]
        return load_with_edits(text, file, edits), file

    def warm() -> None:
        # parse the served files once in the background: the first analysis is then fast
        for path in served()[:20]:
            try:
                load_with_edits(path.read_text(encoding="utf-8"), path.name)
            except (OSError, UnicodeDecodeError, OfframpError):
                continue

    threading.Thread(target=warm, daemon=True).start()

    if token is not None:

        @app.middleware("http")
        async def _require_token(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            given = (
                request.headers.get("x-offramp-token")
                or request.query_params.get("token")
                or request.cookies.get("offramp_token")
            )
            auth = request.headers.get("authorization", "")
            if auth.lower().startswith("bearer "):
                given = auth[7:].strip()
            if given is None or not secrets.compare_digest(given.encode(), token.encode()):
                return JSONResponse(
                    status_code=401,
                    content={
                        "detail": "this server needs its token: add ?token=... to the URL "
                        "or send `Authorization: Bearer <token>`"
                    },
                )
            response = await call_next(request)
            if request.query_params.get("token"):
                response.set_cookie("offramp_token", token, httponly=True, samesite="strict")
            return response

    @app.exception_handler(InputError)
    async def _input_error(request: Request, error: InputError) -> JSONResponse:
        return _problems(error.problems)

    @app.exception_handler(_Refused)
    async def _refused(request: Request, error: _Refused) -> JSONResponse:
        return _problems([error.problem], error.status)

    @app.exception_handler(OfframpError)
    async def _offramp_error(request: Request, error: OfframpError) -> JSONResponse:
        return _problems([Problem("<request>", None, "", str(error))])

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = []
        for item in error.errors():
            loc = [p for p in item.get("loc", ()) if p != "body"]
            dotted = ""
            for part in loc:
                dotted += (
                    f"[{part}]" if isinstance(part, int) else (f".{part}" if dotted else str(part))
                )
            problems.append(Problem("<request>", None, dotted, str(item.get("msg", "invalid"))))
        return _problems(problems)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        html = (files("offramp.web") / "static" / "index.html").read_text(encoding="utf-8")
        return HTMLResponse(html)

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name == "plotly.min.js":
            return FileResponse(plotly_js_path(), media_type="text/javascript")
        if name not in _STATIC:
            return JSONResponse(status_code=404, content={"detail": "not found"})
        text = (files("offramp.web") / "static" / name).read_text(encoding="utf-8")
        return Response(text, media_type=_STATIC[name])

    @app.get("/scenarios", summary="List the scenario files this server serves")
    def scenarios() -> list[dict[str, str]]:
        out = []
        for path in served():
            title = ""
            try:
                for line in path.read_text(encoding="utf-8").splitlines():
                    if line.startswith("title:"):
                        title = line[6:].strip().strip("\"'")
                        break
            except (OSError, UnicodeDecodeError):
                continue
            out.append({"name": path.name, "title": title})
        return out

    @app.get(
        "/scenarios/{name}",
        summary="One served scenario file as YAML text",
        responses={404: {"model": ProblemsOut}, 422: _ERRORS[422]},
    )
    def scenario_text(name: str) -> dict[str, str]:
        text, file = text_of(ScenarioIn(name=name))
        return {"name": file, "yaml": text}

    @app.post("/analyze", summary="Analyze a scenario's settlement space", responses=_ERRORS)
    def analyze_endpoint(body: AnalyzeIn) -> dict[str, Any]:
        started = time.perf_counter()
        scenario, file = load(body)
        ids = [a.id for a in scenario.actors]
        for axis, value in (("x", body.x), ("y", body.y)):
            if value is not None and value not in ids:
                raise _Refused(
                    422, f"unknown actor {value!r}; one of: {', '.join(ids)}", file, axis
                )
        # the UI asks /forecast for forecasts; durability is in the report only
        analysis = analyze(scenario, forecasts=False, durability=False)
        cloud = package_cloud(scenario, body.x, body.y)
        figure = frontier_figure(scenario, analysis, cloud, hover="index")
        return {
            "result": analysis.to_dict(),
            "settled": analysis.ratified_count > 0,
            "figure": {"title": figure.title, "caption": figure.caption, "spec": figure.spec},
            "axes": [cloud.x, cloud.y],
            "scenario": _for_ui(scenario),
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
        }

    @app.post("/forecast", summary="Run the forecast models issue by issue", responses=_ERRORS)
    def forecast_endpoint(body: ScenarioIn) -> dict[str, Any]:
        started = time.perf_counter()
        scenario, _ = load(body)
        available = available_engines()["forecasts"]
        forecasts, skipped = run_forecasts(scenario) if available else ([], {})
        section = forecast_section(scenario, forecasts, skipped)
        return {
            "available": available,
            "forecasts": [
                {"model": f.model, "issue": f.issue, "trajectory": list(f.trajectory)}
                for f in forecasts
            ],
            "table": None
            if section is None
            else {"columns": section.tables[0].columns, "rows": section.tables[0].rows},
            "figures": []
            if section is None
            else [
                {"title": f.title, "caption": f.caption, "spec": f.spec} for f in section.figures
            ],
            "skipped": skipped,
            "text": "" if section is None else " ".join(section.paragraphs),
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
        }

    @app.post(
        "/sweep",
        status_code=202,
        summary="Start a Monte Carlo sweep (every uncertain input and event) as a background run",
        responses={**_ERRORS, 429: {"model": ProblemsOut}},
    )
    def sweep_endpoint(body: SweepIn) -> RunOut:
        scenario, file = load(body)
        model = compile_model(scenario)
        if model.streams == 0:
            raise _Refused(
                422,
                "nothing in this scenario is uncertain: give an input a distribution "
                "(e.g. `batna: {triangular: [0.3, 0.4, 0.6]}`) or add events",
                file,
            )
        chunk = max(100, -(-body.draws // 20))

        def work(control: JobControl) -> dict[str, Any]:
            control.start(body.draws)
            done = 0

            def on_chunk(part: Draws) -> None:
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

        job = jobs.submit("sweep", f"{file}: {body.draws:,} draws, seed {body.seed}", work)
        if job is None:
            raise _Refused(429, f"{jobs.max_running} runs are already running; wait or cancel one")
        return RunOut(**job.summary())

    @app.post(
        "/sweep/one-way",
        status_code=202,
        summary="Start a one-way sweep (one input over values) as a background run",
        responses={**_ERRORS, 429: {"model": ProblemsOut}},
    )
    def one_way_endpoint(body: OneWayIn) -> RunOut:
        text, file = text_of(body)
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
                a = analyze(scenario, forecasts=False, durability=False)
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

        job = jobs.submit("one-way", f"{file}: {dotted} over {len(body.values)} values", work)
        if job is None:
            raise _Refused(429, f"{jobs.max_running} runs are already running; wait or cancel one")
        return RunOut(**job.summary())

    @app.get(
        "/runs",
        summary="The runs of this server, then the run store's (read-only), newest first",
    )
    def runs() -> list[RunOut]:
        own = [RunOut(**job.summary()) for job in jobs.all()]
        rows = stored(lambda s: s.list(200), [])
        return own + [RunOut(**_stored_run(row)) for row in rows]

    @app.get(
        "/runs/{run_id}", summary="One run with its result", responses={404: {"model": ProblemsOut}}
    )
    def run(run_id: str) -> RunOut:
        job = jobs.get(run_id)
        if job is not None:
            return RunOut(**job.summary(), result=job.result)
        row = stored(lambda s: s.get(run_id), None)
        if row is None:
            raise _Refused(404, f"no run {run_id!r}; see GET /runs", path="run_id")
        return RunOut(**_stored_run(row), result=row.get("summary"))

    @app.post(
        "/runs/{run_id}/cancel",
        summary="Cancel a running run",
        responses={404: {"model": ProblemsOut}},
    )
    def cancel(run_id: str) -> RunOut:
        job = jobs.cancel(run_id)
        if job is None:
            raise _Refused(404, f"no run {run_id!r}; see GET /runs", path="run_id")
        return RunOut(**job.summary())

    @app.post(
        "/variants",
        status_code=201,
        summary="Save a variant as a new scenario file (comments and sources kept)",
        responses={**_ERRORS, 409: {"model": ProblemsOut}},
    )
    def save_variant(body: SaveIn) -> dict[str, Any]:
        if not _NAME.match(body.save_as):
            raise _Refused(
                422,
                "a file name of letters, digits, _, - and . ending in .yaml or .yml",
                path="save_as",
            )
        text, file = text_of(body)
        edits = [Edit(tuple(e.path), e.value) for e in body.edits]
        if body.id is not None:
            edits.append(Edit(("id",), body.id))
        scenario, document = edited_document(text, file, edits)
        target = root / body.save_as
        if target.exists():
            raise _Refused(
                409, f"{body.save_as} exists already; choose another name", path="save_as"
            )
        changes = "; ".join(
            f"{Edit(tuple(e.path), e.value).dotted} = {e.value}" for e in body.edits
        )
        header = (
            f"# Variant of {file} saved by the offramp workbench on "
            f"{dt.date.today().isoformat()}.\n" + (f"# Changed: {changes}\n" if changes else "")
        )
        text = header + dump_document(document, like=text)
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as error:
            raise _Refused(422, f"cannot write {body.save_as}: {error}", path="save_as") from error
        return {"saved": target.name, "id": scenario.id, "yaml": text}

    @app.post(
        "/report",
        response_class=HTMLResponse,
        summary="The self-contained HTML report of a scenario",
        responses=_ERRORS,
    )
    def report(body: ScenarioIn) -> HTMLResponse:
        scenario, _ = load(body)
        results = stored(lambda s: stored_results(s, content_hash(scenario)), None)
        built = report_for(scenario, stored=results, sweep_draws=QUICK_SWEEP_DRAWS)
        return HTMLResponse(
            render_html(built),
            headers={"Content-Disposition": f'attachment; filename="{scenario.id}-report.html"'},
        )

    return app
