"""Spoilers: factions that may wreck a deal their leaders signed (Stedman 1997).

Stedman ("Spoiler problems in peace processes", *International Security*
22(2), 1997) studies leaders and parties who see a negotiated peace as a
threat to their power, worldview or interests and use violence to undermine
it: inside a party to the deal or outside every party, with limited, greedy
or total aims.

Model
-----
A faction ``f`` values a package ``x`` with the same additive utility as an
actor (:mod:`offramp.settle.space`), from its own ``stances`` or, without them, its
parent's. It spoils the deal when both hold::

    U_f(x) < batna_f          (the deal is worse than fighting on)
    capability_f > threshold_f  (it can resume violence on a scale that matters)

A spoiler with ``total`` or ``greedy`` aims makes the deal fail; one with
``limited`` aims makes it *partly* fail (violence and demands continue
without ending it): Stedman's distinction between spoilers who seek
recognition or redress of a grievance and those who seek power
exclusively or more than the deal offers. ``p_rejects`` is the share of
Monte Carlo draws in which the deal is worse than the faction's batna,
``p_spoiled`` the share in which it spoils (its ``batna``, ``capability``
and ``threshold`` drawn when given as distributions, independently, in file
order); ``p_fails`` the share in which some total or greedy faction spoils;
``p_partly`` the share in which only limited ones do. ``U_f(x)`` uses the
stances' point values.

Inducements
-----------
The **inducement** is the smallest change of the package that brings a
faction in (``U_f(x') >= batna_f`` at point values): every single-option
change is tried, then pairs on different issues if none alone works; those
that work are reported, the ones every veto actor still prefers to its batna
first, then by the smallest utility loss summed over the veto actors.
Following Stedman, inducement is the strategy for limited spoilers (and, in
part, greedy ones); total spoilers pursue all-or-nothing goals that no
inducement meets (coercion or isolation is Stedman's answer), so every
entry also gives the coercion margin ``capability - threshold`` by which
their capability must fall.

References
----------
Stedman, S. J. (1997). Spoiler problems in peace processes. *International
Security* 22(2), 5-53. https://doi.org/10.1162/isec.22.2.5
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
from numpy.typing import NDArray

from offramp.durability import DurabilityError
from offramp.durability.model import _draws_of
from offramp.problem import Problem
from offramp.scenario.schema import Actor, Faction, Scenario
from offramp.settle.space import utilities, utility_tables

__all__ = ["Inducement", "Spoiler", "Spoilers", "spoilers"]

_TOL = 1e-12


@dataclass(frozen=True)
class Inducement:
    """A change of package that brings a faction in."""

    change: dict[str, str]
    value: float
    beats_batnas: bool
    veto_loss: float


@dataclass(frozen=True)
class Spoiler:
    """One faction's verdict under a package."""

    faction: str
    label: str
    parent: str | None
    aims: str
    deal: float
    batna: float
    capability: float
    threshold: float
    rejects: bool
    spoils: bool
    effect: str
    p_rejects: float
    p_spoiled: float
    inducements: tuple[Inducement, ...] = field(default_factory=tuple)

    @property
    def margin(self) -> float:
        """By how much its capability exceeds the threshold (> 0: it can spoil)."""
        return self.capability - self.threshold

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form."""
        return {
            "faction": self.faction,
            "label": self.label,
            "parent": self.parent,
            "aims": self.aims,
            "deal": self.deal,
            "batna": self.batna,
            "capability": self.capability,
            "threshold": self.threshold,
            "margin": self.margin,
            "rejects": self.rejects,
            "spoils": self.spoils,
            "effect": self.effect,
            "p_rejects": self.p_rejects,
            "p_spoiled": self.p_spoiled,
            "inducement": [
                {
                    "change": i.change,
                    "value": i.value,
                    "beats_batnas": i.beats_batnas,
                    "veto_loss": i.veto_loss,
                }
                for i in self.inducements
            ],
        }


@dataclass(frozen=True)
class Spoilers:
    """Every faction's verdict. See :func:`spoilers`."""

    package: dict[str, str]
    factions: tuple[Spoiler, ...]
    p_fails: float
    p_partly: float
    draws: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form."""
        return {
            "package": self.package,
            "factions": [f.to_dict() for f in self.factions],
            "p_fails": self.p_fails,
            "p_partly": self.p_partly,
            "draws": self.draws,
            "seed": self.seed,
        }


def _as_actor(scenario: Scenario, faction: Faction) -> Actor:
    stances = faction.stances
    if not stances and faction.parent is not None:
        stances = scenario.actor(faction.parent).stances
    return Actor(id=faction.id, label=faction.label, power=0.0, stances=list(stances))


def _tables(scenario: Scenario) -> list[NDArray[np.float64]]:
    """Utility tables of the actors, then of the factions (rows in that order).

    Factions are not compiled into the :class:`~offramp.problem.Problem` (yet):
    their tables are built here, with the same arithmetic.
    """
    extended = scenario.model_copy(
        update={"actors": [*scenario.actors, *(_as_actor(scenario, f) for f in scenario.factions)]}
    )
    return utility_tables(extended)


def spoiled(
    deal: NDArray[np.float64],
    batna: NDArray[np.float64],
    capability: NDArray[np.float64],
    threshold: NDArray[np.float64],
) -> NDArray[np.bool_]:
    """Whether a faction spoils: ``deal < batna`` and ``capability > threshold``.

    All arrays broadcast (e.g. shape (D,) of draws).

    Examples
    --------
    >>> spoiled(np.array(0.4), np.array([0.5, 0.3]), np.array(250.0), np.array(200.0)).tolist()
    [True, False]
    """
    return np.asarray((deal < batna - _TOL) & (capability > threshold + _TOL))


def spoilers(
    problem: Problem, package: Mapping[str, str], *, draws: int = 2000, seed: int = 0
) -> Spoilers:
    """Which factions would spoil a package, how likely, and what would bring them in.

    Parameters
    ----------
    problem : Problem
        The compiled scenario (a batch of one).
    package : mapping of issue id to option id
        One option on every issue.
    draws : int, default 2000
        Monte Carlo draws for ``p_spoiled`` (0: point values only).
    seed : int, default 0

    Returns
    -------
    Spoilers

    Raises
    ------
    DurabilityError
        If the package is incomplete or ``draws`` is negative.

    Examples
    --------
    A front of 200 fighters (threshold 100) values the deal at 0.2, below
    its batna of 0.5: it spoils, and moving the issue to ``y`` brings it in.

    >>> from offramp.scenario import load_scenario_text
    >>> s = load_scenario_text('''
    ... id: t
    ... title: t
    ... as_of: 2016-01-01
    ... issues:
    ...   - {id: i, label: i, options: [{id: x, label: x, at: 0}, {id: y, label: y, at: 80}]}
    ... actors:
    ...   - {id: gov, label: G, power: 1, veto: true, batna: 0.1,
    ...      stances: [{issue: i, position: x, salience: 1}]}
    ... factions:
    ...   - {id: front, label: F, aims: greedy, batna: 0.5, capability: 200, threshold: 100,
    ...      stances: [{issue: i, position: 100, salience: 1}]}
    ... ''')
    >>> from offramp.problem import compile_problem
    >>> r = spoilers(compile_problem(s), {"i": "x"}, draws=0)
    >>> f = r.factions[0]
    >>> f.deal, f.spoils, f.effect, r.p_fails, f.inducements[0].change
    (0.0, True, 'fails', 1.0, {'i': 'y'})
    """
    if draws < 0:
        raise DurabilityError(f"--draws must be 0 or more; got {draws}")
    scenario = problem.scenario
    clean = {issue: package[issue] for issue in problem.space.issue_ids if issue in package}
    index = problem.space.index_of(clean)[None, :]
    tables = _tables(scenario)
    base = utilities(tables, index)[:, 0]
    n_actors = len(scenario.actors)
    veto = [a for a, actor in enumerate(scenario.actors) if actor.veto]
    rng = np.random.default_rng(seed)
    d = max(draws, 1)
    fails = np.zeros(d, dtype=bool)
    partly = np.zeros(d, dtype=bool)
    out = []
    for f, faction in enumerate(scenario.factions):
        deal = float(base[n_actors + f])
        values = [
            np.array([float(x)]) if draws == 0 else _draws_of(x, draws, rng)
            for x in (faction.batna, faction.capability, faction.threshold)
        ]
        hit = np.broadcast_to(spoiled(np.array(deal), *values), (d,))
        rejects = np.broadcast_to(deal < values[0] - _TOL, (d,))
        if faction.aims == "limited":
            partly |= hit
        else:
            fails |= hit
        point = spoiled(
            np.array(deal),
            np.array(float(faction.batna)),
            np.array(float(faction.capability)),
            np.array(float(faction.threshold)),
        )
        out.append(
            Spoiler(
                faction=faction.id,
                label=faction.label,
                parent=faction.parent,
                aims=faction.aims,
                deal=deal,
                batna=float(faction.batna),
                capability=float(faction.capability),
                threshold=float(faction.threshold),
                rejects=deal < float(faction.batna) - _TOL,
                spoils=bool(point),
                effect="partly fails" if faction.aims == "limited" else "fails",
                p_rejects=float(np.mean(rejects)),
                p_spoiled=float(np.mean(hit)),
                inducements=tuple(
                    _inducements(problem, tables, clean, n_actors + f, float(faction.batna), veto)
                )
                if deal < float(faction.batna) - _TOL
                else (),
            )
        )
    return Spoilers(
        package=clean,
        factions=tuple(out),
        p_fails=float(np.mean(fails)),
        p_partly=float(np.mean(partly & ~fails)),
        draws=draws,
        seed=seed,
    )


def _inducements(
    problem: Problem,
    tables: list[NDArray[np.float64]],
    package: dict[str, str],
    row: int,
    batna: float,
    veto: list[int],
) -> list[Inducement]:
    """Smallest changes (one option, else pairs) that give the faction its batna."""
    batnas = problem.batna[0, veto]
    space = problem.space
    now = utilities(tables, space.index_of(package)[None, :])[:, 0]
    candidates = [
        (issue, option)
        for issue, options in zip(space.issue_ids, space.option_ids, strict=True)
        for option in options
        if package[issue] != option
    ]
    found: list[Inducement] = []
    for size in (1, 2):
        for combo in combinations(candidates, size):
            if len({issue for issue, _ in combo}) < size:
                continue
            change = dict(combo)
            u = utilities(tables, space.index_of({**package, **change})[None, :])[:, 0]
            if u[row] >= batna - _TOL:
                loss = float(np.sum(now[veto] - u[veto]))
                found.append(
                    Inducement(change, float(u[row]), bool(np.all(u[veto] > batnas)), loss)
                )
        if found:
            break
    found.sort(key=lambda i: (not i.beats_batnas, round(i.veto_loss, 12)))
    return found[:5]
