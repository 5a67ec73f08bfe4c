"""A trained version's report: dev figures, side-by-side comparison, confusion-matrix plot, worst errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triage.evaluation import EvaluationReport
from triage.labels import LABELS

REPORT_FILE = "report.md"
CONFUSION_FILE = "confusion.png"
# The figures compared side by side: (metric key in dev_metrics, label shown).
COMPARED = (("macro_f1", "macro-F1"), ("crime_tip_recall", "crime_tip recall"),
            ("crime_tip_precision", "crime_tip precision"), ("urgent_recall", "urgent recall"),
            ("procedure_id_accuracy", "procedure_id accuracy"), ("accuracy", "accuracy"))


@dataclass(frozen=True)
class DevError:
    """One dev message the model got wrong, with the confidence of its wrong answer."""

    text: str
    gold: str
    predicted: str
    confidence: float


def worst_errors(texts: list[str], gold: list[str], predicted: list[str], confidence: list[float],
                 n: int = 20) -> list[DevError]:
    """The `n` wrong predictions made with the highest confidence."""
    wrong = [DevError(t, g, p, c) for t, g, p, c in zip(texts, gold, predicted, confidence) if g != p]
    return sorted(wrong, key=lambda e: -e.confidence)[:n]


def comparison(new: dict[str, Any], active: dict[str, Any] | None) -> list[tuple[str, Any, Any, Any]]:
    """Rows (figure, new, active, delta) for the compared dev metrics."""
    rows = []
    for key, shown in COMPARED:
        a, b = new.get(key), (active or {}).get(key)
        rows.append((shown, a, b, None if a is None or b is None else round(a - b, 4)))
    return rows


def render_comparison(rows: list[tuple[str, Any, Any, Any]], new_version: str, active_version: str | None) -> str:
    """The comparison as an aligned text table."""
    def cell(value: Any, signed: bool = False) -> str:
        if value is None:
            return "—"
        return f"{value:+.4f}" if signed else f"{value:.4f}"

    lines = [f"{'dev figure':<24}{new_version:>20}{(active_version or 'no active model'):>22}{'delta':>10}"]
    lines += [f"{name:<24}{cell(a):>20}{cell(b):>22}{cell(d, True):>10}" for name, a, b, d in rows]
    return "\n".join(lines)


def plot_confusion(report: EvaluationReport, path: Path, title: str) -> None:
    """Save the dev confusion matrix as a PNG (matplotlib without pyplot: no global state)."""
    from matplotlib.figure import Figure  # noqa: PLC0415 - only training draws plots

    figure = Figure(figsize=(4.8, 4.2), dpi=100)
    axes = figure.subplots()
    axes.imshow(report.confusion, cmap="Blues")
    axes.set_xticks(range(len(LABELS)), LABELS)
    axes.set_yticks(range(len(LABELS)), LABELS)
    axes.set_xlabel("predicted")
    axes.set_ylabel("gold")
    axes.set_title(title)
    top = max(max(row) for row in report.confusion) or 1
    for i, row in enumerate(report.confusion):
        for j, count in enumerate(row):
            axes.text(j, i, str(count), ha="center", va="center",
                      color="white" if count > top / 2 else "black")
    figure.tight_layout()
    figure.savefig(path)


def write_report(folder: Path, metadata: dict[str, Any], report: EvaluationReport,
                 compared: str, errors: list[DevError]) -> Path:
    """Write report.md and confusion.png into the model folder; returns the report path."""
    plot_confusion(report, folder / CONFUSION_FILE, f"dev — {metadata['version']}")
    lines = [f"# Model {metadata['version']}", "",
             f"Created {metadata['created_at']}, {metadata['training_rows']} training rows "
             f"({metadata.get('corrections_rows', 0)} from officers' corrections), seed {metadata['seed']}, "
             f"training data sha256 `{metadata['training_data_sha256'][:16]}…`.", "",
             "## Dev set compared with the active model", "", "```", compared, "```", "",
             "## Dev report", "", "```", report.render(), "```", "",
             f"![confusion matrix]({CONFUSION_FILE})", "",
             f"## The {len(errors)} worst errors on dev (most confident first)", "",
             "| confidence | gold | predicted | text |", "|---:|---|---|---|"]
    for error in errors:
        text = " ".join(error.text.split()).replace("|", "\\|")
        lines.append(f"| {error.confidence:.3f} | {error.gold} | {error.predicted} | {text} |")
    path = folder / REPORT_FILE
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
