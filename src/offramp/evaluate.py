"""Would *this* package work? One named package against a scenario.

The first question an analyst asks on any real day is not "what is the
best settlement" but "would this text (the Vance plan, Minsk II, the Havana
accord) work?". :func:`evaluate` answers it with the definitions the rest
of offramp uses, for one package:

* per actor: additive utility (:mod:`offramp.settle.space`), batna, surplus
  (utility minus batna), the red lines it crosses (:mod:`offramp.settle.redlines`)
  and whether the actor accepts it (no red line crossed and, with a batna,
  utility strictly above it);
* ``in_zopa``: every veto actor accepts; per vote (:mod:`offramp.settle.routes`):
  the body, the route, the predicted rejection, the threshold and the
  verdict; ``ratified``: every vote passes;
* ``durability`` for scenarios with ``dynamics`` (:mod:`offramp.durability`);
* ``blockers``: who stops it and why;
* ``closest``: the smallest changes of options (one issue, then two) after
  which every veto actor accepts it and every vote passes, each with what
  it costs whom (the change of every actor's utility), ranked by the
  largest loss a veto actor bears (then package order);
* ``path``: the votes in order up to the first failure and what follows:
  no settlement, or renegotiation (the closest text that the rejecting body
  would pass and that passes its new route);
* with ``draws``: the probability that the package is accepted and
  ratified over the scenario's uncertain inputs and events, with a 95%
  Wilson interval, drawn by the sweep's machinery
  (:mod:`offramp.uncertainty.model`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations, product
from typing import Any

import numpy as np
from numpy.typing import NDArray

from offramp._version import __version__
from offramp.errors import PackageError
from offramp.problem import Problem, compile_problem
from offramp.problem.bodies import compile_bodies
from offramp.scenario.load import content_hash
from offramp.scenario.schema import Legislature, Public, Route, Scenario
from offramp.settle.redlines import crossed, never_probability, red_line_masks
from offramp.settle.routes import Stage, stages
from offramp.settle.space import utilities, utility_tables

__all__ = ["ActorView", "Alternative", "Evaluation", "evaluate", "resolve_package"]

CLOSEST = 5
"""Most alternatives ``closest`` lists."""


@dataclass(frozen=True)
class ActorView:
    """One actor's view of the package."""

    id: str
    label: str
    veto: bool
    utility: float
    batna: float | None
    surplus: float | None
    accepts: bool
    red_lines: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "id": self.id,
            "label": self.label,
            "veto": self.veto,
            "utility": self.utility,
            "batna": self.batna,
            "surplus": self.surplus,
            "accepts": self.accepts,
            "red_lines": list(self.red_lines),
        }


@dataclass(frozen=True)
class Alternative:
    """A nearby package: which options change, and what each actor gains (+) or loses (-)."""

    package: dict[str, str]
    changes: dict[str, tuple[str, str]]
    cost: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``changes``: issue -> {from, to})."""
        return {
            "package": self.package,
            "changes": {i: {"from": a, "to": b} for i, (a, b) in self.changes.items()},
            "cost": self.cost,
        }


@dataclass(frozen=True)
class Evaluation:
    """Everything :func:`evaluate` found; :meth:`to_dict` gives the stable JSON keys."""

    scenario: str
    scenario_hash: str
    package: dict[str, str]
    named: str | None
    actors: tuple[ActorView, ...]
    votes: tuple[Stage, ...]
    in_zopa: bool
    ratified: bool
    durability: dict[str, Any] | None
    blockers: tuple[dict[str, Any], ...]
    closest: tuple[Alternative, ...]
    closest_size: int | None
    path: tuple[dict[str, Any], ...]
    draws: dict[str, Any] | None = None
    offramp_version: str = __version__
    label: str | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (documented in docs/evaluate.md)."""
        return {
            "scenario": self.scenario,
            "scenario_hash": self.scenario_hash,
            "offramp_version": self.offramp_version,
            "named": self.named,
            "label": self.label,
            "package": self.package,
            "actors": {a.id: a.to_dict() for a in self.actors},
            "votes": [s.to_dict() for s in self.votes],
            "in_zopa": self.in_zopa,
            "ratified": self.ratified,
            "accepted_and_ratified": self.in_zopa and self.ratified,
            "durability": self.durability,
            "blockers": list(self.blockers),
            "closest": [c.to_dict() for c in self.closest],
            "closest_size": self.closest_size,
            "path": list(self.path),
            "draws": self.draws,
        }


def resolve_package(
    scenario: Scenario, package: Mapping[str, str] | None = None, named: str | None = None
) -> tuple[dict[str, str], str | None]:
    """The full package to evaluate, from ``ISSUE=OPTION`` pairs or a named package.

    Raises
    ------
    PackageError
        Unknown issue, option or named package; an issue without an option.
    """
    label = None
    if named is not None:
        found = next((p for p in scenario.packages if p.id == named), None)
        if found is None:
            known = ", ".join(p.id for p in scenario.packages) or "none are defined"
            raise PackageError(f"no named package `{named}` in `packages:`; known: {known}")
        package = {**found.options, **(package or {})}
        label = found.label
    package = dict(package or {})
    issues = {issue.id: [o.id for o in issue.options] for issue in scenario.issues}
    for issue_id, option_id in package.items():
        if issue_id not in issues:
            raise PackageError(f"unknown issue `{issue_id}`; issues: {', '.join(issues)}")
        if option_id not in issues[issue_id]:
            raise PackageError(
                f"`{option_id}` is not an option of `{issue_id}`; "
                f"options: {', '.join(issues[issue_id])}"
            )
    missing = [i for i in issues if i not in package]
    if missing:
        raise PackageError(
            "give an option for every issue (--package ISSUE=OPTION, or --named ID); "
            f"missing: {', '.join(missing)}"
        )
    return {i: package[i] for i in issues}, label


class _Judge:
    """Vectorized acceptance and first-text ratification of many packages (point values)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.tables = utility_tables(scenario)
        self.masks = red_line_masks(scenario)
        self.veto = np.array([a for a, x in enumerate(scenario.actors) if x.veto], dtype=np.intp)
        self.batna = np.array(
            [np.nan if x.batna is None else float(x.batna) for x in scenario.actors]
        )
        self.bodies = compile_bodies(scenario)
        self.ids = [[o.id for o in issue.options] for issue in scenario.issues]

    def options(self, packages: Sequence[Mapping[str, str]]) -> NDArray[np.intp]:
        return np.array(
            [
                [self.ids[i].index(p[x.id]) for i, x in enumerate(self.scenario.issues)]
                for p in packages
            ],
            dtype=np.intp,
        ).reshape(len(packages), len(self.ids))

    def accepts(self, options: NDArray[np.intp]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """Utilities (A, n) and whether each actor accepts (A, n)."""
        utility = utilities(self.tables, options)
        cross = crossed(self.masks, options)
        above = np.where(np.isnan(self.batna)[:, None], True, utility > self.batna[:, None])
        return utility, above & ~cross

    def acceptable(self, options: NDArray[np.intp]) -> NDArray[np.bool_]:
        """In the ZOPA and passed by every first-text vote, shape (n,)."""
        _, ok = self.accepts(options)
        good: NDArray[np.bool_] = np.asarray(ok[self.veto].all(axis=0), dtype=bool)
        for body in self.bodies:
            good &= ~body.rejects(options)
        return good


def _neighbours(scenario: Scenario, package: Mapping[str, str], size: int) -> list[dict[str, str]]:
    out = []
    for issues in combinations(scenario.issues, size):
        choices = [[o.id for o in i.options if o.id != package[i.id]] for i in issues]
        for picked in product(*choices):
            out.append({**package, **{i.id: o for i, o in zip(issues, picked, strict=True)}})
    return out


def _closest(
    judge: _Judge,
    package: Mapping[str, str],
    keep: Any = None,
) -> tuple[tuple[Alternative, ...], int | None]:
    """Up to :data:`CLOSEST` acceptable packages one change away, else two (``keep`` filters)."""
    scenario = judge.scenario
    base_utility, _ = judge.accepts(judge.options([package]))
    actor_ids = [a.id for a in scenario.actors]
    for size in (1, 2):
        candidates = _neighbours(scenario, package, size)
        if not candidates:
            continue
        options = judge.options(candidates)
        good = judge.acceptable(options)
        if keep is not None:
            good &= keep(options)
        if not good.any():
            continue
        rows = np.flatnonzero(good)
        utility, _ = judge.accepts(options[rows])
        delta = utility - base_utility
        worst = delta[judge.veto].min(axis=0) if len(judge.veto) else np.zeros(len(rows))
        order = sorted(range(len(rows)), key=lambda r: (-worst[r], tuple(options[rows[r]])))
        picked = []
        for r in order[:CLOSEST]:
            candidate = candidates[int(rows[r])]
            picked.append(
                Alternative(
                    candidate,
                    {i: (package[i], o) for i, o in candidate.items() if o != package[i]},
                    {a: round(float(d), 10) for a, d in zip(actor_ids, delta[:, r], strict=True)},
                )
            )
        return tuple(picked), size
    return (), None


def _route(scenario: Scenario, route_id: str | None) -> Route | None:
    bodies: list[Public | Legislature] = [*scenario.publics, *scenario.legislatures]
    for body in bodies:
        for route in body.routes:
            if route.id == route_id:
                return route
    return None


def _path(
    judge: _Judge, package: dict[str, str], votes: Sequence[Stage], in_zopa: bool
) -> list[dict[str, Any]]:
    """The votes in order up to the first failure, then what follows it."""
    steps: list[dict[str, Any]] = []
    if not in_zopa:
        return [{"step": "talks", "outcome": "not signed: a veto actor refuses it"}]
    steps.append({"step": "signed", "package": package})
    for stage in votes:
        steps.append(
            {
                "step": "vote",
                "body": stage.body,
                "route": stage.route,
                "verdict": "passes" if stage.passes else "fails",
                "why": stage.why,
            }
        )
        if stage.passes:
            continue
        if stage.on_fail == "end":
            steps.append({"step": "end", "outcome": "no settlement"})
            return steps
        failed = _route(judge.scenario, stage.route)
        body = next(b for b in judge.bodies if b.id == stage.body)
        # the rejecting body's objections become a constraint on the new text
        allowed = _objections(body, stage)
        found, _ = _closest(judge, package, keep=allowed)
        renegotiated = _renegotiated(judge, found, failed)
        if renegotiated is None:
            steps.append(
                {
                    "step": "renegotiate",
                    "rounds": stage.rounds,
                    "outcome": "no text within two changes passes: no settlement",
                }
            )
            return steps
        text, new_votes = renegotiated
        steps.append(
            {
                "step": "renegotiate",
                "rounds": stage.rounds,
                "package": text.package,
                "changes": {i: {"from": a, "to": b} for i, (a, b) in text.changes.items()},
            }
        )
        for again in new_votes:
            steps.append(
                {
                    "step": "vote",
                    "body": again.body,
                    "route": again.route,
                    "verdict": "passes",
                    "why": again.why,
                }
            )
        steps.append({"step": "ratified", "outcome": "the renegotiated text is ratified"})
        return steps
    steps.append({"step": "ratified", "outcome": "ratified"})
    return steps


def _objections(body: Any, stage: Stage) -> Any:
    """Packages the rejecting body would pass under the failed vote's threshold."""
    limit, strict = stage.threshold, stage.strict

    def allowed(options: NDArray[np.intp]) -> NDArray[np.bool_]:
        share = body.reject[body.cells(options)]
        out: NDArray[np.bool_] = share < limit if strict else share <= limit + 1e-12
        return out

    return allowed


def _renegotiated(
    judge: _Judge, found: Sequence[Alternative], failed: Route | None
) -> tuple[Alternative, tuple[Stage, ...]] | None:
    for text in found:
        votes = stages(judge.scenario, text.package, after=failed)
        if all(v.passes for v in votes):
            return text, votes
    return None


def _draws(
    scenario: Scenario,
    package: Mapping[str, str],
    draws: int,
    seed: int,
    at: dt.date | None,
    problem: Problem | None = None,
) -> dict[str, Any]:
    """P(accepted and ratified) over draws, with the sweep's draw machinery."""
    from offramp.uncertainty.model import draw, uniforms
    from offramp.uncertainty.sweep import wilson

    problem = problem if problem is not None else compile_problem(scenario)
    veto = problem.veto_index
    judge = _Judge(scenario)
    options = judge.options([package])[0]
    bodies = judge.bodies
    accepted_n = ratified_n = both_n = 0
    step = 4096
    for b0 in range(0, draws, step):
        b1 = min(draws, b0 + step)
        drawn = draw(problem, uniforms(seed, b0, b1, max(1, problem.streams)), at).problem
        tables = drawn.tables_for(veto)
        total = sum(t[:, :, options[i]] for i, t in enumerate(tables))
        utility = np.round(np.asarray(total), 10)  # (n, V)
        batna = drawn.batna[:, veto]
        cross = np.zeros_like(utility, dtype=bool)
        for i, k in enumerate(options):
            cross |= np.broadcast_to(drawn.never[i][:, veto, k], cross.shape)
        accepted = ((utility > batna) & ~cross).all(axis=1)
        ratified = np.ones(b1 - b0, dtype=bool)
        for p, body in enumerate(bodies):
            cell = body.cells(options[None])
            if body.kind == "public":
                share = drawn.reject[:, p, max(int(body.rule[cell[0]]), 0)]
                ratified &= body.passes(cell, share, drawn.threshold[:, p])
            else:
                ratified &= ~body.rejects(options[None])[0]
        accepted_n += int(accepted.sum())
        ratified_n += int(ratified.sum())
        both_n += int((accepted & ratified).sum())
    low, high = wilson(both_n, draws)
    return {
        "n": draws,
        "seed": seed,
        "at": None if at is None else at.isoformat(),
        "p_accepted": accepted_n / draws,
        "p_ratified": ratified_n / draws,
        "p_accepted_and_ratified": both_n / draws,
        "interval": [low, high],
    }


def evaluate(
    scenario: Scenario,
    package: Mapping[str, str] | None = None,
    *,
    named: str | None = None,
    draws: int = 0,
    seed: int = 0,
    at: dt.date | None = None,
    problem: Problem | None = None,
) -> Evaluation:
    """Evaluate one package: acceptance, red lines, votes, durability, blockers, closest changes.

    Parameters
    ----------
    scenario : Scenario
    package : mapping of issue id to option id, optional
        One option on every issue (with ``named``: overrides of its options).
    named : str, optional
        Id of an entry of the scenario's ``packages``.
    draws : int, default 0
        With draws > 0, also P(accepted and ratified) over that many draws.
    seed : int, default 0
    at : date, optional
        With draws: only events up to this date happen.
    problem : Problem, optional
        The scenario already compiled (:func:`offramp.problem.compile_problem`), to reuse.

    Returns
    -------
    Evaluation

    Raises
    ------
    PackageError
        For an incomplete or unknown package.

    Examples
    --------
    >>> from pathlib import Path
    >>> from offramp.scenario import load_scenario
    >>> s = load_scenario(Path(__file__).parents[2] / "scenarios" / "ukraine-2024-09.yaml")
    >>> e = evaluate(s, named="vance_plan")
    >>> e.in_zopa, e.ratified, e.actors[1].red_lines  # Moscow's line on a freeze: a coin toss
    (False, False, ({'issue': 'territory', 'option': 'freeze', 'p': 0.5, 'holds': False},))
    """
    full, label = resolve_package(scenario, package, named)
    judge = _Judge(scenario)
    options = judge.options([full])
    utility, ok = judge.accepts(options)
    p_never = never_probability(scenario)
    actors = []
    for a, actor in enumerate(scenario.actors):
        lines = []
        for i, issue in enumerate(scenario.issues):
            k = int(options[0, i])
            if p_never[a, i, k] > 0:  # listed on a red line, whether or not it holds
                lines.append(
                    {
                        "issue": issue.id,
                        "option": full[issue.id],
                        "p": float(p_never[a, i, k]),
                        "holds": bool(judge.masks[i][a, k]),
                    }
                )
        u = float(utility[a, 0])
        batna = None if actor.batna is None else float(actor.batna)
        actors.append(
            ActorView(
                actor.id,
                actor.label,
                actor.veto,
                u,
                batna,
                None if batna is None else round(u - batna, 10),
                bool(ok[a, 0]),
                tuple(lines),
            )
        )
    votes = stages(scenario, full)
    in_zopa = all(v.accepts for v in actors if v.veto)
    ratified = all(v.passes for v in votes)
    blockers: list[dict[str, Any]] = []
    for view in actors:
        holding = [r for r in view.red_lines if r["holds"]]
        if holding:
            crossed_words = ", ".join(f"{r['issue']}={r['option']}" for r in holding)
            blockers.append(
                {
                    "who": view.id,
                    "kind": "actor",
                    "label": view.label,
                    "veto": view.veto,
                    "reason": f"crosses its red line: {crossed_words}",
                }
            )
        elif view.veto and not view.accepts:
            blockers.append(
                {
                    "who": view.id,
                    "kind": "actor",
                    "label": view.label,
                    "veto": True,
                    "reason": f"utility {view.utility:.2f} is not above its batna {view.batna:.2f}",
                }
            )
    for vote in votes:
        if not vote.passes:
            blockers.append(
                {
                    "who": vote.body,
                    "kind": vote.kind,
                    "label": vote.label,
                    "veto": True,
                    "route": vote.route,
                    "reason": vote.why,
                }
            )
    closest: tuple[Alternative, ...] = ()
    size: int | None = 0
    if not (in_zopa and ratified):
        closest, size = _closest(judge, full)
    durability = None
    if scenario.dynamics is not None:
        from offramp.durability import durability as durability_of

        compiled = problem if problem is not None else compile_problem(scenario)
        d = durability_of(compiled, full).to_dict()
        durability = {k: d[k] for k in ("self_enforcing", "first_breach", "p_holds")}
    return Evaluation(
        scenario=scenario.id,
        scenario_hash=content_hash(scenario),
        package=full,
        named=named,
        actors=tuple(actors),
        votes=votes,
        in_zopa=in_zopa,
        ratified=ratified,
        durability=durability,
        blockers=tuple(blockers),
        closest=closest,
        closest_size=size,
        path=tuple(_path(judge, full, votes, in_zopa)),
        draws=None if draws <= 0 else _draws(scenario, full, draws, seed, at, problem),
        label=label,
    )
