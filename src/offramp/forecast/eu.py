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
Published replications disagree on three points.  The defaults are the
ones that reproduce the paper's own published numbers: its Table 2 (the
round-by-round means within 0.1 and the first-round median 8.4), which only
``probability="all_pairs", offer="by_type"`` reproduce.  They are how the
public Python replication of McKibben-Sanders (2014) — reported by Masad
(2014) to reproduce Scholz et al.'s own program — behaves.  The literal
reading of the paper's text is kept as named options: the equation for
``P``, whose denominator sums the absolute votes over the voters on the pair
(``probability="pairwise"``), and Bueno de Mesquita's (1994) statement that
an actor accepts the offer that moves it least (``offer="closest"``); that
reading departs from Table 2 from round 1 on (docs/forecast.md gives the
numbers and the reason).  On security the paper's appendix algorithm, which
resets every ``r`` to 1 before the danger sums, is the default:

``probability="all_pairs"`` (default)
    ``P_ij = sum_k max(0, v_k(ij))`` over the sum of ``|v_k(ab)|`` over *every*
    ordered pair ``(a, b)`` and voter ``k``: tiny probabilities, but this is
    what reproduces the published round-by-round table.
``probability="pairwise"`` (the paper's equation as printed)
    The same numerator over ``sum_k |v_k(ij)|``: the votes for ``i`` over all
    votes cast on the pair, so ``P_ij + P_ji = 1``.
``offer="closest"`` (the text of both papers)
    The accepted offer is the one requiring the smallest move.
``offer="by_type"`` (default)
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
from typing import Any, Literal

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
from offramp.forecast._eu_numpy import (
    _CHUNK,
    Offer,
    _Moves,
    _risk_from_danger,
    _round_numpy,
    _sorted_frame,
    _units,
    _utilities,
)

__all__ = ["Offer", "expected_utility"]


Probability = Literal["pairwise", "all_pairs"]
OfferRule = Literal["closest", "by_type"]
Security = Literal["neutral", "target", "challenger"]


def expected_utility(
    positions: ArrayLike,
    capability: ArrayLike,
    salience: ArrayLike,
    *,
    rounds: int = 10,
    q: float = 1.0,
    t: float = 1.0,
    probability: Probability = "all_pairs",
    offer: OfferRule = "by_type",
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
    probability : {"all_pairs", "pairwise"}, default "all_pairs"
        Denominator of the probability of success (see the module docstring);
        ``"pairwise"`` is the paper's equation as printed.
    offer : {"by_type", "closest"}, default "by_type"
        How an actor picks among the offers it receives; ``"closest"`` is the
        papers' text.  The defaults reproduce Scholz et al.'s Table 2.
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
