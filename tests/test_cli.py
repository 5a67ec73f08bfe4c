import json

from click.testing import CliRunner

from tests.conftest import tiny_train
from triage.cli import main


def test_classify_prints_a_readable_result():
    result = CliRunner().invoke(main, ["classify", "nhà tôi bị trộm xe máy"])
    assert result.exit_code == 0, result.output
    assert "label:        crime_tip" in result.output
    assert "crime.theft" in result.output


def test_classify_jsonl_keeps_order_and_reports_bad_lines():
    lines = [{"text": "xin chào"}, {"text": "đăng ký tạm trú ở đâu"}, {"nope": 1}, {"text": "bị trộm xe"}]
    stdin = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n"
    result = CliRunner().invoke(main, ["classify", "--jsonl"], input=stdin)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o.get("label") for o in out] == ["chat", "procedure", None, "crime_tip"]
    assert out[2]["error"]["line"] == 3


def test_classify_needs_text_or_jsonl():
    result = CliRunner().invoke(main, ["classify"])
    assert result.exit_code == 2 and "either TEXT or --jsonl" in result.output


def test_evaluate_json_reports_every_figure(tmp_path):
    data = tmp_path / "eval.csv"
    data.write_text("text,label,urgent,procedure_id,style\n"
                    "nhà tôi bị trộm xe,crime_tip,0,,accented\n"
                    "cứu với nó cầm dao đòi giết,crime_tip,1,,accented\n"
                    "tach ho can giay to gi,procedure,,tach_ho,unaccented\n"
                    "xin chào,chat,,,accented\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["evaluate", "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["rows"] == 4
    assert {"macro_f1", "per_class", "confusion", "urgent_recall", "procedure_id_accuracy", "by_style"} <= set(report)
    assert set(report["by_style"]) == {"accented", "unaccented"}
    assert sum(map(sum, report["confusion"])) == 4


def test_evaluate_rejects_a_bad_file_clearly(tmp_path):
    data = tmp_path / "bad.csv"
    data.write_text("text,label\nxin chào,spam\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["evaluate", "--data", str(data)])
    assert result.exit_code == 1 and "label 'spam'" in result.output


def test_train_writes_a_loadable_model_version(tmp_path):
    data = tiny_train(tmp_path / "train.csv")
    models = tmp_path / "models"
    result = CliRunner().invoke(main, ["train", "--data", str(data), "--models-dir", str(models), "--version", "t1"])
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output
    assert (models / "ACTIVE").read_text().strip() == "t1"
    meta = json.loads((models / "t1" / "metadata.json").read_text())
    assert meta["training_rows"] == 36 and "dev_metrics" in meta
    again = CliRunner().invoke(main, ["classify", "--model", str(models / "t1"), "bị trộm xe"])
    assert again.exit_code == 0 and "model t1" in again.output
