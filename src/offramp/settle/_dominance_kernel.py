"""Compiled three-column dominance test for the Pareto filters (numba, optional).

Which rows of an integer array ``(n, 3)`` are margin-dominated (another row
at least as large in every column and larger by ``margin`` in one, see
:func:`offramp.settle.solutions._nondominated`)? A row ``q`` is dominated
exactly when, for some column ``c``, some row ``p`` satisfies
``p >= q + margin e_c`` in every column. Each of those three questions is a
weak-dominance query, answered for all rows at once by one plane sweep:
rows in decreasing order of the first column are inserted into a Fenwick
tree (binary indexed tree) over the ranks of the second column that keeps
the maximum of the third, and each query, taken in decreasing order of its
first-column threshold, asks for the largest third column among the rows
inserted so far with a second column at least its own. O(n log n) time and
O(n) memory, against the O(n log² n) sorts of the numpy divide and conquer.

This is the classical sweep for the maxima of a set of vectors in three
dimensions (Kung, H. T., Luccio, F. & Preparata, F. P. (1975). On finding
the maxima of a set of vectors. *J. ACM* 22(4), 469-476.
https://doi.org/10.1145/321906.321910), with the balanced search tree of the
two-dimensional staircase replaced by a prefix-maximum Fenwick tree
(Fenwick, P. M. (1994). A new data structure for cumulative frequency
tables. *Software: Practice and Experience* 24(3), 327-336.
https://doi.org/10.1002/spe.4380240306).

Without numba (a dependency, but not required), :data:`AVAILABLE` is False
and the numpy engine runs alone. numba is imported and the kernel compiled
(or loaded from numba's on-disk cache) on first use, so importing offramp
stays fast; the callers use the kernel only for arrays large enough to
repay that.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from offramp._jit import AVAILABLE, Kernels

__all__ = ["AVAILABLE", "margin_dominated_3"]

_LOW = np.iinfo(np.int64).min
_KERNELS = Kernels(globals(), ("_sweep",))


def _sweep(
    x: NDArray[np.int64],
    y: NDArray[np.int64],
    z: NDArray[np.int64],
    by_x: NDArray[np.intp],
    by_y: NDArray[np.intp],
    margin: int,
    out: NDArray[np.bool_],
) -> None:
    """``out[i]``: row ``i`` is margin-dominated; ``by_x`` sorts ``x`` decreasing, ``by_y`` ``y``.

    Ranks of the second column (0 for the largest) and, for every row, the
    rank limit of ``y + margin`` come from one linear merge over ``by_y``.
    The queries of every row come in two streams already in sweep order:
    threshold ``x + margin`` (the first column larger) and threshold ``x``
    (the second or the third larger), merged as the sweep goes.
    """
    n = x.shape[0]
    rank = np.empty(n, dtype=np.int64)  # dense rank of y, ascending
    size = 0
    for k in range(n):
        i = by_y[k]
        if k > 0 and y[i] != y[by_y[k - 1]]:
            size += 1
        rank[i] = size
    size += 1
    above = np.empty(n, dtype=np.int64)  # number of distinct y values below y + margin
    ptr = 0
    for k in range(n):
        i = by_y[k]
        bar = y[i] + margin
        while ptr < n and y[by_y[ptr]] < bar:
            ptr += 1
        above[i] = rank[by_y[ptr]] if ptr < n else size
    tree = np.full(size + 1, _LOW, dtype=np.int64)  # 1-based prefix maxima of z over ranks
    inserted = 0
    ka = 0  # stream A: threshold x + margin, same y, same z
    kb = 0  # stream B: threshold x, y + margin or z + margin
    for _ in range(2 * n):
        if ka < n and (kb >= n or x[by_x[ka]] + margin >= x[by_x[kb]]):
            q = by_x[ka]
            threshold = x[q] + margin
            ka += 1
            first = True
        else:
            q = by_x[kb]
            threshold = x[q]
            kb += 1
            first = False
        while inserted < n and x[by_x[inserted]] >= threshold:
            p = by_x[inserted]
            i = size - rank[p]  # reversed rank, 1-based: the largest y first
            value = z[p]
            while i <= size:
                if tree[i] >= value:  # every node above covers this one: already as large
                    break
                tree[i] = value
                i += i & -i
            inserted += 1
        if first:
            limits = (size - rank[q], size - rank[q])
            needs = (z[q], z[q])
        else:
            limits = (size - above[q], size - rank[q])
            needs = (z[q], z[q] + margin)
        for c in range(2):
            i = limits[c]
            best = _LOW
            while i > 0:
                if tree[i] > best:
                    best = tree[i]
                i -= i & -i
            if limits[c] > 0 and best >= needs[c]:
                out[q] = True


def margin_dominated_3(points: NDArray[np.int64], margin: int) -> NDArray[np.bool_]:
    """Whether each row of ``points`` (n, 3) is margin-dominated by another row.

    Parameters
    ----------
    points : ndarray of int64, shape (n, 3)
        Maximizing every column; values and values plus ``margin`` must fit in int64.
    margin : int
        At least 1; 1 is plain Pareto dominance (equal rows never dominate).

    Returns
    -------
    ndarray of bool, shape (n,)

    Examples
    --------
    >>> p = np.array([[3, 3, 3], [1, 2, 3], [3, 3, 3], [5, 0, 0], [4, 0, 0]])
    >>> margin_dominated_3(p, 1).tolist()
    [False, True, False, False, True]
    >>> margin_dominated_3(p, 2).tolist()
    [False, True, False, False, False]
    """
    _KERNELS.compile()
    x = np.ascontiguousarray(points[:, 0], dtype=np.int64)
    y = np.ascontiguousarray(points[:, 1], dtype=np.int64)
    z = np.ascontiguousarray(points[:, 2], dtype=np.int64)
    out = np.zeros(len(x), dtype=bool)
    _sweep(x, y, z, np.argsort(-x), np.argsort(y), int(margin), out)
    return out
