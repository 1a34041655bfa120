"""Import and export of the formats analysts already have.

One reader and/or writer per format, registered by name in :data:`FORMATS`;
the CLI's ``offramp import FORMAT`` and ``offramp export FORMAT`` look formats
up here, so adding a format never touches the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from offramp.errors import Diagnostic
from offramp.scenario.schema import Scenario

__all__ = ["FORMATS", "Format", "Imported", "register"]


@dataclass(frozen=True)
class Imported:
    """What a reader produced: the scenario, and what it could not map (as warnings)."""

    scenario: Scenario
    warnings: tuple[Diagnostic, ...] = field(default=())


@dataclass(frozen=True)
class Format:
    """A peer format: its name, a one-line description, and its reader and/or writer.

    ``read`` takes the input files (e.g. a Genius domain and its utility
    files) and raises :class:`offramp.errors.InputError` on malformed input.
    ``write`` writes a scenario to a path and returns the files it wrote.
    """

    name: str
    description: str
    read: Callable[[Sequence[Path]], Imported] | None = None
    write: Callable[[Scenario, Path], list[Path]] | None = None


FORMATS: dict[str, Format] = {}
"""Every registered format, by name."""


def register(fmt: Format) -> Format:
    """Add a format to :data:`FORMATS` (its name must be new)."""
    if fmt.name in FORMATS:
        raise ValueError(f"format {fmt.name!r} is already registered")
    FORMATS[fmt.name] = fmt
    return fmt


def _register_builtin() -> None:
    """Import every public module of this package: each registers its format."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


_register_builtin()
