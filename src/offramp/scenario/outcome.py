"""Checks of a history case's structured ``outcome:`` (what the backtest scores).

Same contract as :mod:`offramp.scenario.checks`: each problem is a
``(path, message)`` pair the loader turns into ``FILE:LINE``. The fields
must tell one consistent story:

* ``agreement: true`` needs the date it was ``signed``; ``signed``,
  ``held`` and ``held_years`` need ``agreement: true`` (a text never signed
  cannot hold);
* ``held`` and ``held_years`` come together; ``held: true`` means it held
  until ``observed``, so ``held_years`` is the span from ``signed`` to
  ``observed`` (within 0.1 year); ``held: false`` means it broke down
  before ``observed``;
* ``observed`` is not before ``signed``;
* ``route`` names the public (or ratification route, or legislature) that
  carried or rejected the text, so it needs ``ratified`` to say which.
  ``ratified`` may be given without ``agreement``: a text can go to a vote
  unsigned (Cyprus 2004).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from offramp.scenario._found import Found, hint

if TYPE_CHECKING:
    from offramp.scenario.schema import Scenario

__all__ = ["DAYS_PER_YEAR", "check_outcome"]

DAYS_PER_YEAR = 365.25
_SLACK = 0.1


def _ratifiers(scenario: Scenario) -> list[str]:
    """Ids a ``route`` may name: publics, legislatures, and their ratification routes."""
    bodies = [*scenario.publics, *(getattr(scenario, "legislatures", None) or ())]
    ids = [body.id for body in bodies]
    for body in bodies:
        ids += [route.id for route in getattr(body, "routes", None) or ()]
    return ids


def check_outcome(scenario: Scenario) -> Found:
    """Every inconsistency of the structured fields of ``outcome:``."""
    found: Found = []
    o = scenario.outcome
    if o is None:
        return found
    here = ("outcome",)
    if o.agreement and o.signed is None:
        found.append(
            ((*here, "agreement"), "`agreement: true` needs `signed:` the date it was signed")
        )
    if not o.agreement:
        for name in ("signed", "held", "held_years"):
            if getattr(o, name) is not None:
                found.append(
                    (
                        (*here, name),
                        f"`{name}` needs `agreement: true`: a settlement that was never signed"
                        " cannot be dated or hold; remove it or set `agreement: true`",
                    )
                )
    if (o.held is None) != (o.held_years is None) and o.agreement:
        missing = "held_years" if o.held_years is None else "held"
        found.append(
            (
                (*here, missing),
                "`held` and `held_years` go together: give both (years from signing to"
                " breakdown, or to `observed` if it held) or neither",
            )
        )
    if o.signed is not None and o.observed < o.signed:
        found.append(
            (
                (*here, "observed"),
                f"`observed` ({o.observed}) is before `signed` ({o.signed}); it is the date"
                " the record was last checked",
            )
        )
    elif o.signed is not None and o.held is not None and o.held_years is not None:
        span = (o.observed - o.signed).days / DAYS_PER_YEAR
        if o.held and abs(o.held_years - span) > _SLACK:
            found.append(
                (
                    (*here, "held_years"),
                    f"`held: true` means it held until `observed`: held_years should be"
                    f" {span:.1f} (from {o.signed} to {o.observed}), not {o.held_years:g}",
                )
            )
        if not o.held and o.held_years > span + _SLACK:
            found.append(
                (
                    (*here, "held_years"),
                    f"held_years {o.held_years:g} runs past `observed` ({span:.1f} years after"
                    " signing); a deal that broke down did so before the record was checked",
                )
            )
    if o.route is not None:
        if o.ratified is None:
            found.append(
                (
                    (*here, "route"),
                    "`route` names who carried or rejected the text: say which with"
                    " `ratified: true` or `false`",
                )
            )
        known = _ratifiers(scenario)
        if o.route not in known:
            found.append(
                (
                    (*here, "route"),
                    f"unknown route `{o.route}`: name a public (or ratification route);"
                    f" {hint(o.route, known)}",
                )
            )
    return found
