"""Votes, coalitions, victory probabilities and the probabilistic condorcet election (PCE)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from offramp.forecast.smp import _kernel
from offramp.forecast.smp.params import (
    _BINARY_TOL,
    _CHUNK,
    _MIN_COALITION,
    BoolArray,
    FloatArray,
    _Params,
)

__all__ = []


def _vote(rule: str, w: FloatArray, du: FloatArray) -> FloatArray:
    """KTAB ``Model::vote``: influence ``w`` exerted for a utility difference ``du``."""
    if rule == "Prop":
        return w * du
    if rule == "Binary":
        return w * np.clip(du / _BINARY_TOL, -1.0, 1.0)
    if rule == "PropBin":
        return w * (0.8 * du + 0.2 * np.clip(du / _BINARY_TOL, -1.0, 1.0))
    if rule == "PropCbc":
        return w * (0.5 * du + 0.5 * du * du * du)
    if rule == "Cubic":
        return w * (du * du * du)
    # ASymProsp: gains count two thirds of losses
    return np.where(du < 0, w * du, np.where(du > 0, (2.0 * w * du) / 3.0, 0.0))


def _coalitions(u: FloatArray, w: FloatArray, rule: str) -> FloatArray:
    """Coalition strengths ``C[i, j]`` for option ``i`` over ``j``.

    ``u`` (..., A, M) utilities of M options to A voters, ``w`` (..., A)
    weights; returns (..., M, M).  Votes are tallied for ``i > j`` as KTAB's
    ``Model::coalitions`` does.
    """
    m = u.shape[-1]
    if rule == "Prop" and m >= _kernel.MIN_ACTORS and _kernel.AVAILABLE:
        return _kernel.coalitions_prop(u, w, _MIN_COALITION)
    if rule == "Prop":
        # linear, antisymmetric vote: C[i, j] = sum_k w_k max(u_ki - u_kj, 0) for every i != j,
        # in blocks of options i small enough to stay in cache
        c = np.empty((*u.shape[:-2], m, m))
        step = max(1, _CHUNK // (u.shape[-2] * m))
        for lo in range(0, m, step):
            du = u[..., :, lo : lo + step, None] - u[..., :, None, :]  # (..., A, I, M)
            np.maximum(du, 0.0, out=du)
            k = du.shape[-2]
            c[..., lo : lo + step, :] = np.matmul(
                w[..., None, :], du.reshape(*du.shape[:-2], k * m)
            ).reshape(*du.shape[:-3], k, m)
        c[..., np.arange(m), np.arange(m)] = 0.0
        return np.asarray(c + _MIN_COALITION, dtype=np.float64)
    du = u[..., :, :, None] - u[..., :, None, :]  # (..., A, M, M): u_i - u_j
    v = _vote(rule, w[..., :, None, None], du)
    pos = np.maximum(v, 0.0).sum(axis=-3)
    neg = np.maximum(-v, 0.0).sum(axis=-3)
    low = np.tri(m, m, -1, dtype=bool)
    c = np.where(low, pos, 0.0) + np.swapaxes(np.where(low, neg, 0.0), -1, -2)
    return np.asarray(c + _MIN_COALITION, dtype=np.float64)


def _victory(model: str, c: FloatArray) -> FloatArray:
    """KTAB ``Model::vProb``: ``pv[i, j]`` that the coalition for ``i`` beats that for ``j``."""
    ct = np.swapaxes(c, -1, -2)
    if model == "Binary":
        thresh, min_x = 1.10, 1e-6
        r = c / (c + ct)
        mid = (r * (thresh + 1.0) - 1.0) / (thresh - 1.0)
        pv = np.where(
            c >= thresh * ct,
            1.0 / (1.0 + min_x),
            np.where(ct >= thresh * c, min_x / (1.0 + min_x), mid),
        )
    else:
        power = {"Linear": 1, "Square": 2, "Quartic": 4, "Octic": 8}[model]
        x1 = c**power
        x2 = ct**power
        pv = x1 / (x1 + x2)
    m = c.shape[-1]
    eye = np.eye(m, dtype=bool)
    return np.asarray(np.where(eye, 0.5, pv), dtype=np.float64)


def _pce(c: FloatArray, victory_model: str, pce_model: str, valid: BoolArray | None) -> FloatArray:
    """Probabilities (..., M) of M options from coalition strengths (..., M, M).

    ``valid`` (..., M) masks padding options, which get probability 0 and do
    not take part.
    """
    m = c.shape[-1]
    if valid is None:
        valid = np.ones(c.shape[:-1], dtype=bool)
    pair = valid[..., :, None] & valid[..., None, :]
    with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 only on masked entries
        pv = _victory(victory_model, c)
    if pce_model == "Conditional":
        logp = np.where(pair, np.log(np.where(pair, pv, 1.0)), 0.0).sum(axis=-1)
        logp = np.where(valid, logp, -np.inf)
        logp = logp - logp.max(axis=-1, keepdims=True)
        p = np.exp(logp)
        return np.asarray(p / p.sum(axis=-1, keepdims=True), dtype=np.float64)
    nopt = valid.sum(axis=-1, keepdims=True).astype(np.float64)
    p = np.where(valid, 1.0 / nopt, 0.0)
    pvm = np.where(pair, pv, 0.0)
    if pce_model == "MarkovUniform":

        def uniform(p: FloatArray) -> FloatArray:
            return np.asarray((pvm * (p[..., :, None] + p[..., None, :])).sum(axis=-1) / nopt)

        return _damped_fixed_point(p, uniform, tol=1e-6)
    # MarkovIncentive
    inc = np.where(pair, c * pv, 0.0) + np.where(np.eye(m, dtype=bool) & pair, 1e-10, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):  # padding columns sum to 0
        chlg = inc / inc.sum(axis=-2, keepdims=True)  # P[i -> j] = inc[i, j] / sum_k inc[k, j]
    chlg = np.where(pair, chlg, 0.0)

    def incentive(p: FloatArray) -> FloatArray:
        ct = p[..., :, None] * np.swapaxes(chlg, -1, -2)  # ct[i, j] = p_i P[j -> i]
        return np.asarray((pvm * (ct + np.swapaxes(ct, -1, -2))).sum(axis=-1))

    return _damped_fixed_point(p, incentive, tol=1e-8)


def _damped_fixed_point(
    p: FloatArray, step: Callable[[FloatArray], FloatArray], tol: float
) -> FloatArray:
    """Iterate ``p <- (p + step(p)) / 2`` until ``max |step(p) - p| <= tol``, per batch entry.

    KTAB's Markov PCE iterations; entries that have converged stop changing.
    """
    active = np.ones(p.shape[:-1], dtype=bool)
    for _ in range(100_000):
        q = step(p)
        change = np.abs(q - p).max(axis=-1)
        p = np.where(active[..., None], (p + q) / 2.0, p)
        active &= change > tol
        if not active.any():
            break
    return np.asarray(p, dtype=np.float64)


def _scalar_pce(
    u: FloatArray, w: FloatArray, prm: _Params, valid: BoolArray | None = None
) -> FloatArray:
    """KTAB ``Model::scalarPCE``: option probabilities from utilities (..., A, M)."""
    c = _coalitions(u, w, prm.voting_rule)
    return _pce(c, prm.victory_model, prm.pce_model, valid)


# ---------------------------------------------------------------------------
# utilities
