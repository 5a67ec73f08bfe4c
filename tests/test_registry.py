"""Model versions: list, promote (gated on dev metrics, refusing broken folders), rollback via HISTORY."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from triage.cli import main
from triage.engine import resolve_model_dir
from triage.errors import ModelError
from triage.registry import HISTORY_FILE, active_version, list_versions, promote, regressions, rollback


def add_version(root: Path, version: str, **metrics: float) -> Path:
    """A copy of the bundled active model named `version`, with some dev metrics changed."""
    folder = root / version
    shutil.copytree(resolve_model_dir(), folder)
    path = folder / "metadata.json"
    metadata = json.loads(path.read_text(encoding="utf-8"))
    metadata.update(version=version, dev_metrics={**metadata["dev_metrics"], **metrics})
    path.write_text(json.dumps(metadata), encoding="utf-8")
    return folder


@pytest.fixture
def models(tmp_path) -> Path:
    root = tmp_path / "models"
    root.mkdir()
    add_version(root, "v1", macro_f1=0.90, crime_tip_recall=0.95)
    promote(root, "v1")
    return root


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("candidate, refused", [
    ({"macro_f1": 0.90, "crime_tip_recall": 0.95}, []),
    ({"macro_f1": 0.895, "crime_tip_recall": 0.945}, []),          # within one point
    ({"macro_f1": 0.88, "crime_tip_recall": 0.99}, ["macro_f1"]),
    ({"macro_f1": 0.99, "crime_tip_recall": 0.93}, ["crime_tip_recall"]),
    ({"macro_f1": None, "crime_tip_recall": 0.95}, ["macro_f1"]),
])
def test_regressions_are_more_than_one_point_worse_on_a_gated_metric(candidate, refused):
    found = regressions(candidate, {"macro_f1": 0.90, "crime_tip_recall": 0.95})
    assert [line.split()[0] for line in found] == refused


def test_promote_switches_active_and_rollback_goes_back_step_by_step(models):
    add_version(models, "v2", macro_f1=0.91)
    add_version(models, "v3", macro_f1=0.92)
    assert promote(models, "v2") == "v1"
    assert promote(models, "v3") == "v2"
    assert active_version(models) == "v3"
    assert rollback(models) == ("v3", "v2")
    assert rollback(models) == ("v2", "v1")
    assert active_version(models) == "v1"
    with pytest.raises(ModelError, match="no previous version"):
        rollback(models)
    assert not list(models.glob(".*tmp")), "temporary files are renamed into place"


def test_promote_refuses_a_regression_unless_forced(models):
    add_version(models, "worse", macro_f1=0.85)
    result = invoke("models", "promote", "worse", "--models-dir", str(models))
    assert result.exit_code == 1 and "macro_f1" in result.output and "--force" in result.output
    assert active_version(models) == "v1"
    result = invoke("models", "promote", "worse", "--force", "--models-dir", str(models))
    assert result.exit_code == 0, result.output
    assert active_version(models) == "worse"
    assert (models / HISTORY_FILE).read_text(encoding="utf-8").startswith("v1\t")


@pytest.mark.parametrize("damage", ["truncate", "metadata", "missing"])
def test_promote_refuses_a_model_that_does_not_load(models, damage):
    folder = add_version(models, "broken", macro_f1=0.99)
    model_file = folder / "model.joblib"
    if damage == "truncate":
        model_file.write_bytes(model_file.read_bytes()[:100])
    elif damage == "metadata":
        (folder / "metadata.json").write_text("{not json", encoding="utf-8")
    else:
        model_file.unlink()
    with pytest.raises(ModelError):
        promote(models, "broken", force=True)
    assert active_version(models) == "v1"


def test_promote_refuses_unknown_versions_and_paths(models):
    for name in ("nope", "../models", ""):
        with pytest.raises(ModelError):
            promote(models, name)


def test_models_list_marks_the_active_version_and_shows_dev_metrics(models):
    add_version(models, "v2", macro_f1=0.9123)
    result = invoke("models", "list", "--models-dir", str(models))
    assert result.exit_code == 0, result.output
    lines = {line[2:].split()[0]: line for line in result.output.splitlines()[1:]}
    assert lines["v1"].startswith("* ") and lines["v2"].startswith("  ")
    assert "0.9123" in lines["v2"]
    assert [v.version for v in list_versions(models) if v.active] == ["v1"]


def test_rollback_command_explains_when_there_is_no_history(tmp_path):
    root = tmp_path / "models"
    add_version(root, "only")
    (root / "ACTIVE").write_text("only\n", encoding="utf-8")
    result = invoke("models", "rollback", "--models-dir", str(root))
    assert result.exit_code == 1 and "no previous version" in result.output
