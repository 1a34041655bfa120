"""Publics and ratification: who at home must say yes.

A public (constituency) ratifies what its actor signs when the predicted share
of it that rejects the package is below the public's threshold. The predicted
share comes from rules fitted to polls: a rule's ``when`` lists, for some
issues, the options it covers; it matches a package whose option on every
listed issue is in the list. The most specific matching rule (the one with the
most issues in ``when``) gives the prediction. Two equally specific rules that
both match a package that no more specific rule matches are ambiguous: that is
an error in the scenario, reported with an example package.

Rules only look at the issues they mention, so a public's predictions are a
small table over the product of its mentioned issues' options. This module
compiles that table once; evaluating packages is then one integer index per
package.

Example: the KIIS poll of July 2024 (55% of Ukrainians reject any territorial
concession; 38% if NATO and EU membership come with it) is two rules besides a
baseline:

>>> from offramp.scenario.schema import Issue, Option, Public, Rule
>>> yes_no = [Option(id="yes", label="yes", at=0), Option(id="no", label="no", at=100)]
>>> issues = [
...     Issue(id="land", label="Land", options=[Option(id="keep", label="k", at=0),
...                                           Option(id="cede", label="c", at=100)]),
...     Issue(id="nato", label="NATO", options=yes_no),
... ]
>>> public = Public(id="p", label="P", of="ua", threshold=0.5, rules=[
...     Rule(when={}, reject=0.1),
...     Rule(when={"land": ["cede"]}, reject=0.55),
...     Rule(when={"land": ["cede"], "nato": ["yes"]}, reject=0.38),
... ])
>>> table, conflicts = compile_rules(public, issues)
>>> conflicts
[]
>>> table.reject.tolist()   # (land, nato) = (keep, yes), (keep, no), (cede, yes), (cede, no)
[0.1, 0.1, 0.38, 0.55]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from offramp.scenario.schema import Bloc, Issue, Public

__all__ = ["MAX_RULE_COMBINATIONS", "RuleConflict", "RuleTable", "compile_rules"]

MAX_RULE_COMBINATIONS = 1_000_000
"""Largest product of option counts over the issues one public's rules mention."""


@dataclass(frozen=True)
class RuleTable:
    """A public's compiled rules: predicted rejection for every combination of options.

    Attributes
    ----------
    issues : tuple of int
        Indices (in scenario order) of the issues the rules mention.
    sizes : tuple of int
        Number of options of each of those issues.
    reject : ndarray of float64, shape (prod(sizes),)
        Predicted rejection share, combinations in row-major (C) order.
    rule : ndarray of intp, shape (prod(sizes),)
        Index of the rule that gives each prediction.
    """

    issues: tuple[int, ...]
    sizes: tuple[int, ...]
    reject: NDArray[np.float64]
    rule: NDArray[np.intp]

    def lookup(self, options: NDArray[np.intp]) -> NDArray[np.float64]:
        """Predicted rejection of packages.

        Parameters
        ----------
        options : ndarray of intp, shape (n, n_issues)
            Option index of every issue of every package (all scenario issues).

        Returns
        -------
        ndarray of float64, shape (n,)
        """
        if not self.issues:
            return np.full(options.shape[0], self.reject[0])
        flat = np.ravel_multi_index(tuple(options[:, i] for i in self.issues), self.sizes)
        return self.reject[flat]


@dataclass(frozen=True)
class RuleConflict:
    """Two equally specific rules that both decide some package.

    ``example`` maps each mentioned issue id to an option id of a package
    where they conflict.
    """

    first: int
    second: int
    example: dict[str, str]


def compile_rules(
    public: Public | Bloc, issues: Sequence[Issue]
) -> tuple[RuleTable, list[RuleConflict]]:
    """Compile a public's (or a legislature's bloc's) rules into a lookup table; find conflicts.

    The rules' issue and option ids must exist (checked by the caller).

    Parameters
    ----------
    public : Public or Bloc
    issues : sequence of Issue
        All issues of the scenario, in order.

    Returns
    -------
    table : RuleTable
        For combinations no rule matches (only possible without a baseline
        rule) the rejection is 1.0 and the rule index -1.
    conflicts : list of RuleConflict
        Each ambiguous pair of rules once, with its first example.

    Raises
    ------
    ValueError
        If the mentioned issues have more than :data:`MAX_RULE_COMBINATIONS`
        combinations of options.
    """
    index = {issue.id: k for k, issue in enumerate(issues)}
    mentioned = sorted({index[i] for rule in public.rules for i in rule.when})
    sizes = tuple(len(issues[k].options) for k in mentioned)
    total = int(np.prod(sizes, dtype=np.int64)) if sizes else 1
    if total > MAX_RULE_COMBINATIONS:
        raise ValueError(
            f"the rules mention issues with {total:,} combinations of options; "
            f"offramp compiles at most {MAX_RULE_COMBINATIONS:,}: split the public's rules"
        )
    grid = (
        np.stack(np.unravel_index(np.arange(total), sizes), axis=1)
        if sizes
        else np.zeros((1, 0), dtype=np.intp)
    )
    column = {k: c for c, k in enumerate(mentioned)}
    n_rules = len(public.rules)
    matches = np.ones((n_rules, total), dtype=bool)
    specificity = np.array([len(rule.when) for rule in public.rules])
    for r, each in enumerate(public.rules):
        for issue_id, option_ids in each.when.items():
            k = index[issue_id]
            option_index = {o.id: j for j, o in enumerate(issues[k].options)}
            allowed = np.array([option_index[o] for o in option_ids], dtype=np.intp)
            matches[r] &= np.isin(grid[:, column[k]], allowed)

    scored = np.where(matches, specificity[:, None], -1)
    best = scored.max(axis=0)
    winners = (scored == best[None, :]) & matches
    rule = np.where(best >= 0, np.argmax(winners, axis=0), -1).astype(np.intp)
    reject = np.array([public.rules[r].reject for r in range(n_rules)] + [1.0])[rule]

    conflicts: list[RuleConflict] = []
    seen: set[tuple[int, int]] = set()
    for c in np.flatnonzero(winners.sum(axis=0) > 1):
        tied = np.flatnonzero(winners[:, c])
        for a_pos, a in enumerate(tied):
            for b in tied[a_pos + 1 :]:
                if (int(a), int(b)) in seen:
                    continue
                seen.add((int(a), int(b)))
                example = {
                    issues[k].id: issues[k].options[int(grid[c, column[k]])].id for k in mentioned
                }
                conflicts.append(RuleConflict(int(a), int(b), example))
    table = RuleTable(tuple(mentioned), sizes, reject.astype(np.float64), rule)
    return table, conflicts
