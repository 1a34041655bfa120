"""Ratification rules: specificity, lookup and conflicts."""

from __future__ import annotations

import numpy as np

from offramp.scenario import Issue, Option, Public, Rule
from offramp.scenario.rules import compile_rules


def issue(name: str, *options: str) -> Issue:
    return Issue(
        id=name,
        label=name,
        options=[Option(id=o, label=o, at=10 * k) for k, o in enumerate(options)],
    )


ISSUES = [
    issue("land", "keep", "split", "cede"),
    issue("nato", "yes", "no"),
    issue("eu", "in", "out"),
]


def test_most_specific_rule_wins() -> None:
    public = Public(
        id="p",
        label="p",
        of="a",
        threshold=0.5,
        rules=[
            Rule(when={}, reject=0.1),
            Rule(when={"land": ["split", "cede"]}, reject=0.55),
            Rule(when={"land": ["split", "cede"], "nato": ["yes"], "eu": ["in"]}, reject=0.38),
        ],
    )
    table, conflicts = compile_rules(public, ISSUES)
    assert conflicts == []
    packages = np.array([[0, 0, 0], [1, 1, 0], [2, 0, 0], [2, 0, 1], [1, 0, 0]])
    assert table.lookup(packages).tolist() == [0.1, 0.55, 0.38, 0.55, 0.38]


def test_rules_only_look_at_their_issues() -> None:
    public = Public(id="p", label="p", of="a", threshold=0.5, rules=[Rule(when={}, reject=0.2)])
    table, _ = compile_rules(public, ISSUES)
    assert table.issues == ()
    assert table.lookup(np.zeros((3, 3), dtype=np.intp)).tolist() == [0.2, 0.2, 0.2]


def test_overlap_settled_by_a_more_specific_rule_is_no_conflict() -> None:
    rules = [
        Rule(when={}, reject=0.1),
        Rule(when={"land": ["cede"]}, reject=0.6),
        Rule(when={"nato": ["yes"]}, reject=0.2),
    ]
    public = Public(id="p", label="p", of="a", threshold=0.5, rules=rules)
    _, conflicts = compile_rules(public, ISSUES)
    assert [(c.first, c.second, c.example) for c in conflicts] == [
        (1, 2, {"land": "cede", "nato": "yes"})
    ]
    settled = Public(
        id="p",
        label="p",
        of="a",
        threshold=0.5,
        rules=[*rules, Rule(when={"land": ["cede"], "nato": ["yes"]}, reject=0.4)],
    )
    assert compile_rules(settled, ISSUES)[1] == []


def test_two_baselines_conflict() -> None:
    public = Public(
        id="p",
        label="p",
        of="a",
        threshold=0.5,
        rules=[Rule(when={}, reject=0.1), Rule(when={}, reject=0.2)],
    )
    (conflict,) = compile_rules(public, ISSUES)[1]
    assert (conflict.first, conflict.second) == (0, 1)
