"""Benchmark offramp's Spatial Model of Politics against KTAB's own ``smpc``.

Scenarios: KTAB's shipped samples (``../shared/anchors/ktab/*.csv``; the
160-actor one only with ``--big``) and random scenarios of 50 x 5, 100 x 5 and
200 x 5 actors x dimensions, drawn from a seed the way KTAB's ``randomSMP``
draws them (capability uniform on [10, 200], positions on [0, 100], saliences
uniform on [0.1, 1] rescaled to a total uniform on [0.75, 0.99]) and written as
KTAB CSV files under ``benchmarks/.scratch/smp/``, so both tools read the same
file.

* **offramp**: ``offramp.io.ktab.load_ktab_csv`` then
  ``offramp.forecast.smp.smp`` with KTAB's default parameters, in-process,
  timed with ``time.perf_counter`` (best of ``--repeats``); import and reading
  excluded.
* **KTAB** (MIT; a peer, never a dependency): ``smpc --logmin --csv FILE``
  built by hand from KTAB's public source with -O2 (its README lists what it
  needs: Debian's Qt 5, TinyXML2 and easylogging++; nothing of KTAB, nor any
  build recipe for it, is kept in this repository) and placed at
  ``benchmarks/.scratch/ktab/build/smpc``, run as a subprocess in a scratch
  directory with an SQLite database (``--connstr "Driver=QSQLITE;Database=..."``,
  as smpc requires one), timed wall-clock.  ``--logmin`` is KTAB's fastest
  mode (it still writes the scenario and position tables).  Runs longer than
  ``--timeout`` seconds are stopped and reported as "> timeout".

The answers are checked: KTAB's log prints every actor's position on every
dimension in every state (``%5.1f``); offramp's must print the same, and the
number of states must agree.  Results go to ``benchmarks/results/bench_smp.json``.

When ``smpc`` is not built, ``--recorded-ktab`` compares against the KTAB
times *recorded* in that file by an earlier run that did build it (they are
not re-run: each row says ``ktab_recorded``, and the file keeps the load
average of the machine when they were measured).  Besides the in-process
times, ``--end-to-end`` times one ``offramp forecast -m smp`` command on the
7 samples together (one process: start-up, reading, the 7 runs, the run
store), wall-clock, against the sum of KTAB's 7 runs (each a process too).
``--old SRC`` runs every scenario also on an older offramp (the ``src`` of
another checkout, in a subprocess, stopped after ``--old-timeout`` s) and
reports the ratio and whether the printed histories are identical.  The
400 x 5 random scenario (offramp only) has ``--big-random``.

Usage::

    .venv/bin/python benchmarks/bench_smp.py [--skip-ktab | --recorded-ktab] [--big] \
        [--big-random] [--end-to-end] [--old SRC] [--only NAME] [--timeout S]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from offramp.forecast.smp import smp
from offramp.io.ktab import load_ktab_csv

HERE = Path(__file__).resolve().parent
SCRATCH = HERE / ".scratch" / "smp"
ANCHORS = HERE.parent.parent / "shared" / "anchors" / "ktab"
SMPC = HERE / ".scratch" / "ktab" / "build" / "smpc"
SAMPLES = [
    "dummyData_3Dim.csv",
    "SOE-Pol-Comp.csv",
    "SOE-Policy.csv",
    "SOE-Competitive.csv",
    "dummyData_6Dim.csv",
    "dummyData-a040.csv",
    "dummyData-a080.csv",
]
BIG_SAMPLES = ["dummyData-a160.csv"]
RANDOM = [(50, 5, 50), (100, 5, 100), (200, 5, 200)]
BIG_RANDOM = [(400, 5, 400)]
RESULTS = HERE / "results" / "bench_smp.json"


def random_csv(n: int, d: int, seed: int) -> Path:
    """Write a random KTAB scenario of n actors and d dimensions (deterministic in seed)."""
    SCRATCH.mkdir(parents=True, exist_ok=True)
    path = SCRATCH / f"random-{n}x{d}-seed{seed}.csv"
    rng = np.random.default_rng(seed)
    cap = rng.uniform(10, 200, n)
    pos = rng.uniform(0, 100, (n, d))
    sal = rng.uniform(0.1, 1.0, (n, d))
    sal = sal / sal.sum(axis=1, keepdims=True) * rng.uniform(0.75, 0.99, (n, 1)) * 100
    lines = [f"Random-{n}x{d},seed {seed},{n},{d},"]
    lines.append(
        "Actor,Description,Power," + ",".join(f"Dim{k} Position,Dim{k} Salience" for k in range(d))
    )
    for i in range(n):
        cells = [f"A{i:03d}", "random actor", f"{cap[i]:.3f}"]
        for k in range(d):
            cells += [f"{pos[i, k]:.2f}", f"{np.floor(sal[i, k] * 100) / 100:.2f}"]
        lines.append(",".join(cells) + ",")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def offramp_history(
    path: Path, repeats: int
) -> tuple[float, dict[tuple[str, int], list[str]], int]:
    names, _dims, cap, pos, sal = load_ktab_csv(path)
    best = float("inf")
    trace = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        trace = smp(pos, cap, sal)
        best = min(best, time.perf_counter() - t0)
    assert trace is not None
    hist = {
        (name, k): [f"{v:5.1f}".strip() for v in trace.positions[0, :, i, k]]
        for i, name in enumerate(names)
        for k in range(pos.shape[1])
    }
    return best, hist, int(trace.positions.shape[1])


def old_history(
    src: Path, path: Path, timeout: float
) -> tuple[float, dict[tuple[str, int], list[str]], int] | None:
    """``offramp_history`` on an older offramp (its ``src``) in a subprocess; None on timeout."""
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--task-history", str(path)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(src)},
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None
    out = json.loads(proc.stdout)
    hist = {(a, int(k)): v for a, k, v in out["history"]}
    return out["seconds"], hist, out["states"]


def end_to_end(paths: list[Path]) -> dict[str, Any]:
    """One ``offramp forecast -m smp`` command on all ``paths``, wall-clock, in a fresh process."""
    offramp = Path(sys.executable).parent / "offramp"
    with tempfile.TemporaryDirectory(dir=SCRATCH) as tmp:
        cmd = [str(offramp), "forecast", "-m", "smp", *map(str, paths)]
        cmd += ["--store", str(Path(tmp) / "runs.duckdb")]
        load = os.getloadavg()
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=tmp, capture_output=True, check=True)
        elapsed = time.perf_counter() - t0
    return {"seconds": round(elapsed, 3), "files": len(paths), "load_average": load}


def ktab_history(
    path: Path, timeout: float
) -> tuple[float | None, dict[tuple[str, int], list[str]] | None, int | None]:
    with tempfile.TemporaryDirectory(dir=SCRATCH) as tmp:
        work = Path(tmp)
        shutil.copy(path, work / path.name)
        conf = SMPC.parent.parent / "examples" / "smp" / "smpc-logger.conf"
        if conf.exists():
            shutil.copy(conf, work / "smpc-logger.conf")
        cmd = [
            str(SMPC),
            "--logmin",
            "--connstr",
            "Driver=QSQLITE;Database=ktab_run",
            "--csv",
            path.name,
        ]
        t0 = time.perf_counter()
        try:
            subprocess.run(cmd, cwd=work, timeout=timeout, capture_output=True, check=False)
        except subprocess.TimeoutExpired:
            return None, None, None
        elapsed = time.perf_counter() - t0
        logs = sorted(work.glob("smpc-*log.txt"))
        if not logs:
            return elapsed, None, None
        text = logs[-1].read_text(encoding="utf-8", errors="replace")
    if "History of actor positions over time:" not in text:
        return elapsed, None, None
    block = text.split("History of actor positions over time:")[1].split("History of actors'")[0]
    hist: dict[tuple[str, int], list[str]] = {}
    dims: dict[str, int] = {}
    for line in block.strip().splitlines():
        head, values = line.rsplit(":", 1)
        actor, _dim = head.split(", ", 1)
        k = dims.get(actor.strip(), 0)
        dims[actor.strip()] = k + 1
        hist[actor.strip(), k] = values.split()
    states = int(text.split("There were ")[1].split()[0])
    return elapsed, hist, states


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-ktab", action="store_true", help="time offramp only")
    ap.add_argument("--big", action="store_true", help="also the 160-actor sample")
    ap.add_argument("--ktab-200", action="store_true", help="also run KTAB on 200 x 5 (hours)")
    ap.add_argument("--only", help="run only scenarios whose name contains this")
    ap.add_argument("--timeout", type=float, default=900.0, help="KTAB time limit per run (s)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--recorded-ktab",
        action="store_true",
        help="compare with the KTAB times recorded in the results file (not re-run)",
    )
    ap.add_argument("--big-random", action="store_true", help="also the 400 x 5 random scenario")
    ap.add_argument("--end-to-end", action="store_true", help="time one CLI call on the samples")
    ap.add_argument("--old", type=Path, help="src of an older offramp to run beside this one")
    ap.add_argument("--old-timeout", type=float, default=600.0)
    ap.add_argument("--task-history", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.task_history:
        t, h, states = offramp_history(args.task_history, 1)
        flat = [[a, k, v] for (a, k), v in h.items()]
        print(json.dumps({"seconds": t, "states": states, "history": flat}))
        return 0
    recorded: dict[str, dict[str, Any]] = {}
    recorded_meta: dict[str, Any] = {}
    if args.recorded_ktab:
        args.skip_ktab = True
        previous = json.loads(RESULTS.read_text(encoding="utf-8"))
        recorded_meta = previous.get("ktab_recorded_meta", previous["meta"])
        for row in previous["rows"]:
            if "ktab_s" in row:
                recorded[row["scenario"]] = row
    if not args.skip_ktab and not SMPC.exists():
        print(
            f"KTAB's smpc not found at {SMPC}; build it from KTAB's source (see its README) "
            "or pass --skip-ktab",
            file=sys.stderr,
        )
        return 2
    SCRATCH.mkdir(parents=True, exist_ok=True)
    cases: list[tuple[str, Path, bool]] = []
    for name in SAMPLES + (BIG_SAMPLES if args.big else []):
        if (ANCHORS / name).exists():
            cases.append((name, ANCHORS / name, True))
    for n, d, seed in RANDOM + (BIG_RANDOM if args.big_random else []):
        cases.append((f"random {n}x{d}", random_csv(n, d, seed), n < 200 or args.ktab_200))
    if args.only:
        cases = [c for c in cases if args.only in c[0]]
    rows: list[dict[str, Any]] = []
    print(
        f"{'scenario':<24}{'actors x dims':>14}{'states':>8}{'offramp s':>11}"
        f"{'KTAB s':>10}{'ratio':>9}  same history"
    )
    for name, path, with_ktab in cases:
        _, dims, cap, _, _ = load_ktab_csv(path)
        size = f"{len(cap)} x {len(dims)}"
        t_off, h_off, s_off = offramp_history(path, args.repeats)
        row: dict[str, Any] = {
            "scenario": name,
            "size": size,
            "states": s_off,
            "offramp_s": round(t_off, 4),
        }
        t_k = h_k = s_k = None
        if with_ktab and not args.skip_ktab:
            t_k, h_k, s_k = ktab_history(path, args.timeout)
        if t_k is not None and h_k is not None:
            row["ktab_s"] = round(t_k, 3)
            row["ratio"] = round(t_k / t_off, 1)
            row["ktab_states"] = s_k
            row["same_history"] = h_k == h_off and s_k == s_off
        elif with_ktab and not args.skip_ktab:
            row["ktab_s"] = f"> {args.timeout:g}" if t_k is None else "failed"
        elif name in recorded:
            then = recorded[name]
            row["ktab_s"] = then["ktab_s"]
            row["ktab_recorded"] = True
            if isinstance(then["ktab_s"], float | int):
                row["ratio"] = round(then["ktab_s"] / t_off, 1)
            for key in ("ktab_states", "same_history"):
                value = then.get(key, then.get(f"{key}_recorded"))
                if value is not None:
                    row[f"{key}_recorded"] = value
        if args.old is not None:
            old = old_history(args.old, path, args.old_timeout)
            if old is None:
                row["old_s"] = f"> {args.old_timeout:g}"
            else:
                row["old_s"] = round(old[0], 4)
                row["old_ratio"] = round(old[0] / t_off, 1)
                row["same_history_as_old"] = old[1] == h_off and old[2] == s_off
        rows.append(row)
        ktab_txt = f"{row['ktab_s']}" if "ktab_s" in row else "-"
        ratio_txt = f"{row['ratio']:g}x" if "ratio" in row else "-"
        same = row.get("same_history", "-")
        print(
            f"{name:<24}{size:>14}{s_off:>8}{t_off:>11.3f}{ktab_txt:>10}{ratio_txt:>9}  {same}",
            flush=True,
        )
    report: dict[str, Any] = {}
    samples = [c for c in cases if c[2] and c[0] in SAMPLES]
    if args.end_to_end and len(samples) == len(SAMPLES):
        e2e = end_to_end([c[1] for c in samples])
        ktab_rows = [r for r in rows if r["scenario"] in SAMPLES]
        ktab_total = [r.get("ktab_s") for r in ktab_rows]
        if all(isinstance(t, float | int) for t in ktab_total):
            total = float(sum(ktab_total))  # type: ignore[arg-type]
            e2e["ktab_s"] = round(total, 3)
            e2e["ktab_recorded"] = any(r.get("ktab_recorded") for r in ktab_rows)
            e2e["ratio"] = round(total / e2e["seconds"], 1)
        e2e["offramp_in_process_s"] = round(sum(r["offramp_s"] for r in ktab_rows), 4)
        report["end_to_end_samples"] = e2e
        print(f"the 7 samples in one offramp forecast call: {json.dumps(e2e)}")
    out = RESULTS
    out.parent.mkdir(exist_ok=True)
    meta = {
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
    }
    if recorded:
        report["ktab_recorded_meta"] = recorded_meta
    if args.old is not None:
        report["old_src"] = str(args.old)
    body = {"meta": meta, "rows": rows, **report}
    out.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
