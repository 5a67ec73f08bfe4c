import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from triage.errors import ModelError
from triage.features import FeatureIndexer, featurize
from triage.model import LinearScorer, file_sha256, load_model, read_metadata, save_model
from triage.training import fit_pipelines

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [
    ("nhà tôi bị trộm xe máy", "crime_tip", 0, ""),
    ("có người đang đánh nhau ở chợ cứu với", "crime_tip", 1, ""),
    ("cháy nhà ông Ba rồi tới ngay", "crime_tip", 1, ""),
    ("tối qua mất trộm con bò", "crime_tip", 0, ""),
    ("làm căn cước cho con cần gì", "procedure", 0, "cap_can_cuoc"),
    ("đăng ký tạm trú ở đâu", "procedure", 0, "dang_ky_tam_tru"),
    ("làm căn cước lần đầu mất bao lâu", "procedure", 0, "cap_can_cuoc"),
    ("tạm trú online thế nào", "procedure", 0, "dang_ky_tam_tru"),
    ("giờ làm việc của xã", "procedure", 0, ""),
    ("xin chào các anh", "chat", 0, ""),
    ("cảm ơn nhiều ạ", "chat", 0, ""),
    ("alo alo có ai không", "chat", 0, ""),
]


@pytest.fixture(scope="module")
def fitted(normalizer):
    features = [featurize(normalizer.normalize(t)) for t, *_ in TEXTS] * 2  # min_df=2 keeps every feature
    labels = [label for _, label, _, _ in TEXTS] * 2
    urgent = [u for _, _, u, _ in TEXTS] * 2
    pids = [p for *_, p in TEXTS] * 2
    pipelines = fit_pipelines(features, labels, urgent, pids, seed=1)
    return pipelines, LinearScorer.from_pipelines(pipelines)


@pytest.mark.parametrize("text", ["nhà bị trộm", "lam can cuoc", "xin chào", "😀", "", "từ lạ hoắc"])
def test_fast_scorer_equals_sklearn_pipelines(fitted, normalizer, text):
    pipelines, scorer = fitted
    features = featurize(normalizer.normalize(text))
    out = scorer.predict(features)
    label = pipelines["label"].predict_proba([features])[0]
    assert np.allclose([out.label[c] for c in pipelines["label"].classes_], label, atol=1e-9)
    urgent = pipelines["urgent"].predict_proba([features])[0]
    assert out.urgent == pytest.approx(urgent[list(pipelines["urgent"].classes_).index(1)], abs=1e-9)
    procedure = pipelines["procedure"].predict_proba([features])[0]
    assert np.allclose([out.procedure[c] for c in pipelines["procedure"].classes_], procedure, atol=1e-9)


def test_save_and_load_round_trip(fitted, tmp_path, normalizer):
    _, scorer = fitted
    metadata = save_model(tmp_path / "v1", scorer, {"version": "v1", "seed": 1})
    loaded, meta = load_model(tmp_path / "v1")
    assert meta["version"] == "v1" and meta["model_sha256"] == metadata["model_sha256"]
    assert {"libraries", "labels", "procedure_ids", "features_version", "format_version"} <= set(meta)
    features = featurize(normalizer.normalize("nhà bị trộm"))
    assert loaded.predict(features) == scorer.predict(features)


def test_a_format_1_model_still_loads(fitted, tmp_path, normalizer):
    """Format 1 saved the vocabulary as a dict; models trained before format 2 keep working."""
    _, scorer = fitted
    save_model(tmp_path / "v1", scorer, {"version": "v1"})
    state = {"vocabulary": scorer.vocabulary, "idf": scorer.idf, "weights": scorer.weights,
             "intercepts": scorer.intercepts, "classes": scorer.classes}
    joblib.dump(state, tmp_path / "v1" / "model.joblib", compress=3)
    meta_path = tmp_path / "v1" / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta.update(format_version=1, model_sha256=file_sha256(tmp_path / "v1" / "model.joblib"))
    meta_path.write_text(json.dumps(meta))
    loaded, _ = load_model(tmp_path / "v1")
    features = featurize(normalizer.normalize("nhà bị trộm xe"))
    assert loaded.vocabulary == scorer.vocabulary and loaded.predict(features) == scorer.predict(features)


def test_truncated_model_file_is_refused(fitted, tmp_path):
    _, scorer = fitted
    save_model(tmp_path / "v1", scorer, {"version": "v1"})
    path = tmp_path / "v1" / "model.joblib"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ModelError, match="does not match the sha256"):
        load_model(tmp_path / "v1")


@pytest.mark.parametrize("key, value", [("labels", ["crime_tip", "chat"]), ("features_version", "old"),
                                        ("format_version", 0)])
def test_mismatched_metadata_is_refused(fitted, tmp_path, key, value):
    _, scorer = fitted
    save_model(tmp_path / "v1", scorer, {"version": "v1"})
    meta_path = tmp_path / "v1" / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta[key] = value
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=key):
        read_metadata(tmp_path / "v1")


def test_missing_model_folder_says_how_to_fix(tmp_path):
    with pytest.raises(ModelError, match="triage train"):
        load_model(tmp_path)


def test_the_indexer_finds_the_same_features_as_featurize(engine):
    """Serving maps a message straight to vocabulary indices; training sees feature strings. Both
    must describe the same message (the bundled model's vocabulary, dev messages and odd inputs)."""
    texts = list(pd.read_csv(ROOT / "training_data" / "dev.csv", dtype=str, keep_default_na=False)["text"])
    texts += ["", "😀😀", "...", "ko dc j ạ", "A\u0301 à", "NHÀ TÔI BỊ TRỘM!!! gọi 0905123456", "x" * 300]
    scorer, indexer = engine.scorer, FeatureIndexer(engine.scorer.vocabulary)
    for text in texts:
        message = engine.normalizer.normalize(text)
        features = featurize(message)
        looked_up = [scorer.vocabulary[f] for f in features if f in scorer.vocabulary]
        assert indexer.indices(message) == looked_up, text  # same order: the same sums, to the last bit
        assert scorer.predict_message(message) == scorer.predict(features), text
