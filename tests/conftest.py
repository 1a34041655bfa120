"""Shared fixtures: paths and a small valid scenario to mutate."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
ARTICLE = ROOT.parent / "shared" / "seed" / "article.txt"


def ratifiable_ukraine(text: str | None = None) -> str:
    """The Ukraine scenario's text with a public that might pass a freeze, and no Rada.

    With the shipped numbers, 55% of Ukrainians reject any territorial
    concession (threshold 0.45-0.55) and Moscow's red lines rule out the NATO
    membership that would bring that down to 38%, so no package is ratified
    however the batnas move; nor would the Rada pass neutrality (300 of 450
    votes). Tests of machinery that needs a settlement (a Nash package, a
    durability chart, a verdict that changes) use this variant: the public's
    threshold is 0.5-0.7 (point 0.6), so a freeze (55% rejection) can pass,
    and the `legislatures` section is left out (line numbers before it are kept).
    """
    text = (
        (SCENARIOS / "ukraine-2024-09.yaml").read_text(encoding="utf-8") if text is None else text
    )
    old = "threshold: {triangular: [0.45, 0.5, 0.55]}"
    assert old in text
    start, end = text.index("\nlegislatures:\n"), text.index("\npackages:\n")
    return (text[:start] + text[end:]).replace(old, "threshold: {triangular: [0.5, 0.6, 0.7]}")


MINI = """\
id: mini
title: Mini
as_of: 2024-01-01
sources:
  - {id: src, title: A source}
issues:
  - id: land
    label: Land
    options:
      - {id: keep, label: Keep, at: 0}
      - {id: cede, label: Cede, at: 100}
  - id: nato
    label: NATO
    options:
      - {id: member, label: Member, at: 0}
      - {id: neutral, label: Neutral, at: 100}
actors:
  - id: ua
    label: Ukraine
    power: 30
    veto: true
    batna: 0.4
    source: src
    quote: "q"
    stances:
      - {issue: land, position: keep, salience: 1.0, assumed: a}
      - {issue: nato, position: 0, salience: 0.5, assumed: a}
  - id: ru
    label: Russia
    power: 40
    veto: true
    batna: 0.3
    assumed: a
    stances:
      - {issue: land, position: cede, salience: 1, assumed: a}
publics:
  - id: pub
    label: Public
    of: ua
    threshold: 0.5
    rules:
      - {when: {}, reject: 0.1, assumed: a}
      - {when: {land: [cede]}, reject: 0.55, source: src, quote: q}
"""


@pytest.fixture
def mini_text() -> str:
    return MINI
