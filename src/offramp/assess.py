"""The whole analysis of a scenario: its settlement space, forecasts and durability.

:func:`analyze` runs the settlement-space analysis
(:func:`offramp.settle.analysis.analyze_space`) and adds every forecast
model's forecast per issue (:func:`offramp.forecast.scenario.forecasts`) and,
for scenarios with ``dynamics``, whether each solution would hold
(:func:`offramp.durability.durability`). It sits above the three engines so
none of them imports another's caller.
"""

from __future__ import annotations

from dataclasses import replace

from offramp.durability import durability as durability_of
from offramp.forecast.scenario import forecasts as forecasts_of
from offramp.problem import Problem
from offramp.settle.analysis import Analysis, analyze_space

__all__ = ["analyze"]


def analyze(
    problem: Problem,
    *,
    block_size: int = 1 << 18,
    method: str = "auto",
    forecasts: bool = True,
    durability: bool = True,
) -> Analysis:
    """Analyze a compiled scenario's settlement space, by enumeration or by merging issues.

    Besides the settlement space itself, the result reports every forecast
    model's forecast per issue (:func:`offramp.forecast.scenario.forecasts`)
    and, for scenarios with ``dynamics``, whether each solution would hold
    (:func:`offramp.durability.durability`); both can be switched off when only
    the settlement space is wanted (the web workbench does, for speed).

    Parameters
    ----------
    problem : Problem
        The compiled scenario (:func:`offramp.problem.compile_problem`), a batch of one.
    block_size : int, default 262144
        Packages per block of enumeration; bounds memory, does not change results.
    method : {"auto", "enumeration", "merge"}, default "auto"
        ``"auto"`` enumerates spaces of at most :data:`~offramp.settle.analysis.ENUMERATION_MAX`
        packages and merges larger ones (:mod:`offramp.settle.merge`); the result's
        ``method`` says which ran. Both give identical results.
    forecasts : bool, default True
        Also run the forecast models on the scenario.
    durability : bool, default True
        Also assess the durability of every solution (scenarios with ``dynamics``).

    Returns
    -------
    Analysis

    Raises
    ------
    SpaceTooLargeError
        If enumeration is asked for a space of more than
        :data:`~offramp.settle.analysis.MAX_PACKAGES` packages.
    ValueError
        If ``method`` is not one of :data:`~offramp.settle.analysis.METHODS`.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.problem import compile_problem
    >>> from offramp.scenario import load_scenario
    >>> path = Path(__file__).parents[2] / "scenarios" / "textbook-two-party.yaml"
    >>> a = analyze(compile_problem(load_scenario(path)))
    >>> a.zopa_count, a.ratified_count, a.solutions["nash"].package
    (5, 4, {'border': 'split', 'prisoners': 'all_for_all', 'sanctions': 'lifted'})
    """
    result = analyze_space(problem, block_size=block_size, method=method)
    if durability and problem.dynamics is not None:
        result = replace(
            result,
            durability={
                name: None if point is None else durability_of(problem, point.package).to_dict()
                for name, point in result.solutions.items()
            },
        )
    if forecasts:
        result = replace(result, forecasts=forecasts_of(problem))
    return result
