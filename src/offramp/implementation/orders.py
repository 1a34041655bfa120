"""The orders of the steps: enumeration, the DP search beyond it, and requested orders.

See :mod:`offramp.implementation.sequencing` for the model. ``_Game`` holds
the compiled arrays; :func:`solve` is the backward induction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from offramp.durability import DurabilityError

__all__ = ["Game", "admissible", "count", "extreme", "parse_order", "prefixes", "solve"]

_TOL = 1e-12


@dataclass(frozen=True)
class Game:
    """The compiled game: arrays with a leading draw axis D."""

    steps: tuple[str, ...]
    actors: tuple[str, ...]  # belligerents
    mover: NDArray[np.intp]  # (N,) index into actors, -1 for a non-belligerent
    slots: NDArray[np.float64]  # (N,) years of the slots
    war: NDArray[np.float64]  # (D, B, S) war value of each belligerent per set done
    column: NDArray[np.intp]  # (2^N,) column of `war` for each set done (-1: not computed)
    deal: NDArray[np.float64]  # (B,)
    pen: NDArray[np.float64]  # (D, N) expected penalty d*F of reneging on each step
    detect: NDArray[np.float64]  # (D, N)
    fine: NDArray[np.float64]  # (D, N)
    pred: NDArray[np.int64]  # (N,) bit mask of required predecessors


def prefixes(orders: NDArray[np.integer[Any]]) -> NDArray[np.int64]:
    """The sets of steps done before each slot of the orders, as bit masks (unique).

    Examples
    --------
    >>> prefixes(np.array([[1, 0, 2]])).tolist()
    [0, 2, 3]
    """
    bits = np.left_shift(np.int64(1), orders.astype(np.int64))
    done = np.zeros(orders.shape, dtype=np.int64)
    done[:, 1:] = np.cumsum(bits, axis=1)[:, :-1]
    return np.unique(done)


def solve(
    game: Game, orders: NDArray[np.integer[Any]]
) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Backward induction for each order and draw.

    Parameters
    ----------
    game : _Game
    orders : ndarray of intp, shape (M, N)

    Returns
    -------
    breaks : ndarray of intp, shape (M, D)
        Slot of the first renege on the equilibrium path (N: none).
    values : ndarray of float64, shape (M, D, B)
    shortfall : ndarray of float64, shape (M, D)
        ``sum_k max(0, V_a(S_k) - d F - U_a)`` over the slots.
    slack : ndarray of float64, shape (M, D)
        ``min_k U_a - (V_a(S_k) - d F)`` over the slots with a belligerent
        actor (inf if none): how far the closest step is from breaking.
    """
    m, n = orders.shape
    d, b, _ = game.war.shape
    bits = np.left_shift(np.int64(1), orders.astype(np.int64))
    done = np.zeros((m, n), dtype=np.int64)
    done[:, 1:] = np.cumsum(bits, axis=1)[:, :-1]
    cont = np.broadcast_to(game.deal, (m, d, b)).copy()
    breaks = np.full((m, d), n, dtype=np.intp)
    shortfall = np.zeros((m, d))
    slack = np.full((m, d), np.inf)
    rows = np.arange(m)
    for k in range(n - 1, -1, -1):
        step = orders[:, k]
        mover = game.mover[step]
        here = np.moveaxis(game.war[:, :, game.column[done[:, k]]], 2, 0)  # (M, D, B)
        active = mover >= 0
        who = np.where(active, mover, 0)
        own = here[rows, :, who]  # (M, D)
        renege_value = own - game.pen[:, step].T
        keep = cont[rows, :, who]
        renege = active[:, None] & (renege_value > keep + _TOL)
        over = renege_value - game.deal[who][:, None]
        shortfall += np.where(active[:, None], np.maximum(over, 0.0), 0.0)
        slack = np.where(active[:, None], np.minimum(slack, -over), slack)
        war_now = here.copy()
        war_now[rows, :, who] = renege_value
        cont = np.where(renege[:, :, None], war_now, cont)
        breaks = np.where(renege, k, breaks)
    return breaks, cont, shortfall, slack


def admissible(pred: NDArray[np.int64]) -> NDArray[np.int8]:
    """Every order respecting the precedences, in lexicographic order, shape (M, N).

    Step indices are int8 (at most :data:`~offramp.implementation.EXACT_STEPS`
    steps are enumerated): 10! orders take 36 MB.
    """
    n = len(pred)
    prefixes = np.zeros((1, 0), dtype=np.int8)
    done = np.zeros(1, dtype=np.int64)
    for _ in range(n):
        parts, masks = [], []
        for s in range(n):
            ok = ((done >> s) & 1 == 0) & ((done & pred[s]) == pred[s])
            if ok.any():
                parts.append(np.column_stack([prefixes[ok], np.full(int(ok.sum()), s, np.int8)]))
                masks.append(done[ok] | (1 << s))
        prefixes, done = np.concatenate(parts), np.concatenate(masks)
    order = np.lexsort(prefixes.T[::-1])
    return np.asarray(prefixes[order], dtype=np.int8)


def extreme(game: Game, worst: bool) -> NDArray[np.intp]:
    """The order with the smallest (largest) total shortfall, by DP over sets done."""
    n = len(game.steps)
    full = 2**n
    masks = np.arange(full, dtype=np.int64)
    size = np.zeros(full, dtype=np.intp)
    for s in range(n):
        size += ((masks >> s) & 1).astype(np.intp)
    value = np.full(full, np.inf if not worst else -np.inf)
    value[0] = 0.0
    last = np.full(full, -1, dtype=np.intp)
    war = game.war[0][:, game.column]  # (B, 2^N): the point game has every set
    for level in range(1, n + 1):
        at = masks[size == level]
        for s in range(n):
            has = (at >> s) & 1 == 1
            before = at[has] & ~np.int64(1 << s)
            ok = (before & game.pred[s]) == game.pred[s]
            target, before = at[has][ok], before[ok]
            a = game.mover[s]
            cost = (
                np.maximum(war[a, before] - game.pen[0, s] - game.deal[a], 0.0)
                if a >= 0
                else np.zeros(len(before))
            )
            cand = value[before] + cost
            better = cand > value[target] if worst else cand < value[target]
            better &= np.isfinite(cand)
            value[target[better]] = cand[better]
            last[target[better]] = s
    order, mask = [], full - 1
    while mask:
        s = int(last[mask])
        order.append(s)
        mask &= ~(1 << s)
    return np.array([order[::-1]], dtype=np.intp)


def parse_order(game: Game, order: Sequence[str]) -> NDArray[np.intp]:
    """A requested order as step indices, checked for completeness and precedences."""
    ids = list(game.steps)
    unknown = [s for s in order if s not in ids]
    if unknown:
        raise DurabilityError(f"unknown step `{unknown[0]}` in --order; steps: {', '.join(ids)}")
    if sorted(order) != sorted(ids):
        missing = [s for s in ids if s not in order]
        repeated = sorted({s for s in order if list(order).count(s) > 1})
        raise DurabilityError(
            "an order must list every step once"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; repeated: {', '.join(repeated)}" if repeated else "")
        )
    index = np.array([ids.index(s) for s in order], dtype=np.intp)
    done = 0
    for s in index:
        if int(game.pred[s]) & ~done:
            before = [ids[j] for j in range(len(ids)) if (int(game.pred[s]) & ~done) >> j & 1]
            raise DurabilityError(
                f"in the requested order `{ids[s]}` comes before {', '.join(before)}, "
                "which its `after` requires first"
            )
        done |= 1 << int(s)
    return index


def count(pred: NDArray[np.int64]) -> int:
    """Number of orders respecting the precedences (DP over sets done, level by level)."""
    n = len(pred)
    masks = np.arange(2**n, dtype=np.int64)
    size = np.zeros(2**n, dtype=np.intp)
    for s in range(n):
        size += ((masks >> s) & 1).astype(np.intp)
    ways = np.zeros(2**n, dtype=np.int64)
    ways[0] = 1
    for level in range(1, n + 1):
        at = masks[size == level]
        for s in range(n):
            target = at[(at >> s) & 1 == 1]
            before = target & ~np.int64(1 << s)
            ok = (before & pred[s]) == pred[s]
            ways[target[ok]] += ways[before[ok]]
    return int(ways[-1])
