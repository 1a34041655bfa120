"""Benchmark: offramp's negotiation engine against NegMAS's SAO mechanism, Boulware vs Boulware.

Both tools run the same negotiations: ``--domains`` random two-party domains
(``--issues`` issues of ``--options`` options, additive utilities with random
weights and option values, and each party's BATNA drawn so that some domains
have a zone of possible agreement and some do not), ``--steps`` rounds, a
time-dependent Boulware strategy on both sides. offramp runs them all in one
vectorized call of :func:`offramp.negotiate.simulate` (a batch axis over
domains); NegMAS runs one ``SAOMechanism`` per domain with
``BoulwareTBNegotiator`` agents, in its own virtual environment
(``benchmarks/.env-negmas``; NegMAS is AGPL and never an offramp dependency).

Reported: negotiations per second for each (construction of the domains'
utilities included on both sides), agreement rates, the share of domains
with a non-empty ZOPA, and how often the two tools agree on whether a domain
ends in agreement. Goal of issue 6: the same agreement rate and at least 10x
the negotiations per second.

Usage::

    python3 -m venv benchmarks/.env-negmas && benchmarks/.env-negmas/bin/pip install negmas
    .venv/bin/python benchmarks/bench_negotiate.py [--domains 500] [--steps 50]
"""

from __future__ import annotations

import argparse
import json
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


def run_offramp(domains: list[dict[str, Any]], steps: int, strategy: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    u = utilities(domains)
    batna = np.array([[p["batna"] for p in d["parties"]] for d in domains])
    plan = [parse_strategy(strategy)] * u.shape[1]
    trace = simulate(u, batna, plan, steps)
    elapsed = time.perf_counter() - t0
    sizes = domains[0]["sizes"]
    agreements = [
        None if a < 0 else [int(x) for x in np.unravel_index(int(a), sizes)]
        for a in trace.agreement
    ]
    zopa = np.any(np.all(u > batna[:, :, None], axis=1), axis=1)
    return {"seconds": elapsed, "agreements": agreements, "zopa": zopa.tolist()}


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
    mine = run_offramp(domains, args.steps, args.strategy)
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
    ours_agreed = np.array([a is not None for a in mine["agreements"]])
    theirs_agreed = np.array([r["agreement"] is not None for r in theirs["results"]])
    same_outcome = np.mean(
        [a == r["agreement"] for a, r in zip(mine["agreements"], theirs["results"], strict=True)]
    )
    summary = {
        "domains": args.domains,
        "issues": args.issues,
        "options": args.options,
        "parties": args.parties,
        "steps": args.steps,
        "strategy": args.strategy,
        "seed": args.seed,
        "zopa_share": float(np.mean(mine["zopa"])),
        "offramp": {
            "seconds": mine["seconds"],
            "negotiations_per_second": args.domains / mine["seconds"],
            "agreement_rate": float(ours_agreed.mean()),
        },
        "negmas": {
            "version": theirs["negmas_version"],
            "seconds": theirs["seconds"],
            "negotiations_per_second": args.domains / theirs["seconds"],
            "agreement_rate": float(theirs_agreed.mean()),
        },
        "speedup": theirs["seconds"] / mine["seconds"],
        "same_agreement_or_not": float(np.mean(ours_agreed == theirs_agreed)),
        "same_outcome": float(same_outcome),
        "machine": {"python": platform.python_version(), "cpu": platform.processor()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
