"""Evaluation of predictions against a labeled set: the figures every target is stated in."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from triage.labels import LABELS


@dataclass(frozen=True)
class Prediction:
    """What a classifier said about one message."""

    label: str
    urgent: bool = False
    procedure_id: str | None = None


@dataclass
class EvaluationReport:
    """Per-class and overall figures for one labeled set."""

    rows: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, dict[str, float]]
    confusion: list[list[int]]
    urgent_recall: float | None
    urgent_rows: int
    procedure_id_accuracy: float | None
    procedure_id_rows: int
    by_style: dict[str, dict[str, float]] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "accuracy": self.accuracy, "macro_f1": self.macro_f1,
                "per_class": self.per_class, "labels": list(LABELS), "confusion": self.confusion,
                "urgent_recall": self.urgent_recall, "urgent_rows": self.urgent_rows,
                "procedure_id_accuracy": self.procedure_id_accuracy,
                "procedure_id_rows": self.procedure_id_rows, "by_style": self.by_style,
                "errors": self.errors}

    def render(self) -> str:
        """A plain-text report for the terminal."""
        lines = [f"rows: {self.rows}   accuracy: {self.accuracy:.3f}   macro-F1: {self.macro_f1:.3f}", "",
                 f"{'label':<12}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
        for label in LABELS:
            m = self.per_class[label]
            lines.append(f"{label:<12}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>10.3f}{int(m['support']):>10}")
        lines += ["", "confusion (rows: gold, columns: predicted)",
                  f"{'':<12}" + "".join(f"{label:>12}" for label in LABELS)]
        for label, counts in zip(LABELS, self.confusion):
            lines.append(f"{label:<12}" + "".join(f"{c:>12}" for c in counts))
        if self.urgent_recall is not None:
            lines.append(f"\nurgent recall: {self.urgent_recall:.3f} ({self.urgent_rows} urgent rows)")
        if self.procedure_id_accuracy is not None:
            lines.append(f"procedure_id accuracy: {self.procedure_id_accuracy:.3f} "
                         f"({self.procedure_id_rows} rows with an id)")
        if self.by_style:
            lines.append("\nby style:")
            for style, m in sorted(self.by_style.items()):
                lines.append(f"  {style:<12} rows {int(m['rows']):>4}   accuracy {m['accuracy']:.3f}"
                             f"   macro-F1 {m['macro_f1']:.3f}")
        return "\n".join(lines)


def evaluate_predictions(gold: pd.DataFrame, predictions: Sequence[Prediction],
                         max_errors: int = 20) -> EvaluationReport:
    """Compare predictions with a frame from `datasets.read_labeled`."""
    y_true = list(gold["label"])
    y_pred = [p.label for p in predictions]
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=list(LABELS), zero_division=0)
    per_class = {label: {"precision": float(precision[i]), "recall": float(recall[i]),
                         "f1": float(f1[i]), "support": int(support[i])}
                 for i, label in enumerate(LABELS)}
    present = [label for label in LABELS if label in set(y_true)]
    macro = float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0))
    accuracy = sum(t == p for t, p in zip(y_true, y_pred)) / max(len(y_true), 1)
    urgent_idx = [i for i, (label, u) in enumerate(zip(y_true, gold["urgent"])) if label == "crime_tip" and u == 1]
    urgent_hits = sum(1 for i in urgent_idx if predictions[i].label == "crime_tip" and predictions[i].urgent)
    pid_idx = [i for i, pid in enumerate(gold["procedure_id"]) if pid]
    pid_hits = sum(1 for i in pid_idx if predictions[i].procedure_id == gold["procedure_id"].iloc[i])
    by_style: dict[str, dict[str, float]] = {}
    if "style" in gold.columns and gold["style"].astype(bool).any():
        for style in sorted(set(gold["style"]) - {""}):
            idx = [i for i, s in enumerate(gold["style"]) if s == style]
            t = [y_true[i] for i in idx]
            p = [y_pred[i] for i in idx]
            labels_here = [label for label in LABELS if label in set(t)]
            by_style[style] = {"rows": len(idx),
                               "accuracy": sum(a == b for a, b in zip(t, p)) / len(idx),
                               "macro_f1": float(f1_score(t, p, labels=labels_here, average="macro",
                                                          zero_division=0))}
    errors = [{"text": gold["text"].iloc[i], "gold": y_true[i], "predicted": y_pred[i]}
              for i in range(len(y_true)) if y_true[i] != y_pred[i]][:max_errors]
    return EvaluationReport(
        rows=len(y_true), accuracy=accuracy, macro_f1=macro, per_class=per_class,
        confusion=confusion_matrix(y_true, y_pred, labels=list(LABELS)).tolist(),
        urgent_recall=urgent_hits / len(urgent_idx) if urgent_idx else None, urgent_rows=len(urgent_idx),
        procedure_id_accuracy=pid_hits / len(pid_idx) if pid_idx else None, procedure_id_rows=len(pid_idx),
        by_style=by_style, errors=errors)


def evaluate(classify: Callable[[str], Prediction], gold: pd.DataFrame,
             progress: Callable[[int], None] | None = None) -> EvaluationReport:
    """Run `classify` over every row of `gold` and report."""
    predictions = []
    for text in gold["text"]:
        predictions.append(classify(text))
        if progress:
            progress(1)
    return evaluate_predictions(gold, predictions)


def engine_predictor(engine) -> Callable[[str], Prediction]:
    """The shipped hybrid engine as a `classify` function for `evaluate`."""
    def predict(text: str) -> Prediction:
        decision = engine.analyze(text)[1].decision
        return Prediction(decision.label, decision.urgent, decision.procedure_id)
    return predict
