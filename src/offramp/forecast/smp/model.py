"""The public checker :func:`smp`: validates and converts, then runs the engine."""

from __future__ import annotations

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
from offramp.forecast.smp.params import PARAMETERS, FloatArray, _choice, _Params
from offramp.forecast.smp.stopping import _engine

__all__ = ["smp"]


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
