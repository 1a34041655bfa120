"""Load and validate scenario files, reporting every problem as FILE:LINE.

The YAML is parsed with ruamel.yaml, which keeps the line of every key and
list item; validation errors from the pydantic model and from the
whole-document checks carry a field path, which is mapped back to the line
where that field (or its nearest existing parent) is written.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from offramp.errors import Diagnostic, InputError
from offramp.scenario._found import Found
from offramp.scenario._partial import model_at, more_problems
from offramp.scenario.schema import Scenario

__all__ = ["content_hash", "line_of", "load_scenario", "load_scenario_data", "load_scenario_text"]

Loc = tuple[str | int, ...]


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def line_of(document: Any, loc: Loc) -> int | None:
    """1-based line of the deepest part of ``loc`` present in a ruamel document.

    Examples
    --------
    >>> doc = _yaml().load("a: 1\\nb:\\n  - {x: 2}\\n  - x: 3\\n")
    >>> line_of(doc, ("b", 1, "x")), line_of(doc, ("b", 1, "missing")), line_of(doc, ())
    (4, 4, 1)
    """
    node = document
    line: int | None = 1 if isinstance(node, CommentedMap | CommentedSeq) else None
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line


def _plain(node: Any) -> Any:
    """ruamel's round-trip containers as plain dicts and lists."""
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def _describe(error: Mapping[str, Any]) -> str:
    """A pydantic error as a sentence that says what is wrong and how to fix it."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    loc: Loc = tuple(error["loc"])
    got = f"; got {value!r}"
    if kind == "missing":
        return f"required field is missing; add `{loc[-1]}: ...`"
    if kind == "extra_forbidden":
        model = model_at(loc)
        fields = list(model.model_fields) if model else []
        close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
        hint = f"did you mean `{close[0]}`?" if close else "allowed: " + ", ".join(fields)
        return f"unknown field `{loc[-1]}`; {hint}"
    bounds = {
        "greater_than_equal": ("at least", "ge"),
        "less_than_equal": ("at most", "le"),
        "greater_than": ("more than", "gt"),
        "less_than": ("less than", "lt"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"must be {words} {ctx[key]:g}{got}"
    if kind in ("float_parsing", "float_type", "finite_number", "int_parsing", "int_type"):
        return f"must be a finite number{got}"
    if kind == "string_pattern_mismatch":
        return f"must be an id: a letter or _, then letters, digits, _ or -{got}"
    if kind in ("string_type", "string_too_short", "string_too_long"):
        return (
            f"must be a non-empty text of at most 64 characters for ids{got}"
            if "too" in kind
            else f"must be text{got}"
        )
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length', 1)} item(s)"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"must be a date like 2024-09-16{got}"
    if kind in ("bool_parsing", "bool_type"):
        return f"must be true or false{got}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping of `key: value` lines{got}"
    if kind == "list_type":
        return f"must be a list (`- item` lines or `[a, b]`){got}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return f"{error['msg']}{got}"


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_scenario_data(data: Any, file: str = "<data>", document: Any = None) -> Scenario:
    """Validate an already parsed scenario document.

    Parameters
    ----------
    data : mapping
        The document as plain Python data (as YAML or JSON would give).
    file : str
        Name to put in error messages.
    document : ruamel node, optional
        The parsed YAML, to find line numbers.

    Raises
    ------
    InputError
        Listing every problem found.
    """
    if not isinstance(data, Mapping):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise InputError(
            [
                Diagnostic(
                    file,
                    1,
                    "",
                    f"a scenario must be a mapping (`id: ...`, `issues: ...`); this is {kind}",
                )
            ]
        )
    cross: Found = []
    problems: list[Diagnostic] = []
    try:
        scenario = Scenario.model_validate(dict(data), context={"problems": cross})
    except ValidationError as err:
        for error in err.errors():
            # drop union members' tags (e.g. `[number]`): they are not part of the file's path
            loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("[")))
            problems.append(
                Diagnostic(file, line_of(document, loc), _dotted(loc), _describe(error))
            )
        # the whole-document checks, on a copy repaired just enough to run them
        for loc, msg in more_problems(dict(data), err):
            problems.append(Diagnostic(file, line_of(document, loc), _dotted(loc), msg))
        unique = list({str(p): p for p in problems}.values())
        unique.sort(key=lambda p: p.line if p.line is not None else 0)
        raise InputError(unique) from err
    if cross:
        problems = [
            Diagnostic(file, line_of(document, loc), _dotted(loc), msg) for loc, msg in cross
        ]
        raise InputError(problems)
    return scenario


def load_scenario_text(text: str, file: str = "<string>") -> Scenario:
    """Parse and validate scenario YAML given as text.

    Raises
    ------
    InputError
        For bad YAML (with the line of the parse error) or an invalid scenario.
    """
    try:
        document = _yaml().load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(str(x) for x in (err.context, err.problem) if x)
        raise InputError(
            [
                Diagnostic(
                    file, line, "", f"not valid YAML: {what}; check indentation, colons and quotes"
                )
            ]
        ) from err
    except YAMLError as err:
        raise InputError([Diagnostic(file, None, "", f"not valid YAML: {err}")]) from err
    except (ValueError, IndexError, TypeError, RecursionError) as err:
        # ruamel's scalar constructors raise plain Python errors on some odd scalars
        raise InputError(
            [
                Diagnostic(
                    file, None, "", f"not valid YAML: cannot read a value ({err}); check quoting"
                )
            ]
        ) from err
    return load_scenario_data(_plain(document), file, document)


def load_scenario(path: str | Path) -> Scenario:
    """Read, parse and validate a scenario file.

    Raises
    ------
    InputError
        If the file cannot be read or is not a valid scenario.
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise InputError([Diagnostic(name, None, "", "no such file; check the path")]) from err
    except (OSError, UnicodeDecodeError) as err:
        raise InputError([Diagnostic(name, None, "", f"cannot read the file: {err}")]) from err
    return load_scenario_text(text, name)


def content_hash(scenario: Scenario) -> str:
    """SHA-256 of the scenario's canonical JSON: identical for identical content."""
    return hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()
