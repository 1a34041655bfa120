"""Benchmark: offramp's negotiation engine against NegMAS's SAO mechanism, Boulware vs Boulware.

Both tools run the same negotiations: ``--domains`` random two-party domains
(``--issues`` issues of ``--options`` options, additive utilities with random
weights and option values, and each party's BATNA drawn so that some domains
have a zone of possible agreement and some do not), ``--steps`` rounds, a
time-dependent Boulware strategy on both sides. NegMAS runs one
``SAOMechanism(n_steps=steps)`` per domain with two ``BoulwareTBNegotiator``
agents, in its own virtual environment (``benchmarks/.env-negmas``; NegMAS is
AGPL and never an offramp dependency). offramp runs them all in one
vectorized call of :func:`offramp.negotiate.simulate` (a batch axis over
domains), twice:

``matching``
    ``boulware:offer=closest_above,accept=now,clock=open,floor=worst,slack=0.0001``,
    the options that give offramp's time-dependent strategy NegMAS's offer
    rule, acceptance rule, clock, floor and tolerance (see
    :mod:`offramp.negotiate`);
``default``
    offramp's own ``boulware`` (counter-offers best for the other side,
    acceptance against the next turn's target, a curve that reaches the batna).

Reported: negotiations per second for each (construction of the domains'
utilities included on both sides; offramp's time is the median of ``--repeat``
runs, NegMAS's one run of a few seconds), agreement rates, the share of domains
with a non-empty ZOPA, and, for each offramp setting against NegMAS, the
share of domains where they agree on agreement-or-not, on the exact outcome,
on outcome and round, and on the whole sequence of offers. Goal of issue 6:
the same agreement rate and at least 10x the negotiations per second.

``--huge`` runs the other benchmark, of issue 18 (no NegMAS needed): a
negotiation on ``bench_huge.py``'s 15 issues x 6 options space
(470,184,984,576 packages, 3 veto actors with batnas 0.3, one public whose
rules mention two issues) with every strategy, each in a fresh process (time
of ``negotiate``, peak resident memory), and the frontier engine
(``method="merge"``) side by side with the enumerating one on the same
domain family at sizes both can run (6^5 to 6^7 packages): the time of each
(median of ``--repeat`` in-process runs after a warm-up), their ratio, and
whether the two results are identical.

Usage::

    python3 -m venv benchmarks/.env-negmas && benchmarks/.env-negmas/bin/pip install negmas
    .venv/bin/python benchmarks/bench_negotiate.py [--domains 500] [--steps 50]
    .venv/bin/python benchmarks/bench_negotiate.py --huge [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from offramp.negotiate import parse_strategy, simulate

HERE = Path(__file__).resolve().parent
NEGMAS_PYTHON = HERE / ".env-negmas" / "bin" / "python"
HUGE_RESULTS = HERE / "results" / "bench_negotiate_huge.json"
HUGE_STRATEGIES = ("boulware", "linear", "conceder", "tit_for_tat", "best_acceptable")


def make_domains(
    n: int, issues: int, options: int, parties: int, seed: int
) -> list[dict[str, Any]]:
    """Random additive domains; BATNAs drawn around the parties' middle utilities."""
    rng = np.random.default_rng(seed)
    domains = []
    for _ in range(n):
        party_list = []
        for _ in range(parties):
            weights = rng.dirichlet(np.ones(issues))
            values = np.round(rng.random((issues, options)), 3)
            values[:, rng.integers(options, size=1)] = 1.0  # some option is ideal
            party_list.append(
                {
                    "weights": np.round(weights, 4).tolist(),
                    "values": values.tolist(),
                    "batna": float(np.round(rng.uniform(0.5, 0.9), 3)),
                }
            )
        domains.append({"sizes": [options] * issues, "parties": party_list})
    return domains


def utilities(domains: list[dict[str, Any]]) -> np.ndarray:
    """Utility of every outcome for every party, shape (D, k, n), first issue most significant."""
    out = []
    for d in domains:
        rows = []
        for p in d["parties"]:
            w = np.array(p["weights"])
            v = np.array(p["values"])
            total = np.zeros(1)
            for i in range(len(d["sizes"])):
                total = (total[:, None] + w[i] * v[i][None, :]).reshape(-1)
            rows.append(total)
        out.append(rows)
    return np.round(np.array(out), 10)


MATCHING = "offer=closest_above,accept=now,clock=open,floor=worst,slack=0.0001"
"""The strategy options that give offramp NegMAS's time-based negotiator's rules."""


def run_offramp(
    domains: list[dict[str, Any]], steps: int, strategy: str, repeat: int
) -> dict[str, Any]:
    """One vectorized call over every domain, timed with the utilities' construction.

    The call is repeated ``repeat`` times and the median time is reported (one call
    takes a fraction of a second, so a single timing on a shared machine is noisy).
    """
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        u = utilities(domains)
        batna = np.array([[p["batna"] for p in d["parties"]] for d in domains])
        plan = [parse_strategy(strategy)] * u.shape[1]
        trace = simulate(u, batna, plan, steps)
        times.append(time.perf_counter() - t0)
    elapsed = float(np.median(times))
    sizes = domains[0]["sizes"]

    def indices(package: int) -> list[int]:
        return [int(x) for x in np.unravel_index(int(package), sizes)]

    agreements = [None if a < 0 else indices(a) for a in trace.agreement]
    offers = [
        [indices(p) for p, a in zip(trace.package[d], trace.action[d], strict=True) if a == 1]
        for d in range(len(domains))
    ]
    zopa = np.any(np.all(u > batna[:, :, None], axis=1), axis=1)
    return {
        "strategy": strategy,
        "seconds": elapsed,
        "repeat": repeat,
        "agreements": agreements,
        "rounds": [
            None if a < 0 else int(r) for a, r in zip(trace.agreement, trace.round, strict=True)
        ],
        "offers": offers,
        "zopa": zopa.tolist(),
    }


def compare(mine: dict[str, Any], theirs: list[dict[str, Any]], n: int) -> dict[str, Any]:
    """Speed and per-domain agreement between an offramp run and NegMAS's."""
    ours_agreed = np.array([a is not None for a in mine["agreements"]])
    theirs_agreed = np.array([r["agreement"] is not None for r in theirs])
    pairs = list(zip(mine["agreements"], mine["rounds"], mine["offers"], theirs, strict=True))
    return {
        "strategy": mine["strategy"],
        "seconds": mine["seconds"],
        "timing": f"median of {mine['repeat']} runs",
        "negotiations_per_second": n / mine["seconds"],
        "agreement_rate": float(ours_agreed.mean()),
        "vs_negmas": {
            "same_agreement_or_not": float(np.mean(ours_agreed == theirs_agreed)),
            "same_outcome": float(np.mean([a == r["agreement"] for a, _, _, r in pairs])),
            "same_outcome_and_round": float(
                np.mean([a == r["agreement"] and s == r["step"] for a, s, _, r in pairs])
            ),
            "same_offers": float(np.mean([o == r["offers"] for _, _, o, r in pairs])),
        },
    }


def _huge_problem(n_issues: int, parties: int = 3) -> Any:
    """``bench_huge.py``'s scenario (batnas 0.3, one public), ``n_issues`` issues of 6 options."""
    sys.path.insert(0, str(HERE))
    from bench_huge import huge_scenario
    from bench_space import Domain

    from offramp.problem import compile_problem
    from offramp.scenario import load_scenario_data

    data = huge_scenario(Domain(n_issues, 6, parties))
    return compile_problem(load_scenario_data(data, file=f"huge-{n_issues}x6.json"))


def _huge_task(strategy: str) -> dict[str, Any]:
    """One negotiation on the 15x6 space in this (fresh) process: time, memory, outcome."""
    from offramp.negotiate import negotiate

    problem = _huge_problem(15)
    ids = [problem.actor_ids[a] for a in problem.veto_index]
    t0 = time.perf_counter()
    result = negotiate(problem, strategies=dict.fromkeys(ids, strategy))
    seconds = time.perf_counter() - t0
    return {
        "strategy": strategy,
        "packages": problem.space.size,
        "seconds": seconds,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "method": result.method,
        "agreement": result.agreement,
        "round": result.round,
        "moves": len(result.history),
        "pareto_optimal": result.pareto_optimal,
        "nash_distance": result.nash_distance,
    }


def _side_by_side(n_issues: int, strategy: str, repeat: int) -> dict[str, Any]:
    """Both engines on one space: median times, ratio, identical results."""
    from offramp.negotiate import negotiate

    problem = _huge_problem(n_issues)
    ids = [problem.actor_ids[a] for a in problem.veto_index]
    plan = dict.fromkeys(ids, strategy)
    out: dict[str, Any] = {"packages": problem.space.size, "strategy": strategy}
    answers = {}
    for method in ("enumeration", "merge"):
        answers[method] = negotiate(problem, strategies=plan, method=method).to_dict()  # warm-up
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            negotiate(problem, strategies=plan, method=method)
            times.append(time.perf_counter() - t0)
        out[f"{method}_seconds"] = statistics.median(times)
        answers[method].pop("method")
    out["ratio_enumeration_over_merge"] = out["enumeration_seconds"] / out["merge_seconds"]
    out["same_result"] = answers["enumeration"] == answers["merge"]
    out["agreement"] = answers["merge"]["agreement"] is not None
    out["moves"] = len(answers["merge"]["history"])
    return out


def huge(repeat: int, out: Path) -> dict[str, Any]:
    """The issue-18 benchmark: the 15x6 negotiation per strategy, and the side-by-side table."""
    tasks = []
    for strategy in HUGE_STRATEGIES:
        run = subprocess.run(
            [sys.executable, __file__, "--huge-task", strategy],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        tasks.append(json.loads(run.stdout))
        print(json.dumps(tasks[-1]), file=sys.stderr)
    table = []
    for n_issues in (5, 6, 7):
        for strategy in ("boulware", "tit_for_tat", "best_acceptable"):
            table.append(_side_by_side(n_issues, strategy, repeat))
            print(json.dumps(table[-1]), file=sys.stderr)
    summary = {
        "huge": tasks,
        "side_by_side": table,
        "repeat": repeat,
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_1min": os.getloadavg()[0],
        },
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--domains", type=int, default=500)
    parser.add_argument("--issues", type=int, default=3)
    parser.add_argument("--options", type=int, default=5)
    parser.add_argument("--parties", type=int, default=2)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument(
        "--strategy", default="boulware", choices=["boulware", "linear", "conceder"]
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5, help="offramp runs to take the median of")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--huge", action="store_true", help="the issue-18 benchmark instead")
    parser.add_argument("--huge-task", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.huge_task:
        print(json.dumps(_huge_task(args.huge_task)))
        return 0
    if args.huge:
        print(json.dumps(huge(args.repeat, args.out or HUGE_RESULTS), indent=2))
        return 0
    args.out = args.out or HERE / "results" / "bench_negotiate.json"
    if not NEGMAS_PYTHON.exists():
        print(
            "NegMAS environment missing: python3 -m venv benchmarks/.env-negmas && "
            "benchmarks/.env-negmas/bin/pip install negmas",
            file=sys.stderr,
        )
        return 1
    domains = make_domains(args.domains, args.issues, args.options, args.parties, args.seed)
    matching = run_offramp(domains, args.steps, f"{args.strategy}:{MATCHING}", args.repeat)
    default = run_offramp(domains, args.steps, args.strategy, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "domains.json"
        out = Path(tmp) / "negmas.json"
        spec.write_text(
            json.dumps({"n_steps": args.steps, "strategy": args.strategy, "domains": domains})
        )
        subprocess.run(
            [str(NEGMAS_PYTHON), str(HERE / "_negmas_negotiate_side.py"), str(spec), str(out)],
            check=True,
        )
        theirs = json.loads(out.read_text())
    results = theirs["results"]
    summary = {
        "domains": args.domains,
        "issues": args.issues,
        "options": args.options,
        "parties": args.parties,
        "steps": args.steps,
        "strategy": args.strategy,
        "seed": args.seed,
        "zopa_share": float(np.mean(matching["zopa"])),
        "negmas": {
            "version": theirs["negmas_version"],
            "negotiator": f"{args.strategy.capitalize()}TBNegotiator",
            "seconds": theirs["seconds"],
            "timing": "one run",
            "negotiations_per_second": args.domains / theirs["seconds"],
            "agreement_rate": float(np.mean([r["agreement"] is not None for r in results])),
        },
        "offramp_matching": compare(matching, results, args.domains),
        "offramp_default": compare(default, results, args.domains),
        "speedup_matching": theirs["seconds"] / matching["seconds"],
        "speedup_default": theirs["seconds"] / default["seconds"],
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_1min": os.getloadavg()[0],
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
