"""NegMAS side of ``bench_negotiate.py``: run inside NegMAS's own environment, never offramp's.

NegMAS is AGPL-licensed; offramp never imports it. This script only *calls*
NegMAS, in ``benchmarks/.env-negmas``, so the two tools run the same
negotiations side by side. It imports nothing but NegMAS, numpy and the
standard library.

Usage (``bench_negotiate.py`` does this for you)::

    benchmarks/.env-negmas/bin/python benchmarks/_negmas_negotiate_side.py DOMAINS.json OUT.json

``DOMAINS.json`` holds ``n_steps``, ``strategy`` and a list of domains, each
with the option count of every issue and, for every party, its per-issue
weights, option values and reserved value (its BATNA). For each domain the
script builds one ``LinearAdditiveUtilityFunction`` per party, an
``SAOMechanism`` with ``n_steps`` rounds and one ``BoulwareTBNegotiator`` (or
``LinearTBNegotiator`` / ``ConcederTBNegotiator``) per party, runs it, and
records whether it ended in agreement, on which outcome and in which step, and
the offers made. Building and running every mechanism (construction included,
as a user would run it) is timed; reading the results afterwards is not.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from negmas.outcomes import make_issue, make_os
from negmas.preferences import LinearAdditiveUtilityFunction
from negmas.sao import SAOMechanism
from negmas.sao.negotiators import (
    BoulwareTBNegotiator,
    ConcederTBNegotiator,
    LinearTBNegotiator,
)

NEGOTIATORS = {
    "boulware": BoulwareTBNegotiator,
    "linear": LinearTBNegotiator,
    "conceder": ConcederTBNegotiator,
}


def run_domain(domain: dict[str, Any], n_steps: int, strategy: str) -> dict[str, Any]:
    """Build and run one negotiation; return its outcome, offers and the time it took.

    Only building and running the mechanism is timed; reading the agreement and
    the offer history afterwards is not.
    """
    t0 = time.perf_counter()
    issues = [
        make_issue(values=[f"o{k}" for k in range(size)], name=f"i{i}")
        for i, size in enumerate(domain["sizes"])
    ]
    outcome_space = make_os(issues)
    mechanism = SAOMechanism(outcome_space=outcome_space, n_steps=n_steps)
    for p, party in enumerate(domain["parties"]):
        values = {
            f"i{i}": {f"o{k}": float(v) for k, v in enumerate(table)}
            for i, table in enumerate(party["values"])
        }
        weights = {f"i{i}": float(w) for i, w in enumerate(party["weights"])}
        ufun = LinearAdditiveUtilityFunction(
            values=values,
            weights=weights,
            outcome_space=outcome_space,
            reserved_value=float(party["batna"]),
        )
        mechanism.add(NEGOTIATORS[strategy](name=f"p{p}"), preferences=ufun)
    state = mechanism.run()
    elapsed = time.perf_counter() - t0
    agreement = state.agreement

    def indices(outcome: Any) -> list[int]:
        return [int(str(v)[1:]) for v in outcome]

    return {
        "agreement": None if agreement is None else indices(agreement),
        # the step in which the agreement was reached (the state's counter has moved on)
        "step": None if agreement is None else int(state.step) - 1,
        "offers": [indices(o) for _, _, o in mechanism.extended_trace if o is not None],
        "seconds": elapsed,
    }


def main(argv: list[str] | None = None) -> int:
    """Run every domain and write the results and the elapsed time."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("domains", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    spec = json.loads(args.domains.read_text())
    results = [run_domain(d, spec["n_steps"], spec["strategy"]) for d in spec["domains"]]
    elapsed = sum(r.pop("seconds") for r in results)
    args.out.write_text(
        json.dumps(
            {
                "negmas_version": version("negmas"),
                "python": sys.version.split()[0],
                "seconds": elapsed,
                "results": results,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
