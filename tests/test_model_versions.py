"""Model version names stay inside the models folder: training, activating, loading and serving."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.conftest import tiny_train
from tests.test_registry import add_version
from triage import Triage
from triage.cli import main
from triage.engine import check_version, resolve_model_dir
from triage.errors import ModelError
from triage.registry import activate

BAD_VERSIONS = ["../../x", "../x", "a/b", "a\\b", "..", ".hidden", "v1/../../x", "x\ny", "", "v" * 101, "ổn"]


@pytest.mark.parametrize("version", BAD_VERSIONS)
def test_a_version_name_is_one_plain_folder_name(version):
    with pytest.raises(ModelError, match="not allowed"):
        check_version(version)


@pytest.mark.parametrize("version", ["20261129-22bc0f7a", "retrained", "v1.2_rc-3"])
def test_ordinary_version_names_are_accepted(version):
    assert check_version(version) == version


def test_train_refuses_a_version_that_would_write_outside_the_models_folder(tmp_path):
    models = tmp_path / "deploy" / "models"
    models.mkdir(parents=True)
    result = CliRunner().invoke(main, [
        "train", "--data", str(tiny_train(tmp_path / "train.csv")), "--models-dir", str(models),
        "--version", "../../x", "--no-activate"])
    assert result.exit_code != 0 and "not allowed" in result.output, result.output
    assert not (tmp_path / "x").exists() and list(models.iterdir()) == []


def test_an_active_pointer_leading_outside_the_models_folder_is_not_loaded(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    add_version(tmp_path, "outside")
    (models / "ACTIVE").write_text("../outside\n", encoding="utf-8")
    with pytest.raises(ModelError, match="not allowed"):
        resolve_model_dir(models)
    with pytest.raises(ModelError):
        Triage.load(models)


def test_a_version_folder_that_links_outside_is_not_loaded(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    add_version(tmp_path, "elsewhere")
    (models / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (models / "ACTIVE").write_text("linked\n", encoding="utf-8")
    with pytest.raises(ModelError, match="outside"):
        resolve_model_dir(models)


def test_activate_refuses_a_pointer_outside_the_models_folder(tmp_path):
    models = tmp_path / "models"
    add_version(models, "v1")
    add_version(tmp_path, "outside")
    with pytest.raises(ModelError):
        activate(models, "../outside")
    assert not (models / "ACTIVE").exists()
