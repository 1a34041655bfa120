"""Settlement engines: the space of packages and what every side would sign.

- :mod:`~offramp.settle.space`: additive utility tables, enumeration in blocks (the
  packages' index map is :class:`offramp.problem.Space`);
- :mod:`~offramp.settle.solutions`: the Pareto filter and the bargaining solutions;
- :mod:`~offramp.settle.merge`: the exact frontier of huge spaces by merging issues;
- :mod:`~offramp.settle.count`: counting ZOPA and ratified packages without enumerating;
- :mod:`~offramp.settle.analysis`: the settlement analysis (ZOPA, ratification, frontier,
  solutions, blockers), worded by :mod:`~offramp.settle.explain`.

The publics' ratification rules are compiled in :mod:`offramp.scenario.rules`, where the
scenario checks also use them.
"""

from __future__ import annotations

from offramp.settle.analysis import Analysis, Blocker, FrontierPoint, analyze_space
from offramp.settle.count import Count, count_packages
from offramp.settle.merge import Frontier, merge_frontier
from offramp.settle.solutions import SOLUTIONS, pareto_filter, solve
from offramp.settle.space import iter_blocks, utilities, utility_tables

__all__ = [
    "SOLUTIONS",
    "Analysis",
    "Blocker",
    "Count",
    "Frontier",
    "FrontierPoint",
    "analyze_space",
    "count_packages",
    "iter_blocks",
    "merge_frontier",
    "pareto_filter",
    "solve",
    "utilities",
    "utility_tables",
]
