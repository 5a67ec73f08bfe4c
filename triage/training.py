"""Training a model version: featurize, fit, export, evaluate on dev, write the model folder."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from triage.cues import CueSet
from triage.datasets import data_hash, read_labeled, with_corrections
from triage.decision import DecisionConfig
from triage.engine import Triage, check_version, resolve_model_dir, version_folder
from triage.errors import ModelError
from triage.evaluation import EvaluationReport, evaluate_predictions, prediction_of
from triage.features import featurize, identity
from triage.model import NO_PROCEDURE, LinearScorer, save_model
from triage.procedures import ProcedureCatalog
from triage.registry import activate as activate_version
from triage.report import comparison, render_comparison, worst_errors, write_report
from triage.routing import CommuneDirectory
from triage.rules import RuleSet
from triage.text import TextNormalizer

DEFAULT_SEED = 13


@dataclass
class TrainingOutcome:
    """What `train_model` produced."""

    folder: Path
    metadata: dict
    dev_report: EvaluationReport
    seconds: float
    active_version: str | None = None
    comparison: str = ""


def train_model(train: pd.DataFrame, dev_path: Path, models_dir: Path, *, seed: int = DEFAULT_SEED,
                version: str | None = None, activate: bool = True, corrections: pd.DataFrame | None = None,
                progress: Callable[[str, int, int], None] | None = None) -> TrainingOutcome:
    """Train on `train` (plus `corrections`, if given), evaluate on the dev CSV, and write
    `models_dir/<version>/`: model, metadata, metrics.json, report.md and confusion.png.

    The dev figures are compared with the active model's (evaluated on the same dev file).
    `progress(stage, done, total)` is called as rows are processed.
    """
    if version is not None:
        check_version(version)  # before minutes of work, not after
    started = time.perf_counter()
    dev = read_labeled(dev_path)
    corrections_rows = 0
    if corrections is not None:
        train = with_corrections(train, corrections, dev)
        corrections_rows = int(train["source"].astype(str).str.startswith("correction:").sum())
    normalizer = TextNormalizer()
    features = []
    for i, text in enumerate(train["text"], start=1):
        features.append(featurize(normalizer.normalize(text)))
        if progress and (i % 250 == 0 or i == len(train)):
            progress("featurize", i, len(train))
    if progress:
        progress("fit", 0, 1)
    pipelines = fit_pipelines(features, list(train["label"]), list(train["urgent"]),
                              list(train["procedure_id"]), seed=seed)
    scorer = LinearScorer.from_pipelines(pipelines)
    if progress:
        progress("fit", 1, 1)
    digest = data_hash(train)
    version = version or f"{datetime.now(UTC):%Y%m%d}-{digest[:8]}"
    engine = Triage(normalizer, RuleSet.load(normalizer=normalizer), scorer, {"version": version},
                    DecisionConfig.load(), CommuneDirectory.load(normalizer=normalizer),
                    ProcedureCatalog.load(), CueSet.load(normalizer=normalizer))
    report, confidences = _evaluate_on_dev(engine, dev, "dev", progress)
    active = _active_engine(engine, models_dir)
    active_metrics = _headline(_evaluate_on_dev(active, dev, "active", progress)[0]) if active else None
    seconds = time.perf_counter() - started
    folder = version_folder(models_dir, version)
    extra = {}
    if corrections is not None:
        stamps = corrections.get("corrected_at", pd.Series(dtype=str)).astype(str)
        extra = {"corrections_rows": corrections_rows,
                 "corrections_through": max((s for s in stamps if s), default=None)}
    metadata = save_model(folder, scorer, {
        "version": version, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed, "training_data_sha256": digest, "training_rows": len(train),
        "label_counts": train["label"].value_counts().to_dict(), "features": len(scorer.vocabulary),
        **extra, "dev_metrics": _headline(report), "training_seconds": round(seconds, 1)})
    (folder / "metrics.json").write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n",
                                         encoding="utf-8")
    active_version = active.model_version if active else None
    compared = render_comparison(comparison(metadata["dev_metrics"], active_metrics), version, active_version)
    predicted = [row["predicted"] for row in confidences]
    write_report(folder, metadata, report, compared,
                 worst_errors(list(dev["text"]), list(dev["label"]), predicted,
                              [row["confidence"] for row in confidences]))
    if activate:
        activate_version(models_dir, version)
    return TrainingOutcome(folder, metadata, report, seconds, active_version, compared)


def _evaluate_on_dev(engine: Triage, dev: pd.DataFrame, stage: str,
                     progress: Callable[[str, int, int], None] | None) -> tuple[EvaluationReport, list[dict]]:
    predictions, details = [], []
    for i, text in enumerate(dev["text"], start=1):
        decision = engine.analyze(text)[1].decision
        predictions.append(prediction_of(decision))
        details.append({"predicted": decision.label, "confidence": decision.confidence})
        if progress and (i % 50 == 0 or i == len(dev)):
            progress(stage, i, len(dev))
    return evaluate_predictions(dev, predictions), details


def _active_engine(engine: Triage, models_dir: Path) -> Triage | None:
    """The currently active model of `models_dir` (None if there is none or it does not load)."""
    try:
        return engine.with_model(resolve_model_dir(models_dir))
    except ModelError:
        return None


def make_vectorizer() -> TfidfVectorizer:
    """The TF-IDF step shared by every head (its input is `featurize` output)."""
    return TfidfVectorizer(analyzer=identity, lowercase=False, sublinear_tf=True, min_df=2,
                           dtype=np.float64)


def make_head(seed: int, c: float) -> LogisticRegression:
    """A logistic-regression head (deterministic: lbfgs with a fixed seed)."""
    return LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=seed)


def fit_pipelines(features: list[list[str]], labels: list[str], urgent: list[int],
                  procedure_ids: list[str], seed: int = 13, c: float = 8.0) -> dict[str, Pipeline]:
    """Fit one scikit-learn Pipeline per head; all share one TF-IDF fitted on every row."""
    vectorizer = FrozenEstimator(make_vectorizer().fit(features))
    crime = [i for i, label in enumerate(labels) if label == "crime_tip"]
    procedure = [i for i, label in enumerate(labels) if label == "procedure"]
    targets = {
        "label": (range(len(labels)), labels),
        "urgent": (crime, [urgent[i] for i in crime]),
        "procedure": (procedure, [procedure_ids[i] or NO_PROCEDURE for i in procedure]),
    }
    pipelines: dict[str, Pipeline] = {}
    for head, (rows, y) in targets.items():
        pipeline = Pipeline([("tfidf", vectorizer), ("clf", make_head(seed, c))])
        pipelines[head] = pipeline.fit([features[i] for i in rows], y)
    return pipelines


def _headline(report: EvaluationReport) -> dict[str, float | None]:
    return {"macro_f1": round(report.macro_f1, 4), "accuracy": round(report.accuracy, 4),
            "crime_tip_recall": round(report.per_class["crime_tip"]["recall"], 4),
            "crime_tip_precision": round(report.per_class["crime_tip"]["precision"], 4),
            "urgent_recall": None if report.urgent_recall is None else round(report.urgent_recall, 4),
            "procedure_id_accuracy": None if report.procedure_id_accuracy is None
            else round(report.procedure_id_accuracy, 4)}
