"""Genius XML: a negotiation domain and one utility space (preference profile) per party.

Genius is the negotiation platform of the Automated Negotiating Agents
Competition (Lin, Fujita, Ito, Jonker and Hindriks 2014); its XML files are
also read by NegMAS. A *domain* file lists the issues and their values; each
*utility-space* file gives one party's weights, per-value evaluations, a
reservation value and a discount factor.

Genius's formula (``genius.core.utility.AdditiveUtilitySpace.getUtility`` and
``EvaluatorDiscrete.getEvaluation``), which this module reproduces::

    U(bid) = min(1, sum_i w_i * e_i(x_i))
    e_i(x) = round(eval_i(x)) / round(max_x eval_i(x))   if round(max eval_i) > 1
    e_i(x) = eval_i(x)                                   otherwise

(``round`` is Java's ``Math.round``, half up; weights are used as written in
the file). Mapping, with every interpretive choice:

* each *discrete* issue becomes an issue whose options are its values in file
  order, placed evenly on the 0-100 scale (Genius values have no scale); ids
  are made from the value names, labels keep them;
* each utility-space file becomes a veto actor (Genius agreements need every
  party): ``values`` are the ``e_i`` above, ``salience`` the weight,
  ``position`` the best-valued option, ``batna`` the reservation value
  (0, with a warning, when absent), ``power`` 1 (Genius has no capability);
* offramp normalizes saliences, so its utilities equal Genius's exactly when
  the weights sum to 1 (and the sum does not exceed 1); otherwise a warning
  says by what factor they differ;
* not mapped, each with a warning naming the line: integer and real issues
  (skipped, with their weights), discount factors in (0, 1) (offramp has no
  time discount), item costs and descriptions; raw evaluations above 1 with
  ``round(max) <= 1`` (Genius would use them unnormalized) are divided by
  their maximum.

The writer does the reverse: evaluations are written as offramp's option
values (all in [0, 1], so Genius uses them as they are), weights as the
normalized saliences, the batna as reservation value, discount factor 1.
Publics (ratification) and option positions ``at`` have no Genius
counterpart and are not written.

References
----------
Lin, R., Kraus, S., Baarslag, T., Tykhonov, D., Hindriks, K., & Jonker, C. M.
(2014). Genius: An integrated environment for supporting the design of generic
automated negotiators. *Computational Intelligence*, 30(1), 48-70.
https://doi.org/10.1111/j.1467-8640.2012.00463.x
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from offramp.errors import Diagnostic, InputError
from offramp.io import Format, Imported, register
from offramp.io._common import IdMaker, as_number, clean, slug, validate
from offramp.io._xml import Node, parse
from offramp.scenario.schema import Scenario

__all__ = ["FORMAT", "genius_value", "read_genius", "write_genius"]

_SUFFIX = re.compile(r"[-_ ]?domain$", re.IGNORECASE)


def _java_round(x: float) -> int:
    """Java's ``Math.round``: half up."""
    return math.floor(x + 0.5)


def genius_value(evaluations: Sequence[float]) -> list[float]:
    """Genius's per-value evaluation ``e_i`` of a discrete issue from the file's numbers.

    Parameters
    ----------
    evaluations : sequence of float, each >= 0
        The ``evaluation`` attributes of the issue's items.

    Returns
    -------
    list of float
        What ``EvaluatorDiscrete.getEvaluation`` returns for each item.

    Examples
    --------
    >>> genius_value([1, 3, 5]), genius_value([0.2, 1.0]), genius_value([2.4, 4.6])
    ([0.2, 0.6, 1.0], [0.2, 1.0], [0.4, 1.0])
    """
    top = _java_round(max(evaluations))
    if top > 1:
        return [_java_round(e) / top for e in evaluations]
    return [float(e) for e in evaluations]


@dataclass(frozen=True)
class _Issue:
    index: int
    name: str
    line: int
    items: tuple[str, ...]
    description: str | None


def _fail(file: Path, line: int | None, message: str) -> InputError:
    return InputError([Diagnostic(str(file), line, "", message)])


def _domain(path: Path, warnings: list[Diagnostic]) -> tuple[str, list[_Issue]]:
    root = parse(path)
    objective = root if root.tag == "objective" else root.first("objective")
    if objective is None:
        raise _fail(
            path, root.line, f"no <objective> element under <{root.tag}>: not a Genius domain file"
        )
    issues: list[_Issue] = []
    seen: dict[int, int] = {}
    for node in objective.all("issue"):
        name = node.attrib.get("name", "").strip()
        index = as_number(node.attrib.get("index"))
        if not name or index is None or not index.is_integer():
            raise _fail(path, node.line, "an <issue> needs a `name` and an integer `index`")
        if int(index) in seen:
            raise _fail(
                path,
                node.line,
                f"issue index {int(index)} is used twice (also line {seen[int(index)]})",
            )
        seen[int(index)] = node.line
        kind = node.attrib.get("type") or node.attrib.get("etype") or "discrete"
        if kind != "discrete":
            warnings.append(
                Diagnostic(
                    str(path),
                    node.line,
                    "",
                    f"issue `{name}` is {kind}, not discrete: skipped (offramp issues have "
                    "discrete options; discretize it in Genius to import it)",
                )
            )
            continue
        values: list[str] = []
        for item in node.kids("item"):
            value = item.attrib.get("value")
            if value is None:
                raise _fail(path, item.line, f"an <item> of issue `{name}` has no `value`")
            if value in values:
                raise _fail(path, item.line, f"issue `{name}` lists the value `{value}` twice")
            values.append(value)
            if as_number(item.attrib.get("cost", "0")) not in (0.0, None):
                warnings.append(
                    Diagnostic(str(path), item.line, "", "item costs are not mapped: ignored")
                )
        if len(values) < 2:
            warnings.append(
                Diagnostic(
                    str(path),
                    node.line,
                    "",
                    f"issue `{name}` has {len(values)} value(s); offramp issues need at least 2: "
                    "skipped (its weight no longer counts)",
                )
            )
            continue
        description = (node.attrib.get("description") or "").strip() or None
        issues.append(_Issue(int(index), name, node.line, tuple(values), description))
    if not issues:
        raise _fail(path, objective.line, "the domain has no discrete issue with 2 or more values")
    title = objective.attrib.get("name", "").strip()
    stem = _SUFFIX.sub("", path.stem) or path.stem
    return (title if title and title.lower() != "root" else stem), issues


def _number(path: Path, node: Node, key: str, what: str) -> float:
    value = as_number(node.attrib.get(key))
    if value is None:
        raise _fail(
            path, node.line, f"{what}: `{key}` must be a number; got {node.attrib.get(key)!r}"
        )
    return value


def _profile(
    path: Path, issues: list[_Issue], warnings: list[Diagnostic]
) -> tuple[dict[int, tuple[float, list[float]]], float]:
    """Weights and Genius evaluations by issue index, and the reservation value."""
    root = parse(path)
    if root.tag != "utility_space":
        raise _fail(
            path,
            root.line,
            f"root element is <{root.tag}>; a Genius utility space is <utility_space>",
        )
    file = str(path)
    reservation = 0.0
    found = root.kids("reservation")
    if found:
        reservation = _number(path, found[0], "value", "<reservation>")
        if not 0.0 <= reservation <= 1.0:
            raise _fail(
                path,
                found[0].line,
                f"reservation value must be a utility in [0, 1]; got {reservation:g}",
            )
    else:
        warnings.append(Diagnostic(file, root.line, "", "no <reservation>: batna 0 assumed"))
    for node in root.kids("discount_factor"):
        delta = _number(path, node, "value", "<discount_factor>")
        if 0.0 < delta < 1.0:
            warnings.append(
                Diagnostic(
                    file,
                    node.line,
                    "",
                    f"discount factor {delta:g} not mapped: offramp has no time discount, "
                    "utilities are the undiscounted ones",
                )
            )
    weights: dict[int, tuple[float, int]] = {}
    for node in root.all("weight"):
        index = _number(path, node, "index", "<weight>")
        value = _number(path, node, "value", "<weight>")
        if value < 0:
            raise _fail(path, node.line, f"weights must be >= 0; got {value:g}")
        weights[int(index)] = (value, node.line)
    by_index = {int(as_number(n.attrib.get("index")) or -1): n for n in root.all("issue")}
    known = {issue.index for issue in issues}
    out: dict[int, tuple[float, list[float]]] = {}
    for issue in issues:
        found_node = by_index.get(issue.index)
        if found_node is None:
            raise _fail(
                path, root.line, f"no evaluations for issue `{issue.name}` (index {issue.index})"
            )
        node = found_node
        if node.attrib.get("name", issue.name) != issue.name:
            raise _fail(
                path,
                node.line,
                f"issue {issue.index} is `{node.attrib.get('name')}` here but `{issue.name}` in "
                "the domain; is this profile for another domain?",
            )
        if issue.index not in weights:
            raise _fail(path, node.line, f"issue `{issue.name}` has no <weight index=...>")
        evaluations: dict[str, float] = {}
        for item in node.kids("item"):
            name = item.attrib.get("value", "")
            if name not in issue.items:
                raise _fail(
                    path,
                    item.line,
                    f"`{name}` is not a value of issue `{issue.name}` in the domain",
                )
            number = _number(path, item, "evaluation", f"value `{name}`")
            if number < 0:
                raise _fail(path, item.line, f"evaluations must be >= 0; got {number:g}")
            evaluations[name] = number
            if item.attrib.get("description"):
                warnings.append(
                    Diagnostic(file, item.line, "", "item descriptions are not mapped: ignored")
                )
        missing = [v for v in issue.items if v not in evaluations]
        if missing:
            raise _fail(
                path,
                node.line,
                f"issue `{issue.name}`: no evaluation for " + ", ".join(f"`{m}`" for m in missing),
            )
        values = genius_value([evaluations[v] for v in issue.items])
        if max(values) > 1.0:
            warnings.append(
                Diagnostic(
                    file,
                    node.line,
                    "",
                    f"issue `{issue.name}`: evaluations up to {max(values):g} are used raw by "
                    "Genius (their rounded maximum is 1); divided by their maximum",
                )
            )
            values = [v / max(values) for v in values]
        out[issue.index] = (weights[issue.index][0], values)
    total = sum(weight for index, (weight, _) in weights.items() if index in known)
    if total <= 0:
        raise _fail(path, root.line, "every weight is 0: the party is indifferent to every bid")
    if abs(total - 1.0) > 1e-9:
        warnings.append(
            Diagnostic(
                file,
                root.line,
                "",
                f"weights of the imported issues sum to {total:g}, not 1: offramp normalizes "
                f"them, so its utilities are Genius's divided by {total:g}",
            )
        )
    return out, reservation


def read_genius(paths: Sequence[Path]) -> Imported:
    """Read a Genius domain file followed by one utility-space file per party.

    Parameters
    ----------
    paths : sequence of Path
        The domain file first, then at least one utility-space file.

    Returns
    -------
    Imported
        The scenario (one veto actor per utility space) and warnings for what
        was not mapped.

    Raises
    ------
    InputError
        For malformed XML or a profile that does not fit the domain, naming
        file and line.
    """
    if len(paths) < 2:
        where = str(paths[0]) if paths else "genius"
        raise InputError(
            [
                Diagnostic(
                    where,
                    None,
                    "",
                    "give the domain file first, then one utility-space file per party",
                )
            ]
        )
    warnings: list[Diagnostic] = []
    domain_path, profile_paths = paths[0], paths[1:]
    title, issues = _domain(domain_path, warnings)
    identifier = slug(_SUFFIX.sub("", domain_path.stem) or domain_path.stem, "genius")
    issue_ids, issues_out = IdMaker(), []
    option_ids: list[list[str]] = []
    for issue in issues:
        ids = IdMaker()
        options = [
            {
                "id": ids(value, "value"),
                "label": value,
                "at": clean(100 * k / (len(issue.items) - 1)),
            }
            for k, value in enumerate(issue.items)
        ]
        option_ids.append([str(o["id"]) for o in options])
        entry: dict[str, Any] = {"id": issue_ids(issue.name, "issue"), "label": issue.name}
        if issue.description:
            entry["description"] = issue.description
        entry["options"] = options
        issues_out.append(entry)
    actor_ids, actors = IdMaker(), []
    prefix = identifier + "-"
    for path in profile_paths:
        profile, reservation = _profile(path, issues, warnings)
        stem = path.stem[len(prefix) :] if path.stem.startswith(prefix) else path.stem
        stances = []
        for issue, entry, names in zip(issues, issues_out, option_ids, strict=True):
            weight, values = profile[issue.index]
            best = max(range(len(values)), key=lambda k: (values[k], -k))
            stances.append(
                {
                    "issue": entry["id"],
                    "position": names[best],
                    "salience": clean(weight),
                    "values": {o: clean(v) for o, v in zip(names, values, strict=True)},
                }
            )
        actor_id = actor_ids(stem, "party")
        actors.append(
            {
                "id": actor_id,
                "label": actor_id,
                "power": 1,
                "veto": True,
                "batna": clean(reservation),
                "stances": stances,
            }
        )
    warnings.append(
        Diagnostic(
            str(domain_path),
            None,
            "",
            "Genius has no capability: every actor gets power 1; as_of is today; edit them",
        )
    )
    data = {"id": identifier, "title": title, "as_of": dt.date.today(), "issues": issues_out}
    data["actors"] = actors
    return Imported(validate(data, str(domain_path)), tuple(warnings))


def _unique(labels: list[str], ids: list[str]) -> list[str]:
    """Labels when they are distinct and non-empty, else ids (Genius names must be unique)."""
    clean_labels = [label.strip() for label in labels]
    if all(clean_labels) and len(set(clean_labels)) == len(clean_labels):
        return clean_labels
    return ids


def option_values(scenario: Scenario) -> dict[tuple[str, str], tuple[float, list[float]]]:
    """Normalized weight and option values of every actor's stance, by (actor, issue) id."""
    out: dict[tuple[str, str], tuple[float, list[float]]] = {}
    for actor in scenario.actors:
        total = sum(s.salience for s in actor.stances)
        for stance in actor.stances:
            issue = scenario.issue(stance.issue)
            if stance.values is not None:
                values = [stance.values[o.id] for o in issue.options]
            else:
                position = stance.position
                if isinstance(position, str):
                    position = next(o.at for o in issue.options if o.id == position)
                values = [1.0 - abs(o.at - position) / 100.0 for o in issue.options]
            # saliences already summing to 1 (up to rounding) are kept as written, so that
            # import -> export -> import does not drift in the last digits
            weight = stance.salience if abs(total - 1.0) <= 1e-9 else stance.salience / total
            out[(actor.id, issue.id)] = (weight, values)
    return out


def write_genius(scenario: Scenario, path: Path) -> list[Path]:
    """Write a scenario as a Genius domain and one utility space per actor.

    Parameters
    ----------
    scenario : Scenario
    path : Path
        A directory (created if needed); the files are
        ``<id>-domain.xml`` and ``<id>-<actor id>.xml``.

    Returns
    -------
    list of Path
        The files written, domain first.
    """
    path.mkdir(parents=True, exist_ok=True)
    names = _unique([i.label for i in scenario.issues], [i.id for i in scenario.issues])
    items = [
        _unique([o.label for o in issue.options], [o.id for o in issue.options])
        for issue in scenario.issues
    ]
    title = quoteattr(scenario.title)

    def issue_xml(k: int, body: list[str], item_attr: list[str] | None) -> list[str]:
        issue = scenario.issues[k]
        lines = [
            f'    <issue index="{k + 1}" name={quoteattr(names[k])} etype="discrete" '
            f'type="discrete" vtype="discrete"'
            + (f" description={quoteattr(issue.description)}" if issue.description else "")
            + ">"
        ]
        for j, value in enumerate(items[k]):
            extra = f' evaluation="{item_attr[j]}"' if item_attr is not None else ""
            lines.append(f'      <item index="{j + 1}" value={quoteattr(value)}{extra}/>')
        lines.append("    </issue>")
        return body + lines

    domain = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<negotiation_template>",
        f'  <utility_space number_of_issues="{len(scenario.issues)}">',
        f'   <objective index="0" name={title} type="objective" etype="objective">',
    ]
    for k in range(len(scenario.issues)):
        domain = issue_xml(k, domain, None)
    domain += ["   </objective>", "  </utility_space>", "</negotiation_template>", ""]
    written = [path / f"{scenario.id}-domain.xml"]
    written[0].write_text("\n".join(domain), encoding="utf-8")
    table = option_values(scenario)
    for actor in scenario.actors:
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            "<utility_space>",
            f'  <objective index="0" name={title} type="objective" etype="objective">',
        ]
        weights = []
        for k, issue in enumerate(scenario.issues):
            weight, values = table.get((actor.id, issue.id), (0.0, [0.0] * len(issue.options)))
            lines = issue_xml(k, lines, [repr(clean(v)) for v in values])
            weights.append(f'    <weight index="{k + 1}" value="{clean(weight)!r}"/>')
        lines += weights
        batna = 0.0 if actor.batna is None else actor.batna
        lines += [
            "  </objective>",
            '  <discount_factor value="1.0"/>',
            f'  <reservation value="{clean(batna)!r}"/>',
            "</utility_space>",
            "",
        ]
        target = path / f"{scenario.id}-{actor.id}.xml"
        target.write_text("\n".join(lines), encoding="utf-8")
        written.append(target)
    return written


FORMAT = register(
    Format(
        "genius",
        "Genius XML: a domain file, then one utility-space file per party (also read by NegMAS)",
        read=read_genius,
        write=write_genius,
    )
)
"""The registered ``genius`` format."""
