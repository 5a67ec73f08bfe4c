"""`triage models promote` and `rollback` reach a running app through its hot reload, without restart."""

from __future__ import annotations

import time

from click.testing import CliRunner

from service.cli import main
from tests.service.helpers import AuthActions
from tests.test_registry import add_version
from triage.registry import promote


def served_version(client, headers) -> str:
    response = client.post("/v1/classify", json={"text": "nhà tôi bị trộm xe máy"}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["model_version"]


def wait_for(client, headers, version: str, seconds: float = 5.0) -> float:
    started = time.monotonic()
    while served_version(client, headers) != version:
        assert time.monotonic() - started < seconds, f"{version} not served after {seconds} s"
        time.sleep(0.1)
    return time.monotonic() - started


def test_promote_and_rollback_are_served_within_seconds(make_app, tmp_path):
    models = tmp_path / "models"
    add_version(models, "old", macro_f1=0.90)
    add_version(models, "new", macro_f1=0.91)
    promote(models, "old")
    app = make_app(MODELS_DIR=str(models), MODEL_RELOAD_SECONDS=0.5, TRIAGE_ENGINE=None)
    client, headers = app.test_client(), AuthActions(app).headers()
    assert served_version(client, headers) == "old"
    result = CliRunner().invoke(main, ["models", "promote", "new", "--models-dir", str(models)])
    assert result.exit_code == 0, result.output
    assert wait_for(client, headers, "new") < 5
    result = CliRunner().invoke(main, ["models", "rollback", "--models-dir", str(models)])
    assert result.exit_code == 0, result.output
    assert wait_for(client, headers, "old") < 5
