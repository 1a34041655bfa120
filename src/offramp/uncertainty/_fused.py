"""The sweep kernel's one-block case compiled (numba): one pass over the packages per draw.

:func:`offramp.uncertainty.kernel.settle` with numpy moves (packages x veto
actors x draws) temporaries through memory some twenty times per batch (the
sums, the rounding, the comparisons, the masks, the counts and the Nash
scores), for 10^4 Ukraine draws about 2 s of a sweep's 3 s. When the space
is one block (at most ``block_size`` packages) this kernel does the same
work draw by draw with the packages of one draw in cache: the veto actors'
utilities summed in the order of :func:`offramp.uncertainty.kernel._blocks`
(``((0 + t_0) + t_1) + ...``), rounded as numpy rounds (multiply, round
half to even, divide), then per package the refusals, the ratification
bodies' verdicts (looked up by the package's cell, decided per draw by the
caller as the numpy kernel decides them), blockers, ZOPA and ratification,
and the Nash package with the kernel's tie rule. Rounding is monotone and moves a utility by at
most ``0.5 / scale`` plus a few ulps, so a refusal is decided on the
unrounded sum unless it lies within ``10 / scale + 1e-15 (S + |batna|)`` of the
batna (S bounds |x|: the sum of each table's largest magnitude);
only those, and the ratified packages (whose rounded utilities enter the Nash
score), are rounded. Same operations in the same order, so the
results are bit-identical to the numpy kernel (tests/test_uncertainty.py
runs both on random problems).

numba is imported, and the kernel compiled (or loaded from numba's on-disk
cache), on first use, so importing offramp stays fast; without numba
:data:`AVAILABLE` is False and the numpy kernel runs alone.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from offramp._jit import AVAILABLE, Kernels

__all__ = ["AVAILABLE", "one_block"]

_KERNELS = Kernels(globals(), ("_kernel",))


def _kernel(
    tables: NDArray[np.float64],
    offsets: NDArray[np.int64],
    sizes: NDArray[np.int64],
    batna: NDArray[np.float64],
    cell: NDArray[np.int64],
    verdict: NDArray[np.uint8],
    slot: NDArray[np.int64],
    package_of: NDArray[np.int64],
    scale: float,
    rel_tie: float,
    zopa: NDArray[np.int64],
    ratified: NDArray[np.int64],
    nash: NDArray[np.int64],
    blocked: NDArray[np.int64],
    sole: NDArray[np.int64],
    reach: NDArray[np.int64],
    passed: NDArray[np.int64],
) -> None:
    """Fill the outputs for every draw of the batch (shapes as in :func:`one_block`).

    Packages are held first-issue-fastest (slot ``q`` is package
    ``package_of[q]``, the package index's mixed radix read backwards), so
    that every loop over packages runs over contiguous memory (the compiler
    vectorizes them); ``cell`` and ``slot`` come in slot order.
    """
    n, n_v, _ = tables.shape
    n_p, m = cell.shape
    n_i = sizes.shape[0]
    k_last = sizes[n_i - 1]
    n_pre = m // k_last
    pre = np.empty((n_v, n_pre))
    u = np.empty((n_v, m))
    refuses = np.empty((n_v + n_p, m), dtype=np.uint8)
    count = np.empty(m, dtype=np.uint8)
    vetoes = np.empty(m, dtype=np.uint8)
    score = np.empty(m)
    tied = np.empty(m, dtype=np.int64)
    first_slot = np.empty(n_p, dtype=np.int64)
    last_slot = np.empty(n_p, dtype=np.int64)
    for p in range(n_p):
        first_slot[p] = slot[p].min()
        last_slot[p] = slot[p].max()
    near = 10.0 / scale
    for d in range(n):
        for v in range(n_v):
            # _blocks' trailing sums, acc = (acc[:, None] + table[None, :]).ravel(), for
            # every issue but the last, held first-issue-fastest (slot a + length * c for
            # prefix a and option c) so the inner loop is contiguous; in place, last option
            # first, so that no prefix is overwritten before it is read
            length = 1
            pre[v, 0] = 0.0
            for i in range(n_i - 1):
                k = sizes[i]
                off = offsets[i]
                for c in range(k - 1, -1, -1):
                    t = tables[d, v, off + c]
                    row = c * length
                    for a in range(length):
                        pre[v, row + a] = pre[v, a] + t
                length *= k
            # rounded(x) = rint(x * scale) / scale is within 0.5 / scale + 5e-16 |x| of x
            # and monotone in x: only an x this close to the batna needs rounding. |x| is
            # at most the sum of the tables' largest magnitudes (plus rounding)
            bound = 0.0
            for i in range(n_i):
                largest = 0.0
                for c in range(sizes[i]):
                    largest = max(largest, abs(tables[d, v, offsets[i] + c]))
                bound += largest
            b = batna[d, v]
            low = b - (near + 1e-15 * (bound + abs(b)))
            high = b + (near + 1e-15 * (bound + abs(b)))
            off = offsets[n_i - 1]
            rough = 0
            for c in range(k_last):
                t = tables[d, v, off + c]
                row = c * n_pre
                for a in range(n_pre):
                    x = pre[v, a] + t
                    refuses[v, row + a] = x <= b
                    rough += (x >= low) & (x <= high)
            if rough:
                for q in range(m):
                    x = pre[v, q % n_pre] + tables[d, v, off + q // n_pre]
                    if x >= low and x <= high:
                        refuses[v, q] = np.rint(x * scale) / scale <= b
        for p in range(n_p):
            # a ratification body rejects a package by its cell (this draw's verdicts)
            for q in range(m):
                refuses[n_v + p, q] = verdict[d, p, cell[p, q]]
        for q in range(m):
            vetoes[q] = 0
        for v in range(n_v):
            for q in range(m):
                vetoes[q] += refuses[v, q]
        for q in range(m):
            count[q] = vetoes[q]
        for p in range(n_p):
            for q in range(m):
                count[q] += refuses[n_v + p, q]
        n_zopa = 0
        n_ratified = 0
        for q in range(m):
            n_zopa += vetoes[q] == 0
            n_ratified += count[q] == 0
        zopa[d] = n_zopa
        ratified[d] = n_ratified
        for p in range(n_p):
            # per body, the ZOPA packages by the column ``slot`` gives them, and those
            # passed: one contiguous count per column (a scatter-add would serialize)
            for column in range(first_slot[p], last_slot[p] + 1):
                seen = 0
                through = 0
                for q in range(m):
                    here = (slot[p, q] == column) & (vetoes[q] == 0)
                    seen += here
                    through += here & (refuses[n_v + p, q] == 0)
                reach[d, column] += seen
                passed[d, column] += through
        for k in range(n_v + n_p):
            held = 0
            alone = 0
            for q in range(m):
                held += refuses[k, q]
                alone += refuses[k, q] & (count[q] == 1)
            blocked[d, k] = held
            sole[d, k] = alone
        if n_ratified == 0:
            continue
        # the Nash package: the kernel's gains product over the rounded utilities
        best = -np.inf
        for q in range(m):
            score[q] = -np.inf
            if count[q] != 0:
                continue
            for v in range(n_v):  # the utility again (the same sum), rounded
                x = pre[v, q % n_pre] + tables[d, v, offsets[n_i - 1] + q // n_pre]
                u[v, q] = np.rint(x * scale) / scale
            s = u[0, q] - batna[d, 0]
            for v in range(1, n_v):
                s = s * (u[v, q] - batna[d, v])
            score[q] = s
            if s > best:
                best = s
        if not np.isfinite(best):
            continue
        floor = best - rel_tie * max(1.0, abs(best))
        n_tied = 0
        for q in range(m):
            if count[q] == 0 and score[q] >= floor:
                tied[n_tied] = q
                n_tied += 1
        pick = -1
        for t in range(n_tied):
            q = tied[t]
            j = package_of[q]
            if pick >= 0 and j > pick:
                continue
            # the lowest tied package that no other tied package Pareto-dominates
            dominated = False
            for t2 in range(n_tied):
                q2 = tied[t2]
                all_ge = True
                any_gt = False
                for v in range(n_v):
                    if u[v, q2] < u[v, q]:
                        all_ge = False
                        break
                    if u[v, q2] > u[v, q]:
                        any_gt = True
                if all_ge and any_gt:
                    dominated = True
                    break
            if not dominated:
                pick = j
        nash[d] = pick


def one_block(
    tables: list[NDArray[np.float64]],
    batna: NDArray[np.float64],
    cell: NDArray[np.int64],
    verdict: NDArray[np.bool_],
    slot: NDArray[np.int64],
    n_slots: int,
    scale: float,
    rel_tie: float,
) -> tuple[NDArray[np.int64], ...]:
    """The settlement counts and Nash package of every draw, the space as one block.

    Parameters
    ----------
    tables : list of ndarray of float64, shape (B, V, K_i)
        The veto actors' weighted utility tables, red lines already applied.
    batna : ndarray of float64, shape (B, V)
    cell : ndarray of int64, shape (Q, M)
        Each ratification body's cell of every package (package order).
    verdict : ndarray of bool, shape (B, Q, C)
        Whether body ``q`` rejects cell ``c`` in each draw.
    slot : ndarray of int64, shape (Q, M)
        Column of ``reach`` and ``passed`` that counts each package at each body.
    n_slots : int
    scale, rel_tie : float
        ``10**DECIMALS`` and the kernel's relative Nash tie tolerance.

    Returns
    -------
    zopa, ratified, nash : ndarray of int64, shape (B,)
    blocked, sole : ndarray of int64, shape (B, V + Q)
    reach, passed : ndarray of int64, shape (B, n_slots)
        The ZOPA packages counted in each column, and those the body passes.
    """
    _KERNELS.compile()
    n, n_v = batna.shape
    sizes = np.array([t.shape[2] for t in tables], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    flat = np.ascontiguousarray(np.concatenate(tables, axis=2))
    zopa = np.zeros(n, dtype=np.int64)
    ratified = np.zeros(n, dtype=np.int64)
    nash = np.full(n, -1, dtype=np.int64)
    blocked = np.zeros((n, n_v + cell.shape[0]), dtype=np.int64)
    sole = np.zeros_like(blocked)
    reach = np.zeros((n, n_slots), dtype=np.int64)
    passed = np.zeros_like(reach)
    package_of = np.arange(cell.shape[1], dtype=np.int64).reshape(sizes).ravel(order="F")
    _kernel(
        flat,
        offsets,
        sizes,
        np.ascontiguousarray(batna),
        np.ascontiguousarray(cell[:, package_of]),
        np.ascontiguousarray(verdict, dtype=np.uint8),
        np.ascontiguousarray(slot[:, package_of]),
        package_of,
        scale,
        rel_tie,
        zopa,
        ratified,
        nash,
        blocked,
        sole,
        reach,
        passed,
    )
    return zopa, ratified, nash, blocked, sole, reach, passed
