"""Tests of the actor-table reader, offramp.forecast.table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from offramp.errors import InputError
from offramp.forecast import read_table

DATA = Path(__file__).parent / "data" / "forecast"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "actors.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_emission_table() -> None:
    table = read_table(DATA / "emission_bdm1994.csv")
    assert table.actors[:3] == ("Netherlands", "Belgium", "Luxembourg")
    assert table.issues == ()
    assert table.position.tolist() == [4, 7, 4, 4, 10, 10, 10, 7, 4, 7]
    assert table.capability.sum() == pytest.approx(1.01)
    assert table.salience[-1] == 70


def test_several_issues_any_column_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "# a note\nIssue,Actor,Capability,Salience,Position\n"
        "tax,A,1,0.5,10\ntax,B,2,0.5,20\nwar,A,1,0.9,30\nwar,B,3,0.1,40\n",
    )
    table = read_table(path)
    assert table.actors == ("A", "B") and table.issues == ("tax", "war")
    np.testing.assert_array_equal(table.position, [[10, 30], [20, 40]])
    np.testing.assert_array_equal(table.capability, [[1, 1], [2, 3]])


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("actor,capability,position\nA,1,2\n", 1, "salience", "missing column"),
        ("actor,capability,position,salience,colour\nA,1,2,3,red\n", 1, "colour", "unknown"),
        ("actor,capability,position,salience\nA,1,x,3\n", 2, "position", "must be a number"),
        ("actor,capability,position,salience\nA,-1,2,3\n", 2, "capability", "must be >= 0"),
        ("actor,capability,position,salience\nA,1,2,-3\n", 2, "salience", "must be >= 0"),
        ("actor,capability,position,salience\nA,1,2,3\nA,1,2,3\n", 3, "actor", "duplicate"),
        ("actor,capability,position,salience\nA,1,,3\n", 2, "position", "is empty"),
        ("actor,capability,position,salience\nA,1,2\n", 2, "", "has 3 cells"),
        ("actor,capability,position,salience\nA,1,inf,3\n", 2, "position", "finite"),
        (
            "actor,issue,position,salience,capability\nA,t,1,1,1\nA,t,2,1,1\n",
            3,
            "actor",
            "issue 't'",
        ),
    ],
)
def test_each_bad_row_is_named(
    tmp_path: Path, text: str, line: int, column: str, fragment: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_table(path)
    hits = [p for p in info.value.problems if p.line == line and p.path == column]
    assert hits, info.value.problems
    assert fragment in hits[0].message
    assert str(hits[0]).startswith(f"{path}:{line}:")


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "actor,capability,position,salience\nA,x,1,1\nB,1,y,1\nC,-2,1,1\n")
    with pytest.raises(InputError) as info:
        read_table(path)
    assert [p.line for p in info.value.problems] == [2, 3, 4]


def test_missing_issue_row_is_indifference_with_a_warning(tmp_path: Path) -> None:
    text = (
        "actor,issue,position,salience,capability\nA,t,0,1,2\nA,w,9,1,4\nB,w,1,0.5,1\nC,t,10,1,2\n"
    )
    path = write(tmp_path, text)
    table = read_table(path)
    assert table.present.tolist() == [[True, True], [False, True], [True, False]]
    assert [str(w) for w in table.warnings] == [
        f"{path}:4: issue: actor 'B' has no row for issue 't': it is indifferent to it"
        " (salience 0; left out of one-issue models); add a row to give it a stance",
        f"{path}:5: issue: actor 'C' has no row for issue 'w': it is indifferent to it"
        " (salience 0; left out of one-issue models); add a row to give it a stance",
    ]
    # salience 0, the actor's own capability, and the weighted mean of those present
    assert table.salience[1, 0] == 0 and table.capability[1, 0] == 1
    assert table.position[1, 0] == 5.0  # (2 * 0 + 2 * 10) / 4
    assert table.position[2, 1] == pytest.approx((4 * 9 + 0.5 * 1) / 4.5)


def test_empty_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty"):
        read_table(write(tmp_path, "# only a comment\n"))
    with pytest.raises(InputError, match="no rows"):
        read_table(write(tmp_path, "actor,capability,position,salience\n"))
    with pytest.raises(InputError, match="cannot read"):
        read_table(tmp_path / "absent.csv")
