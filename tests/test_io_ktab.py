"""KTAB scenario files: CSV and XML readers, conversion, errors with line numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from offramp.errors import InputError
from offramp.io import FORMATS
from offramp.io.ktab import load_ktab_csv, read_ktab, to_scenario

DATA = Path(__file__).resolve().parent / "data" / "ktab"
ANCHORS = Path(__file__).resolve().parents[2] / "shared" / "anchors" / "ktab"

GOOD = (
    'Demo ,"A demo, with a comma",3,2,\n'
    "Actor,Description,Power,Tax,Sal,Aid,Sal,\n"
    "A, first , 100, 10, 50, 20, 30,\n"
    "B,second,50,60,80,40,10\n"
    "C,third,80,90,40,70,40,\n"
)


def _write(tmp_path: Path, text: str, name: str = "s.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        read_ktab(path)
    return [str(p) for p in info.value.problems]


def test_reads_csv(tmp_path: Path) -> None:
    k = read_ktab(_write(tmp_path, GOOD))
    assert k.name == "Demo" and k.description == "A demo, with a comma"
    assert k.actors == ("A", "B", "C") and k.descriptions[0] == "first"
    assert k.dimensions == ("Tax", "Aid")
    np.testing.assert_array_equal(k.capability, [100, 50, 80])
    np.testing.assert_array_equal(k.positions, [[10, 20], [60, 40], [90, 70]])
    np.testing.assert_array_equal(k.salience, [[50, 30], [80, 10], [40, 40]])
    assert k.lines == (3, 4, 5)
    names, dims, cap, pos, sal = load_ktab_csv(tmp_path / "s.csv")
    assert (names, dims) == (k.actors, k.dimensions)
    np.testing.assert_array_equal(cap, k.capability)
    np.testing.assert_array_equal(pos, k.positions)
    np.testing.assert_allclose(sal, k.salience / 100)


def test_duplicated_rows_are_an_error_with_both_lines(tmp_path: Path) -> None:
    text = GOOD.replace("3,2,", "4,2,") + "B,second,50,60,80,40,10\n"
    (msg,) = _problems(_write(tmp_path, text))
    assert msg.startswith(f"{tmp_path / 's.csv'}:6: actors[3]")
    assert "listed twice (line 4 and line 6)" in msg


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("3,2,", "4,2,", ":5: actors: the first row announces 4 actors but the file has 3"),
        ("3,2,", "x,2,", ":1: number of actors: must be a whole number"),
        (" 100,", " lots,", ":3: actors[0].power: must be a number; got 'lots'"),
        ("60,80", "160,80", ":4: actors[1].Tax: position must be on 0-100; got 160"),
        ("80,90,40,70,40", "80,90,70,70,40", ":5: actors[2]: saliences must sum"),
        (",50,60", ",0,60", ":4: actors[1].power: must be > 0"),
        ("C,third,80,90,40,70,40,", "C,third,80,90", ":5: actors[2]: expected 7 fields"),
        ("Sal,Aid,Sal,", "Sal,", ":2: header: expected 7 columns"),
    ],
)
def test_csv_errors_name_file_line_and_field(
    tmp_path: Path, old: str, new: str, where: str
) -> None:
    assert old in GOOD
    problems = _problems(_write(tmp_path, GOOD.replace(old, new, 1)))
    assert any(p.startswith(str(tmp_path / "s.csv")) and where in p for p in problems), problems


def test_reads_xml_with_parameters_and_accommodation(tmp_path: Path) -> None:
    text = (DATA / "dummyData_3Dim.xml").read_text(encoding="utf-8-sig")
    params = (
        "<ModelParameters><VictoryProbModel>Square</VictoryProbModel>"
        "<PCEModel>MarkovUniform</PCEModel><StateTransitions>Stochastic</StateTransitions>"
        "<VotingRule>PropCbc</VotingRule><BigRAdjust>Half</BigRAdjust><BigRRange>Max</BigRRange>"
        "<ThirdPartyCommit>NoCommit</ThirdPartyCommit><InterVecBrgn>S1P1</InterVecBrgn>"
        "<BargnModel>PWCompInterp</BargnModel></ModelParameters>"
    )
    ideal = (
        "<IdealAdjustment><iaPair><adjustingIdeal>SActor-01</adjustingIdeal>"
        "<referencePos>SActor-01</referencePos><adjust>0.75</adjust></iaPair>"
        "<iaPair><adjustingIdeal>SActor-01</adjustingIdeal>"
        "<referencePos>SActor-02</referencePos><adjust>0.25</adjust></iaPair></IdealAdjustment>"
    )
    text = text.replace("<Dimensions>", params + "<Dimensions>").replace(
        "</Scenario>", ideal + "</Scenario>"
    )
    k = read_ktab(_write(tmp_path, text, "s.xml"))
    assert k.seed == 3707583219545544125
    assert k.parameters["victory_model"] == "Square"
    assert k.parameters["bargain_model"] == "PWCompInterp"
    assert k.accommodation is not None
    assert k.accommodation[1, 1] == 0.75 and k.accommodation[1, 2] == 0.25
    assert k.accommodation[0, 0] == 1.0
    assert k.actors[0] == "SActor-00" and k.positions[0, 1] == 6.37


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("<dCoord>6.37</dCoord>", "<dCoord></dCoord>", "Actors[0].Position[1]: <dCoord> is empty"),
        ("<dCoord>6.37</dCoord>", "", "Actors[0].Position: needs one <dCoord> per dimension"),
        ("<capability>53.393</capability>", "<capability>x</capability>", "must be a number"),
        ("<name>SActor-01</name>", "<name>SActor-00</name>", "listed twice"),
        ("</Scenario>", "", "not well-formed XML"),
    ],
)
def test_xml_errors_name_line_and_field(tmp_path: Path, old: str, new: str, where: str) -> None:
    text = (DATA / "dummyData_3Dim.xml").read_text(encoding="utf-8-sig")
    assert old in text
    problems = _problems(_write(tmp_path, text.replace(old, new, 1), "s.xml"))
    assert any(where in p and ".xml:" in p for p in problems), problems


def test_unknown_extension(tmp_path: Path) -> None:
    (msg,) = _problems(_write(tmp_path, GOOD, "s.txt"))
    assert ".csv or .xml" in msg


def test_to_scenario_and_registry(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    imported = FORMATS["ktab"].read([path])  # type: ignore[misc]
    s = imported.scenario
    assert [a.id for a in s.actors] == ["A", "B", "C"]
    assert [i.id for i in s.issues] == ["Tax", "Aid"]
    assert s.actors[1].power == 50
    assert s.actors[1].stances[0].position == 60
    assert s.actors[1].stances[0].salience == pytest.approx(0.8)
    assert any("veto" in w.message for w in imported.warnings)
    assert to_scenario(read_ktab(path)).scenario == s


@pytest.mark.skipif(not ANCHORS.exists(), reason="KTAB samples not found at ../shared/anchors")
@pytest.mark.parametrize("name", sorted(p.name for p in ANCHORS.glob("*.csv")))
def test_every_ktab_sample_reads_and_converts(name: str) -> None:
    k = read_ktab(ANCHORS / name)
    assert len(k.actors) == len(set(k.actors)) >= 3
    assert to_scenario(k).scenario.issues
