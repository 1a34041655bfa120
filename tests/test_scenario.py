"""Loading and validating scenario files: the catalogue of invalid inputs."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offramp.errors import Diagnostic, InputError
from offramp.scenario import Scenario, load_scenario, load_scenario_data, load_scenario_text
from tests.conftest import MINI, SCENARIOS


def problems_of(text: str) -> tuple[Diagnostic, ...]:
    with pytest.raises(InputError) as info:
        load_scenario_text(text, "s.yaml")
    return info.value.problems


def line_containing(text: str, needle: str) -> int:
    return next(k for k, line in enumerate(text.splitlines(), 1) if needle in line)


def test_minimal_scenario_loads() -> None:
    scenario = load_scenario_text(MINI)
    assert [a.id for a in scenario.actors] == ["ua", "ru"]
    assert scenario.actors[0].stances[1].position == 0.0
    assert scenario.publics[0].rules[1].when == {"land": ["cede"]}


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_scenarios_load(path: object) -> None:
    assert isinstance(load_scenario(str(path)), Scenario)


# (case id, text to replace, replacement, expected field path, message fragment, line marker)
CASES = [
    ("bad-yaml", "title: Mini", "title: [Mini", "", "not valid YAML", None),
    (
        "unknown-issue",
        "{issue: land, position: cede, salience: 1",
        "{issue: lnd, position: cede, salience: 1",
        "actors[1].stances[0].issue",
        "did you mean `land`",
        "issue: lnd",
    ),
    (
        "unknown-option",
        "position: keep",
        "position: kep",
        "actors[0].stances[0].position",
        "`kep` is not an option of `land`",
        "position: kep",
    ),
    (
        "unknown-source",
        "    source: src\n",
        "    source: srx\n",
        "actors[0].source",
        "unknown source `srx`",
        "source: srx",
    ),
    (
        "batna-range",
        "batna: 0.4",
        "batna: 1.4",
        "actors[0].batna",
        "must be at most 1",
        "batna: 1.4",
    ),
    (
        "negative-power",
        "power: 30",
        "power: -3",
        "actors[0].power",
        "must be at least 0",
        "power: -3",
    ),
    (
        "not-a-number",
        "salience: 1.0",
        "salience: lots",
        "actors[0].stances[0].salience",
        "must be a finite number",
        "salience: lots",
    ),
    (
        "position-range",
        "position: 0,",
        "position: 150,",
        "actors[0].stances[1].position",
        "from 0 to 100",
        "position: 150",
    ),
    (
        "duplicate-actor",
        "  - id: ru\n",
        "  - id: ua  # again\n",
        "actors[1].id",
        "duplicate actor id `ua`",
        "# again",
    ),
    (
        "duplicate-option",
        "{id: neutral, label: Neutral",
        "{id: member, label: Neutral",
        "issues[1].options[1].id",
        "duplicate option id `member`",
        "label: Neutral",
    ),
    (
        "unordered-options",
        "{id: cede, label: Cede, at: 100}",
        "{id: cede, label: Cede, at: 0}",
        "issues[0].options[1].at",
        "`at` must increase",
        "label: Cede",
    ),
    (
        "unknown-field",
        "threshold: 0.5",
        "threshold: 0.5\n    threshhold: 0.5",
        "publics[0].threshhold",
        "did you mean `threshold`",
        "threshhold",
    ),
    ("missing-field", "title: Mini\n", "", "title", "required field is missing", None),
    ("bad-date", "as_of: 2024-01-01", "as_of: someday", "as_of", "must be a date", "as_of"),
    (
        "values-incomplete",
        "{issue: land, position: keep, salience: 1.0,",
        "{issue: land, position: keep, values: {keep: 1}, salience: 1.0,",
        "actors[0].stances[0].values",
        "missing: `cede`",
        "values: {keep: 1}",
    ),
    ("unknown-public-actor", "of: ua", "of: uk", "publics[0].of", "unknown actor `uk`", "of: uk"),
    ("veto-without-batna", "    batna: 0.3\n", "", "actors[1].veto", "needs a `batna`", None),
    (
        "quote-without-source",
        '    source: src\n    quote: "q"',
        '    quote: "q"',
        "actors[0].quote",
        "needs a `source`",
        'quote: "q"',
    ),
    ("no-veto", "veto: true", "veto: false", "actors", "no actor has `veto: true`", "actors:"),
    (
        "no-baseline",
        "      - {when: {}, reject: 0.1, assumed: a}\n",
        "",
        "publics[0].rules",
        "no baseline rule",
        "rules:",
    ),
    (
        "rule-unknown-option",
        "{when: {land: [cede]}",
        "{when: {land: [cedex]}",
        "publics[0].rules[1].when.land[0]",
        "is not an option of `land`",
        "reject: 0.55",
    ),
    (
        "rule-unknown-issue",
        "{when: {land: [cede]}",
        "{when: {lands: [cede]}",
        "publics[0].rules[1].when.lands",
        "did you mean `land`",
        "reject: 0.55",
    ),
    (
        "conflicting-rules",
        "      - {when: {land: [cede]}, reject: 0.55, source: src, quote: q}\n",
        "      - {when: {land: [cede]}, reject: 0.55, source: src, quote: q}\n"
        "      - {when: {nato: [member]}, reject: 0.2, assumed: b}\n",
        "publics[0].rules[2]",
        "conflicts with rules[1]",
        "nato: [member]",
    ),
    ("duplicate-key", "label: Mini", "label: Mini", "", "", None),
    (
        "all-zero-salience",
        "{issue: land, position: cede, salience: 1,",
        "{issue: land, position: cede, salience: 0,",
        "actors[1].stances",
        "every salience is 0",
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "old", "new", "path", "fragment", "marker"), CASES, ids=[c[0] for c in CASES]
)
def test_invalid_files_are_reported(
    case: str, old: str, new: str, path: str, fragment: str, marker: str | None
) -> None:
    if case == "duplicate-key":
        text = MINI.replace("title: Mini", "title: Mini\ntitle: Again")
        found = problems_of(text)
        assert found[0].line == 3 and "duplicate" in found[0].message.lower()
        return
    assert old in MINI, case
    text = MINI.replace(old, new)
    found = problems_of(text)
    match = [p for p in found if p.path == path and fragment in p.message]
    assert match, f"expected {path}: ...{fragment}... in {[str(p) for p in found]}"
    if marker is not None:
        assert match[0].line == line_containing(text, marker)
    assert str(match[0]).startswith(f"s.yaml:{match[0].line}:")


def test_every_problem_is_listed_not_just_the_first() -> None:
    text = MINI.replace("batna: 0.4", "batna: 1.4").replace("power: 30", "power: -1")
    assert {p.path for p in problems_of(text)} == {"actors[0].batna", "actors[0].power"}


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text", "42"])
def test_documents_that_are_not_mappings(text: str) -> None:
    (problem,) = problems_of(text)
    assert "must be a mapping" in problem.message


def test_missing_file_is_an_input_error(tmp_path: object) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_scenario("/nonexistent/scenario.yaml")


def test_a_scenario_cannot_be_built_invalid_from_python() -> None:
    data = load_scenario_text(MINI).model_dump()
    data["publics"][0]["of"] = "nobody"
    with pytest.raises(ValueError, match="unknown actor"):
        Scenario.model_validate(data)


def test_schema_is_json_schema() -> None:
    schema = Scenario.model_json_schema()
    assert schema["type"] == "object"
    assert {"id", "issues", "actors"} <= set(schema["required"])
    json.dumps(schema)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["id", "issues", "actors", "when", "options", "x"])
            | st.text(max_size=5),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_data_gives_a_scenario_or_an_input_error(data: object) -> None:
    try:
        load_scenario_data(data)
    except InputError as error:
        assert error.problems


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.printable, max_size=200))
def test_any_text_gives_a_scenario_or_an_input_error(text: str) -> None:
    try:
        load_scenario_text(text)
    except InputError as error:
        assert error.problems


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(MINI) - 1), st.integers(0, 40), st.text(max_size=6))
def test_mutated_scenarios_never_crash(start: int, length: int, insert: str) -> None:
    text = MINI[:start] + insert + MINI[start + length :]
    try:
        load_scenario_text(text)
    except InputError as error:
        assert all(p.file == "<string>" for p in error.problems)
