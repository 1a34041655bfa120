"""The SMP loop over turns and its stopping rule; the run's results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from offramp.forecast.smp.params import _MIN_STEP, BoolArray, FloatArray, IntArray, _Params
from offramp.forecast.smp.pce import _scalar_pce
from offramp.forecast.smp.state import _assess, _Assessment, _own_util
from offramp.forecast.smp.turn import _Turn, _turn

__all__ = []


def _distinct(pos: FloatArray, tol: float) -> tuple[BoolArray, IntArray]:
    """KTAB ``ueIndices`` + ``posProb``: which positions are distinct, and each actor's group.

    Returns ``first`` (B, n): position ``i`` opens a new group; ``last`` (B, n):
    the last distinct position equivalent to ``i``.
    """
    b, n, _ = pos.shape
    diff = pos[:, :, None, :] - pos[:, None, :, :]
    eq = np.sqrt((diff**2).sum(axis=-1)) < tol  # (B, n, n)
    first = np.zeros((b, n), dtype=bool)
    for i in range(n):
        first[:, i] = ~(eq[:, i, :i] & first[:, :i]).any(axis=1)
    idx = np.where(eq & first[:, None, :], np.arange(n)[None, None, :], -1)
    return first, idx.max(axis=2)


def _pdist(
    pos: FloatArray, a: _Assessment, cap: FloatArray, prm: _Params, tol: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Probability of each actor's position, the per-dimension mode and the joint mode."""
    b = pos.shape[0]
    first, last = _distinct(pos, tol)
    u = _own_util(a)  # (B, a, j)
    p = _scalar_pce(u, cap, prm, valid=first)  # 0 on non-distinct columns
    prob = np.take_along_axis(p, last, 1)
    # per dimension: mass within tol of each distinct position's coordinate
    near = np.abs(pos[:, :, None, :] - pos[:, None, :, :]) < tol  # (B, i, j, d)
    mass = (near * p[:, None, :, None]).sum(axis=2)  # (B, i, d)
    mass = np.where(first[:, :, None], np.round(mass, 12), -1.0)
    # ties (two positions within tol of each other on this dimension) go to the more probable
    # position, then to the lower coordinate: independent of actor order
    own = np.broadcast_to(p[:, :, None], mass.shape)
    top = mass == mass.max(axis=1, keepdims=True)
    own = np.where(top, own, -1.0)
    top &= own == own.max(axis=1, keepdims=True)
    best = np.argmin(np.where(top, pos, np.inf), axis=1)  # (B, d)
    mode = np.take_along_axis(pos, best[:, None, :], 1)[:, 0, :]
    joint = pos[np.arange(b), np.argmax(p, axis=1)]
    return prob, mode, joint, a.risk


# ---------------------------------------------------------------------------
# the engine


@dataclass(frozen=True)
class _Run:
    positions: FloatArray
    mode: FloatArray
    joint_mode: FloatArray
    prob: FloatArray
    risk: FloatArray
    rounds: IntArray
    target: IntArray
    gain: FloatArray
    p_init: FloatArray
    p_target: FloatArray
    g_target: FloatArray
    bargains: FloatArray
    chosen: IntArray


def _engine(
    x: FloatArray,
    cap: FloatArray,
    sal: FloatArray,
    acc: FloatArray,
    prm: _Params,
    max_iter: int,
    min_iter: int,
    min_ratio: float,
    tol: float,
    rng: np.random.Generator,
) -> _Run:
    """Play SMP turns on (B, n, d) positions on [0, 1] until every draw stops."""
    b, n, _dim = x.shape
    identity = np.array([np.allclose(acc[k], np.eye(n), rtol=0, atol=1e-10) for k in range(b)])
    pos = x.copy()
    ideal = x.copy()
    hist = [pos]
    states: list[tuple[FloatArray, FloatArray, FloatArray, FloatArray]] = []
    turns: list[_Turn] = []
    active = np.ones(b, dtype=bool)
    rounds = np.zeros(b, dtype=np.intp)
    d01 = np.zeros(b)
    a = _assess(pos, ideal, sal, cap, prm)
    states.append(_pdist(pos, a, cap, prm, tol))
    for it in range(1, max_iter + 1):
        t = _turn(pos, ideal, sal, cap, a, prm, rng)
        new = np.where(active[:, None, None], t.positions, pos)
        lag = 1.0 - np.minimum(acc.sum(axis=2), 1.0)
        new_ideal = np.einsum("bij,bjd->bid", acc, new) + lag[:, :, None] * ideal
        new_ideal = np.where(identity[:, None, None], new, new_ideal)
        new_ideal = np.where(active[:, None, None], new_ideal, ideal)
        step = np.sqrt(((new - pos) ** 2).sum(axis=2)).sum(axis=1)
        if it == 1:
            d01 = step + _MIN_STEP
        rounds = np.where(active, it, rounds)
        stop = (it >= max_iter) | ((it >= min_iter) & (step / d01 < min_ratio))
        turns.append(t)
        pos, ideal = new, new_ideal
        hist.append(pos)
        a = _assess(pos, ideal, sal, cap, prm)
        states.append(_pdist(pos, a, cap, prm, tol))
        active &= ~stop
        if not active.any():
            break

    def freeze(arr: NDArray[Any], fill: object) -> NDArray[Any]:
        # values after a draw stopped are meaningless: mask them
        out = arr.copy()
        for k in range(b):
            out[k, rounds[k] :] = fill
        return out

    def freeze_states(arr: NDArray[Any]) -> NDArray[Any]:
        out = arr.copy()
        for k in range(b):
            out[k, rounds[k] + 1 :] = out[k, rounds[k]]
        return out

    return _Run(
        positions=freeze_states(np.stack(hist, axis=1)),
        mode=freeze_states(np.stack([s[1] for s in states], axis=1)),
        joint_mode=freeze_states(np.stack([s[2] for s in states], axis=1)),
        prob=freeze_states(np.stack([s[0] for s in states], axis=1)),
        risk=freeze_states(np.stack([s[3] for s in states], axis=1)),
        rounds=rounds,
        target=freeze(np.stack([t.target for t in turns], axis=1), -1),
        gain=freeze(np.stack([t.gain for t in turns], axis=1), np.nan),
        p_init=freeze(np.stack([t.p_init for t in turns], axis=1), np.nan),
        p_target=freeze(np.stack([t.p_target for t in turns], axis=1), np.nan),
        g_target=freeze(np.stack([t.g_target for t in turns], axis=1), np.nan),
        bargains=freeze(np.stack([t.bargains for t in turns], axis=1), np.nan),
        chosen=freeze(np.stack([t.chosen for t in turns], axis=1), -1),
    )
