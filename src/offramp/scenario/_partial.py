"""A second pass over a scenario that failed validation, so one run reports every problem.

Pydantic stops short of the whole-document checks (:mod:`offramp.scenario.checks`)
when any field is structurally wrong, so a bad ``batna`` would hide an unknown
issue id three lines below it. This module repairs a copy of the document
just enough for it to validate, then runs the whole-document checks on it:

- an unknown field is dropped;
- a number out of range is moved to the nearest allowed value;
- a wrong optional field is dropped (its default applies);
- anything else removes the smallest list item holding it (an actor, a stance,
  a rule), and problems that only name a removed item's id are not reported,
  since they follow from the first problem.

The repaired copy is never used for anything but finding more problems; the
loader still raises with every problem found.
"""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from offramp.scenario._found import Found

__all__ = ["model_at", "more_problems"]

Loc = tuple[str | int, ...]

_BOUNDS = {
    "greater_than_equal": ("ge", 0.0),
    "less_than_equal": ("le", 0.0),
    "greater_than": ("gt", 1e-9),
    "less_than": ("lt", -1e-9),
}


def model_at(loc: Loc) -> type[BaseModel] | None:
    """The pydantic model that holds the last key of ``loc`` (for field suggestions)."""
    from offramp.scenario.schema import Scenario

    model: Any = Scenario
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = field.annotation
        while typing.get_origin(model) in (list, dict, typing.Union, types.UnionType):
            args = [a for a in typing.get_args(model) if a is not type(None)]
            model = args[-1]
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _at(data: Any, loc: Loc) -> Any:
    """The container at ``loc`` in ``data``, or None if ``loc`` does not lead to one."""
    node = data
    for part in loc:
        in_list = isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node)
        in_dict = isinstance(part, str) and isinstance(node, dict) and part in node
        if not (in_list or in_dict):
            return None
        node = node[part]
    return node


def _inside(loc: Loc) -> float | None:
    """A value strictly inside the declared range of the uncertain number at ``loc``."""
    import math

    model = model_at(loc)
    field = model.model_fields.get(str(loc[-1])) if model is not None else None
    if field is None:
        return None
    metas = list(field.metadata)
    for arg in typing.get_args(field.annotation):  # Optional[Annotated[float, Uncertain]]
        metas.extend(getattr(arg, "__metadata__", ()))
    for meta in metas:
        low, high = getattr(meta, "low", None), getattr(meta, "high", None)
        if isinstance(low, float | int) and isinstance(high, float | int):
            return float(low + 1.0 if not math.isfinite(high) else (low + high) / 2)
    return None


def _optional(loc: Loc) -> bool:
    """Whether the field at ``loc`` has a default (so dropping it is a valid repair)."""
    model = model_at(loc)
    if model is None or not isinstance(loc[-1], str):
        return False
    field = model.model_fields.get(loc[-1])
    return field is not None and not field.is_required()


def _repair(
    data: dict[str, Any],
    errors: Sequence[Any],
    pruned: dict[Loc, set[int]],
    dropped: list[Loc],
) -> bool:
    """Repair ``data`` in place for these errors; record removed list items in ``pruned``
    and removed fields in ``dropped``.

    Returns False when some error cannot be repaired. Items are removed only in
    the first pass (while ``pruned`` is empty), so recorded indices are the
    original document's.
    """
    first = not pruned
    prune: dict[Loc, set[int]] = {}
    for error in errors:
        loc: Loc = tuple(error["loc"])
        kind, ctx = error["type"], error.get("ctx") or {}
        parent = _at(data, loc[:-1]) if loc else None
        key = loc[-1] if loc else None
        if isinstance(parent, dict) and isinstance(key, str) and key in parent:
            value = parent[key]
            if kind in _BOUNDS and isinstance(value, int | float) and not isinstance(value, bool):
                name, nudge = _BOUNDS[kind]
                parent[key] = float(ctx[name]) + nudge
                continue
            inside = _inside(loc) if kind == "value_error" else None
            if inside is not None:  # a number or a distribution out of range
                parent[key] = inside
                continue
            if kind == "extra_forbidden" or (kind != "missing" and _optional(loc)):
                del parent[key]
                if kind != "extra_forbidden":  # its default may make other checks fail
                    dropped.append(loc)
                continue
        where = [p for p, part in enumerate(loc) if isinstance(part, int)]
        if not where or not first:
            return False
        p = where[-1]
        prune.setdefault(loc[:p], set()).add(int(loc[p]))
    # deeper lists first, and each list from its end, so earlier indices stay valid
    for path in sorted(prune, key=len, reverse=True):
        items = _at(data, path)
        if not isinstance(items, list):
            return False
        for index in sorted(prune[path], reverse=True):
            if index < len(items):
                del items[index]
        pruned.setdefault(path, set()).update(prune[path])
    return True


def _original(loc: Loc, pruned: dict[Loc, set[int]], lengths: dict[Loc, int]) -> Loc:
    """Map a path in the repaired document back to the original's list indices."""
    out: list[str | int] = []
    for part in loc:
        key = tuple(out)
        if isinstance(part, int) and key in pruned:
            kept = [i for i in range(lengths[key]) if i not in pruned[key]]
            part = kept[part] if part < len(kept) else part
        out.append(part)
    return tuple(out)


def more_problems(data: dict[str, Any], error: ValidationError) -> Found:
    """The whole-document problems of a document that failed structural validation.

    Parameters
    ----------
    data : dict
        The document as plain data (not modified).
    error : ValidationError
        What structural validation found.

    Returns
    -------
    list of (path, message)
        Problems found on the repaired copy, with paths into the original;
        empty when the document cannot be repaired enough to check.

    Examples
    --------
    >>> from offramp.scenario.schema import Scenario
    >>> doc = {"id": "s", "title": "t", "as_of": "2024-01-01",
    ...        "issues": [{"id": "i", "label": "I", "options": [
    ...            {"id": "a", "label": "A", "at": 0}, {"id": "b", "label": "B", "at": 100}]}],
    ...        "actors": [{"id": "x", "label": "X", "power": -1, "veto": True, "batna": 0.5,
    ...                    "stances": [
    ...                        {"issue": "j", "position": "a", "salience": 1}]}]}
    >>> try:
    ...     Scenario.model_validate(doc, context={"problems": []})
    ... except ValidationError as err:
    ...     [(".".join(map(str, p)), m[:17]) for p, m in more_problems(doc, err)]
    [('actors.0.stances.0.issue', 'unknown issue `j`')]
    """
    from offramp.scenario.schema import Scenario

    work = copy.deepcopy(data)
    original = copy.deepcopy(data)
    pruned: dict[Loc, set[int]] = {}
    dropped: list[Loc] = []
    errors: Sequence[Any] = error.errors()
    for _ in range(4):
        if not _repair(work, errors, pruned, dropped):
            return []
        found: Found = []
        try:
            Scenario.model_validate(work, context={"problems": found})
        except ValidationError as again:
            errors = again.errors()
            continue
        lengths = {path: len(_at(original, path) or []) for path in pruned}
        ids = set()
        for path, indices in pruned.items():
            items = _at(original, path) or []
            for i in indices:
                if i < len(items) and isinstance(items[i], dict) and "id" in items[i]:
                    ids.add(str(items[i]["id"]))
        # a dropped field's item: problems naming it follow from the first problem
        for loc in dropped:
            where = [p for p, part in enumerate(loc) if isinstance(part, int)]
            item = _at(original, loc[: where[-1] + 1]) if where else None
            if isinstance(item, dict) and "id" in item:
                ids.add(str(item["id"]))
        out: Found = []
        for loc, message in found:
            at = _original(loc, pruned, lengths)
            if any(f"`{i}`" in message for i in ids) or (at, message) in out:
                continue
            if any(at[: len(d)] == d for d in dropped):
                continue
            out.append((at, message))
        return out
    return []
