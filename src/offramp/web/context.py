"""What every route group shares: the served files, the run store, the jobs, refusals."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.responses import JSONResponse

from offramp.errors import Diagnostic, OfframpError
from offramp.scenario.schema import Scenario
from offramp.store import RunStore, StoreError
from offramp.web.edit import Edit, load_with_edits
from offramp.web.jobs import Jobs
from offramp.web.schemas import ScenarioIn

__all__ = ["NAME", "Context", "Refused", "problems_response"]

NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,120}\.ya?ml$")
"""A scenario file name the workbench serves and writes."""


def problems_response(
    problems: list[Diagnostic] | tuple[Diagnostic, ...], status: int = 422
) -> JSONResponse:
    """Problems as the 422 (or ``status``) answer the routes give."""
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


class Refused(Exception):
    """A request the workbench refuses, with its HTTP status and the problem."""

    def __init__(self, status: int, message: str, file: str = "<request>", path: str = "") -> None:
        super().__init__(message)
        self.status, self.problem = status, Diagnostic(file, None, path, message)


@dataclass
class Context:
    """The served directory (or single file), the run store and the background jobs."""

    root: Path
    only: str | None
    store_path: Path
    jobs: Jobs = field(default_factory=Jobs)

    def stored(self, action: Callable[[RunStore], Any], default: Any) -> Any:
        """Read the run store; a missing or busy store reads as empty."""
        if not self.store_path.exists():
            return default
        try:
            with RunStore(self.store_path, read_only=True) as opened:
                return action(opened)
        except StoreError:
            return default

    def served(self) -> list[Path]:
        """The scenario files this server serves."""
        if self.only is not None:
            return [self.root / self.only]
        return (
            sorted(p for p in self.root.iterdir() if p.is_file() and NAME.match(p.name))
            if self.root.is_dir()
            else []
        )

    def text_of(self, body: ScenarioIn) -> tuple[str, str]:
        """The scenario's YAML text and the file name for messages."""
        if body.yaml is not None:
            return body.yaml, body.file or body.name or "<request>"
        if body.name is None:
            raise Refused(422, "give the scenario as `yaml` text or the `name` of a served file")
        path = next((p for p in self.served() if p.name == body.name), None)
        if path is None:
            raise Refused(404, f"no scenario named {body.name!r}; see GET /scenarios", body.name)
        try:
            return path.read_text(encoding="utf-8"), body.file or path.name
        except (OSError, UnicodeDecodeError) as error:
            raise Refused(422, f"cannot read the file: {error}", path.name) from error

    def load(self, body: ScenarioIn) -> tuple[Scenario, str]:
        """The scenario of a request, edits applied and validated."""
        text, file = self.text_of(body)
        edits = [Edit(tuple(e.path), e.value) for e in body.edits]
        return load_with_edits(text, file, edits), file

    def warm(self) -> None:
        """Parse the served files once (in the background): the first analysis is then fast."""
        for path in self.served()[:20]:
            try:
                load_with_edits(path.read_text(encoding="utf-8"), path.name)
            except (OSError, UnicodeDecodeError, OfframpError):
                continue
