"""The workbench API behind what a new user meets (the browser tests drive the same in chromium)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from offramp.scenario import load_scenario
from offramp.web import create_app
from tests.conftest import SCENARIOS, ratifiable_ukraine

UKRAINE = SCENARIOS / "ukraine-2024-09.yaml"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    # a Ukraine whose public might pass a freeze, so the verdict can change
    (tmp_path / "ukraine-2024-09.yaml").write_text(ratifiable_ukraine(), encoding="utf-8")
    shutil.copy(SCENARIOS / "textbook-two-party.yaml", tmp_path / "textbook-two-party.yaml")
    return tmp_path


def test_api_docs_need_no_cdn(folder: Path) -> None:
    client = TestClient(create_app(folder))
    page = client.get("/docs")
    assert page.status_code == 200
    assert not re.search(r"(src|href)=['\"]https?://", page.text)
    for asset in re.findall(r"(?:src|href)=['\"](/static-offline-docs/[^'\"]+)", page.text):
        assert client.get(asset).status_code == 200, asset
    assert client.get("/redoc").status_code == 404


def test_scenarios_say_which_file_serve_named(folder: Path) -> None:
    listed = TestClient(create_app(folder / "textbook-two-party.yaml")).get("/scenarios").json()
    assert listed == [
        {
            "name": "textbook-two-party.yaml",
            "title": load_scenario(folder / "textbook-two-party.yaml").title,
            "default": True,
        }
    ]
    listed = TestClient(create_app(folder)).get("/scenarios").json()
    assert [s["default"] for s in listed] == [False, False]


def test_a_distribution_is_edited_as_a_distribution(folder: Path) -> None:
    client = TestClient(create_app(folder))
    path = ["actors", 1, "batna"]
    body = {"name": "ukraine-2024-09.yaml"}
    before = client.post("/analyze", json=body).json()["scenario"]
    assert {"path": path, "spec": {"triangular": [0.65, 0.7, 0.8]}} in before["distributions"]
    edit = {"path": path, "value": {"triangular": [0.4, 0.45, 0.5]}}
    after = client.post("/analyze", json={**body, "edits": [edit]}).json()
    assert after["scenario"]["actors"][1]["batna"] == 0.45  # the mode is the point value
    assert after["settled"] is True
    saved = client.post(
        "/variants", json={**body, "edits": [edit], "save_as": "variant.yaml"}
    ).json()
    original = ratifiable_ukraine().splitlines()
    lines = saved["yaml"].splitlines()
    changed = [line for line in lines if "triangular: [0.4, 0.45, 0.5]" in line]
    assert changed == ["    batna: {triangular: [0.4, 0.45, 0.5]}"]
    assert len(lines) == len(original) + 2  # the two header comment lines only
    russia = load_scenario(folder / "variant.yaml").actor("russia")
    assert russia.batna == 0.45 and russia.batna.distribution is not None  # type: ignore[union-attr]
    # a bad distribution gets the loader's FILE:LINE message, and nothing else
    edit["value"] = {"triangular": [0.6, 0.5, 0.4]}
    bad = client.post("/analyze", json={**body, "edits": [edit]})
    assert bad.status_code == 422
    assert [p["text"] for p in bad.json()["problems"]] == [
        "ukraine-2024-09.yaml:160: actors[1].batna: triangular: needs low <= most likely <= "
        "high and low < high; got [0.6, 0.5, 0.4]"
    ]


def test_forecast_charts_name_their_model_and_options(folder: Path) -> None:
    reply = TestClient(create_app(folder)).post(
        "/forecast", json={"name": "textbook-two-party.yaml"}
    )
    figures = reply.json()["figures"]
    assert figures, "the dynamic models draw round-by-round charts"
    for figure in figures:
        assert figure["name"] and figure["name"] in figure["title"]
        assert figure["options"] in figure["title"]
    eu = next(f for f in figures if f["model"] == "eu")
    assert "rounds=10" in eu["options"]
