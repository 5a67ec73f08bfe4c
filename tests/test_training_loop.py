"""Retraining with officers' corrections: rows added to training only, report files, comparison, no activation."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from tests.conftest import tiny_train
from tests.test_registry import add_version
from triage.cli import main
from triage.datasets import read_labeled, with_corrections
from triage.model import load_model

DEV = ("text,label,urgent,procedure_id\n"
       "nhà tôi bị trộm xe máy tối qua,crime_tip,0,\n"
       "cứu với có người cầm dao đánh nhau,crime_tip,1,\n"
       "làm căn cước cho con cần gì,procedure,0,cap_can_cuoc\n"
       "chào các anh,chat,0,\n")


def corrections_csv(path: Path) -> Path:
    frame = pd.DataFrame([
        {"text": "con chó nhà hàng xóm cắn gà nhà tôi", "label": "crime_tip", "urgent": 0, "procedure_id": "",
         "source": "correction:m1", "corrected_by_role": "officer", "corrected_at": "2026-12-01T08:00:00.000000Z",
         "predicted_label": "chat"},
        {"text": "Chào các anh", "label": "procedure", "urgent": 0, "procedure_id": "",  # a dev text: dropped
         "source": "correction:m2", "corrected_by_role": "officer", "corrected_at": "2026-12-02T08:00:00.000000Z",
         "predicted_label": "chat"},
        {"text": "cảm ơn 1 lần", "label": "procedure", "urgent": 0, "procedure_id": "",  # replaces a train row
         "source": "correction:m3", "corrected_by_role": "analyst", "corrected_at": "2026-12-03T08:00:00.000000Z",
         "predicted_label": "chat"}])
    frame.to_csv(path, index=False)
    return path


def test_corrections_join_training_but_never_dev_and_override_same_text(tmp_path):
    (tmp_path / "dev.csv").write_text(DEV, encoding="utf-8")
    train = read_labeled(tiny_train(tmp_path / "train.csv"))
    merged = with_corrections(train, read_labeled(corrections_csv(tmp_path / "c.csv")),
                              read_labeled(tmp_path / "dev.csv"))
    added = merged[merged["source"].str.startswith("correction:")]
    assert list(added["source"]) == ["correction:m1", "correction:m3"]
    assert list(merged.loc[merged["text"] == "cảm ơn 1 lần", "label"]) == ["procedure"]
    assert len(merged) == len(train) + 1


def test_train_with_corrections_writes_a_report_compares_and_does_not_activate(tmp_path):
    (tmp_path / "dev.csv").write_text(DEV, encoding="utf-8")
    models = tmp_path / "models"
    add_version(models, "current")
    (models / "ACTIVE").write_text("current\n", encoding="utf-8")
    result = CliRunner().invoke(main, [
        "train", "--data", str(tiny_train(tmp_path / "train.csv")), "--dev", str(tmp_path / "dev.csv"),
        "--models-dir", str(models), "--version", "retrained",
        "--include-corrections", str(corrections_csv(tmp_path / "c.csv"))])
    assert result.exit_code == 0, result.output
    assert (models / "ACTIVE").read_text().strip() == "current"
    assert "NOT active" in result.output and "triage models promote retrained" in result.output
    comparison = result.output.split("compared with the active model")[1]
    for figure in ("macro-F1", "crime_tip recall", "crime_tip precision", "urgent recall", "procedure_id accuracy"):
        assert figure in comparison
    assert "retrained" in comparison and "current" in comparison and "delta" in comparison
    folder = models / "retrained"
    for name in ("model.joblib", "metadata.json", "metrics.json", "report.md", "confusion.png"):
        assert (folder / name).stat().st_size > 0, name
    assert (folder / "confusion.png").read_bytes()[:4] == b"\x89PNG"
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["corrections_rows"] == 2 and metadata["training_rows"] == 37
    assert metadata["corrections_through"] == "2026-12-03T08:00:00.000000Z"
    report = (folder / "report.md").read_text(encoding="utf-8")
    assert "confusion.png" in report and "worst errors on dev" in report
    load_model(folder)


def test_train_without_a_corrections_file_explains(tmp_path):
    result = CliRunner().invoke(main, ["train", "--include-corrections", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2 and "does not exist" in result.output
