"""Read actor tables (CSV) into the arrays the forecast models take.

Two layouts are accepted, told apart by their header:

* one issue: ``actor,capability,position,salience``, one row per actor;
* several issues: ``actor,issue,position,salience,capability``, one row per
  actor and issue.  An actor without a row for an issue is indifferent to it
  (as a scenario actor without a stance is): it gets salience 0 there and is
  marked absent in :attr:`ActorTable.present`, and a warning names the
  actor's first row.

Column order is free, names are case-insensitive, blank lines and lines
starting with ``#`` (citations, notes) are skipped.  Every bad row is reported
at once as an :class:`offramp.errors.InputError` whose problems name the file,
the line, the column and how to fix it.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from offramp.errors import Diagnostic, InputError

__all__ = ["ActorTable", "read_table"]

_SINGLE = ("actor", "capability", "position", "salience")
_MULTI = ("actor", "issue", "position", "salience", "capability")


@dataclass(frozen=True)
class ActorTable:
    """Actors' positions, saliences and capabilities read from a table.

    Attributes
    ----------
    actors : tuple of str
        Actor names in file order.
    issues : tuple of str
        Issue names in file order; empty for a one-issue table.
    position, capability, salience : ndarray of float
        Shape (n,) for one issue, (n, m) for several, on the file's scale.
        Where an actor has no row for an issue: salience 0, the actor's mean
        capability over its rows, and the position of the capability x
        salience weighted mean of the actors present (so that it sits on
        neither side of the issue).
    present : ndarray of bool, shape like ``position``
        Whether the actor has a row for the issue.
    warnings : tuple of Diagnostic
        One per missing actor-issue row.
    """

    actors: tuple[str, ...]
    issues: tuple[str, ...]
    position: NDArray[np.float64]
    capability: NDArray[np.float64]
    salience: NDArray[np.float64]
    present: NDArray[np.bool_] = field(default_factory=lambda: np.ones(0, dtype=bool))
    warnings: tuple[Diagnostic, ...] = ()


def _number(
    raw: str, column: str, where: tuple[str, int], problems: list[Diagnostic], *, nonneg: bool
) -> float:
    try:
        value = float(raw)
    except ValueError:
        problems.append(
            Diagnostic(
                where[0], where[1], column, f"must be a number; got {raw!r} (write e.g. 0.5)"
            )
        )
        return math.nan
    if not math.isfinite(value):
        problems.append(Diagnostic(where[0], where[1], column, f"must be finite; got {raw!r}"))
        return math.nan
    if nonneg and value < 0:
        problems.append(
            Diagnostic(where[0], where[1], column, f"must be >= 0; got {raw!r} (use 0 for none)")
        )
    return value


def read_table(path: str | Path) -> ActorTable:
    """Read a one-issue or several-issue actor table.

    Parameters
    ----------
    path : str or Path
        The CSV file.

    Returns
    -------
    ActorTable

    Raises
    ------
    InputError
        Listing every problem: unreadable file, missing or unknown column,
        missing value, non-number, negative capability or salience, duplicated
        actor (or actor and issue) row, empty table.  A missing actor-issue
        row is a warning (:attr:`ActorTable.warnings`), not an error.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
    ...     _ = f.write("actor,capability,position,salience\\nA,1,4,0.5\\nB,2,10,1\\n")
    >>> table = read_table(f.name)
    >>> table.actors, table.position.tolist()
    (('A', 'B'), [4.0, 10.0])
    >>> os.unlink(f.name)
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError([Diagnostic(name, None, "", f"cannot read the file: {err}")]) from err
    lines = [
        (no, line)
        for no, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise InputError([Diagnostic(name, None, "", "the table is empty; add a header row")])
    head_no, head_line = lines[0]
    header = [h.strip().lower() for h in next(csv.reader([head_line]))]
    multi = "issue" in header
    wanted = _MULTI if multi else _SINGLE
    problems: list[Diagnostic] = []
    for col in wanted:
        if col not in header:
            problems.append(
                Diagnostic(
                    name, head_no, col, f"missing column; the header needs {','.join(wanted)}"
                )
            )
    for col in header:
        if col not in wanted:
            problems.append(
                Diagnostic(name, head_no, col, f"unknown column; expected only {','.join(wanted)}")
            )
    if len(set(header)) != len(header):
        problems.append(Diagnostic(name, head_no, "", "a column name appears twice in the header"))
    if problems:
        raise InputError(problems)
    index = {col: header.index(col) for col in wanted}
    records: dict[tuple[str, str], tuple[float, float, float, int]] = {}
    actors: dict[str, None] = {}
    issues: dict[str, None] = {}
    for no, line in lines[1:]:
        cells = next(csv.reader([line]))
        where = (name, no)
        if len(cells) != len(header):
            problems.append(
                Diagnostic(name, no, "", f"has {len(cells)} cells; the header has {len(header)}")
            )
            continue
        row = {col: cells[index[col]].strip() for col in wanted}
        for col in wanted:
            if row[col] == "":
                problems.append(Diagnostic(name, no, col, "is empty; fill in a value"))
        if any(row[col] == "" for col in wanted):
            continue
        actor, issue = row["actor"], row.get("issue", "")
        position = _number(row["position"], "position", where, problems, nonneg=False)
        salience = _number(row["salience"], "salience", where, problems, nonneg=True)
        capability = _number(row["capability"], "capability", where, problems, nonneg=True)
        key = (actor, issue)
        if key in records:
            what = f"actor {actor!r}" + (f" on issue {issue!r}" if multi else "")
            problems.append(
                Diagnostic(
                    name,
                    no,
                    "actor",
                    f"duplicate row for {what} (first on line {records[key][3]}); keep one",
                )
            )
            continue
        records[key] = (position, salience, capability, no)
        actors.setdefault(actor, None)
        issues.setdefault(issue, None)
    if not records and not problems:
        problems.append(Diagnostic(name, None, "", "the table has a header but no rows"))
    actor_list, issue_list = tuple(actors), tuple(issues)
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.line or 0, p.path, p.message)))
    shape = (len(actor_list), len(issue_list))
    out = np.zeros((3, *shape))
    present = np.zeros(shape, dtype=bool)
    first_line: dict[str, int] = {}
    for (actor, issue), (pos, sal, cap, no) in records.items():
        a, d = actor_list.index(actor), issue_list.index(issue)
        out[:, a, d] = (pos, sal, cap)
        present[a, d] = True
        first_line[actor] = min(first_line.get(actor, no), no)
    warnings: list[Diagnostic] = []
    for a, actor in enumerate(actor_list):
        for d, issue in enumerate(issue_list):
            if present[a, d]:
                continue
            warnings.append(
                Diagnostic(
                    name,
                    first_line[actor],
                    "issue",
                    f"actor {actor!r} has no row for issue {issue!r}: it is indifferent to it"
                    " (salience 0; left out of one-issue models); add a row to give it a stance",
                )
            )
            out[2, a, d] = out[2, a][present[a]].mean()
    for d in range(len(issue_list)):
        here = present[:, d]
        if here.all():
            continue
        w = out[1, here, d] * out[2, here, d]
        x = out[0, here, d]
        out[0, ~here, d] = (w * x).sum() / w.sum() if w.sum() > 0 else x.mean()
    if not multi:
        out = out[:, :, 0]
        present = present[:, 0]
    return ActorTable(
        actors=actor_list,
        issues=issue_list if multi else (),
        position=out[0],
        salience=out[1],
        capability=out[2],
        present=present,
        warnings=tuple(warnings),
    )
