"""Benchmark the forecast engines against public peer implementations (run by hand).

    .venv/bin/python benchmarks/bench_forecast.py [--draws 10000] [--actors 50]

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
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from offramp.forecast import exchange, expected_utility, read_table

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
    options = {"probability": "all_pairs", "offer": "by_type"}
    trace = expected_utility(x, c, s, rounds=ROUNDS, **options)
    print("EU emission case, Scholz-program options (all_pairs, by_type)")
    print(
        f"  round-1 median {trace.median[0, 1]:.3f}; final median {trace.final[0]:.3f},"
        f" final mean {trace.mean[0, -1]:.3f}; actual outcome 8.833"
    )
    printed = np.loadtxt(EMISSION.parent / "scholz2011_table2.csv", delimiter=",", skiprows=12)
    print(
        "  largest |mean - printed Table 2| over rounds 0-10:"
        f" {np.abs(trace.mean[0] - printed[:, 1]).max():.3f}"
    )
    default = expected_utility(x, c, s, rounds=ROUNDS)
    print(f"  default options: median per round {np.round(default.median[0], 3).tolist()}")
    print(f"  default options: mean per round   {np.round(default.mean[0], 3).tolist()}")
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
    for model, fn in (
        ("eu (default options)", lambda: expected_utility(x, c, s, rounds=ROUNDS)),
        (
            "eu (all_pairs, by_type)",
            lambda: expected_utility(
                x, c, s, rounds=ROUNDS, probability="all_pairs", offer="by_type"
            ),
        ),
    ):
        t = best_of(fn, 1)
        print(f"Monte Carlo {draws} draws x {actors} actors x {ROUNDS} rounds, {model}: {t:.2f} s")


DRIVER = r"""
import json, sys
from decimal import Decimal
from decide.model import equalgain
from decide.model.base import Issue
case = json.load(sys.stdin)
x, c, s = case["x"], case["c"], case["s"]
n, m = len(x), len(x[0])
model = equalgain.EqualGainModel()
equalgain.EqualGainModel.ALLOW_RANDOM = False
model.VERBOSE = False
for a in range(n):
    model.add_actor(f"a{a}")
for d in range(m):
    issue = Issue(f"i{d}", lower=0, upper=100)
    model.issues[issue] = issue
for a in range(n):
    for d in range(m):
        model.add_actor_issue(f"a{a}", f"i{d}", Decimal(repr(x[a][d])),
                              Decimal(repr(s[a][d])), Decimal(repr(c[a][d])))
model.calc_nbs(); model.determine_positions(); model.calc_combinations()
model.determine_groups_and_calculate_exchanges()
realized = []
while model.exchanges:
    ex = model.highest_gain()
    if ex and ex.is_valid:
        model.remove_invalid_exchanges(ex)
        realized.append(ex)
out = [[float(x[a][d]) for d in range(m)] for a in range(n)]
gains = []
for ex in realized:
    for side in (ex.i, ex.j):
        a = int(side.actor.name[1:]); d = int(side.supply.issue.name[1:])
        out[a][d] = float(side.y)
    gains.append(float(ex.gain))
print(json.dumps({"positions": out, "gains": gains}))
"""


def run_decide(x: np.ndarray, c: np.ndarray, s: np.ndarray) -> dict[str, Any]:
    case = json.dumps({"x": x.tolist(), "c": c.tolist(), "s": s.tolist()})
    out = subprocess.run(
        [str(DECIDE_PY), "-c", DRIVER], input=case, capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def bench_exchange() -> None:
    if not DECIDE_PY.exists():
        print(f"decide-exchange-model missing: create {DECIDE_PY.parent.parent}")
        return
    cases = {
        "2x2 by hand": (
            np.array([[0.0, 0.0], [60.0, 60.0]]),
            np.array([[2.0, 1.0], [1.0, 3.0]]),
            np.array([[0.75, 0.25], [1 / 3, 2 / 3]]),
        ),
    }
    rng = np.random.default_rng(7)
    for k in range(12):
        n, m = 6, 3
        cases[f"random {n}x{m} #{k}"] = (
            np.round(rng.uniform(0, 100, (n, m)), 1),
            np.round(rng.uniform(0.1, 1, (n, m)), 2),
            np.round(rng.uniform(0.1, 1, (n, m)), 2),
        )
    for name, (x, c, s) in cases.items():
        t0 = time.perf_counter()
        peer = run_decide(x, c, s)
        t_peer = time.perf_counter() - t0
        ours = exchange(x, c, s)
        again = exchange(x, c, s, recalculate=True)
        t_ours = best_of(lambda x=x, c=c, s=s: exchange(x, c, s), 5)
        diff = np.abs(np.array(peer["positions"]) - ours.positions[0, 1]).max()
        diff_re = np.abs(np.array(peer["positions"]) - again.positions[0, 1]).max()
        n_ours = int((ours.events["exchanges"]["i"][0, 0] >= 0).sum())
        n_re = int((again.events["exchanges"]["i"][0, 0] >= 0).sum())
        print(
            f"exchange {name}: {len(peer['gains'])} exchanges in decide, {n_ours} in offramp"
            f" ({n_re} with recalculate=True); max |voting position difference| {diff:.2e}"
            f" ({diff_re:.2e} with recalculate=True);"
            f" decide {t_peer * 1e3:.0f} ms incl. start-up, offramp {t_ours * 1e3:.2f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--actors", type=int, default=50)
    args = parser.parse_args()
    bench_eu()
    bench_exchange()
    bench_monte_carlo(args.draws, args.actors)


if __name__ == "__main__":
    main()
