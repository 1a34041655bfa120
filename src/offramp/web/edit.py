"""Edit a scenario's YAML in place, keeping its comments, layout and sources.

The workbench never rewrites a scenario from its data model: it applies a list
of edits (field path, new value) to the round-trip YAML document that
ruamel.yaml parsed, so everything the analyst wrote (comments, quotes, key
order, flow style) survives and only the edited scalars change. Line numbers
of the original text stay valid for error messages, because edits replace
scalars and add no lines before them.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.util import load_yaml_guess_indent

from offramp.errors import Diagnostic, InputError
from offramp.scenario.load import _plain, line_of, load_scenario_data, load_scenario_text
from offramp.scenario.schema import Scenario

__all__ = [
    "Edit",
    "apply_edits",
    "dump_document",
    "edited_document",
    "load_with_edits",
    "parse_document",
]

Scalar = float | int | str | bool | None
Value = Scalar | dict[str, Any]
"""An edit's new value: a scalar, or a distribution such as ``{"triangular": [0.3, 0.4, 0.6]}``."""


@dataclass(frozen=True)
class Edit:
    """Set the field at ``path`` (keys and list indices from the document root) to ``value``.

    A mapping value (a distribution) is written in flow style on the edited
    line, ``batna: {triangular: [0.3, 0.4, 0.6]}``, so no line moves.
    """

    path: tuple[str | int, ...]
    value: Value

    @property
    def dotted(self) -> str:
        """The path as ``actors[1].batna``."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        return out


def _node(value: Any) -> Any:
    """A value as a YAML node: mappings and lists in flow style (one line)."""
    if isinstance(value, dict):
        mapping = CommentedMap((k, _node(v)) for k, v in value.items())
        mapping.fa.set_flow_style()
        return mapping
    if isinstance(value, list):
        items = CommentedSeq(_node(v) for v in value)
        items.fa.set_flow_style()
        return items
    return value


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.width = 4096
    yaml.preserve_quotes = True
    return yaml


def parse_document(text: str, file: str) -> Any:
    """Parse scenario YAML into a round-trip document.

    Raises
    ------
    InputError
        With the same FILE:LINE message as :func:`offramp.scenario.load_scenario_text`.
    """
    try:
        return _yaml().load(text)
    except (YAMLError, ValueError, IndexError, TypeError, RecursionError):
        # the loader turns the same text into the CLI's FILE:LINE message
        load_scenario_text(text, file)
        raise  # pragma: no cover - load_scenario_text always raises on unparsable YAML


def apply_edits(document: Any, edits: Sequence[Edit], file: str, lines: Any = None) -> None:
    """Apply edits in place to a round-trip document (or to its plain-data copy).

    Every edit's path must lead through existing mappings and lists; its last
    step may name a new key of a mapping (which is then added) or an existing
    list item.

    Parameters
    ----------
    document : ruamel document, or plain dicts and lists
        Edited in place.
    edits : sequence of Edit
    file : str
        File name for error messages.
    lines : ruamel document, optional
        Where to look up line numbers for errors (default ``document``).

    Raises
    ------
    InputError
        Listing every edit that cannot be applied.

    Examples
    --------
    >>> doc = parse_document("a: 1  # keep me\\nb: [1, 2]\\n", "x.yaml")
    >>> apply_edits(doc, [Edit(("a",), 2), Edit(("b", 1), 5)], "x.yaml")
    >>> print(dump_document(doc), end="")
    a: 2  # keep me
    b: [1, 5]
    >>> apply_edits(doc, [Edit(("a",), {"uniform": [1, 3]})], "x.yaml")
    >>> print(dump_document(doc), end="")
    a: {uniform: [1, 3]} # keep me
    b: [1, 5]
    """
    problems = []
    for edit in edits:
        node = document
        ok = bool(edit.path)
        for depth, part in enumerate(edit.path):
            last = depth == len(edit.path) - 1
            if isinstance(node, dict) and isinstance(part, str):
                if last:
                    node[part] = _node(edit.value)
                elif part in node:
                    node = node[part]
                else:
                    ok = False
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                if last:
                    node[part] = _node(edit.value)
                else:
                    node = node[part]
            else:
                ok = False
            if not ok:
                break
        if not ok:
            problems.append(
                Diagnostic(
                    file,
                    line_of(document if lines is None else lines, edit.path),
                    edit.dotted,
                    "cannot edit: no such field in the scenario; a path goes through existing "
                    "fields and list items (e.g. actors[1].batna)",
                )
            )
    if problems:
        raise InputError(problems)


@lru_cache(maxsize=32)
def _parsed(text: str, file: str) -> tuple[Any, Any]:
    """The round-trip document and its plain data (cached: parsing is the slow part)."""
    document = parse_document(text, file)
    return document, _plain(document)


def load_with_edits(text: str, file: str, edits: Sequence[Edit] = ()) -> Scenario:
    """Parse scenario YAML, apply edits and validate.

    The parse is cached by text, and edits are applied to a copy of the
    document's plain data, so a new variant of the same text validates in a
    few milliseconds.

    Returns
    -------
    Scenario

    Raises
    ------
    InputError
        For unparsable YAML, edits that do not apply, or an invalid result,
        with FILE:LINE messages as the CLI gives them.
    """
    document, plain = _parsed(text, file)
    data = copy.deepcopy(plain)
    if edits:
        apply_edits(data, edits, file, lines=document)
    return load_scenario_data(data, file, document)


def edited_document(text: str, file: str, edits: Sequence[Edit] = ()) -> tuple[Scenario, Any]:
    """A fresh round-trip document with edits applied, validated (for saving).

    Returns
    -------
    (Scenario, document)
    """
    document = parse_document(text, file)
    apply_edits(document, edits, file)
    return load_scenario_data(_plain(document), file, document), document


def dump_document(document: Any, like: str | None = None) -> str:
    """The round-trip document as YAML text.

    Parameters
    ----------
    document : ruamel document
    like : str, optional
        The text it was parsed from: its indentation of mappings and of list
        items (``- ``) is kept (ruamel's default would re-indent every list).
    """
    yaml = _yaml()
    if like is not None:
        try:
            _, indent, offset = load_yaml_guess_indent(like)
        except YAMLError:  # pragma: no cover - the text parsed before
            indent, offset = None, None
        if indent is not None and offset is not None:
            yaml.indent(mapping=max(2, indent - offset), sequence=indent, offset=offset)
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()
