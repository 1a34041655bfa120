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

Usage::

    python3 -m venv benchmarks/.env-negmas && benchmarks/.env-negmas/bin/pip install negmas
    .venv/bin/python benchmarks/bench_negotiate.py [--domains 500] [--steps 50]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
    parser.add_argument("--out", type=Path, default=HERE / "results" / "bench_negotiate.json")
    args = parser.parse_args(argv)
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
