"""The one exception hierarchy of offramp.

Every error a user can cause is an :class:`OfframpError`. Errors about input
files carry :class:`Diagnostic` records that name the file, the line, the field
and say how to fix it; the CLI prints them and exits non-zero, never a
traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Diagnostic", "InputError", "OfframpError", "PackageError", "SpaceTooLargeError"]


class OfframpError(Exception):
    """Base class of every error offramp raises on purpose."""


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One thing wrong with an input file.

    Parameters
    ----------
    file : str
        The file's path as the user gave it (or a label such as ``<string>``).
    line : int or None
        1-based line number, when known.
    path : str
        Dotted field path inside the document, e.g. ``actors[0].batna``
        (empty for problems with the whole document).
    message : str
        What is wrong and how to fix it.

    Examples
    --------
    >>> str(Diagnostic("s.yaml", 12, "actors[0].batna", "must be <= 1; got 1.5"))
    's.yaml:12: actors[0].batna: must be <= 1; got 1.5'
    """

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class InputError(OfframpError):
    """An input file (scenario, table, peer format) is invalid.

    ``problems`` lists every problem found, not just the first.
    """

    def __init__(self, problems: Iterable[Diagnostic]) -> None:
        self.problems: tuple[Diagnostic, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SpaceTooLargeError(OfframpError):
    """The settlement space is larger than the method asked for can handle."""


class PackageError(OfframpError, ValueError):
    """A package misses an issue or names an option its issue does not have."""
