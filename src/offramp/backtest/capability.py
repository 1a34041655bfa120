"""Capability of the DEU III actors: Council votes by treaty regime, GDP, or equal.

DEU III records no capability; a backtest needs one.  The ``council`` rule
(the convention of the data's README, every figure a published fact):

* proposal introduced in 2003 or before: the Council's weighted votes before
  the Treaty of Nice (Art. 205(2) TEC as amended by the 1994 Act of
  Accession): de, fr, it, uk 10; es 8; be, el, nl, pt 5; at, se 4;
  dk, ie, fi 3; lu 2 (:data:`PRE_NICE`);
* 2004-2013: the Nice weights (Protocol on the enlargement, Art. 3, with the
  2003 and 2005 Acts of Accession and Croatia's 2011 Act): de, fr, it, uk 29;
  es, pl 27; ro 14; nl 13; be, cz, el, hu, pt 12; at, bu, se 10; dk, ie, lt,
  sk, fi, cr 7; ee, lv, si, cy, lu 4; mt 3 (:data:`NICE`);
* 2014 on: the Lisbon double majority, in which a state weighs by its
  population (Art. 16(4) TEU, Art. 238(3) TFEU): each state's share of the
  Union's population in the Council's Rules of Procedure, Annex III, for 2016
  (Council Decision (EU, Euratom) 2015/2393 of 8 December 2015, OJ L 332,
  18.12.2015, p. 133), as reported by Agence Europe on 9 December 2015
  (:data:`POPULATION_2016`).  The same year's figures serve every proposal
  from 2014 on: the dev file's post-2014 proposals are from 2015-2017, and
  the shares move by a few hundredths of a point a year, far below what a
  0-100 forecast can resolve.

The Commission and the Parliament each get the largest member's capability,
and everything is rescaled so that the largest is 100.  A state that was not
a member under a regime gets 0 (it has no vote; DEU III leaves its position
blank anyway).

The ``gdp`` rule uses each actor's GDP from the file's second row (the
replication's convention, Commission and Parliament included as given) and
``equal`` gives every actor 100.

References
----------
.. [1] Council Decision (EU, Euratom) 2015/2393 of 8 December 2015 amending
   the Council's Rules of Procedure, OJ L 332, 18.12.2015, p. 133.
.. [2] Agence Europe, "Population figures of 28 updated for 2016", Brussels,
   9 December 2015, https://agenceurope.eu/en/bulletin/article/11449/28/
.. [3] Arregui, J., Stokman, F. N. & Thomson, R. (2004). Bargaining in the
   European Union and shifts in actors' policy positions. European Union
   Politics 5(1), 47-72 (the DEU literature's Shapley-Shubik convention,
   not used here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "NICE",
    "POPULATION_2016",
    "POPULATION_SOURCE",
    "PRE_NICE",
    "RULES",
    "CapabilityRule",
    "capability",
    "regime",
]

CapabilityRule = Literal["council", "gdp", "equal"]
RULES: tuple[CapabilityRule, ...] = ("council", "gdp", "equal")

PRE_NICE: Mapping[str, float] = MappingProxyType(
    {"de": 10, "fr": 10, "it": 10, "uk": 10, "es": 8, "be": 5, "el": 5, "nl": 5, "pt": 5,
     "at": 4, "se": 4, "dk": 3, "ie": 3, "fi": 3, "lu": 2}
)  # fmt: skip
"""Council weighted votes before the Treaty of Nice (EU-15)."""

NICE: Mapping[str, float] = MappingProxyType(
    {"de": 29, "fr": 29, "it": 29, "uk": 29, "es": 27, "pl": 27, "ro": 14, "nl": 13,
     "be": 12, "cz": 12, "el": 12, "hu": 12, "pt": 12, "at": 10, "bu": 10, "se": 10,
     "dk": 7, "ie": 7, "lt": 7, "sk": 7, "fi": 7, "cr": 7, "ee": 4, "lv": 4, "si": 4,
     "cy": 4, "lu": 4, "mt": 3}
)  # fmt: skip
"""Council weighted votes under the Treaty of Nice (EU-25, -27, -28)."""

POPULATION_2016: Mapping[str, float] = MappingProxyType(
    {"de": 15.93, "fr": 13.04, "uk": 12.73, "it": 12.07, "es": 9.12, "pl": 7.47,
     "ro": 3.9, "nl": 3.37, "be": 2.21, "el": 2.13, "cz": 2.05, "pt": 2.04, "hu": 1.94,
     "se": 1.92, "at": 1.69, "bu": 1.42, "dk": 1.11, "fi": 1.08, "sk": 1.06, "ie": 0.91,
     "cr": 0.83, "lt": 0.57, "si": 0.41, "lv": 0.39, "ee": 0.26, "cy": 0.17, "lu": 0.11,
     "mt": 0.08}
)  # fmt: skip
"""Each member state's percentage of the Union's population for 2016 (Annex III)."""

POPULATION_SOURCE = (
    "Council Decision (EU, Euratom) 2015/2393 (Council Rules of Procedure, Annex III, 2016), "
    'as reported by Agence Europe, 9 December 2015: "In decreasing order, the percentage of '
    "the population of a country in relation to the total population of the EU (508,940,955 "
    "people), is as follows: Germany (15.93%), France (13.04%), the United Kingdom (12.73%), "
    'Italy (12.07%), Spain (9.12%), Poland (7.47%), ..."'
)
"""Where :data:`POPULATION_2016` comes from, with the opening of the quoted passage."""


def regime(year: int) -> Literal["pre-Nice", "Nice", "Lisbon"]:
    """The Council voting regime the ``council`` rule applies to a proposal's year.

    Examples
    --------
    >>> regime(2003), regime(2004), regime(2013), regime(2014)
    ('pre-Nice', 'Nice', 'Nice', 'Lisbon')
    """
    if year <= 2003:
        return "pre-Nice"
    if year <= 2013:
        return "Nice"
    return "Lisbon"


_TABLES: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {"pre-Nice": PRE_NICE, "Nice": NICE, "Lisbon": POPULATION_2016}
)
_INSTITUTIONS = ("com", "ep")


def capability(
    actors: Sequence[str],
    year: ArrayLike,
    rule: CapabilityRule = "council",
    gdp: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Capability of every actor for proposals of the given years, largest = 100.

    Parameters
    ----------
    actors : sequence of str, length a
        Actor codes (``"com"``, ``"ep"`` and two-letter member-state codes as
        in DEU III).
    year : array_like of int, shape (k,)
        Year each proposal was introduced.
    rule : {"council", "gdp", "equal"}, default "council"
        See the module docstring.
    gdp : array_like of float, shape (a,), optional
        Required for ``rule="gdp"``; NaN counts as 0.

    Returns
    -------
    ndarray of float, shape (k, a)
        Capabilities, rescaled per row so the largest is 100.

    Raises
    ------
    ValueError
        For an unknown rule, or ``rule="gdp"`` without usable GDP figures.

    Examples
    --------
    >>> c = capability(["com", "ep", "de", "lu", "pl"], [1999, 2005, 2016])
    >>> c.round(2).tolist()
    [[100.0, 100.0, 100.0, 20.0, 0.0], [100.0, 100.0, 100.0, 13.79, 93.1], \
[100.0, 100.0, 100.0, 0.69, 46.89]]
    """
    years = np.atleast_1d(np.asarray(year, dtype=np.int64))
    k, a = years.shape[0], len(actors)
    if rule == "equal":
        return np.full((k, a), 100.0)
    if rule == "gdp":
        if gdp is None:
            raise ValueError("the gdp rule needs each actor's GDP (the file's second row)")
        g = np.nan_to_num(np.asarray(gdp, dtype=np.float64), nan=0.0)
        if g.shape != (a,) or g.max(initial=0.0) <= 0 or np.any(g < 0):
            raise ValueError(f"GDP must be {a} non-negative figures, not all 0; got {g.tolist()}")
        return np.broadcast_to(g / g.max() * 100.0, (k, a)).copy()
    if rule != "council":
        raise ValueError(f"unknown capability rule {rule!r}; choose one of {', '.join(RULES)}")
    out = np.zeros((k, a))
    for r, y in enumerate(years.tolist()):
        table = _TABLES[regime(int(y))]
        top = max(table.values())
        for j, actor in enumerate(actors):
            out[r, j] = top if actor in _INSTITUTIONS else table.get(actor, 0.0)
        out[r] *= 100.0 / top
    return out
