"""Renegotiated texts follow their route's ``then`` (Colombia 2016: plebiscite, then Congress)."""

from __future__ import annotations

import numpy as np

from offramp.negotiate import ACTIONS, negotiate, parse_strategy, simulate
from offramp.negotiate.inputs import scenario_signing
from offramp.negotiate.protocol import Signing
from offramp.problem import Problem, compile_problem
from offramp.scenario import load_scenario_text
from offramp.settle.routes import stages
from tests.conftest import SCENARIOS

COLOMBIA = SCENARIOS / "history" / "colombia-2016.yaml"


def _signings(then: bool, congress_rounds: int) -> Signing:
    """Four packages; a referendum rejects p0 (one renegotiation, ``then`` Congress);
    Congress votes only on renegotiated texts and rejects p1."""
    everything = np.ones(4, dtype=bool)
    congress = Signing(
        failure=np.array([-1, 1, -1, -1], dtype=np.intp),
        rounds=np.full(4, congress_rounds, dtype=np.int64),
        constraint=np.array([everything, [True, False, True, True]]),
    )
    return Signing(
        failure=np.array([0, -1, -1, -1], dtype=np.intp),
        rounds=np.ones(4, dtype=np.int64),
        constraint=np.array([[False, True, True, True], everything]),
        then=np.array([0, -1, -1, -1], dtype=np.intp) if then else None,
        after=(congress,),
    )


def test_a_renegotiated_text_faces_the_votes_its_route_names_by_hand() -> None:
    # Both prefer p0 > p1 > p2 > p3 (all above their batnas). Conceders sign p0 in
    # round 0; the referendum rejects it, and the talks resume under its objection
    # (p1, p2, p3 may pass). They sign p1, their best left.
    u = np.array([[1.0, 0.8, 0.6, 0.5], [0.9, 0.7, 0.65, 0.6]])
    batna = np.array([0.4, 0.4])
    plan = [parse_strategy("conceder")] * 2
    # the same votes again (no `then`): the referendum passes p1
    same = simulate(u, batna, plan, deadline=6, signing=_signings(False, 0))
    assert int(same.agreement[0]) == 1
    # `then`: p1 goes to Congress, which rejects it; Congress's route ends the talks
    ended = simulate(u, batna, plan, deadline=6, signing=_signings(True, 0))
    assert int(ended.agreement[0]) == -1
    actions = [ACTIONS[c - 1] for c in ended.action[0] if c]
    assert actions.count("unratified") == 2 and actions[-1] == "unratified"
    assert [int(p) for p, c in zip(ended.package[0], ended.action[0], strict=True) if c == 4] == [
        0,
        1,
    ]
    # `then`, and Congress renegotiates once: its objection joins the referendum's, so
    # the third text is p2
    third = simulate(u, batna, plan, deadline=6, signing=_signings(True, 1))
    assert int(third.agreement[0]) == 2


def _counterfactual(
    congress_rejects_kept_arms: bool = False, congress_renegotiates: bool = False
) -> Problem:
    """Colombia 2016 with the plebiscite rejecting the special jurisdiction (50.2% No, as
    on 2 October 2016) and, optionally, Congress rejecting a text that lets the FARC keep
    its weapons and sending a rejected text back to the table."""
    text = COLOMBIA.read_text(encoding="utf-8")
    old = "      - when: {justice: [amnesty]}\n"
    text = text.replace(
        old,
        "      - when: {justice: [special_jurisdiction]}\n"
        "        reject: 0.502\n"
        "        assumed: counterfactual\n" + old,
    )
    if congress_rejects_kept_arms:
        coalition = (
            'reject: 0.05, assumed: "Coalition discipline behind the government\'s accord."}'
        )
        assert coalition in text
        text = text.replace(
            coalition,
            coalition
            + "\n          - {when: {arms: [kept]}, reject: 0.6, assumed: counterfactual}",
        )
    if congress_renegotiates:
        route = "        label: Congress ratifies the renegotiated accord\n"
        assert route in text
        text = text.replace(route, route + "        on_fail: renegotiate\n")
    return compile_problem(load_scenario_text(text))


def test_colombia_signing_follows_the_routes_of_offramp_evaluate() -> None:
    problem = _counterfactual()
    scenario = problem.scenario
    signing = scenario_signing(problem, problem.space)
    plebiscite = scenario.publics[0].routes[0]
    assert plebiscite.then == "congress_ratification" and len(signing.after) == 1
    bodies = [b.id for b in (*scenario.publics, *scenario.legislatures)]
    assert signing.then is not None
    for index in range(problem.space.size):
        package = problem.space.package(index)
        for sig, after in ((signing, None), (signing.after[0], plebiscite)):
            votes = stages(scenario, package, after=after)
            failed = [v.body for v in votes if not v.passes]
            assert sig.failure[index] == (bodies.index(failed[0]) if failed else -1)
        # a first text goes to the plebiscite only; a renegotiated one to Congress only
        assert [v.body for v in stages(scenario, package)] == ["voters"]
        assert [v.body for v in stages(scenario, package, after=plebiscite)] == ["congress"]
        assert signing.then[index] == (0 if signing.failure[index] == 0 else -1)


def test_colombia_the_renegotiated_text_goes_to_congress_not_a_second_plebiscite() -> None:
    # as it happened: the plebiscite rejects the signed text, the talks resume under the
    # No campaign's objection, and Congress (majority) ratifies the new text
    agreed = negotiate(_counterfactual(), deadline=6)
    assert agreed.agreement is not None and agreed.agreement["justice"] == "prison"
    lost = [m for m in agreed.history if m.action == "unratified"]
    assert len(lost) == 1 and lost[0].package is not None
    assert lost[0].package["justice"] == "special_jurisdiction"
    # had Congress rejected a text that lets the FARC keep its weapons: the renegotiated
    # text (prison, weapons kept), which a second plebiscite would have passed, fails in
    # Congress, and Congress's route ends the talks
    ended = negotiate(_counterfactual(congress_rejects_kept_arms=True), deadline=6)
    assert ended.agreement is None
    lost = [m.package for m in ended.history if m.action == "unratified"]
    assert len(lost) == 2 and lost[1] is not None and lost[1]["arms"] == "kept"
    problem = _counterfactual(congress_rejects_kept_arms=True)
    voters = [v for v in stages(problem.scenario, lost[1]) if v.body == "voters"]
    assert voters[0].passes  # the plebiscite would have ratified it
    # and had Congress's route sent it back too: a third text, without the weapons kept
    third = negotiate(_counterfactual(True, True), deadline=6)
    assert third.agreement is not None and third.agreement["arms"] == "un_handover"
    assert sum(m.action == "unratified" for m in third.history) == 2


TWO_VOTES = """\
id: two-votes
title: A referendum, then parliament
as_of: 2024-01-01
issues:
  - id: deal
    label: Deal
    options:
      - {id: o0, label: o0, at: 0}
      - {id: o1, label: o1, at: 30}
      - {id: o2, label: o2, at: 60}
      - {id: o3, label: o3, at: 100}
actors:
  - {id: a, label: A, power: 1, veto: true, batna: 0.3, assumed: x,
     stances: [{issue: deal, position: o0, salience: 1, assumed: x}]}
  - {id: b, label: B, power: 1, veto: true, batna: 0.3, assumed: x,
     stances: [{issue: deal, position: 0, salience: 1, assumed: x}]}
publics:
  - id: pub
    label: Voters
    of: a
    threshold: 0.5
    rules:
      - {when: {}, reject: 0.1, assumed: x}
      - {when: {deal: [o0]}, reject: 0.6, assumed: x}
    routes:
      - {id: referendum, label: Referendum, on_fail: renegotiate, rounds: 1, then: vote,
         assumed: x}
legislatures:
  - id: parl
    label: Parliament
    of: a
    needs: majority
    blocs:
      - id: all
        label: All
        seats: 100
        assumed: x
        rules:
          - {when: {}, reject: 0.1, assumed: x}
          - {when: {deal: [o1]}, reject: 0.9, assumed: x}
    routes:
      - {id: vote, label: Parliamentary vote, assumed: x}
"""


def test_a_tiny_scenario_by_hand() -> None:
    # Both value o0 1, o1 0.7, o2 0.4, o3 0 (batna 0.3). The first text, o0, goes to the
    # referendum only (parliament's route is taken only after the referendum fails), which
    # rejects it (60%); the talks resume under its objection and sign o1, which goes to
    # parliament (90% against); its route ends the talks.
    problem = compile_problem(load_scenario_text(TWO_VOTES))
    signing = scenario_signing(problem, problem.space)
    assert signing.failure.tolist() == [0, -1, -1, -1]
    assert signing.after[0].failure.tolist() == [-1, 1, -1, -1]
    ended = negotiate(problem, deadline=6)
    lost = [m.package for m in ended.history if m.action == "unratified"]
    assert ended.agreement is None and lost == [{"deal": "o0"}, {"deal": "o1"}]
    # parliament sending it back too: the third text is o2 (0.4 > 0.3 for both)
    again = TWO_VOTES.replace(
        "{id: vote, label: Parliamentary vote,",
        "{id: vote, label: Parliamentary vote, on_fail: renegotiate,",
    )
    third = negotiate(compile_problem(load_scenario_text(again)), deadline=6)
    assert third.agreement == {"deal": "o2"}


def test_the_docs_example_runs() -> None:
    import doctest

    from tests.conftest import ROOT

    failures, tried = doctest.testfile(
        str(ROOT / "docs" / "negotiation.md"), module_relative=False, verbose=False
    )
    assert tried > 0 and failures == 0
