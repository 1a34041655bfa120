"""What red lines cost (issue 15): the same analyses with and without them, side by side.

1. The 15 issues x 6 options space of ``bench_huge.py`` (4.7 x 10^11 packages,
   2 veto parties, one public): ``merge_frontier`` plus the four solutions,
   and ``count_packages``, without red lines and with one red line per veto
   party on each of three issues (two options ruled out on each; p = 1).
2. The Ukraine scenario's sweep (settlement kernel only, no forecasts) as
   shipped (three red lines, drawn per draw) and with its red lines removed.

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

    from offramp.scenario import load_scenario_data
    from offramp.settle.count import count_packages
    from offramp.settle.merge import merge_frontier
    from offramp.settle.solutions import solve

    base = huge_scenario(HUGE[0])
    out: dict[str, Any] = {}
    for name, data in (("without", base), ("with", with_red_lines(base))):
        scenario = load_scenario_data(data)
        veto = [a for a, actor in enumerate(scenario.actors) if actor.veto]
        batna = np.array([scenario.actors[a].batna or 0.0 for a in veto])

        def frontier(scenario: Any = scenario, veto: Any = veto, batna: Any = batna) -> Any:
            front = merge_frontier(scenario)
            return front, solve(front.utility[veto].T, batna, np.arange(len(front.options)))

        front, _ = frontier()
        counts = count_packages(scenario)
        out[name] = {
            "frontier_seconds": _median(frontier, repeats),
            "counts_seconds": _median(lambda scenario=scenario: count_packages(scenario), repeats),
            "frontier": len(front.options),
            "zopa": [counts.zopa.lower, counts.zopa.upper],
        }
    for key in ("frontier_seconds", "counts_seconds"):
        out[key.replace("_seconds", "_ratio")] = out["with"][key] / out["without"][key]
    return out


def sweep(draws: int, repeats: int) -> dict[str, Any]:
    from offramp.scenario import load_scenario
    from offramp.uncertainty.model import compile_model
    from offramp.uncertainty.sweep import sweep as run_sweep

    shipped = load_scenario(ROOT / "scenarios" / "ukraine-2024-09.yaml")
    plain = shipped.model_copy(deep=True)
    for actor in plain.actors:
        for stance in actor.stances:
            object.__setattr__(stance, "never", [])
            object.__setattr__(stance, "never_p", None)
    out: dict[str, Any] = {"draws": draws}
    for name, scenario in (("without", plain), ("with", shipped)):
        model = compile_model(scenario)
        summary, _ = run_sweep(model, draws=draws, seed=0)
        out[name] = {
            "seconds": _median(lambda model=model: run_sweep(model, draws=draws, seed=0), repeats),
            "p_agreement": summary.p_agreement,
            "p_zopa": summary.p_zopa,
        }
    out["ratio"] = out["with"]["seconds"] / out["without"]["seconds"]
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
