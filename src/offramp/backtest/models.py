"""Every forecast model on every DEU issue, batched: the DEU problem as arrays.

A DEU issue is a one-dimensional problem: the actors with a position (the
others took none and take no part), their capability (see
:mod:`offramp.backtest.capability`) and salience, and the reference point
where DEU gives one.  :class:`DeuProblem` holds ``k`` issues over the ``a``
DEU actors, with NaN for missing positions; :func:`forecast` runs one model of
:data:`MODELS` on all of them through :func:`offramp.forecast.run`.

Batching.  The engines take a leading batch axis of draws with a fixed number
of actors, so issues are grouped by how many actors take part and each group
is one call (actors keep their DEU order, which only matters for the models'
tie-breaks).  Padding with absent actors would not be neutral in the
expected-utility model (a zero-salience actor never resists a challenge and
still challenges others), so it is not done.

Interpretive choices, each a convention of the published regime or of the
model it feeds:

* A blank salience next to a given position counts as 0: the actor stated a
  position but DEU records no interest, so it carries no weight.  This is
  what reproduces the published weighted mean (23.6 on the dev file).
* ``weighted_mean`` / ``weighted_median``: capability x salience weights
  (:func:`offramp.forecast.compromise.compromise` and ``median``); an exact
  half split of the weight gives the midpoint of the two middle positions.
* ``eu``: the expected-utility model at its defaults (those that reproduce
  Scholz et al.'s Table 2), salience / 100 as the probability of resisting;
  the forecast is the final round's median voter.  ``eu_paper_text`` is the
  same model with the literal reading of the paper's text
  (``probability="pairwise", offer="closest"``).
* ``exchange``: Stokman's exchange model needs several issues, so it runs on
  each proposal's issues together (``rounds=1``, published procedure).  An
  actor with no position on one of them is placed at that issue's weighted
  mean with salience 0, where it is on neither side and cannot trade.
* ``smp``: KTAB's model, one dimension per issue, salience / 100 as the
  fraction of attention; actors with capability or salience 0 are left out
  (KTAB needs both positive); an issue with one such actor is forecast at its
  position.
* Issues on which nobody carries weight (every capability x salience 0)
  cannot be forecast by any model: their forecasts are NaN and the scorer
  reports how many it skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from offramp.backtest.capability import CapabilityRule, capability
from offramp.forecast import run
from offramp.forecast._common import weighted_mean, weighted_median

__all__ = [
    "MODELS",
    "DeuProblem",
    "DeuRecords",
    "deu_problem",
    "forecast",
    "statistics",
    "weights",
]

FloatArray = NDArray[np.float64]


class DeuRecords(Protocol):
    """What :func:`deu_problem` reads: the arrays of a DEU file (``offramp.io.deu.DeuData``).

    Declared here so the engine needs no import of the reader.
    """

    @property
    def actors(self) -> Sequence[str]: ...
    @property
    def prnr(self) -> tuple[str, ...]: ...
    @property
    def isnr(self) -> tuple[str, ...]: ...
    @property
    def proc(self) -> tuple[str, ...]: ...
    @property
    def counvte(self) -> tuple[str, ...]: ...
    @property
    def year(self) -> NDArray[np.int64]: ...
    @property
    def position(self) -> FloatArray: ...
    @property
    def salience(self) -> FloatArray: ...
    @property
    def rp(self) -> FloatArray: ...
    @property
    def out(self) -> FloatArray: ...
    @property
    def gdp(self) -> FloatArray: ...


@dataclass(frozen=True)
class DeuProblem:
    """``k`` DEU issues over ``a`` actors, ready for the forecast models.

    Attributes
    ----------
    proposal, issue, proc, counvte : tuple of str, length k
    position : ndarray, shape (k, a)
        0-100, NaN where the actor took no position.
    salience : ndarray, shape (k, a)
        0-100; 0 where blank (and where the position is missing).
    capability : ndarray, shape (k, a)
        Largest = 100 per issue.
    rp, out : ndarray, shape (k,)
        Reference point and outcome, NaN where unknown.
    """

    proposal: tuple[str, ...]
    issue: tuple[str, ...]
    proc: tuple[str, ...]
    counvte: tuple[str, ...]
    position: FloatArray
    salience: FloatArray
    capability: FloatArray
    rp: FloatArray
    out: FloatArray

    @property
    def present(self) -> NDArray[np.bool_]:
        """Actors taking part in each issue, shape (k, a)."""
        return np.asarray(np.isfinite(self.position))

    @property
    def weighable(self) -> NDArray[np.bool_]:
        """Issues on which someone carries weight, shape (k,)."""
        return np.asarray(weights(self).sum(axis=1) > 0)


def deu_problem(data: DeuRecords, rule: CapabilityRule = "council") -> DeuProblem:
    """Turn a read DEU file into a :class:`DeuProblem` under a capability rule.

    Examples
    --------
    >>> from offramp.io.deu import ACTORS, parse_deu
    >>> head = "\\t".join(["prnr", "isnr", "prname", "proc", "counvte", "intro"]
    ...     + [f"p{a}" for a in ACTORS] + [f"s{a}" for a in ACTORS] + ["rp", "out"])
    >>> row = "\\t".join(["d1", "d1i1", "x", "COD", "QMV", "01-02-99"]
    ...     + ["0", "100"] + [""] * 28 + ["50", ""] + [""] * 28 + ["", "40"])
    >>> p = deu_problem(parse_deu(head + "\\n" + row))
    >>> p.salience[0, :2].tolist(), p.capability[0, :3].tolist()
    ([50.0, 0.0], [100.0, 100.0, 40.0])
    """
    present = np.isfinite(data.position)
    salience = np.where(present & np.isfinite(data.salience), data.salience, 0.0)
    return DeuProblem(
        proposal=data.prnr,
        issue=data.isnr,
        proc=data.proc,
        counvte=data.counvte,
        position=data.position.copy(),
        salience=salience,
        capability=capability(data.actors, data.year, rule, data.gdp),
        rp=data.rp.copy(),
        out=data.out.copy(),
    )


def weights(problem: DeuProblem, capability: FloatArray | None = None) -> FloatArray:
    """Capability x salience of every actor taking part, 0 for the others.

    Parameters
    ----------
    problem : DeuProblem
    capability : ndarray, shape (k, a), optional
        Replaces ``problem.capability`` (e.g. procedure-aware weights).

    Returns
    -------
    ndarray, shape (k, a)
    """
    c = problem.capability if capability is None else capability
    return np.asarray(np.where(problem.present, c * problem.salience, 0.0), dtype=np.float64)


def statistics(problem: DeuProblem, w: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Weighted mean and weighted median per issue under weights ``w``.

    Parameters
    ----------
    problem : DeuProblem
    w : ndarray, shape (k, a)
        Non-negative weights; absent actors must have weight 0.

    Returns
    -------
    (mean, median) : ndarray, shape (k,) each
        NaN for an issue on which nobody has weight.
    """
    x = np.where(problem.present, problem.position, 0.0)
    ok = w.sum(axis=1) > 0
    mean = np.full(x.shape[0], np.nan)
    med = np.full(x.shape[0], np.nan)
    if ok.any():
        mean[ok] = weighted_mean(x[ok], w[ok])
        med[ok] = weighted_median(x[ok], w[ok])
    return mean, med


def _groups(mask: NDArray[np.bool_], rows: NDArray[np.intp]) -> dict[int, NDArray[np.intp]]:
    counts = mask[rows].sum(axis=1)
    return {int(n): rows[counts == n] for n in np.unique(counts)}


def _one_dimensional(
    problem: DeuProblem,
    model: str,
    mask: NDArray[np.bool_],
    salience_scale: float,
    **params: object,
) -> FloatArray:
    """Run a one-issue model on every weighable issue, one call per number of actors."""
    k = problem.position.shape[0]
    result = np.full(k, np.nan)
    rows = np.flatnonzero(problem.weighable)
    for n, group in _groups(mask, rows).items():
        sub = mask[group]
        x = problem.position[group][sub].reshape(group.size, n)
        if n == 1:
            result[group] = x[:, 0]
            continue
        c = problem.capability[group][sub].reshape(group.size, n)
        s = problem.salience[group][sub].reshape(group.size, n) / salience_scale
        if model == "smp":
            trace = run("smp", x[:, :, None], c, s[:, :, None])
            result[group] = trace.final[:, 0]
        else:
            result[group] = run(model, x, c, s, **params).final
    return result


def _exchange(problem: DeuProblem) -> FloatArray:
    """Stokman's exchange model on each proposal's issues together."""
    k = problem.position.shape[0]
    result = np.full(k, np.nan)
    w = weights(problem)
    mean, _ = statistics(problem, w)
    ok = problem.weighable
    labels = np.asarray(problem.proposal)
    by_size: dict[int, list[NDArray[np.intp]]] = {}
    for label in dict.fromkeys(problem.proposal):
        rows = np.flatnonzero((labels == label) & ok)
        if rows.size:
            by_size.setdefault(int(rows.size), []).append(rows)
    for m, proposals in by_size.items():
        idx = np.stack(proposals)  # (P, m)
        present = problem.present[idx]  # (P, m, a)
        x = np.where(present, problem.position[idx], mean[idx][:, :, None])
        s = np.where(present, problem.salience[idx], 0.0) / 100.0
        c = problem.capability[idx]
        x, s, c = (np.swapaxes(v, 1, 2) for v in (x, s, c))  # (P, a, m)
        if m == 1:
            result[idx[:, 0]] = weighted_mean(x[:, :, 0], (c * s)[:, :, 0])
            continue
        trace = run("exchange", x, c, s, rounds=1)
        result[idx] = trace.final
    return result


def _weighted_mean(problem: DeuProblem) -> FloatArray:
    return statistics(problem, weights(problem))[0]


def _weighted_median(problem: DeuProblem) -> FloatArray:
    return statistics(problem, weights(problem))[1]


def _eu(problem: DeuProblem) -> FloatArray:
    return _one_dimensional(problem, "eu", problem.present, 100.0)


def _eu_paper_text(problem: DeuProblem) -> FloatArray:
    return _one_dimensional(
        problem, "eu", problem.present, 100.0, probability="pairwise", offer="closest"
    )


def _smp(problem: DeuProblem) -> FloatArray:
    mask = problem.present & (problem.capability > 0) & (problem.salience > 0)
    return _one_dimensional(problem, "smp", mask, 100.0)


MODELS: Mapping[str, Callable[[DeuProblem], FloatArray]] = MappingProxyType(
    {
        "weighted_mean": _weighted_mean,
        "weighted_median": _weighted_median,
        "eu": _eu,
        "eu_paper_text": _eu_paper_text,
        "exchange": _exchange,
        "smp": _smp,
    }
)
"""The published models by their backtest names (``compromise`` is ``weighted_mean``)."""


def forecast(problem: DeuProblem, model: str) -> FloatArray:
    """Forecast every issue of ``problem`` with one model of :data:`MODELS`, shape (k,).

    Raises
    ------
    KeyError
        For a name not in :data:`MODELS`.
    """
    return np.asarray(MODELS[model](problem), dtype=np.float64)
