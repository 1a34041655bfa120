"""Stokman's exchange model of voting positions (Stokman & Van Oosten 1994).

Actors care more about some issues than others, so two actors who oppose each
other on two issues can both gain by trading: each shifts its *voting
position* on the issue it cares less about towards the other's position, and
in return gets the other to shift on the issue it cares more about.

Per issue ``d`` the expected outcome is the capability x salience weighted
mean of the voting positions, ``O_d = sum_i c_id s_id x_id / sum_i c_id s_id``.
An actor ``i`` who shifts by ``dx`` on ``d`` moves the outcome by
``dx c_id s_id / W_d`` (``W_d = sum_i c_id s_id``), and an actor's utility
change from an outcome shift is its salience times the shift towards (+) or
away from (-) its position.  One round (``procedure="published"``, the
default):

1. Every pair of actors ``i, j`` who are on opposite sides of the outcome on
   two issues ``p, q``, and whose salience ratios differ
   (``s_ip / s_iq > s_jp / s_jq``), can exchange: ``j`` shifts on ``p``
   towards ``i`` and ``i`` shifts on ``q`` towards ``j``.
2. **Equal gain** (the default): the outcome shifts satisfy
   ``dO_q / dO_p = (s_ip + s_jp) / (s_iq + s_jq)``, which gives both actors the
   same gain.  ``j`` first moves all the way to ``x_ip``; if that would require
   ``i`` to move beyond ``x_jq``, ``i`` moves all the way to ``x_jq`` instead
   and ``j``'s move is scaled down.
   **Random rate**: the ratio is drawn uniformly between the two values at
   which one of the two actors would gain nothing, ``s_jp / s_jq`` and
   ``s_ip / s_iq``.
3. Exchanges are realized in order of decreasing gain (equal gain) or total
   gain (random rate); an actor's voting position on an issue can be moved by
   one exchange per round, so exchanges that would move an already moved
   position are dropped.
4. **Externalities**: each realized exchange shifts two outcomes and so helps
   or hurts third parties, by ``s_kd (|O_d - x_kd| - |O_d + dO_d - x_kd|)``
   summed over the two issues.
5. The voting positions after the exchanges are the positions of the next
   round.

Interpretive choices of the published procedure
-----------------------------------------------
* Actors exactly at an outcome are on neither side and do not exchange on
  that issue; equal salience ratios give no exchange.
* One exchange per actor-issue per round (step 3) is offramp's reading, which
  keeps every realized exchange as it was computed; the published text could
  not be consulted from where this was written (see docs/forecast.md).
* The forecast per issue is the weighted mean of the voting positions after
  each round.
* Exact ties in gain go to the first candidate in (i, j, p, q) order.

The DECIDE procedure (``procedure="decide"``)
---------------------------------------------
The DECIDE software (``decide-exchange-model`` on PyPI, version 2022.1.28,
by J. Draaijer for Stokman's group; GPL, read to learn its procedure and
checked against in ``benchmarks/bench_forecast.py``, never copied) implements
the equal-gain model with choices the published description does not make.
``procedure="decide"`` reproduces them, to ~1e-9 of DECIDE's voting positions
(except at exact ties in DECIDE's decimal arithmetic, see below):

* Positions are normalized to 0-100 on each issue's ``bounds``; an actor at
  or left of the outcome counts as left.  Candidate pairs are the actors right
  of the outcome on both issues with those left on both, and those left on the
  first and right on the second with the reverse, for each issue pair in
  order; the list order breaks exact ties in gain (Python's stable sort).
* After each realized exchange every remaining exchange that shares a
  supplier's actor-issue starts from the supplier's new voting position, and
  every remaining exchange whose demander is the demander of the realized
  exchange on the same issue records the realized supplier's new position
  (kept between its earlier recorded value and the new one, as DECIDE's
  ``update_updates`` does); those exchanges are recalculated.  Positions can
  therefore move in several exchanges per round, and the last one stands.
* Every exchange is checked against the outcome it would produce with the
  recorded positions: if it would carry the outcome past the demander's
  position, the supplier's move is cut so that the outcome stops there
  (measured from the supplier's own recorded position if DECIDE has recorded
  one; reproduced), and the partner's move is rescaled for equal gain.
* A move is valid if it is larger than 1e-10 and at most 100, keeps the
  position within 0-100, the sum of the actor's recorded moves in the exchange
  is at most 100 and all of them have one sign (DECIDE keeps a stale entry
  in that record after a supplier's position is moved; reproduced); exchanges
  with a gain under 1e-10 are invalid.
* The next round starts from ``x + (0.4 (1 - s) + 0.1) (y - x)``: each moved
  position goes only part of the way from its start ``x`` to its voting
  position ``y``, less far the more salient the issue (DECIDE's
  ``new_start_position`` with its salience weight 0.4 and fixed weight 0.1;
  saliences are read on 0-1).
* Gains are reported on the normalized 0-100 scale, as DECIDE compares them;
  externalities are judged from the outcomes each exchange computed with its
  recorded positions (DECIDE's ``nbs_0``/``nbs_1``).
* DECIDE works in 28-digit decimal arithmetic; here the two comparisons
  that are exact ties in that arithmetic (an actor at the outcome, an outcome
  landing on the demander's position) use a tolerance of 1e-9 on the 0-100
  scale, so that float rounding does not flip them.
* DECIDE's random-rate model does not run (2022.1.28 raises AttributeError
  while building its exchanges), and its randomized equal-gain variant draws
  from Python's global random generator in call order, so only the equal-gain
  rate is offered with this procedure.

References
----------
.. [1] Stokman, F. N. & Van Oosten, R. (1994). The exchange of voting positions:
   an object-oriented model of policy networks. In Bueno de Mesquita & Stokman
   (eds.), European Community Decision Making, Yale University Press, 105-127.
.. [2] Stokman, F. N., Van Assen, M. A. L. M., Van der Knoop, J. & Van Oosten,
   R. C. H. (2000). Strategic decision making. Advances in Group Processes 17,
   131-153. https://doi.org/10.1016/S0882-6145(00)17006-4
.. [3] Arregui, J., Stokman, F. N. & Thomson, R. (2006). Compromise, exchange and
   challenge in the European Union. In Thomson et al. (eds.), The European Union
   Decides, Cambridge University Press, 124-152.
   https://doi.org/10.1017/CBO9780511492082.007
.. [4] Draaijer, J. (2022). decide-exchange-model 2022.1.28 (software).
   https://pypi.org/project/decide-exchange-model/
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from offramp.forecast._common import (
    FloatArray,
    ForecastInputError,
    ForecastTrace,
    check_inputs,
    weighted_mean,
    weighted_median,
)

__all__ = ["EXCHANGE_DTYPE", "exchange"]

Rate = Literal["equal_gain", "random"]
Procedure = Literal["published", "decide"]

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


def exchange(
    positions: ArrayLike,
    capability: ArrayLike,
    salience: ArrayLike,
    *,
    rounds: int = 1,
    rate: Rate = "equal_gain",
    seed: int | np.random.Generator | None = None,
    procedure: Procedure = "published",
    bounds: ArrayLike = (0.0, 100.0),
) -> ForecastTrace:
    """Run Stokman's exchange model of voting positions.

    Parameters
    ----------
    positions : array_like, shape (B, n, m) or (n, m)
        Position of each actor on each issue, per draw, on any scale.
    capability : array_like, shape (B, n, m), (n, m), (B, n) or (n,)
        Non-negative capability, per actor-issue or per actor.
    salience : array_like, same shapes as ``capability``
        Non-negative salience per actor-issue.
    rounds : int, default 1
        Rounds of exchange; each starts from the previous round's positions.
    rate : {"equal_gain", "random"}, default "equal_gain"
        How the exchange rate is set (see the module docstring).
    seed : int, Generator or None
        Random source for ``rate="random"``.
    procedure : {"published", "decide"}, default "published"
        ``"published"``: the procedure of Stokman & Van Oosten (1994) as read
        here, one exchange per actor-issue per round.  ``"decide"``: the
        procedure of the DECIDE software (recalculation after every exchange,
        its outcome cap, move checks and partial moves of the next round's
        start positions; equal gain only, positive capability and salience).
        The module docstring lists the differences.
    bounds : array_like, shape (2,) or (m, 2), default (0, 100)
        ``procedure="decide"`` only: each issue's scale ``(lower, upper)``,
        which DECIDE normalizes to 0-100; positions must lie within it.

    Returns
    -------
    ForecastTrace
        ``positions`` (B, R+1, n, m): the start, then the voting positions after
        each round; ``forecast`` = ``mean`` (B, R+1, m), the expected outcome per
        issue; ``median`` per issue.  ``events``: ``"exchanges"`` (B, R, E) of
        :data:`EXCHANGE_DTYPE`, in the order realized (padding rows have
        ``i == -1``); ``"externality"`` (B, R, n), the utility each actor
        gained or lost from exchanges it was not party to; with
        ``procedure="decide"`` also ``"start_positions"`` (B, R+1, n, m), the
        position each round starts from (the last row: the next round's).

    Raises
    ------
    ForecastInputError
        On malformed arrays or parameters.

    References
    ----------
    Stokman & Van Oosten (1994); Arregui, Stokman & Thomson (2006),
    https://doi.org/10.1017/CBO9780511492082.007

    Examples
    --------
    >>> x = [[0.0, 0.0], [100.0, 100.0]]
    >>> trace = exchange(x, [1.0, 1.0], [[0.8, 0.2], [0.2, 0.8]])
    >>> trace.positions[0, 1].tolist()
    [[0.0, 100.0], [0.0, 100.0]]
    >>> trace.forecast[0].tolist()
    [[20.0, 80.0], [0.0, 100.0]]
    >>> decide = exchange(x, [1.0, 1.0], [[0.8, 0.2], [0.2, 0.8]], procedure="decide")
    >>> decide.positions[0, 1].tolist()
    [[0.0, 100.0], [0.0, 100.0]]
    >>> decide.events["start_positions"][0, 1].round(6).tolist()
    [[0.0, 42.0], [58.0, 100.0]]
    """
    x, c, s = check_inputs(positions, capability, salience, issues=True)
    if not isinstance(rounds, int | np.integer) or rounds < 0:
        raise ForecastInputError(f"rounds must be a non-negative integer; got {rounds!r}")
    if rate not in ("equal_gain", "random"):
        raise ForecastInputError(f"rate must be 'equal_gain' or 'random'; got {rate!r}")
    if procedure not in ("published", "decide"):
        raise ForecastInputError(f"procedure must be 'published' or 'decide'; got {procedure!r}")
    params: dict[str, object] = {"rounds": int(rounds), "rate": rate, "procedure": procedure}
    if procedure == "decide":
        lo, hi = _check_decide(x, c, s, rate, bounds)
        params["bounds"] = np.stack([lo, hi], axis=-1).tolist()
        return _decide_engine(x, c * s, s, int(rounds), lo, hi, params)
    rng = np.random.default_rng(seed)
    return _engine(x, c * s, s, int(rounds), rate == "random", rng, params)


def _check_decide(
    x: FloatArray, c: FloatArray, s: FloatArray, rate: str, bounds: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Validate the inputs that only the DECIDE procedure needs; return per-issue bounds."""
    if rate != "equal_gain":
        raise ForecastInputError(
            "procedure='decide' supports rate='equal_gain' only: DECIDE's random-rate"
            " model does not run (decide-exchange-model 2022.1.28)"
        )
    m = x.shape[2]
    try:
        b = np.asarray(bounds, dtype=np.float64)
        b = np.broadcast_to(b, (m, 2)) if b.ndim <= 2 else b
    except (TypeError, ValueError) as err:
        raise ForecastInputError(
            f"bounds must be (lower, upper) or one (lower, upper) per issue; got {bounds!r}"
        ) from err
    if b.shape != (m, 2) or not np.isfinite(b).all() or np.any(b[:, 1] <= b[:, 0]):
        raise ForecastInputError(
            f"bounds must be finite (lower, upper) with lower < upper, shape (2,) or ({m}, 2);"
            f" got {np.asarray(bounds).tolist()!r}"
        )
    lo, hi = b[:, 0].copy(), b[:, 1].copy()
    if np.any(x < lo) or np.any(x > hi):
        raise ForecastInputError(
            f"procedure='decide' needs every position within its issue's bounds {b.tolist()};"
            f" got positions from {x.min()} to {x.max()} (pass bounds=(lower, upper))"
        )
    if np.any(c <= 0) or np.any(s <= 0):
        raise ForecastInputError(
            "procedure='decide' needs capability and salience > 0 for every actor on every"
            " issue (DECIDE divides by them); drop the actor or give it a small weight"
        )
    return lo, hi


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
