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
away from (-) its position.  One round:

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
   gain (random rate); by default an actor's voting position on an issue can
   be moved by one exchange per round, so exchanges that would move an
   already moved position are dropped (see ``recalculate``).
4. **Externalities**: each realized exchange shifts two outcomes and so helps
   or hurts third parties, by ``s_kd (|O_d - x_kd| - |O_d + dO_d - x_kd|)``
   summed over the two issues.
5. The voting positions after the exchanges are the positions of the next
   round.

Interpretive choices
--------------------
* Actors exactly at an outcome are on neither side and do not exchange on
  that issue; equal salience ratios give no exchange.
* By default, exchanges that would move an already moved position are
  dropped; ``recalculate=True`` instead recalculates the remaining exchanges
  from the voting positions reached so far, as the DECIDE software does
  (without DECIDE's cap on outcome shifts past the demander's position);
  agreement with DECIDE is reported in docs/forecast.md.
* The forecast per issue is the weighted mean of the voting positions after
  each round; the DECIDE software's further rule that moves the *next* round's
  starting positions only part of the way to the voting positions is not
  applied.
* Exact ties in gain go to the first candidate in (i, j, p, q) order.

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
    recalculate: bool = False,
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
        Rounds of exchange; each starts from the previous voting positions.
    rate : {"equal_gain", "random"}, default "equal_gain"
        How the exchange rate is set (see the module docstring).
    seed : int, Generator or None
        Random source for ``rate="random"``.
    recalculate : bool, default False
        After each realized exchange, recalculate the remaining ones from the
        voting positions reached so far (sides, outcomes and directions stay
        those of the round's start; a pair whose positions have met has
        nothing left to trade), instead of dropping every exchange that would
        move an already moved position.  This is how the DECIDE software proceeds
        (``remove_invalid_exchanges``/``recalculate``); the published
        description was not available to check it against, so it is an
        option, not the default.

    Returns
    -------
    ForecastTrace
        ``positions`` (B, R+1, n, m) voting positions; ``forecast`` = ``mean``
        (B, R+1, m), the expected outcome per issue; ``median`` per issue.
        ``events``: ``"exchanges"`` (B, R, E) of :data:`EXCHANGE_DTYPE`, in the
        order realized (``E = n m // 2``, more with ``recalculate``; padding
        rows have ``i == -1``); ``"externality"`` (B, R, n), the
        utility each actor gained or lost from exchanges it was not party to.

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
    """
    x, c, s = check_inputs(positions, capability, salience, issues=True)
    if not isinstance(rounds, int | np.integer) or rounds < 0:
        raise ForecastInputError(f"rounds must be a non-negative integer; got {rounds!r}")
    if rate not in ("equal_gain", "random"):
        raise ForecastInputError(f"rate must be 'equal_gain' or 'random'; got {rate!r}")
    rng = np.random.default_rng(seed)
    params: dict[str, object] = {
        "rounds": int(rounds),
        "rate": rate,
        "recalculate": bool(recalculate),
    }
    return _engine(x, c * s, s, int(rounds), rate == "random", rng, params)


def _candidates(
    x: FloatArray,
    w: FloatArray,
    s: FloatArray,
    draws: FloatArray | None,
    current: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, NDArray[np.bool_]]:
    """All possible exchanges (B, n, n, m, m): i demands p, j demands q.

    Sides and the outcome are those of the round's start positions ``x``; the
    distances to cover are between the ``current`` voting positions (default
    ``x``).  ``draws`` are uniform numbers for the random rate (``None``: equal
    gain).  Returns the moves of ``i`` (on ``q``) and ``j`` (on ``p``), the
    outcome shifts on ``p`` and ``q``, the gains of ``i`` and ``j``, and
    feasibility.
    """
    n, m = x.shape[1:]
    total = w.sum(axis=1, keepdims=True)  # (B, 1, m)
    outcome = (w * x).sum(axis=1, keepdims=True) / total
    side = np.sign(x - outcome)  # (B, n, m)
    if current is None:
        current = x
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
    # distances still to cover, in the direction of the start positions (j towards i on p,
    # i towards j on q); a pair whose current positions have crossed has none left
    toward_p = np.sign(x[:, :, None, :, None] - x[:, None, :, :, None])
    toward_q = np.sign(x[:, None, :, None, :] - x[:, :, None, None, :])
    gap_p = np.maximum(
        toward_p * (current[:, :, None, :, None] - current[:, None, :, :, None]), 0.0
    )
    gap_q = np.maximum(
        toward_q * (current[:, None, :, None, :] - current[:, :, None, None, :]), 0.0
    )
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
    recalculate: bool = False,
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
    done = np.zeros((bsz, n * n * m * m), dtype=bool)
    new_x = x.copy()
    outcome = (w * x).sum(axis=1) / w.sum(axis=1)  # (B, m)
    if recalculate:  # every (i, j, p, q) can be realized once per round
        slots = int(flat_score.shape[1])
    records = np.zeros((bsz, slots), dtype=EXCHANGE_DTYPE)
    records["i"] = -1
    records["j"] = -1
    externality = np.zeros((bsz, n))
    rows = np.arange(bsz)
    played = 0
    for slot in range(slots):
        best = np.argmax(flat_score, axis=1)
        ok = np.isfinite(flat_score[rows, best])
        if not ok.any():
            break
        b = rows[ok]
        k = best[ok]
        played = slot + 1
        i, j, p, q = idx_i[k], idx_j[k], idx_p[k], idx_q[k]
        mi = move_i.reshape(bsz, -1)[b, k]
        mj = move_j.reshape(bsz, -1)[b, k]
        # towards the partner, in the direction of the round's start positions
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
        done[b, k] = True
        if recalculate:
            # the remaining exchanges, recalculated from the voting positions reached so far
            move_i, move_j, d_op, d_oq, gains, feasible = _candidates(x, w, s, draws, new_x)
            score = gains[0] + gains[1] if random else gains[0]
            flat_score = np.where(feasible, score, -np.inf).reshape(bsz, -1)
            flat_score[done] = -np.inf
        else:
            # drop candidates that would move an already moved position
            taken = used[:, idx_i, idx_q] | used[:, idx_j, idx_p]  # (B, K)
            flat_score[taken] = -np.inf
    if recalculate:
        records = records[:, : max(played, 1)]
    return new_x, records, externality


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
    recalculate = bool(params.get("recalculate", False))
    xs = np.empty((bsz, rounds + 1, n, m))
    xs[:, 0] = x0
    parts: list[NDArray[np.void]] = []
    externality = np.zeros((bsz, rounds, n))
    x = x0.copy()
    for k in range(rounds):
        x, part, externality[:, k] = _round(x, w, s, random, rng, slots, recalculate)
        parts.append(part)
        xs[:, k + 1] = x
    width = max([slots, *(part.shape[1] for part in parts)])
    records = np.zeros((bsz, rounds, width), dtype=EXCHANGE_DTYPE)
    records["i"] = -1
    records["j"] = -1
    for k, part in enumerate(parts):
        records[:, k, : part.shape[1]] = part
    # statistics per issue: fold the issue axis into the batch axis
    flat = np.moveaxis(xs, 3, 2).reshape(-1, n)
    wt = np.broadcast_to(np.moveaxis(w, 2, 1)[:, None], (bsz, rounds + 1, m, n)).reshape(-1, n)
    mean = weighted_mean(flat, wt).reshape(bsz, rounds + 1, m)
    med = weighted_median(flat, wt).reshape(bsz, rounds + 1, m)
    return ForecastTrace(
        model="exchange",
        positions=xs,
        forecast=mean.copy(),
        mean=mean,
        median=med,
        events={"exchanges": records, "externality": externality},
        params=params,
    )
