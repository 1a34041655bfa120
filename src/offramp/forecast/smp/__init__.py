"""KTAB's Spatial Model of Politics (SMP), vectorized over actors and a batch of draws.

KTAB, the KAPSARC Toolkit for Behavioral Analysis (Wise, Lester, Efird et al.;
C++, MIT licence, Copyright KAPSARC), forecasts a collective decision over
several continuous issues ("dimensions") by letting actors challenge one
another's positions inside a *probabilistic Condorcet election* (PCE).  This
module is a fresh implementation of KTAB's ``smpc`` model: written from KTAB's
published description (Wise et al. 2015; Efird, Lester & Wise 2016) and from its
C++ source read as a specification (``examples/smp/libsrc/smp.cpp``,
``smpbcn.cpp``, ``KTAB/kmodel/libsrc/kmodel.cpp``); no KTAB code is copied.
It reproduces KTAB's own reference runs digit for digit (see ``docs/smp.md``
and ``tests/test_smp.py``).

Internally, as in KTAB, positions are on [0, 1] (the 0--100 input divided by
100) and saliences are fractions of attention (percent divided by 100).

One turn (state ``t`` to ``t + 1``), for every draw of the batch
----------------------------------------------------------------
1. **Distances.**  ``D_ij`` is the salience-weighted distance from actor ``i``'s
   *ideal* to actor ``j``'s position,
   ``sqrt(sum_k s_ik^2 (y_ik - x_jk)^2 / sum_k s_ik^2)``.
2. **Risk attitudes from a risk-neutral election.**  With risk-neutral
   utilities ``1 - D_ij``, a PCE over all ``n`` positions (voters weighted by
   capability ``c``) gives each position a probability ``p_i``; the actor's
   risk attitude ``R_i`` is a linear rescaling of ``p_i`` between the least and
   the most likely position (``risk_range``: ``"Min"`` to [0, 1], ``"Mid"`` to
   [-1/2, 1], ``"Max"`` to [-1, 1]).  Safe actors are risk-averse.
3. **Risk-aware utilities.**  ``u(d, R) = (1 - d)(1 + d R)``.  Actor ``h``
   believes actor ``i``'s risk attitude is ``R_hi``, a blend of its own and
   ``i``'s (``risk_adjust``: ``"None"`` (own), ``"OneThird"`` =
   ``(2 R_h + R_i) / 3``, ``"Half"``, ``"TwoThirds"``, ``"Full"`` (``R_i``)),
   so every actor has its own utility matrix ``U^h_ij = u(D_ij, R_hi)``: the
   ``n x n x n`` tensor.
4. **Challenges.**  For every ordered pair ``(i, j)``, ``i`` estimates the
   probability ``P_ij`` that it would win a contest against ``j``: ``i`` and
   ``j`` vote with weight ``c s`` (capability times summed salience) on their
   own utilities; every third party ``n`` looks at the "little conflict"
   ``(i : j)`` with only the principals and itself, estimates the probability
   that its side wins, and votes on the expected value of the two outcomes
   (``third_party``: ``"SemiCommit"`` by default, ``"NoCommit"``,
   ``"FullCommit"``).  The expected gain to ``i`` of challenging ``j`` is
   ``(1 - s_j) 2 U_ii + s_j (P 2 U_ii + (1 - P) 2 U_ij) - (U_ii + U_ij)``
   (``s_j`` = ``j``'s summed salience: the chance that ``j`` resists).  Each
   actor challenges the target with the largest gain above 1e-5, if any.
5. **Bargains.**  The challenger's and the target's positions are
   interpolated, dimension by dimension, with weights ``s^a P^b``
   (``interpolation``: ``"S2P2"`` (a = b = 2), ``"S1P1"``, ``"S2PMax"``), once
   with the challenger's estimate of ``P`` and once with the target's;
   ``bargain_model`` decides which proposals are put forward
   (``"InitOnlyInterp"``: the challenger's; ``"InitRcvrInterp"``: both;
   ``"PWCompInterp"``: their power-weighted compromise).
6. **Simultaneous resolution.**  Each actor holds an election (a PCE with the
   capability-weighted votes of every actor) among the status quo and every
   bargain involving it, on the value of the whole state after each bargain
   (mean utility of all positions); it adopts the most probable bargain
   (``transitions="Deterministic"``) or a draw from their probabilities
   (``"Stochastic"``).  All actors move at once.
7. **Ideals follow positions.**  ``y_i <- sum_j A_ij x_j + (1 - sum_j A_ij) y_i``
   with the accommodation matrix ``A`` (identity by default: ideals are the
   positions, KTAB's "cynical" model).

Elections (steps 2 and 6) use ``voting_rule`` (``"Prop"``: vote = weight x
utility difference; ``"Binary"``, ``"PropBin"``, ``"PropCbc"``, ``"Cubic"``,
``"ASymProsp"``), ``victory_model`` for the probability that a coalition of
strength ``a`` beats one of strength ``b`` (``"Linear"`` ``a / (a + b)``,
``"Square"``, ``"Quartic"``, ``"Octic"``, ``"Binary"``) and ``pce_model`` to turn
pairwise victory probabilities into outcome probabilities (``"Conditional"``:
the chance an option beats all others, conditioned on one doing so;
``"MarkovIncentive"``, ``"MarkovUniform"``).  The run stops after
``max_iterations`` turns, or from turn ``min_iterations`` on once the summed
(over actors) Euclidean position change of a turn falls below
``min_delta_ratio`` times the first turn's (plus 1e-4 on [0, 1]).

Reported every state: positions, risk attitudes, and each actor's position
probability (a PCE over the *distinct* positions, those closer than
``pos_tol`` = 0.1 on 0--100 counted as one, every actor judging by its own
utilities).  The forecast per dimension, which KTAB leaves to the analyst, is
the *most probable position on that dimension*: the coordinate of the distinct
position whose probability, summed with that of every position within
``pos_tol`` of it on that dimension, is largest (ties to the more probable
position, then to the lower coordinate).

Interpretive choices (each one KTAB's behaviour, not a judgment of ours)
-----------------------------------------------------------------------
- Bargain coordinates are rounded to 4 decimals on [0, 1] (``S1P1``/``S2P2``),
  as KTAB does; ``S2PMax`` does not round, as in KTAB.
- ``"PWCompInterp"`` weights the target's proposal by the *challenger's*
  capability times the target's salience (KTAB's ``smpbcn.cpp`` reads
  ``brgnJIJ->actInit->sCap``, the challenger); the reference log confirms it.
- The target's proposal (``"InitRcvrInterp"``, ``"PWCompInterp"``) is
  interpolated with the target's estimate of the challenger's expected *gain*
  where a probability is expected: KTAB's ``smpbcn.cpp`` reads ``get<1>`` (the
  gain) of ``probEduChlg(j, i, i, j)``; the reference log's "from j's
  perspective" bargains confirm it.  The default ``"InitOnlyInterp"`` never
  uses that proposal.
- The third-party "little conflict" probability and the contest probability
  ``P_ij`` are always linear in coalition strength, whatever ``victory_model``
  says (KTAB applies ``victory_model`` only to the PCE elections).
- Coalitions in a PCE are tallied over the lower triangle of option pairs
  (``v_k(i:j)`` for ``i > j``), so the asymmetric ``"ASymProsp"`` rule depends on
  option order exactly as in KTAB.
- An actor's bargain list is ordered: status quo, then bargains by
  challenger index (KTAB fills it from threads in nondeterministic order; the
  order matters only for exact ties in probability).
- When every position is equally likely (e.g. all actors agree) KTAB divides
  by zero in step 2 and aborts; here every risk attitude is then 0 (neutral).
- Stochastic transitions draw from :func:`numpy.random.default_rng` ``(seed)``
  in a fixed order (draw, then actor), so a seed reproduces a run; KTAB's
  threads share one generator in nondeterministic order.
- An actor's position probability is that of the *last* distinct position
  equivalent to it, as KTAB's ``State::posProb`` does.

References
----------
.. [1] B. Wise, S. Lester, B. Efird, "An introduction to the KAPSARC Toolkit
   for Behavioral Analysis (KTAB) using one-dimensional spatial models",
   KAPSARC Discussion Paper KS-1514-DP07A, 2015.
.. [2] B. Efird, S. Lester, B. Wise, "China's upstream oil and gas sector:
   a spatial model of politics", KAPSARC Discussion Paper KS-1643-DP036A, 2016.
.. [3] KAPSARC, KTAB source code, MIT licence,
   https://github.com/KAPSARC/KTAB (mirror lsyaseen/KTAB, branch ``testing``,
   commit 3b5b063, 2019), files ``examples/smp/libsrc/smp.cpp``,
   ``smpbcn.cpp``, ``KTAB/kmodel/libsrc/kmodel.cpp``.
.. [4] D. Black, "On the rationale of group decision-making", Journal of
   Political Economy 56(1), 1948. https://doi.org/10.1086/256633

Examples
--------
>>> x = [[20.0, 80.0], [40.0, 30.0], [90.0, 50.0], [60.0, 60.0]]
>>> s = [[0.5, 0.5], [0.3, 0.6], [0.8, 0.1], [0.4, 0.4]]
>>> trace = smp(x, [100.0, 60.0, 40.0, 80.0], s)
>>> trace.positions.shape[-2:]          # (actors, dimensions)
(4, 2)
>>> bool(trace.rounds >= 1)
True
"""

from __future__ import annotations

from offramp.forecast.smp.model import smp
from offramp.forecast.smp.params import DEFAULTS, PARAMETERS

__all__ = ["DEFAULTS", "PARAMETERS", "smp"]
