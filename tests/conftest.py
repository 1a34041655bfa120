"""Shared fixtures: paths and a small valid scenario to mutate."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
ARTICLE = ROOT.parent / "shared" / "seed" / "article.txt"

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
