"""Negotiation over time: a stacked alternating-offers protocol among the veto actors.

The protocol is the *stacked alternating offers protocol* (SAOP) for
multilateral negotiation (Aydoğan, Festen, Hindriks & Jonker 2017). The veto
actors sit around a table and take turns in a fixed order, one turn each per
round. The first actor opens with an offer (a package); on its turn, every
actor then either

* **accepts** the offer on the table,
* makes a counter-offer (**offer**), which rejects and replaces it, or
* walks away (**reject**), which ends the talks without agreement.

A package is agreed when every actor other than the one who offered it has
accepted it in consecutive turns. The talks also end without agreement at the
deadline (after the last turn of round ``deadline - 1``).

Concession strategies
---------------------
``boulware``, ``linear``, ``conceder`` (time-dependent tactics, Faratin,
Sierra & Jennings 1998, section 4.1, polynomial family)
    The actor's target utility at relative time ``t = round / (deadline - 1)``
    is ``u_max - t ** (1 / beta) * (u_max - batna)``: ``beta < 1`` is
    Boulware (holds firm, concedes at the end), ``beta = 1`` linear,
    ``beta > 1`` conceder (concedes early). Defaults: ``beta = 0.25`` for
    Boulware and ``4`` for conceder (the exponents NegMAS uses for its
    ``boulware`` and ``conceder`` aspiration curves); ``boulware:0.1`` sets
    ``beta`` explicitly. ``u_max`` is the actor's best utility over the
    packages it can sign, and the curve reaches its batna in the last round
    (Faratin's ``kappa = 0``).
``tit_for_tat`` (behaviour-dependent tactic, Faratin et al. 1998, section 4.3,
"absolute tit-for-tat", in utility space)
    The actor concedes, from its best package, as much utility as the other
    actors have conceded to it: its target is ``u_max - mean_b c_b`` where
    ``c_b`` is how much better (for this actor) actor ``b``'s best offer so
    far is than ``b``'s first offer. It never goes below its batna. Two
    tit-for-tat actors that both open with their best package never move:
    reciprocation needs someone to make the first concession.
``best_acceptable`` (a proposer's best response, the logic of Rubinstein 1982)
    The actor offers the package best for itself among those it expects every
    other actor to accept on its next turn. It expects actor ``b`` to accept a
    package worth at least ``min(u_b(b's latest offer), linear_b(t_next))``
    to ``b`` and more than ``b``'s batna, where ``linear_b`` is ``b``'s
    linear concession curve (Faratin et al. 1998 with ``beta = 1``): before
    ``b`` has offered anything, or when ``b`` is tougher than linear, the
    linear curve stands in. When no package meets every expectation it offers
    its own best package.

Acceptance (every strategy): an actor accepts the offer on the table when it
is above its batna and at least as good as what it would itself offer on its
next turn less one round's cost of delay (the ``AC_next`` condition of
Baarslag, Hindriks & Jonker 2014, with the delay cost as its margin); in the
last round it accepts anything above its batna. Counter-offers are chosen, among
the packages at or above the actor's target, as the one best for the others:
the largest smallest gain over batna of the other actors (complete
information: the scenario's utilities are common knowledge), ties to the
actor's own higher utility, then to the first package in option order.

Options of the time-dependent strategies
----------------------------------------
Named options (``boulware:offer=closest_above,accept=now,...``; see
:func:`parse_strategy`) replace the defaults above by the rules of the
time-dependent agent that ignores the others' utilities, as NegMAS implements
it in ``BoulwareTBNegotiator``, ``LinearTBNegotiator`` and
``ConcederTBNegotiator`` (Mohammad, Nakadai & Greenwald 2021; the behaviour
of NegMAS 0.16.0's ``TimeBasedConcedingNegotiator`` and ``SAOMechanism``,
read from their documentation and source to learn what they do, never
copied):

``offer=closest_above`` (:data:`OFFER_RULES`)
    The counter-offer is the package whose utility *for the actor* is lowest
    among those at or above its target: the package at its aspiration level.
    Faratin et al. 1998 set each issue's value on the concession curve; over
    a discrete set of packages scored in utility, the closest package at or
    above the curve is as near as the actor can get without conceding more
    than the curve allows. No model of the others. Ties (equal own utility)
    go to the first package in option order.
``accept=now`` (:data:`ACCEPT_RULES`)
    Accept an offer above the batna worth at least the actor's target at
    this turn (less one round's cost of delay): the value of the
    counter-offer it would send in reply, which is Faratin et al.'s
    interpretation of an offer (accept when the offer received is worth at
    least the contract the agent would send back at that time) and the
    ``AC_next`` condition with ``alpha = 1, beta = 0`` of Baarslag et al.
    2014 read with "the next bid" as the reply it is about to send. No
    last-round rule. (With ``offer=closest_above`` the counter-offer's value
    is the lowest package value at or above the target, so comparing with
    the target and with the counter-offer's value decide alike.)
``clock=open`` (:data:`CLOCKS`)
    Relative time ``t = (round + 1) / (deadline + 1)``, NegMAS's relative
    time of step ``round`` of an ``n_steps = deadline`` negotiation, instead
    of ``round / (deadline - 1)``. The curve then never reaches the floor:
    in the last round the target is still ``1 - (D / (D + 1)) ** (1 / beta)``
    of the way from the floor to ``u_max`` (7.6% for Boulware at 50 rounds),
    so a thin ZOPA can be missed.
``floor=worst`` (:data:`FLOORS`)
    The curve ends at the larger of the batna and the actor's worst allowed
    package, not at the batna (NegMAS scales its aspiration to the utility
    range between the best outcome and the larger of the worst outcome and
    the reserved value). It matters only when every package beats the batna.
``slack=NUMBER``
    The target is lowered by this much utility, for offers and acceptance
    alike (NegMAS's time-based negotiators widen their aspiration band by
    their ``eps``, ``1e-4``).

With all of them (``boulware:offer=closest_above,accept=now,clock=open,
floor=worst,slack=0.0001``) two offramp Boulware actors reach the same
agreement, in the same round, as two NegMAS 0.16.0 ``BoulwareTBNegotiator``
agents in an ``SAOMechanism`` with ``n_steps = deadline`` on every one of the
500 random domains of ``benchmarks/bench_negotiate.py`` (see
``docs/negotiation.md``). Differences that remain below that level: NegMAS
breaks ties in own utility by the order of its sorted outcome list and its
inverter also takes a package up to ``1e-6`` below the band, so 1.6% of
those domains show a different offer somewhere in the history; and NegMAS
accepts an offer worth exactly the reserved value, offramp only one worth
more (an agreement is strictly inside the ZOPA).

Interpretive choices
--------------------
* Nobody offers or accepts a package that crosses its own red lines
  (``lines``) or is not strictly above its batna. Ratification (the two-level
  game of Putnam 1988) is checked either when a package is signed
  (``signing``, what :func:`negotiate` does: each actor opens with its own
  best package within its red lines, ratifiable or not, and a signed package
  that fails a vote goes back to the table with the rejecting body's
  objections as a constraint, or ends the talks; the renegotiated text
  faces the votes of the failed route's ``then``, e.g. Congress after a
  failed plebiscite, or the same votes again when it names none) or, without ``signing``, by
  allowing only ratified packages to be offered or accepted. Either way an
  agreement lies in the ratified ZOPA *at the time it is reached*.
* An actor with no package above its batna walks away on its first turn.
* Cost of delay: every round without agreement costs each actor ``cost[a]``
  utility (a round of war). It is sunk whether or not the talks succeed, so
  it does not move the batna; it makes waiting for a better offer costlier
  (the acceptance margin above) and is reported in the actors' net payoffs.
* Changes (the events hook): a :class:`Change` replaces batnas and/or
  utilities at the start of a round; it clears the table (the offer on it
  lapses and the next actor in turn makes a new one), because the actors
  who accepted it did so under the old terms.

Vectorization: the engine :func:`simulate` runs a batch of ``B`` negotiations
at once (a leading batch axis on every array); each turn is a handful of
``(B, n_packages)`` array operations per actor.

Huge spaces: :func:`simulate_frontier` runs the same protocol on the space's
per-issue structure (additive utilities, per-issue red-line masks, rules over
few issues), finding every offer on merged Pareto frontiers without
enumerating the packages, with the same tie-breaks, so the same transcript
(:mod:`offramp.negotiate.frontier`). :func:`negotiate` picks it above
:data:`ENUMERATION_MAX` packages (``method="auto"``, as ``analyze``).

References
----------
Aydoğan, R., Festen, D., Hindriks, K. V. & Jonker, C. M. (2017). Alternating
offers protocols for multilateral negotiation. In *Modern Approaches to
Agent-based Complex Automated Negotiation*, Studies in Computational
Intelligence 674, 153-167. https://doi.org/10.1007/978-3-319-51563-2_10

Faratin, P., Sierra, C. & Jennings, N. R. (1998). Negotiation decision
functions for autonomous agents. *Robotics and Autonomous Systems* 24(3-4),
159-182. https://doi.org/10.1016/S0921-8890(98)00029-3

Mohammad, Y., Nakadai, S. & Greenwald, A. (2021). NegMAS: a platform for
automated negotiations. In *PRIMA 2020: Principles and Practice of
Multi-Agent Systems*, LNCS 12568, 343-351.
https://doi.org/10.1007/978-3-030-69322-0_23

Baarslag, T., Hindriks, K. & Jonker, C. (2014). Effective acceptance
conditions in real-time automated negotiation. *Decision Support Systems* 60,
68-77. https://doi.org/10.1016/j.dss.2013.05.021

Rubinstein, A. (1982). Perfect equilibrium in a bargaining model.
*Econometrica* 50(1), 97-109. https://doi.org/10.2307/1912531

Putnam, R. D. (1988). Diplomacy and domestic politics: the logic of two-level
games. *International Organization* 42(3), 427-460.
https://doi.org/10.1017/S0020818300027697
"""

from __future__ import annotations

from offramp.negotiate.events import event_changes, issue_changes
from offramp.negotiate.frontier import IssueChange, simulate_frontier
from offramp.negotiate.inputs import ENUMERATION_MAX, MAX_PACKAGES, METHODS, rounds_until
from offramp.negotiate.protocol import Change, simulate
from offramp.negotiate.results import ACTIONS, Move, Negotiation, Outcome, Trace
from offramp.negotiate.scenario import negotiate
from offramp.negotiate.strategies import (
    ACCEPT_RULES,
    CLOCKS,
    FLOORS,
    OFFER_RULES,
    STRATEGIES,
    Strategy,
    StrategyError,
    parse_strategy,
)

__all__ = [
    "ACCEPT_RULES",
    "ACTIONS",
    "CLOCKS",
    "ENUMERATION_MAX",
    "FLOORS",
    "MAX_PACKAGES",
    "METHODS",
    "OFFER_RULES",
    "STRATEGIES",
    "Change",
    "IssueChange",
    "Move",
    "Negotiation",
    "Outcome",
    "Strategy",
    "StrategyError",
    "Trace",
    "event_changes",
    "issue_changes",
    "negotiate",
    "parse_strategy",
    "rounds_until",
    "simulate",
    "simulate_frontier",
]
