"""Helpers shared by the format readers: ids, numbers, and validating what they built."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from offramp.errors import Diagnostic, InputError
from offramp.scenario.load import load_scenario_data
from offramp.scenario.schema import Scenario

__all__ = [
    "IdMaker",
    "as_number",
    "clean",
    "not_exported",
    "read_text",
    "slug",
    "validate",
]

_BAD = re.compile(r"[^A-Za-z0-9_\-]+")


def slug(text: str, fallback: str = "x") -> str:
    """A valid offramp id made from any text (letters, digits, ``_`` and ``-``).

    Examples
    --------
    >>> slug("Chips and Nuts"), slug("2 weeks"), slug("  "), slug("Ωmega")
    ('Chips_and_Nuts', '_2_weeks', 'x', 'mega')
    """
    out = _BAD.sub("_", text.strip()).strip("_")
    if not out:
        return fallback
    if not (out[0].isalpha() or out[0] == "_"):
        out = "_" + out
    return out[:64]


class IdMaker:
    """Unique ids within one namespace (an issue's options, the actors, ...).

    Examples
    --------
    >>> ids = IdMaker()
    >>> ids("a b"), ids("a_b"), ids("a-b")
    ('a_b', 'a_b_2', 'a-b')
    """

    def __init__(self) -> None:
        self._used: set[str] = set()

    def __call__(self, text: str, fallback: str = "x") -> str:
        base = slug(text, fallback)
        candidate, k = base, 1
        while candidate in self._used:
            k += 1
            candidate = f"{base[:60]}_{k}"
        self._used.add(candidate)
        return candidate


def as_number(text: object) -> float | None:
    """A finite number from a cell or attribute (``1,5`` is read as 1.5), else None.

    Examples
    --------
    >>> as_number("0.25"), as_number(" 3 "), as_number("1,5"), as_number("x"), as_number("nan")
    (0.25, 3.0, 1.5, None, None)
    """
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        value = float(text)
    elif isinstance(text, str):
        raw = text.strip()
        if raw.count(",") == 1 and "." not in raw:
            raw = raw.replace(",", ".")
        try:
            value = float(raw)
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def clean(value: float) -> float | int:
    """A number as written for people: integral floats as ints, others rounded to 12 digits.

    Examples
    --------
    >>> clean(100.0), clean(1 / 3), clean(0.1 + 0.2)
    (100, 0.333333333333, 0.3)
    """
    rounded = round(float(value), 12)
    return int(rounded) if rounded.is_integer() else rounded


def read_text(path: Path) -> str:
    """A text file's content (UTF-8, with or without BOM), or an :class:`InputError`."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as err:
        raise InputError([Diagnostic(str(path), None, "", "no such file; check the path")]) from err
    except UnicodeDecodeError as err:
        raise InputError(
            [Diagnostic(str(path), None, "", f"not UTF-8 text ({err.reason}); save it as UTF-8")]
        ) from err
    except OSError as err:
        raise InputError([Diagnostic(str(path), None, "", f"cannot read the file: {err}")]) from err


def validate(data: Mapping[str, Any], file: str) -> Scenario:
    """Validate a scenario a reader built; problems name the input file and the field path."""
    return load_scenario_data(dict(data), file)


def not_exported(scenario: Scenario) -> list[str]:
    """What no peer format can hold, present in this scenario (one sentence each).

    Genius, Decide and actor tables have additive utilities and nothing else:
    red lines (non-compensatory), ratification routes, legislatures and named
    packages are lost on export, so the exported file can show deals the
    scenario rules out.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> s = load_scenario(Path(__file__).parents[3] / "scenarios" / "ukraine-2024-09.yaml")
    >>> [w.split(":")[0] for w in not_exported(s)]
    ['red lines', 'ratification routes', 'legislatures', 'named packages']
    """
    out = []
    lines = [f"{a.id} on {s.issue}" for a in scenario.actors for s in a.stances if s.never]
    if lines:
        out.append(
            "red lines: the format cannot hold options an actor rejects whatever else it gets "
            f"({', '.join(lines)}); its utilities are compensatory, so packages crossing them "
            "may look acceptable there"
        )
    routes = [r.id for p in scenario.publics for r in p.routes]
    routes += [r.id for g in scenario.legislatures for r in g.routes]
    if routes:
        out.append(f"ratification routes: not written ({', '.join(routes)})")
    if scenario.legislatures:
        out.append(f"legislatures: not written ({', '.join(g.id for g in scenario.legislatures)})")
    if scenario.packages:
        out.append(f"named packages: not written ({', '.join(p.id for p in scenario.packages)})")
    return out
