"""Which inputs the answer hinges on: Sobol indices and Morris screening (SALib).

The model is the function the sweep evaluates, seen as ``f(u)`` of one
uniform number per stream in [0, 1) (every uncertain input and every event;
see :mod:`offramp.uncertainty.model`); each factor is one stream, mapped to
its input by inverse CDF, so the indices are those of the inputs' own
distributions. The outputs are the indicator that a ratified agreement
exists (whose mean is the probability of agreement) and every forecast.

Methods
-------
Sobol (first order ``S1`` and total ``ST``)
    Saltelli's design and estimators (Saltelli et al. 2010,
    https://doi.org/10.1016/j.cpc.2009.09.018; Sobol' 2001,
    https://doi.org/10.1016/S0378-4754(00)00270-6), as implemented by
    SALib (Herman & Usher 2017, https://doi.org/10.21105/joss.00097):
    ``N * (2D + 2)`` model runs for ``D`` factors.
Morris (``mu_star``, ``sigma``)
    Elementary effects screening (Morris 1991,
    https://doi.org/10.1080/00401706.1991.10484804; ``mu_star`` from
    Campolongo et al. 2007, https://doi.org/10.1016/j.envsoft.2006.10.004):
    ``r * (D + 1)`` runs, for scenarios with many uncertain inputs.

Interpretive choices
--------------------
* Factors are the streams' uniforms on [0, 1 - 1e-12] (SALib designs
  include 1.0, which the inverse CDFs of unbounded laws do not accept).
* Event factors whose event happens after ``at`` have no effect (their
  index is 0 up to noise) and are reported all the same.
* ``auto`` uses Sobol up to :data:`SOBOL_MAX_FACTORS` factors, Morris above.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from offramp.errors import OfframpError
from offramp.problem import Problem
from offramp.uncertainty.kernel import settle
from offramp.uncertainty.model import draw
from offramp.uncertainty.sweep import _batch, _forecast

__all__ = ["SOBOL_MAX_FACTORS", "Sensitivity", "factor_names", "sensitivity"]

SOBOL_MAX_FACTORS = 40
"""``auto`` switches from Sobol to Morris above this many factors."""


@dataclass(frozen=True)
class Sensitivity:
    """Sensitivity indices of each output to each factor.

    ``indices[output][factor]`` is a dict with ``S1``, ``S1_conf``, ``ST``,
    ``ST_conf`` (Sobol) or ``mu_star``, ``mu_star_conf``, ``sigma`` (Morris);
    ``ranking[output]`` lists factors by ``ST`` or ``mu_star``, largest first.
    ``constant`` names the outputs that took one value in every model run:
    no input moves them, so their indices are all zero.
    """

    scenario: str
    method: str
    samples: int
    runs: int
    seed: int
    factors: tuple[str, ...]
    outputs: tuple[str, ...]
    indices: dict[str, dict[str, dict[str, float]]]
    ranking: dict[str, list[str]]
    constant: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "scenario": self.scenario,
            "method": self.method,
            "samples": self.samples,
            "runs": self.runs,
            "seed": self.seed,
            "factors": list(self.factors),
            "indices": self.indices,
            "ranking": self.ranking,
            "constant": list(self.constant),
        }


def factor_names(problem: Problem) -> list[str]:
    """One name per stream: input paths, ``event:<id>``, then ``<event>.<branch>:<path>``."""
    names = list(problem.input_names) + [f"event:{e.id}" for e in problem.events]
    seen: set[int] = set()  # a change of a whole red line fills several options from one stream
    for event in problem.events:
        for b, changes in enumerate(event.changes):
            for change in changes:
                if change.distribution is not None and change.stream not in seen:
                    seen.add(change.stream)
                    names.append(f"{event.id}.{event.branch_ids[b]}:{change.path}")
    for a, i, _ in problem.red_line_streams:  # the draw that decides whether a red line holds
        names.append(f"red_line:{problem.actor_ids[a]}.{problem.space.issue_ids[i]}")
    return names


def _evaluate(
    problem: Problem,
    u: NDArray[np.float64],
    at: dt.date | None,
    models: Sequence[str],
    on_progress: Callable[[int, int], None] | None = None,
) -> NDArray[np.float64]:
    outs = []
    step = _batch(problem)
    for b0 in range(0, u.shape[0], step):
        drawn = draw(problem, u[b0 : b0 + step], at).problem
        result = settle(drawn)
        f = _forecast(
            drawn.stance, drawn.position, drawn.capability, drawn.attention, models
        ).reshape(drawn.batch, -1)
        outs.append(np.column_stack([(result.ratified > 0).astype(float), f]))
        if on_progress is not None:
            on_progress(b0 + drawn.batch, u.shape[0])
    return np.concatenate(outs)


def sensitivity(
    problem: Problem,
    *,
    method: str = "auto",
    samples: int = 256,
    seed: int = 0,
    at: dt.date | None = None,
    models: Sequence[str] = (),
    on_progress: Callable[[int, int], None] | None = None,
) -> Sensitivity:
    """Sobol or Morris indices of the probability of agreement and the forecasts.

    Parameters
    ----------
    problem : Problem
        From :func:`~offramp.problem.compile_problem` (a batch of one).
    method : {"auto", "sobol", "morris"}
    samples : int
        Sobol: base sample size N (a power of 2); Morris: trajectories r.
    seed : int
    at : date, optional
    models : sequence of str
        Forecast models whose per-issue forecasts are outputs too.
    on_progress : callable, optional
        Called as ``on_progress(done, total)`` with the model runs done so far
        and in all, after each batch (for a progress bar).

    Raises
    ------
    OfframpError
        When the scenario has no uncertain input or event.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    names = factor_names(problem)
    if not names:
        raise OfframpError(
            f"`{problem.id}` has no uncertain input or event: give some input a "
            "distribution (e.g. `batna: {triangular: [0.3, 0.4, 0.6]}`) or add events"
        )
    if method == "auto":
        method = "sobol" if len(names) <= SOBOL_MAX_FACTORS else "morris"
    if method not in ("sobol", "morris"):
        raise OfframpError(f"unknown method `{method}`; use auto, sobol or morris")
    d = len(names)
    spec = {"num_vars": d, "names": names, "bounds": [[0.0, 1.0 - 1e-12]] * d}
    if method == "sobol":
        x = sobol_sample.sample(spec, samples, calc_second_order=False, seed=seed)
    else:
        x = morris_sample.sample(spec, samples, num_levels=4, seed=seed)
    y = _evaluate(problem, np.ascontiguousarray(x), at, models, on_progress)
    outputs = ["p_agreement"] + [
        f"{name}:{issue}" for name in models for issue in problem.space.issue_ids
    ]
    indices: dict[str, dict[str, dict[str, float]]] = {}
    ranking: dict[str, list[str]] = {}
    constant: list[str] = []
    for k, output in enumerate(outputs):
        col = y[:, k]
        if not np.all(np.isfinite(col)):
            continue
        if np.ptp(col) == 0:
            constant.append(output)
        if method == "sobol":
            if np.ptp(col) == 0:
                res = {key: np.zeros(d) for key in ("S1", "S1_conf", "ST", "ST_conf")}
            else:
                res = sobol_analyze.analyze(
                    spec, col, calc_second_order=False, seed=seed, print_to_console=False
                )
            keys: tuple[str, ...] = ("S1", "S1_conf", "ST", "ST_conf")
            rank_key = "ST"
        else:
            res = morris_analyze.analyze(spec, x, col, num_levels=4, seed=seed)
            keys, rank_key = ("mu_star", "mu_star_conf", "sigma"), "mu_star"
        indices[output] = {
            name: {key: float(np.nan_to_num(res[key][j])) for key in keys}
            for j, name in enumerate(names)
        }
        ranking[output] = sorted(names, key=lambda n: -indices[output][n][rank_key])
    return Sensitivity(
        scenario=problem.id,
        method=method,
        samples=samples,
        runs=int(x.shape[0]),
        seed=seed,
        factors=tuple(names),
        outputs=tuple(indices),
        indices=indices,
        ranking=ranking,
        constant=tuple(constant),
    )
