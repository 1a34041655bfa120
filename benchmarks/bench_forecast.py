"""Benchmark the forecast engines against public peer implementations (run by hand).

    .venv/bin/python benchmarks/bench_forecast.py [--draws 10000] [--actors 50]
        [--only monte-carlo] [--numpy-only] [--threads N]

Peers (never imported by offramp, never copied into it; fetched into the
gitignored ``benchmarks/.scratch`` and ``benchmarks/.env-decide``):

* the pure-Python replication of Scholz et al. (2011) by J. McKibben-Sanders,
  Python 3 fork github.com/dmasad/bdm-scholz-expected-utility-model, file
  ``bdm_scholz_model.py`` copied to ``benchmarks/.scratch/``;
* ``decide-exchange-model`` from PyPI (the DECIDE exchange model), installed
  with ``python -m venv benchmarks/.env-decide &&
  benchmarks/.env-decide/bin/pip install decide-exchange-model``.

It checks that both give the same answers as offramp on the same input, and
prints timings; the figures go into docs/forecast.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from offramp.forecast import _eu_kernel, eu, exchange, expected_utility, read_table

HERE = Path(__file__).resolve().parent
SCRATCH = HERE / ".scratch"
DECIDE_PY = HERE / ".env-decide" / "bin" / "python"
EMISSION = HERE.parent / "tests" / "data" / "forecast" / "emission_bdm1994.csv"
ROUNDS = 10


def best_of(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_eu() -> None:
    table = read_table(EMISSION)
    x, c, s = table.position, table.capability, table.salience / 100.0
    options = {"probability": "all_pairs", "offer": "by_type"}  # the defaults, spelled out
    trace = expected_utility(x, c, s, rounds=ROUNDS, **options)
    print("EU emission case, the defaults: Scholz-program options (all_pairs, by_type)")
    print(
        f"  round-1 median {trace.median[0, 1]:.3f}; final median {trace.final[0]:.3f},"
        f" final mean {trace.mean[0, -1]:.3f}; actual outcome 8.833"
    )
    printed = np.loadtxt(EMISSION.parent / "scholz2011_table2.csv", delimiter=",", skiprows=12)
    print(
        "  largest |mean - printed Table 2| over rounds 0-10:"
        f" {np.abs(trace.mean[0] - printed[:, 1]).max():.3f}"
    )
    text = expected_utility(x, c, s, rounds=ROUNDS, probability="pairwise", offer="closest")
    print(f"  paper-text options: median per round {np.round(text.median[0], 3).tolist()}")
    print(f"  paper-text options: mean per round   {np.round(text.mean[0], 3).tolist()}")
    peer_file = SCRATCH / "bdm_scholz_model.py"
    if not peer_file.exists():
        print(f"  peer missing: put bdm_scholz_model.py in {SCRATCH}")
        return
    sys.path.insert(0, str(SCRATCH))
    import bdm_scholz_model as peer

    rows = [
        {"Actor": a, "Capability": str(ci), "Position": str(xi), "Salience": str(si)}
        for a, ci, xi, si in zip(table.actors, c, x, s, strict=True)
    ]

    def run_peer() -> list[float]:
        model = peer.BDMScholzModel(rows, verbose=False)
        means = [model.mean_position()]
        for _ in range(ROUNDS):
            model.update_risk_aversions()
            model.update_positions()
            means.append(model.mean_position())
        return means

    peer_means = run_peer()
    diff = np.abs(np.array(peer_means) - trace.mean[0]).max()
    print("  round  peer-mean  offramp-mean")
    for k, (a, b) in enumerate(zip(peer_means, trace.mean[0], strict=True)):
        print(f"  {k:5d}  {a:9.4f}  {b:12.4f}")
    print(f"  max |difference| {diff:.2e}")
    t_peer = best_of(run_peer, 3)
    t_one = best_of(lambda: expected_utility(x, c, s, rounds=ROUNDS, **options), 5)
    batch = np.broadcast_to(x, (1000, x.size))
    t_batch = best_of(lambda: expected_utility(batch, c, s, rounds=ROUNDS, **options), 1) / 1000
    print(
        f"  per run: peer {t_peer * 1e3:.1f} ms, offramp single {t_one * 1e3:.1f} ms"
        f" ({t_peer / t_one:.0f}x), offramp in a batch of 1000 {t_batch * 1e6:.0f} us"
        f" ({t_peer / t_batch:.0f}x)"
    )


def bench_monte_carlo(draws: int, actors: int) -> None:
    rng = np.random.default_rng(2024)
    x = rng.uniform(0, 100, (draws, actors))
    c = rng.uniform(0.05, 1, (draws, actors))
    s = rng.uniform(0.05, 1, (draws, actors))
    kernel = "numba kernels" if eu._USE_KERNEL else "numpy engine only"
    threads = eu._threads() if eu._USE_KERNEL else 1
    expected_utility(x[:4], c[:4], s[:4], rounds=1)  # compile / load the kernels first
    for model, fn in (
        (
            "eu (pairwise, closest)",
            lambda: expected_utility(
                x, c, s, rounds=ROUNDS, probability="pairwise", offer="closest"
            ),
        ),
        (
            "eu (default options: all_pairs, by_type)",
            lambda: expected_utility(x, c, s, rounds=ROUNDS),
        ),
    ):
        cpu0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        print(
            f"Monte Carlo {draws} draws x {actors} actors x {ROUNDS} rounds, {model}"
            f" ({kernel}, {threads} thread(s)): {wall:.2f} s wall, {cpu:.2f} s CPU"
        )


# The DECIDE driver runs in DECIDE's own environment; it only calls DECIDE's public
# classes (EqualGainModel, Issue, ModelLoop) and records what they produce.
DRIVER = r"""
import json, sys, time
from decimal import Decimal
from decide.model import equalgain
from decide.model.base import Issue
from decide.model.utils import ModelLoop

case = json.load(sys.stdin)
x, c, s, rounds = case["x"], case["c"], case["s"], case["rounds"]
n, m = len(x), len(x[0])
equalgain.EqualGainModel.ALLOW_RANDOM = False  # no coin flips on exact ties
model = equalgain.EqualGainModel()
model.VERBOSE = False
for a in range(n):
    model.add_actor(f"a{a}")
for d in range(m):
    issue = Issue(f"i{d}", lower=0, upper=100)
    model.issues[issue] = issue
for a in range(n):
    for d in range(m):
        model.add_actor_issue(f"a{a}", f"i{d}", Decimal(str(x[a][d])),
                              Decimal(repr(s[a][d])), Decimal(repr(c[a][d])))


class Recorder:
    def __init__(self):
        self.voting, self.start, self.realized = [], [], []

    def grid(self):
        table = model.actor_issues
        return [[str(table[f"i{d}"][f"a{a}"].position) for d in range(m)] for a in range(n)]

    def before_loop(self, *args, **kwargs):
        self.start.append(self.grid())
        self.realized.append(0)

    def execute_exchange(self, exchange):
        self.realized[-1] += 1

    def end_loop(self, *args, **kwargs):
        self.voting.append(self.grid())

    def removed_exchanges(self, *args, **kwargs):
        pass

    def after_loop(self, *args, **kwargs):
        pass


rec = Recorder()
loop = ModelLoop(model, rec, 0)
t0 = time.perf_counter()
for _ in range(rounds):
    loop.loop()
seconds = time.perf_counter() - t0
rec.start.append(rec.grid())
print(json.dumps({"voting": rec.voting, "start": rec.start, "realized": rec.realized,
                  "seconds": seconds}))
"""


def run_decide(x: Any, c: np.ndarray, s: np.ndarray, rounds: int) -> dict[str, Any]:
    """Run DECIDE's equal-gain model; positions come back as exact decimal strings."""
    case = json.dumps({"x": x, "c": c.tolist(), "s": s.tolist(), "rounds": rounds})
    out = subprocess.run(
        [str(DECIDE_PY), "-c", DRIVER], input=case, capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def as_float(grid: list[list[str]]) -> np.ndarray:
    return np.array([[float(v) for v in row] for row in grid])


def exchange_cases(count: int = 24) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The hand-computed 2x2 case and random 6-10 actor x 3-5 issue cases."""
    cases = {
        "2x2 by hand": (
            np.array([[0.0, 0.0], [60.0, 60.0]]),
            np.array([[2.0, 1.0], [1.0, 3.0]]),
            np.array([[0.75, 0.25], [1 / 3, 2 / 3]]),
        ),
    }
    rng = np.random.default_rng(7)
    for k in range(count):
        n, m = int(rng.integers(6, 11)), int(rng.integers(3, 6))
        cases[f"random {n}x{m} #{k}"] = (
            np.round(rng.uniform(0, 100, (n, m)), 1),
            np.round(rng.uniform(0.1, 1, (n, m)), 2),
            np.round(rng.uniform(0.1, 1, (n, m)), 2),
        )
    return cases


def bench_exchange(rounds: int = 5) -> None:
    """offramp's ``procedure="decide"`` against DECIDE, same input, same answers.

    Three checks per case: round 1 (from the same input); all rounds chained
    (each program from its own previous round); and each round separately, offramp
    starting from DECIDE's start positions rounded to doubles.  A round that
    differs is rerun in DECIDE from those rounded positions: if DECIDE's own answer
    changes, the round hinges on an exact tie in DECIDE's 28-digit arithmetic.
    """
    if not DECIDE_PY.exists():
        print(f"decide-exchange-model missing: create {DECIDE_PY.parent.parent}")
        return
    cases = exchange_cases()
    tol = 1e-9
    first_ok = chained_ok = rounds_ok = rounds_all = ties = 0
    worst_first = 0.0
    ratios = []
    print(f"exchange, procedure='decide' vs DECIDE (equal gain), {rounds} rounds")
    for name, (x, c, s) in cases.items():
        peer = run_decide(x.tolist(), c, s, rounds)
        ours = exchange(x, c, s, procedure="decide", rounds=rounds)
        diff = np.abs(as_float(peer["voting"][0]) - ours.positions[0, 1]).max()
        worst_first = max(worst_first, diff)
        first_ok += diff <= tol
        chained = np.abs(np.array([as_float(v) for v in peer["voting"]]) - ours.positions[0, 1:])
        chained_ok += chained.max() <= tol
        notes = []
        for r in range(rounds):
            start = as_float(peer["start"][r])
            alone = exchange(start, c, s, procedure="decide").positions[0, 1]
            rounds_all += 1
            if np.abs(alone - as_float(peer["voting"][r])).max() <= tol:
                rounds_ok += 1
                continue
            rounded = run_decide(start.tolist(), c, s, 1)
            sensitive = np.abs(as_float(rounded["voting"][0]) - as_float(peer["voting"][r])).max()
            same = np.abs(as_float(rounded["voting"][0]) - alone).max() <= tol
            ties += bool(sensitive > tol and same)
            notes.append(
                f"round {r + 1} differs; DECIDE from the rounded start "
                + ("changes its own answer and equals offramp" if same else "still differs")
            )
        t_ours = best_of(
            lambda x=x, c=c, s=s: exchange(x, c, s, procedure="decide", rounds=rounds), 3
        )
        ratios.append(peer["seconds"] / t_ours)
        print(
            f"  {name}: realized per round {peer['realized']};"
            f" round 1 max |difference| {diff:.1e}, chained {chained.max():.1e};"
            f" DECIDE {peer['seconds'] * 1e3:.0f} ms, offramp {t_ours * 1e3:.1f} ms"
            + ("; " + "; ".join(notes) if notes else "")
        )
    n_cases = len(cases)
    print(
        f"  round 1 equal (<= {tol:g}) in {first_ok}/{n_cases} cases (largest {worst_first:.1e});"
        f" all {rounds} rounds chained equal in {chained_ok}/{n_cases};"
        f" rounds equal from DECIDE's start {rounds_ok}/{rounds_all},"
        f" of the others {ties} hinge on a tie in DECIDE's decimal arithmetic"
    )
    print(
        f"  speed, one run ({rounds} rounds): offramp/DECIDE ratio median"
        f" {np.median(ratios):.1f}x (range {min(ratios):.1f}-{max(ratios):.1f}x),"
        " DECIDE's model loop timed in its process, without interpreter start"
    )
    rng = np.random.default_rng(3)
    draws = 1000
    xb = rng.uniform(0, 100, (draws, 10, 5))
    cb, sb = rng.uniform(0.1, 1, (draws, 10, 5)), rng.uniform(0.1, 1, (draws, 10, 5))
    t_batch = best_of(lambda: exchange(xb, cb, sb, procedure="decide", rounds=rounds), 1)
    t_pub = best_of(lambda: exchange(xb, cb, sb, rounds=rounds), 1)
    print(
        f"  {draws} draws x 10 actors x 5 issues x {rounds} rounds: procedure='decide'"
        f" {t_batch:.1f} s ({t_batch / draws * 1e3:.1f} ms per draw),"
        f" procedure='published' {t_pub:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--actors", type=int, default=50)
    parser.add_argument("--only", choices=["monte-carlo"], help="run only this part")
    parser.add_argument("--numpy-only", action="store_true", help="switch the kernels off")
    parser.add_argument("--threads", type=int, help="worker threads (OFFRAMP_THREADS)")
    args = parser.parse_args()
    if args.numpy_only or not _eu_kernel.AVAILABLE:
        eu._USE_KERNEL = False
    if args.threads:
        os.environ["OFFRAMP_THREADS"] = str(args.threads)
    if args.only is None:
        bench_eu()
        bench_exchange()
    bench_monte_carlo(args.draws, args.actors)


if __name__ == "__main__":
    main()
