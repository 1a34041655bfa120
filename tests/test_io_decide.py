"""Decide data files: every row type and separator, malformed rows, round trips."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offramp.errors import InputError
from offramp.io.decide import read_decide, write_decide
from tests.conftest import ROOT

EVERY_ROW = ROOT / "tests" / "data" / "io" / "decide" / "every-row.csv"
DECIDE = ROOT / "benchmarks" / ".env-decide" / "bin" / "python"


def test_every_row_type_and_separator() -> None:
    imported = read_decide([EVERY_ROW])
    s = imported.scenario
    assert s.title == "Toll ring: a made-up Decide file with every row type and separator"
    assert s.description == "(tab, comma and semicolon rows; quoted and unquoted fields)"
    assert [(a.id, a.label, a.description) for a in s.actors] == [
        ("city", "City council", "Test"),
        ("shops", "Shop owners, centre", None),
        ("green", "Green party", None),
    ]
    toll, price, hours = s.issues
    assert (toll.label, toll.description) == ("Should there be a toll?", "Issue 1")
    assert [(o.id, o.label, o.at) for o in toll.options] == [
        ("p0", "No, never", 0),
        ("p50", "Only with conditions", 50),
        ("p100", "Yes", 100),
    ]
    # the #M rows 0.5 and 7 set the price scale: 0.5 -> 0, 7 -> 100
    assert [(o.id, o.label, o.at) for o in price.options] == [
        ("p0", "euro", 0),
        ("p100", "euro", 100),
    ]
    assert [o.at for o in hours.options] == [0, 100]
    city, shops, green = s.actors
    assert [(x.issue, x.position, x.salience, x.power) for x in city.stances] == [
        ("toll", 100, 0.95, 1),
        ("price", pytest.approx(100 * 2.5 / 6.5), 0.7, 1),
        ("hours", 40, 0.5, 1),
    ]
    assert [x.position for x in green.stances] == [75, pytest.approx(100 * 4.5 / 6.5), 100]
    assert (city.power, shops.power, green.power) == (1, 0.75, pytest.approx(1.4 / 3))
    assert all(a.veto and a.batna == 0 for a in s.actors)
    messages = [str(w) for w in imported.warnings]
    assert (
        f"{EVERY_ROW}:14: issue `hours` has no #M rows: Decide's default scale 0-100 used"
        in messages
    )
    assert f"{EVERY_ROW}:17: 1 #D comment(s) not mapped" in messages
    assert any("no veto and no BATNA" in m for m in messages)


HEAD = "#A\ta\n#P\tp\n#M\tp\t0\n#M\tp\t10\n"


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        ("#A\ta\n#X\tb\n", 2, "not a Decide row: rows start with #A"),
        ("#A\ta\nactor,issue\n", 2, "not a Decide row"),
        ("#A\ta\n#A;a;again\n", 2, "actor `a` is defined twice (also line 1)"),
        (HEAD + "#D\tb\tp\t5\t1\t1\n", 5, "#D row for undefined actor `b`; define it in a #A row"),
        (HEAD + "#D\ta\tq\t5\t1\t1\n", 5, "#D row for undefined issue `q`"),
        (
            HEAD + "#D\ta\tp\t50\t1\t1\n",
            5,
            "position 50 is outside the scale of `p` set by its #M rows (0 to 10)",
        ),
        (HEAD + "#D,a,p,5,high,1\n", 5, "#D salience must be a number; got 'high'"),
        (HEAD + "#D;a;p;5;1;-1\n", 5, "#D power must be >= 0"),
        (HEAD + "#D;a;p;5;1;1\n#D\ta\tp\t6\t1\t1\n", 6, "a second #D row for actor `a`"),
        ("#A\ta\n#P\tp\n#M\tp\t0\n#D\ta\tp\t0\t1\t1\n", 3, "issue `p` has one #M row; two or more"),
        ("#A\ta\n#P\tp\n#M\tq\t0\n", 3, "#M row for undefined issue `q`"),
        ("#A\ta\n#P\tp\n#M\tp\tlow\n", 3, "#M position must be a number; got 'low'"),
        (HEAD + "#D\ta\tp\t0\t0\t1\n", 5, "every salience of actor `a` is 0"),
    ],
)
def test_malformed_rows(tmp_path: Path, rows: str, line: int, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(rows, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_decide([path])
    problem = caught.value.problems[0]
    assert (problem.file, problem.line) == (str(path), line)
    assert message in problem.message


@st.composite
def decide_files(draw: st.DrawFn) -> str:
    """A random Decide file: 1-3 issues, 2-4 actors, random separators and quoting per row."""
    lines = []

    def row(*fields: object) -> None:
        sep = draw(st.sampled_from(["\t", ",", ";"]))
        quote = draw(st.sampled_from(["", "'", '"']))
        lines.append(sep.join(f"{quote}{f}{quote}" for f in fields))

    actors = [f"actor{k}" for k in range(draw(st.integers(2, 4)))]
    for a in actors:
        row("#A", a, f"Actor {a}")
    issues = {}
    for i in range(draw(st.integers(1, 3))):
        name = f"issue-{i}"
        marks = sorted(draw(st.sets(st.integers(-50, 150), min_size=2, max_size=4)))
        issues[name] = marks
        row("#P", name, f"Issue {i}")
        for m in marks:
            row("#M", name, m, f"meaning {m}")
    for a in actors:
        for k, (name, marks) in enumerate(issues.items()):
            if k and not draw(st.booleans()):
                continue
            position = draw(st.integers(marks[0], marks[-1]))
            salience = draw(st.integers(1, 100)) / 100
            power = draw(st.integers(0, 100)) / 100
            row("#D", a, name, position, salience, power)
    return "\n".join(lines) + "\n"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=decide_files())
def test_generated_files_round_trip(text: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("d")
    source = folder / "gen.csv"
    source.write_text(text, encoding="utf-8")
    first = read_decide([source]).scenario
    # positions are rescaled linearly from the #M span to 0-100; salience and power kept
    rows = [line.replace("'", "").replace('"', "") for line in text.splitlines()]
    fields = [r.replace(";", "\t").replace(",", "\t").split("\t") for r in rows]
    marks: dict[str, list[float]] = {}
    for f in fields:
        if f[0] == "#M":
            marks.setdefault(f[1], []).append(float(f[2]))
    for f in fields:
        if f[0] == "#D":
            lo, hi = min(marks[f[2]]), max(marks[f[2]])
            stance = next(s for s in first.actor(f[1]).stances if s.issue == f[2])
            assert stance.position == pytest.approx(100 * (float(f[3]) - lo) / (hi - lo), abs=1e-9)
            assert (stance.salience, stance.power) == (float(f[4]), float(f[5]))
    (written,) = write_decide(first, folder / "out")
    assert written.suffix == ".csv"
    second = read_decide([written]).scenario
    assert second.model_dump(exclude={"id"}) == first.model_dump(exclude={"id"})


@pytest.mark.skipif(
    not DECIDE.exists(), reason="Decide test environment benchmarks/.env-decide absent"
)
def test_decide_reads_what_offramp_writes(tmp_path: Path) -> None:
    """The reference reader (decide-exchange-model, GPL; its own environment) on an export."""
    scenario = read_decide([EVERY_ROW]).scenario
    (path,) = write_decide(scenario, tmp_path / "export.csv")
    script = (
        "import sys, json\n"
        "from decide.data.reader import InputDataFile\n"
        "f = InputDataFile.open(sys.argv[1])\n"
        "print(json.dumps({'errors': len(f.errors),"
        " 'd': sorted([a.actor, a.issue, float(a.position), float(a.salience), float(a.power)]"
        " for a in f.actor_issues.values())}))\n"
    )
    done = subprocess.run(
        [str(DECIDE), "-c", script, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    assert theirs["errors"] == 0
    ours = sorted(
        [a.id, s.issue, s.position, s.salience, s.power] for a in scenario.actors for s in a.stances
    )
    assert len(theirs["d"]) == len(ours)
    for t, o in zip(theirs["d"], ours, strict=True):
        assert t[:2] == o[:2] and t[2:] == pytest.approx(o[2:], abs=1e-9)
