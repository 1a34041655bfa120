"""Read DEU III files (decisions of the European Union) into arrays for backtests.

DEU III (Arregui & Perarnaud 2021) records, for controversial issues of EU
legislative proposals, the position (0-100) and salience (0-100) of the
Commission, the Parliament and every member state, the reference point (the
status quo) and the outcome.  The file read here is the tab-separated layout
of a public replication: a header of column names, then a row that is not an
issue but holds each actor's GDP (trillions of US dollars) in its position
column, then one row per issue.

Columns used: ``prnr`` (proposal), ``isnr`` (issue), ``prname``, ``proc``
(``COD``/``CNS``), ``counvte`` (Council voting rule), ``intro`` (``dd-mm-yy``;
:func:`_year` reads the other forms of this copy),
``p<actor>`` and ``s<actor>`` for every actor of :data:`ACTORS`, ``rp`` and
``out``.  Other columns are ignored.  A blank position, salience, reference
point or outcome is read as NaN (an actor without a position took none; a
row without an outcome is not scored).  Every malformed cell is reported at
once, as ``FILE:LINE: column: what is wrong``.

Reading belongs here, at the edge; :mod:`offramp.backtest` only sees arrays.

References
----------
.. [1] Arregui, J. & Perarnaud, C. (2021). A new dataset on legislative
   decision-making in the European Union: the DEU III dataset. Journal of
   European Public Policy. Data: https://doi.org/10.34810/data53 (CC BY 4.0).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from offramp.errors import Diagnostic, InputError

__all__ = ["ACTORS", "DeuData", "parse_deu", "read_deu"]

ACTORS: tuple[str, ...] = (
    "com", "ep", "at", "be", "bu", "cr", "cy", "cz", "dk", "ee", "fi", "fr", "de", "el",
    "hu", "ie", "it", "lv", "lt", "lu", "mt", "nl", "pl", "pt", "ro", "si", "sk", "es",
    "se", "uk",
)  # fmt: skip
"""The DEU III actors in file order: Commission, Parliament, then the member states."""

_META = ("prnr", "isnr", "prname", "proc", "counvte", "intro", "rp", "out")


@dataclass(frozen=True)
class DeuData:
    """The issues of a DEU III file as arrays (``k`` issues, ``a`` = 30 actors).

    Attributes
    ----------
    source : str
        The file name as given.
    actors : tuple of str
        :data:`ACTORS`.
    prnr, isnr, prname, proc, counvte : tuple of str, length k
        Proposal id, issue id, short name, procedure, Council voting rule.
    year : ndarray of int, shape (k,)
        Year the proposal was introduced (from ``intro``).
    position, salience : ndarray of float, shape (k, a)
        On 0-100; NaN where the cell is blank.
    rp, out : ndarray of float, shape (k,)
        Reference point and outcome; NaN where blank.
    gdp : ndarray of float, shape (a,)
        Each actor's GDP from the file's second row (NaN where blank).
    line : ndarray of int, shape (k,)
        The 1-based line of each issue in the file.
    """

    source: str
    actors: tuple[str, ...]
    prnr: tuple[str, ...]
    isnr: tuple[str, ...]
    prname: tuple[str, ...]
    proc: tuple[str, ...]
    counvte: tuple[str, ...]
    year: NDArray[np.int64]
    position: NDArray[np.float64]
    salience: NDArray[np.float64]
    rp: NDArray[np.float64]
    out: NDArray[np.float64]
    gdp: NDArray[np.float64]
    line: NDArray[np.int64]

    @property
    def scored(self) -> NDArray[np.bool_]:
        """Issues with an outcome (the ones a backtest scores), shape (k,)."""
        return np.asarray(np.isfinite(self.out))


def _year(text: str) -> int | None:
    """The year of an ``intro`` date, in any of the three forms this copy uses.

    ``dd-mm-yy`` (``yy`` >= 50 is 19yy), ``dd-mm-yyyy``, and the form a
    spreadsheet made of ``dd-mm-yy`` by reading it as ``yy-mm-dd``:
    ``20dd-mm-yy`` or ``19dd-mm-yy`` (``2022-09-04`` is 22 September 2004:
    proposal d04209; ``1930-11-05`` is 30 November 2005: d05246).  In that
    form the year is the *last* field.

    Examples
    --------
    >>> _year("12-07-00"), _year("07-02-96"), _year("13-09-2017"), _year("2022-09-04")
    (2000, 1996, 2017, 2004)
    >>> _year("2000"), _year("1-2-3"), _year("32-01-00")
    (None, None, None)
    """
    parts = text.strip().split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    sizes = tuple(len(p) for p in parts)
    if sizes == (2, 2, 2) or sizes == (2, 2, 4):
        day, month, year = (int(p) for p in parts)
    elif sizes == (4, 2, 2) and parts[0][:2] in ("19", "20"):
        day, month, year = int(parts[0][2:]), int(parts[1]), int(parts[2])
    else:
        return None
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return None
    if year < 100:
        year += 1900 if year >= 50 else 2000
    return year


def _cell(
    text: str, file: str, line: int, column: str, problems: list[Diagnostic], *, scale: bool
) -> float:
    if text.strip() == "":
        return math.nan
    try:
        value = float(text)
    except ValueError:
        problems.append(Diagnostic(file, line, column, f"must be a number or blank; got {text!r}"))
        return math.nan
    if not math.isfinite(value) or (scale and not 0.0 <= value <= 100.0):
        problems.append(
            Diagnostic(file, line, column, f"must be on the 0-100 scale or blank; got {text!r}")
        )
        return math.nan
    return value


def _width(file: str, line: int, cells: int, columns: int) -> Diagnostic:
    return Diagnostic(file, line, "", f"has {cells} cells; the header has {columns}")


def parse_deu(text: str, file: str = "<string>") -> DeuData:
    """Parse the text of a DEU III file (see the module docstring).

    Parameters
    ----------
    text : str
        The whole file.
    file : str
        Name used in error messages.

    Returns
    -------
    DeuData

    Raises
    ------
    InputError
        Listing every problem: missing columns, rows of the wrong length,
        non-numbers, values off the 0-100 scale, a malformed ``intro`` date,
        a repeated ``isnr``, no issues.

    Examples
    --------
    >>> head = "\\t".join(["prnr", "isnr", "prname", "proc", "counvte", "intro"]
    ...     + [f"p{a}" for a in ACTORS] + [f"s{a}" for a in ACTORS] + ["rp", "out"])
    >>> gdp = "\\t" * 6 + "\\t".join(["1"] * 30) + "\\t" * 32
    >>> row = "\\t".join(["d1", "d1i1", "x", "COD", "QMV", "01-02-05"]
    ...     + ["50"] * 30 + ["60"] * 30 + ["", "40"])
    >>> data = parse_deu("\\n".join([head, gdp, row]))
    >>> data.isnr, data.year.tolist(), data.out.tolist(), data.position.shape
    (('d1i1',), [2005], [40.0], (1, 30))
    """
    rows = list(csv.reader(text.splitlines(), delimiter="\t"))
    if not rows:
        raise InputError(
            [Diagnostic(file, None, "", "the file is empty; expected a DEU III table")]
        )
    header = [h.strip().strip('"').lower() for h in rows[0]]
    wanted = [*_META, *(f"p{a}" for a in ACTORS), *(f"s{a}" for a in ACTORS)]
    missing = [c for c in wanted if c not in header]
    if missing:
        raise InputError(
            [
                Diagnostic(
                    file,
                    1,
                    col,
                    "missing column; a DEU III file needs prnr, isnr, prname, proc, counvte,"
                    " intro, p<actor> and s<actor> for every actor, rp and out",
                )
                for col in missing
            ]
        )
    col = {name: header.index(name) for name in wanted}
    problems: list[Diagnostic] = []
    body = [(no, cells) for no, cells in enumerate(rows, start=1) if no > 1 and any(cells)]
    gdp = np.full(len(ACTORS), np.nan)
    first = body[0][1] if body else []
    if body and all(len(first) > col[k] and not first[col[k]].strip() for k in ("prnr", "isnr")):
        no, cells = body.pop(0)
        if len(cells) != len(header):
            problems.append(
                Diagnostic(file, no, "", f"has {len(cells)} cells; the header has {len(header)}")
            )
        else:
            for a, actor in enumerate(ACTORS):
                gdp[a] = _cell(
                    cells[col[f"p{actor}"]], file, no, f"p{actor}", problems, scale=False
                )
    meta: dict[str, list[str]] = {k: [] for k in ("prnr", "isnr", "prname", "proc", "counvte")}
    years: list[int] = []
    lines: list[int] = []
    numbers: list[list[float]] = []
    seen: dict[str, int] = {}
    for no, cells in body:
        if len(cells) != len(header):
            problems.append(
                Diagnostic(file, no, "", f"has {len(cells)} cells; the header has {len(header)}")
            )
            continue
        isnr = cells[col["isnr"]].strip()
        if isnr == "":
            problems.append(Diagnostic(file, no, "isnr", "is empty; every issue row needs an id"))
            continue
        if isnr in seen:
            problems.append(
                Diagnostic(file, no, "isnr", f"{isnr!r} repeats line {seen[isnr]}; keep one row")
            )
            continue
        seen[isnr] = no
        year = _year(cells[col["intro"]])
        if year is None:
            problems.append(
                Diagnostic(
                    file,
                    no,
                    "intro",
                    f"must be a date dd-mm-yy or dd-mm-yyyy; got {cells[col['intro']]!r}",
                )
            )
            continue
        for key in meta:
            meta[key].append(cells[col[key]].strip())
        years.append(year)
        lines.append(no)
        numbers.append(
            [
                _cell(cells[col[name]], file, no, name, problems, scale=True)
                for name in (
                    *(f"p{a}" for a in ACTORS),
                    *(f"s{a}" for a in ACTORS),
                    "rp",
                    "out",
                )
            ]
        )
    if not numbers and not problems:
        problems.append(Diagnostic(file, None, "", "no issue rows; expected one row per issue"))
    if problems:
        raise InputError(problems)
    values = np.asarray(numbers, dtype=np.float64)
    a = len(ACTORS)
    return DeuData(
        source=file,
        actors=ACTORS,
        prnr=tuple(meta["prnr"]),
        isnr=tuple(meta["isnr"]),
        prname=tuple(meta["prname"]),
        proc=tuple(meta["proc"]),
        counvte=tuple(meta["counvte"]),
        year=np.asarray(years, dtype=np.int64),
        position=values[:, :a].copy(),
        salience=values[:, a : 2 * a].copy(),
        rp=values[:, 2 * a].copy(),
        out=values[:, 2 * a + 1].copy(),
        gdp=gdp,
        line=np.asarray(lines, dtype=np.int64),
    )


def read_deu(path: str | Path) -> DeuData:
    """Read a DEU III file (see :func:`parse_deu`).

    Raises
    ------
    InputError
        When the file cannot be read, or for every malformed cell.
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError([Diagnostic(name, None, "", f"cannot read the file: {err}")]) from err
    return parse_deu(text, name)
