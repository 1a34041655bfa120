"""NegMAS side of ``bench_space.py``: run inside NegMAS's own environment, never offramp's.

NegMAS is AGPL-licensed. offramp never imports it and never ships its code; this
script only *calls* NegMAS, in a separate virtual environment
(``benchmarks/.env-negmas``) that ``bench_space.py`` creates, so the two tools are
measured side by side on the same input. It imports nothing but NegMAS, numpy
and the standard library.

Usage (``bench_space.py`` does this for you)::

    benchmarks/.env-negmas/bin/python benchmarks/_negmas_side.py DOMAIN.json OUT.json \
        [--repeats N] [--budget SECONDS]

``DOMAIN.json`` is an offramp scenario as a plain dict (issues with options,
actors with per-issue salience and option values, a BATNA each). The script
builds one ``LinearAdditiveUtilityFunction`` per actor, with the normalized
saliences as weights and the option values as the per-issue table, and times
the path NegMAS's documentation recommends for a finite space:

* ``utilities``: every actor's utility of every outcome, ``ufun(outcome)`` over
  ``outcome_space.enumerate()`` (informational: ``pareto_frontier`` repeats it);
* ``pareto_frontier``: ``pareto_frontier(ufuns, issues=issues)``, the documented
  end-to-end path (enumerate + evaluate + extract, "faster than manually
  enumerating the outcomes and calling ``pareto_frontier_numpy``");
* ``nash_points``: ``nash_points(ufuns, frontier, ranges=...)``.

``total = pareto_frontier + nash_points`` is what is compared with offramp.

``nash_points`` measures each side's gain from ``max(reserved_value, min
utility)``: a reserved value below the utility function's minimum is silently
replaced by that minimum. offramp measures gains from the BATNA as given. So the
compared call passes ``ranges=[(batna, max utility)]``, which makes NegMAS use
the BATNA as the disagreement point too; the call without ``ranges`` (NegMAS's
default disagreement point) is recorded alongside as ``nash_default``.

The output JSON holds the timings (median of the repeats, and every repeat),
the frontier as option-index tuples with their utilities, and every tied Nash
point.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from negmas.outcomes import make_issue, make_os
from negmas.preferences import LinearAdditiveUtilityFunction
from negmas.preferences.ops import nash_points, pareto_frontier


def build(
    domain: dict[str, Any],
) -> tuple[list[Any], Any, list[LinearAdditiveUtilityFunction], list[float]]:
    """Build NegMAS issues, outcome space, one utility function per actor, and BATNAs."""
    issues = [
        make_issue(values=[o["id"] for o in issue["options"]], name=issue["id"])
        for issue in domain["issues"]
    ]
    outcome_space = make_os(issues)
    ufuns: list[LinearAdditiveUtilityFunction] = []
    batnas: list[float] = []
    for actor in domain["actors"]:
        stances = {s["issue"]: s for s in actor["stances"]}
        total = sum(float(s["salience"]) for s in stances.values())
        weights = {iid: float(s["salience"]) / total for iid, s in stances.items()}
        values = {iid: {k: float(v) for k, v in s["values"].items()} for iid, s in stances.items()}
        batna = float(actor["batna"])
        ufuns.append(
            LinearAdditiveUtilityFunction(
                values=values,
                weights=weights,
                outcome_space=outcome_space,
                reserved_value=batna,
                name=actor["id"],
            )
        )
        batnas.append(batna)
    return issues, outcome_space, ufuns, batnas


def run_once(domain: dict[str, Any]) -> dict[str, Any]:
    """Build everything afresh (no warm caches) and time the three steps once."""
    issues, outcome_space, ufuns, batnas = build(domain)

    t0 = time.perf_counter()
    outcomes = list(outcome_space.enumerate())
    utilities = np.array([[u(o) for u in ufuns] for o in outcomes], dtype=float)
    t_util = time.perf_counter() - t0
    del outcomes

    # Fresh ufuns, so pareto_frontier gets no cache warmed by the step above.
    issues, outcome_space, ufuns, batnas = build(domain)
    t0 = time.perf_counter()
    front_utils, front_idx = pareto_frontier(ufuns, issues=issues)
    t_front = time.perf_counter() - t0

    t0 = time.perf_counter()
    ranges = [(b, u.minmax(outcome_space)[1]) for b, u in zip(batnas, ufuns, strict=True)]
    nash = nash_points(ufuns, front_utils, ranges=ranges)
    t_nash = time.perf_counter() - t0

    nash_default = nash_points(ufuns, front_utils, outcome_space=outcome_space)
    return {
        "utilities": t_util,
        "pareto_frontier": t_front,
        "nash_points": t_nash,
        "n_outcomes": int(utilities.shape[0]),
        "front_utils": front_utils,
        "front_idx": front_idx,
        "nash": nash,
        "nash_default": nash_default,
        "ranges": ranges,
        "default_ranges": [u.minmax(outcome_space) for u in ufuns],
    }


def main(argv: list[str] | None = None) -> int:
    """Run the NegMAS side and write its JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("domain", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument(
        "--budget", type=float, default=0.0, help="stop repeating once this many seconds are spent"
    )
    args = parser.parse_args(argv)
    domain = json.loads(args.domain.read_text())
    option_ids = [[o["id"] for o in issue["options"]] for issue in domain["issues"]]
    index = [{oid: k for k, oid in enumerate(ids)} for ids in option_ids]

    runs: list[dict[str, Any]] = []
    spent = 0.0
    while len(runs) < max(1, args.repeats):
        run = run_once(domain)
        runs.append(run)
        spent += run["utilities"] + run["pareto_frontier"] + run["nash_points"]
        if args.budget and spent > args.budget:
            break
    last = runs[-1]
    outcomes = list(make_os(build(domain)[0]).enumerate())

    def to_index(outcome: tuple[str, ...]) -> list[int]:
        return [index[i][v] for i, v in enumerate(outcome)]

    def points(found: Any) -> list[dict[str, Any]]:
        return [
            {
                "package": to_index(outcomes[last["front_idx"][k]]),
                "utility": [float(x) for x in util],
            }
            for util, k in found
        ]

    frontier = sorted(
        (
            {"package": to_index(outcomes[k]), "utility": [float(x) for x in util]}
            for util, k in zip(last["front_utils"], last["front_idx"], strict=True)
        ),
        key=lambda p: p["package"],
    )
    timing_keys = ("utilities", "pareto_frontier", "nash_points")
    timings = {key: statistics.median(r[key] for r in runs) for key in timing_keys}
    timings["total"] = statistics.median(r["pareto_frontier"] + r["nash_points"] for r in runs)
    result = {
        "tool": "negmas",
        "version": version("negmas"),
        "python": sys.version.split()[0],
        "n_outcomes": last["n_outcomes"],
        "repeats": len(runs),
        "timings": timings,
        "runs": [{key: r[key] for key in timing_keys} for r in runs],
        "frontier": frontier,
        "nash": points(last["nash"]),
        "nash_ranges": last["ranges"],
        "nash_default": points(last["nash_default"]),
        "nash_default_ranges": [list(r) for r in last["default_ranges"]],
    }
    args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
