"""offramp: game out negotiated ends to wars.

>>> import offramp
>>> from pathlib import Path
>>> path = Path(offramp.__file__).parents[2] / "scenarios" / "ukraine-2024-09.yaml"
>>> problem = offramp.compile_problem(offramp.load_scenario(path))  # once, for every engine
>>> offramp.analyze(problem).ratified_count
0

The public names are imported on first use (PEP 562 module ``__getattr__``),
so ``import offramp`` -- and hence ``offramp --help`` -- does not pay for
numpy, scipy and pydantic until a command needs them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from offramp._version import __version__
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

_HOME = {
    "Analysis": "offramp.settle.analysis",
    "Diagnostic": "offramp.errors",
    "InputError": "offramp.errors",
    "OfframpError": "offramp.errors",
    "Problem": "offramp.problem",
    "Scenario": "offramp.scenario",
    "__version__": "offramp._version",
    "analyze": "offramp.assess",
    "compile_problem": "offramp.problem",
    "load_scenario": "offramp.scenario",
}


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'offramp' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
