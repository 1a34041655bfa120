"""The DEU III reader: the sample file, the copy's quirks, and FILE:LINE errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from offramp.errors import InputError
from offramp.io.deu import ACTORS, parse_deu, read_deu

SAMPLE = Path(__file__).parent / "data" / "deu" / "deu3-sample.tsv"


def test_reads_the_sample() -> None:
    data = read_deu(SAMPLE)
    assert len(data.isnr) == 21
    assert data.isnr[0] == "d00184i1" and data.prnr[0] == "d00184"
    assert data.actors == ACTORS and data.position.shape == (21, 30)
    # the GDP row is not an issue: Germany 4.1 (the 13th column), Commission 4.1
    assert data.gdp[ACTORS.index("de")] == pytest.approx(4.1)
    assert data.gdp[0] == pytest.approx(4.1)
    # blank outcomes are NaN and not scored
    assert not data.scored[data.isnr.index("d95341i2")]
    assert not data.scored[data.isnr.index("d160397i1")]
    assert int(data.scored.sum()) == 19
    # blank positions are NaN; the first issue: Austria took no position
    first = data.position[0]
    assert first[ACTORS.index("com")] == 100 and np.isnan(first[ACTORS.index("bu")])
    # a blank salience next to a position stays NaN here (the backtest reads it as 0)
    k = data.isnr.index("d160231i3")
    assert np.any(np.isfinite(data.position[k]) & np.isnan(data.salience[k]))


def test_three_date_forms() -> None:
    data = read_deu(SAMPLE)
    year = dict(zip(data.isnr, data.year.tolist(), strict=True))
    assert year["d00184i1"] == 2000  # 12-07-00
    assert year["d95341i1"] == 1996  # 07-02-96
    assert year["d04209i1"] == 2004  # 2022-09-04, a spreadsheet's reading of 22-09-04
    assert year["d160231i2"] == 2016  # 20-07-2016


def _text(row: list[str]) -> str:
    head = ["prnr", "isnr", "prname", "proc", "counvte", "intro"]
    head += [f"p{a}" for a in ACTORS] + [f"s{a}" for a in ACTORS] + ["rp", "out"]
    return "\t".join(head) + "\n" + "\t".join(row) + "\n"


def _row(**change: str) -> list[str]:
    cells = {"prnr": "d1", "isnr": "d1i1", "prname": "x", "proc": "COD", "counvte": "QMV"}
    cells |= {"intro": "01-02-05", "rp": "", "out": "40"}
    cells |= {f"p{a}": "50" for a in ACTORS} | {f"s{a}": "60" for a in ACTORS}
    cells |= change
    order = ["prnr", "isnr", "prname", "proc", "counvte", "intro"]
    order += [f"p{a}" for a in ACTORS] + [f"s{a}" for a in ACTORS] + ["rp", "out"]
    return [cells[c] for c in order]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"pde": "lots"}, "f.tsv:2: pde: must be a number or blank; got 'lots'"),
        ({"sfr": "140"}, "f.tsv:2: sfr: must be on the 0-100 scale or blank; got '140'"),
        ({"out": "-3"}, "f.tsv:2: out: must be on the 0-100 scale or blank; got '-3'"),
        ({"intro": "2005"}, "f.tsv:2: intro: must be a date dd-mm-yy or dd-mm-yyyy; got '2005'"),
        ({"isnr": ""}, "f.tsv:2: isnr: is empty; every issue row needs an id"),
    ],
)
def test_malformed_cell_names_file_line_and_column(change: dict[str, str], where: str) -> None:
    with pytest.raises(InputError) as info:
        parse_deu(_text(_row(**change)), "f.tsv")
    assert [str(p) for p in info.value.problems] == [where]


def test_every_problem_at_once_and_row_width() -> None:
    text = _text(_row(pde="x")) + "\t".join(_row(isnr="d1i2", out="y")) + "\nd1\td1i3\n"
    with pytest.raises(InputError) as info:
        parse_deu(text, "f.tsv")
    shown = [str(p) for p in info.value.problems]
    assert shown == [
        "f.tsv:2: pde: must be a number or blank; got 'x'",
        "f.tsv:3: out: must be a number or blank; got 'y'",
        "f.tsv:4: has 2 cells; the header has 68",
    ]


def test_missing_column_and_repeated_issue() -> None:
    text = _text(_row()).replace("\tout\n", "\toutcome\n", 1)
    with pytest.raises(InputError) as info:
        parse_deu(text, "f.tsv")
    assert str(info.value.problems[0]).startswith("f.tsv:1: out: missing column")
    with pytest.raises(InputError) as info:
        parse_deu(_text(_row()) + "\t".join(_row()) + "\n", "f.tsv")
    assert str(info.value.problems[0]) == "f.tsv:3: isnr: 'd1i1' repeats line 2; keep one row"


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the file"):
        read_deu(tmp_path / "absent.tsv")
