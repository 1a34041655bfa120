"""Every package over two actors' utilities, labelled by who blocks it: the data behind the picture.

:class:`offramp.settle.analysis.Analysis` keeps only what the verdict needs (counts,
the frontier, the solutions). To *show* why there is or is not a deal, the
report and the web app plot every package as a point over two actors'
utilities, coloured by its status:

* ``ratified``: in the ratified ZOPA (every veto actor prefers it to its
  batna and every public ratifies it);
* ``red_line:<id>``: it crosses a red line of this veto actor (an option of
  its ``never`` list that the analysis applies, :mod:`offramp.settle.redlines`)
  and of no other veto actor: refused whatever else it gives, so it is shown
  apart from the packages that are merely not worth more than a batna;
* ``red_line``: it crosses the red lines of two or more veto actors;
* ``public:<id>``, ``legislature:<id>``: every veto actor prefers it, but only
  this public (or legislature) rejects it, by the route the package takes there;
* ``actor:<id>``: blocked by this veto actor alone (its utility is not above
  its batna, no red line is crossed, and nobody else objects);
* ``several``: blocked by two or more veto actors, publics or legislatures (no
  red line crossed).

A red line takes precedence: a package that crosses one is in a ``red_line``
group whoever else objects to it. The status rules are those of
:func:`offramp.settle.analysis.analyze_space`, from the same block loop (the
test suite checks the counts agree with it, and the red-line counts with a
package-by-package count). Packages are
enumerated in blocks with :func:`offramp.settle.space.iter_blocks`; points with the
same status and the same utilities rounded to :data:`RESOLUTION` are merged
and counted, so the number of points stays bounded (at most ``(1/RESOLUTION + 1)**2`` per status)
however large the space.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from offramp.problem import Problem
from offramp.scenario.schema import Scenario
from offramp.settle.analysis import _blocking

__all__ = ["RESOLUTION", "Cloud", "CloudGroup", "default_axes", "package_cloud"]

RESOLUTION = 0.001
"""Utilities are rounded to this step before points are merged."""


@dataclass(frozen=True)
class CloudGroup:
    """The merged points of one status.

    ``x``, ``y`` are utilities (rounded to :data:`RESOLUTION`), ``count`` the
    number of packages at each point and ``example`` the lowest package index
    among them.
    """

    status: str
    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    count: tuple[int, ...]
    example: tuple[int, ...]

    @property
    def packages(self) -> int:
        """Number of packages with this status."""
        return sum(self.count)


@dataclass(frozen=True)
class Cloud:
    """Every package of a scenario over actors ``x`` and ``y``, grouped by status."""

    x: str
    y: str
    groups: tuple[CloudGroup, ...]

    def group(self, status: str) -> CloudGroup | None:
        """The group with this status, if any package has it."""
        return next((g for g in self.groups if g.status == status), None)


def default_axes(scenario: Scenario) -> tuple[str, str]:
    """The two actors to plot by default: the first two veto actors.

    With fewer than two veto actors, the most powerful other actors fill in.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> s = load_scenario(Path(__file__).parents[3] / "scenarios" / "ukraine-2024-09.yaml")
    >>> default_axes(s)
    ('ukraine', 'russia')
    """
    veto = [a.id for a in scenario.actors if a.veto]
    rest = [a.id for a in sorted(scenario.actors, key=lambda a: -a.power) if not a.veto]
    chosen = (veto + rest)[:2]
    if len(chosen) == 1:
        chosen.append(chosen[0])
    return chosen[0], chosen[1]


def package_cloud(
    problem: Problem, x: str | None = None, y: str | None = None, *, block_size: int = 1 << 18
) -> Cloud:
    """Every package over the utilities of actors ``x`` and ``y``, grouped by who blocks it.

    Parameters
    ----------
    problem : Problem
        The compiled scenario, a batch of one.
    x, y : str, optional
        Actor ids for the two axes; default :func:`default_axes`.
    block_size : int, default 262144
        Packages per block (bounds memory).

    Returns
    -------
    Cloud

    Raises
    ------
    KeyError
        If ``x`` or ``y`` is not an actor id.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.problem import compile_problem
    >>> from offramp.scenario import load_scenario
    >>> path = Path(__file__).parents[3] / "scenarios" / "textbook-two-party.yaml"
    >>> cloud = package_cloud(compile_problem(load_scenario(path)))
    >>> {g.status: g.packages for g in cloud.groups}["ratified"]
    4
    """
    dx, dy = default_axes(problem.scenario)
    x, y = x or dx, y or dy
    ids = list(problem.actor_ids)
    for who in (x, y):
        if who not in ids:
            raise KeyError(who)
    ax, ay = ids.index(x), ids.index(y)
    veto = problem.veto_index
    red_line_ids = [f"red_line:{ids[v]}" for v in veto]
    blocker_ids = [f"actor:{ids[v]}" for v in veto] + [f"{b.kind}:{b.id}" for b in problem.bodies]
    labels = dict(zip((f"actor:{a}" for a in ids), problem.actor_labels, strict=True)) | {
        f"{b.kind}:{b.id}": b.label for b in problem.bodies
    }
    # status numbers: 0 ratified, then one per veto actor's red line, several red lines,
    # one per blocker alone, several blockers
    statuses = ["ratified", *red_line_ids, "red_line", *blocker_ids, "several"]
    first_blocker = 2 + len(red_line_ids)
    merged: dict[int, dict[tuple[int, int], list[int]]] = {s: {} for s in range(len(statuses))}
    steps = round(1 / RESOLUTION)
    for index, utility, refuses, rejects, crosses in _blocking(problem, block_size):
        blocks = np.concatenate([refuses, rejects])
        n_blocking = blocks.sum(axis=0)
        status = np.where(
            n_blocking == 0,
            0,
            np.where(n_blocking == 1, first_blocker + blocks.argmax(axis=0), len(statuses) - 1),
        )
        n_crossed = crosses.sum(axis=0)
        status = np.where(
            n_crossed == 0,
            status,
            np.where(n_crossed == 1, 1 + crosses.argmax(axis=0), first_blocker - 1),
        )
        qx = np.rint(utility[ax] * steps).astype(np.int64)
        qy = np.rint(utility[ay] * steps).astype(np.int64)
        _merge(merged, status, qx, qy, index)
    groups = []
    for s, name in enumerate(statuses):
        points = merged[s]
        if not points:
            continue
        keys = sorted(points)
        label = _label(name, labels)
        groups.append(
            CloudGroup(
                status=name,
                label=label,
                x=tuple(k[0] / steps for k in keys),
                y=tuple(k[1] / steps for k in keys),
                count=tuple(points[k][0] for k in keys),
                example=tuple(points[k][1] for k in keys),
            )
        )
    return Cloud(x=x, y=y, groups=tuple(groups))


def _label(status: str, labels: dict[str, str]) -> str:
    """A status in words, as the picture's legend shows it."""
    kind, _, who = status.partition(":")
    if kind == "red_line":
        return (
            f"crosses a red line: {labels[f'actor:{who}']}"
            if who
            else ("crosses the red lines of several veto actors")
        )
    if kind in ("public", "legislature"):
        return f"in the ZOPA, rejected by {labels[status]}"
    if kind == "actor":
        return f"blocked by {labels[status]} alone"
    return {"ratified": "ratified ZOPA", "several": "blocked by several"}.get(status, status)


def _merge(
    merged: dict[int, dict[tuple[int, int], list[int]]],
    status: NDArray[np.int64],
    qx: NDArray[np.int64],
    qy: NDArray[np.int64],
    index: NDArray[np.int64],
) -> None:
    """Add a block's points to the running (count, lowest index) per (status, x, y)."""
    side = np.int64(round(1 / RESOLUTION) + 1)
    key = (status.astype(np.int64) * side + qx) * side + qy
    unique, first, counts = np.unique(key, return_index=True, return_counts=True)
    for k, f, c in zip(unique.tolist(), first.tolist(), counts.tolist(), strict=True):
        s, rest = divmod(k, int(side) ** 2)
        kx, ky = divmod(rest, int(side))
        slot = merged[s].get((kx, ky))
        if slot is None:
            merged[s][(kx, ky)] = [c, int(index[f])]
        else:
            slot[0] += c
