"""Carrying a deal out: the order of its steps and the factions that may spoil it.

* :func:`sequences` (:mod:`offramp.implementation.sequencing`): which orders
  of the scenario's ``implementation.steps`` are self-enforcing, where the
  others break, and what monitoring or a guarantor would have to add
  (Fearon 1995 and Powell 2006, extended over the steps).
* :func:`spoilers` (:mod:`offramp.implementation.spoilers`): for each of the
  scenario's ``factions``, the probability that it wrecks the deal and the
  smallest change of the package that would bring it in (Stedman 1997).
"""

from __future__ import annotations

from offramp.implementation.sequencing import (
    EXACT_STEPS,
    Break,
    Need,
    OrderResult,
    Sequencing,
    sequence_package,
    sequences,
)
from offramp.implementation.spoilers import Inducement, Spoiler, Spoilers, spoilers

__all__ = [
    "EXACT_STEPS",
    "Break",
    "Inducement",
    "Need",
    "OrderResult",
    "Sequencing",
    "Spoiler",
    "Spoilers",
    "sequence_package",
    "sequences",
    "spoilers",
]
