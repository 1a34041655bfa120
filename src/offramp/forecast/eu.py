"""Bueno de Mesquita's expected-utility ("challenge") model, after Scholz et al. (2011).

Bueno de Mesquita (1994, 2002) forecasts a single-issue collective decision by
letting every actor weigh, every round, whether to challenge every other
actor's position.  The model has never been published as code; Scholz, Calbert
and Smith (2011) reconstructed it from the literature and reproduced Bueno de
Mesquita's own forecast of the EU car-emission-standards case.  This module
implements that reconstruction as a vectorized numpy engine over a batch of
draws.

One round, for every draw (``n`` actors with position ``x``, capability ``c``,
salience ``s`` in [0, 1]; ``w = c s``; distances are divided by the range of
the *initial* positions, so ``d_ij = |x_i - x_j| / range`` lies in [0, 1]):

1. **Median voter.**  ``mu`` is the position that wins every pairwise vote
   ``v_k(ij) = w_k (|x_k - x_j| - |x_k - x_i|)``: the weighted median.
2. **Risk attitudes from security.**  With every risk exponent at 1, each
   actor's *danger* is the sum of the expected utilities of all others for
   challenging it, ``D_i = sum_j EU_j(j -> i)``.  Its risk acceptance is
   ``R_i = (2 D_i - max D - min D) / (max D - min D)`` (max and min over the
   actors) and its risk exponent ``r_i = (1 - R_i / 3) / (1 + R_i / 3)``, in
   [1/2, 2].
3. **Probability of success.**  Third parties vote with their own risk
   exponent, ``v_k(ij) = w_k (d_kj^r_k - d_ki^r_k)``; the probability that
   ``i`` prevails against ``j`` is the sum of the votes for ``i``,
   ``sum_k max(0, v_k(ij))``, over a denominator (see ``probability`` below).
4. **Utilities** (risk-adjusted with exponent ``r``):
   ``U_s = 2 - 4 (1/2 - d_ij / 2)^r`` (success), ``U_f = 2 - 4 (1/2 + d_ij / 2)^r``
   (failure), ``U_b = 2 - 4 (1/2 - (|x_i - mu| / range + d_ij) / 4)^r`` (better),
   ``U_w = 2 - 4 (1/2 + (|x_i - mu| / range + d_ij) / 4)^r`` (worse),
   ``U_sq = 2 - 4 (1/2)^r`` (status quo).
5. **Expected utility of challenge**
   ``EU_i(ij) = s_j [P_ij U_s + (1 - P_ij) U_f] + (1 - s_j) U_s
   - Q U_sq - (1 - Q) [T U_b + (1 - T) U_w]``, with ``Q = 1`` by default as in
   Scholz et al., which removes the better/worse terms.
6. **Classification of every ordered pair** as the receiving actor ``i`` sees
   it, from ``E = EU_i(ij)`` and ``F = EU_j(ji)`` (both computed with ``i``'s
   risk exponent): *conflict* if both are positive (``i`` loses, and moves to
   ``x_j``, if ``F > E``); *compromise* if ``F > 0 > E`` and ``F > |E|`` (``i``
   moves the fraction ``|E / F|`` of the way to ``x_j``); *capitulation* if
   ``F > 0 > E`` and ``F <= |E|`` (``i`` moves to ``x_j``); *status quo* when
   neither expects to gain.
7. **Offer selection and simultaneous moves.**  Each actor accepts, of the
   offers it receives, the one that moves it least; all actors then move at
   once.  The rounds repeat a fixed number of times, optionally stopping a
   draw once no actor moves more than ``tol``.

The forecast is the median voter position after each round (Bueno de Mesquita
forecasts the median of the final round); the weighted mean is reported beside
it, as Scholz et al. report it.

Interpretive choices and named alternatives
-------------------------------------------
Published replications disagree on three points.  The defaults follow the
text of Scholz et al. (2011) (the equation for ``P``, whose denominator sums
the absolute votes over the voters on the pair; the appendix algorithm, which
resets every ``r`` to 1 before the danger sums) and Bueno de Mesquita (1994)
(an actor accepts the offer that moves it least); the alternatives, which are
how the public Python replication of McKibben-Sanders (2014) — reported by
Masad (2014) to reproduce Scholz et al.'s own program — behaves, are named
options.  Only ``probability="all_pairs", offer="by_type"`` reproduces the
paper's printed Table 2 (the round-by-round means within 0.1 and the
first-round median 8.4); the defaults depart from it from round 1 on
(docs/forecast.md gives the numbers and the reason):

``probability="pairwise"`` (default)
    ``P_ij = sum_k max(0, v_k(ij)) / sum_k |v_k(ij)|``: the votes for ``i`` over
    all votes cast on the pair, so ``P_ij + P_ji = 1``.
``probability="all_pairs"``
    The same numerator over the sum of ``|v_k(ab)|`` over *every* ordered pair
    ``(a, b)`` and voter ``k``: tiny probabilities, but this is what reproduces
    the published round-by-round table.
``offer="closest"`` (default)
    The accepted offer is the one requiring the smallest move (the text of both
    papers).
``offer="by_type"``
    A lost conflict is preferred to any compromise, a compromise to any
    capitulation; within conflicts and capitulations the smallest move wins,
    within compromises the one whose EU-weighted position
    ``(|E| x_i + |F| x_j) / (|E| + |F|)`` is lowest.
``security="neutral"`` (default)
    The danger sums use risk exponent 1 for everyone (the exponents are what
    the danger determines, so it cannot depend on them).
``security="target"`` / ``security="challenger"``
    The danger sums use the previous round's exponents, of the threatened
    actor (the superscript ``i`` in ``EU^i_j(ji)``) or of each challenger
    (``EU^j_j(ji)``).  Identical to ``"neutral"`` in the first round.

Further choices, not options: the position range is fixed at the initial
spread (so moves never change the utility scale); pairs of actors at the same
position neither challenge nor vote (their expected utilities are 0); exact
ties between equally short moves go to the higher ``F``, then to the lower
actor index; ``T`` is a parameter (default 1), only used when ``Q < 1``.

Computation (no effect on the results): every round works on the actors
sorted by position, where the supporters of one side of a pair are a prefix
of the voters, so the third-party sums come from prefix sums (O(n^2 log n) per
draw and round instead of O(n^3)).  With ``q == 1`` and ``security="neutral"``
(the defaults, and the options that reproduce Table 2) the per-pair work runs
in two numba-compiled kernels (:mod:`offramp.forecast._eu_kernel`, same
arithmetic, blocks of draws spread over ``OFFRAMP_THREADS`` or all usable
CPUs); the other options, or an environment without numba, use the numpy
engine.  The two agree to rounding (tested).

References
----------
.. [1] Bueno de Mesquita, B. (1994). Political forecasting: an expected utility
   method. In Bueno de Mesquita & Stokman (eds.), European Community Decision
   Making, Yale University Press, 71-104.
.. [2] Bueno de Mesquita, B. (2002). Predicting Politics. Ohio State University
   Press.
.. [3] Scholz, J. B., Calbert, G. J. & Smith, G. A. (2011). Unravelling Bueno de
   Mesquita's group decision model. Journal of Theoretical Politics 23(4),
   510-531. https://doi.org/10.1177/0951629811418142
.. [4] Masad, D. (2014). Replicating a replication of BDM; BDM model sensitivity
   analysis. http://davidmasad.com/blog/bdm-model-sensitivity-analysis/
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from enum import IntEnum
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from offramp.forecast import _eu_kernel
from offramp.forecast._common import (
    FloatArray,
    ForecastInputError,
    ForecastTrace,
    check_inputs,
    weighted_mean,
    weighted_median,
)

__all__ = ["Offer", "expected_utility"]

Probability = Literal["pairwise", "all_pairs"]
OfferRule = Literal["closest", "by_type"]
Security = Literal["neutral", "target", "challenger"]


class Offer(IntEnum):
    """How an ordered pair ``(i, j)`` looks to actor ``i`` (codes in ``events``)."""

    NONE = 0
    """Same position (or the diagonal): nothing to challenge."""
    STATUS_QUO = 1
    """Neither side expects to gain from a challenge."""
    CONFLICT = 2
    """Both sides expect to gain: they fight; the lower expectation gives way."""
    COMPROMISE = 3
    """One side expects to gain more than the other expects to lose: partial move."""
    CAPITULATION = 4
    """One side expects to lose more than the other expects to gain: full move."""


def expected_utility(
    positions: ArrayLike,
    capability: ArrayLike,
    salience: ArrayLike,
    *,
    rounds: int = 10,
    q: float = 1.0,
    t: float = 1.0,
    probability: Probability = "pairwise",
    offer: OfferRule = "closest",
    security: Security = "neutral",
    tol: float | None = None,
    pairs: bool = False,
) -> ForecastTrace:
    """Run Bueno de Mesquita's expected-utility model (Scholz et al. 2011).

    Parameters
    ----------
    positions : array_like, shape (B, n) or (n,)
        Actor positions per draw, on any scale; results are on the same scale.
    capability : array_like, broadcastable to ``positions``
        Non-negative capability; only ratios matter.
    salience : array_like, broadcastable to ``positions``
        Salience in [0, 1] (it is read as the probability of resisting a
        challenge): divide a 0-100 score by 100.
    rounds : int, default 10
        Number of bargaining rounds.
    q : float, default 1.0
        Probability ``Q`` that the status quo persists if no challenge is made.
    t : float, default 1.0
        Probability ``T`` that things get better rather than worse when the
        status quo changes without a challenge (used only when ``q < 1``).
    probability : {"pairwise", "all_pairs"}, default "pairwise"
        Denominator of the probability of success (see the module docstring).
    offer : {"closest", "by_type"}, default "closest"
        How an actor picks among the offers it receives.
    security : {"neutral", "target", "challenger"}, default "neutral"
        Whose risk exponents enter the danger sums that set risk attitudes.
    tol : float or None, default None
        If given, a draw stops (its positions stay fixed) after the first round
        in which no actor moves more than ``tol`` (on the input scale).
    pairs : bool, default False
        Also record the classification of every ordered pair every round
        (``events["pair"]``, shape (B, R, n, n); large for big batches).

    Returns
    -------
    ForecastTrace
        ``positions`` (B, R+1, n); ``forecast`` = ``median`` (B, R+1); ``mean``.
        ``events``: ``"accepted"`` (B, R, n) int: index of the actor whose offer
        each actor accepted, -1 if none; ``"kind"`` (B, R, n) int8: the
        :class:`Offer` code of that offer; ``"risk"`` (B, R, n): risk exponents;
        ``"stopped"`` (B,) int: round after which the draw converged (-1 if it
        did not, or ``tol`` is None); ``"pair"`` if ``pairs``.

    Raises
    ------
    ForecastInputError
        On malformed arrays, salience outside [0, 1], or bad parameters.

    References
    ----------
    Scholz, Calbert & Smith (2011), https://doi.org/10.1177/0951629811418142

    Examples
    --------
    Two actors: the weak one expects to lose a challenge and gives way.

    >>> trace = expected_utility([0.0, 10.0], [1.0, 3.0], [0.5, 0.5], rounds=1)
    >>> trace.positions[0].tolist()
    [[0.0, 10.0], [10.0, 10.0]]
    """
    x, c, s = check_inputs(positions, capability, salience, issues=False)
    if np.any(s > 1.0):
        raise ForecastInputError(
            f"salience must lie in [0, 1] for the expected-utility model; got {s.max()}"
            " (divide 0-100 scores by 100)"
        )
    if not isinstance(rounds, int | np.integer) or rounds < 0:
        raise ForecastInputError(f"rounds must be a non-negative integer; got {rounds!r}")
    for name, value in (("q", q), ("t", t)):
        if not 0.0 <= float(value) <= 1.0:
            raise ForecastInputError(f"{name} must lie in [0, 1]; got {value!r}")
    choices: tuple[tuple[str, str, tuple[str, ...]], ...] = (
        ("probability", probability, ("pairwise", "all_pairs")),
        ("offer", offer, ("closest", "by_type")),
        ("security", security, ("neutral", "target", "challenger")),
    )
    for label, choice, allowed in choices:
        if choice not in allowed:
            raise ForecastInputError(f"{label} must be one of {allowed}; got {choice!r}")
    if tol is not None and not tol >= 0:
        raise ForecastInputError(f"tol must be >= 0 or None; got {tol!r}")
    params: dict[str, object] = {
        "rounds": int(rounds),
        "q": float(q),
        "t": float(t),
        "probability": probability,
        "offer": offer,
        "security": security,
        "tol": tol,
        "pairs": pairs,
    }
    return _engine(x, c * s, s, params)


# --------------------------------------------------------------------------- engine
#
# Every round works in the *sorted frame*: the actors of each draw are sorted by
# position, every (B, n, n) array is laid out in that order, and only the
# per-actor results (and the pair classification, when asked for) are mapped
# back to the input order.  In that frame the supporters of the lower actor of a
# pair are a prefix of the actors, so every third-party sum over voters comes
# from a prefix sum and one gather (O(n^2 log n) per draw instead of O(n^3)).
# The arithmetic of every pair is the one written in the module docstring, in
# the same order of operations; only sums over actors may differ in the last
# bits from a sum taken in the input order.


_SAME = 1e-12  # normalized distance below which two positions are one
_CHUNK = 32  # draws per block: keeps the (block, n, n) temporaries in cache


class _Frame(NamedTuple):
    """Quantities of one round of a block of draws that do not depend on ``r``."""

    dist: FloatArray  # (B, n, n) normalized distances, sorted frame
    keep: FloatArray  # (B, n, n) 1.0 for pairs at different positions, else 0.0
    gather: NDArray[np.intp]  # (B, n, n) flat index of cum[b, left[a, c], c]
    upper: FloatArray  # (n, n) 1.0 above the diagonal (a left of c), else 0.0
    lower: FloatArray  # (n, n) 1.0 below the diagonal


def _triangles(n: int) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
    """Row and column of every pair ``a < c``, and for every (a, c) its pair's slot.

    The slot of the diagonal is the extra last one (``n (n - 1) / 2``).
    """
    a, c = np.triu_indices(n, 1)
    slot = np.full((n, n), a.size, dtype=np.intp)
    slot[a, c] = np.arange(a.size)
    slot[c, a] = np.arange(a.size)
    return a, c, slot.ravel()


def _units(z: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Sorted positions mapped to [0, 1] per draw, and the offset (B, 1) that separates draws."""
    lo = z[:, :1]
    span = np.maximum(z[:, -1:] - lo, 1e-300)
    offset = 4.0 * np.arange(z.shape[0], dtype=np.float64)[:, None]
    return (z - lo) / span, offset


def _frame(z: FloatArray) -> _Frame:
    """Distances and, for every pair, the voters strictly left of its midpoint.

    ``z`` (B, n) is sorted along the actors.  A voter prefers ``a`` to ``c``
    exactly when it lies on ``a``'s side of their midpoint, whatever its risk
    exponent, so the supporters of the left actor of a pair are the voters
    before the midpoint.  One ``searchsorted`` over the whole block (draws
    offset so they do not overlap) counts them for the pairs ``a < c``; the
    midpoint of ``(c, a)`` is the same number, so the count is symmetric.
    """
    bsz, n = z.shape
    dist = np.abs(z[:, :, None] - z[:, None, :])
    keep = (dist > _SAME).astype(np.float64)
    unit, offset = _units(z)
    keys = (unit + offset).ravel()
    a, c, slot = _triangles(n)
    mids = 0.5 * (unit[:, a] + unit[:, c]) + offset
    half = np.searchsorted(keys, mids.ravel(), side="left").reshape(bsz, a.size)
    # row of cum (B, n + 1, n) per pair, then the flat index of cum[b, left, c]
    rows = np.empty((bsz, a.size + 1), dtype=np.intp)
    np.subtract(half, (np.arange(bsz) * n)[:, None], out=rows[:, :-1])
    np.clip(rows[:, :-1], 0, n, out=rows[:, :-1])
    rows[:, -1] = 0  # the diagonal: any row will do, its difference is 0
    rows *= n
    gather = np.take(rows, slot, axis=1).reshape(bsz, n, n)
    gather += np.arange(n)
    gather += (np.arange(bsz) * ((n + 1) * n))[:, None, None]
    return _Frame(
        dist=dist,
        keep=keep,
        gather=gather,
        upper=np.triu(np.ones((n, n)), 1),
        lower=np.tril(np.ones((n, n)), -1),
    )


def _vote_sums(frame: _Frame, w: FloatArray, r: FloatArray) -> FloatArray:
    """Positive votes ``N[b, a, c] = sum_k w_k max(0, d_kc^r_k - d_ka^r_k)``, sorted frame.

    With ``a`` left of ``c``, ``N[a, c]`` is the prefix sum over the voters
    left of their midpoint of ``w_k (d_kc^r_k - d_ka^r_k)``; the sum over all
    voters minus it is ``-N[c, a]``.  O(n^2) per draw once the midpoints are
    placed.
    """
    bsz, n = w.shape
    dist = frame.dist
    util = w[:, :, None] * (dist if np.all(r == 1.0) else dist ** r[:, :, None])  # (B, k, c)
    cum = np.empty((bsz, n + 1, n))
    cum[:, 0] = 0.0
    for k in range(n):  # sequential like cumsum (same bits), faster for small n
        np.add(cum[:, k], util[:, k], out=cum[:, k + 1])
    total = cum[:, n]  # (B, c)
    at_c = np.take(cum, frame.gather)  # cum[b, left[a, c], c]
    diff = at_c - at_c.transpose(0, 2, 1)
    sums = frame.upper * diff
    rest = total[:, None, :] - total[:, :, None]
    rest -= diff
    rest *= frame.lower
    sums += rest
    np.maximum(sums, 0.0, out=sums)  # rounding only
    return np.asarray(sums, dtype=np.float64)


def _probabilities(votes: FloatArray, rule: str, keep: FloatArray) -> FloatArray:
    """``P[a, c]``: votes for ``a`` over the denominator of ``rule`` (0 when it is 0)."""
    if rule == "pairwise":
        den = votes + votes.transpose(0, 2, 1)
        den += den <= 0.0  # where den is 0 so are the votes: 0 / 1
        prob = votes / den
    else:
        total = 2.0 * votes.sum(axis=(1, 2))
        prob = votes / np.where(total > 0, total, 1.0)[:, None, None]
    prob *= keep
    return prob


def _utilities(
    dist: FloatArray, r: FloatArray, out: tuple[FloatArray, FloatArray] | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``U_s``, ``U_f`` and ``U_sq`` for normalized distances and exponent ``r``.

    ``2 - 4 (1/2 -+ d/2)^r`` is computed as ``(1/2 -+ d/2)^r * -4 + 2``: scaling
    by 4 is exact, so the bits are those of the formula.  ``out`` receives
    ``U_s`` and ``U_f`` if given.
    """
    u_s = np.multiply(dist, 0.5, out=None if out is None else out[0])
    u_f = np.add(u_s, 0.5, out=None if out is None else out[1])
    np.subtract(0.5, u_s, out=u_s)
    if r.size and np.all(r == 1.0):
        u_sq = np.zeros_like(r)
    else:
        np.maximum(u_s, 0.0, out=u_s)
        np.power(u_s, r, out=u_s)
        np.power(u_f, r, out=u_f)
        u_sq = 2.0 - 4.0 * 0.5**r
    for u in (u_s, u_f):
        u *= -4.0
        u += 2.0
    return u_s, u_f, u_sq


def _challenge(
    prob: FloatArray,
    utils: tuple[FloatArray, FloatArray, FloatArray],
    dist: FloatArray,
    gap_challenger: FloatArray,
    s_target: FloatArray,
    r: FloatArray,
    q: float,
    t: float,
) -> FloatArray:
    """Expected utility of challenge, all arguments broadcast to (B, n, n).

    ``prob`` is the challenger's probability of success, ``utils`` the
    success, failure and status-quo utilities from :func:`_utilities`,
    ``dist`` the normalized distance, ``gap_challenger`` the challenger's
    normalized distance to the median, ``s_target`` the target's salience,
    ``r`` the exponent of the actor whose view is computed.
    """
    u_s, u_f, u_sq = utils
    # s (P (U_s - U_f) + U_f) + (1 - s) U_s - Q U_sq, in that order of operations
    eu = u_s - u_f
    eu *= prob
    eu += u_f
    eu *= s_target
    eu += (1.0 - s_target) * u_s
    eu -= q * u_sq
    if q < 1.0:
        spread = 0.25 * (gap_challenger + dist)
        u_b = 2.0 - 4.0 * np.clip(0.5 - spread, 0.0, None) ** r
        u_w = 2.0 - 4.0 * (0.5 + spread) ** r
        eu -= (1.0 - q) * (t * u_b + (1.0 - t) * u_w)
    return eu


def _risk(danger_eu: FloatArray, keep: FloatArray) -> FloatArray:
    """Risk exponents from ``danger_eu[b, j, i] = EU(j -> i)`` (sorted frame)."""
    danger_eu *= keep
    return _risk_from_danger(danger_eu.sum(axis=1))  # sum over the challengers j


def _risk_from_danger(danger: FloatArray) -> FloatArray:
    """Risk exponents ``r_i`` from the danger sums ``D_i`` (B, n)."""
    hi = danger.max(axis=1, keepdims=True)
    lo = danger.min(axis=1, keepdims=True)
    spread = hi - lo
    accept = np.where(spread > 0, (2.0 * danger - hi - lo) / np.where(spread > 0, spread, 1.0), 0)
    return np.asarray((1.0 - accept / 3.0) / (1.0 + accept / 3.0), dtype=np.float64)


class _Moves(NamedTuple):
    """One round's outcome for a block of draws, in the input order of the actors."""

    x: FloatArray  # (B, n) positions after the round
    risk: FloatArray  # (B, n) risk exponents of the round
    accepted: NDArray[np.intp]  # (B, n) whose offer each actor took, -1 if none
    kind: NDArray[np.int8]  # (B, n) Offer code of the accepted offer
    pair: NDArray[np.int8] | None  # (B, n, n) classification of every pair, if asked


_INF_UNLESS = np.array([np.inf, 0.0])  # indexed by a boolean: 0 where it holds


_USE_KERNEL = _eu_kernel.AVAILABLE  # tests switch it off to run the numpy engine alone


def _threads() -> int:
    """Worker threads for the compiled path: ``OFFRAMP_THREADS`` or the usable CPUs."""
    env = os.environ.get("OFFRAMP_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


class _Scratch:
    """Work arrays reused by every round of one engine call.

    Fresh (block, n, n) temporaries every round cost page faults (the
    allocator hands large blocks back to the system and maps them again);
    reusing a few buffers avoids that.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, NDArray[np.generic]] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: type = np.float64) -> NDArray[Any]:
        size = int(np.prod(shape))
        arr = self._arrays.get(name)
        if arr is None or arr.size < size or arr.dtype != dtype:
            arr = np.empty(size, dtype=dtype)
            self._arrays[name] = arr
        return arr[:size].reshape(shape)


def _kernel_applies(params: dict[str, object]) -> bool:
    """Whether the compiled kernels cover these options (Q = 1, neutral security)."""
    return _USE_KERNEL and params["q"] == 1.0 and params["security"] == "neutral"


def _sorted_frame(
    x: FloatArray, w: FloatArray, s: FloatArray, scale: FloatArray
) -> tuple[NDArray[np.intp], FloatArray, FloatArray, FloatArray, FloatArray]:
    """Actors sorted by scaled position in each draw (stable, so ties keep actor order).

    Returns ``order`` (B, n), the sorted scaled positions ``z``, and ``x``,
    ``w``, ``s`` permuted by ``order``.
    """
    z_in = x / scale[:, None]
    order = np.argsort(z_in, axis=1, kind="stable")
    z = np.take_along_axis(z_in, order, axis=1)
    xo = np.take_along_axis(x, order, axis=1)
    return (
        order,
        z,
        xo,
        np.take_along_axis(w, order, axis=1),
        np.take_along_axis(s, order, axis=1),
    )


def _round(
    x: FloatArray,
    w: FloatArray,
    s: FloatArray,
    scale: FloatArray,
    r_prev: FloatArray,
    params: dict[str, object],
    scratch: _Scratch,
) -> _Moves:
    if _kernel_applies(params):
        return _round_kernel(x, w, s, scale, params, scratch)
    return _round_numpy(x, w, s, scale, r_prev, params)


def _round_kernel(
    x: FloatArray,
    w: FloatArray,
    s: FloatArray,
    scale: FloatArray,
    params: dict[str, object],
    scratch: _Scratch,
) -> _Moves:
    """One round through :mod:`offramp.forecast._eu_kernel` (same arithmetic as numpy)."""
    bsz, n = x.shape
    q = float(params["q"])  # type: ignore[arg-type]
    all_pairs = params["probability"] == "all_pairs"
    order, z, xo, w, s = _sorted_frame(x, w, s, scale)
    shape = (bsz, n, n)
    dist = np.subtract(z[:, :, None], z[:, None, :], out=scratch.get("dist", shape))
    np.abs(dist, out=dist)
    unit, offset = _units(z)
    left = scratch.get("left", shape, np.int32)
    danger = _eu_kernel.security(unit, offset[:, 0], w, s, dist, all_pairs, q, left)
    r = _risk_from_danger(danger)
    r_i = r[:, :, None]
    util = scratch.get("util", shape)
    if np.all(r == 1.0):
        np.copyto(util, dist)
    else:
        np.power(dist, r_i, out=util)
    util *= w[:, :, None]
    u_s, u_f, u_sq = _utilities(
        dist, r_i, out=(scratch.get("u_s", shape), scratch.get("u_f", shape))
    )
    new_x, accepted, kind, pair = _eu_kernel.offers(
        xo, s, order, dist, left, util, u_s, u_f,
        np.ascontiguousarray(np.broadcast_to(u_sq, (bsz, n, 1))[:, :, 0]),
        all_pairs=all_pairs, by_type=params["offer"] == "by_type", q=q,
        pairs=bool(params["pairs"]),
    )  # fmt: skip
    inv = np.empty_like(order)
    np.put_along_axis(inv, order, np.arange(n)[None, :], axis=1)
    return _Moves(
        x=new_x, risk=np.take_along_axis(r, inv, axis=1), accepted=accepted, kind=kind, pair=pair
    )


def _round_numpy(
    x: FloatArray,
    w: FloatArray,
    s: FloatArray,
    scale: FloatArray,
    r_prev: FloatArray,
    params: dict[str, object],
) -> _Moves:
    bsz, n = x.shape
    q = float(params["q"])  # type: ignore[arg-type]
    t = float(params["t"])  # type: ignore[arg-type]
    rule = str(params["probability"])
    # to the sorted frame (per-actor arrays only)
    order, z, xo, w, s = _sorted_frame(x, w, s, scale)
    frame = _frame(z)
    dist, keep = frame.dist, frame.keep
    mu = weighted_median(z, w)
    gap_mu = np.abs(z - mu[:, None])
    ones = np.ones_like(z)
    # 2. security -> risk exponents
    prob1 = _probabilities(_vote_sums(frame, w, ones), rule, keep)
    security = params["security"]
    if security == "neutral":
        r_sec = ones[:, :, None]
    else:
        r_prev = np.take_along_axis(r_prev, order, axis=1)
        # EU(j -> i) seen by the threatened i, or by the challenger j
        r_sec = r_prev[:, None, :] if security == "target" else r_prev[:, :, None]
    utils1 = _utilities(dist, r_sec)
    danger_eu = _challenge(prob1, utils1, dist, gap_mu[:, :, None], s[:, None, :], r_sec, q, t)
    r = _risk(danger_eu, keep)
    # 3-5. probabilities with risk-adjusted votes, expected utilities seen by i
    prob = _probabilities(_vote_sums(frame, w, r), rule, keep)
    r_i = r[:, :, None]
    utils = _utilities(dist, r_i)  # the distance is symmetric: one set serves both
    e_ = _challenge(prob, utils, dist, gap_mu[:, :, None], s[:, None, :], r_i, q, t)  # i -> j
    big = _challenge(  # j -> i, as i sees it, laid out (B, i, j)
        prob.transpose(0, 2, 1), utils, dist, gap_mu[:, None, :], s[:, :, None], r_i, q, t
    )
    # 6. classification, as receiver i sees the pair (i, j): F = big, E = e_
    f_pos = big > 0
    e_pos = e_ > 0
    gain = (big + e_) > 0  # F > -E (and E > -F): exactly the sign of the sum
    apart = keep > 0  # also clears the diagonal
    # status quo 1, conflict 2, compromise 3, capitulation 4, same position 0
    one_side = f_pos ^ e_pos
    kind = (f_pos & e_pos).view(np.int8) + 1
    kind += one_side.view(np.int8) * (3 - gain.view(np.int8))
    kind *= apart.view(np.int8)
    # offers i receives and the position each asks of it
    lose = f_pos & e_pos & (big > e_)
    lopsided = f_pos & ~e_pos
    comp = lopsided & gain
    valid = (lose | lopsided) & apart
    frac = np.abs(e_) / np.where(f_pos, big, 1.0)
    x_i = xo[:, :, None]
    x_j = np.broadcast_to(xo[:, None, :], frac.shape)
    target = x_j - x_i
    target *= frac
    target += x_i
    np.copyto(target, x_j, where=~comp)  # full moves exact
    move = np.abs(target - x_i)
    pen = _INF_UNLESS[valid.view(np.int8)]  # 0 for a valid offer, inf otherwise
    tie_f = pen - big
    if params["offer"] == "closest":
        keys = [move + pen, tie_f]
    else:
        tier = np.where(lose, 0.0, np.where(comp, 1.0, 2.0)) + pen
        weighted = (np.abs(e_) * x_i + np.abs(big) * x_j) / np.where(
            np.abs(e_) + np.abs(big) > 0, np.abs(e_) + np.abs(big), 1.0
        )
        within = np.where(comp, weighted, move) + pen
        keys = [tier, within, tie_f]
    best = _argbest(keys, order)  # sorted-frame index of the chosen offer
    pick = best[:, :, None]
    has = np.take_along_axis(valid, pick, axis=2)[:, :, 0]
    chosen = np.take_along_axis(target, pick, axis=2)[:, :, 0]
    new_x = np.where(has, chosen, xo)
    accepted = np.where(has, np.take_along_axis(order, best, axis=1), -1)
    acc_kind = np.where(has, np.take_along_axis(kind, pick, axis=2)[:, :, 0], Offer.NONE)
    # back to the input order
    inv = np.empty_like(order)
    np.put_along_axis(inv, order, np.arange(n)[None, :], axis=1)
    pair = None
    if params["pairs"]:
        flat = inv[:, :, None] * n + inv[:, None, :]
        flat += (np.arange(bsz) * (n * n))[:, None, None]
        pair = np.take(kind, flat)
    return _Moves(
        x=np.take_along_axis(new_x, inv, axis=1),
        risk=np.take_along_axis(r, inv, axis=1),
        accepted=np.take_along_axis(accepted, inv, axis=1),
        kind=np.take_along_axis(acc_kind, inv, axis=1).astype(np.int8),
        pair=pair,
    )


def _argbest(keys: list[FloatArray], order: NDArray[np.intp]) -> NDArray[np.intp]:
    """Index (sorted frame) of the lexicographically smallest keys along the last axis.

    Ties on every key go to the lowest index in the *input* order (``order``
    maps the sorted frame to it), so the choice does not depend on the frame.
    """
    cand = keys[0]
    for nxt in keys[1:]:
        tied = cand <= cand.min(axis=2, keepdims=True)
        cand = np.where(tied, nxt, np.inf)
    best = np.argmin(cand, axis=2)
    low = cand.min(axis=2, keepdims=True)
    tied = cand <= low
    several = np.flatnonzero((np.count_nonzero(tied, axis=2) > 1) & np.isfinite(low[:, :, 0]))
    if several.size:  # rare: exact ties on every key; break them by input index
        b, i = np.unravel_index(several, best.shape)
        label = np.where(tied[b, i], order[b], order.shape[1])
        best[b, i] = np.argmin(label, axis=1)
    return np.asarray(best, dtype=np.intp)


def _engine(
    x0: FloatArray, w: FloatArray, s: FloatArray, params: dict[str, object]
) -> ForecastTrace:
    bsz, n = x0.shape
    starts = range(0, bsz, _CHUNK)
    workers = min(_threads(), len(starts)) if _kernel_applies(params) else 1
    scratches = [_Scratch() for _ in range(workers)]

    def block(k: int) -> tuple[FloatArray, dict[str, NDArray[np.generic]]]:
        a = starts[k]
        chunk = slice(a, a + _CHUNK)
        return _engine_block(x0[chunk], w[chunk], s[chunk], params, scratches[k % workers])

    if workers > 1:  # blocks are independent; the kernels and numpy release the GIL
        with ThreadPoolExecutor(workers) as pool:
            # worker k % workers owns scratch k % workers: submit in waves of `workers`
            parts: list[tuple[FloatArray, dict[str, NDArray[np.generic]]]] = []
            for wave in range(0, len(starts), workers):
                ks = range(wave, min(wave + workers, len(starts)))
                parts.extend(pool.map(block, ks))
    else:
        parts = [block(k) for k in range(len(starts))]
    xs = np.concatenate([part[0] for part in parts])
    events = {key: np.concatenate([part[1][key] for part in parts]) for key in parts[0][1]}
    rounds = xs.shape[1] - 1
    wt = np.broadcast_to(w[:, None, :], xs.shape).reshape(-1, n)
    flat = xs.reshape(-1, n)
    mean = weighted_mean(flat, wt).reshape(bsz, rounds + 1)
    med = weighted_median(flat, wt).reshape(bsz, rounds + 1)
    return ForecastTrace(
        model="eu",
        positions=xs,
        forecast=med.copy(),
        mean=mean,
        median=med,
        events=events,
        params=params,
    )


def _engine_block(
    x0: FloatArray, w: FloatArray, s: FloatArray, params: dict[str, object], scratch: _Scratch
) -> tuple[FloatArray, dict[str, NDArray[np.generic]]]:
    bsz, n = x0.shape
    rounds = int(params["rounds"])  # type: ignore[call-overload]
    tol = params["tol"]
    scale = x0.max(axis=1) - x0.min(axis=1)
    scale = np.where(scale > 0, scale, 1.0)
    xs = np.empty((bsz, rounds + 1, n))
    xs[:, 0] = x0
    risk = np.ones((bsz, rounds, n))
    accepted = np.full((bsz, rounds, n), -1, dtype=np.intp)
    kinds = np.zeros((bsz, rounds, n), dtype=np.int8)
    pair_kinds = np.zeros((bsz, rounds, n, n), dtype=np.int8) if params["pairs"] else None
    stopped = np.full(bsz, -1, dtype=np.intp)
    active = np.ones(bsz, dtype=bool)
    r_prev = np.ones((bsz, n))
    x = x0.copy()
    for k in range(rounds):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            xs[:, k + 1 :] = x[:, None, :]
            break
        if idx.size == bsz:
            moves = _round(x, w, s, scale, r_prev, params, scratch)
        else:
            moves = _round(x[idx], w[idx], s[idx], scale[idx], r_prev[idx], params, scratch)
        if tol is not None:
            done = np.abs(moves.x - x[idx]).max(axis=1) <= float(tol)  # type: ignore[arg-type]
            stopped[idx[done]] = k + 1
            active[idx[done]] = False
        x[idx] = moves.x
        r_prev[idx] = moves.risk
        risk[idx, k] = moves.risk
        accepted[idx, k] = moves.accepted
        kinds[idx, k] = moves.kind
        if pair_kinds is not None and moves.pair is not None:
            pair_kinds[idx, k] = moves.pair
        xs[:, k + 1] = x
    events: dict[str, NDArray[np.generic]] = {
        "accepted": accepted,
        "kind": kinds,
        "risk": risk,
        "stopped": stopped,
    }
    if pair_kinds is not None:
        events["pair"] = pair_kinds
    return xs, events
