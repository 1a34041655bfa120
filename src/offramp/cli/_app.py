"""The ``offramp`` application object and the helpers every command uses.

Commands live in sibling modules (one per feature) and register themselves on
:data:`app`; ``offramp.cli`` imports them all.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from offramp.errors import Diagnostic, InputError, OfframpError

__all__ = ["app", "err", "fail", "guard", "out", "write_json"]

app = typer.Typer(
    name="offramp",
    help="Game out negotiated ends to wars: who must agree, what they would accept, and why.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _Console(Console):
    """A console that, when not writing to a terminal, never wraps long lines."""

    def print(self, *objects: Any, **options: Any) -> None:
        if not self.is_terminal:
            options.setdefault("soft_wrap", True)
        super().print(*objects, **options)


out: Console = _Console()
err: Console = _Console(stderr=True)

T = TypeVar("T")


def fail(problems: tuple[Diagnostic, ...] | list[Diagnostic], heading: str) -> NoReturn:
    """Print a heading and every problem to stderr, then exit with status 1."""
    err.print(f"[bold red]{heading}[/]")
    for problem in problems:
        err.print(str(problem), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def guard(action: Callable[[], T]) -> T:
    """Run an action, turning offramp's errors into messages and exit status 1."""
    try:
        return action()
    except InputError as error:
        n = len(error.problems)
        fail(error.problems, f"{n} problem{'s' if n != 1 else ''} found:")
    except OfframpError as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False)
        raise typer.Exit(1) from error
    raise AssertionError("unreachable")  # pragma: no cover


def write_json(text: str, json_path: str | None, *, parents: bool = False) -> Console:
    """Write a command's JSON where ``--json`` asks: a path, ``-`` (stdout) or nowhere.

    Returns the console the human summary goes to: stderr when the JSON took
    stdout, stdout otherwise. A path that cannot be written is an error
    message and exit status 1; ``parents`` creates missing directories first.
    """
    if json_path == "-":
        sys.stdout.write(text)
        return err
    if json_path is not None:
        try:
            if parents:
                Path(json_path).parent.mkdir(parents=True, exist_ok=True)
            Path(json_path).write_text(text, encoding="utf-8")
        except OSError as error:
            err.print(f"[bold red]error:[/] cannot write {json_path}: {error}", highlight=False)
            raise typer.Exit(1) from error
    return out


def _version(value: bool) -> None:
    if value:
        from offramp._version import __version__  # importlib.metadata is slow to import

        out.print(f"offramp {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Game out negotiated ends to wars."""
