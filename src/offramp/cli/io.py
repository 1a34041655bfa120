"""Import and export commands: ``import``, ``export`` and ``template``.

Formats are looked up in :data:`offramp.io.FORMATS` by name; adding a format
never touches this module.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from offramp.cli._app import app, err, fail, guard, out
from offramp.errors import Diagnostic, OfframpError

if TYPE_CHECKING:
    from offramp.io import Format, Imported

__all__ = ["export_command", "import_command", "template"]

_KEEP = ("source", "quote", "assumed", "description", "sources", "publics")
"""What an analyst adds to an imported scenario and a re-import keeps."""


def _format(name: str, want: str) -> Format:
    from offramp.io import FORMATS

    fmt = FORMATS.get(name)
    if fmt is None or getattr(fmt, want) is None:
        able = [n for n, f in sorted(FORMATS.items()) if getattr(f, want) is not None]
        raise OfframpError(
            f"no format `{name}` to {'import' if want == 'read' else 'export'}; "
            f"available: {', '.join(able)}"
        )
    return fmt


def _merged(target: Path, imported: Imported, header: str) -> str:
    """The imported scenario applied to an existing scenario file, keeping its comments."""
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    from offramp.scenario import load_scenario_text
    from offramp.scenario.dump import dump_document, dump_scenario, load_document, update_document

    try:
        document = load_document(target.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError, ValueError, IndexError):
        document = None  # not a YAML scenario (ruamel raises the last two on odd scalars)
    if not isinstance(document, CommentedMap):
        return dump_scenario(imported.scenario, header=header)
    text = dump_document(update_document(document, imported.scenario, keep=_KEEP))
    load_scenario_text(text, str(target))  # what was kept must still fit the new data
    return text


@app.command(name="import")
def import_command(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="genius, decide, table, ...")],
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="The input file(s).")],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Scenario YAML to write (default: stdout). An existing file is updated in "
            "place: its comments, sources, quotes and publics are kept.",
        ),
    ] = None,
) -> None:
    """Import a peer format into a scenario; print what could not be mapped."""
    from offramp.scenario.dump import dump_scenario

    reader = guard(lambda: _format(fmt, "read")).read
    assert reader is not None
    imported = guard(lambda: reader(files))
    names = " ".join(str(f) for f in files)
    header = f"Imported by `offramp import {fmt} {names}`."
    if imported.warnings:
        header += "\nNot mapped or assumed (see the import's warnings):\n" + "\n".join(
            f"  {w.message}" for w in imported.warnings
        )
    for warning in imported.warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    if output is None:
        sys.stdout.write(dump_scenario(imported.scenario, header=header))
        return
    text = guard(lambda: _merged(output, imported, header) if output.exists() else None)
    if text is None:
        text = dump_scenario(imported.scenario, header=header)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        err.print(f"[bold red]error:[/] cannot write {output}: {error}", highlight=False)
        raise typer.Exit(1) from error
    s = imported.scenario
    err.print(
        f"Wrote {output}: {len(s.issues)} issues, {len(s.actors)} actors, "
        f"{len(imported.warnings)} warning(s)."
    )


@app.command(name="export")
def export_command(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="genius, decide, table, ...")],
    file: Annotated[Path, typer.Argument(help="Scenario file (YAML).")],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Where to write (default: the scenario id; a directory for genius).",
        ),
    ] = None,
) -> None:
    """Export a scenario to a peer format."""
    from offramp.scenario import load_scenario

    writer = guard(lambda: _format(fmt, "write")).write
    assert writer is not None
    scenario = guard(lambda: load_scenario(file))
    target = output if output is not None else Path(scenario.id)
    try:
        written = writer(scenario, target)
    except OSError as error:
        err.print(f"[bold red]error:[/] cannot write {target}: {error}", highlight=False)
        raise typer.Exit(1) from error
    for path in written:
        out.print(f"Wrote {path}", highlight=False)
    from offramp.io._common import not_exported

    for lost in not_exported(scenario):
        err.print(f"[yellow]warning:[/] {lost}", highlight=False, soft_wrap=True)


@app.command()
def template(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The table to write (.xlsx or .csv).")
    ],
    issues: Annotated[int, typer.Option(min=1, max=200, help="Number of issues.")] = 3,
    actors: Annotated[int, typer.Option(min=2, max=500, help="Number of actors.")] = 5,
) -> None:
    """Write a starter actor table to fill in, then `offramp import table FILE`."""
    from offramp.io.table import write_template

    if output.suffix.lower() not in (".xlsx", ".csv"):
        fail(
            [Diagnostic(str(output), None, "", "use a .xlsx or .csv file name")], "1 problem found:"
        )
    try:
        write_template(output, issues=issues, actors=actors)
    except OSError as error:
        err.print(f"[bold red]error:[/] cannot write {output}: {error}", highlight=False)
        raise typer.Exit(1) from error
    out.print(f"Wrote {output}: {issues} issue(s), {actors} actors; fill it in, then run")
    out.print(f"  offramp import table {output} -o scenario.yaml", markup=False, highlight=False)
