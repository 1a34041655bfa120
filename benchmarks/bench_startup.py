"""Start-up and batch forecasting: lazy imports and several files per ``offramp forecast``.

Two measurements, each side by side with the code before this change (``--baseline``,
a git revision whose ``src/`` is extracted to a scratch directory and run with the
same interpreter), whole processes timed wall-clock, interleaved, ``--repeats`` times:

* ``offramp --help``: best and median seconds, old and new, and their ratio.
* KTAB's 7 sample scenarios (``bench_smp.SAMPLES``, from ``../shared/anchors/ktab/``)
  forecast with ``--model smp``: one ``offramp forecast`` process per file (as the old
  command had to), old and new, against all 7 files in ONE new process.  The one-process
  JSON is checked to be the per-file JSONs in order, and each new single-file JSON to be
  the old command's.

KTAB itself is not run: no ``smpc`` build exists here (see ``bench_smp.py``); the KTAB
seconds recorded by ``bench_smp.py`` in ``results/bench_smp.json`` are copied beside the
result for context and labelled as recorded in another run.

Usage::

    .venv/bin/python benchmarks/bench_startup.py [--repeats 7] [--baseline b9f844d]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ANCHORS = ROOT.parent.parent / "shared" / "anchors" / "ktab"
if not ANCHORS.exists():  # run from a worktree under /work/wt/NAME
    ANCHORS = Path("/work/shared/anchors/ktab")
SAMPLES = [
    "dummyData_3Dim.csv",
    "SOE-Pol-Comp.csv",
    "SOE-Policy.csv",
    "SOE-Competitive.csv",
    "dummyData_6Dim.csv",
    "dummyData-a040.csv",
    "dummyData-a080.csv",
]
BASELINE = "b9f844d"  # main just before lazy imports and several files per forecast


def extract(rev: str, into: Path) -> Path:
    """``src/`` of a git revision, extracted under ``into``."""
    blob = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "src"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def timed(src: Path, args: list[str], cwd: Path) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(src), "COLUMNS": "100"}
    code = "import sys; from offramp.cli import main; sys.exit(main(sys.argv[1:]))"
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=cwd
    )
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed: {args}\n{done.stderr}")
    return took, done.stdout


def stats(xs: list[float]) -> dict[str, float]:
    return {"best_s": round(min(xs), 4), "median_s": round(statistics.median(xs), 4)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--baseline", default=BASELINE)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    old, new = extract(args.baseline, scratch / "old"), ROOT / "src"
    files = [str(ANCHORS / name) for name in SAMPLES]
    store = ["--store", str(scratch / "runs.duckdb")]
    smp = ["--model", "smp", "--json", "-", *store]

    helps: dict[str, list[float]] = {"old": [], "new": []}
    for _ in range(args.repeats):
        for label, src in (("old", old), ("new", new)):
            helps[label].append(timed(src, ["--help"], scratch)[0])
    help_row = {k: stats(v) for k, v in helps.items()}
    help_row["ratio_best"] = round(help_row["old"]["best_s"] / help_row["new"]["best_s"], 2)
    help_row["ratio_median"] = round(help_row["old"]["median_s"] / help_row["new"]["median_s"], 2)
    print("offramp --help", json.dumps(help_row), flush=True)

    batch: dict[str, list[float]] = {"old_each": [], "new_each": [], "new_one": []}
    singles: list[Any] = []
    olds: list[Any] = []
    together: Any = None
    for _ in range(max(1, args.repeats // 2)):
        for label, src in (("old_each", old), ("new_each", new)):
            total, outs = 0.0, []
            for f in files:
                took, stdout = timed(src, ["forecast", f, *smp], scratch)
                total, outs = total + took, [*outs, json.loads(stdout)]
            batch[label].append(total)
            if label == "new_each":
                singles = outs
            else:
                olds = outs
        took, stdout = timed(new, ["forecast", *files, *smp], scratch)
        batch["new_one"].append(took)
        together = json.loads(stdout)
    assert together == {"model": "smp", "files": singles}, "batch JSON differs from single runs"
    assert olds == singles, "one file's JSON differs from the old command's"
    ktab_row: dict[str, Any] = {k: stats(v) for k, v in batch.items()}
    for base in ("old_each", "new_each"):
        ktab_row[f"ratio_{base}_vs_new_one"] = round(
            ktab_row[base]["median_s"] / ktab_row["new_one"]["median_s"], 2
        )
    ktab_row["same_json"] = True
    recorded = HERE / "results" / "bench_smp.json"
    if recorded.exists():
        rows = {r["scenario"]: r for r in json.loads(recorded.read_text())["rows"]}
        secs = [rows[n].get("ktab_s") for n in SAMPLES if n in rows]
        if len(secs) == len(SAMPLES) and all(isinstance(s, float) for s in secs):
            ktab_row["ktab_O2_recorded_s"] = round(sum(secs), 2)
            ktab_row["ktab_O2_recorded_note"] = (
                "sum of bench_smp.json's KTAB smpc times, recorded in another run (no smpc "
                "build here); ratio against the new one-process median"
            )
            ktab_row["ratio_ktab_recorded_vs_new_one"] = round(
                sum(secs) / ktab_row["new_one"]["median_s"], 1
            )
    print("7 KTAB samples", json.dumps(ktab_row), flush=True)

    result = {
        "meta": {
            "machine": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": list(os.getloadavg()),
            "python": platform.python_version(),
            "baseline": args.baseline,
            "repeats": args.repeats,
        },
        "help": help_row,
        "ktab_samples": {"files": SAMPLES, **ktab_row},
    }
    out = HERE / "results" / "bench_startup.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
