"""The exchange model's published procedure (see :mod:`offramp.forecast.exchange`)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from offramp.forecast._common import (
    FloatArray,
    ForecastTrace,
    weighted_mean,
    weighted_median,
)

__all__ = ["EXCHANGE_DTYPE"]

EXCHANGE_DTYPE = np.dtype(
    [
        ("i", np.int32),
        ("j", np.int32),
        ("p", np.int32),
        ("q", np.int32),
        ("move_i", np.float64),
        ("move_j", np.float64),
        ("gain_i", np.float64),
        ("gain_j", np.float64),
    ]
)
"""One realized exchange: ``j`` moved ``move_j`` on issue ``p`` towards ``i``, ``i``
moved ``move_i`` on issue ``q`` towards ``j``; padding rows have ``i == -1``."""


# --- the published procedure -----------------------------------------------------------


def _candidates(
    x: FloatArray,
    w: FloatArray,
    s: FloatArray,
    draws: FloatArray | None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, NDArray[np.bool_]]:
    """All possible exchanges (B, n, n, m, m): i demands p, j demands q.

    ``draws`` are uniform numbers for the random rate (``None``: equal gain).
    Returns the moves of ``i`` (on ``q``) and ``j`` (on ``p``), the outcome
    shifts on ``p`` and ``q``, the gains of ``i`` and ``j``, and feasibility.
    """
    n, m = x.shape[1:]
    total = w.sum(axis=1, keepdims=True)  # (B, 1, m)
    outcome = (w * x).sum(axis=1, keepdims=True) / total
    side = np.sign(x - outcome)  # (B, n, m)
    # feasibility: opposite sides on p and on q, i < j, p != q, salience ratios
    opp = (side[:, :, None, :] * side[:, None, :, :]) < 0  # (B, i, j, d)
    si = s[:, :, None, :, None]  # s_ip  (B, i, 1, p, 1)
    sj = s[:, None, :, :, None]  # s_jp
    siq = s[:, :, None, None, :]  # s_iq
    sjq = s[:, None, :, None, :]  # s_jq
    feasible = opp[:, :, :, :, None] & opp[:, :, :, None, :]
    feasible &= si * sjq > sj * siq
    pair = np.triu(np.ones((n, n), dtype=bool), 1)[None, :, :, None, None]
    diff = ~np.eye(m, dtype=bool)[None, None, None]
    feasible &= pair & diff
    wi_q = w[:, :, None, None, :]  # i supplies on q
    wj_p = w[:, None, :, :, None]  # j supplies on p
    gap_p = np.abs(x[:, :, None, :, None] - x[:, None, :, :, None])
    gap_q = np.abs(x[:, None, :, None, :] - x[:, :, None, None, :])
    tot_p = total[:, :, None, :, None]
    tot_q = total[:, :, None, None, :]
    if draws is not None:
        lo = sj / np.where(sjq > 0, sjq, np.inf)
        hi = si / np.where(siq > 0, siq, np.inf)
        hi = np.where(np.isfinite(hi), hi, lo + 1.0)
        ratio = lo + draws * (hi - lo)
    else:
        ratio = (si + sj) / np.where(siq + sjq > 0, siq + sjq, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        d_op = gap_p * wj_p / tot_p  # j moves all the way
        d_oq = d_op * ratio
        move_i = d_oq * tot_q / wi_q
        over = ~(move_i <= gap_q)
        d_oq = np.where(over, gap_q * wi_q / tot_q, d_oq)
        d_op = np.where(over, d_oq / np.where(ratio > 0, ratio, np.inf), d_op)
        move_i = np.where(over, gap_q, move_i)
        move_j = d_op * tot_p / wj_p
    gain_i = si * d_op - siq * d_oq
    gain_j = sjq * d_oq - sj * d_op
    feasible &= np.isfinite(move_i) & np.isfinite(move_j) & (gain_i > 0) & (gain_j > 0)
    feasible &= (move_i > 0) | (move_j > 0)
    return move_i, move_j, d_op, d_oq, np.stack([gain_i, gain_j]), feasible


def _round(
    x: FloatArray,
    w: FloatArray,
    s: FloatArray,
    random: bool,
    rng: np.random.Generator,
    slots: int,
) -> tuple[FloatArray, NDArray[np.void], FloatArray]:
    bsz, n, m = x.shape
    draws = rng.random((bsz, n, n, m, m)) if random else None
    move_i, move_j, d_op, d_oq, gains, feasible = _candidates(x, w, s, draws)
    score = gains[0] + gains[1] if random else gains[0]
    flat_score = np.where(feasible, score, -np.inf).reshape(bsz, -1)
    idx_i, idx_j, idx_p, idx_q = (
        a.ravel() for a in np.meshgrid(*(np.arange(k) for k in (n, n, m, m)), indexing="ij")
    )
    used = np.zeros((bsz, n, m), dtype=bool)
    new_x = x.copy()
    outcome = (w * x).sum(axis=1) / w.sum(axis=1)  # (B, m)
    records = np.zeros((bsz, slots), dtype=EXCHANGE_DTYPE)
    records["i"] = -1
    records["j"] = -1
    externality = np.zeros((bsz, n))
    rows = np.arange(bsz)
    for slot in range(slots):
        best = np.argmax(flat_score, axis=1)
        ok = np.isfinite(flat_score[rows, best])
        if not ok.any():
            break
        b = rows[ok]
        k = best[ok]
        i, j, p, q = idx_i[k], idx_j[k], idx_p[k], idx_q[k]
        mi = move_i.reshape(bsz, -1)[b, k]
        mj = move_j.reshape(bsz, -1)[b, k]
        new_x[b, i, q] += np.sign(x[b, j, q] - x[b, i, q]) * mi
        new_x[b, j, p] += np.sign(x[b, i, p] - x[b, j, p]) * mj
        used[b, i, q] = True
        used[b, j, p] = True
        rec = records[b, slot]
        rec["i"], rec["j"], rec["p"], rec["q"] = i, j, p, q
        rec["move_i"], rec["move_j"] = mi, mj
        rec["gain_i"] = gains[0].reshape(bsz, -1)[b, k]
        rec["gain_j"] = gains[1].reshape(bsz, -1)[b, k]
        records[b, slot] = rec
        # externalities for third parties, each exchange judged from the round's outcome
        shift_p = np.sign(x[b, i, p] - outcome[b, p]) * d_op.reshape(bsz, -1)[b, k]
        shift_q = np.sign(x[b, j, q] - outcome[b, q]) * d_oq.reshape(bsz, -1)[b, k]
        for issue, shift in ((p, shift_p), (q, shift_q)):
            pos = x[b, :, issue]  # (b, n)
            before = np.abs(outcome[b, issue][:, None] - pos)
            after = np.abs((outcome[b, issue] + shift)[:, None] - pos)
            ext = s[b, :, issue] * (before - after)
            ext[np.arange(b.size), i] = 0.0
            ext[np.arange(b.size), j] = 0.0
            externality[b] += ext
        # drop candidates that would move an already moved position
        taken = used[:, idx_i, idx_q] | used[:, idx_j, idx_p]  # (B, K)
        flat_score[taken] = -np.inf
    return new_x, records, externality


def _trace(
    xs: FloatArray,
    w: FloatArray,
    records: NDArray[np.void],
    events: dict[str, NDArray[np.generic]],
    params: dict[str, object],
) -> ForecastTrace:
    """Package positions per round (B, R+1, n, m) with the per-issue statistics."""
    bsz, r1, n, m = xs.shape
    flat = np.moveaxis(xs, 3, 2).reshape(-1, n)
    wt = np.broadcast_to(np.moveaxis(w, 2, 1)[:, None], (bsz, r1, m, n)).reshape(-1, n)
    mean = weighted_mean(flat, wt).reshape(bsz, r1, m)
    med = weighted_median(flat, wt).reshape(bsz, r1, m)
    return ForecastTrace(
        model="exchange",
        positions=xs,
        forecast=mean.copy(),
        mean=mean,
        median=med,
        events={"exchanges": records, **events},
        params=params,
    )


def _engine(
    x0: FloatArray,
    w: FloatArray,
    s: FloatArray,
    rounds: int,
    random: bool,
    rng: np.random.Generator,
    params: dict[str, object],
) -> ForecastTrace:
    bsz, n, m = x0.shape
    slots = max(1, n * m // 2)
    xs = np.empty((bsz, rounds + 1, n, m))
    xs[:, 0] = x0
    records = np.zeros((bsz, rounds, slots), dtype=EXCHANGE_DTYPE)
    records["i"] = -1
    records["j"] = -1
    externality = np.zeros((bsz, rounds, n))
    x = x0.copy()
    for k in range(rounds):
        x, records[:, k], externality[:, k] = _round(x, w, s, random, rng, slots)
        xs[:, k + 1] = x
    return _trace(xs, w, records, {"externality": externality}, params)
