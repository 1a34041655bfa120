"""The web workbench's API, through FastAPI's TestClient, and fuzzed with schemathesis."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from offramp.assess import analyze
from offramp.errors import InputError
from offramp.problem import compile_problem
from offramp.report.extras import run_forecasts
from offramp.scenario import load_scenario, load_scenario_text
from offramp.store import RunStore
from offramp.uncertainty import sweep
from offramp.web import create_app
from tests.conftest import ROOT, SCENARIOS, ratifiable_ukraine

UKRAINE = "ukraine-2024-09.yaml"
RUSSIA_BATNA = ["actors", 1, "batna"]
UKRAINE_TEXT = ratifiable_ukraine()
"""The workbench's Ukraine: a public that might pass a freeze, so verdicts can change."""


def with_russia_batna(text: str, value: str) -> str:
    """The scenario text with Russia's batna line (whatever it says) set to ``value``."""
    start = text.index("  - id: russia\n")
    line = re.compile(r"^    batna: .*$", re.M).search(text, start)
    assert line is not None
    return text[: line.start()] + f"    batna: {value}" + text[line.end() :]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / UKRAINE).write_text(UKRAINE_TEXT, encoding="utf-8")
    shutil.copy(SCENARIOS / "textbook-two-party.yaml", tmp_path / "textbook-two-party.yaml")
    return tmp_path


@pytest.fixture
def client(folder: Path) -> Iterator[TestClient]:
    with TestClient(create_app(folder, store=folder / "no-store.duckdb")) as c:
        yield c


def test_lists_and_serves_scenarios(client: TestClient) -> None:
    names = [s["name"] for s in client.get("/scenarios").json()]
    assert names == ["textbook-two-party.yaml", UKRAINE]
    got = client.get(f"/scenarios/{UKRAINE}").json()
    assert got["yaml"] == UKRAINE_TEXT
    assert client.get("/scenarios/..%2Fpyproject.toml").status_code == 404


def test_analyze_matches_the_engine(client: TestClient) -> None:
    reply = client.post("/analyze", json={"name": UKRAINE})
    assert reply.status_code == 200
    body = reply.json()
    expected = analyze(
        compile_problem(load_scenario_text(UKRAINE_TEXT, UKRAINE)),
        forecasts=False,
        durability=False,
    )
    assert body["result"] == expected.to_dict()
    assert body["settled"] is False and body["axes"] == ["ukraine", "russia"]
    assert body["scenario"]["actors"][1]["id"] == "russia"
    # the web figure carries [example package, count] per point, not text
    point = next(t for t in body["figure"]["spec"]["data"] if "customdata" in t)
    assert len(point["customdata"][0]) == 2


def test_editing_russias_batna_changes_the_verdict(client: TestClient) -> None:
    body = client.post(
        "/analyze", json={"name": UKRAINE, "edits": [{"path": RUSSIA_BATNA, "value": 0.5}]}
    ).json()
    assert body["settled"] is True
    assert body["result"]["verdict"].startswith("A settlement is possible")
    assert body["scenario"]["actors"][1]["batna"] == 0.5


def test_analyze_yaml_text_and_axes(client: TestClient) -> None:
    text = (SCENARIOS / "textbook-two-party.yaml").read_text()
    body = client.post("/analyze", json={"yaml": text, "x": "south", "y": "north"}).json()
    assert body["result"]["ratified"]["count"] == 4 and body["axes"] == ["south", "north"]
    reply = client.post("/analyze", json={"yaml": text, "x": "nobody"})
    assert (
        reply.status_code == 422
        and "unknown actor 'nobody'" in reply.json()["problems"][0]["message"]
    )


def cli_problems(path: Path) -> list[str]:
    try:
        load_scenario(path)
    except InputError as error:
        return [str(p) for p in error.problems]
    raise AssertionError("expected an invalid scenario")


def test_validation_errors_are_the_clis_file_line_messages(
    client: TestClient, tmp_path: Path
) -> None:
    reply = client.post(
        "/analyze", json={"name": UKRAINE, "edits": [{"path": RUSSIA_BATNA, "value": 1.5}]}
    )
    assert reply.status_code == 422
    texts = [p["text"] for p in reply.json()["problems"]]
    # the same content through the CLI's loader gives the same message
    bad = tmp_path / "cli" / UKRAINE
    bad.parent.mkdir()
    original = UKRAINE_TEXT
    bad.write_text(with_russia_batna(original, "1.5"))
    assert [t.replace(UKRAINE, str(bad), 1) for t in texts] == cli_problems(bad)
    assert texts == ["ukraine-2024-09.yaml:160: actors[1].batna: must be at most 1; got 1.5"]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"yaml": "a: [", "file": "x.yaml"}, 422, "x.yaml:1: not valid YAML"),
        ({"yaml": "- 1\n", "file": "x.yaml"}, 422, "x.yaml:1: a scenario must be a mapping"),
        (
            {"name": UKRAINE, "edits": [{"path": ["actors", 99, "batna"], "value": 1}]},
            422,
            "ukraine-2024-09.yaml:102: actors[99].batna: cannot edit",
        ),
        ({"name": "nope.yaml"}, 404, "nope.yaml: no scenario named 'nope.yaml'"),
        ({}, 422, "<request>: give the scenario as `yaml` text or the `name`"),
        ({"yaml": 3}, 422, "<request>: yaml:"),
        ({"name": UKRAINE, "extra": 1}, 422, "<request>: extra:"),
    ],
)
def test_bad_requests(client: TestClient, body: dict[str, Any], status: int, words: str) -> None:
    reply = client.post("/analyze", json=body)
    assert reply.status_code == status
    assert any(p["text"].startswith(words) for p in reply.json()["problems"]), reply.json()


def test_forecast(client: TestClient) -> None:
    body = client.post("/forecast", json={"name": UKRAINE}).json()
    assert body["available"] is True
    models = {f["model"] for f in body["forecasts"]}
    assert {"compromise", "median", "eu"} <= models
    compromise = next(
        f for f in body["forecasts"] if f["model"] == "compromise" and f["issue"] == "territory"
    )
    found, _ = run_forecasts(compile_problem(load_scenario_text(UKRAINE_TEXT, UKRAINE)))
    expected = next(f.forecast for f in found["compromise"].issues if f.issue == "territory")
    assert compromise["trajectory"][-1] == pytest.approx(expected, abs=1e-6)
    assert body["table"]["columns"][0] == "issue"


def wait(client: TestClient, run_id: str) -> dict[str, Any]:
    for _ in range(600):
        run = client.get(f"/runs/{run_id}").json()
        if run["status"] not in ("queued", "running"):
            return run  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError("run did not finish")


def test_one_way_sweep_runs_in_the_background(client: TestClient) -> None:
    reply = client.post(
        "/sweep/one-way",
        json={"name": UKRAINE, "path": RUSSIA_BATNA, "values": [0.4, 0.6, 0.7, 2.0]},
    )
    assert reply.status_code == 202
    run = wait(client, reply.json()["id"])
    assert run["status"] == "done" and run["progress"] == 1.0
    rows = run["result"]["rows"]
    assert [r.get("settled") for r in rows[:3]] == [True, True, False]
    assert "must be at most 1" in rows[3]["error"]
    assert run["id"] in [r["id"] for r in client.get("/runs").json()]


def test_one_way_sweep_can_be_cancelled(client: TestClient) -> None:
    values = [0.3 + 0.002 * k for k in range(201)]
    run = client.post(
        "/sweep/one-way", json={"name": UKRAINE, "path": RUSSIA_BATNA, "values": values}
    )
    run_id = run.json()["id"]
    assert client.post(f"/runs/{run_id}/cancel").status_code == 200
    final = wait(client, run_id)
    assert final["status"] == "cancelled" and final["done"] < 201


def test_one_way_sweep_refuses_a_bad_path_up_front(client: TestClient) -> None:
    reply = client.post("/sweep/one-way", json={"name": UKRAINE, "path": ["nope"], "values": [1]})
    assert reply.status_code == 422
    assert client.get("/runs/nope").status_code == 404


def test_monte_carlo_sweep_is_the_engines_sweep(client: TestClient) -> None:
    edits = [{"path": RUSSIA_BATNA, "value": 0.6}]
    reply = client.post("/sweep", json={"name": UKRAINE, "edits": edits, "draws": 300, "seed": 5})
    assert reply.status_code == 202 and reply.json()["total"] == 300
    run = wait(client, reply.json()["id"])
    assert run["status"] == "done" and run["done"] == 300 and run["progress"] == 1.0
    text = UKRAINE_TEXT
    scenario = load_scenario_text(with_russia_batna(text, "0.6"), UKRAINE)
    expected, _ = sweep(compile_problem(scenario), draws=300, seed=5)
    assert run["result"]["summary"] == expected.to_dict()
    assert f"{expected.p_agreement:.1%}" in run["result"]["text"][0]
    bars = run["result"]["figures"][0]["spec"]["data"][0]
    assert bars["x"][-1] == expected.by_branch["us_election"]["harris"]["p_agreement"]


def test_monte_carlo_sweep_can_be_cancelled(client: TestClient) -> None:
    reply = client.post("/sweep", json={"name": UKRAINE, "draws": 100_000})
    run_id = reply.json()["id"]
    assert client.post(f"/runs/{run_id}/cancel").status_code == 200
    final = wait(client, run_id)
    assert final["status"] == "cancelled" and final["done"] < 100_000


def test_monte_carlo_sweep_needs_something_uncertain(client: TestClient) -> None:
    reply = client.post("/sweep", json={"name": "textbook-two-party.yaml"})
    assert reply.status_code == 422
    assert "nothing in this scenario is uncertain" in reply.json()["problems"][0]["message"]
    assert client.post("/sweep", json={"name": UKRAINE, "draws": 0}).status_code == 422


def probability(event: int, branch: int, value: float) -> dict[str, Any]:
    return {"path": ["events", event, "branches", branch, "probability"], "value": value}


def test_event_probability_edits(client: TestClient) -> None:
    # the US election: Harris 0.5 / Trump 0.5 in the file; the UI sets the other to 1 - p
    body = client.post(
        "/analyze",
        json={"name": UKRAINE, "edits": [probability(0, 0, 0.3), probability(0, 1, 0.7)]},
    ).json()
    branches = body["scenario"]["events"][0]["branches"]
    assert [b["probability"] for b in branches] == [0.3, 0.7]
    # editing one branch alone breaks the sum: the loader's own FILE:LINE message
    reply = client.post("/analyze", json={"name": UKRAINE, "edits": [probability(0, 0, 0.3)]})
    assert reply.status_code == 422
    lines = UKRAINE_TEXT.splitlines()
    line = lines.index("    branches:", lines.index("  - id: us_election")) + 1
    assert reply.json()["problems"][0]["text"] == (
        f"ukraine-2024-09.yaml:{line}: events[0].branches: the branch probabilities sum to "
        "0.8; they must sum to 1"
    )
    # the sweep sees the edited probabilities: more Trump draws, more agreements
    base = client.post("/sweep", json={"name": UKRAINE, "draws": 400, "seed": 1}).json()
    edited = client.post(
        "/sweep",
        json={
            "name": UKRAINE,
            "draws": 400,
            "seed": 1,
            "edits": [probability(0, 0, 0.1), probability(0, 1, 0.9)],
        },
    ).json()
    a, b = wait(client, base["id"]), wait(client, edited["id"])
    trump = [r["result"]["summary"]["by_branch"]["us_election"]["trump"]["draws"] for r in (a, b)]
    assert trump[0] < 250 < trump[1]
    assert b["result"]["summary"]["p_agreement"] > a["result"]["summary"]["p_agreement"]


def test_runs_include_the_run_store_read_only(folder: Path, tmp_path: Path) -> None:
    store = tmp_path / "store" / "runs.duckdb"
    scenario = load_scenario(SCENARIOS / "textbook-two-party.yaml")
    with RunStore(store) as s:
        stored_id = s.record_analysis(analyze(compile_problem(scenario)), "textbook-two-party.yaml")
    with TestClient(create_app(folder, store=store)) as c:
        runs = c.get("/runs").json()
        assert [(r["id"], r["origin"], r["status"]) for r in runs] == [(stored_id, "store", "done")]
        one = c.get(f"/runs/{stored_id[:17]}").json()
        assert one["origin"] == "store" and one["result"]["ratified"]["count"] == 4
        assert c.get("/runs/20991231").status_code == 404
        assert c.post(f"/runs/{stored_id}/cancel").status_code == 404
    # no store: only the server's runs
    with TestClient(create_app(folder, store=tmp_path / "none.duckdb")) as c:
        assert c.get("/runs").json() == []


def test_save_variant_keeps_comments_and_sources(client: TestClient, folder: Path) -> None:
    body = {
        "name": UKRAINE,
        "edits": [{"path": RUSSIA_BATNA, "value": 0.55}],
        "save_as": "ukraine-soft-russia.yaml",
        "id": "ukraine-soft-russia",
    }
    reply = client.post("/variants", json=body)
    assert reply.status_code == 201, reply.json()
    saved = (folder / "ukraine-soft-russia.yaml").read_text()
    original = UKRAINE_TEXT
    assert saved.startswith("# Variant of ukraine-2024-09.yaml saved by the offramp workbench")
    assert "# Changed: actors[1].batna = 0.55" in saved
    assert "# Scales: on every issue, 0 is Kyiv's stated aim and 100 is Moscow's." in saved
    assert "id: ukraine-soft-russia\n" in saved and "    batna: 0.55\n" in saved
    # everything else is byte for byte the original
    body_lines = saved.split("\n", 2)[2]
    expected = with_russia_batna(original, "0.55").replace(
        "id: ukraine-2024-09\n", "id: ukraine-soft-russia\n"
    )
    assert body_lines == expected
    variant = load_scenario(folder / "ukraine-soft-russia.yaml")
    assert variant.actor("russia").batna == 0.55 and variant.id == "ukraine-soft-russia"
    # never overwrite; names are checked
    assert client.post("/variants", json=body).status_code == 409
    assert client.post("/variants", json={**body, "save_as": "../x.yaml"}).status_code == 422


def test_report_download(client: TestClient) -> None:
    reply = client.post("/report", json={"name": "textbook-two-party.yaml"})
    assert reply.status_code == 200 and reply.text.startswith("<!DOCTYPE html>")
    assert "attachment" in reply.headers["content-disposition"]


def test_ui_and_static_files(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'src="static/plotly.min.js"' in page.text
    assert client.get("/static/plotly.min.js").text.startswith("/**")
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/secret").status_code == 404


def test_token_guards_every_request(folder: Path) -> None:
    with TestClient(create_app(folder, token="s3cret")) as c:
        assert c.get("/scenarios").status_code == 401
        assert c.post("/analyze", json={"name": UKRAINE}).status_code == 401
        assert c.get("/scenarios", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/scenarios", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert c.get("/scenarios", headers={"X-Offramp-Token": "s3cret"}).status_code == 200
        # opening the UI with ?token= sets a cookie the page's own requests then carry
        assert c.get("/?token=s3cret").status_code == 200
        assert c.get("/scenarios").status_code == 200


def test_serve_refuses_a_public_address_without_token() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "offramp", "serve", str(SCENARIOS), "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "--token" in done.stderr and "Traceback" not in done.stderr


def test_openapi_lists_the_contract_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in [
        ("/analyze", "post"),
        ("/forecast", "post"),
        ("/sweep", "post"),
        ("/runs", "get"),
        ("/runs/{run_id}", "get"),
    ]:
        assert method in paths[path]


def test_fuzz_no_server_errors(folder: Path) -> None:
    """Schemathesis against the app's own OpenAPI spec: no input gives a 5xx."""
    import hypothesis
    import schemathesis
    from schemathesis.checks import not_a_server_error

    app = create_app(folder)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    settings = hypothesis.settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(hypothesis.HealthCheck),
        database=None,
    )
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings
        @hypothesis.given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = case.call()
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.path}: {response.status_code}")
            case.validate_response(response, checks=[not_a_server_error])

        check()
    assert not failures


def test_yaml_that_trips_ruamel_scalars_is_a_422(client: TestClient) -> None:
    # ruamel raises a plain ValueError on `!!float .`; the API answers like the CLI
    reply = client.post("/analyze", json={"yaml": "x: !!float .\n", "file": "odd.yaml"})
    assert reply.status_code == 422, reply.text
    assert reply.json()["problems"][0]["text"].startswith("odd.yaml: not valid YAML")
