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
from numpy.typing import ArrayLike

from offramp.forecast._common import (
    FloatArray,
    ForecastInputError,
    ForecastTrace,
    check_inputs,
)
from offramp.forecast._exchange_decide import _decide_engine
from offramp.forecast._exchange_published import EXCHANGE_DTYPE, _engine

__all__ = ["EXCHANGE_DTYPE", "exchange"]


Rate = Literal["equal_gain", "random"]
Procedure = Literal["published", "decide"]


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
