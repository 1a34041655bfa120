"""Compiled inner loops of SMP for many actors (numba, optional).

Two steps of a turn cost O(n^3) for n actors: every challenger's view of
every target with every third party (:func:`offramp.forecast.smp.challenge._best_challenges`,
KTAB's ``probEduChlg`` over all pairs), and the coalition strengths of an
election over n options (:func:`offramp.forecast.smp.pce._coalitions`,
KTAB's ``Model::coalitions``). The numpy engine builds (block, n, n)
temporaries for them; these kernels do the same per-element arithmetic in
the same order of operations in one pass without temporaries. Only sums over
voters may be taken in another order than numpy's matrix product, so the two
engines agree to the last bits of those sums (the tests compare their
histories).

Without numba (a dependency, but not required) :data:`AVAILABLE` is False
and the numpy engine runs alone. numba is imported, and the kernels compiled
(or loaded from numba's on-disk cache), on first use; the engine calls them
only from :data:`MIN_ACTORS` actors on, where they repay numba's start-up.
They are compiled with numpy's error model (no division check: every
denominator is positive), which lets the compiler vectorize the inner loops.
"""

from __future__ import annotations

import numpy as np

from offramp._jit import AVAILABLE, Kernels
from offramp.forecast.smp.params import FloatArray

__all__ = ["AVAILABLE", "MIN_ACTORS", "coalitions_prop", "third_parties_prop_semi"]

MIN_ACTORS = 100
"""Fewest actors for which the engine uses the kernels (smaller runs stay in numpy)."""

_KERNELS = Kernels(globals(), ("_third_parties", "_coalitions"), error_model="numpy")


def _third_parties(
    one_d: FloatArray,
    curv: FloatArray,
    rhi: FloatArray,
    w: FloatArray,
    c0ij: FloatArray,
    c0ji: FloatArray,
    chij: FloatArray,
    chji: FloatArray,
) -> None:
    """Coalition totals ``chij[i, j]``, ``chji[i, j]`` of every challenge ``i -> j``, i's view.

    ``U^i[m, j] = (curv[m, j] R_im) + one_d[m, j]``; third party ``m`` votes
    ``w_m t`` with ``t = ((2 U[m, m] - U[m, i]) - U[m, j]) p + U[m, j] - U[m, m]``
    and ``p = (max(d, 0) w_m + c0ij) / (|d| w_m + (c0ij + c0ji))``,
    ``d = U[m, i] - U[m, j]`` (see ``_third_parties_prop_semi``).
    """
    n = one_d.shape[0]
    pos = np.empty(n)
    neg = np.empty(n)
    both = np.empty(n)
    for i in range(n):
        for j in range(n):
            pos[j] = 0.0
            neg[j] = 0.0
            both[j] = c0ij[i, j] + c0ji[i, j]
        for m in range(n):
            if m == i:  # the challenger is no third party
                continue
            r = rhi[i, m]
            wm = w[m]
            uni = curv[m, i] * r + one_d[m, i]
            unn = curv[m, m] * r + one_d[m, m]
            base = 2.0 * unn - uni
            # nor is the target: j == m skipped; two branch-free runs that compilers vectorize
            for lo, hi in ((0, m), (m + 1, n)):
                for j in range(lo, hi):
                    u = curv[m, j] * r + one_d[m, j]
                    dd = uni - u
                    num = max(dd, 0.0) * wm + c0ij[i, j]
                    den = abs(dd) * wm + both[j]
                    t = (base - u) * (num / den) + u - unn
                    pos[j] += wm * max(t, 0.0)  # adds +0.0 where t <= 0: the same sums
                    neg[j] += wm * min(t, 0.0)
        for j in range(n):
            chij[i, j] = c0ij[i, j] + pos[j]
            chji[i, j] = c0ji[i, j] - neg[j]


def _coalitions(u: FloatArray, w: FloatArray, floor: float, out: FloatArray) -> None:
    """``out[..., i, j] = sum_k w_k max(u_ki - u_kj, 0) + floor`` (0 + floor on the diagonal).

    ``u`` (B, A, M) utilities, ``w`` (B, A) weights, ``out`` (B, M, M).
    """
    bsz, a, m = u.shape
    for b in range(bsz):
        for i in range(m):
            for j in range(m):
                out[b, i, j] = 0.0
        for k in range(a):
            wk = w[b, k]
            for i in range(m):
                uki = u[b, k, i]
                for j in range(m):
                    out[b, i, j] += wk * max(uki - u[b, k, j], 0.0)  # +0.0 where not above
        for i in range(m):
            out[b, i, i] = 0.0
            for j in range(m):
                out[b, i, j] += floor


def third_parties_prop_semi(
    one_d: FloatArray,
    curv: FloatArray,
    rhi: FloatArray,
    w: FloatArray,
    c0ij: FloatArray,
    c0ji: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Every challenge's coalition totals with third parties (``Prop``, ``SemiCommit``).

    Parameters
    ----------
    one_d, curv : ndarray of float64, shape (n, n)
        ``1 - D`` and ``(1 - D) D`` of one draw's distances.
    rhi : ndarray of float64, shape (n, n)
        ``R_hi``, h's estimate of i's risk attitude.
    w : ndarray of float64, shape (n,)
        Capability times summed salience.
    c0ij, c0ji : ndarray of float64, shape (n, n)
        The principals' coalitions of each challenge ``i -> j`` (i's view).

    Returns
    -------
    chij, chji : ndarray of float64, shape (n, n)
    """
    _KERNELS.compile()
    n = one_d.shape[0]
    chij = np.empty((n, n))
    chji = np.empty((n, n))
    _third_parties(
        np.ascontiguousarray(one_d),
        np.ascontiguousarray(curv),
        np.ascontiguousarray(rhi),
        np.ascontiguousarray(w),
        np.ascontiguousarray(c0ij),
        np.ascontiguousarray(c0ji),
        chij,
        chji,
    )
    return chij, chji


def coalitions_prop(u: FloatArray, w: FloatArray, floor: float) -> FloatArray:
    """Coalition strengths of the linear ``Prop`` vote, (..., M, M) from ``u`` (..., A, M).

    Examples
    --------
    >>> u = np.array([[[1.0, 0.0], [0.0, 0.5]]])
    >>> coalitions_prop(u, np.array([[2.0, 1.0]]), 0.0).tolist()
    [[[0.0, 2.0], [0.5, 0.0]]]
    """
    _KERNELS.compile()
    lead = u.shape[:-2]
    a, m = u.shape[-2:]
    flat_u = np.ascontiguousarray(u.reshape(-1, a, m), dtype=np.float64)
    flat_w = np.ascontiguousarray(np.broadcast_to(w, (*lead, a)).reshape(-1, a), dtype=np.float64)
    out = np.empty((flat_u.shape[0], m, m))
    _coalitions(flat_u, flat_w, floor, out)
    return out.reshape(*lead, m, m)
