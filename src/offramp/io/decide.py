"""Decide data files: the input of Stokman's exchange model (``#A/#P/#M/#D`` rows).

The Decide exchange model (Stokman & Van Oosten 1994; Stokman, Van Assen,
Van der Knoop & Van Oosten 2000; implemented in the ``decide-exchange-model``
Python package by Jelmer Draaijer) reads a text file with one record per row.
The first field says what the row is:

======  ======================================  =======================================
row     fields after the code                   offramp
======  ======================================  =======================================
``#A``  actor id, full name, comment            actor: id, ``label``, ``description``
``#P``  issue id, label, description           issue: id, ``label``, ``description``
``#M``  issue id, position, meaning             an option at that position, labelled
                                                with its meaning
``#D``  actor, issue, position, salience,       a stance: numeric ``position``,
        power, comment                          ``salience``, ``power`` (per stance)
``#O``  text                                    scenario title (then description)
``#/``  text                                    a comment: ignored
======  ======================================  =======================================

Fields are separated by tabs, commas or semicolons (each row may use its own:
the separator is the character right after the row code), optionally quoted
with ``'`` or ``"``; surplus fields are joined into the last one with spaces,
as Decide does.

Interpretive choices:

* the ``#M`` positions of an issue set its scale: the smallest maps to 0 and
  the largest to 100, linearly, and every ``#D`` position is rescaled alike
  (Decide checks positions against the same interval). An issue without
  ``#M`` rows gets Decide's default scale, 0 to 100, with options at both ends;
* ``#D`` power becomes the stance's ``power``; the actor's ``power`` is the
  mean over its stances (the forecast models fall back to it);
* Decide has no veto and no BATNA: every actor with stances is imported with
  ``veto: true`` and ``batna: 0`` and a warning says so: edit them before
  reading the ZOPA;
* ``#D`` comments are not mapped (one warning counts them); ``as_of`` is
  today's date.

The writer emits the same rows (tab separated, text quoted with ``'`` as in
the Decide package's examples, which its reader's format sniffer needs):
``#M`` rows at each option's
``at`` with its label, ``#D`` positions as numbers on that scale, powers from
the stance or the actor. Explicit option ``values``, vetoes, BATNAs and
publics have no Decide counterpart and are not written.

References
----------
Stokman, F. N., & Van Oosten, R. (1994). The exchange of voting positions: an
object-oriented model of policy networks. In B. Bueno de Mesquita & F. N.
Stokman (Eds.), *European Community Decision Making* (pp. 105-127). Yale
University Press.

Stokman, F. N., Van Assen, M. A. L. M., Van der Knoop, J., & Van Oosten,
R. C. H. (2000). Strategic decision making. *Advances in Group Processes*,
17, 131-153. https://doi.org/10.1016/S0882-6145(00)17006-1
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offramp.errors import Diagnostic, InputError
from offramp.io import Format, Imported, register
from offramp.io._common import IdMaker, as_number, clean, read_text, slug, validate
from offramp.scenario.schema import Scenario

__all__ = ["FORMAT", "parse_rows", "read_decide", "write_decide"]

_FIELDS = {"#A": 3, "#P": 3, "#M": 3, "#D": 6, "#O": 1, "#/": 1}


@dataclass
class _Issue:
    name: str
    line: int
    label: str
    description: str
    marks: list[tuple[float, str, int]] = field(default_factory=list)


def parse_rows(text: str, file: str = "<string>") -> list[tuple[int, list[str]]]:
    """Split a Decide file into ``(line, [code, field, ...])`` rows.

    Examples
    --------
    >>> text = "'#A'\\t'EU'\\t'European Union'\\n\\n#M;trade;0;none\\n#P,trade,Trade\\n"
    >>> for row in parse_rows(text):
    ...     print(row)
    (1, ['#A', 'EU', 'European Union'])
    (3, ['#M', 'trade', '0', 'none'])
    (4, ['#P', 'trade', 'Trade'])
    """
    rows: list[tuple[int, list[str]]] = []
    problems: list[Diagnostic] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip("\r\n")
        if not line.strip():
            continue
        stripped = line.lstrip()
        quote = stripped[0] if stripped[0] in "'\"" else ""
        code = stripped[len(quote) : len(quote) + 2].upper()
        if code not in _FIELDS:
            problems.append(
                Diagnostic(
                    file,
                    number,
                    "",
                    "not a Decide row: rows start with #A (actor), #P (issue), #M (position "
                    f"meaning), #D (actor-issue data), #O or #/; got {stripped[:12]!r}",
                )
            )
            continue
        after = stripped[len(quote) * 2 + 2 :]
        delimiter = after[0] if after and after[0] in "\t;," else "\t"
        fields = next(csv.reader([stripped], delimiter=delimiter, quotechar=quote or '"'))
        fields = [f.strip() for f in fields]
        while len(fields) > 1 and not fields[-1]:
            fields.pop()
        fields[0] = code
        wanted = _FIELDS[code]
        if len(fields) - 1 > wanted:
            fields = [*fields[:wanted], " ".join(f for f in fields[wanted:] if f)]
        rows.append((number, fields))
    if problems:
        raise InputError(problems)
    return rows


def _get(fields: list[str], k: int) -> str:
    return fields[k] if k < len(fields) else ""


def read_decide(paths: Sequence[Path]) -> Imported:
    """Read one Decide data file into a scenario with spatial stances.

    Parameters
    ----------
    paths : sequence of Path
        Exactly one ``.csv``/``.txt`` Decide data file.

    Returns
    -------
    Imported
        The scenario and warnings for what was not mapped.

    Raises
    ------
    InputError
        Naming file and line of every malformed row.
    """
    if len(paths) != 1:
        raise InputError(
            [
                Diagnostic(
                    str(paths[1] if paths else "decide"), None, "", "give exactly one Decide file"
                )
            ]
        )
    path = paths[0]
    file = str(path)
    rows = parse_rows(read_text(path), file)
    problems: list[Diagnostic] = []
    warnings: list[Diagnostic] = []

    def bad(line: int, message: str) -> None:
        problems.append(Diagnostic(file, line, "", message))

    texts: list[str] = []
    actors: dict[str, tuple[int, str, str]] = {}
    issues: dict[str, _Issue] = {}
    data: list[tuple[int, list[str]]] = []
    for line, fields in rows:
        code = fields[0]
        if code == "#O" and _get(fields, 1):
            texts.append(_get(fields, 1))
        elif code == "#A":
            name = _get(fields, 1)
            if not name:
                bad(line, "#A row without an actor id (fields: #A, id, full name, comment)")
            elif name in actors:
                bad(line, f"actor `{name}` is defined twice (also line {actors[name][0]})")
            else:
                actors[name] = (line, _get(fields, 2) or name, _get(fields, 3))
        elif code == "#P":
            name = _get(fields, 1)
            if not name:
                bad(line, "#P row without an issue id (fields: #P, id, description)")
            elif name in issues:
                bad(line, f"issue `{name}` is defined twice (also line {issues[name].line})")
            else:
                label = _get(fields, 2) or name
                extra = _get(fields, 3)
                issues[name] = _Issue(name, line, label, "" if extra in (label, name) else extra)
        elif code in ("#M", "#D"):
            data.append((line, fields))
    actor_data: dict[str, list[tuple[int, str, float, float, float]]] = {a: [] for a in actors}
    comments: list[int] = []
    pending: list[tuple[int, str, str, float, float, float]] = []
    for line, fields in data:
        if fields[0] == "#M":
            name, position = _get(fields, 1), as_number(_get(fields, 2))
            if name not in issues:
                bad(line, f"#M row for undefined issue `{name}`; define it in a #P row")
            elif position is None:
                bad(line, f"#M position must be a number; got {_get(fields, 2)!r}")
            elif any(m[0] == position for m in issues[name].marks):
                bad(line, f"issue `{name}` already has a #M row at position {position:g}")
            else:
                issues[name].marks.append((position, _get(fields, 3), line))
            continue
        actor, name = _get(fields, 1), _get(fields, 2)
        numbers = [as_number(_get(fields, k)) for k in (3, 4, 5)]
        labels = ("position", "salience", "power")
        if actor not in actors:
            bad(line, f"#D row for undefined actor `{actor}`; define it in a #A row")
            continue
        if name not in issues:
            bad(line, f"#D row for undefined issue `{name}`; define it in a #P row")
            continue
        broken = [k for k, n in enumerate(numbers) if n is None]
        if broken:
            k = broken[0]
            bad(line, f"#D {labels[k]} must be a number; got {_get(fields, 3 + k)!r}")
            continue
        position, salience, power = (float(n or 0.0) for n in numbers)
        if salience < 0 or power < 0:
            bad(line, f"#D {'salience' if salience < 0 else 'power'} must be >= 0")
            continue
        if any(p[1] == actor and p[2] == name for p in pending):
            bad(line, f"a second #D row for actor `{actor}` on issue `{name}`")
            continue
        pending.append((line, actor, name, position, salience, power))
        if _get(fields, 6):
            comments.append(line)
    if comments:
        warnings.append(
            Diagnostic(file, comments[0], "", f"{len(comments)} #D comment(s) not mapped")
        )
    scales: dict[str, tuple[float, float]] = {}
    for issue in issues.values():
        if not issue.marks:
            warnings.append(
                Diagnostic(
                    file,
                    issue.line,
                    "",
                    f"issue `{issue.name}` has no #M rows: Decide's default scale 0-100 used",
                )
            )
            issue.marks = [(0.0, "", issue.line), (100.0, "", issue.line)]
        if len(issue.marks) < 2:
            bad(
                issue.marks[0][2],
                f"issue `{issue.name}` has one #M row; two or more set its scale (lowest and "
                "highest position)",
            )
            continue
        issue.marks.sort()
        scales[issue.name] = (issue.marks[0][0], issue.marks[-1][0])
    for line, actor, name, position, salience, power in pending:
        if name not in scales:
            continue
        lower, upper = scales[name]
        if not lower <= position <= upper:
            bad(
                line,
                f"position {position:g} is outside the scale of `{name}` set by its #M rows "
                f"({lower:g} to {upper:g})",
            )
            continue
        actor_data[actor].append((line, name, position, salience, power))
    if problems:
        raise InputError(problems)

    def rescale(name: str, x: float) -> float | int:
        lower, upper = scales[name]
        return clean(100.0 * (x - lower) / (upper - lower))

    issue_ids, issue_id = IdMaker(), {}
    issues_out = []
    for issue in issues.values():
        issue_id[issue.name] = issue_ids(issue.name, "issue")
        option_ids = IdMaker()
        options = [
            {
                "id": option_ids("p" + format(rescale(issue.name, x), "g").replace(".", "_"), "p"),
                "label": meaning or format(clean(x), "g"),
                "at": rescale(issue.name, x),
            }
            for x, meaning, _ in issue.marks
        ]
        entry: dict[str, Any] = {"id": issue_id[issue.name], "label": issue.label}
        if issue.description:
            entry["description"] = issue.description
        entry["options"] = options
        issues_out.append(entry)
    actor_ids = IdMaker()
    actors_out = []
    for name, (line, label, comment) in actors.items():
        stances = actor_data[name]
        entry = {"id": actor_ids(name, "actor"), "label": label}
        if comment:
            entry["description"] = comment
        powers = [s[4] for s in stances]
        entry["power"] = clean(sum(powers) / len(powers)) if powers else 0
        if stances and sum(s[3] for s in stances) <= 0:
            raise InputError(
                [
                    Diagnostic(
                        file,
                        stances[0][0],
                        "",
                        f"every salience of actor `{name}` is 0; offramp needs at least one "
                        "positive salience per actor (or drop its #D rows)",
                    )
                ]
            )
        if stances:
            entry["veto"] = True
            entry["batna"] = 0
        else:
            warnings.append(Diagnostic(file, line, "", f"actor `{name}` has no #D rows"))
        entry["stances"] = [
            {
                "issue": issue_id[issue],
                "position": rescale(issue, position),
                "salience": clean(salience),
                "power": clean(power),
            }
            for _, issue, position, salience, power in stances
        ]
        actors_out.append(entry)
    warnings.append(
        Diagnostic(
            file,
            None,
            "",
            "Decide data have no veto and no BATNA: every actor with stances is imported with "
            "veto: true and batna: 0; as_of is today; edit them before reading the ZOPA",
        )
    )
    scenario: dict[str, Any] = {
        "id": slug(path.stem, "decide"),
        "title": texts[0] if texts else path.stem,
        "as_of": dt.date.today(),
    }
    if len(texts) > 1:
        scenario["description"] = "\n".join(texts[1:])
    scenario["issues"] = issues_out
    scenario["actors"] = actors_out
    return Imported(validate(scenario, file), tuple(warnings))


def _cell(text: object) -> str:
    return " ".join(str(text).split())


def write_decide(scenario: Scenario, path: Path) -> list[Path]:
    """Write a scenario as a tab-separated Decide data file.

    Parameters
    ----------
    scenario : Scenario
    path : Path
        The file to write; ``.csv`` is added when it has no suffix.

    Returns
    -------
    list of Path
        The one file written.
    """
    if not path.suffix:
        path = path.with_suffix(".csv")
    rows: list[list[object]] = [["#O", scenario.title]]
    rows += [["#A", a.id, a.label, a.description or ""] for a in scenario.actors]
    for issue in scenario.issues:
        rows.append(["#P", issue.id, issue.label, issue.description or ""])
        rows += [["#M", issue.id, clean(o.at), o.label] for o in issue.options]
    for actor in scenario.actors:
        for stance in actor.stances:
            issue = scenario.issue(stance.issue)
            position = stance.position
            if isinstance(position, str):
                position = next(o.at for o in issue.options if o.id == position)
            power = actor.power if stance.power is None else stance.power
            rows.append(
                ["#D", actor.id, issue.id, clean(position), clean(stance.salience), clean(power)]
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(
            handle, delimiter="\t", quotechar="'", quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n"
        )
        writer.writerows([[f if isinstance(f, int | float) else _cell(f) for f in r] for r in rows])
    return [path]


FORMAT = register(
    Format(
        "decide",
        "Decide data file (#A/#P/#M/#D rows; tab, comma or semicolon separated), "
        "the input of Stokman's exchange model",
        read=read_decide,
        write=write_decide,
    )
)
"""The registered ``decide`` format."""
