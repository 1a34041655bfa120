"""Loading red lines, named packages, legislatures and ratification routes: valid and invalid."""

from __future__ import annotations

import pytest

from offramp.errors import Diagnostic, InputError
from offramp.scenario import load_scenario_text
from offramp.scenario.paths import PathError, resolve
from tests.conftest import MINI

CREDIBLE = MINI.replace(
    "      - {issue: land, position: cede, salience: 1, assumed: a}\n",
    "      - {issue: land, position: cede, salience: 1, assumed: a}\n"
    "      - {issue: nato, position: neutral, salience: 1, never: [member], never_p: 0.9,\n"
    "         assumed: a, red_line: {source: src, quote: q}}\n",
).replace(
    "      - {when: {land: [cede]}, reject: 0.55, source: src, quote: q}\n",
    """\
      - {when: {land: [cede]}, reject: 0.55, source: src, quote: q}
    routes:
      - id: referendum
        label: Referendum
        when: {land: [cede]}
        turnout: 0.6
        quorum: 0.5
        on_fail: renegotiate
        rounds: 2
        then: treaty
        assumed: a
legislatures:
  - id: rada
    label: Parliament
    of: ua
    needs: majority
    blocs:
      - id: ruling
        label: Ruling party
        seats: 240
        assumed: a
        rules:
          - {when: {}, reject: 0.2, assumed: a}
      - id: opposition
        label: Opposition
        seats: 210
        assumed: a
        rules:
          - {when: {}, reject: 0.5, assumed: a}
    routes:
      - {id: treaty, label: Treaty ratification, assumed: a}
      - {id: amendment, label: Amendment, when: {nato: [neutral]}, needs: two_thirds, assumed: a}
packages:
  - id: plan
    label: A plan
    date: 2024-06-01
    options: {land: cede, nato: neutral}
    source: src
    quote: q
""",
)


def problems_of(text: str) -> tuple[Diagnostic, ...]:
    with pytest.raises(InputError) as info:
        load_scenario_text(text, "s.yaml")
    return info.value.problems


def line_containing(text: str, needle: str) -> int:
    return next(k for k, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_new_sections_load() -> None:
    scenario = load_scenario_text(CREDIBLE)
    stance = scenario.actors[1].stances[1]
    assert stance.never == ["member"] and stance.never_p == 0.9
    assert scenario.packages[0].options == {"land": "cede", "nato": "neutral"}
    assert [r.id for r in scenario.publics[0].routes] == ["referendum"]
    assert scenario.legislatures[0].routes[1].needs == "two_thirds"
    assert sum(b.seats for b in scenario.legislatures[0].blocs) == 450
    assert resolve(scenario, "actors.ru.stances.nato.never_p").field == "never_p"


def test_never_p_path_needs_a_red_line() -> None:
    scenario = load_scenario_text(CREDIBLE)
    with pytest.raises(PathError, match="no red line"):
        resolve(scenario, "actors.ua.stances.land.never_p")


# (case id, text to replace, replacement, expected field path, message fragment, line marker)
CASES = [
    (
        "red-line-unknown-option",
        "never: [member]",
        "never: [membr]",
        "actors[1].stances[1].never[0]",
        "did you mean `member`",
        "never: [membr]",
    ),
    (
        "red-line-own-position",
        "never: [member]",
        "never: [neutral]",
        "actors[1].stances[1].never[0]",
        "own position",
        "never: [neutral]",
    ),
    (
        "red-line-everything",
        "position: neutral, salience: 1, never: [member]",
        "position: 50, salience: 1, never: [member, neutral]",
        "actors[1].stances[1].never",
        "every option of `nato` is ruled out",
        "never: [member, neutral]",
    ),
    (
        "red-line-twice",
        "never: [member]",
        "never: [member, member]",
        "actors[1].stances[1].never[1]",
        "listed twice",
        None,
    ),
    (
        "never-p-without-never",
        "{issue: land, position: cede, salience: 1, assumed: a}",
        "{issue: land, position: cede, salience: 1, never_p: 0.5, assumed: a}",
        "actors[1].stances[0].never_p",
        "has no `never`",
        "never_p: 0.5",
    ),
    (
        "never-p-range",
        "never_p: 0.9",
        "never_p: 1.9",
        "actors[1].stances[1].never_p",
        "at most 1",
        None,
    ),
    (
        "package-missing-issue",
        "options: {land: cede, nato: neutral}",
        "options: {land: cede}",
        "packages[0].options",
        "missing: `nato`",
        "options: {land: cede}",
    ),
    (
        "package-unknown-option",
        "options: {land: cede, nato: neutral}",
        "options: {land: cede, nato: neutrl}",
        "packages[0].options.nato",
        "did you mean `neutral`",
        None,
    ),
    (
        "package-unknown-issue",
        "options: {land: cede, nato: neutral}",
        "options: {land: cede, nato: neutral, eu: member}",
        "packages[0].options.eu",
        "unknown issue `eu`",
        None,
    ),
    (
        "route-unreachable",
        "needs: two_thirds, assumed: a}\n",
        "needs: two_thirds, assumed: a}\n"
        "      - {id: again, label: Again, when: {nato: [neutral], land: [keep]}, assumed: a}\n",
        "legislatures[0].routes[2].when",
        "routes[1] (`amendment`) comes first",
        "id: again",
    ),
    (
        "route-unknown-then",
        "then: treaty",
        "then: tready",
        "publics[0].routes[0].then",
        "did you mean `treaty`",
        "then: tready",
    ),
    (
        "route-then-without-renegotiate",
        "on_fail: renegotiate",
        "on_fail: end",
        "publics[0].routes[0].rounds",
        "only applies with `on_fail: renegotiate`",
        "rounds: 2",
    ),
    (
        "route-quorum-without-turnout",
        "        turnout: 0.6\n",
        "",
        "publics[0].routes[0].turnout",
        "a quorum needs the predicted `turnout`",
        None,
    ),
    (
        "route-needs-on-public",
        "quorum: 0.5\n",
        "quorum: 0.5\n        needs: majority\n",
        "publics[0].routes[0].needs",
        "for legislatures",
        "needs: majority",
    ),
    (
        "route-threshold-on-legislature",
        "needs: two_thirds, assumed: a}",
        "threshold: 0.5, assumed: a}",
        "legislatures[0].routes[1].threshold",
        "for a public's referendum",
        None,
    ),
    (
        "route-unknown-option",
        "when: {land: [cede]}\n        turnout",
        "when: {land: [ced]}\n        turnout",
        "publics[0].routes[0].when.land[0]",
        "did you mean `cede`",
        "when: {land: [ced]}",
    ),
    (
        "route-duplicate-id",
        "{id: treaty, label: Treaty ratification",
        "{id: referendum, label: Treaty ratification",
        "legislatures[0].routes[0].id",
        "duplicate route id `referendum`",
        None,
    ),
    (
        "legislature-unknown-actor",
        "    of: ua\n    needs: majority",
        "    of: uaa\n    needs: majority",
        "legislatures[0].of",
        "did you mean `ua`",
        "of: uaa",
    ),
    (
        "legislature-bad-needs",
        "needs: majority\n    blocs",
        "needs: most\n    blocs",
        "legislatures[0].needs",
        "majority",
        "needs: most",
    ),
    (
        "bloc-no-baseline",
        "{when: {}, reject: 0.5, assumed: a}",
        "{when: {land: [cede]}, reject: 0.5, assumed: a}",
        "legislatures[0].blocs[1].rules",
        "no baseline rule",
        None,
    ),
    (
        "legislature-id-clash",
        "  - id: rada",
        "  - id: pub",
        "legislatures[0].id",
        "also a public's id",
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "old", "new", "path", "fragment", "marker"), CASES, ids=[c[0] for c in CASES]
)
def test_invalid_files_are_reported(
    case: str, old: str, new: str, path: str, fragment: str, marker: str | None
) -> None:
    assert old in CREDIBLE, case
    text = CREDIBLE.replace(old, new, 1)
    found = problems_of(text)
    match = [p for p in found if p.path == path and fragment in p.message]
    assert match, f"expected {path}: ...{fragment}... in {[str(p) for p in found]}"
    if marker is not None:
        assert match[0].line == line_containing(text, marker)
    assert str(match[0]).startswith(f"s.yaml:{match[0].line}:")


def test_an_event_can_change_never_p() -> None:
    text = CREDIBLE + (
        "events:\n"
        "  - id: e\n    label: E\n    date: 2024-02-01\n    assumed: a\n    branches:\n"
        "      - {id: x, label: X, probability: 1,\n"
        "         changes: {actors.ru.stances.nato.never_p: 0.2}}\n"
    )
    assert load_scenario_text(text).events[0].branches[0].changes
    bad = text.replace("never_p: 0.2", "never_p: 2")
    (problem,) = problems_of(bad)
    assert problem.path == "events[0].branches[0].changes.actors.ru.stances.nato.never_p"


def test_exports_warn_that_peer_formats_cannot_hold_red_lines(tmp_path: object) -> None:
    from pathlib import Path

    from offramp.io._common import not_exported
    from tests.test_cli import run

    assert not_exported(load_scenario_text(MINI)) == []
    lost = not_exported(load_scenario_text(CREDIBLE))
    assert [w.split(":")[0] for w in lost] == [
        "red lines",
        "ratification routes",
        "legislatures",
        "named packages",
    ]
    assert "ru on nato" in lost[0]
    for fmt, out in (("genius", "g"), ("decide", "d.csv")):
        target = Path(str(tmp_path)) / out
        scenario = Path(str(tmp_path)) / "s.yaml"
        scenario.write_text(CREDIBLE, encoding="utf-8")
        done = run("export", fmt, str(scenario), "-o", str(target))
        assert done.returncode == 0, done.stderr
        assert "warning: red lines: the format cannot hold" in done.stderr
