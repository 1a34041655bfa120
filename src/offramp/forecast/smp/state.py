"""The state of an SMP round: utilities, distances, risk attitudes and each actor's assessment."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from offramp.forecast.smp.params import FloatArray, _Params
from offramp.forecast.smp.pce import _scalar_pce

__all__ = []


def _bs_util(d: FloatArray, r: FloatArray) -> FloatArray:
    """KTAB ``SMPModel::bsUtil``: utility of a normalized distance ``d`` at risk attitude ``r``."""
    return np.where(d <= 1.0, (1.0 - d) * (1.0 + d * r), (1.0 - d) * (1.0 + r))


def _distance(ideal: FloatArray, pos: FloatArray, sal: FloatArray) -> FloatArray:
    """``D[..., i, j]``: salience-weighted distance from ideal ``i`` to position ``j``."""
    diff = ideal[..., :, None, :] - pos[..., None, :, :]
    ws = sal[..., :, None, :]
    num = ((diff * ws) ** 2).sum(axis=-1)
    den = (sal**2).sum(axis=-1)[..., :, None]
    return np.asarray(np.sqrt(num / den), dtype=np.float64)


def _big_r(p: FloatArray, rng: str) -> FloatArray:
    """KTAB ``Model::bigRfromProb``: risk attitudes from position probabilities (B, n)."""
    pmin = p.min(axis=-1, keepdims=True)
    pmax = p.max(axis=-1, keepdims=True)
    span = pmax - pmin
    flat = span <= 0
    span = np.where(flat, 1.0, span)
    if rng == "Min":
        r = (p - pmin) / span
    elif rng == "Mid":
        r = (3 * p - (pmax + 2 * pmin)) / (2 * span)
    else:
        r = (2 * p - (pmax + pmin)) / span
    return np.asarray(np.where(flat, 0.0, r), dtype=np.float64)


def _est_r(rh: FloatArray, ri: FloatArray, adjust: str) -> FloatArray:
    """KTAB ``Model::estNRA``: h's estimate of i's risk attitude."""
    if adjust == "Full":
        return ri + 0.0 * rh
    if adjust == "TwoThirds":
        return (rh + 2.0 * ri) / 3.0
    if adjust == "Half":
        return (rh + ri) / 2
    if adjust == "OneThird":
        return (2.0 * rh + ri) / 3.0
    return rh + 0.0 * ri


@dataclass(frozen=True)
class _Assessment:
    """One state's assessment (KTAB ``SMPState::setAllAUtil``)."""

    dist: FloatArray  # (B, n, n)
    risk: FloatArray  # (B, n)
    rhi: FloatArray  # (B, h, i): h's estimate of i's risk attitude


def _assess(
    pos: FloatArray, ideal: FloatArray, sal: FloatArray, cap: FloatArray, prm: _Params
) -> _Assessment:
    d = _distance(ideal, pos, sal)
    rn = 1.0 - d  # bsUtil(d, 0)
    p = _scalar_pce(rn, cap, prm)
    risk = _big_r(p, prm.risk_range)
    rhi = _est_r(risk[:, :, None], risk[:, None, :], prm.risk_adjust)
    return _Assessment(d, risk, rhi)


def _own_util(a: _Assessment) -> FloatArray:
    """``U^i_ij``, each actor's own utility of every position (B, n, n)."""
    return _bs_util(a.dist, a.risk[:, :, None])


# ---------------------------------------------------------------------------
# challenges
