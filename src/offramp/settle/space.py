"""The outcome space (packages) and the actors' utilities over it.

A package picks one option per issue; the space is their Cartesian product
(:class:`offramp.problem.Space`, the index map every engine shares),
numbered in mixed radix with the first issue most significant (so package 0
is every issue's first option, and "lowest package in option order" is the
smallest index).

Utility is additive over issues (the default of multi-attribute utility
theory; Keeney & Raiffa 1976, *Decisions with Multiple Objectives*, ch. 3)::

    U_a(package) = sum_i w_ai * v_ai(option_i)

where ``w_ai`` is actor a's salience on issue i normalized to sum to 1 over
the actor's stances (0 for issues without a stance: indifference), and
``v_ai(option) = 1 - |at(option) - position_ai| / 100`` (linear loss on the
issue's 0-100 scale), or the stance's explicit ``values``.

Utilities are rounded to :data:`DECIMALS` decimal places, so that packages
whose utilities are equal in exact arithmetic compare equal despite
floating-point summation order (batna comparisons and Pareto dominance are
exact comparisons on the rounded numbers).
"""

from __future__ import annotations

from collections.abc import Iterator
from math import prod

import numpy as np
from numpy.typing import NDArray

from offramp.scenario.schema import Scenario

__all__ = ["DECIMALS", "iter_blocks", "utilities", "utility_tables"]

DECIMALS = 10
"""Decimal places utilities are rounded to before any comparison."""


def utility_tables(scenario: Scenario) -> list[NDArray[np.float64]]:
    """Weighted option values ``w_ai * v_ai(option)``, one array per issue.

    Returns
    -------
    list of ndarray of float64, each of shape (n_actors, n_options_i)
        Summing table ``i`` at each package's option over issues gives the
        package's utility for every actor.

    Examples
    --------
    >>> from offramp.scenario import load_scenario_text
    >>> s = load_scenario_text('''
    ... id: t
    ... title: t
    ... as_of: 2024-01-01
    ... issues:
    ...   - {id: i, label: i, options: [{id: lo, label: lo, at: 0}, {id: hi, label: hi, at: 100}]}
    ...   - {id: j, label: j, options: [{id: a, label: a, at: 0}, {id: b, label: b, at: 50}]}
    ... actors:
    ...   - id: x
    ...     label: x
    ...     power: 1
    ...     veto: true
    ...     batna: 0
    ...     stances:
    ...       - {issue: i, position: 25, salience: 3}
    ...       - {issue: j, position: a, salience: 1, values: {a: 1, b: 0.2}}
    ... ''')
    >>> [t.tolist() for t in utility_tables(s)]
    [[[0.5625, 0.1875]], [[0.25, 0.05]]]
    """
    issue_index = {issue.id: i for i, issue in enumerate(scenario.issues)}
    tables = [np.zeros((len(scenario.actors), len(issue.options))) for issue in scenario.issues]
    for a, actor in enumerate(scenario.actors):
        total = sum(stance.salience for stance in actor.stances)
        for stance in actor.stances:
            i = issue_index[stance.issue]
            issue = scenario.issues[i]
            if stance.values is not None:
                values = np.array([stance.values[o.id] for o in issue.options])
            else:
                position = stance.position
                if isinstance(position, str):
                    position = next(o.at for o in issue.options if o.id == position)
                at = np.array([o.at for o in issue.options])
                values = 1.0 - np.abs(at - position) / 100.0
            tables[i][a] = stance.salience / total * values
    return tables


def _settle(u: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.round(u, DECIMALS)


def utilities(tables: list[NDArray[np.float64]], options: NDArray[np.intp]) -> NDArray[np.float64]:
    """Utilities of given packages.

    Parameters
    ----------
    tables : list of ndarray, each of shape (..., n_actors, n_options_i)
        From :func:`utility_tables`, optionally with leading batch axes.
    options : ndarray of intp, shape (n, n_issues)
        The packages, as option indices (:meth:`Space.options_of`).

    Returns
    -------
    ndarray of float64, shape (..., n_actors, n)
    """
    total = sum(table[..., options[:, i]] for i, table in enumerate(tables))
    return _settle(np.asarray(total, dtype=np.float64))


def _outer_sum(tables: list[NDArray[np.float64]], like: NDArray[np.float64]) -> NDArray[np.float64]:
    """Utilities of every combination of these issues' options, shape (..., A, prod k)."""
    out = np.zeros((*like.shape[:-1], 1))
    for table in tables:
        out = (out[..., :, :, None] + table[..., :, None, :]).reshape(*out.shape[:-1], -1)
    return out


def iter_blocks(
    tables: list[NDArray[np.float64]], block_size: int = 1 << 18
) -> Iterator[tuple[int, NDArray[np.float64]]]:
    """Utilities of every package, in consecutive blocks of package indices.

    The trailing issues whose product of option counts fits in a block are
    summed once; each block adds the utilities of a run of prefixes (the
    leading issues' options) to them, so memory stays at about
    ``block_size`` packages per actor.

    Parameters
    ----------
    tables : list of ndarray, each of shape (..., n_actors, n_options_i)
    block_size : int
        Target number of packages per block (at least one trailing set).

    Yields
    ------
    start : int
        Index of the block's first package.
    utility : ndarray of float64, shape (..., n_actors, m)
        Utilities of packages ``start .. start + m - 1``.
    """
    sizes = [t.shape[-1] for t in tables]
    split = len(sizes)
    while split > 0 and prod(sizes[split - 1 :]) <= block_size:
        split -= 1
    trailing = _outer_sum(tables[split:], tables[0])
    n_trailing = trailing.shape[-1]
    n_prefix = prod(sizes[:split])
    per_block = max(1, block_size // n_trailing)
    for p0 in range(0, n_prefix, per_block):
        p1 = min(n_prefix, p0 + per_block)
        if split:
            prefix_options = np.stack(np.unravel_index(np.arange(p0, p1), sizes[:split]), axis=1)
            head = sum(table[..., prefix_options[:, i]] for i, table in enumerate(tables[:split]))
            block = (np.asarray(head)[..., :, :, None] + trailing[..., :, None, :]).reshape(
                *trailing.shape[:-1], -1
            )
        else:
            block = trailing
        yield p0 * n_trailing, _settle(block)
