"""Time the workbench API on the shipped Ukraine scenario (run by hand, not in CI).

    .venv/bin/python benchmarks/bench_web.py

Prints the server-side time (``elapsed_ms`` in the reply) and the round trip
through FastAPI's TestClient of ``POST /analyze`` and ``POST /forecast``:
the first request for a scenario text (which parses the YAML, ~0.1 s with
ruamel.yaml) and then repeated requests with a different edit each time (as
the browser sends when a slider moves: the parse is cached).
"""

from __future__ import annotations

import statistics
import time
import warnings
from pathlib import Path

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from offramp.web import create_app

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "scenarios" / "ukraine-2024-09.yaml").read_text()


def once(client: TestClient, endpoint: str, value: float) -> tuple[float, float]:
    body = {
        "yaml": TEXT,
        "file": "ukraine.yaml",
        "edits": [{"path": ["actors", 1, "batna"], "value": value}],
    }
    start = time.perf_counter()
    reply = client.post(endpoint, json=body)
    total = (time.perf_counter() - start) * 1000
    assert reply.status_code == 200, reply.text
    return float(reply.json()["elapsed_ms"]), total


def main() -> None:
    client = TestClient(create_app(ROOT / "scenarios"))
    for endpoint in ("/analyze", "/forecast"):
        cold = once(client, endpoint, 0.70)
        warm = [once(client, endpoint, 0.40 + 0.01 * k) for k in range(30)]
        server = [w[0] for w in warm]
        trip = [w[1] for w in warm]
        print(
            f"{endpoint}: first request {cold[0]:.0f} ms on the server "
            f"({cold[1]:.0f} ms round trip); then median {statistics.median(server):.0f} ms "
            f"(max {max(server):.0f}) on the server, "
            f"median {statistics.median(trip):.0f} ms round trip, over {len(warm)} edits"
        )


if __name__ == "__main__":
    main()
