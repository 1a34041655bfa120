"""Red lines: options an actor rejects whatever else a package gives it.

Additive utility (:mod:`offramp.space`) is fully compensatory: any loss on
one issue can be bought with gains on others. A red line is not: a stance's
``never`` lists options of its issue that the actor refuses outright, so a
package with one of them is refused however high its utility. This is the
conjunctive (non-compensatory) screening rule of multi-attribute choice,
applied before the compensatory comparison with the batna (Dawes 1964,
"Social selection based on multilevel criteria", *Public Personnel Review*
25; Payne, Bettman & Johnson 1993, *The Adaptive Decision Maker*, ch. 2,
the "conjunctive rule").

Meaning in the engines
----------------------
* A veto actor refuses a package that crosses its red line: the package is
  outside the ZOPA, and the actor counts among its blockers.
* A non-veto actor's red line does not change the ZOPA; it counts against
  the actor's support and is listed among a package's blockers
  (``offramp evaluate``).

Uncertain red lines
-------------------
``never_p`` is the probability that the red line holds: one number for the
whole line, or one per option (unlisted options: 1). A draw takes one
uniform number ``u`` per stance with a red line and rules option ``k`` out
when ``u < p_k``; so in every draw a firmer line (larger ``p``) holds
whenever a softer one does. The deterministic analysis applies an option's
line when its point value ``p_k`` is above 0.5 ("more likely than not"),
which is the draw at ``u = 0.5`` (:data:`offramp.problem.model.APPLIES_ABOVE`).

``never_p`` is an input like the others: it may carry a distribution (a
draw first draws the probability, then whether the line holds, so the line
holds with the distribution's mean probability), and an event's branch may
change it, or change the options on the line (``never``), see
:mod:`offramp.scenario.paths`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from offramp.problem.model import APPLIES_ABOVE
from offramp.scenario.schema import Scenario, Stance

__all__ = [
    "crossed",
    "never_probability",
    "options_allowed",
    "red_line_masks",
    "stance_probabilities",
]


def stance_probabilities(stance: Stance, option_ids: Sequence[str]) -> list[float]:
    """Probability that each option of the stance's issue is ruled out (0 when not listed).

    Examples
    --------
    >>> s = Stance(issue="i", position="a", salience=1, never=["b", "c"], never_p={"c": 0.4})
    >>> stance_probabilities(s, ["a", "b", "c"])
    [0.0, 1.0, 0.4]
    """
    out = []
    for option in option_ids:
        if option not in stance.never:
            out.append(0.0)
        elif isinstance(stance.never_p, dict):
            out.append(float(stance.never_p.get(option, 1.0)))
        else:
            out.append(1.0 if stance.never_p is None else float(stance.never_p))
    return out


def never_probability(scenario: Scenario) -> NDArray[np.float64]:
    """Point probability that each actor rules each option out, shape (A, I, K_max).

    Options an actor does not list (and padding beyond an issue's options) are 0.
    """
    k_max = max(len(issue.options) for issue in scenario.issues)
    out = np.zeros((len(scenario.actors), len(scenario.issues), k_max))
    index = {issue.id: i for i, issue in enumerate(scenario.issues)}
    for a, actor in enumerate(scenario.actors):
        for stance in actor.stances:
            if stance.never:
                i = index[stance.issue]
                ids = [o.id for o in scenario.issues[i].options]
                out[a, i, : len(ids)] = stance_probabilities(stance, ids)
    return out


def red_line_masks(scenario: Scenario) -> list[NDArray[np.bool_]]:
    """Options each actor rules out in the deterministic analysis, one (A, K_i) array per issue.

    An option is ruled out when its probability of being so is above
    :data:`APPLIES_ABOVE`.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> s = load_scenario(Path(__file__).parents[3] / "scenarios" / "ukraine-2024-09.yaml")
    >>> masks = red_line_masks(s)
    >>> [o.id for o, out in zip(s.issues[0].options, masks[0][1]) if out]  # russia, territory
    ['full_return', 'pre2022_line']

    (Its line against a freeze holds with probability 0.5: not applied.)
    """
    p = never_probability(scenario)
    return [
        p[:, i, : len(issue.options)] > APPLIES_ABOVE for i, issue in enumerate(scenario.issues)
    ]


def crossed(masks: Sequence[NDArray[np.bool_]], options: NDArray[np.intp]) -> NDArray[np.bool_]:
    """Whether each package crosses each actor's red line.

    Parameters
    ----------
    masks : sequence of ndarray of bool, each of shape (..., A, K_i)
        From :func:`red_line_masks` (or drawn, with leading batch axes).
    options : ndarray of intp, shape (n, n_issues)
        The packages as option indices.

    Returns
    -------
    ndarray of bool, shape (..., A, n)

    Examples
    --------
    >>> m = [np.array([[False, True]]), np.array([[False, False, True]])]
    >>> crossed(m, np.array([[0, 0], [1, 0], [0, 2]])).tolist()
    [[False, True, True]]
    """
    out: NDArray[np.bool_] | None = None
    for i, mask in enumerate(masks):
        here = mask[..., options[:, i]]
        out = here if out is None else out | here
    assert out is not None
    return out


def options_allowed(
    masks: Sequence[NDArray[np.bool_]], actors: Sequence[int] | NDArray[np.intp]
) -> list[NDArray[np.bool_]]:
    """Options no red line of the given actors rules out, one (K_i,) array per issue.

    Packages built from these options are exactly those that cross none of
    those actors' red lines (red lines are per option, so the set is a product).

    Examples
    --------
    >>> m = [np.array([[False, True], [True, False]]), np.array([[False, False, True]] * 2)]
    >>> [x.tolist() for x in options_allowed(m, [0])]
    [[True, False], [True, True, False]]
    """
    out: list[NDArray[np.bool_]] = []
    rows = list(actors)
    for mask in masks:
        ruled = (
            np.asarray(mask[rows].any(axis=0), dtype=bool)
            if rows
            else np.zeros(mask.shape[-1], bool)
        )
        out.append(~ruled)
    return out
