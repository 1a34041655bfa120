"""The exchange model's DECIDE procedure (see :mod:`offramp.forecast.exchange`)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from offramp.forecast._common import (
    FloatArray,
    ForecastTrace,
)
from offramp.forecast._exchange_published import EXCHANGE_DTYPE, _trace

__all__ = []


# --- the DECIDE procedure ---------------------------------------------------------------

_TINY = 1e-10  # DECIDE's thresholds for a zero move and a zero gain
_TIE = 1e-9  # tolerance for DECIDE's exact decimal ties, on the 0-100 scale
_SALIENCE_WEIGHT = 0.4  # DECIDE's weights for the next round's start positions
_FIXED_WEIGHT = 0.1


def _decide_candidates(n: int, m: int) -> tuple[NDArray[np.intp], ...]:
    """Every (issue pair, p < q, actor u, actor v != u), in DECIDE's list order."""
    pairs = [(p, q) for p in range(m) for q in range(p + 1, m)]
    rows = [
        (k, p, q, u, v)
        for k, (p, q) in enumerate(pairs)
        for u in range(n)
        for v in range(n)
        if u != v
    ]
    arr = np.array(rows, dtype=np.intp).reshape(-1, 5)
    return tuple(arr[:, k] for k in range(5))


def _valid_move(
    hist_sum: FloatArray,
    hist_min: FloatArray,
    hist_max: FloatArray,
    supply: FloatArray,
    move: FloatArray,
) -> NDArray[np.bool_]:
    """DECIDE's move check on the record of moves (earlier entries + this ``move``)."""
    size = np.abs(move)
    lo = np.minimum(hist_min, move)
    hi = np.maximum(hist_max, move)
    return (
        (size <= 100.0)
        & (size > _TINY)
        & (supply + move >= 0.0)
        & (supply + move <= 100.0)
        & (hist_sum + move <= 100.0)
        & (((lo < 0) & (hi < 0)) | ((lo > 0) & (hi > 0)))
    )


class _DecideRound:
    """The state of every candidate exchange (B, K) during one DECIDE round."""

    def __init__(self, z: FloatArray, w: FloatArray, s: FloatArray) -> None:
        bsz, n, m = z.shape
        pair, p, q, u, v = _decide_candidates(n, m)
        self.p, self.q = p, q
        rows = np.arange(bsz)[:, None]
        total = w.sum(axis=1)  # (B, m)
        outcome = (w * z).sum(axis=1) / total
        left = z <= outcome[:, None, :] + _TIE
        gu = left[:, u, p].astype(np.int8) + 2 * left[:, u, q]
        gv = left[:, v, p].astype(np.int8) + 2 * left[:, v, q]
        second = (gu == 1) & (gv == 2)
        self.alive = ((gu == 0) & (gv == 3)) | second
        # the list order: issue pair, then the A-D block before the B-C block, then actors
        self.rank = ((pair * 2 + second) * n + u) * n + v
        swap = s[:, u, p] / s[:, u, q] < s[:, v, p] / s[:, v, q]
        # I supplies q and demands p, J supplies p and demands q
        self.I = np.where(swap, v, u)
        self.J = np.where(swap, u, v)
        big_i, big_j = self.I, self.J
        self.z, self.w = z, w
        self.sIp, self.sIq = s[rows, big_i, p], s[rows, big_i, q]
        self.sJp, self.sJq = s[rows, big_j, p], s[rows, big_j, q]
        self.wIq, self.wJp = w[rows, big_i, q], w[rows, big_j, p]
        self.Wp, self.Wq = total[:, p], total[:, q]
        self.demI, self.demJ = z[rows, big_i, p], z[rows, big_j, q]
        self.startI, self.startJ = z[rows, big_i, q].copy(), z[rows, big_j, p].copy()
        self.supI, self.supJ = self.startI.copy(), self.startJ.copy()
        # weighted sums of everyone's start position but the supplier's, per issue;
        # the recorded updates (B, K, n) shift them; the supplier's own entry is kept apart
        wz = (w * z).sum(axis=1)  # (B, m)
        self.restQ = wz[:, q] - self.wIq * self.startI
        self.restP = wz[:, p] - self.wJp * self.startJ
        self.updQ = np.full((bsz, p.size, n), np.nan)
        self.updP = np.full((bsz, p.size, n), np.nan)
        self.ownQ = np.full(self.restQ.shape, np.nan)
        self.ownP = np.full(self.restP.shape, np.nan)
        shape = self.I.shape
        self.hsI, self.hsJ = np.zeros(shape), np.zeros(shape)
        self.hminI, self.hminJ = np.full(shape, np.inf), np.full(shape, np.inf)
        self.hmaxI, self.hmaxJ = np.full(shape, -np.inf), np.full(shape, -np.inf)
        self.moveI, self.moveJ = np.zeros(shape), np.zeros(shape)
        self.yI, self.yJ = self.supI.copy(), self.supJ.copy()
        self.gain = np.zeros(shape)
        self.nbs = np.zeros((4, *shape))  # I before/after on q, J before/after on p
        bb, kk = np.nonzero(self.alive)
        self.alive[bb, kk] = self._calculate(bb, kk)

    def _calculate(self, bb: NDArray[np.intp], kk: NDArray[np.intp]) -> NDArray[np.bool_]:
        """Recompute the exchanges at (``bb``, ``kk``) from their state; return validity."""
        at = (bb, kk)
        supI, supJ, demI, demJ = self.supI[at], self.supJ[at], self.demI[at], self.demJ[at]
        sIp, sIq, sJp, sJq = self.sIp[at], self.sIq[at], self.sJp[at], self.sJq[at]
        wIq, wJp, Wp, Wq = self.wIq[at], self.wJp[at], self.Wp[at], self.Wq[at]
        hist_i = (self.hsI[at], self.hminI[at], self.hmaxI[at])
        hist_j = (self.hsJ[at], self.hminJ[at], self.hmaxJ[at])
        gap_j = np.abs(demI - supJ)
        gap_i = np.abs(demJ - supI)
        dp = gap_j * wJp / Wp  # J moves all the way to I's position on p
        dq = dp * ((sJp + sIp) / (sJq + sIq))
        move_i = dq * Wq / wIq
        move_j = gap_j
        over = move_i > gap_i  # then I moves all the way to J's position on q
        dq = np.where(over, gap_i * wIq / Wq, dq)
        dp = np.where(over, dq * ((sIq + sJq) / (sIp + sJp)), dp)
        move_i = np.where(over, gap_i, move_i)
        move_j = np.where(over, dp * Wp / wJp, move_j)
        move_i = np.where(supI > demJ, -move_i, move_i)
        move_j = np.where(supJ > demI, -move_j, move_j)
        gain = np.abs(dq * sIq - dp * sIp)
        ok = (
            _valid_move(*hist_i, supI, move_i)
            & _valid_move(*hist_j, supJ, move_j)
            & (gain >= _TINY)
        )
        # the outcome cap, first on I's supply issue q, then on J's supply issue p
        rest_q, rest_p = self.restQ[at], self.restP[at]
        # DECIDE measures the capped move from the supplier's recorded position, if any
        own_q = np.where(np.isnan(self.ownQ[at]), supI, self.ownQ[at])
        own_p = np.where(np.isnan(self.ownP[at]), supJ, self.ownP[at])
        nbs0_i = (rest_q + wIq * supI) / Wq
        nbs1_i = (rest_q + wIq * (supI + move_i)) / Wq
        cross = ok & _passes(demJ, nbs0_i, nbs1_i)
        delta = np.abs((demJ * Wq - rest_q) / wIq - own_q)
        d_a = delta * wIq / Wq
        d_o = d_a * ((sIq + sJq) / (sIp + sJp))
        move_o = np.abs(d_o * Wp / wJp)
        move_i = np.where(cross, np.where(supI > demJ, -delta, delta), move_i)
        move_j = np.where(cross, np.where(supJ > demI, -move_o, move_o), move_j)
        gain = np.where(cross, np.abs(d_o * sJp - d_a * sJq), gain)
        nbs1_i = np.where(cross, (rest_q + wIq * (supI + move_i)) / Wq, nbs1_i)
        nbs0_j = (rest_p + wJp * supJ) / Wp
        nbs1_j = (rest_p + wJp * (supJ + move_j)) / Wp
        cross = ok & _passes(demI, nbs0_j, nbs1_j)
        delta = np.abs((demI * Wp - rest_p) / wJp - own_p)
        d_a = delta * wJp / Wp
        d_o = d_a * ((sJp + sIp) / (sJq + sIq))
        move_o = np.abs(d_o * Wq / wIq)
        move_j = np.where(cross, np.where(supJ > demI, -delta, delta), move_j)
        move_i = np.where(cross, np.where(supI > demJ, -move_o, move_o), move_i)
        gain = np.where(cross, np.abs(d_o * sIq - d_a * sIp), gain)
        nbs1_j = np.where(cross, (rest_p + wJp * (supJ + move_j)) / Wp, nbs1_j)
        ok &= _valid_move(*hist_i, supI, move_i) & _valid_move(*hist_j, supJ, move_j)
        self.moveI[at], self.moveJ[at] = move_i, move_j
        self.yI[at], self.yJ[at] = supI + move_i, supJ + move_j
        self.gain[at] = gain
        self.nbs[:, bb, kk] = np.stack([nbs0_i, nbs1_i, nbs0_j, nbs1_j])
        return np.asarray(ok, dtype=np.bool_)

    def pick(self) -> tuple[NDArray[np.bool_], NDArray[np.intp]]:
        """Sort the list by gain (stable, as DECIDE does) and take the first per draw."""
        bb, kk = np.nonzero(self.alive)
        order = np.lexsort((self.rank[bb, kk], -self.gain[bb, kk], bb))
        bb, kk = bb[order], kk[order]
        counts = np.bincount(bb, minlength=self.alive.shape[0])
        firsts = np.cumsum(counts) - counts
        self.rank[bb, kk] = np.arange(bb.size) - firsts[bb]
        active = counts > 0
        best = np.zeros(counts.size, dtype=np.intp)
        best[active] = kk[firsts[active]]
        return active, best

    def realize(self, active: NDArray[np.bool_], best: NDArray[np.intp]) -> None:
        """Apply the realized exchange ``best`` to every remaining one and recalculate."""
        b = np.arange(best.size)
        self.alive[b[active], best[active]] = False
        bb, kk = np.nonzero(self.alive & active[:, None])  # the remaining exchanges
        ri, rj = self.I[b, best][bb], self.J[b, best][bb]
        rp, rq = self.p[best][bb], self.q[best][bb]
        yri, yrj = self.yI[b, best][bb], self.yJ[b, best][bb]
        start_ri, start_rj = self.startI[b, best][bb], self.startJ[b, best][bb]
        big_i, big_j, p, q = self.I[bb, kk], self.J[bb, kk], self.p[kk], self.q[kk]
        # a supplier's actor-issue moved: start from its new position, keep the old move
        redo = np.zeros(bb.size, dtype=bool)
        for sup, moves, hist, conditions in (
            (
                self.supI,
                self.moveI,
                (self.hsI, self.hminI, self.hmaxI),
                (((big_i == ri) & (q == rq), yri), ((big_i == rj) & (q == rp), yrj)),
            ),
            (
                self.supJ,
                self.moveJ,
                (self.hsJ, self.hminJ, self.hmaxJ),
                (((big_j == ri) & (p == rq), yri), ((big_j == rj) & (p == rp), yrj)),
            ),
        ):
            for hit, y in conditions:
                at = (bb[hit], kk[hit])
                sup[at] = y[hit]
                last = moves[at]
                hist[0][at] += last
                hist[1][at] = np.minimum(hist[1][at], last)
                hist[2][at] = np.maximum(hist[2][at], last)
                redo |= hit
        # the same demander on the same issue: record the realized supplier's position
        for upd, rest, own, supplier, hit, who, y, start, issue in (
            (
                self.updQ,
                self.restQ,
                self.ownQ,
                big_i,
                (big_j == rj) & (q == rq),
                ri,
                yri,
                start_ri,
                rq,
            ),
            (
                self.updP,
                self.restP,
                self.ownP,
                big_j,
                (big_i == rj) & (p == rq),
                ri,
                yri,
                start_ri,
                rq,
            ),
            (
                self.updQ,
                self.restQ,
                self.ownQ,
                big_i,
                (big_j == ri) & (q == rp),
                rj,
                yrj,
                start_rj,
                rp,
            ),
            (
                self.updP,
                self.restP,
                self.ownP,
                big_j,
                (big_i == ri) & (p == rp),
                rj,
                yrj,
                start_rj,
                rp,
            ),
        ):
            redo |= hit
            if not hit.any():
                continue
            hb, hk, a, d = bb[hit], kk[hit], who[hit], issue[hit]
            old = upd[hb, hk, a]
            yy, st = y[hit], start[hit]
            kept = np.where(st <= old, np.minimum(old, yy), np.maximum(old, yy))
            new = np.where(np.isnan(old), yy, kept)
            upd[hb, hk, a] = new
            mine = supplier[hit] == a
            own[hb[mine], hk[mine]] = new[mine]
            o = ~mine
            was = np.where(np.isnan(old[o]), self.z[hb[o], a[o], d[o]], old[o])
            rest[hb[o], hk[o]] += self.w[hb[o], a[o], d[o]] * (new[o] - was)
        if redo.any():
            self.alive[bb[redo], kk[redo]] = self._calculate(bb[redo], kk[redo])


def _passes(x: FloatArray, before: FloatArray, after: FloatArray) -> NDArray[np.bool_]:
    """Whether the outcome moves from ``before`` past the demander's position ``x``."""
    below = (x - before >= -_TIE) & (x - after >= -_TIE)
    above = (x - before <= _TIE) & (x - after <= _TIE)
    return np.asarray(~below & ~above, dtype=np.bool_)


def _decide_round(
    z: FloatArray, w: FloatArray, s: FloatArray, scale: FloatArray
) -> tuple[FloatArray, FloatArray, NDArray[np.void], FloatArray]:
    """One DECIDE round on normalized positions: voting and next start positions."""
    bsz, n, m = z.shape
    voting = z.copy()
    externality = np.zeros((bsz, n))
    steps: list[NDArray[np.void]] = []
    if m < 2:
        return voting, z.copy(), np.zeros((bsz, 0), dtype=EXCHANGE_DTYPE), externality
    state = _DecideRound(z, w, s)
    b = np.arange(bsz)
    while True:
        active, best = state.pick()
        if not active.any():
            break
        a = b[active]
        k = best[active]
        ri, rj = state.I[a, k], state.J[a, k]
        rp, rq = state.p[k], state.q[k]
        voting[a, ri, rq] = state.yI[a, k]
        voting[a, rj, rp] = state.yJ[a, k]
        rec = np.zeros(bsz, dtype=EXCHANGE_DTYPE)
        rec["i"] = -1
        rec["j"] = -1
        rec["i"][a], rec["j"][a], rec["p"][a], rec["q"][a] = ri, rj, rp, rq
        rec["move_i"][a] = np.abs(state.moveI[a, k]) * scale[rq]
        rec["move_j"][a] = np.abs(state.moveJ[a, k]) * scale[rp]
        rec["gain_i"][a] = rec["gain_j"][a] = state.gain[a, k]
        steps.append(rec)
        # externalities for third parties, from the outcomes the exchange computed
        nbs = state.nbs[:, a, k]
        for issue, before, after in ((rq, nbs[0], nbs[1]), (rp, nbs[2], nbs[3])):
            pos = z[a, :, issue]
            ext = s[a, :, issue] * (np.abs(before[:, None] - pos) - np.abs(after[:, None] - pos))
            ext[np.arange(a.size), ri] = 0.0
            ext[np.arange(a.size), rj] = 0.0
            externality[a] += ext * scale[issue][:, None]
        state.realize(active, best)
    records = np.stack(steps, axis=1) if steps else np.zeros((bsz, 0), dtype=EXCHANGE_DTYPE)
    keep = (1.0 - s) * _SALIENCE_WEIGHT
    start = keep * voting + _FIXED_WEIGHT * voting + (1.0 - keep - _FIXED_WEIGHT) * z
    start = np.where(voting == z, z, start)
    return voting, start, records, externality


def _decide_engine(
    x0: FloatArray,
    w: FloatArray,
    s: FloatArray,
    rounds: int,
    lo: FloatArray,
    hi: FloatArray,
    params: dict[str, object],
) -> ForecastTrace:
    bsz, n, m = x0.shape
    step = 100.0 / (hi - lo)  # DECIDE's normalization of each issue to 0-100
    scale = 1.0 / step  # (m,): from the 0-100 scale back to the input's
    z0 = (x0 - lo) * step
    voting = np.empty((bsz, rounds + 1, n, m))
    starts = np.empty((bsz, rounds + 1, n, m))
    voting[:, 0] = starts[:, 0] = z0
    externality = np.zeros((bsz, rounds, n))
    parts: list[list[NDArray[np.void]]] = [[] for _ in range(rounds)]
    k_pairs = max(1, m * (m - 1) // 2 * n * (n - 1))
    chunk = max(1, 2_000_000 // (k_pairs * n))
    for first in range(0, bsz, chunk):
        sl = slice(first, min(first + chunk, bsz))
        z = z0[sl]
        for k in range(rounds):
            vote, z, recs, externality[sl, k] = _decide_round(z, w[sl], s[sl], scale)
            voting[sl, k + 1] = vote
            starts[sl, k + 1] = z
            parts[k].append(recs)
    width = max([1, *(p.shape[1] for chunks in parts for p in chunks)])
    records = np.zeros((bsz, rounds, width), dtype=EXCHANGE_DTYPE)
    records["i"] = -1
    records["j"] = -1
    for k, chunks in enumerate(parts):
        first = 0
        for part in chunks:
            records[first : first + part.shape[0], k, : part.shape[1]] = part
            first += part.shape[0]
    events: dict[str, NDArray[np.generic]] = {
        "externality": externality,
        "start_positions": starts * scale + lo,
    }
    return _trace(voting * scale + lo, w, records, events, params)
