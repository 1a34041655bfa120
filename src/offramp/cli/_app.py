"""The ``offramp`` application object and the helpers every command uses.

Commands live in sibling modules (one per feature) and register themselves on
:data:`app`; ``offramp.cli`` imports them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.console import Console

from offramp._version import __version__
from offramp.errors import InputError, OfframpError, Problem

__all__ = ["app", "err", "fail", "guard", "out"]

app = typer.Typer(
    name="offramp",
    help="Game out negotiated ends to wars: who must agree, what they would accept, and why.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

T = TypeVar("T")


def fail(problems: tuple[Problem, ...] | list[Problem], heading: str) -> NoReturn:
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


def _version(value: bool) -> None:
    if value:
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
