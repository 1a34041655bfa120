"""Whether a deal would hold: the commitment problem.

A settlement is *self-enforcing* when no side ever prefers going back to war
to keeping it. After Fearon (1995), a side's expected value of war is its
probability of prevailing times the value of prevailing, minus the cost of
war; a deal survives as long as it gives every side at least that much.
Powell (2006) shows how a large, rapid shift in the distribution of power
breaks such deals: the side growing stronger cannot credibly promise not to
use its future strength, so a deal that suits both today stops suiting the
rising side tomorrow. This module projects that over time.

Model
-----
For each belligerent ``a`` (the actors listed in the scenario's
``dynamics.actors``), with opponent ``o`` (its ``against``)::

    p_a(t) = clip(P_a(t) / (P_a(t) + P_o(t)) + dp_a(x), 0, 1)
    V_a(t) = p_a(t) * W_a - (c_a + dc_a(x))

``P(t)`` is the projected power (capability) trajectory: the actor's
``power`` at year 0, then constant relative ``growth`` per year
(``P(0) (1 + g)^t``) or piecewise-linear ``points`` (constant after the last
point). ``p`` is the ratio form of the contest success function (Tullock 1980
with exponent 1; the same power ratio Fearon uses to illustrate ``p``).
``c_a`` is the actor's ``war_cost`` and ``W_a`` its value of prevailing.
``dp_a(x)`` and ``dc_a(x)`` sum the ``dynamics.effects`` of the options in the
package ``x``: a security guarantee raising the would-be aggressor's cost, a
demilitarized zone lowering its chance of a quick win. The package gives
``a`` its utility ``U_a(x)`` (:mod:`offramp.settle.space`).

Side ``a`` prefers to renege at time ``t`` when ``V_a(t) > U_a(x)``. The deal
is self-enforcing over the horizon ``H`` (``dynamics.horizon``, default 5
years) when that never happens for ``t`` in ``[0, H]``; otherwise the first
breach is the earliest such ``t`` and the side that reneges.

Interpretive choices
--------------------
* **Calibration.** Unless ``win_value`` is given, ``W_a`` is set so that
  resuming the war today, with none of the package's effects, is worth what
  the scenario says fighting on is worth: ``V_a(0) = batna_a``, i.e.
  ``W_a = (batna_a + c_a) / p_a(0)``. The batna and the war model then agree
  at ``t = 0``, and a deal that beats an actor's batna holds for it as long
  as its power does not grow relative to its opponent's. ``W_a`` can exceed
  1: prevailing may be worth more than any negotiable package.
* **The deal's value is constant** over time (no discounting, no
  renegotiation): the question is only whether war becomes more attractive.
* **Continuous time.** Breach times are found on a weekly grid and refined by
  bisection on the (continuous) war value, so the reported year is exact to
  about 1e-9 years, not a grid point.
* **Uncertainty.** ``growth`` and ``war_cost`` may be distributions
  (:mod:`offramp.scenario.distributions`); each draw takes every one
  independently (inverse-CDF of seeded uniforms, one per input, in the order
  of ``dynamics.actors``), recalibrates ``W_a`` so that ``V_a(0) = batna_a``
  still holds, and ``p_holds[y]`` is the share of draws in which no side
  prefers war before year ``y`` (checked on the weekly grid). The base case
  (``self_enforcing``, ``first_breach``) uses the point values.
* **Restoring guarantees.** For a package that is not self-enforcing, every
  option that has an effect in ``dynamics.effects`` is tried in its place (one
  substitution, then pairs on different issues if none alone works); those
  that make it self-enforcing over the horizon are reported, with whether
  the changed package still beats every veto actor's batna.
* Actors without a ``dynamics`` entry (e.g. a non-belligerent veto actor)
  never renege in this model.

References
----------
Fearon, J. D. (1995). Rationalist explanations for war. *International
Organization* 49(3), 379-414. https://doi.org/10.1017/S0020818300033324

Powell, R. (2006). War as a commitment problem. *International Organization*
60(1), 169-203. https://doi.org/10.1017/S0020818306060061

Tullock, G. (1980). Efficient rent seeking. In Buchanan, Tollison & Tullock
(eds.), *Toward a Theory of the Rent-Seeking Society*, 97-112. Texas A&M
University Press.
"""

from __future__ import annotations

from offramp.durability.deal import complete_package, default_package, durability, war_paths
from offramp.durability.model import YEARS, DurabilityError, power_at, war_value
from offramp.durability.results import Breach, Durability, Restoration

__all__ = [
    "YEARS",
    "Breach",
    "Durability",
    "DurabilityError",
    "Restoration",
    "complete_package",
    "default_package",
    "durability",
    "power_at",
    "war_paths",
    "war_value",
]
