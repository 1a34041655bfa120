"""What red lines and ratification routes cost (issue 15): the same analyses with and without.

1. The 15 issues x 6 options space of ``bench_huge.py`` (4.7 x 10^11 packages,
   2 veto parties, one public): ``merge_frontier`` plus the four solutions,
   and ``count_packages``, without red lines or routes; with one red line per
   veto party on each of three issues (two options ruled out on each; p =
   1); and with those red lines and routes (the public votes on packages
   with ``i2`` at ``o0``-``o2`` by a referendum with its own threshold and a
   turnout quorum, on the rest by its defaults; a legislature of two blocs
   needing two thirds votes on packages with ``i3`` at ``o5``).
2. The Ukraine scenario's sweep (settlement kernel only, no forecasts) as
   shipped (red lines drawn per draw, the public's referendum route, the
   Rada's three routes), with its red lines only (routes and the Rada
   removed), and with neither.

Each configuration is timed in-process, warmed up, as the median of
``--repeats`` runs; the goal is a ratio (with / without) under 1.5.

Run from the repository root::

    .venv/bin/python benchmarks/bench_red_lines.py [--draws 20000] [--repeats 3]

Results go to ``benchmarks/results/bench_red_lines.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_huge import HUGE, huge_scenario  # noqa: E402

RESULTS = HERE / "results" / "bench_red_lines.json"
ROOT = HERE.parent


def with_red_lines(data: dict[str, Any]) -> dict[str, Any]:
    """The huge domain with red lines: each veto party rules out two options of three issues."""
    out = json.loads(json.dumps(data))
    for v, actor in enumerate(a for a in out["actors"] if a.get("veto")):
        for stance in actor["stances"][3 * v : 3 * v + 3]:
            options = [f"o{k}" for k in range(6)]
            position = stance.get("position")
            ruled = [o for o in options if o != position][:2]
            stance["never"] = ruled
    return out


def with_routes(data: dict[str, Any]) -> dict[str, Any]:
    """The red-lined huge domain with a routed public and a routed legislature."""
    out = with_red_lines(data)
    out["publics"][0]["routes"] = [
        {
            "id": "referendum",
            "label": "Referendum",
            "when": {"i2": ["o0", "o1", "o2"]},
            "threshold": 0.55,
            "turnout": 0.6,
            "quorum": 0.5,
            "order": 1,
            "assumed": "benchmark",
        },
        {"id": "vote", "label": "Vote", "when": {}, "assumed": "benchmark"},
    ]
    out["legislatures"] = [
        {
            "id": "parliament",
            "label": "Parliament",
            "of": "p0",
            "needs": "majority",
            "assumed": "benchmark",
            "blocs": [
                {
                    "id": "government",
                    "label": "Government",
                    "seats": 60,
                    "rules": [{"when": {}, "reject": 0.1}, {"when": {"i3": ["o5"]}, "reject": 0.3}],
                },
                {
                    "id": "opposition",
                    "label": "Opposition",
                    "seats": 40,
                    "rules": [{"when": {}, "reject": 0.6}],
                },
            ],
            "routes": [
                {
                    "id": "amendment",
                    "label": "Amendment",
                    "when": {"i3": ["o5"]},
                    "needs": "two_thirds",
                    "assumed": "benchmark",
                }
            ],
        }
    ]
    return out


def _median(run: Callable[[], Any], repeats: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def huge(repeats: int) -> dict[str, Any]:
    import numpy as np

    from offramp.problem import compile_problem
    from offramp.scenario import load_scenario_data
    from offramp.settle.count import count_packages
    from offramp.settle.merge import merge_frontier
    from offramp.settle.solutions import solve

    base = huge_scenario(HUGE[0])
    out: dict[str, Any] = {}
    configs = (
        ("without", base),
        ("red_lines", with_red_lines(base)),
        ("with", with_routes(base)),
    )
    for name, data in configs:
        problem = compile_problem(load_scenario_data(data))
        veto = problem.veto_index
        batna = problem.batna[0, veto]

        def frontier(problem: Any = problem, veto: Any = veto, batna: Any = batna) -> Any:
            front = merge_frontier(problem)
            return front, solve(front.utility[veto].T, batna, np.arange(len(front.options)))

        front, _ = frontier()
        counts = count_packages(problem)
        out[name] = {
            "frontier_seconds": _median(frontier, repeats),
            "counts_seconds": _median(lambda problem=problem: count_packages(problem), repeats),
            "frontier": len(front.options),
            "zopa": [counts.zopa.lower, counts.zopa.upper],
            "ratified": [counts.ratified.lower, counts.ratified.upper],
        }
    for key in ("frontier_seconds", "counts_seconds"):
        out[key.replace("_seconds", "_ratio")] = out["with"][key] / out["without"][key]
    return out


def _stripped(data: dict[str, Any], red_lines: bool) -> dict[str, Any]:
    """The scenario without routes and legislatures, and without red lines unless asked."""
    out = json.loads(json.dumps(data))
    out["legislatures"] = []
    for public in out.get("publics", []):
        public["routes"] = []
    if not red_lines:
        for actor in out["actors"]:
            for stance in actor["stances"]:
                stance["never"] = []
                stance["never_p"] = None
                stance.pop("red_line", None)
    return out


def sweep(draws: int, repeats: int) -> dict[str, Any]:
    from offramp.problem import compile_problem
    from offramp.scenario import load_scenario, load_scenario_data
    from offramp.uncertainty.sweep import sweep as run_sweep

    shipped = load_scenario(ROOT / "scenarios" / "ukraine-2024-09.yaml")
    data = shipped.model_dump(mode="json")
    out: dict[str, Any] = {"draws": draws}
    configs = (
        ("without", load_scenario_data(_stripped(data, red_lines=False))),
        ("red_lines", load_scenario_data(_stripped(data, red_lines=True))),
        ("with", shipped),
    )
    for name, scenario in configs:
        problem = compile_problem(scenario)
        summary, _ = run_sweep(problem, draws=draws, seed=0)
        out[name] = {
            "seconds": _median(
                lambda problem=problem: run_sweep(problem, draws=draws, seed=0), repeats
            ),
            "p_agreement": summary.p_agreement,
            "p_zopa": summary.p_zopa,
        }
    out["ratio"] = out["with"]["seconds"] / out["without"]["seconds"]
    out["red_lines_ratio"] = out["red_lines"]["seconds"] / out["without"]["seconds"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    result = {"huge": huge(args.repeats), "sweep": sweep(args.draws, args.repeats)}
    text = json.dumps(result, indent=2)
    print(text)
    if not args.no_write:
        RESULTS.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
