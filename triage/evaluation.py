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
    needs_review: bool = False


@dataclass
class EvaluationReport:
    """Per-class and overall figures for one labeled set.

    `review_flagged` is the share of all messages flagged `needs_review`; `review_caught` the share
    of wrong labels that were flagged. `by_style` and `by_kind` hold the same summary per value of
    the set's `style` and `kind` columns (see `slice_summary`).
    """

    rows: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, dict[str, float]]
    confusion: list[list[int]]
    urgent_recall: float | None
    urgent_precision: float | None
    urgent_rows: int
    urgent_predicted: int
    procedure_id_accuracy: float | None
    procedure_id_rows: int
    review_flagged: float
    review_caught: float | None
    wrong: int
    by_style: dict[str, dict[str, float]] = field(default_factory=dict)
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "accuracy": self.accuracy, "macro_f1": self.macro_f1,
                "per_class": self.per_class, "labels": list(LABELS), "confusion": self.confusion,
                "urgent_recall": self.urgent_recall, "urgent_precision": self.urgent_precision,
                "urgent_rows": self.urgent_rows, "urgent_predicted": self.urgent_predicted,
                "procedure_id_accuracy": self.procedure_id_accuracy,
                "procedure_id_rows": self.procedure_id_rows, "review_flagged": self.review_flagged,
                "review_caught": self.review_caught, "wrong": self.wrong, "by_style": self.by_style,
                "by_kind": self.by_kind, "errors": self.errors}

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
        lines.append("")
        if self.urgent_recall is not None:
            lines.append(f"urgent recall: {self.urgent_recall:.3f} ({self.urgent_rows} urgent rows)   "
                         f"urgent precision: {_fmt(self.urgent_precision)} ({self.urgent_predicted} flagged urgent)")
        elif self.urgent_predicted:
            lines.append(f"urgent: no urgent rows, {self.urgent_predicted} flagged urgent")
        if self.procedure_id_accuracy is not None:
            lines.append(f"procedure_id accuracy: {self.procedure_id_accuracy:.3f} "
                         f"({self.procedure_id_rows} rows with an id)")
        lines.append(f"needs_review: {self.review_flagged:.1%} of messages flagged, "
                     f"{_fmt(self.review_caught, '.1%')} of the {self.wrong} wrong labels flagged")
        for title, groups in (("style", self.by_style), ("kind", self.by_kind)):
            if not groups:
                continue
            lines += ["", f"by {title}:",
                      f"  {'':<16}{'rows':>6}{'accuracy':>10}{'macro-F1':>10}{'urgent':>8}{'urg.ok':>8}"]
            for name, m in sorted(groups.items()):
                lines.append(f"  {name:<16}{int(m['rows']):>6}{m['accuracy']:>10.3f}{m['macro_f1']:>10.3f}"
                             f"{m['urgent_flagged']:>8.2f}{_fmt(m['urgent_accuracy']):>8}")
            lines.append("  (urgent: share flagged urgent; urg.ok: urgent right on gold crime tips)")
        return "\n".join(lines)


def _fmt(value: float | None, spec: str = ".3f") -> str:
    return "-" if value is None else format(value, spec)


def slice_summary(gold: pd.DataFrame, predictions: Sequence[Prediction], index: Sequence[int]) -> dict[str, Any]:
    """Rows, accuracy, macro-F1 and urgency figures of the rows at `index` (a style or a kind)."""
    truth = [gold["label"].iloc[i] for i in index]
    said = [predictions[i].label for i in index]
    present = [label for label in LABELS if label in set(truth)]
    tips = [i for i in index if gold["label"].iloc[i] == "crime_tip"]
    urgent_right = sum(1 for i in tips if _said_urgent(predictions[i]) == bool(gold["urgent"].iloc[i]))
    return {"rows": len(index),
            "accuracy": sum(a == b for a, b in zip(truth, said)) / max(len(index), 1),
            "macro_f1": float(f1_score(truth, said, labels=present, average="macro", zero_division=0)),
            "urgent_flagged": sum(_said_urgent(predictions[i]) for i in index) / max(len(index), 1),
            "urgent_accuracy": urgent_right / len(tips) if tips else None}


def _said_urgent(prediction: Prediction) -> bool:
    return prediction.label == "crime_tip" and prediction.urgent


def _groups(gold: pd.DataFrame, column: str, predictions: Sequence[Prediction]) -> dict[str, dict[str, Any]]:
    if column not in gold.columns:
        return {}
    values = list(gold[column])
    return {value: slice_summary(gold, predictions, [i for i, v in enumerate(values) if v == value])
            for value in sorted(set(values) - {""})}


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
    gold_urgent = {i for i, (label, u) in enumerate(zip(y_true, gold["urgent"])) if label == "crime_tip" and u == 1}
    said_urgent = {i for i, p in enumerate(predictions) if _said_urgent(p)}
    pid_idx = [i for i, pid in enumerate(gold["procedure_id"]) if pid]
    pid_hits = sum(1 for i in pid_idx if predictions[i].procedure_id == gold["procedure_id"].iloc[i])
    wrong = [i for i in range(len(y_true)) if y_true[i] != y_pred[i]]
    errors = [{"text": gold["text"].iloc[i], "gold": y_true[i], "predicted": y_pred[i]}
              for i in wrong][:max_errors]
    return EvaluationReport(
        rows=len(y_true), accuracy=accuracy, macro_f1=macro, per_class=per_class,
        confusion=confusion_matrix(y_true, y_pred, labels=list(LABELS)).tolist(),
        urgent_recall=len(gold_urgent & said_urgent) / len(gold_urgent) if gold_urgent else None,
        urgent_precision=len(gold_urgent & said_urgent) / len(said_urgent) if said_urgent else None,
        urgent_rows=len(gold_urgent), urgent_predicted=len(said_urgent),
        procedure_id_accuracy=pid_hits / len(pid_idx) if pid_idx else None, procedure_id_rows=len(pid_idx),
        review_flagged=sum(p.needs_review for p in predictions) / max(len(predictions), 1),
        review_caught=sum(predictions[i].needs_review for i in wrong) / len(wrong) if wrong else None,
        wrong=len(wrong), by_style=_groups(gold, "style", predictions),
        by_kind=_groups(gold, "kind", predictions), errors=errors)


def evaluate(classify: Callable[[str], Prediction], gold: pd.DataFrame,
             progress: Callable[[int], None] | None = None) -> EvaluationReport:
    """Run `classify` over every row of `gold` and report."""
    predictions = []
    for text in gold["text"]:
        predictions.append(classify(text))
        if progress:
            progress(1)
    return evaluate_predictions(gold, predictions)


def prediction_of(decision) -> Prediction:
    """What a `triage.decision.Decision` says, as evaluation sees it."""
    return Prediction(decision.label, decision.urgent, decision.procedure_id, decision.needs_review)


def engine_predictor(engine) -> Callable[[str], Prediction]:
    """The shipped hybrid engine as a `classify` function for `evaluate`."""
    def predict(text: str) -> Prediction:
        return prediction_of(engine.analyze(text)[1].decision)
    return predict
