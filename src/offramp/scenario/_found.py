"""What the scenario checks report, and the helpers that word it.

A problem is ``(path, message)``: ``path`` is the tuple of keys and list
indices leading to the offending field, so the loader can point at its line
in the file.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from offramp.scenario.schema import Provenance

__all__ = ["Found", "Path", "duplicates", "hint", "provenance"]

Path = tuple[str | int, ...]
Found = list[tuple[Path, str]]


def hint(name: str, known: Iterable[str]) -> str:
    known = list(known)
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean `{close[0]}`?"
    shown = ", ".join(f"`{k}`" for k in known[:12]) + (", ..." if len(known) > 12 else "")
    return f"known: {shown}" if known else "none are defined"


def duplicates(items: Sequence[object], where: Path, what: str, found: Found) -> None:
    ids = [getattr(item, "id") for item in items]  # noqa: B009 - several model types
    counts = Counter(ids)
    for k, item_id in enumerate(ids):
        if counts[item_id] > 1 and ids.index(item_id) != k:
            first = ids.index(item_id)
            found.append(
                (
                    (*where, k, "id"),
                    f"duplicate {what} id `{item_id}` (also at {where[-1]}[{first}]); "
                    "ids must be unique: rename one",
                )
            )


def provenance(item: Provenance, path: Path, sources: set[str], found: Found) -> None:
    if item.source is not None and item.source not in sources:
        found.append(
            ((*path, "source"), f"unknown source `{item.source}`; {hint(item.source, sources)}")
        )
    if item.quote is not None and item.source is None:
        found.append(((*path, "quote"), "a quote needs a `source` it is quoted from; add one"))
