"""The layout of the package: small modules, no import cycles, the layers enforced.

The layers themselves are import-linter contracts in ``pyproject.toml``
(``lint-imports``, run by ``make lint``); these tests keep the rest of
STYLE.md's layout rules.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

import offramp

PACKAGE = Path(offramp.__file__).parent
MAX_LINES = 600
MODULES = sorted(PACKAGE.rglob("*.py"))


def test_the_walk_found_the_modules() -> None:
    names = {p.relative_to(PACKAGE).as_posix() for p in MODULES}
    assert {
        "settle/space.py",
        "negotiate/protocol.py",
        "forecast/smp/pce.py",
        "web/app.py",
    } <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_module_has_more_than_600_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE)} has {lines} lines; split it by concern"


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_cycles_finds_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(edges) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    # Imports under `if TYPE_CHECKING:` only serve the type checker and never run.
    graph = grimp.build_graph("offramp", exclude_type_checking_imports=True)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert _cycles(edges) == []
