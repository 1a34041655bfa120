"""offramp: game out negotiated ends to wars.

>>> import offramp
>>> from pathlib import Path
>>> path = Path(offramp.__file__).parents[2] / "scenarios" / "ukraine-2024-09.yaml"
>>> problem = offramp.compile_problem(offramp.load_scenario(path))  # once, for every engine
>>> offramp.analyze(problem).ratified_count
0
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("offramp")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

from offramp.assess import analyze
from offramp.errors import Diagnostic, InputError, OfframpError
from offramp.problem import Problem, compile_problem
from offramp.scenario import Scenario, load_scenario
from offramp.settle.analysis import Analysis

__all__ = [
    "Analysis",
    "Diagnostic",
    "InputError",
    "OfframpError",
    "Problem",
    "Scenario",
    "__version__",
    "analyze",
    "compile_problem",
    "load_scenario",
]
