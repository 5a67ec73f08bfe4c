"""The trained classifier: scikit-learn pipelines for training, a lean linear scorer for serving.

Training (`triage.training`) fits three scikit-learn Pipelines (TF-IDF over `featurize` output + logistic
regression) that share one vocabulary: the label head (crime_tip / procedure / chat), the urgent
head (on crime tips) and the procedure-id head (on procedures). Serving does not call them: a
Pipeline call costs about 1 ms of Python overhead by itself, more than the arithmetic. The fitted
vocabulary, idf weights and coefficients are exported into `LinearScorer`, which computes the
same probabilities (checked by a test) with one sparse gather and one small matrix product, and
serving never imports scikit-learn (about 2 s of start-up).

A model folder holds `model.joblib` (plain dicts and numpy arrays, no pickled classes) and
`metadata.json` (version, creation time, training-data hash, library versions, label set,
dev metrics, seed, and the model file's sha256, so a corrupt or truncated file is refused).
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
from collections import Counter
from dataclasses import dataclass
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from triage.errors import ModelError
from triage.features import FEATURES_VERSION, FeatureIndexer
from triage.labels import LABELS
from triage.procedures import PROCEDURE_IDS
from triage.text import NormalizedText

# Format 2 stores the vocabulary as one newline-joined string of its terms in index order: joblib
# unpickles a 180k-entry dict in pure Python (≈ 0.6 s), one string at once. Format 1 still loads.
FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)
MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
NO_PROCEDURE = "none"
HEADS = ("label", "urgent", "procedure")


@dataclass(frozen=True)
class HeadOutput:
    """Probabilities of every head for one message."""

    label: dict[str, float]
    urgent: float
    procedure: dict[str, float]


class LinearScorer:
    """TF-IDF + linear heads evaluated directly from exported arrays."""

    def __init__(self, vocabulary: dict[str, int], idf: np.ndarray, weights: np.ndarray,
                 intercepts: np.ndarray, classes: dict[str, list[str]]) -> None:
        self.vocabulary = vocabulary
        self.idf = idf
        self.weights = weights            # (n_features, n_outputs), rows gathered per message
        self.intercepts = intercepts
        self.classes = classes
        sizes = {head: (1 if len(names) == 2 else len(names)) for head, names in classes.items()}
        offsets, start = {}, 0
        for head in HEADS:
            offsets[head] = (start, start + sizes[head])
            start += sizes[head]
        self._heads = tuple((classes[head], *offsets[head]) for head in ("label", "procedure"))
        self._urgent_at = offsets["urgent"][0]
        self._indexer = FeatureIndexer(vocabulary)

    def predict_message(self, message: NormalizedText) -> HeadOutput:
        """Head probabilities for one normalized message (what serving calls)."""
        return self._predict_counts(Counter(self._indexer.indices(message)))

    def predict(self, features: list[str]) -> HeadOutput:
        """Head probabilities for one message's feature strings (as `featurize` makes them)."""
        counts = Counter(map(self.vocabulary.get, features))
        counts.pop(None, None)
        return self._predict_counts(counts)

    def _predict_counts(self, counts: Counter) -> HeadOutput:
        logits = self.intercepts
        if counts:
            indices = np.fromiter(counts, dtype=np.intp, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            # take() gathers the same rows as fancy indexing, at half its cost for a hundred rows
            values = (np.log(tf) + 1.0) * self.idf.take(indices)
            logits = logits + (values @ self.weights.take(indices, axis=0)) / math.sqrt(float(values @ values))
        z = logits.tolist()  # the heads are tiny: plain Python beats numpy's per-call overhead
        label, procedure = self._heads
        return HeadOutput(label=_softmax(*label, z), urgent=1.0 / (1.0 + math.exp(-z[self._urgent_at])),
                          procedure=_softmax(*procedure, z))

    def to_state(self) -> dict[str, Any]:
        """The arrays to save (format 2: the vocabulary as its terms in index order, one string)."""
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        if any("\n" in term for term in terms):
            raise ModelError("a vocabulary term contains a line break; it cannot be saved")
        return {"terms": "\n".join(terms), "idf": self.idf, "weights": self.weights,
                "intercepts": self.intercepts, "classes": self.classes}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> LinearScorer:
        """A scorer from saved arrays (format 2, or format 1 with its vocabulary dict)."""
        state = dict(state)
        if "terms" in state:
            terms = state.pop("terms")
            state["vocabulary"] = {term: i for i, term in enumerate(terms.split("\n"))} if terms else {}
        return cls(**state)

    @classmethod
    def from_pipelines(cls, pipelines: dict[str, Any]) -> LinearScorer:
        """Export fitted head pipelines (sharing one vectorizer) into a scorer."""
        vectorizer = pipelines["label"].named_steps["tfidf"].estimator
        columns, intercepts, classes = [], [], {}
        for head in HEADS:
            model = pipelines[head].named_steps["clf"]
            columns.append(model.coef_.T)
            intercepts.append(model.intercept_)
            classes[head] = [str(c) for c in model.classes_]
        weights = np.ascontiguousarray(np.hstack(columns))
        return cls(dict(vectorizer.vocabulary_), vectorizer.idf_.copy(), weights,
                   np.concatenate(intercepts), classes)


def _softmax(names: list[str], start: int, end: int, logits: list[float]) -> dict[str, float]:
    """Softmax of `logits[start:end]`, by class name."""
    z = logits[start:end]
    top = max(z)
    exp = [math.exp(v - top) for v in z]
    total = sum(exp)
    return {name: e / total for name, e in zip(names, exp)}


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions recorded beside a model."""
    return {"python": platform.python_version(), "numpy": np.__version__,
            **{name: installed_version(name) for name in ("scikit-learn", "underthesea", "triage")}}


def save_model(folder: Path, scorer: LinearScorer, metadata: dict[str, Any]) -> dict[str, Any]:
    """Write model.joblib and metadata.json into `folder`; returns the full metadata."""
    folder.mkdir(parents=True, exist_ok=True)
    model_path = folder / MODEL_FILE
    joblib.dump(scorer.to_state(), model_path, compress=3)
    full = {"format_version": FORMAT_VERSION, "features_version": FEATURES_VERSION,
            "labels": list(LABELS), "procedure_ids": list(PROCEDURE_IDS),
            "libraries": library_versions(), **metadata,
            "model_sha256": file_sha256(model_path)}
    (folder / METADATA_FILE).write_text(json.dumps(full, ensure_ascii=False, indent=2) + "\n",
                                        encoding="utf-8")
    return full


def read_metadata(folder: Path) -> dict[str, Any]:
    """Read and check a model folder's metadata.json (no model file is loaded)."""
    path = folder / METADATA_FILE
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(f"{folder}: no {METADATA_FILE}; is this a model folder? "
                         "Train one with `triage train`.") from exc
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: unreadable metadata: {exc}") from exc
    if metadata.get("format_version") not in READABLE_FORMATS:
        raise ModelError(f"{folder}: model format_version is {metadata.get('format_version')!r} but this code "
                         f"reads {list(READABLE_FORMATS)}; retrain with `triage train`.")
    expected = {"features_version": FEATURES_VERSION, "labels": list(LABELS), "procedure_ids": list(PROCEDURE_IDS)}
    for key, value in expected.items():
        if metadata.get(key) != value:
            raise ModelError(f"{folder}: model {key} is {metadata.get(key)!r} but this code needs "
                             f"{value!r}; retrain with `triage train`.")
    return metadata


def load_model(folder: Path) -> tuple[LinearScorer, dict[str, Any]]:
    """Load a model folder, refusing files whose hash or metadata does not match."""
    metadata = read_metadata(folder)
    model_path = folder / MODEL_FILE
    if not model_path.exists():
        raise ModelError(f"{folder}: {MODEL_FILE} is missing")
    if file_sha256(model_path) != metadata.get("model_sha256"):
        raise ModelError(f"{model_path}: file does not match the sha256 in {METADATA_FILE} "
                         "(corrupt, truncated or replaced); restore it or retrain.")
    try:
        state = joblib.load(model_path)
        scorer = LinearScorer.from_state(state)
    except Exception as exc:  # a damaged file can fail in many ways inside joblib/numpy
        raise ModelError(f"{model_path}: cannot load model: {exc}") from exc
    return scorer, metadata
