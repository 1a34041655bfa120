"""docs/quick-tour.md is a tested page: every command in it runs and prints what it shows.

Each ```console block holds ``$ command`` lines, each followed by the output the
page shows for it. The commands run in order, in one temporary directory that
holds the repository's ``scenarios/``, through bash with this Python's
``offramp`` first on PATH, stdout and stderr together (as a user sees them in
a pipe). The shown output is compared with the real one line by line (trailing
blank lines aside), except that a line ``...`` stands for any lines, ``<RUN>``
for a run id, ``<WHEN>`` for a date and time and ``<ANY>`` for any text within
a line.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PAGE = ROOT / "docs" / "quick-tour.md"
_PLACEHOLDERS = {
    "<RUN>": r"\d{8}-\d{6}-[0-9a-f]{6}",
    "<WHEN>": r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?",
    "<ANY>": r".*?",
}


def steps(text: str) -> list[tuple[str, list[str]]]:
    """The page's (command, shown output lines), in order."""
    found: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            else:
                found[-1][1].append(line)
    return found


def _pattern(line: str) -> re.Pattern[str]:
    parts = re.split("(" + "|".join(map(re.escape, _PLACEHOLDERS)) + ")", line)
    return re.compile(
        "".join(_PLACEHOLDERS[p] if p in _PLACEHOLDERS else re.escape(p) for p in parts) + "$"
    )


def matches(shown: list[str], actual: list[str]) -> bool:
    """Whether the actual lines fit the shown ones (``...`` lines match any lines)."""
    if not shown:
        return not actual
    if shown[0] == "...":
        return any(matches(shown[1:], actual[i:]) for i in range(len(actual) + 1))
    return (
        bool(actual)
        and bool(_pattern(shown[0]).match(actual[0]))
        and matches(shown[1:], actual[1:])
    )


def test_the_page_has_commands() -> None:
    commands = [command for command, _ in steps(PAGE.read_text(encoding="utf-8"))]
    assert len(commands) >= 10
    assert {c.split()[1] for c in commands if c.startswith("offramp ")} >= {
        "check",
        "analyze",
        "forecast",
        "negotiate",
        "sweep",
        "runs",
        "report",
    }


def test_matching_rules() -> None:
    assert matches(["a", "...", "c <ANY>"], ["a", "b", "b", "c d"])
    assert matches(["run <RUN> at <WHEN>"], ["run 20240101-000000-abcdef at 2024-01-01 10:00"])
    assert not matches(["a", "c"], ["a", "b", "c"])
    assert not matches(["a"], ["a", "b"])


def test_quick_tour(tmp_path: Path) -> None:
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    bindir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "COLUMNS": "80",
    }
    env.pop("TTY_COMPATIBLE", None)
    if not (Path(bindir) / "offramp").exists():
        pytest.skip("no offramp script beside this Python (install the package)")
    for command, shown in steps(PAGE.read_text(encoding="utf-8")):
        done = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
            check=False,
        )
        actual = done.stdout.rstrip("\n").splitlines()
        expected_status = 1 if any(line.endswith("problems found:") for line in shown) else 0
        assert done.returncode == expected_status, f"$ {command}\n{done.stdout}"
        assert matches(shown, actual), (
            f"$ {command}\n--- the page shows:\n"
            + "\n".join(shown)
            + "\n--- it printed:\n"
            + done.stdout
        )
