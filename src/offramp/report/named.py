"""The named packages of a scenario (plans someone proposed), as ``offramp evaluate`` sees them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from offramp.report.model import Section, Table
from offramp.scenario.schema import Scenario

__all__ = ["named_packages_section"]


def _change(alternative: Mapping[str, Any]) -> str:
    changes = ", ".join(f"{i}: {c['from']} → {c['to']}" for i, c in alternative["changes"].items())
    costs = ", ".join(f"{a} {d:+.2f}" for a, d in alternative["cost"].items() if d)
    return f"{changes} ({costs or 'costs no one'})"


def named_packages_section(
    scenario: Scenario, evaluations: Sequence[Mapping[str, Any]]
) -> Section | None:
    """One row per named package: acceptance, ratification, who blocks it, the closest change.

    ``evaluations`` are :meth:`offramp.evaluate.Evaluation.to_dict` results, one per
    entry of the scenario's ``packages`` (None when there are none).
    """
    if not evaluations:
        return None
    rows = []
    for e in evaluations:
        refused = [b for b in e["blockers"] if b["kind"] == "actor"]
        votes = [b for b in e["blockers"] if b["kind"] != "actor"]
        closest = e["closest"][0] if e["closest"] else None
        rows.append(
            (
                e["label"] or e["named"],
                "yes" if e["in_zopa"] else "no",
                "yes" if e["ratified"] else "no",
                "; ".join(f"{b['label']}: {b['reason']}" for b in refused) or "-",
                "; ".join(f"{b['label']}: {b['reason']}" for b in votes) or "-",
                "-" if closest is None else _change(closest),
            )
        )
    table = Table(
        (
            "package",
            "every veto actor accepts",
            "ratified",
            "refused by",
            "votes it fails",
            "closest acceptable and ratified change",
        ),
        tuple(rows),
        caption="As `offramp evaluate --named ID` reports them (red lines that hold, batnas, "
        "and every vote the package faces by its route).",
    )
    paragraph = (
        f"The scenario names {len(evaluations)} package(s): plans someone proposed, each with "
        "its source. For each: whether every side with a veto would sign it, whether it would "
        "be ratified, who stops it and why, and the smallest change of options (one issue, "
        "else two) that would make it work."
    )
    return Section("named-packages", "Would the proposed plans work?", (paragraph,), (table,))
