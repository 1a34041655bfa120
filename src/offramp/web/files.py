"""Routes for files: the UI and its static files, the served scenarios, saved variants."""

from __future__ import annotations

import datetime as dt
from importlib.resources import files
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from offramp.report.render import plotly_js_path
from offramp.web.context import NAME, Context, Refused
from offramp.web.edit import Edit, dump_document, edited_document
from offramp.web.schemas import ERRORS, ProblemsOut, SaveIn, ScenarioIn

__all__ = ["add_file_routes"]

_STATIC = {
    "app.js": "text/javascript",
    "credible.js": "text/javascript",
    "app.css": "text/css",
    "index.html": "text/html",
}


def add_file_routes(app: FastAPI, ctx: Context) -> None:
    """``GET /``, ``/static/{name}``, ``/scenarios``, ``/scenarios/{name}``; ``POST /variants``."""

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
    def scenarios() -> list[dict[str, Any]]:
        """Each file's ``name``, ``title`` and ``default`` (true for the file given to serve)."""
        out: list[dict[str, Any]] = []
        for path in ctx.served():
            title = ""
            try:
                for line in path.read_text(encoding="utf-8").splitlines():
                    if line.startswith("title:"):
                        title = line[6:].strip().strip("\"'")
                        break
            except (OSError, UnicodeDecodeError):
                continue
            out.append({"name": path.name, "title": title, "default": path.name == ctx.only})
        return out

    @app.get(
        "/scenarios/{name}",
        summary="One served scenario file as YAML text",
        responses={404: {"model": ProblemsOut}, 422: ERRORS[422]},
    )
    def scenario_text(name: str) -> dict[str, str]:
        text, file = ctx.text_of(ScenarioIn(name=name))
        return {"name": file, "yaml": text}

    @app.post(
        "/variants",
        status_code=201,
        summary="Save a variant as a new scenario file (comments and sources kept)",
        responses={**ERRORS, 409: {"model": ProblemsOut}},
    )
    def save_variant(body: SaveIn) -> dict[str, Any]:
        if not NAME.match(body.save_as):
            raise Refused(
                422,
                "a file name of letters, digits, _, - and . ending in .yaml or .yml",
                path="save_as",
            )
        text, file = ctx.text_of(body)
        edits = [Edit(tuple(e.path), e.value) for e in body.edits]
        if body.id is not None:
            edits.append(Edit(("id",), body.id))
        scenario, document = edited_document(text, file, edits)
        target = ctx.root / body.save_as
        if target.exists():
            raise Refused(
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
            raise Refused(422, f"cannot write {body.save_as}: {error}", path="save_as") from error
        return {"saved": target.name, "id": scenario.id, "yaml": text}
