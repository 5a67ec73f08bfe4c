"""Accuracy of the shipped engine on every labeled set we may measure on, one row per file.

Usage: python -m bench.accuracy [--model models/<version>]
Sets: training_data/dev.csv, ../shared/eval/public.csv (and its unaccented/teencode rows), and
each ../shared/realdata/*.csv on its rows with an `our_label`. Measuring only: nothing here is
ever trained on.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from triage import Triage
from triage.datasets import read_labeled
from triage.evaluation import Prediction, engine_predictor, evaluate_predictions

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model folder (default: the active model)")
    args = parser.parse_args()
    engine = Triage.load(args.model)
    predict = engine_predictor(engine)
    sets = [("dev (ours)", ROOT / "training_data" / "dev.csv"), ("eval/public", SHARED / "eval" / "public.csv")]
    sets += [(f"realdata/{p.stem}", p) for p in sorted((SHARED / "realdata").glob("*.csv"))]
    print(f"model {engine.model_version}, rules {engine.rules.version}")
    header = f"{'set':<42}{'rows':>6}{'acc':>7}{'macroF1':>9}{'crimeR':>8}{'crimeP':>8}{'urgR':>7}{'pidAcc':>8}"
    print(header)
    print("-" * len(header))
    real_rows = real_correct = real_crime = real_crime_hit = 0
    for name, path in sets:
        gold = read_labeled(path)
        predictions: list[Prediction] = [predict(text) for text in gold["text"]]
        report = evaluate_predictions(gold, predictions)
        _print_row(name, report)
        if name == "eval/public":
            for style in ("unaccented", "teencode"):
                mask = (gold["style"] == style).to_numpy()
                sub = evaluate_predictions(gold[mask].reset_index(drop=True),
                                           [p for p, keep in zip(predictions, mask) if keep])
                _print_row(f"  eval/public style={style}", sub)
        if name.startswith("realdata/"):
            real_rows += report.rows
            real_correct += round(report.accuracy * report.rows)
            crime = report.per_class["crime_tip"]
            real_crime += crime["support"]
            real_crime_hit += round(crime["recall"] * crime["support"])
    print("-" * len(header))
    print(f"{'realdata, all labeled rows':<42}{real_rows:>6}{real_correct / real_rows:>7.3f}{'':>9}"
          f"{real_crime_hit / max(real_crime, 1):>8.3f}")


def _print_row(name: str, report) -> None:
    crime = report.per_class["crime_tip"]
    def fmt(value):
        return f"{value:.3f}" if value is not None else "-"
    crime_recall = fmt(crime["recall"]) if crime["support"] else "-"
    print(f"{name:<42}{report.rows:>6}{report.accuracy:>7.3f}{report.macro_f1:>9.3f}{crime_recall:>8}"
          f"{fmt(crime['precision']) if crime['support'] else '-':>8}{fmt(report.urgent_recall):>7}"
          f"{fmt(report.procedure_id_accuracy):>8}")


if __name__ == "__main__":
    main()
