"""The scenario compiled once: arrays and index maps with a leading batch axis.

A :class:`~offramp.scenario.Scenario` is the analyst's document: ids,
labels, sources, distributions. Every engine (the settlement analysis,
merge and counts, the bargaining solutions, the sweep kernel, the
negotiation, durability, the forecast models) reads the same numbers from
it, so :func:`compile_problem` turns it into a :class:`Problem` once, at the
edge (the CLI, the report, the web app), and the engines take that.

Every number an event or a draw can change has a leading batch axis ``B``:
a compiled scenario is a batch of one (``B = 1``, the point values), and a
sweep's draws are one batched Problem (:func:`offramp.uncertainty.model.draw`),
not a loop of scenarios. Shapes use ``A`` actors, ``I`` issues, ``K`` the
largest number of options of an issue (``K_i`` issue ``i``'s), ``P``
publics and ``R`` the largest number of rules of a public.

Interpretive choices
--------------------
* **Utility tables** (:attr:`Problem.tables`) are the weighted option values
  ``w_ai * v_ai(option)`` of :mod:`offramp.settle.space`, computed with the same
  floating-point operations in the same order (so every engine's utilities
  are bit-identical to :func:`offramp.settle.space.utility_tables`); an actor whose
  saliences are all 0 is indifferent (utility 0) instead of dividing by 0.
* **Uncertain inputs enter at their central value** (the number written
  beside the distribution); the distributions and the events are compiled
  too (:attr:`Problem.inputs`, :attr:`Problem.events`), for the sweep to draw.
* **Batnas** of actors without one are 0.0 (the analysis's convention);
  :attr:`Problem.has_batna` says which actors gave one.
* **Red lines** (``never``) of the batch of one are the lines more likely
  than not to hold (:mod:`offramp.settle.redlines`); a sweep draws them.
* **Ratification** (``bodies``): every public and legislature compiled with
  its routes, once (:mod:`offramp.problem.bodies`); route selection depends
  on the package only, the publics' rejection shares and thresholds are
  batched (:meth:`Problem.body_rejects`).
"""

from __future__ import annotations

from offramp.problem.bodies import Body
from offramp.problem.compiler import compile_problem
from offramp.problem.model import BATCHED, Change, CompiledEvent, Problem, UncertainInput
from offramp.problem.space import Space

__all__ = [
    "BATCHED",
    "Body",
    "Change",
    "CompiledEvent",
    "Problem",
    "Space",
    "UncertainInput",
    "compile_problem",
]
