"""Offers on a product space, found on merged frontiers: the frontier engine's queries.

See :mod:`offramp.negotiate.frontier` for the method and why it is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from offramp.settle.merge import SCALE, quantize
from offramp.settle.solutions import _nondominated
from offramp.settle.space import DECIMALS

__all__ = ["LOW", "TOL", "Run", "Structure", "at_least"]

TOL = 1e-12  # the enumerating engine's tolerance (``protocol._TOL``)
LOW = -(1 << 62)  # no lower bound
_HIGH = 1 << 62  # an unreachable lower bound
_TEN = 10.0**DECIMALS


def _utility(total: int) -> float:
    """:func:`offramp.settle.merge.utility_of` of one integer sum, bit for bit, in Python floats."""
    return round(float(total) / SCALE * _TEN) / _TEN


def _least(test: Callable[[int], bool]) -> int:
    """Smallest integer sum passing a test monotone in the sum (``_HIGH`` when none does)."""
    if test(LOW):
        return LOW
    if not test(_HIGH):
        return _HIGH
    lo, hi = LOW, _HIGH
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if test(mid):
            hi = mid
        else:
            lo = mid
    return hi


def at_least(x: float) -> int:
    """Smallest sum whose utility is at least ``x`` (float comparison, as enumeration's).

    Examples
    --------
    Utilities are rounded to 10 decimals, so a sum half a step below 0.5 is
    already worth 0.5:

    >>> s = at_least(0.5)
    >>> _utility(s), _utility(s - 1) < 0.5, s < SCALE // 2
    (0.5, True, True)
    """
    return _least(lambda s: _utility(s) >= x)


def _above(batna: float) -> int:
    """Smallest sum whose utility is above ``batna``."""
    return _least(lambda s: _utility(s) > batna)


def _gain_at_least(batna: float, x: float) -> int:
    """Smallest sum whose gain over ``batna`` (``utility - batna`` in floats) is at least ``x``."""
    return _least(lambda s: _utility(s) - batna >= x)


def _pareto(points: NDArray[np.int64]) -> NDArray[np.int64]:
    out: NDArray[np.int64] = points[_nondominated(points, 1)]
    return out


class Structure:
    """The space under one set of inputs: per-issue sums, masks and suffix frontiers.

    ``q[i]`` (k, n_i) integer sums; ``lines[i]`` (k, n_i) allowed options; the
    ``mentioned`` issues form the compound issue of ``combos`` (m, |M|)
    option rows; ``suffix[a][i]``: Pareto frontier (points, k) of the sums of
    the free issues from ``i`` on, over actor ``a``'s allowed options.
    """

    def __init__(
        self,
        tables: Sequence[NDArray[np.float64]],
        lines: Sequence[NDArray[np.bool_]],
        mentioned: tuple[int, ...],
        combos: NDArray[np.intp],
    ) -> None:
        self.tables = list(tables)
        self.q = quantize(self.tables)
        self.n = len(self.q)
        self.k = self.q[0].shape[0]
        self.lines = lines
        self.mentioned = mentioned
        self.column = {i: c for c, i in enumerate(mentioned)}
        self.combos = combos
        m = len(combos)
        self.combo_sum = np.zeros((self.k, m), dtype=np.int64)
        self.combo_ok = np.ones((self.k, m), dtype=bool)
        for c, i in enumerate(mentioned):
            self.combo_sum += self.q[i][:, combos[:, c]]
            self.combo_ok &= lines[i][:, combos[:, c]]
        self.free = [i for i in range(self.n) if i not in self.column]
        shared: dict[bytes, list[NDArray[np.int64]]] = {}
        self.suffix: list[list[NDArray[np.int64]]] = []
        for a in range(self.k):
            key = b"".join(lines[i][a].tobytes() for i in self.free)
            if key not in shared:
                shared[key] = self._suffixes(a)
            self.suffix.append(shared[key])
        self._fronts: dict[tuple[int, bytes], NDArray[np.int64]] = {}

    def _suffixes(self, a: int) -> list[NDArray[np.int64]]:
        out: list[NDArray[np.int64]] = [np.zeros((1, self.k), dtype=np.int64)] * (self.n + 1)
        points = out[self.n]
        for i in range(self.n - 1, -1, -1):
            if i not in self.column:
                add = self.q[i][:, self.lines[i][a]].T
                points = _pareto((points[:, None, :] + add[None, :, :]).reshape(-1, self.k))
            out[i] = points
        return out

    def cons(self, a: int, extra: NDArray[np.bool_]) -> NDArray[np.bool_]:
        """Combinations of the compound issue actor ``a`` may sign, shape (m,)."""
        out: NDArray[np.bool_] = self.combo_ok[a] & extra
        return out

    def front(self, a: int, extra: NDArray[np.bool_]) -> NDArray[np.int64]:
        """Pareto frontier (points, k) of the sums of the packages actor ``a`` may sign."""
        cons = self.cons(a, extra)
        key = (a, cons.tobytes())
        if key not in self._fronts:
            rest = self.suffix[a][0]
            if not cons.any() or len(rest) == 0:
                self._fronts[key] = np.zeros((0, self.k), dtype=np.int64)
            else:
                combo = _pareto(self.combo_sum[:, cons].T)
                sums = (combo[:, None, :] + rest[None, :, :]).reshape(-1, self.k)
                self._fronts[key] = _pareto(sums)
        return self._fronts[key]

    def extreme(self, a: int, extra: NDArray[np.bool_], best: bool) -> int | None:
        """Largest (``best``) or smallest own sum of actor ``a`` over what it may sign."""
        cons = self.cons(a, extra)
        if not cons.any():
            return None
        pick = np.max if best else np.min
        total = int(pick(self.combo_sum[a, cons]))
        for i in self.free:
            allowed = self.q[i][a, self.lines[i][a]]
            if allowed.size == 0:
                return None
            total += int(pick(allowed))
        return total

    def sums(self, options: NDArray[np.intp]) -> NDArray[np.int64]:
        """Every actor's integer sum of one package (option per issue), shape (k,)."""
        out = np.zeros(self.k, dtype=np.int64)
        for i in range(self.n):
            out += self.q[i][:, options[i]]
        return out

    def combo_of(self, options: NDArray[np.intp]) -> int:
        if not self.mentioned:
            return 0
        sizes = tuple(self.q[i].shape[1] for i in self.mentioned)
        return int(np.ravel_multi_index(tuple(options[i] for i in self.mentioned), sizes))

    def may_sign(self, a: int, options: NDArray[np.intp], extra: NDArray[np.bool_]) -> bool:
        ok = all(bool(self.lines[i][a, options[i]]) for i in range(self.n))
        return ok and bool(extra[self.combo_of(options)])

    def first(
        self, a: int, extra: NDArray[np.bool_], lower: NDArray[np.int64]
    ) -> NDArray[np.intp] | None:
        """The first package (in package order) actor ``a`` may sign with every sum >= ``lower``.

        Returns its option on every issue, or None when no package meets the bounds.

        Examples
        --------
        Two issues of two options, one actor; the packages worth at least 0.5
        are (0, 1), (1, 0) and (1, 1), and the first is (0, 1):

        >>> t = [np.array([[0.0, 0.5]]), np.array([[0.1, 0.6]])]
        >>> space = Structure(t, [np.ones((1, 2), bool)] * 2, (), np.zeros((1, 0), np.intp))
        >>> space.first(0, np.ones(1, bool), np.array([at_least(0.5)])).tolist()
        [0, 1]
        >>> space.first(0, np.ones(1, bool), np.array([at_least(1.2)])) is None
        True
        """
        cons = self.cons(a, extra)
        prefix = np.zeros(self.k, dtype=np.int64)
        options = np.zeros(self.n, dtype=np.intp)
        for i in range(self.n):
            rest = self.suffix[a][i + 1]
            for o in range(self.q[i].shape[1]):
                if i in self.column:
                    now = cons & (self.combos[:, self.column[i]] == o)
                    if not now.any():
                        continue
                    pre = prefix
                else:
                    if not self.lines[i][a, o]:
                        continue
                    now, pre = cons, prefix + self.q[i][:, o]
                combo = self.combo_sum[:, now].T
                combo = _pareto(combo) if len(combo) > 64 else combo
                need = np.maximum(lower[None, :] - pre[None, :] - combo, LOW)  # (c, k)
                if np.any(np.all(rest[None, :, :] >= need[:, None, :], axis=2)):
                    options[i], cons, prefix = o, now, pre
                    break
            else:
                return None
        return options


def _gains(points: NDArray[np.int64], a: int, batna: NDArray[np.float64]) -> NDArray[np.float64]:
    """Smallest gain over batna of the actors other than ``a`` (as ``_State.others_gain``)."""
    k = points.shape[1]
    if k == 1:
        return np.zeros(len(points))
    u = np.round(points.astype(np.float64) / SCALE, DECIMALS)
    out = np.full(len(points), np.inf)
    for b in range(k):
        if b != a:
            out = np.minimum(out, u[:, b] - batna[b])
    return out


def _own(points: NDArray[np.int64], a: int) -> NDArray[np.float64]:
    out: NDArray[np.float64] = np.round(points[:, a].astype(np.float64) / SCALE, DECIMALS)
    return out


def _tie(best: float) -> float:
    """The lowest value ``_pick`` counts as tied with ``best``."""
    return float(best - TOL * max(1.0, abs(best)))


class Run:
    """One negotiation's mutable state and the structured queries (engine-private)."""

    def __init__(self, space: Structure, batna: NDArray[np.float64], m: int) -> None:
        self.extra = np.ones(m, dtype=bool)
        self.set_inputs(space, batna)

    def set_inputs(self, space: Structure, batna: NDArray[np.float64]) -> None:
        self.space = space
        self.batna = np.asarray(batna, dtype=np.float64).copy()
        self.refresh()

    def refresh(self) -> None:
        k = self.space.k
        self.umax = np.full(k, -np.inf)
        self.umin = np.full(k, np.inf)
        self.floor = [_above(float(b)) for b in self.batna]
        for a in range(k):
            top = self.space.extreme(a, self.extra, True)
            low = self.space.extreme(a, self.extra, False)
            if top is not None and top >= self.floor[a]:
                self.umax[a] = _utility(top)
            if low is not None:
                self.umin[a] = _utility(low)

    def best_for_others(self, a: int, own_min: float) -> NDArray[np.intp]:
        """The package at or above ``own_min`` (less the tolerance) best for the others."""
        space, k = self.space, self.space.k
        lower = np.full(k, LOW, dtype=np.int64)
        lower[a] = max(self.floor[a], at_least(own_min - TOL))
        points = space.front(a, self.extra)
        points = points[np.all(points >= lower, axis=1)]
        gain = _gains(points, a, self.batna)
        g = _tie(float(gain.max()))
        for b in range(k):
            if b != a and k > 1:
                lower[b] = _gain_at_least(float(self.batna[b]), g)
        points = points[np.all(points >= lower, axis=1)]
        lower[a] = max(lower[a], at_least(float(_own(points, a).max())))
        return self._first(a, lower)

    def best_acceptable(self, a: int, lower_others: NDArray[np.int64]) -> NDArray[np.intp]:
        """``best_acceptable``'s offer, given the sums it expects the others to need."""
        space, k = self.space, self.space.k
        lower = lower_others.copy()
        lower[a] = self.floor[a]
        front = space.front(a, self.extra)
        points = front[np.all(front >= lower, axis=1)]
        if len(points) == 0:  # nothing meets every expectation: its own best package
            lower = np.full(k, LOW, dtype=np.int64)
            lower[a] = self.floor[a]
            points = front[np.all(front >= lower, axis=1)]
        lower[a] = max(lower[a], at_least(_tie(float(_own(points, a).max()))))
        points = points[np.all(points >= lower, axis=1)]
        g = float(_gains(points, a, self.batna).max())
        for b in range(k):
            if b != a and k > 1:
                lower[b] = max(lower[b], _gain_at_least(float(self.batna[b]), g))
        return self._first(a, lower)

    def _first(self, a: int, lower: NDArray[np.int64]) -> NDArray[np.intp]:
        found = self.space.first(a, self.extra, lower)
        if found is None:  # the frontier holds a point meeting the bounds: cannot happen
            raise RuntimeError("no package meets bounds that a frontier point meets")
        return found
