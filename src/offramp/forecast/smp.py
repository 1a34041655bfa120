"""KTAB's Spatial Model of Politics (SMP), vectorized over actors and a batch of draws.

KTAB, the KAPSARC Toolkit for Behavioral Analysis (Wise, Lester, Efird et al.;
C++, MIT licence, Copyright KAPSARC), forecasts a collective decision over
several continuous issues ("dimensions") by letting actors challenge one
another's positions inside a *probabilistic Condorcet election* (PCE).  This
module is a fresh implementation of KTAB's ``smpc`` model: written from KTAB's
published description (Wise et al. 2015; Efird, Lester & Wise 2016) and from its
C++ source read as a specification (``examples/smp/libsrc/smp.cpp``,
``smpbcn.cpp``, ``KTAB/kmodel/libsrc/kmodel.cpp``); no KTAB code is copied.
It reproduces KTAB's own reference runs digit for digit (see ``docs/smp.md``
and ``tests/test_smp.py``).

Internally, as in KTAB, positions are on [0, 1] (the 0--100 input divided by
100) and saliences are fractions of attention (percent divided by 100).

One turn (state ``t`` to ``t + 1``), for every draw of the batch
----------------------------------------------------------------
1. **Distances.**  ``D_ij`` is the salience-weighted distance from actor ``i``'s
   *ideal* to actor ``j``'s position,
   ``sqrt(sum_k s_ik^2 (y_ik - x_jk)^2 / sum_k s_ik^2)``.
2. **Risk attitudes from a risk-neutral election.**  With risk-neutral
   utilities ``1 - D_ij``, a PCE over all ``n`` positions (voters weighted by
   capability ``c``) gives each position a probability ``p_i``; the actor's
   risk attitude ``R_i`` is a linear rescaling of ``p_i`` between the least and
   the most likely position (``risk_range``: ``"Min"`` to [0, 1], ``"Mid"`` to
   [-1/2, 1], ``"Max"`` to [-1, 1]).  Safe actors are risk-averse.
3. **Risk-aware utilities.**  ``u(d, R) = (1 - d)(1 + d R)``.  Actor ``h``
   believes actor ``i``'s risk attitude is ``R_hi``, a blend of its own and
   ``i``'s (``risk_adjust``: ``"None"`` (own), ``"OneThird"`` =
   ``(2 R_h + R_i) / 3``, ``"Half"``, ``"TwoThirds"``, ``"Full"`` (``R_i``)),
   so every actor has its own utility matrix ``U^h_ij = u(D_ij, R_hi)``: the
   ``n x n x n`` tensor.
4. **Challenges.**  For every ordered pair ``(i, j)``, ``i`` estimates the
   probability ``P_ij`` that it would win a contest against ``j``: ``i`` and
   ``j`` vote with weight ``c s`` (capability times summed salience) on their
   own utilities; every third party ``n`` looks at the "little conflict"
   ``(i : j)`` with only the principals and itself, estimates the probability
   that its side wins, and votes on the expected value of the two outcomes
   (``third_party``: ``"SemiCommit"`` by default, ``"NoCommit"``,
   ``"FullCommit"``).  The expected gain to ``i`` of challenging ``j`` is
   ``(1 - s_j) 2 U_ii + s_j (P 2 U_ii + (1 - P) 2 U_ij) - (U_ii + U_ij)``
   (``s_j`` = ``j``'s summed salience: the chance that ``j`` resists).  Each
   actor challenges the target with the largest gain above 1e-5, if any.
5. **Bargains.**  The challenger's and the target's positions are
   interpolated, dimension by dimension, with weights ``s^a P^b``
   (``interpolation``: ``"S2P2"`` (a = b = 2), ``"S1P1"``, ``"S2PMax"``), once
   with the challenger's estimate of ``P`` and once with the target's;
   ``bargain_model`` decides which proposals are put forward
   (``"InitOnlyInterp"``: the challenger's; ``"InitRcvrInterp"``: both;
   ``"PWCompInterp"``: their power-weighted compromise).
6. **Simultaneous resolution.**  Each actor holds an election (a PCE with the
   capability-weighted votes of every actor) among the status quo and every
   bargain involving it, on the value of the whole state after each bargain
   (mean utility of all positions); it adopts the most probable bargain
   (``transitions="Deterministic"``) or a draw from their probabilities
   (``"Stochastic"``).  All actors move at once.
7. **Ideals follow positions.**  ``y_i <- sum_j A_ij x_j + (1 - sum_j A_ij) y_i``
   with the accommodation matrix ``A`` (identity by default: ideals are the
   positions, KTAB's "cynical" model).

Elections (steps 2 and 6) use ``voting_rule`` (``"Prop"``: vote = weight x
utility difference; ``"Binary"``, ``"PropBin"``, ``"PropCbc"``, ``"Cubic"``,
``"ASymProsp"``), ``victory_model`` for the probability that a coalition of
strength ``a`` beats one of strength ``b`` (``"Linear"`` ``a / (a + b)``,
``"Square"``, ``"Quartic"``, ``"Octic"``, ``"Binary"``) and ``pce_model`` to turn
pairwise victory probabilities into outcome probabilities (``"Conditional"``:
the chance an option beats all others, conditioned on one doing so;
``"MarkovIncentive"``, ``"MarkovUniform"``).  The run stops after
``max_iterations`` turns, or from turn ``min_iterations`` on once the summed
(over actors) Euclidean position change of a turn falls below
``min_delta_ratio`` times the first turn's (plus 1e-4 on [0, 1]).

Reported every state: positions, risk attitudes, and each actor's position
probability (a PCE over the *distinct* positions, those closer than
``pos_tol`` = 0.1 on 0--100 counted as one, every actor judging by its own
utilities).  The forecast per dimension, which KTAB leaves to the analyst, is
the *most probable position on that dimension*: the coordinate of the distinct
position whose probability, summed with that of every position within
``pos_tol`` of it on that dimension, is largest (ties to the more probable
position, then to the lower coordinate).

Interpretive choices (each one KTAB's behaviour, not a judgment of ours)
-----------------------------------------------------------------------
- Bargain coordinates are rounded to 4 decimals on [0, 1] (``S1P1``/``S2P2``),
  as KTAB does; ``S2PMax`` does not round, as in KTAB.
- ``"PWCompInterp"`` weights the target's proposal by the *challenger's*
  capability times the target's salience (KTAB's ``smpbcn.cpp`` reads
  ``brgnJIJ->actInit->sCap``, the challenger); the reference log confirms it.
- The target's proposal (``"InitRcvrInterp"``, ``"PWCompInterp"``) is
  interpolated with the target's estimate of the challenger's expected *gain*
  where a probability is expected: KTAB's ``smpbcn.cpp`` reads ``get<1>`` (the
  gain) of ``probEduChlg(j, i, i, j)``; the reference log's "from j's
  perspective" bargains confirm it.  The default ``"InitOnlyInterp"`` never
  uses that proposal.
- The third-party "little conflict" probability and the contest probability
  ``P_ij`` are always linear in coalition strength, whatever ``victory_model``
  says (KTAB applies ``victory_model`` only to the PCE elections).
- Coalitions in a PCE are tallied over the lower triangle of option pairs
  (``v_k(i:j)`` for ``i > j``), so the asymmetric ``"ASymProsp"`` rule depends on
  option order exactly as in KTAB.
- An actor's bargain list is ordered: status quo, then bargains by
  challenger index (KTAB fills it from threads in nondeterministic order; the
  order matters only for exact ties in probability).
- When every position is equally likely (e.g. all actors agree) KTAB divides
  by zero in step 2 and aborts; here every risk attitude is then 0 (neutral).
- Stochastic transitions draw from :func:`numpy.random.default_rng` ``(seed)``
  in a fixed order (draw, then actor), so a seed reproduces a run; KTAB's
  threads share one generator in nondeterministic order.
- An actor's position probability is that of the *last* distinct position
  equivalent to it, as KTAB's ``State::posProb`` does.

References
----------
.. [1] B. Wise, S. Lester, B. Efird, "An introduction to the KAPSARC Toolkit
   for Behavioral Analysis (KTAB) using one-dimensional spatial models",
   KAPSARC Discussion Paper KS-1514-DP07A, 2015.
.. [2] B. Efird, S. Lester, B. Wise, "China's upstream oil and gas sector:
   a spatial model of politics", KAPSARC Discussion Paper KS-1643-DP036A, 2016.
.. [3] KAPSARC, KTAB source code, MIT licence,
   https://github.com/KAPSARC/KTAB (mirror lsyaseen/KTAB, branch ``testing``,
   commit 3b5b063, 2019), files ``examples/smp/libsrc/smp.cpp``,
   ``smpbcn.cpp``, ``KTAB/kmodel/libsrc/kmodel.cpp``.
.. [4] D. Black, "On the rationale of group decision-making", Journal of
   Political Economy 56(1), 1948. https://doi.org/10.1086/256633

Examples
--------
>>> x = [[20.0, 80.0], [40.0, 30.0], [90.0, 50.0], [60.0, 60.0]]
>>> s = [[0.5, 0.5], [0.3, 0.6], [0.8, 0.1], [0.4, 0.4]]
>>> trace = smp(x, [100.0, 60.0, 40.0, 80.0], s)
>>> trace.positions.shape[-2:]          # (actors, dimensions)
(4, 2)
>>> bool(trace.rounds >= 1)
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from offramp.forecast._common import (
    ForecastInputError,
    ForecastTrace,
    _as_float,
    weighted_mean,
    weighted_median,
)

__all__ = ["PARAMETERS", "smp"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

PARAMETERS: Mapping[str, tuple[str, ...]] = {
    "victory_model": ("Linear", "Square", "Quartic", "Octic", "Binary"),
    "pce_model": ("Conditional", "MarkovIncentive", "MarkovUniform"),
    "transitions": ("Deterministic", "Stochastic"),
    "voting_rule": ("Binary", "PropBin", "Prop", "PropCbc", "Cubic", "ASymProsp"),
    "risk_adjust": ("None", "OneThird", "Half", "TwoThirds", "Full"),
    "risk_range": ("Min", "Mid", "Max"),
    "third_party": ("NoCommit", "SemiCommit", "FullCommit"),
    "interpolation": ("S1P1", "S2P2", "S2PMax"),
    "bargain_model": ("InitOnlyInterp", "InitRcvrInterp", "PWCompInterp"),
}
"""KTAB's nine SMP model parameters: option name -> allowed values (KTAB's names).

In KTAB's order (``SMPModel::updateModelParameters``); the defaults are
:data:`DEFAULTS`."""

DEFAULTS: Mapping[str, str] = {
    "victory_model": "Linear",
    "pce_model": "Conditional",
    "transitions": "Deterministic",
    "voting_rule": "Prop",
    "risk_adjust": "OneThird",
    "risk_range": "Mid",
    "third_party": "SemiCommit",
    "interpolation": "S2P2",
    "bargain_model": "InitOnlyInterp",
}

_MIN_COALITION = 1e-8  # KTAB Model::coalitions
_MIN_CONTEST = 1e-10  # KTAB SMPState::probEduChlg
_MIN_GAIN = 1e-5  # KTAB SMPState::bestChallenge
_MIN_STEP = 1e-4  # KTAB configExec minSigDelta (on [0, 1])
_BINARY_TOL = 1e-8  # KTAB Model::vote
_INTERP_MIN_W = 1e-6  # KTAB interpBrgnSnPm
_CHUNK = 262_144  # elements per (.., n, n, n) block: stays in cache


@dataclass(frozen=True)
class _Params:
    victory_model: str
    pce_model: str
    transitions: str
    voting_rule: str
    risk_adjust: str
    risk_range: str
    third_party: str
    interpolation: str
    bargain_model: str


def _choice(name: str, value: object) -> str:
    allowed = PARAMETERS[name]
    if isinstance(value, str):
        for a in allowed:
            if a.lower() == value.lower():
                return a
    raise ForecastInputError(
        f"{name} must be one of {', '.join(allowed)} (KTAB's names); got {value!r}"
    )


# ---------------------------------------------------------------------------
# public checker


def smp(
    positions: ArrayLike,
    capability: ArrayLike,
    salience: ArrayLike,
    *,
    victory_model: str = "Linear",
    pce_model: str = "Conditional",
    transitions: str = "Deterministic",
    voting_rule: str = "Prop",
    risk_adjust: str = "OneThird",
    risk_range: str = "Mid",
    third_party: str = "SemiCommit",
    interpolation: str = "S2P2",
    bargain_model: str = "InitOnlyInterp",
    accommodation: ArrayLike | None = None,
    max_iterations: int = 100,
    min_iterations: int = 2,
    min_delta_ratio: float = 0.02,
    pos_tol: float = 0.1,
    seed: int | None = None,
) -> ForecastTrace:
    """Run KTAB's Spatial Model of Politics to convergence on a batch of scenarios.

    Parameters
    ----------
    positions : array_like, shape (B, n, m) or (n, m)
        Actors' initial positions on ``m`` dimensions, each on 0--100.
    capability : array_like, shape (B, n) or (n,)
        Capability (KTAB's "power"), > 0.
    salience : array_like, shape (B, n, m) or (n, m)
        Fraction of each actor's attention on each dimension, in [0, 1], at
        most 1 in sum and more than 0 (KTAB's CSV percentages divided by 100).
    victory_model, pce_model, transitions, voting_rule, risk_adjust, \
risk_range, third_party, interpolation, bargain_model : str
        KTAB's nine model parameters by KTAB's names (case-insensitive); see
        :data:`PARAMETERS` and the module docstring.  Defaults are KTAB's.
    accommodation : array_like, shape (B, n, n) or (n, n), optional
        Ideal-accommodation matrix ``A`` (entries in [0, 1], rows summing to at
        most 1); default the identity.
    max_iterations : int, default 100
        Most turns played.
    min_iterations : int, default 2
        First turn at which the run may stop early.
    min_delta_ratio : float, default 0.02
        Stop once a turn's summed position change is below this fraction of
        the first turn's.
    pos_tol : float, default 0.1
        Positions closer than this (Euclidean, on 0--100) count as one.
    seed : int, optional
        Seed for ``transitions="Stochastic"``.

    Returns
    -------
    ForecastTrace
        ``model="smp"``; ``positions`` (B, R+1, n, m) on 0--100, every draw
        padded with its final state after it converged; ``forecast`` (B, R+1, m)
        the most probable position per dimension; ``mean`` and ``median``
        (capability x salience weighted, per dimension).  ``events``:

        ``rounds`` (B,) int
            Turns played by each draw (KTAB's number of states minus one).
        ``prob`` (B, R+1, n)
            Probability of each actor's position in each state.
        ``risk`` (B, R+1, n)
            Inferred risk attitudes ``R_i``.
        ``target`` (B, R, n) int
            Whom each actor challenged in each turn (-1: nobody).
        ``gain``, ``p_init``, ``p_target`` (B, R, n)
            The challenger's expected gain, its estimate and the target's
            estimate of the probability that the challenger wins (NaN: none).
        ``g_target`` (B, R, n)
            The target's estimate of the challenger's expected gain (what
            KTAB uses as the target's interpolation weight).
        ``bargains`` (B, R, n, Q, 2, m)
            Proposals each challenger put forward (Q = 2 for
            ``"InitRcvrInterp"``, else 1): position for challenger, for target.
        ``chosen`` (B, R, n, 2) int
            The bargain each actor adopted: (challenger, proposal index), or
            (-1, -1) for the status quo.
        ``joint_mode`` (B, R+1, m)
            The single most probable distinct position.

    Raises
    ------
    ForecastInputError
        On bad shapes, values out of range, or unknown parameter names.

    References
    ----------
    See the module docstring: Wise, Lester & Efird (2015); Efird, Lester &
    Wise (2016); KTAB source (MIT).

    Examples
    --------
    >>> t = smp([[10.0], [50.0], [90.0]], [1.0, 1.0, 1.0], [[1.0], [1.0], [1.0]])
    >>> t.model, t.positions.shape[0]
    ('smp', 1)
    """
    params = _Params(
        victory_model=_choice("victory_model", victory_model),
        pce_model=_choice("pce_model", pce_model),
        transitions=_choice("transitions", transitions),
        voting_rule=_choice("voting_rule", voting_rule),
        risk_adjust=_choice("risk_adjust", risk_adjust),
        risk_range=_choice("risk_range", risk_range),
        third_party=_choice("third_party", third_party),
        interpolation=_choice("interpolation", interpolation),
        bargain_model=_choice("bargain_model", bargain_model),
    )
    x, c, s = _check(positions, capability, salience)
    b, n, _ = x.shape
    if accommodation is None:
        acc = np.broadcast_to(np.eye(n), (b, n, n)).copy()
    else:
        acc = _as_float("accommodation", accommodation)
        if acc.ndim == 2:
            acc = acc[None]
        if acc.shape[1:] != (n, n) or acc.shape[0] not in (1, b):
            raise ForecastInputError(
                f"accommodation must have shape ({n}, {n}) or ({b}, {n}, {n}); got {acc.shape}"
            )
        acc = np.broadcast_to(acc, (b, n, n)).copy()
        if np.any(acc < 0) or np.any(acc > 1) or np.any(acc.sum(axis=2) > 1 + 1e-10):
            raise ForecastInputError(
                "accommodation entries must lie in [0, 1] with rows summing to at most 1"
            )
    if not (isinstance(max_iterations, int) and max_iterations >= 1):
        raise ForecastInputError(f"max_iterations must be an integer >= 1; got {max_iterations!r}")
    if not (isinstance(min_iterations, int) and min_iterations >= 1):
        raise ForecastInputError(f"min_iterations must be an integer >= 1; got {min_iterations!r}")
    if not (min_delta_ratio >= 0):
        raise ForecastInputError(f"min_delta_ratio must be >= 0; got {min_delta_ratio!r}")
    if not (pos_tol > 0):
        raise ForecastInputError(f"pos_tol must be > 0; got {pos_tol!r}")
    rng = np.random.default_rng(seed)
    run = _engine(
        x / 100.0,
        c,
        s,
        acc,
        params,
        max_iterations,
        min_iterations,
        float(min_delta_ratio),
        float(pos_tol) / 100.0,
        rng,
    )
    pos100 = run.positions * 100.0
    w = c[:, None, :, None] * s[:, None, :, :]
    flat_x = pos100.reshape(-1, n, pos100.shape[-1])
    flat_w = np.broadcast_to(w, pos100.shape).reshape(flat_x.shape)
    shape = pos100.shape[:2] + pos100.shape[3:]
    mean = weighted_mean(flat_x, flat_w).reshape(shape)
    median = weighted_median(flat_x, flat_w).reshape(shape)
    events: dict[str, NDArray[Any]] = {
        "rounds": run.rounds,
        "prob": run.prob,
        "risk": run.risk,
        "target": run.target,
        "gain": run.gain,
        "p_init": run.p_init,
        "p_target": run.p_target,
        "g_target": run.g_target,
        "bargains": run.bargains * 100.0,
        "chosen": run.chosen,
        "joint_mode": run.joint_mode * 100.0,
    }
    settings: dict[str, object] = {k: getattr(params, k) for k in PARAMETERS}
    settings.update(
        max_iterations=max_iterations,
        min_iterations=min_iterations,
        min_delta_ratio=float(min_delta_ratio),
        pos_tol=float(pos_tol),
        seed=seed,
        accommodation="identity" if accommodation is None else "given",
    )
    return ForecastTrace(
        model="smp",
        positions=pos100,
        forecast=run.mode * 100.0,
        mean=mean,
        median=median,
        events=events,
        params=settings,
    )


def _check(
    positions: ArrayLike, capability: ArrayLike, salience: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    x = _as_float("positions", positions)
    c = _as_float("capability", capability)
    s = _as_float("salience", salience)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[1] < 2 or x.shape[2] < 1:
        raise ForecastInputError(
            f"positions must have shape (B, n, m) or (n, m) with n >= 2 actors; got {x.shape}"
        )
    b, n, m = x.shape
    if c.ndim == 1:
        c = c[None]
    if s.ndim == 2:
        s = s[None]
    if c.ndim != 2 or c.shape[1] != n or c.shape[0] not in (1, b):
        raise ForecastInputError(f"capability must have shape ({n},) or ({b}, {n}); got {c.shape}")
    if s.ndim != 3 or s.shape[1:] != (n, m) or s.shape[0] not in (1, b):
        raise ForecastInputError(
            f"salience must have shape ({n}, {m}) or ({b}, {n}, {m}); got {s.shape}"
        )
    c = np.broadcast_to(c, (b, n)).copy()
    s = np.broadcast_to(s, (b, n, m)).copy()
    if np.any(x < 0) or np.any(x > 100):
        raise ForecastInputError(
            f"positions must lie on 0-100; got range [{x.min():g}, {x.max():g}]"
        )
    if np.any(c <= 0):
        raise ForecastInputError(f"capability must be > 0; got minimum {c.min():g}")
    if np.any(s < 0) or np.any(s > 1):
        raise ForecastInputError(
            "salience must be fractions in [0, 1] (KTAB's CSV percentages divided by 100); "
            f"got range [{s.min():g}, {s.max():g}]"
        )
    total = s.sum(axis=2)
    if np.any(total > 1 + 1e-9) or np.any(total <= 0):
        raise ForecastInputError(
            "each actor's saliences must sum to more than 0 and at most 1; "
            f"got sums in [{total.min():g}, {total.max():g}]"
        )
    return x, c, s


# ---------------------------------------------------------------------------
# elections


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


def _third_party(
    prm: _Params,
    wn: FloatArray,
    uni: FloatArray,
    unj: FloatArray,
    unn: FloatArray,
    c0ij: FloatArray,
    c0ji: FloatArray,
) -> FloatArray:
    """Vote of third party ``n`` in the contest (i:j).

    KTAB's ``Actor::vProbLittle`` followed by ``Actor::thirdPartyVoteSU``.
    """
    cn = _vote(prm.voting_rule, wn, uni - unj)
    cni = c0ij + np.maximum(cn, 0.0)
    cnj = c0ji + np.maximum(-cn, 0.0)
    pin = cni / (cni + cnj)
    pjn = 1.0 - pin
    if prm.third_party == "FullCommit":
        ikj, jik, ijk, jki = 3 * uni, 3 * unj, 3 * uni, 3 * unj
    elif prm.third_party == "SemiCommit":
        ikj, jik, ijk, jki = 2 * uni + unn, 3 * unj, 3 * uni, 2 * unj + unn
    else:
        ikj, jik, ijk, jki = 2 * uni + unn, 2 * unj + unn, 2 * uni + unn, 2 * unj + unn
    u_ik_j = pin * ikj + pjn * jik
    u_i_jk = pin * ijk + pjn * jki
    return _vote(prm.voting_rule, wn, u_ik_j - u_i_jk)


def _principals(
    prm: _Params,
    wi: FloatArray,
    wj: FloatArray,
    uii: FloatArray,
    uij: FloatArray,
    uji: FloatArray,
    ujj: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    ci = _vote(prm.voting_rule, wi, uii - uij)
    cj = _vote(prm.voting_rule, wj, uji - ujj)
    c0ij = _MIN_CONTEST + np.maximum(ci, 0.0) + np.maximum(cj, 0.0)
    c0ji = _MIN_CONTEST + np.maximum(-ci, 0.0) + np.maximum(-cj, 0.0)
    return c0ij, c0ji


def _best_challenges(
    a: _Assessment, ws: FloatArray, ssum: FloatArray, prm: _Params
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Every actor's best target, its estimated win probability and expected gain.

    Actor ``i`` judges every challenge ``i -> j`` with its own utilities
    ``U^i`` (KTAB ``bestChallengeUtils``: ``probEduChlg(i, i, i, j)``): the
    ``(i, j, third party)`` tensor, in blocks of challengers.  Returns target
    (B, n) (-1: none), probability and gain (B, n).
    """
    b, n, _ = a.dist.shape
    target = np.full((b, n), -1, dtype=np.intp)
    p_best = np.full((b, n), np.nan)
    gain_best = np.full((b, n), np.nan)
    ar = np.arange(n)
    step = max(1, _CHUNK // (n * n))
    fast = prm.voting_rule == "Prop" and prm.third_party == "SemiCommit"
    for bi in range(b):
        d = a.dist[bi]  # (n, n): D[m, j]
        one_d = 1.0 - d
        curv = one_d * d  # u(D, R) = (1 - D) + (1 - D) D R
        rhi = a.rhi[bi]  # (h, i)
        w = ws[bi]
        for lo in range(0, n, step):
            hs = ar[lo : lo + step]  # perspectives = challengers i
            h_ = np.arange(len(hs))
            # U[h, m, j] = u(D[m, j], R_hm) for h in hs: (H, n, n)
            u = curv[None, :, :] * rhi[hs][:, :, None]
            u += one_d[None, :, :]
            uii = u[h_, hs, hs][:, None]  # (H, 1)
            uij = u[h_, hs, :]  # (H, j): U^i[i, j]
            uji = u[h_, :, hs]  # (H, j): U^i[j, i] (also U^i[m, i] of third parties m)
            ujj = np.diagonal(u, axis1=1, axis2=2).copy()  # (H, j): U^i[j, j]
            c0ij, c0ji = _principals(prm, w[hs][:, None], w[None, :], uii, uij, uji, ujj)
            if fast:
                chij, chji = _third_parties_prop_semi(u, uji, ujj, w, c0ij, c0ji, hs)
            else:
                v = _third_party(
                    prm,
                    w[None, :, None],
                    uji[:, :, None],
                    u,
                    ujj[:, :, None],
                    c0ij[:, None, :],
                    c0ji[:, None, :],
                )  # (H, m, j)
                v[h_, hs, :] = 0.0  # m == i
                v[:, ar, ar] = 0.0  # m == j
                chij = c0ij + np.maximum(v, 0.0).sum(axis=1)
                chji = c0ji + np.maximum(-v, 0.0).sum(axis=1)
            phij = chij / (chij + chji)
            sj = ssum[bi][None, :]
            vict = 2.0 * uii
            lose = 2.0 * uij
            gain = (1 - sj) * vict + sj * (phij * vict + (1.0 - phij) * lose) - (uii + uij)
            gain[h_, hs] = -np.inf
            ok = gain > _MIN_GAIN
            g = np.where(ok, gain, -np.inf)
            j = np.argmax(g, axis=1)  # first of equal maxima, as KTAB's ascending scan
            has = ok.any(axis=1)
            target[bi, hs] = np.where(has, j, -1)
            p_best[bi, hs] = np.where(has, phij[h_, j], np.nan)
            gain_best[bi, hs] = np.where(has, gain[h_, j], np.nan)
    return target, p_best, gain_best


def _third_parties_prop_semi(
    u: FloatArray,
    uni: FloatArray,
    unn: FloatArray,
    w: FloatArray,
    c0ij: FloatArray,
    c0ji: FloatArray,
    hs: IntArray,
) -> tuple[FloatArray, FloatArray]:
    """Coalition totals with third parties, for the default rules (``Prop``, ``SemiCommit``).

    The same arithmetic as :func:`_third_party`, simplified for a linear vote:
    third party ``m``'s "little conflict" probability is
    ``p = (c0ij + w max(d, 0)) / (c0ij + c0ji + w |d|)`` with
    ``d = U[m, i] - U[m, j]``, and its vote ``w ((U[m, j] - U[m, m]) +
    p (2 U[m, m] - U[m, i] - U[m, j]))``.  ``u`` is (H, m, j); the rest as in
    :func:`_best_challenges`.
    """
    h_ = np.arange(len(hs))
    n = u.shape[1]
    ar = np.arange(n)
    wm = w[None, :, None]
    dd = uni[:, :, None] - u  # d = U[m, i] - U[m, j]
    num = np.maximum(dd, 0.0)
    num *= wm
    num += c0ij[:, None, :]
    np.abs(dd, out=dd)
    dd *= wm
    dd += (c0ij + c0ji)[:, None, :]
    num /= dd  # p, the third party's little-conflict probability
    t = (2.0 * unn - uni)[:, :, None] - u
    t *= num
    t += u
    t -= unn[:, :, None]
    t[h_, hs, :] = 0.0  # m == i
    t[:, ar, ar] = 0.0  # m == j
    pos = np.maximum(t, 0.0, out=num)
    chij = c0ij + np.matmul(w, pos)
    neg = np.minimum(t, 0.0, out=t)
    chji = c0ji - np.matmul(w, neg)
    return chij, chji


def _contest(
    a: _Assessment,
    ws: FloatArray,
    ssum: FloatArray,
    bb: IntArray,
    h: IntArray,
    i: IntArray,
    j: IntArray,
    prm: _Params,
) -> tuple[FloatArray, FloatArray]:
    """``h``'s estimates of the challenge ``i -> j`` (KTAB ``probEduChlg(h, i, i, j)``), per pair.

    ``bb``, ``h``, ``i``, ``j`` are (P,) index arrays.  Returns the probability
    that ``i`` beats ``j`` and the expected gain to ``i``, both (P,).
    """
    n = a.dist.shape[1]
    p_ = np.arange(len(bb))
    r = a.rhi[bb, h]  # (P, m): R_hm
    uni = _bs_util(a.dist[bb, :, i], r)  # U^h[m, i]
    unj = _bs_util(a.dist[bb, :, j], r)  # U^h[m, j]
    unn = _bs_util(np.diagonal(a.dist, axis1=1, axis2=2)[bb], r)  # U^h[m, m]
    uii, uij, uji, ujj = uni[p_, i], unj[p_, i], uni[p_, j], unj[p_, j]
    w = ws[bb]
    c0ij, c0ji = _principals(prm, w[p_, i], w[p_, j], uii, uij, uji, ujj)
    v = _third_party(prm, w, uni, unj, unn, c0ij[:, None], c0ji[:, None])
    ar = np.arange(n)[None, :]
    v = np.where((ar != i[:, None]) & (ar != j[:, None]), v, 0.0)
    chij = c0ij + np.maximum(v, 0.0).sum(axis=1)
    chji = c0ji + np.maximum(-v, 0.0).sum(axis=1)
    phij = chij / (chij + chji)
    sj = ssum[bb, j]
    vict, lose = 2.0 * uii, 2.0 * uij
    gain = (1 - sj) * vict + sj * (phij * vict + (1.0 - phij) * lose) - (uii + uij)
    return np.asarray(phij, dtype=np.float64), np.asarray(gain, dtype=np.float64)


# ---------------------------------------------------------------------------
# bargains


def _round4(x: FloatArray) -> FloatArray:
    return np.asarray(np.floor(0.5 + x * 10000.0) / 10000.0, dtype=np.float64)


def _interpolate(
    method: str,
    ti: FloatArray,
    si: FloatArray,
    pi: FloatArray,
    tj: FloatArray,
    sj: FloatArray,
    pj: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """KTAB ``SMPActor::interpolateBrgn``: the bargain's positions for challenger and target."""
    if method == "S2PMax":
        di = np.maximum(pj - pi, 0.0)
        dj = np.maximum(pi - pj, 0.0)
        si2, sj2 = si * si, sj * sj
        dik = (di * sj2) / ((di * sj2) + _INTERP_MIN_W + ((1 - di) * si2))
        djk = (dj * si2) / ((dj * si2) + _INTERP_MIN_W + ((1 - dj) * sj2))
        return ti + dik * (tj - ti), tj + djk * (ti - tj)
    k = 1 if method == "S1P1" else 2
    wi = si**k * pi**k
    wj = sj**k * pj**k
    den = wi + _INTERP_MIN_W + wj
    bi = _round4(((wi + _INTERP_MIN_W) * ti + wj * tj) / den)
    bj = _round4((wi * ti + (_INTERP_MIN_W + wj) * tj) / den)
    return bi, bj


@dataclass(frozen=True)
class _Turn:
    positions: FloatArray  # (B, n, d) next positions
    target: IntArray
    gain: FloatArray
    p_init: FloatArray
    p_target: FloatArray
    g_target: FloatArray
    bargains: FloatArray  # (B, n, Q, 2, d)
    chosen: IntArray  # (B, n, 2)


def _turn(
    pos: FloatArray,
    ideal: FloatArray,
    sal: FloatArray,
    cap: FloatArray,
    a: _Assessment,
    prm: _Params,
    rng: np.random.Generator,
) -> _Turn:
    b, n, dim = pos.shape
    ssum = sal.sum(axis=2)
    ws = cap * ssum
    target, p_init, gain = _best_challenges(a, ws, ssum, prm)
    bb, ii = np.nonzero(target >= 0)
    jj = target[bb, ii]
    p_tgt = np.full((b, n), np.nan)
    g_tgt = np.full((b, n), np.nan)
    q = 2 if prm.bargain_model == "InitRcvrInterp" else 1
    brg = np.full((b, n, q, 2, dim), np.nan)
    if len(bb):
        pjij, gjij = _contest(a, ws, ssum, bb, jj, ii, jj, prm)
        p_tgt[bb, ii] = pjij
        g_tgt[bb, ii] = gjij
        piij = p_init[bb, ii]
        ti, tj = pos[bb, ii], pos[bb, jj]
        si, sj = sal[bb, ii], sal[bb, jj]
        iij = _interpolate(prm.interpolation, ti, si, piij[:, None], tj, sj, 1 - piij[:, None])
        # KTAB (smpbcn.cpp) passes the target's estimate of the challenger's expected *gain*
        # (get<1> of probEduChlg), not of its probability, as the target's interpolation weight
        jij = _interpolate(prm.interpolation, ti, si, gjij[:, None], tj, sj, 1 - gjij[:, None])
        if prm.bargain_model == "InitOnlyInterp":
            brg[bb, ii, 0, 0], brg[bb, ii, 0, 1] = iij
        elif prm.bargain_model == "InitRcvrInterp":
            brg[bb, ii, 0, 0], brg[bb, ii, 0, 1] = iij
            brg[bb, ii, 1, 0], brg[bb, ii, 1, 1] = jij
        else:
            wi = (cap[bb, ii] * ssum[bb, ii])[:, None]
            wj = (cap[bb, ii] * ssum[bb, jj])[:, None]  # KTAB: challenger's capability
            brg[bb, ii, 0, 0] = (wi * iij[0] + wj * jij[0]) / (wi + wj)
            brg[bb, ii, 0, 1] = (wi * iij[1] + wj * jij[1]) / (wi + wj)
    new_pos, chosen = _resolve(pos, ideal, sal, cap, a, target, brg, prm, rng)
    return _Turn(new_pos, target, gain, p_init, p_tgt, g_tgt, brg, chosen)


def _resolve(
    pos: FloatArray,
    ideal: FloatArray,
    sal: FloatArray,
    cap: FloatArray,
    a: _Assessment,
    target: IntArray,
    brg: FloatArray,
    prm: _Params,
    rng: np.random.Generator,
) -> tuple[FloatArray, IntArray]:
    """Every actor's election among the status quo and the bargains involving it."""
    b, n, dim = pos.shape
    q = brg.shape[2]
    own = _own_util(a)  # (B, a, m): U^a[a, m]
    total = own.sum(axis=2)  # (B, a)
    # utility to every actor of each proposal's two positions: (B, a, i, q, 2)
    flat = np.nan_to_num(brg.reshape(b, n * q * 2, dim))
    d = _distance(ideal, flat, sal)  # (B, a, n*q*2)
    pu = _bs_util(d, a.risk[:, :, None]).reshape(b, n, n, q, 2)
    tgt = np.where(target >= 0, target, 0)
    u_init = np.take_along_axis(own, np.broadcast_to(np.arange(n)[None, None, :], (b, n, n)), 2)
    u_rcvr = np.take_along_axis(own, np.broadcast_to(tgt[:, None, :], (b, n, n)), 2)
    ub = (total[:, :, None, None] - (u_init + u_rcvr)[:, :, :, None] + pu[..., 0] + pu[..., 1]) / n
    opts = np.concatenate(
        [(total / n)[:, :, None], ub.reshape(b, n, n * q)], axis=2
    )  # (B, a, 1+n*q)
    # option lists: per (draw, actor k): status quo, then bargains by challenger index
    has = target >= 0
    bi, ii = np.nonzero(has)
    entries_b = np.concatenate([bi, bi])
    entries_k = np.concatenate([ii, target[bi, ii]])
    entries_i = np.concatenate([ii, ii])
    eb = np.repeat(entries_b, q)
    ek = np.repeat(entries_k, q)
    ei = np.repeat(entries_i, q)
    eq = np.tile(np.arange(q), len(entries_b))
    order = np.lexsort((eq, ei, ek, eb))
    eb, ek, ei, eq = eb[order], ek[order], ei[order], eq[order]
    count = np.ones((b, n), dtype=np.intp)
    np.add.at(count, (eb, ek), 1)
    first = np.zeros(b * n, dtype=np.intp)
    flat_key = eb * n + ek
    starts = np.searchsorted(flat_key, np.arange(b * n))
    first[:] = starts
    slot = np.arange(len(eb)) - first[flat_key] + 1
    mmax = int(count.max())
    col = np.zeros((b, n, mmax), dtype=np.intp)  # 0 = status quo
    col[eb, ek, slot] = 1 + ei * q + eq
    chosen = np.full((b, n, 2), -1, dtype=np.intp)
    new_pos = pos.copy()
    # one uniform draw per (draw, actor) every turn, in that order: a seed reproduces a run
    uniform = rng.random((b, n)) if prm.transitions == "Stochastic" else None
    for m in np.unique(count):
        gb, gk = np.nonzero(count == m)
        if m == 1:
            continue
        cols = col[gb, gk, :m]  # (G, m)
        u = np.take_along_axis(opts[gb], np.broadcast_to(cols[:, None, :], (len(gb), n, m)), 2)
        p = _scalar_pce(u, cap[gb], prm)  # (G, m)
        if prm.transitions == "Deterministic":
            pick = np.argmax(p, axis=1)
        else:
            assert uniform is not None
            draws = uniform[gb, gk]
            cum = np.cumsum(p, axis=1)
            pick = np.minimum((cum < draws[:, None]).sum(axis=1), m - 1)
        c = cols[np.arange(len(gb)), pick]
        moved = c > 0
        gbm, gkm, cm = gb[moved], gk[moved], c[moved] - 1
        ci, cq = cm // q, cm % q
        side = np.where(ci == gkm, 0, 1)
        new_pos[gbm, gkm] = brg[gbm, ci, cq, side]
        chosen[gbm, gkm, 0] = ci
        chosen[gbm, gkm, 1] = cq
    return new_pos, chosen


# ---------------------------------------------------------------------------
# position probabilities and the forecast


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
