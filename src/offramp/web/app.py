"""The offramp workbench: a FastAPI app with an OpenAPI spec and a browser UI.

Endpoints (all JSON unless said otherwise; the OpenAPI spec is at
``/openapi.json`` and browsable at ``/docs``, whose Swagger UI assets come from the
installed ``fastapi-offline`` package, never a CDN; there is no ``/redoc``, whose
page loads a logo from the web):

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
``POST /sequences``          orders of the implementation steps and the spoilers (+ edits)

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

import secrets
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline

from offramp._version import __version__
from offramp.errors import Diagnostic, InputError, OfframpError
from offramp.store import DEFAULT_STORE
from offramp.web.analyze import add_analysis_routes
from offramp.web.context import Context, Refused, problems_response
from offramp.web.files import add_file_routes
from offramp.web.implementation import add_implementation_routes
from offramp.web.runs import add_run_routes

__all__ = ["create_app"]


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
    ctx = Context(root, only, store if store is not None else DEFAULT_STORE)

    app = FastAPIOffline(
        redoc_url=None,
        title="offramp workbench",
        version=__version__,
        description="Analyze, forecast and sweep war-termination scenarios. "
        "See docs/report-and-web.md.",
    )

    threading.Thread(target=ctx.warm, daemon=True).start()

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
        return problems_response(error.problems)

    @app.exception_handler(Refused)
    async def _refused(request: Request, error: Refused) -> JSONResponse:
        return problems_response([error.problem], error.status)

    @app.exception_handler(OfframpError)
    async def _offramp_error(request: Request, error: OfframpError) -> JSONResponse:
        return problems_response([Diagnostic("<request>", None, "", str(error))])

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
            problems.append(Diagnostic("<request>", None, dotted, str(item.get("msg", "invalid"))))
        return problems_response(problems)

    add_file_routes(app, ctx)
    add_analysis_routes(app, ctx)
    add_implementation_routes(app, ctx)
    add_run_routes(app, ctx)
    return app
