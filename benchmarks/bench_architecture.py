"""The one-compile architecture against the code before it: analyze, sweep and report.

Run by hand (never as a timed unit test)::

    .venv/bin/python benchmarks/bench_architecture.py [--repeats 5] [--draws 10000]

Checks out the commit before the change (:data:`BEFORE`, the last commit
that compiled a scenario once per engine) into a temporary git worktree
under /tmp, then times three whole commands on the shipped Ukraine scenario,
each as a fresh process with its own ``PYTHONPATH`` (``src`` of that
worktree, or of this tree), alternating before / after so that a drift of
the machine's speed hits both sides alike. Both sides read the Ukraine
scenario as it was at that commit (later versions of the file add sections
the old code cannot read):

* ``offramp analyze FILE`` (settlement space, every forecast model, durability);
* ``offramp sweep FILE --draws 10000`` (the Monte Carlo kernel);
* ``offramp report FILE`` (analysis, quick sweep, forecasts, negotiation, durability).

Reports, per command, the median wall time and CPU time (user + system of
the child process) of each side over ``--repeats`` runs after one warm-up
run each, and the ratios before / after of the pairs' medians (above 1:
the new code is faster). A whole command spends over a second importing
numpy, numba, pydantic, typer and DuckDB, so the same three computations
are also timed in-process (``engines``: each side's API called in a fresh
interpreter per side and round, after a warm-up call: load and compile
plus ``analyze``, a 10^4-draw sweep with the default forecast models, and
the report's ``report_for``), alternating sides round by round. Results go
to benchmarks/results/bench_architecture.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "bench_architecture.json"
SCENARIO = ROOT / "scenarios" / "ukraine-2024-09.yaml"
BEFORE = "f054995"
"""The commit before the one-compile change (every engine compiled the scenario itself)."""


def _worktree(commit: str) -> Path:
    """A detached git worktree of ``commit`` under /tmp (reused when it is already there)."""
    target = Path(tempfile.gettempdir()) / f"offramp-bench-{commit}"
    if not (target / "src" / "offramp").is_dir():
        if target.exists():
            shutil.rmtree(target)
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(target), commit],
            check=True,
            capture_output=True,
        )
    return target


def _commands(draws: int, out: Path, path: Path) -> dict[str, list[str]]:
    offramp = [sys.executable, "-m", "offramp"]
    scenario = str(path)
    store = str(out / "runs.duckdb")
    return {
        "analyze": [*offramp, "analyze", scenario, "--out", str(out)],
        "sweep": [
            *offramp,
            "sweep",
            scenario,
            "--draws",
            str(draws),
            "--seed",
            "1",
            "--store",
            store,
        ],
        "report": [*offramp, "report", scenario, "--out", str(out), "--store", store + ".none"],
    }


def _run(command: list[str], src: Path, out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command`` with ``src`` first on the path."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    env = dict(os.environ, PYTHONPATH=str(src))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=out)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({src}):\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


_ENGINES = r"""
import json, statistics, sys, time
from offramp.scenario import load_scenario
path, draws, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
try:  # after: one compile, every engine takes the Problem
    from offramp.assess import analyze
    from offramp.problem import compile_problem
    from offramp.report.write import report_for
    from offramp.uncertainty import sweep

    def prepared(s):
        return compile_problem(s)

    def swept(s):
        return sweep(compile_problem(s), draws=draws, seed=1, models=("compromise", "median"))
except ImportError:  # before: engines take the scenario
    from offramp.analysis import analyze
    from offramp.report.write import report_for
    from offramp.uncertainty import compile_model, sweep

    def prepared(s):
        return s

    def swept(s):
        return sweep(compile_model(s), draws=draws, seed=1, models=("compromise", "median"))

tasks = {
    "analyze": lambda: analyze(prepared(load_scenario(path))),
    "sweep": lambda: swept(load_scenario(path)),
    "report": lambda: report_for(prepared(load_scenario(path)), sweep_draws=1000),
}
out = {}
for name, task in tasks.items():
    task()  # warm-up: numba caches, lazy imports
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        task()
        times.append(time.perf_counter() - t0)
    out[name] = times
print(json.dumps(out))
"""


def _engines(src: Path, path: Path, draws: int, repeats: int) -> dict[str, list[float]]:
    """In-process seconds of each computation on one side (a fresh interpreter)."""
    env = dict(os.environ, PYTHONPATH=str(src))
    done = subprocess.run(
        [sys.executable, "-c", _ENGINES, str(path), str(draws), str(repeats)],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"in-process timing failed ({src}):\n{done.stderr[-2000:]}")
    result: dict[str, list[float]] = json.loads(done.stdout.splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    """Time both sides and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--before", default=BEFORE, help="Commit to compare against.")
    parser.add_argument("--only", choices=("analyze", "sweep", "report"), action="append")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    old = _worktree(args.before)
    sides = {"before": old / "src", "after": ROOT / "src"}
    # the scenario as the old code knows it (later versions add sections it cannot read)
    scenario = old / "scenarios" / SCENARIO.name
    scratch = Path(tempfile.mkdtemp(prefix="offramp-bench-out-"))
    results: dict[str, Any] = {}
    for name, command in _commands(args.draws, scratch / "run", scenario).items():
        if args.only and name not in args.only:
            continue
        times: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
        for src in sides.values():  # warm-up: caches of numba, the file system, ...
            _run(command, src, scratch / "run")
        for _ in range(args.repeats):
            for side, src in sides.items():
                times[side].append(_run(command, src, scratch / "run"))
        row: dict[str, Any] = {}
        for side in sides:
            walls = [w for w, _ in times[side]]
            cpus = [c for _, c in times[side]]
            row[side] = {
                "wall_s_median": statistics.median(walls),
                "wall_s_min": min(walls),
                "wall_s_max": max(walls),
                "cpu_s_median": statistics.median(cpus),
            }
        pairs = [b[0] / a[0] for b, a in zip(times["before"], times["after"], strict=True)]
        row["speedup_wall_median"] = statistics.median(pairs)
        row["speedup_cpu"] = row["before"]["cpu_s_median"] / row["after"]["cpu_s_median"]
        results[name] = row
        print(
            f"{name:8s} before {row['before']['wall_s_median']:.2f} s  "
            f"after {row['after']['wall_s_median']:.2f} s  "
            f"speed-up (wall, pairwise median) x{row['speedup_wall_median']:.2f}  "
            f"(cpu) x{row['speedup_cpu']:.2f}",
            flush=True,
        )
    shutil.rmtree(scratch, ignore_errors=True)
    engines: dict[str, Any] = {}
    if not args.only:
        rounds: dict[str, dict[str, list[float]]] = {side: {} for side in sides}
        for _ in range(2):  # two rounds, sides alternating
            for side, src in sides.items():
                found = _engines(src, scenario, args.draws, max(2, args.repeats // 2))
                for name, seconds in found.items():
                    rounds[side].setdefault(name, []).extend(seconds)
        for name in rounds["before"]:
            before = statistics.median(rounds["before"][name])
            after = statistics.median(rounds["after"][name])
            engines[name] = {
                "before_s_median": before,
                "after_s_median": after,
                "speedup": before / after,
            }
            print(
                f"{name:8s} in-process: before {before:.3f} s  after {after:.3f} s  "
                f"speed-up x{before / after:.2f}",
                flush=True,
            )
    summary = {
        "scenario": SCENARIO.stem,
        "before": args.before,
        "draws": args.draws,
        "repeats": args.repeats,
        "timing": "whole process (python -m offramp ...), median of repeats after one warm-up",
        "results": results,
        "engines": engines,
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_1min": os.getloadavg()[0],
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
