"""Actor tables (CSV, XLSX), the template, and the import/export command line."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from offramp.errors import InputError
from offramp.io.table import read_table, write_table, write_template
from offramp.scenario import load_scenario
from tests.conftest import ROOT

EVERY_ROW = ROOT / "tests" / "data" / "io" / "decide" / "every-row.csv"
CSV = """actor,issue,position,salience,capability,veto,batna,notes
Kyiv,territory,0,1,30,yes,0.4,a note
Kyiv,nato,10,0.5,30,,,
Moscow,territory,100,1,40,yes,0.3,
Moscow,nato,100,1,45,,,
Berlin,territory,60,0.2,10,no,,
"""


def _csv(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_maps_columns(tmp_path: Path) -> None:
    path = _csv(tmp_path, CSV)
    imported = read_table([path])
    s = imported.scenario
    assert [(i.id, [(o.id, o.at) for o in i.options]) for i in s.issues] == [
        ("territory", [("p0", 0), ("p60", 60), ("p100", 100)]),
        ("nato", [("p10", 10), ("p100", 100)]),
    ]
    kyiv, moscow, berlin = s.actors
    assert (kyiv.veto, kyiv.batna, kyiv.power) == (True, 0.4, 30)
    assert [(x.issue, x.position, x.salience, x.power) for x in kyiv.stances] == [
        ("territory", 0, 1, None),
        ("nato", 10, 0.5, None),
    ]
    # capability differs between Moscow's rows: per-stance power, actor mean
    assert moscow.power == 42.5 and [x.power for x in moscow.stances] == [40, 45]
    assert (berlin.veto, berlin.batna) == (False, None)
    assert str(imported.warnings[0]) == (
        f"{path}:1: column `notes` not mapped "
        "(known: actor, issue, position, salience, capability, veto, batna): ignored"
    )


def test_named_positions_and_no_veto(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "actor;issue;position;salience;capability\n"
        "a;land;keep;1;1\nb;land;cede;1;2\nc;land;keep;1;1\n",
    )
    imported = read_table([path])
    (land,) = imported.scenario.issues
    assert [(o.id, o.at) for o in land.options] == [("keep", 0), ("cede", 100)]
    assert all(a.veto and a.batna == 0 for a in imported.scenario.actors)
    text = "\n".join(str(w) for w in imported.warnings)
    assert f"{path}:2: issue `land`: named positions become options" in text
    assert "no actor has a veto: every actor is marked veto: true" in text
    assert f"{path}:2: veto actor `a` has no batna: 0 assumed" in text


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("actor,issue,position\n", 1, "the header row lacks column(s) `salience`, `capability`"),
        (
            "actor,issue,position,salience,capability\na,i,0,lots,1\n",
            2,
            "salience must be a number >= 0; got 'lots'",
        ),
        (
            "actor,issue,position,salience,capability\na,i,120,1,1\n",
            2,
            "position must be from 0 to 100 (or an option name); got 120",
        ),
        (
            "actor,issue,position,salience,capability,veto\na,i,0,1,1,maybe\n",
            2,
            "veto must be yes or no",
        ),
        (
            "actor,issue,position,salience,capability,batna\na,i,0,1,1,0.5\na,j,0,1,1,0.6\n",
            3,
            "batna of `a` is 0.6 here but 0.5 at",
        ),
        (
            "actor,issue,position,salience,capability\na,i,0,1,1\nb,i,keep,1,1\n",
            3,
            "issue `i` mixes numeric and named positions",
        ),
        (
            "actor,issue,position,salience,capability\na,i,0,1,1\na,i,5,1,1\n",
            3,
            "a second row for actor `a` on issue `i`",
        ),
    ],
)
def test_malformed_csv(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = _csv(tmp_path, text)
    with pytest.raises(InputError) as caught:
        read_table([path])
    problem = caught.value.problems[0]
    assert (problem.file, problem.line) == (str(path), line)
    assert message in problem.message


def test_xlsx_one_sheet_per_issue_and_cell_errors(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    book = openpyxl.Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "notes"
    notes.append(["# free text"])
    for issue, rows in {
        "territory": [["Kyiv", 0, 1, 30, "yes", 0.4], ["Moscow", 100, 1, 40, "yes", 0.3]],
        "nato": [["Kyiv", 0, 1, 30, None, None], ["Moscow", 100, 2, 40, None, None]],
    }.items():
        sheet = book.create_sheet(issue)
        sheet.append(["actor", "position", "salience", "capability", "veto", "batna"])
        for row in rows:
            sheet.append(row)
    book.save(path)
    s = read_table([path]).scenario
    assert [i.id for i in s.issues] == ["territory", "nato"]
    assert [(a.id, a.veto, a.batna, len(a.stances)) for a in s.actors] == [
        ("Kyiv", True, 0.4, 2),
        ("Moscow", True, 0.3, 2),
    ]
    book["nato"]["C3"] = "much"
    book.save(path)
    with pytest.raises(InputError) as caught:
        read_table([path])
    assert str(caught.value.problems[0]) == (
        f"{path}:nato!C3: salience must be a number >= 0; got 'much'"
    )
    broken = _csv(tmp_path, "not a zip", "b.xlsx")
    with pytest.raises(InputError, match=r"not a readable \.xlsx workbook"):
        read_table([broken])


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_template_imports_and_round_trips(tmp_path: Path, suffix: str) -> None:
    path = write_template(tmp_path / f"new{suffix}", issues=3, actors=5)
    s = read_table([path]).scenario
    assert len(s.issues) == 3 and len(s.actors) == 5
    assert [a.veto for a in s.actors] == [True, True, False, False, False]
    assert [o.at for o in s.issues[0].options] == [0, 25, 50, 75, 100]
    for out in ("again.xlsx", "again.csv"):
        (written,) = write_table(s, tmp_path / out)
        again = read_table([written]).scenario
        assert again.model_dump(exclude={"id", "title"}) == s.model_dump(exclude={"id", "title"})


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


def run(*args: str, cwd: Path) -> Done:
    """The CLI in-process (a subprocess per call would cost seconds of imports)."""
    from typer.testing import CliRunner

    from offramp.cli import app

    here = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, list(args), terminal_width=200)
    finally:
        os.chdir(here)
    assert not isinstance(result.exception, AssertionError | TypeError), result.exception
    return Done(result.exit_code, result.stdout, result.stderr)


def test_module_entry_point(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "offramp", "import", "decide", str(EVERY_ROW)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "warning: " in done.stderr and "id: every-row" in done.stdout


def test_cli_template_import_export(tmp_path: Path) -> None:
    done = run("template", "--issues", "3", "--actors", "5", "-o", "new.xlsx", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = run("import", "table", "new.xlsx", "-o", "scenario.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "warning: " in done.stderr and "as_of is today" in done.stderr
    scenario = load_scenario(tmp_path / "scenario.yaml")
    assert len(scenario.actors) == 5
    text = (tmp_path / "scenario.yaml").read_text()
    assert text.startswith("# Imported by `offramp import table new.xlsx`.")
    # an analyst annotates the file; a re-import keeps the comment and the provenance
    text = text.replace("  - id: actor_1\n", "  - id: actor_1  # checked with the desk\n", 1)
    text = text.replace(
        "    label: actor_1\n", "    label: actor_1\n    assumed: desk estimate\n", 1
    )
    (tmp_path / "scenario.yaml").write_text(text)
    done = run("import", "table", "new.xlsx", "-o", "scenario.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    kept = (tmp_path / "scenario.yaml").read_text()
    assert "  - id: actor_1  # checked with the desk\n" in kept
    assert load_scenario(tmp_path / "scenario.yaml").actor("actor_1").assumed == "desk estimate"
    for fmt in ("genius", "decide", "table"):
        done = run("export", fmt, "scenario.yaml", "-o", f"out-{fmt}", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("Wrote out-")
    assert (tmp_path / "out-decide.csv").exists() and (tmp_path / "out-table.xlsx").exists()
    assert (tmp_path / "out-genius" / "new-domain.xml").exists()


def test_cli_errors(tmp_path: Path) -> None:
    done = run("import", "ktab2", "x.csv", cwd=tmp_path)
    assert done.returncode == 1 and "no format `ktab2` to import; available: decide" in done.stderr
    (tmp_path / "bad.csv").write_text("#A\ta\n#Q\n")
    done = run("import", "decide", "bad.csv", cwd=tmp_path)
    assert done.returncode == 1
    assert "bad.csv:2: not a Decide row" in done.stderr and "Traceback" not in done.stderr
    done = run("template", "-o", "new.txt", cwd=tmp_path)
    assert done.returncode == 1 and "use a .xlsx or .csv file name" in done.stderr
    done = run(
        "import",
        "genius",
        str(ROOT / "tests/data/io/genius/ceasefire-domain.xml"),
        str(ROOT / "tests/data/io/genius/ceasefire-kyiv.xml"),
        cwd=tmp_path,
    )
    assert done.returncode == 0 and done.stdout.startswith("# Imported by `offramp import genius")


def test_missing_row_is_indifference_with_a_warning(tmp_path: Path) -> None:
    # Berlin has no `nato` row: no stance there (salience 0), and a warning, not an error
    path = _csv(tmp_path, CSV)
    imported = read_table([path])
    berlin = imported.scenario.actors[2]
    assert [x.issue for x in berlin.stances] == ["territory"]
    assert (
        f"{path}:6: actor `Berlin` has no row for issue `nato`: it is indifferent to it"
        " (no stance: salience 0); add a row to give it a stance"
    ) in [str(w) for w in imported.warnings]
    # in a workbook the warning names the sheet and cell of the actor's first row
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "territory"
    first.append(["actor", "position", "salience", "capability", "veto", "batna"])
    first.append(["Kyiv", 0, 1, 30, "yes", 0.4])
    first.append(["Moscow", 100, 1, 40, "yes", 0.3])
    nato = book.create_sheet("nato")
    nato.append(["actor", "position", "salience", "capability"])
    nato.append(["Kyiv", 0, 1, 30])
    xlsx = tmp_path / "t.xlsx"
    book.save(xlsx)
    warned = [str(w) for w in read_table([xlsx]).warnings]
    assert any(
        w.startswith(f"{xlsx}:territory!A3: actor `Moscow` has no row for issue `nato`")
        for w in warned
    ), warned
