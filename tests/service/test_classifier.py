"""Model hot reload: a promoted model is picked up without restart and without a failed request."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from tests.service.helpers import AuthActions, assert_error
from triage.engine import resolve_model_dir


def add_version(root: Path, version: str) -> Path:
    """Copy the active model into root/<version>, with that version in its metadata."""
    folder = root / version
    shutil.copytree(resolve_model_dir(), folder)
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    (folder / "metadata.json").write_text(json.dumps({**metadata, "version": version}), encoding="utf-8")
    return folder


def promote(root: Path, version: str) -> None:
    """Point ACTIVE at `version` (atomically, as a deploy script should) with a fresh mtime."""
    temporary = root / "ACTIVE.tmp"
    temporary.write_text(version + "\n", encoding="utf-8")
    stamp = time.time_ns()
    os.utime(temporary, ns=(stamp, stamp))
    os.replace(temporary, root / "ACTIVE")


@pytest.fixture
def models(tmp_path) -> Path:
    root = tmp_path / "models"
    root.mkdir()
    for version in ("test-v1", "test-v2"):
        add_version(root, version)
    promote(root, "test-v1")
    return root


def classify(client, headers) -> dict:
    response = client.post("/v1/classify", json={"text": "nhà tôi bị trộm xe máy"}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_a_promoted_model_is_served_on_the_next_check(make_app, engine, models):
    app = make_app(MODELS_DIR=str(models), MODEL_RELOAD_SECONDS=0,
                   TRIAGE_ENGINE=engine.with_model(models / "test-v1"))
    client, headers = app.test_client(), AuthActions(app).headers()
    assert classify(client, headers)["model_version"] == "test-v1"
    promote(models, "test-v2")
    assert classify(client, headers)["model_version"] == "test-v2"
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'triage_model_info{version="test-v2"} 1.0' in metrics
    assert 'triage_model_info{version="test-v1"} 0.0' in metrics
    assert client.get("/readyz").get_json()["model"]["version"] == "test-v2"


def test_checks_are_rate_limited(make_app, engine, models):
    app = make_app(MODELS_DIR=str(models), MODEL_RELOAD_SECONDS=3600,
                   TRIAGE_ENGINE=engine.with_model(models / "test-v1"))
    client, headers = app.test_client(), AuthActions(app).headers()
    classify(client, headers)
    promote(models, "test-v2")
    assert classify(client, headers)["model_version"] == "test-v1"


def test_a_broken_promotion_keeps_the_old_model_and_shows_in_readyz(make_app, engine, models):
    app = make_app(MODELS_DIR=str(models), MODEL_RELOAD_SECONDS=0,
                   TRIAGE_ENGINE=engine.with_model(models / "test-v1"))
    client, headers = app.test_client(), AuthActions(app).headers()
    (models / "test-v2" / "model.joblib").write_bytes(b"truncated")
    promote(models, "test-v2")
    assert classify(client, headers)["model_version"] == "test-v1"
    ready = client.get("/readyz").get_json()
    assert ready["status"] == "degraded" and "sha256" in ready["model"]["error"]


def test_without_a_model_classify_is_503_until_one_is_promoted(make_app, tmp_path):
    root = tmp_path / "empty-models"
    root.mkdir()
    app = make_app(MODELS_DIR=str(root), MODEL_RELOAD_SECONDS=0, TRIAGE_ENGINE=None)
    client, headers = app.test_client(), AuthActions(app).headers()
    assert_error(client.post("/v1/classify", json={"text": "chào"}, headers=headers), 503, "unavailable",
                 "No model loaded")
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["status"] == "unavailable"
    add_version(root, "first")
    promote(root, "first")
    assert classify(client, headers)["model_version"] == "first"


def test_no_request_fails_while_models_are_swapped(make_app, engine, models):
    app = make_app(MODELS_DIR=str(models), MODEL_RELOAD_SECONDS=0,
                   TRIAGE_ENGINE=engine.with_model(models / "test-v1"))
    headers = AuthActions(app).headers()
    statuses: list[int] = []
    versions: set[str] = set()
    stop = threading.Event()

    def hammer() -> None:
        client = app.test_client()
        while not stop.is_set():
            response = client.post("/v1/classify", json={"text": "mất trộm gà ở thôn Đông"}, headers=headers)
            statuses.append(response.status_code)
            versions.add(response.get_json().get("model_version", "?"))

    workers = [threading.Thread(target=hammer) for _ in range(3)]
    for worker in workers:
        worker.start()
    for version in ("test-v2", "test-v1", "test-v2"):
        time.sleep(0.3)
        promote(models, version)
    time.sleep(0.3)
    stop.set()
    for worker in workers:
        worker.join()
    assert statuses and set(statuses) == {200}
    assert versions == {"test-v1", "test-v2"}
