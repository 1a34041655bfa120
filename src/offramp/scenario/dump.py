"""Write scenarios as YAML, keeping an existing document's comments, quotes and order.

:func:`dump_scenario` writes a :class:`~offramp.scenario.schema.Scenario` as
a fresh YAML document in the house style (options, sources, stances and rules
as one-line mappings). :func:`update_document` applies a scenario to a
document already parsed with ruamel.yaml's round-trip loader: values that did
not change keep their exact spelling and quoting, comments stay where they
were, list items are matched by ``id`` (stances by ``issue``) so an edited
actor keeps its comments even when others move; only what changed is
rewritten. The web workbench saves variants with it, and ``offramp import
-o FILE`` uses it to re-import into a scenario an analyst has annotated.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Collection
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import ScalarString

from offramp.scenario.schema import Scenario

__all__ = ["dump_document", "dump_scenario", "load_document", "update_document"]

_FLOW = frozenset({"options", "sources", "stances", "rules", "values", "when"})
"""Keys whose items (or whose mapping) are written on one line when short."""
_MISSING: Any = object()


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.width = 4096  # never re-wrap an analyst's long quotes
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def load_document(text: str) -> Any:
    """Parse YAML for :func:`update_document`: comments, quotes and order kept."""
    yaml = _yaml()
    yaml.preserve_quotes = True
    return yaml.load(text)


def _key(item: Any) -> tuple[str, Any] | None:
    if isinstance(item, dict):
        for name in ("id", "issue"):
            if name in item:
                return (name, str(item[name]))
    return None


def _short(value: Any) -> bool:
    """Whether a mapping fits on one line of about 80 characters."""
    return len(", ".join(f"{k}: {v}" for k, v in value.items() if v is not None)) <= 76


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return isinstance(old, bool) and isinstance(new, bool) and old == new
    if isinstance(old, int | float) and isinstance(new, int | float):
        return float(old) == float(new)
    if isinstance(old, dt.date) and isinstance(new, dt.date):
        return old == new
    if isinstance(old, str) and isinstance(new, str):
        return str(old).strip() == new.strip()  # the schema strips text
    return False


def _equal(old: Any, new: Any) -> bool:
    """Whether a document node says the same as a plain value."""
    if isinstance(new, dict):
        return (
            isinstance(old, dict)
            and set(old) == {k for k, v in new.items() if v is not None}
            and all(_equal(old[k], new[k]) for k in old)
        )
    if isinstance(new, list):
        return (
            isinstance(old, list)
            and len(old) == len(new)
            and all(_equal(o, n) for o, n in zip(old, new, strict=True))
        )
    return _same(old, new)


def _scalar(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _merge(old: Any, full: Any, lean: Any, keep: Collection[str], flow: bool) -> Any:
    if isinstance(full, dict):
        target = old if isinstance(old, CommentedMap) else CommentedMap()
        if flow and target is not old and _short(full):
            target.fa.set_flow_style()
        for key in list(target):
            gone = key not in full or full[key] is None
            if not gone and isinstance(lean, dict) and key not in lean:
                gone = not _equal(target[key], full[key])  # back to the default: omit it
            if gone and key not in keep:
                del target[key]
        order = list(full)
        for key in order:
            value = full[key]
            sub = lean.get(key, _MISSING) if isinstance(lean, dict) else _MISSING
            if value is None:
                continue
            if key in target:
                merged = _merge(target[key], value, sub, keep, key in _FLOW)
                if merged is not target[key]:
                    target[key] = merged
            elif sub is not _MISSING:
                before = [k for k in target if k in order and order.index(k) < order.index(key)]
                position = list(target).index(before[-1]) + 1 if before else 0
                target.insert(position, key, _merge(None, value, sub, keep, key in _FLOW))
        return target
    if isinstance(full, list):
        items = list(old) if isinstance(old, CommentedSeq) else []
        old_keys = [_key(item) for item in items]
        new_keys = [_key(value) for value in full]
        by_key = (  # match by id (stances by issue) only when the keys identify items
            None not in old_keys + new_keys
            and len(set(old_keys)) == len(old_keys)
            and len(set(new_keys)) == len(new_keys)
        )
        keyed = dict(zip(old_keys, items, strict=True)) if by_key else {}
        merged_items = []
        for k, value in enumerate(full):
            sub = lean[k] if isinstance(lean, list) and k < len(lean) else _MISSING
            positional = items[k] if k < len(items) else None
            match = keyed.get(new_keys[k]) if by_key else positional
            merged_items.append(_merge(match, value, sub, keep, flow))
        seq = old if isinstance(old, CommentedSeq) else CommentedSeq()
        if [id(x) for x in seq] != [id(x) for x in merged_items]:
            del seq[:]
            seq.extend(merged_items)
        return seq
    if old is not None and _same(old, full):
        return old
    if isinstance(old, ScalarString) and isinstance(full, str):
        return type(old)(full)  # keep the quoting style
    return _scalar(full)


def update_document(document: Any, scenario: Scenario, keep: Collection[str] = ()) -> Any:
    """Make a round-trip YAML document say what ``scenario`` says, keeping its comments.

    Parameters
    ----------
    document : ruamel.yaml CommentedMap or None
        A document from :func:`load_document` (``None`` starts a new one).
        It is changed in place.
    scenario : Scenario
        What the document should say.
    keep : collection of str
        Keys kept where the document has them and the scenario does not
        (e.g. ``{"source", "quote", "assumed"}`` to keep an analyst's
        provenance when re-importing data); by default the document ends up
        saying exactly what the scenario says.

    Returns
    -------
    CommentedMap
        The updated document (the same object when one was given).

    Examples
    --------
    >>> from offramp.scenario import load_scenario_text
    >>> text = '''id: t  # the id
    ... title: "T"
    ... as_of: 2024-01-01
    ... issues:
    ...   - {id: i, label: I, options: [{id: a, label: A, at: 0}, {id: b, label: B, at: 100}]}
    ... actors:
    ...   - id: x
    ...     label: X
    ...     power: 1
    ...     veto: true
    ...     batna: 0.5   # checked in May
    ...     stances: [{issue: i, position: a, salience: 1}]
    ... '''
    >>> doc = load_document(text)
    >>> changed = load_scenario_text(text).model_copy(update={"title": "New"})
    >>> print(dump_document(update_document(doc, changed)), end="")
    id: t  # the id
    title: "New"
    as_of: 2024-01-01
    issues:
      - {id: i, label: I, options: [{id: a, label: A, at: 0}, {id: b, label: B, at: 100}]}
    actors:
      - id: x
        label: X
        power: 1
        veto: true
        batna: 0.5   # checked in May
        stances: [{issue: i, position: a, salience: 1}]
    """
    full = scenario.model_dump()
    lean = scenario.model_dump(exclude_defaults=True)
    return _merge(document, full, lean, frozenset(keep), False)


def dump_document(document: Any) -> str:
    """A round-trip YAML document as text (house indentation)."""
    stream = io.StringIO()
    _yaml().dump(document, stream)
    return stream.getvalue()


def dump_scenario(scenario: Scenario, header: str | None = None) -> str:
    """A scenario as a new YAML document, with an optional comment on top.

    Examples
    --------
    >>> from offramp.scenario import load_scenario_text
    >>> s = load_scenario_text('''
    ... id: t
    ... title: T
    ... as_of: 2024-01-01
    ... issues:
    ...   - {id: i, label: I, options: [{id: a, label: A, at: 0}, {id: b, label: B, at: 100}]}
    ... actors:
    ...   - {id: x, label: X, power: 1, veto: true, batna: 0.5,
    ...      stances: [{issue: i, position: 25.0, salience: 1}]}
    ... ''')
    >>> print(dump_scenario(s, header="made by hand"), end="")
    # made by hand
    id: t
    title: T
    as_of: 2024-01-01
    issues:
      - id: i
        label: I
        options:
          - {id: a, label: A, at: 0}
          - {id: b, label: B, at: 100}
    actors:
      - id: x
        label: X
        power: 1
        veto: true
        batna: 0.5
        stances:
          - {issue: i, position: 25, salience: 1}
    """
    document = update_document(None, scenario)
    if header:
        document.yaml_set_start_comment(header)
    return dump_document(document)
