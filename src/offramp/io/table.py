"""Actor tables: a CSV file or an XLSX workbook, one row per actor and issue.

Columns (header row, any order, any case): ``actor``, ``issue``, ``position``,
``salience``, ``capability``, and optionally ``veto`` and ``batna``. In a
workbook every sheet is read; a sheet without an ``issue`` column is about the
issue named like the sheet (so one sheet per issue works), and a sheet whose
first cell starts with ``#`` is notes, skipped. CSV files may be comma,
semicolon or tab separated (detected from the header).

Mapping, with every interpretive choice:

* issues and actors are taken in order of first appearance; ids are made
  from their names, which become the labels;
* numeric positions (0-100) become the issue's options, one per distinct
  position, each at its number (a single distinct position gets the scale's
  ends as further options, with a warning); text positions become options in
  order of first appearance, spaced evenly on 0-100 (a warning says so:
  reorder them in the YAML if the order matters). An issue mixing numbers and
  text is an error;
* an actor without a row for an issue is indifferent to it (no stance,
  salience 0), with a warning naming its first row;
* ``capability`` is the actor's ``power``; when it differs between an actor's
  rows, each stance gets its own ``power`` and the actor the mean;
* ``veto`` (yes/no, true/false, 1/0, x) and ``batna`` (0-1) are per actor:
  give them on any of its rows; conflicting values are errors. A veto actor
  without batna gets 0, and a table where no actor has a veto marks every
  actor as one, each with a warning.

Every problem names the cell: ``FILE:LINE`` for CSV, ``FILE:SHEET!CELL`` for
XLSX. The writer produces the same columns (one row per stance, numeric
positions) and :func:`write_template` a blank-ish workbook to start from.
"""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offramp.errors import Diagnostic, InputError
from offramp.io import Format, Imported, register
from offramp.io._common import IdMaker, as_number, clean, read_text, slug, validate
from offramp.scenario.schema import Scenario

__all__ = ["COLUMNS", "FORMAT", "read_table", "write_table", "write_template"]

COLUMNS = ("actor", "issue", "position", "salience", "capability", "veto", "batna")
"""The columns of an actor table, in the order the writers use."""
_REQUIRED = ("actor", "position", "salience", "capability")
_TRUE = {"true", "yes", "y", "1", "x", "ja", "oui"}
_FALSE = {"false", "no", "n", "0", ""}


@dataclass(frozen=True)
class _Cell:
    value: Any
    file: str
    line: int | None

    def problem(self, message: str) -> Diagnostic:
        return Diagnostic(self.file, self.line, "", message)

    @property
    def where(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"

    @property
    def text(self) -> str:
        if self.value is None:
            return ""
        if isinstance(self.value, float):
            return format(clean(self.value), "g")
        return str(self.value).strip()


Row = dict[str, _Cell]


def _letter(column: int) -> str:
    out = ""
    while column:
        column, rest = divmod(column - 1, 26)
        out = chr(65 + rest) + out
    return out


def _sheet_rows(
    file: str, sheet: str | None, grid: list[list[Any]], warnings: list[Diagnostic]
) -> Iterator[Row]:
    """Rows of one sheet (or CSV file) as ``{column: cell}``, header checked."""

    def cell(value: Any, row: int, col: int) -> _Cell:
        if sheet is None:
            return _Cell(value, file, row)
        return _Cell(value, f"{file}:{sheet}!{_letter(col)}{row}", None)

    start = next((k for k, r in enumerate(grid) if any(v not in (None, "") for v in r)), None)
    if start is None:
        return
    head = grid[start]
    first = str(head[0]).strip() if head and head[0] is not None else ""
    if first.startswith("#"):
        return
    columns: dict[int, str] = {}
    for col, value in enumerate(head, start=1):
        name = str(value).strip().lower() if value is not None else ""
        if not name:
            continue
        if name in COLUMNS:
            columns[col] = name
        else:
            warnings.append(
                cell(value, start + 1, col).problem(
                    f"column `{value}` not mapped (known: {', '.join(COLUMNS)}): ignored"
                )
            )
    needed = [c for c in _REQUIRED if c not in columns.values()]
    if sheet is None and "issue" not in columns.values():
        needed.insert(1, "issue")
    if needed:
        raise InputError(
            [
                cell(None, start + 1, 1).problem(
                    "the header row lacks column(s) "
                    + ", ".join(f"`{n}`" for n in needed)
                    + f"; an actor table has columns {', '.join(COLUMNS)} (veto, batna optional)"
                )
            ]
        )
    for k in range(start + 1, len(grid)):
        values = grid[k]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        row = {
            name: cell(values[col - 1] if col - 1 < len(values) else None, k + 1, col)
            for col, name in columns.items()
        }
        if "issue" not in row:
            row["issue"] = _Cell(sheet, row["actor"].file, row["actor"].line)
        yield row


def _csv_grid(path: Path) -> list[list[Any]]:
    text = read_text(path)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",;\t", key=first.count)
    return [list(r) for r in csv.reader(text.splitlines(), delimiter=delimiter)]


def _xlsx_grids(path: Path) -> Iterator[tuple[str, list[list[Any]]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError as err:
        raise InputError([Diagnostic(str(path), None, "", "no such file; check the path")]) from err
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise InputError(
            [Diagnostic(str(path), None, "", f"not a readable .xlsx workbook: {err}")]
        ) from err
    try:
        for sheet in book.worksheets:
            yield sheet.title, [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _rows(path: Path, warnings: list[Diagnostic]) -> list[Row]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows: list[Row] = []
        for title, grid in _xlsx_grids(path):
            rows += _sheet_rows(str(path), title, grid, warnings)
        return rows
    return list(_sheet_rows(str(path), None, _csv_grid(path), warnings))


def _number(
    cell: _Cell, what: str, low: float, high: float | None, problems: list[Diagnostic]
) -> float | None:
    value = as_number(cell.value)
    if value is None or value < low or (high is not None and value > high):
        span = f"from {low:g} to {high:g}" if high is not None else f">= {low:g}"
        problems.append(cell.problem(f"{what} must be a number {span}; got {cell.text!r}"))
        return None
    return value


def _veto(cell: _Cell, problems: list[Diagnostic]) -> bool | None:
    if isinstance(cell.value, bool):
        return cell.value
    text = cell.text.lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return None if not text else False
    problems.append(cell.problem(f"veto must be yes or no (or true/false, 1/0); got {cell.text!r}"))
    return None


@dataclass
class _Actor:
    name: str
    cell: _Cell
    veto: tuple[bool, _Cell] | None = None
    batna: tuple[float, _Cell] | None = None


def read_table(paths: Sequence[Path]) -> Imported:
    """Read actor tables (CSV or XLSX) into a scenario.

    Parameters
    ----------
    paths : sequence of Path
        One or more tables; their rows are read as one table.

    Returns
    -------
    Imported
        The scenario and warnings for what was not mapped or was assumed.

    Raises
    ------
    InputError
        Naming file and line (CSV) or file, sheet and cell (XLSX).
    """
    if not paths:
        raise InputError([Diagnostic("table", None, "", "give at least one CSV or XLSX file")])
    warnings: list[Diagnostic] = []
    problems: list[Diagnostic] = []
    rows = [row for path in paths for row in _rows(path, warnings)]
    if not rows:
        raise InputError([Diagnostic(str(paths[0]), None, "", "the table has no data rows")])
    actors: dict[str, _Actor] = {}
    issues: dict[str, list[tuple[str | float, _Cell]]] = {}
    stances: dict[tuple[str, str], tuple[str | float, float, float, _Cell]] = {}
    for row in rows:
        actor, issue = row["actor"].text, row["issue"].text
        if not actor or not issue:
            where = row["actor"] if not actor else row["issue"]
            problems.append(where.problem(f"{'actor' if not actor else 'issue'} is empty"))
            continue
        info = actors.setdefault(actor, _Actor(actor, row["actor"]))
        for key in ("veto", "batna"):
            if key not in row or row[key].text == "":
                continue
            value: bool | float | None = (
                _veto(row[key], problems)
                if key == "veto"
                else _number(row[key], "batna", 0.0, 1.0, problems)
            )
            if value is None:
                continue
            before = getattr(info, key)
            if before is not None and before[0] != value:
                problems.append(
                    row[key].problem(
                        f"{key} of `{actor}` is {row[key].text} here but {before[1].text} at "
                        f"{before[1].where}; give one value"
                    )
                )
            elif before is None:
                setattr(info, key, (value, row[key]))
        position_cell = row["position"]
        number = as_number(position_cell.value)
        position: str | float
        if number is not None:
            if not 0.0 <= number <= 100.0:
                problems.append(
                    position_cell.problem(
                        f"position must be from 0 to 100 (or an option name); got {number:g}"
                    )
                )
                continue
            position = number
        elif position_cell.text:
            position = position_cell.text
        else:
            problems.append(position_cell.problem("position is empty"))
            continue
        salience = _number(row["salience"], "salience", 0.0, None, problems)
        capability = _number(row["capability"], "capability", 0.0, None, problems)
        if salience is None or capability is None:
            continue
        if (actor, issue) in stances:
            problems.append(
                row["actor"].problem(f"a second row for actor `{actor}` on issue `{issue}`")
            )
            continue
        issues.setdefault(issue, []).append((position, position_cell))
        stances[(actor, issue)] = (position, salience, capability, row["actor"])
    issues_out: list[dict[str, Any]] = []
    option_of: dict[tuple[str, str], str] = {}
    issue_ids, issue_id = IdMaker(), {}
    for issue, positions in issues.items():
        numeric = [p for p, _ in positions if isinstance(p, float)]
        if numeric and len(numeric) < len(positions):
            cell = next(c for p, c in positions if isinstance(p, str))
            problems.append(
                cell.problem(
                    f"issue `{issue}` mixes numeric and named positions; use one kind per issue"
                )
            )
            continue
        ids = IdMaker()
        options: list[dict[str, Any]] = []
        if numeric:
            points = sorted(set(numeric))
            if len(points) == 1:
                points = sorted({0.0, 100.0, points[0]})
                warnings.append(
                    positions[0][1].problem(
                        f"every position on `{issue}` is {numeric[0]:g}: the scale's ends 0 and "
                        "100 added as options"
                    )
                )
            for x in points:
                name = format(clean(x), "g")
                options.append(
                    {"id": ids("p" + name.replace(".", "_")), "label": name, "at": clean(x)}
                )
        else:
            names = list(dict.fromkeys(str(p) for p, _ in positions))
            if len(names) < 2:
                problems.append(
                    positions[0][1].problem(
                        f"issue `{issue}` has one named position; name at least two options"
                    )
                )
                continue
            for k, name in enumerate(names):
                option_id = ids(name, "option")
                at = clean(100 * k / (len(names) - 1))
                option_of[(issue, name)] = option_id
                options.append({"id": option_id, "label": name, "at": at})
            warnings.append(
                positions[0][1].problem(
                    f"issue `{issue}`: named positions become options in order of first "
                    "appearance, evenly spaced on 0-100; reorder them in the YAML if needed"
                )
            )
        issue_id[issue] = issue_ids(issue, "issue")
        issues_out.append({"id": issue_id[issue], "label": issue, "options": options})
    if problems:
        raise InputError(problems)
    any_veto = any(a.veto is not None and a.veto[0] for a in actors.values())
    if not any_veto:
        warnings.append(
            Diagnostic(
                str(paths[0]),
                None,
                "",
                "no actor has a veto: every actor is marked veto: true; add a `veto` column "
                "to say who must sign",
            )
        )
    actor_ids = IdMaker()
    actors_out = []
    for name, info in actors.items():
        own = [(issue, s) for (a, issue), s in stances.items() if a == name]
        taken = {i for i, _ in own}
        for issue in (i for i in issue_id if i not in taken):
            warnings.append(
                info.cell.problem(
                    f"actor `{name}` has no row for issue `{issue}`: it is indifferent to it"
                    " (no stance: salience 0); add a row to give it a stance"
                )
            )
        powers = [s[2] for _, s in own]
        varying = len(set(powers)) > 1
        veto = info.veto[0] if info.veto is not None else not any_veto
        entry: dict[str, Any] = {
            "id": actor_ids(name, "actor"),
            "label": name,
            "power": clean(sum(powers) / len(powers)) if powers else 0,
            "veto": veto,
        }
        if info.batna is not None:
            entry["batna"] = clean(info.batna[0])
        elif veto:
            entry["batna"] = 0
            warnings.append(
                (info.veto[1] if info.veto else info.cell).problem(
                    f"veto actor `{name}` has no batna: 0 assumed"
                )
            )
        entry["stances"] = []
        for issue, (position, salience, power, _) in own:
            stance: dict[str, Any] = {
                "issue": issue_id[issue],
                "position": clean(position)
                if isinstance(position, float)
                else option_of[(issue, position)],
                "salience": clean(salience),
            }
            if varying:
                stance["power"] = clean(power)
            entry["stances"].append(stance)
        actors_out.append(entry)
    warnings.append(Diagnostic(str(paths[0]), None, "", "as_of is today; edit it"))
    data = {
        "id": slug(paths[0].stem, "table"),
        "title": paths[0].stem,
        "as_of": dt.date.today(),
        "issues": issues_out,
        "actors": actors_out,
    }
    return Imported(validate(data, str(paths[0])), tuple(warnings))


def _table(scenario: Scenario) -> list[list[Any]]:
    rows: list[list[Any]] = [list(COLUMNS)]
    for actor in scenario.actors:
        for k, stance in enumerate(actor.stances):
            issue = scenario.issue(stance.issue)
            position = stance.position
            if isinstance(position, str):
                position = next(o.at for o in issue.options if o.id == position)
            power = actor.power if stance.power is None else stance.power
            veto = ("yes" if actor.veto else "no") if k == 0 else ""
            batna = clean(actor.batna) if actor.batna is not None and k == 0 else ""
            rows.append(
                [
                    actor.id,
                    issue.id,
                    clean(position),
                    clean(stance.salience),
                    clean(power),
                    veto,
                    batna,
                ]
            )
    return rows


def _save(path: Path, sheets: list[tuple[str, list[list[Any]]]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            for _, rows in sheets[-1:]:
                writer.writerows(rows)
        return path
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets:
        sheet = book.create_sheet(title[:31])
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def write_table(scenario: Scenario, path: Path) -> list[Path]:
    """Write a scenario's stances as an actor table (``.csv``, else ``.xlsx``).

    Parameters
    ----------
    scenario : Scenario
    path : Path
        ``.csv`` writes CSV; any other suffix an XLSX workbook (``.xlsx`` is
        added when there is no suffix).

    Returns
    -------
    list of Path
        The one file written.
    """
    if not path.suffix:
        path = path.with_suffix(".xlsx")
    return [_save(path, [("actors", _table(scenario))])]


_README = [
    ["# How to fill in this workbook (sheets whose first cell starts with # are skipped)"],
    ["One sheet per issue, named after the issue (or one sheet with an `issue` column)."],
    ["actor: who; position: 0-100 on the issue's scale, or an option name"],
    ["salience: how much the issue matters to the actor (any scale, >= 0)"],
    ["capability: the actor's power (>= 0); veto: yes if a deal needs its signature"],
    ["batna: for veto actors, the utility in [0, 1] of no deal (the war goes on)"],
    ["Then: offramp import table THIS_FILE -o scenario.yaml"],
]


def write_template(path: Path, issues: int = 3, actors: int = 5) -> Path:
    """Write a starter actor table with ``issues`` issues and ``actors`` actors.

    An ``.xlsx`` template has a notes sheet and one sheet per issue; a
    ``.csv`` template one table with an ``issue`` column. The placeholder
    numbers import as a valid scenario (actors spread over each issue, the
    first two with a veto).

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "new.csv"
    >>> _ = write_template(target, issues=1, actors=2)
    >>> print(target.read_text().strip())
    actor,issue,position,salience,capability,veto,batna
    actor_1,issue_1,0,1,1,yes,0.5
    actor_2,issue_1,100,1,1,yes,0.5
    """
    if issues < 1 or actors < 2:
        raise ValueError("a template needs at least 1 issue and 2 actors")
    sheets: list[tuple[str, list[list[Any]]]] = [("notes", [list(r) for r in _README])]
    every: list[list[Any]] = [list(COLUMNS)]
    for i in range(1, issues + 1):
        rows: list[list[Any]] = [[c for c in COLUMNS if c != "issue"]]
        for a in range(actors):
            position = clean(100 * a / (actors - 1))
            veto, batna = ("yes", 0.5) if a < 2 else ("no", "")
            rows.append([f"actor_{a + 1}", position, 1, 1, veto, batna])
            every.append([f"actor_{a + 1}", f"issue_{i}", position, 1, 1, veto, batna])
        sheets.append((f"issue_{i}", rows))
    if path.suffix.lower() == ".csv":
        return _save(path, [("table", every)])
    return _save(path, sheets)


FORMAT = register(
    Format(
        "table",
        "actor table: CSV or XLSX with actor, issue, position, salience, capability "
        "(+ veto, batna) columns; one sheet per issue allowed",
        read=read_table,
        write=write_table,
    )
)
"""The registered ``table`` format."""
