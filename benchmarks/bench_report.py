"""The Ukraine report's size, side by side with the code before compact picture data.

Runs ``offramp report scenarios/ukraine-2024-09.yaml`` (same seed, so the same quick
sweep) with the baseline revision's ``src/`` (``--baseline``, extracted by git archive)
and with this checkout's, in fresh run stores, and records both files' sizes and their
ratio.  When Debian's chromium and Playwright are installed, it also opens both files
offline, screenshots every figure after plotly has drawn it and checks the screenshots
are pixel-identical (same pictures), and times how long each page takes to draw every
figure (best of ``--repeats``).  Results go to ``benchmarks/results/bench_report.json``.

Usage::

    .venv/bin/python benchmarks/bench_report.py [--baseline b9f844d] [--repeats 3]
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

from bench_startup import BASELINE, ROOT, extract

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
SCENARIO = ROOT / "scenarios" / "ukraine-2024-09.yaml"
DRAWN = (
    "document.querySelectorAll('div.plot').length > 0 && "
    "document.querySelectorAll('div.plot .main-svg').length >= "
    "document.querySelectorAll('div.plot').length"
)


def report(src: Path, out: Path) -> Path:
    env = {**os.environ, "PYTHONPATH": str(src)}
    code = "import sys; from offramp.cli import main; sys.exit(main(sys.argv[1:]))"
    args = ["report", str(SCENARIO), "--out", str(out), "--store", str(out / "runs.duckdb")]
    subprocess.run([sys.executable, "-c", code, *args], check=True, env=env, capture_output=True)
    return out / SCENARIO.stem / "report.html"


def shots(pages: dict[str, Path], repeats: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    result: dict[str, Any] = {}
    images: dict[str, list[bytes]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args, headless=True)
        for label, path in pages.items():
            best = float("inf")
            for _ in range(repeats):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                start = time.perf_counter()
                page.goto(path.as_uri())
                page.wait_for_function(DRAWN, timeout=120_000)
                best = min(best, time.perf_counter() - start)
                page.wait_for_timeout(500)  # let transitions settle before the screenshots
                images[label] = [el.screenshot() for el in page.locator("div.plot").all()]
                page.close()
            result[f"{label}_draw_s"] = round(best, 3)
        browser.close()
    old, new = images["old"], images["new"]
    result["figures"] = len(new)
    result["pixel_identical"] = len(old) == len(new) and all(
        a == b for a, b in zip(old, new, strict=True)
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-report-"))
    old_src = extract(args.baseline, scratch / "old")
    pages = {
        "old": report(old_src, scratch / "out-old"),
        "new": report(ROOT / "src", scratch / "out-new"),
    }
    sizes = {label: path.stat().st_size for label, path in pages.items()}
    row: dict[str, Any] = {
        "old_bytes": sizes["old"],
        "new_bytes": sizes["new"],
        "ratio": round(sizes["old"] / sizes["new"], 2),
    }
    if CHROMIUM.exists():
        row |= shots(pages, args.repeats)
    print(json.dumps(row))
    result = {
        "meta": {
            "machine": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": list(os.getloadavg()),
            "python": platform.python_version(),
            "baseline": args.baseline,
        },
        "ukraine_report": row,
    }
    out = HERE / "results" / "bench_report.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
