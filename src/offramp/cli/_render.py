"""How the command line shows things: one place for tables, panels and progress.

Every command renders through these helpers so that the same output works on
a terminal and in a pipe:

- :func:`show_table` prints a rich table on a terminal; anywhere else (a pipe,
  a file, a test) it prints plain tab-separated values, never truncated or
  wrapped, with the title as a ``# title`` line, so ``offramp runs list |
  grep ID`` finds full ids and ``pandas.read_csv(..., sep="\\t",
  comment="#")`` reads a table back.
- :func:`show_panel` prints a boxed panel on a terminal and ``Title: text`` on
  one line otherwise.
- :func:`progress` shows a rich progress bar on stderr while long work runs,
  and nothing when stderr is not a terminal.

Commands added later (backtest, evaluate, ...) should use these too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

__all__ = ["progress", "show_panel", "show_table", "tsv_lines"]


def _plain(cell: Any) -> str:
    """A cell as plain text: markup removed, tabs and line breaks turned into spaces."""
    if isinstance(cell, Text):
        text = cell.plain
    elif isinstance(cell, str):
        text = Text.from_markup(cell).plain
    else:
        text = str(cell)
    return " ".join(text.replace("\t", " ").split())


def tsv_lines(table: Table, *, title: bool = True) -> list[str]:
    """The table as tab-separated lines: ``# title`` (if any), the header, then the rows.

    Examples
    --------
    >>> t = Table(title="Runs")
    >>> t.add_column("id"); t.add_column("status")
    >>> t.add_row("20240101-000000-abcdef", "[yellow]incomplete[/]")
    >>> tsv_lines(t)
    ['# Runs', 'id\\tstatus', '20240101-000000-abcdef\\tincomplete']
    """
    lines = []
    if title and table.title:
        lines.append(f"# {_plain(table.title)}")
    lines.append("\t".join(_plain(c.header) for c in table.columns))
    columns = [list(c.cells) for c in table.columns]
    for r in range(table.row_count):
        lines.append("\t".join(_plain(col[r]) if r < len(col) else "" for col in columns))
    return lines


def show_table(console: Console, table: Table, *, title: bool = True) -> None:
    """Print a table: rich on a terminal, plain untruncated TSV otherwise.

    ``title=False`` leaves the ``# title`` line out of the TSV (for a command
    whose whole output is the table).
    """
    if console.is_terminal:
        console.print(table)
        return
    # written as is: rich would expand the tabs into spaces
    lines = tsv_lines(table, title=title)
    console.file.write("\n".join(lines) + ("\n\n" if title else "\n"))


def show_panel(console: Console, text: str, title: str) -> None:
    """A boxed panel on a terminal; ``title: text`` on one line elsewhere."""
    if console.is_terminal:
        console.print(Panel(text, title=title, expand=False))
    else:
        console.print(f"{title}: {text}", markup=False, highlight=False, soft_wrap=True)


@contextmanager
def progress(label: str, console: Console | None = None) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr; yields ``update(done, total)`` for the work to call.

    Shows nothing (and costs nothing) when the console is not a terminal, so
    pipes, files and CI logs get no control characters. The bar is removed
    when the work ends.
    """
    target = console if console is not None else Console(stderr=True)
    if not target.is_terminal:
        yield lambda done, total: None
        return
    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=target,
        transient=True,
    )
    task = bar.add_task(label, total=None)
    with bar:
        yield lambda done, total: bar.update(task, completed=done, total=total)
