"""Benchmark exact analysis of astronomically large spaces by merging issues (issue 4).

Part 1, huge spaces: 15 issues × 6 options (470,184,984,576 packages), with 2
and with 3 veto parties and one public whose rules mention two issues. The
domain is ``bench_space.make_scenario`` (deterministic, seeded: random option
values in [0.01, 1], random weights) with batnas 0.3 and one public added.
Timed separately, each in a fresh subprocess so peak memory is per task
(``resource.getrusage`` maximum resident set size, which includes the
interpreter and numpy, about 40 MiB):

* ``frontier``: :func:`offramp.settle.merge.merge_frontier` plus the four
  bargaining solutions (:func:`offramp.settle.solutions.solve`): the goal is under 10 s
  and under 4 GiB;
* ``counts``: :func:`offramp.settle.count.count_packages` (ZOPA, ratified ZOPA,
  blockers; exact with 2 parties, bounds with 3);
* ``analyze``: the whole :func:`offramp.assess.analyze` (auto picks merge).

Part 1b, a space of 30 issues × 8 options (1,237,940,039,285,380,274,899,124,224
≈ 1.2 × 10^27 packages), 3 veto parties, with red lines and ratification
(:func:`big_scenario`): the huge domain above plus a fourth, non-veto actor,
red lines (``never``) on a stance of each veto party and of the non-veto
actor, and a second public whose rule mentions two more issues (the rules
mention 4 issues, 4,096 combinations). Timed like part 1, each in a fresh
subprocess: ``frontier`` (the exact frontier and the four solutions, with
the frontier size after every merge step) and ``analyze_space``
(:func:`offramp.settle.analysis.analyze_space` with ``method="auto"``). With
``--old SRC`` (the ``src`` of an older checkout, e.g. made with ``git worktree
add /tmp/old-big 8524ae0``), the same ``frontier`` task also runs on that
engine in its own subprocess, stopped after ``--old-timeout`` seconds, and
the ratio old / new is reported where it finishes, with a check that both
frontiers (packages and sums) are identical.

Part 2, the 1.68-million-package domain of ``bench_space.py`` (8 issues × 6
options, 2 and 3 parties, batna 0, no public): ``analyze`` (merge, chosen
automatically) against NegMAS's ``pareto_frontier`` + ``nash_points`` (run
by ``bench_space.run_negmas`` in NegMAS's own environment), with the same
answer checks as ``bench_space.py`` (same frontier packages, utilities within
1e-9, same Nash package). offramp is timed in-process, warmed up, median of 5
runs, like NegMAS's figure (which is also end to end from the domain): the
compared figure is the frontier plus the Nash solution (``merge_frontier`` +
``solve``, what NegMAS is asked for); the whole ``analyze`` (which also
counts, explains and runs whatever else ``analyze`` reports, such as the
forecast models) is recorded alongside. The goal is ≥ 1000× faster than
NegMAS. The offramp enumeration on the same domain is timed too, and its
result must be identical to the merge's.

Run from the repository root::

    .venv/bin/python benchmarks/bench_huge.py            # everything (NegMAS: ~1 minute)
    .venv/bin/python benchmarks/bench_huge.py --no-negmas

Results go to ``benchmarks/results/bench_huge.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_space import (  # noqa: E402
    SCRATCH,
    Domain,
    compare,
    environment,
    make_scenario,
    run_negmas,
)

RESULTS = HERE / "results" / "bench_huge.json"
HUGE = (Domain(15, 6, 2), Domain(15, 6, 3))
MEDIUM = (Domain(8, 6, 2), Domain(8, 6, 3))
BIG = (Domain(30, 8, 3),)


def huge_scenario(domain: Domain) -> dict[str, Any]:
    """The bench_space domain with batnas 0.3 and one public whose rules mention two issues."""
    data = make_scenario(domain)
    for actor in data["actors"]:
        actor["batna"] = 0.3
    data["publics"] = [
        {
            "id": "public",
            "label": "Public of p0",
            "of": "p0",
            "threshold": 0.5,
            "assumed": "benchmark",
            "rules": [
                {"when": {}, "reject": 0.2},
                {"when": {"i0": ["o0", "o1"]}, "reject": 0.6},
                {"when": {"i0": ["o0", "o1"], "i1": ["o5"]}, "reject": 0.4},
            ],
        }
    ]
    return data


def big_scenario(domain: Domain) -> dict[str, Any]:
    """``huge_scenario`` plus a non-veto actor, red lines and a second public (part 1b)."""
    data = huge_scenario(domain)
    ally = json.loads(json.dumps(data["actors"][0]))
    ally.update(id="ally", label="ally", veto=False)
    data["actors"].append(ally)
    # red lines: two options (not the stated position) of one issue, per actor
    for actor, issue in ((0, 2), (1, 3), (2, 5), (3, 4)):
        stance = data["actors"][actor]["stances"][issue]
        others = [f"o{k}" for k in range(domain.n_options) if f"o{k}" != stance["position"]]
        stance["never"] = others[:2]
    data["publics"].append(
        {
            "id": "public1",
            "label": "Public of p1",
            "of": "p1",
            "threshold": 0.5,
            "assumed": "benchmark",
            "rules": [
                {"when": {}, "reject": 0.1},
                {"when": {"i2": ["o0", "o1"], "i3": ["o6", "o7"]}, "reject": 0.7},
            ],
        }
    )
    return data


def _task(kind: str, path: str) -> dict[str, Any]:
    """Run one timed task in this process; returns its timing, peak memory and answer."""
    import numpy as np

    from offramp.assess import analyze
    from offramp.problem import compile_problem
    from offramp.scenario import load_scenario_data
    from offramp.settle.analysis import analyze_space
    from offramp.settle.count import count_packages
    from offramp.settle.merge import merge_frontier
    from offramp.settle.solutions import solve

    scenario = load_scenario_data(json.loads(Path(path).read_text()), file=path)
    problem = compile_problem(scenario)
    t0 = time.perf_counter()
    out: dict[str, Any] = {}
    if kind == "frontier":
        front = merge_frontier(problem)
        veto = [a for a, actor in enumerate(scenario.actors) if actor.veto]
        batna = np.array([scenario.actors[a].batna or 0.0 for a in veto])
        rows = solve(front.utility[veto].T, batna, np.arange(len(front.options)))
        digest = hashlib.sha256(front.options.tobytes() + front.sums.tobytes()).hexdigest()
        out = {
            "frontier": len(front.options),
            "largest_step": max(front.sizes, default=0),
            "sizes": list(front.sizes),
            "order": [list(g) for g in front.order],
            "sha256": digest,
            "exact": front.exact,
            "solutions": {
                k: None if v is None else front.options[v].tolist() for k, v in rows.items()
            },
        }
    elif kind == "counts":
        counts = count_packages(problem)
        out = {
            "zopa": [counts.zopa.lower, counts.zopa.upper],
            "ratified": [counts.ratified.lower, counts.ratified.upper],
        }
    elif kind == "analyze_space":
        d = analyze_space(problem, method="auto").to_dict()
        out = {
            "method": d["method"],
            "frontier": d["frontier_size"],
            "nash": d["solutions"]["nash"],
        }
    elif kind in ("analyze", "enumeration"):
        result = analyze(problem, method="enumeration" if kind == "enumeration" else "auto")
        d = result.to_dict()
        out = {"method": d["method"], "frontier": d["frontier_size"], "result": d}
    elif kind == "medium":
        # in-process, warmed up, median of repeats (as bench_space.py times both tools)
        veto = [a for a, actor in enumerate(scenario.actors) if actor.veto]
        batna = np.array([scenario.actors[a].batna or 0.0 for a in veto])

        def frontier_and_nash() -> Any:
            front = merge_frontier(problem)
            rows = solve(front.utility[veto].T, batna, np.arange(len(front.options)))
            return front, rows

        timings: dict[str, list[float]] = {"frontier_nash": [], "analyze": []}
        for _ in range(6):
            t1 = time.perf_counter()
            front, rows = frontier_and_nash()
            timings["frontier_nash"].append(time.perf_counter() - t1)
            t1 = time.perf_counter()
            result = analyze(problem)
            timings["analyze"].append(time.perf_counter() - t1)
        t1 = time.perf_counter()
        enum = analyze(problem, method="enumeration")
        enum_seconds = time.perf_counter() - t1
        merged, enumerated = result.to_dict(), enum.to_dict()
        merged.pop("method"), enumerated.pop("method")
        nash = rows["nash"]
        out = {
            "frontier_nash_seconds": statistics.median(timings["frontier_nash"][1:]),
            "analyze_seconds": statistics.median(timings["analyze"][1:]),
            "timings": timings,
            "method": result.method,
            "enumeration_seconds": enum_seconds,
            "merge_equals_enumeration": merged == enumerated,
            "frontier": [
                {"package": row.tolist(), "utility": [float(u) for u in front.utility[:, k]]}
                for k, row in enumerate(front.options)
            ],
            "nash": None
            if nash is None
            else {
                "package": front.options[nash].tolist(),
                "utility": [float(u) for u in front.utility[:, nash]],
            },
        }
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"seconds": seconds, "peak_bytes": peak, **out}


def run_task(
    kind: str, path: Path, src: Path | None = None, timeout: float | None = None
) -> dict[str, Any] | None:
    """Run ``_task`` in a fresh interpreter (so peak memory is this task's).

    ``src``: run it on the offramp under that directory (an older engine);
    returns None when it does not finish within ``timeout`` seconds.
    """
    env = None
    if src is not None:
        env = {**os.environ, "PYTHONPATH": str(src)}
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--task", kind, str(path)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None
    result: dict[str, Any] = json.loads(proc.stdout)
    result["process_seconds"] = time.perf_counter() - t0
    return result


def run_big(args: argparse.Namespace) -> tuple[list[dict[str, Any]], bool]:
    """Part 1b: the 30 × 8 space with red lines and rules, and the old engine beside it."""
    rows: list[dict[str, Any]] = []
    ok = True
    for domain in BIG:
        path = SCRATCH / f"bench_huge-big-{domain.name}.json"
        path.write_text(json.dumps(big_scenario(domain)))
        row: dict[str, Any] = {"domain": domain.name, "packages": domain.n_packages}
        for kind in ("frontier", "analyze_space"):
            runs = [run_task(kind, path) for _ in range(args.repeats)]
            done = [r for r in runs if r is not None]
            row[kind] = {
                **done[-1],
                "seconds": statistics.median(r["seconds"] for r in done),
                "runs": [r["seconds"] for r in done],
                "peak_gib": max(r["peak_bytes"] for r in done) / 2**30,
            }
            print(
                f"{domain.name} {kind}: {row[kind]['seconds']:.2f} s, "
                f"peak {row[kind]['peak_gib']:.2f} GiB, frontier {row[kind]['frontier']:,}",
                flush=True,
            )
        front = row["frontier"]
        row["goal_met"] = front["seconds"] < 10 and front["peak_gib"] < 4
        ok &= row["goal_met"]
        if args.old is not None:
            old = run_task("frontier", path, src=args.old, timeout=args.old_timeout)
            if old is None:
                row["old"] = {"finished": False, "timeout_seconds": args.old_timeout}
                print(f"{domain.name} old engine: > {args.old_timeout:g} s", flush=True)
            else:
                same = old["sha256"] == front["sha256"] and old["solutions"] == front["solutions"]
                row["old"] = {
                    "finished": True,
                    "seconds": old["seconds"],
                    "peak_gib": old["peak_bytes"] / 2**30,
                    "sizes": old["sizes"],
                    "same_frontier": same,
                }
                row["ratio"] = old["seconds"] / front["seconds"]
                ok &= same
                print(
                    f"{domain.name} old engine: {old['seconds']:.2f} s, peak "
                    f"{row['old']['peak_gib']:.2f} GiB; ratio {row['ratio']:.1f}x; "
                    f"same frontier: {same}",
                    flush=True,
                )
        rows.append(row)
    return rows, ok


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 if an answer differs or a goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--no-negmas", action="store_true", help="skip the NegMAS comparison")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of timed tasks (median)")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--old", type=Path, help="src of an older checkout to run part 1b's frontier on too"
    )
    parser.add_argument("--old-timeout", type=float, default=600.0, help="its time limit (s)")
    parser.add_argument("--only-big", action="store_true", help="run part 1b only")
    args = parser.parse_args(argv)
    if args.task:
        print(json.dumps(_task(args.task[0], args.task[1])))
        return 0

    SCRATCH.mkdir(exist_ok=True)
    report: dict[str, Any] = {"benchmark": "bench_huge", "environment": environment()}
    report["load_average_before"] = os.getloadavg()
    big, ok = run_big(args)
    report["big"] = big
    if args.only_big:
        report["load_average_after"] = os.getloadavg()
        if not args.no_write:
            previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
            RESULTS.parent.mkdir(exist_ok=True)
            RESULTS.write_text(json.dumps({**previous, **report}, indent=1) + "\n")
        return 0 if ok else 1
    rows = []
    for domain in HUGE:
        path = SCRATCH / f"bench_huge-{domain.name}.json"
        path.write_text(json.dumps(huge_scenario(domain)))
        row: dict[str, Any] = {"domain": domain.name, "packages": domain.n_packages}
        for kind in ("frontier", "counts", "analyze"):
            runs = [run_task(kind, path) for _ in range(args.repeats if kind == "frontier" else 1)]
            assert all(r is not None for r in runs)
            last = runs[-1]
            assert last is not None
            last.pop("result", None)
            row[kind] = {
                **last,
                "seconds": statistics.median(r["seconds"] for r in runs),
                "runs": [r["seconds"] for r in runs],
                "peak_gib": max(r["peak_bytes"] for r in runs) / 2**30,
            }
            print(
                f"{domain.name} {kind}: {row[kind]['seconds']:.2f} s, "
                f"peak {row[kind]['peak_gib']:.2f} GiB",
                flush=True,
            )
        goal = row["frontier"]["seconds"] < 10 and row["frontier"]["peak_gib"] < 4
        row["goal_met"] = goal
        ok &= goal
        rows.append(row)
    report["huge"] = rows

    medium = []
    for domain in MEDIUM:
        data = make_scenario(domain)
        path = SCRATCH / f"bench_space-{domain.name}.json"
        path.write_text(json.dumps(data))
        mine = run_task("medium", path)
        assert mine is not None
        row = {
            "domain": domain.name,
            "packages": domain.n_packages,
            "method": mine["method"],
            "offramp_frontier_nash_seconds": mine["frontier_nash_seconds"],
            "offramp_analyze_seconds": mine["analyze_seconds"],
            "offramp_timings": mine["timings"],
            "enumeration_seconds": mine["enumeration_seconds"],
            "merge_equals_enumeration": mine["merge_equals_enumeration"],
        }
        ok &= mine["merge_equals_enumeration"]
        if not args.no_negmas:
            negmas = run_negmas(path, repeats=1, budget=60.0)
            batnas = [a["batna"] for a in data["actors"]]
            row["negmas_seconds"] = negmas["timings"]["total"]
            row["ratio"] = row["negmas_seconds"] / row["offramp_frontier_nash_seconds"]
            row["ratio_full_analyze"] = row["negmas_seconds"] / row["offramp_analyze_seconds"]
            row["compare"] = compare(negmas, mine, batnas)
            good = row["compare"]["frontier_match"] and row["compare"]["nash_match"]
            ok &= good and row["ratio"] >= 1000
            print(
                f"{domain.name}: offramp frontier+Nash "
                f"{row['offramp_frontier_nash_seconds'] * 1000:.1f} ms, full analyze "
                f"{row['offramp_analyze_seconds'] * 1000:.1f} ms ({row['method']}); NegMAS "
                f"{row['negmas_seconds']:.2f} s; ratio {row['ratio']:,.0f}× "
                f"({row['ratio_full_analyze']:,.0f}× for the full analyze); "
                f"same answers: {good}; merge == enumeration: {row['merge_equals_enumeration']}",
                flush=True,
            )
        else:
            print(
                f"{domain.name}: offramp frontier+Nash "
                f"{row['offramp_frontier_nash_seconds'] * 1000:.1f} ms, analyze "
                f"{row['offramp_analyze_seconds'] * 1000:.1f} ms",
                flush=True,
            )
        medium.append(row)
    report["medium"] = medium
    report["load_average_after"] = os.getloadavg()
    if not args.no_write:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(report, indent=1) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
