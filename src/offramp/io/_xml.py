"""A tiny XML tree with line numbers (the standard library's ElementTree has none)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from offramp.errors import Diagnostic, InputError
from offramp.io._common import read_text

__all__ = ["Node", "parse"]


@dataclass
class Node:
    """One XML element: its tag, attributes, children and 1-based line."""

    tag: str
    attrib: dict[str, str]
    line: int
    children: list[Node] = field(default_factory=list)

    def all(self, tag: str) -> Iterator[Node]:
        """Every descendant with this tag, in document order (preorder)."""
        for child in self.children:
            if child.tag == tag:
                yield child
            yield from child.all(tag)

    def first(self, tag: str) -> Node | None:
        """The first descendant with this tag, or None."""
        return next(self.all(tag), None)

    def kids(self, tag: str) -> list[Node]:
        """The direct children with this tag."""
        return [child for child in self.children if child.tag == tag]


def parse(path: Path) -> Node:
    """Parse an XML file into :class:`Node` s; malformed XML is an :class:`InputError` at its line.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
    ...     _ = f.write("<a>\\n  <b x='1'/>\\n</a>\\n")
    >>> root = parse(Path(f.name)); os.unlink(f.name)
    >>> root.tag, [(n.tag, n.attrib, n.line) for n in root.all("b")]
    ('a', [('b', {'x': '1'}, 2)])
    """
    text = read_text(path)
    parser = expat.ParserCreate()
    stack: list[Node] = []
    roots: list[Node] = []

    def start(tag: str, attrib: dict[str, str]) -> None:
        node = Node(tag, dict(attrib), parser.CurrentLineNumber)
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(tag: str) -> None:
        stack.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(text, True)
    except expat.ExpatError as err:
        message = expat.ErrorString(err.code)
        raise InputError(
            [Diagnostic(str(path), err.lineno, "", f"not well-formed XML: {message}")]
        ) from err
    return roots[0]
