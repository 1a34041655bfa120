"""docs/report-and-web.md's example runs and prints what the page shows.

The ``console`` block runs as docs/quick-tour.md's do (tests/test_quick_tour.py's
rules); the ``pycon`` block is a doctest, run from the repository's root.
"""

from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_quick_tour import matches, steps

PAGE = ROOT / "docs" / "report-and-web.md"


def test_the_report_command_prints_what_the_page_shows(tmp_path: Path) -> None:
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    bindir = str(Path(sys.executable).parent)
    if not (Path(bindir) / "offramp").exists():
        pytest.skip("no offramp script beside this Python (install the package)")
    env = {
        **os.environ,
        "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    found = steps(PAGE.read_text(encoding="utf-8"))
    assert [c.split()[:2] for c, _ in found] == [["offramp", "report"]]
    for command, shown in found:
        done = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert matches(shown, done.stdout.rstrip("\n").splitlines()), done.stdout
    report = tmp_path / "out" / "ukraine-2024-09" / "report.html"
    assert report.stat().st_size < 3_000_000
    assert "crosses a red line: Russia (3,240)" in report.read_text(encoding="utf-8")


def test_the_api_example_is_right(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    blocks = re.findall(r"```pycon\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 1
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    test = parser.get_doctest(blocks[0], {}, "report-and-web.md", str(PAGE), 0)
    assert len(test.examples) >= 10
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
