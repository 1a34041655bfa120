"""Reading KTAB's scenario files (CSV and XML) into a :class:`KtabScenario`."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

import numpy as np
from numpy.typing import NDArray

from offramp.errors import Diagnostic, InputError
from offramp.forecast.smp import PARAMETERS

__all__ = ["KtabScenario"]


FloatArray = NDArray[np.float64]

_XML_PARAMS = {
    "VictoryProbModel": "victory_model",
    "PCEModel": "pce_model",
    "StateTransitions": "transitions",
    "VotingRule": "voting_rule",
    "BigRAdjust": "risk_adjust",
    "BigRRange": "risk_range",
    "ThirdPartyCommit": "third_party",
    "InterVecBrgn": "interpolation",
    "BargnModel": "bargain_model",
}


@dataclass(frozen=True)
class KtabScenario:
    """A KTAB SMP scenario as read from its file.

    Attributes
    ----------
    file : str
        The path as given.
    name, description : str
        KTAB's scenario name and description.
    actors, descriptions : tuple of str
        Actor names and descriptions, in file order.
    dimensions : tuple of str
        Dimension names.
    capability : ndarray, shape (n,)
        Capabilities (> 0).
    positions : ndarray, shape (n, m)
        Positions on 0--100.
    salience : ndarray, shape (n, m)
        Saliences in percent (0--100, at most 100 per actor), as in the file.
    lines : tuple of int
        The line on which each actor starts.
    accommodation : ndarray, shape (n, n), or None
        The XML ``IdealAdjustment`` matrix, if given.
    parameters : Mapping[str, str]
        XML ``ModelParameters`` under :func:`offramp.forecast.smp.smp`'s
        option names.
    seed : int or None
        XML ``prngSeed``.
    """

    file: str
    name: str
    description: str
    actors: tuple[str, ...]
    descriptions: tuple[str, ...]
    dimensions: tuple[str, ...]
    capability: FloatArray
    positions: FloatArray
    salience: FloatArray
    lines: tuple[int, ...]
    accommodation: FloatArray | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    seed: int | None = None


# ---------------------------------------------------------------------------
# CSV


def _number(
    text: str, file: str, line: int, where: str, problems: list[Diagnostic]
) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        problems.append(Diagnostic(file, line, where, f"must be a number; got {text.strip()!r}"))
        return None
    if not np.isfinite(value):
        problems.append(
            Diagnostic(file, line, where, f"must be a finite number; got {text.strip()!r}")
        )
        return None
    return value


def _read_csv(path: Path) -> KtabScenario:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError([Diagnostic(file, None, "", f"cannot read the file: {err}")]) from err
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(text.splitlines())
    for fields in reader:
        cells = [f.strip() for f in fields]
        while cells and cells[-1] == "":
            cells.pop()
        if cells:
            rows.append((reader.line_num, cells))
    problems: list[Diagnostic] = []
    if len(rows) < 2:
        raise InputError(
            [
                Diagnostic(
                    file,
                    1,
                    "",
                    "a KTAB CSV needs a first row `name,description,actors,dimensions`, "
                    "a header row and one row per actor",
                )
            ]
        )
    line0, head = rows[0]
    if len(head) < 4:
        raise InputError(
            [
                Diagnostic(
                    file,
                    line0,
                    "scenario",
                    "the first row must be `name,description,number of actors,number of "
                    f"dimensions`; got {len(head)} fields",
                )
            ]
        )
    counts: list[int] = []
    for text_, what in ((head[2], "number of actors"), (head[3], "number of dimensions")):
        try:
            counts.append(int(text_))
        except ValueError:
            problems.append(Diagnostic(file, line0, what, f"must be a whole number; got {text_!r}"))
    if problems:
        raise InputError(problems)
    n_act, n_dim = counts
    if n_dim < 1:
        raise InputError(
            [Diagnostic(file, line0, "number of dimensions", f"must be >= 1; got {n_dim}")]
        )
    if n_act < 2:
        raise InputError(
            [Diagnostic(file, line0, "number of actors", f"must be >= 2; got {n_act}")]
        )
    line1, header = rows[1]
    if len(header) < 3 + 2 * n_dim:
        raise InputError(
            [
                Diagnostic(
                    file,
                    line1,
                    "header",
                    f"expected {3 + 2 * n_dim} columns (Actor, Description, Power, then a "
                    f"position and a salience column for each of {n_dim} dimensions); "
                    f"got {len(header)}",
                )
            ]
        )
    dims = tuple(header[3 + 2 * k] for k in range(n_dim))
    body = rows[2:]
    if len(body) != n_act:
        where = body[n_act][0] if len(body) > n_act else (body[-1][0] if body else line1)
        raise InputError(
            [
                Diagnostic(
                    file,
                    where,
                    "actors",
                    f"the first row announces {n_act} actors but the file has {len(body)} actor "
                    "rows; fix the count or the rows",
                )
            ]
        )
    names: list[str] = []
    descs: list[str] = []
    lines: list[int] = []
    cap = np.zeros(n_act)
    pos = np.zeros((n_act, n_dim))
    sal = np.zeros((n_act, n_dim))
    for i, (line, cells) in enumerate(body):
        if len(cells) < 3 + 2 * n_dim:
            problems.append(
                Diagnostic(
                    file,
                    line,
                    f"actors[{i}]",
                    f"expected {3 + 2 * n_dim} fields (name, description, power, then position "
                    f"and salience for {n_dim} dimensions); got {len(cells)}",
                )
            )
            names.append(cells[0] if cells else "")
            descs.append("")
            lines.append(line)
            continue
        names.append(cells[0])
        descs.append(cells[1])
        lines.append(line)
        if not cells[0]:
            problems.append(Diagnostic(file, line, f"actors[{i}].name", "must not be empty"))
        c = _number(cells[2], file, line, f"actors[{i}].power", problems)
        if c is not None:
            cap[i] = c
        for k in range(n_dim):
            x = _number(cells[3 + 2 * k], file, line, f"actors[{i}].{dims[k]}", problems)
            s = _number(cells[4 + 2 * k], file, line, f"actors[{i}].{dims[k]} salience", problems)
            pos[i, k] = np.nan if x is None else x
            sal[i, k] = np.nan if s is None else s
    scen = KtabScenario(
        file=file,
        name=head[0],
        description=head[1],
        actors=tuple(names),
        descriptions=tuple(descs),
        dimensions=dims,
        capability=cap,
        positions=pos,
        salience=sal,
        lines=tuple(lines),
    )
    problems.extend(_check_values(scen))
    if problems:
        raise InputError(problems)
    return scen


def _check_values(k: KtabScenario) -> list[Diagnostic]:
    """Range checks and duplicates, shared by both formats."""
    problems: list[Diagnostic] = []
    f = k.file
    seen: dict[str, int] = {}
    for i, (name, line) in enumerate(zip(k.actors, k.lines, strict=True)):
        if name in seen and name:
            problems.append(
                Diagnostic(
                    f,
                    line,
                    f"actors[{i}]",
                    f"actor `{name}` is listed twice (line {seen[name]} and line {line}); "
                    "each actor must appear once: delete or rename one of the rows",
                )
            )
        else:
            seen.setdefault(name, line)
        if k.capability[i] <= 0:
            problems.append(
                Diagnostic(f, line, f"actors[{i}].power", f"must be > 0; got {k.capability[i]:g}")
            )
        for d, dim in enumerate(k.dimensions):
            x, s = k.positions[i, d], k.salience[i, d]
            if np.isfinite(x) and not 0 <= x <= 100:
                problems.append(
                    Diagnostic(
                        f, line, f"actors[{i}].{dim}", f"position must be on 0-100; got {x:g}"
                    )
                )
            if np.isfinite(s) and not 0 <= s <= 100:
                problems.append(
                    Diagnostic(
                        f, line, f"actors[{i}].{dim} salience", f"must be on 0-100; got {s:g}"
                    )
                )
        total = k.salience[i].sum()
        if np.isfinite(total) and (total > 100 + 1e-9 or total <= 0):
            problems.append(
                Diagnostic(
                    f,
                    line,
                    f"actors[{i}]",
                    f"saliences must sum to more than 0 and at most 100 (percent of attention); "
                    f"got {total:g}",
                )
            )
    return problems


# ---------------------------------------------------------------------------
# XML


@dataclass
class _Node:
    tag: str
    line: int
    text: str = ""
    children: list[_Node] = field(default_factory=list)

    def all(self, tag: str) -> list[_Node]:
        return [c for c in self.children if c.tag == tag]

    def first(self, tag: str) -> _Node | None:
        found = self.all(tag)
        return found[0] if found else None


def _parse_xml(path: Path) -> _Node:
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError([Diagnostic(file, None, "", f"cannot read the file: {err}")]) from err
    parser = expat.ParserCreate()
    stack: list[_Node] = [_Node("#document", 1)]

    def start(tag: str, _attrs: dict[str, str]) -> None:
        node = _Node(tag, parser.CurrentLineNumber)
        stack[-1].children.append(node)
        stack.append(node)

    def end(_tag: str) -> None:
        stack.pop()

    def chars(text: str) -> None:
        stack[-1].text += text

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as err:
        raise InputError(
            [
                Diagnostic(
                    file, err.lineno, "", f"not well-formed XML: {expat.errors.messages[err.code]}"
                )
            ]
        ) from err
    return stack[0]


def _read_xml(path: Path) -> KtabScenario:
    file = str(path)
    root = _parse_xml(path).first("Scenario")
    if root is None:
        raise InputError([Diagnostic(file, 1, "Scenario", "the root element must be <Scenario>")])
    problems: list[Diagnostic] = []

    def need(node: _Node, tag: str, where: str) -> _Node | None:
        child = node.first(tag)
        if child is None:
            problems.append(Diagnostic(file, node.line, where, f"missing <{tag}> element"))
        return child

    def num(node: _Node | None, where: str) -> float:
        if node is None:
            return float("nan")
        if not node.text.strip():
            problems.append(
                Diagnostic(file, node.line, where, f"<{node.tag}> is empty; give a number")
            )
            return float("nan")
        value = _number(node.text, file, node.line, where, problems)
        return float("nan") if value is None else value

    name_el = root.first("name")
    desc_el = root.first("desc")
    seed: int | None = None
    seed_el = root.first("prngSeed")
    if seed_el is not None and seed_el.text.strip():
        try:
            seed = int(seed_el.text.strip())
        except ValueError:
            problems.append(
                Diagnostic(
                    file,
                    seed_el.line,
                    "prngSeed",
                    f"must be a whole number; got {seed_el.text.strip()!r}",
                )
            )
    params: dict[str, str] = {}
    mp = root.first("ModelParameters")
    if mp is not None:
        for tag, option in _XML_PARAMS.items():
            el = need(mp, tag, f"ModelParameters.{tag}")
            if el is None:
                continue
            value = el.text.strip()
            if value not in PARAMETERS[option]:
                problems.append(
                    Diagnostic(
                        file,
                        el.line,
                        f"ModelParameters.{tag}",
                        f"must be one of {', '.join(PARAMETERS[option])}; got {value!r}",
                    )
                )
            params[option] = value
    dims_el = need(root, "Dimensions", "Dimensions")
    dims = tuple(d.text.strip() for d in dims_el.all("dName")) if dims_el is not None else ()
    if dims_el is not None and not dims:
        problems.append(Diagnostic(file, dims_el.line, "Dimensions", "needs at least one <dName>"))
    actors_el = need(root, "Actors", "Actors")
    actor_els = actors_el.all("Actor") if actors_el is not None else []
    if problems:
        raise InputError(problems)
    n, m = len(actor_els), len(dims)
    if n < 2:
        line = actors_el.line if actors_el is not None else root.line
        raise InputError([Diagnostic(file, line, "Actors", f"needs at least 2 <Actor>; got {n}")])
    cap = np.zeros(n)
    pos = np.zeros((n, m))
    sal = np.zeros((n, m))
    names: list[str] = []
    descs: list[str] = []
    lines: list[int] = []
    for i, a in enumerate(actor_els):
        name = need(a, "name", f"Actors[{i}]")
        desc = a.first("description")
        names.append(name.text.strip() if name is not None else "")
        descs.append(desc.text.strip() if desc is not None else "")
        lines.append(a.line)
        cap[i] = num(need(a, "capability", f"Actors[{i}]"), f"Actors[{i}].capability")
        for tag, coord, out in (("Position", "dCoord", pos), ("Salience", "dSal", sal)):
            el = need(a, tag, f"Actors[{i}]")
            if el is None:
                continue
            values = el.all(coord)
            if len(values) != m:
                problems.append(
                    Diagnostic(
                        file,
                        el.line,
                        f"Actors[{i}].{tag}",
                        f"needs one <{coord}> per dimension ({m}); got {len(values)}",
                    )
                )
                continue
            for d, v in enumerate(values):
                out[i, d] = num(v, f"Actors[{i}].{tag}[{d}]")
    acc: FloatArray | None = None
    ia = root.first("IdealAdjustment")
    if ia is not None:
        acc = np.eye(n)
        index = {nm: i for i, nm in reversed(list(enumerate(names)))}
        for p, pair in enumerate(ia.all("iaPair")):
            got: list[int] = []
            for tag in ("adjustingIdeal", "referencePos"):
                el = need(pair, tag, f"IdealAdjustment[{p}]")
                if el is None:
                    continue
                who = el.text.strip()
                if who not in index:
                    problems.append(
                        Diagnostic(
                            file, el.line, f"IdealAdjustment[{p}].{tag}", f"unknown actor `{who}`"
                        )
                    )
                    continue
                got.append(index[who])
            adjust = num(
                need(pair, "adjust", f"IdealAdjustment[{p}]"), f"IdealAdjustment[{p}].adjust"
            )
            if len(got) == 2 and np.isfinite(adjust):
                if not 0 <= adjust <= 1:
                    problems.append(
                        Diagnostic(
                            file,
                            pair.line,
                            f"IdealAdjustment[{p}].adjust",
                            f"must lie in [0, 1]; got {adjust:g}",
                        )
                    )
                acc[got[0], got[1]] = adjust
        for i in range(n):
            if acc[i].sum() > 1 + 1e-10:
                problems.append(
                    Diagnostic(
                        file,
                        ia.line,
                        "IdealAdjustment",
                        f"the adjustments of `{names[i]}` sum to {acc[i].sum():g}; "
                        "at most 1 allowed",
                    )
                )
    scen = KtabScenario(
        file=file,
        name=name_el.text.strip() if name_el is not None else "",
        description=desc_el.text.strip() if desc_el is not None else "",
        actors=tuple(names),
        descriptions=tuple(descs),
        dimensions=dims,
        capability=cap,
        positions=pos,
        salience=sal,
        lines=tuple(lines),
        accommodation=acc,
        parameters=params,
        seed=seed,
    )
    problems.extend(_check_values(scen))
    if problems:
        raise InputError(problems)
    return scen
