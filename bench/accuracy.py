"""Accuracy of the shipped engine on every labeled set we may measure on, one row per file.

Usage: python -m bench.accuracy [--model models/<version>]
Sets: training_data/dev.csv and dev_intent.csv, ../shared/eval/public.csv (and its unaccented/teencode rows),
../shared/eval/intent.csv (and each of its kinds), and each ../shared/realdata/*.csv on its rows
with an `our_label`. Measuring only: nothing here is ever trained on.

Columns: accuracy, macro-F1, crime_tip recall and precision, urgent recall and precision,
procedure_id accuracy, the share of messages flagged needs_review ("flag") and the share of wrong
labels that were flagged ("caught"); for intent kinds also the share flagged urgent ("urg%").
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from triage import Triage
from triage.datasets import read_labeled
from triage.evaluation import EvaluationReport, Prediction, engine_predictor, evaluate_predictions

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
COLUMNS = (("rows", 6), ("acc", 7), ("macroF1", 9), ("crimeR", 8), ("crimeP", 8), ("urgR", 7), ("urgP", 7),
           ("pidAcc", 8), ("flag", 7), ("caught", 8), ("urg%", 6))


def labeled_sets() -> list[tuple[str, Path]]:
    """The sets measured, ours first; the shared ones only where ../shared is present."""
    sets = [("dev (ours)", ROOT / "training_data" / "dev.csv"),
            ("dev_intent (ours)", ROOT / "training_data" / "dev_intent.csv")]
    sets += [(f"eval/{name}", SHARED / "eval" / f"{name}.csv") for name in ("public", "intent")
             if (SHARED / "eval" / f"{name}.csv").exists()]
    sets += [(f"realdata/{p.stem}", p) for p in sorted((SHARED / "realdata").glob("*.csv"))]
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model folder (default: the active model)")
    args = parser.parse_args()
    engine = Triage.load(args.model)
    predict = engine_predictor(engine)
    print(f"model {engine.model_version}, rules {engine.rules.version}, cues {engine.cues.version}")
    header = f"{'set':<40}" + "".join(f"{name:>{width}}" for name, width in COLUMNS)
    print(header)
    print("-" * len(header))
    pooled: dict[str, tuple[list[pd.DataFrame], list[Prediction]]] = {"realdata": ([], []), "review": ([], [])}
    for name, path in labeled_sets():
        gold = read_labeled(path)
        predictions = [predict(text) for text in gold["text"]]
        _print_row(name, evaluate_predictions(gold, predictions))
        for column, values in (("style", ("unaccented", "teencode")), ("kind", sorted(set(gold["kind"]) - {""}))):
            if not name.startswith("eval/"):
                continue
            for value in values:
                mask = (gold[column] == value).to_numpy()
                _print_row(f"  {column}={value}", evaluate_predictions(
                    gold[mask].reset_index(drop=True), [p for p, keep in zip(predictions, mask) if keep]))
        if name.startswith("dev_intent"):
            continue  # the review target pools dev, public and intent only
        group = "realdata" if name.startswith("realdata/") else "review"
        pooled[group][0].append(gold)
        pooled[group][1].extend(predictions)
    print("-" * len(header))
    for group, title in (("realdata", "realdata, all labeled rows"), ("review", "dev + public + intent")):
        frames, predictions = pooled[group]
        if frames:
            _print_row(title, evaluate_predictions(pd.concat(frames, ignore_index=True), predictions))


def _print_row(name: str, report: EvaluationReport) -> None:
    crime = report.per_class["crime_tip"]
    has_crime = crime["support"] > 0
    cells = [str(report.rows), _fmt(report.accuracy), _fmt(report.macro_f1),
             _fmt(crime["recall"] if has_crime else None), _fmt(crime["precision"] if has_crime else None),
             _fmt(report.urgent_recall), _fmt(report.urgent_precision), _fmt(report.procedure_id_accuracy),
             _fmt(report.review_flagged), _fmt(report.review_caught),
             f"{report.urgent_predicted / max(report.rows, 1):.2f}"]
    print(f"{name:<40}" + "".join(f"{cell:>{width}}" for cell, (_, width) in zip(cells, COLUMNS)))


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
