"""Accuracy side by side: the hybrid engine against rules alone, the classifier alone and two baselines.

Usage: python -m bench.quality [--no-fasttext] [--no-write] [--limit N]

Systems, all judged on the same rows:
  hybrid        the engine as shipped (rules + classifier through `triage.decision.decide`);
  rules alone   a keyword auto-reply: the label with the most rule evidence, chat when no rule fires
                (urgent when an urgent rule fired, procedure id of the strongest procedure rule);
  model alone   `decide` with no rule hits (the classifier's three heads and thresholds);
  fastText      `fasttext.train_supervised` on training_data/train.csv (fixed seed, one thread);
  TF-IDF + LR   scikit-learn on the raw lower-cased text: default word tokens (1-2 grams) plus
                character 2-5 grams, logistic regression (no underthesea).
Sets: ../shared/eval/public.csv, ../shared/eval/intent.csv (talking about vs reporting, over vs now),
training_data/dev.csv and the pooled rows of ../shared/realdata/*.csv that carry an `our_label`.
These sets are only measured on: nothing here trains or tunes on them;
the baselines' settings are the libraries' usual ones, fixed in advance.

Writes the table into docs/benchmarks.md (between the `quality` markers) and a bar chart into
docs/benchmarks_quality.png unless --no-write.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from triage import Triage
from triage.datasets import read_labeled
from triage.decision import decide
from triage.evaluation import EvaluationReport, Prediction, engine_predictor, evaluate_predictions, prediction_of
from triage.features import featurize
from triage.labels import LABELS
from triage.rules import RuleHit

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DOCS = ROOT / "docs"
BENCHMARKS_MD = DOCS / "benchmarks.md"
QUALITY_PNG = DOCS / "benchmarks_quality.png"
TRAIN_CSV = ROOT / "training_data" / "train.csv"
DEV_CSV = ROOT / "training_data" / "dev.csv"
SEED = 13

Predictor = Callable[[str], Prediction]
METRICS = ("macro-F1", "crime_tip R", "crime_tip P", "chat R", "urgent R", "urgent P", "procedure_id acc",
           "macro-F1 unaccented", "macro-F1 teencode")


@dataclass
class System:
    """One contender: its name, how it predicts, and whether it has the urgent / procedure-id heads."""

    name: str
    predict: Predictor
    has_heads: bool
    fit_seconds: float | None = None


# --- the systems ------------------------------------------------------------------------------

def model_only_predictor(engine: Triage) -> Predictor:
    """The classifier's heads through `decide`, with no rule evidence (cues still temper urgency)."""
    def predict(text: str) -> Prediction:
        message = engine.normalizer.normalize(text)
        return prediction_of(decide(engine.scorer.predict(featurize(message)), [], engine.decision_config,
                                    engine.cues.find(message)))
    return predict


def rule_vote(hits: Sequence[RuleHit]) -> Prediction:
    """What a keyword auto-reply does: the label with most rule evidence (each rule once), else chat."""
    fired = {hit.rule_id: hit for hit in hits}.values()
    if not fired:
        return Prediction("chat")
    evidence = dict.fromkeys(LABELS, 0.0)
    for hit in fired:
        evidence[hit.label] += hit.weight
    label = max(LABELS, key=evidence.__getitem__)  # ties go to the earlier label: crime_tip first
    urgent = label == "crime_tip" and any(hit.urgent for hit in fired if hit.label == "crime_tip")
    procedure_id = None
    if label == "procedure":
        with_id = [hit for hit in fired if hit.procedure_id]
        if with_id:
            procedure_id = max(with_id, key=lambda hit: hit.weight).procedure_id
    return Prediction(label, urgent, procedure_id)


def rules_predictor(engine: Triage) -> Predictor:
    """Rules alone (the engine's normalizer and rule set, no model)."""
    def predict(text: str) -> Prediction:
        return rule_vote(engine.rules.apply(engine.normalizer.normalize(text)))
    return predict


_FASTTEXT_TOKENS = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def fasttext_tokens(text: str) -> str:
    """fastText's usual preprocessing: lower case, punctuation split off, one space between tokens."""
    return " ".join(_FASTTEXT_TOKENS.findall(text.lower()))


def fasttext_available() -> bool:
    try:
        import fasttext  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


def train_fasttext(train: pd.DataFrame, seed: int = SEED):
    """A fastText supervised model on the training rows (tutorial settings, fixed seed, one thread)."""
    import fasttext  # noqa: PLC0415 - optional: the `bench` extra

    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8") as handle:
        for text, label in zip(train["text"], train["label"]):
            handle.write(f"__label__{label} {fasttext_tokens(text)}\n")
        handle.flush()
        return fasttext.train_supervised(handle.name, lr=1.0, epoch=25, wordNgrams=2, dim=100,
                                         seed=seed, thread=1, verbose=0)


def fasttext_predictor(model) -> Predictor:
    def predict(text: str) -> Prediction:
        labels, _ = model.predict(fasttext_tokens(text))
        return Prediction(labels[0].removeprefix("__label__"))
    return predict


def train_tfidf_lr(train: pd.DataFrame, seed: int = SEED):
    """TF-IDF over raw lower-cased text (default word tokens 1-2 grams + char 2-5 grams) + LR."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415
    from sklearn.pipeline import FeatureUnion, Pipeline  # noqa: PLC0415

    features = FeatureUnion([
        ("words", TfidfVectorizer(lowercase=True, ngram_range=(1, 2), sublinear_tf=True)),
        ("chars", TfidfVectorizer(lowercase=True, analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
    ])
    pipeline = Pipeline([("tfidf", features),
                         ("clf", LogisticRegression(max_iter=2000, class_weight="balanced", random_state=seed))])
    return pipeline.fit(list(train["text"]), list(train["label"]))


def tfidf_predictor(pipeline) -> Predictor:
    def predict(text: str) -> Prediction:
        return Prediction(str(pipeline.predict([text])[0]))
    return predict


def build_systems(engine: Triage, train: pd.DataFrame, *, with_fasttext: bool = True,
                  with_tfidf: bool = True) -> list[System]:
    """Every contender, the two baselines trained on `train`."""
    systems = [System("hybrid (shipped)", engine_predictor(engine), True),
               System("rules alone", rules_predictor(engine), True),
               System("classifier alone", model_only_predictor(engine), True)]
    if with_fasttext:
        start = time.perf_counter()
        model = train_fasttext(train)
        systems.append(System("fastText", fasttext_predictor(model), False, time.perf_counter() - start))
    if with_tfidf:
        start = time.perf_counter()
        pipeline = train_tfidf_lr(train)
        systems.append(System("TF-IDF + LR (no underthesea)", tfidf_predictor(pipeline), False,
                              time.perf_counter() - start))
    return systems


# --- measuring --------------------------------------------------------------------------------

def evaluation_sets(limit: int | None = None) -> list[tuple[str, pd.DataFrame]]:
    """(name, gold rows) of every set we measure on; realdata files pooled on their labeled rows."""
    sets = [("eval/public", read_labeled(SHARED / "eval" / "public.csv")),
            ("eval/intent", read_labeled(SHARED / "eval" / "intent.csv")), ("dev", read_labeled(DEV_CSV)),
            ("dev_intent", read_labeled(DEV_CSV.with_name("dev_intent.csv")))]
    real = [read_labeled(path) for path in sorted((SHARED / "realdata").glob("*.csv"))]
    if real:
        sets.append(("realdata (labeled)", pd.concat(real, ignore_index=True)))
    if limit:
        sets = [(name, gold.head(limit).reset_index(drop=True)) for name, gold in sets]
    return sets


def score_row(report: EvaluationReport, has_heads: bool) -> dict[str, float | None]:
    """The table's figures for one system on one set (None: not applicable)."""
    crime = report.per_class["crime_tip"]
    styles = report.by_style
    return {
        "macro-F1": report.macro_f1,
        "crime_tip R": crime["recall"] if crime["support"] else None,
        "crime_tip P": crime["precision"] if crime["support"] else None,
        "chat R": report.per_class["chat"]["recall"] if report.per_class["chat"]["support"] else None,
        "urgent R": report.urgent_recall if has_heads else None,
        "urgent P": report.urgent_precision if has_heads else None,
        "procedure_id acc": report.procedure_id_accuracy if has_heads else None,
        "macro-F1 unaccented": styles["unaccented"]["macro_f1"] if "unaccented" in styles else None,
        "macro-F1 teencode": styles["teencode"]["macro_f1"] if "teencode" in styles else None,
    }


def measure(systems: Sequence[System], sets: Sequence[tuple[str, pd.DataFrame]]) -> list[dict]:
    """One result row per (set, system)."""
    rows = []
    for set_name, gold in sets:
        for system in systems:
            predictions = [system.predict(text) for text in gold["text"]]
            report = evaluate_predictions(gold, predictions)
            rows.append({"set": set_name, "rows": report.rows, "system": system.name,
                         **score_row(report, system.has_heads)})
    return rows


def render_table(rows: Sequence[dict]) -> str:
    """The results as one Markdown table ("-": the system has no such head or the set no such rows)."""
    header = ["set", "system", *METRICS]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * len(METRICS)) + "|"]
    for row in rows:
        cells = [f"{row['set']} ({row['rows']})", row["system"]]
        cells += ["-" if row[m] is None else f"{row[m]:.3f}" for m in METRICS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(rows: Sequence[dict], path: Path) -> None:
    """Grouped bars: one panel per set, one bar per system for every metric."""
    import matplotlib  # noqa: PLC0415 - optional: the `bench` extra

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    set_names = list(dict.fromkeys(row["set"] for row in rows))
    systems = list(dict.fromkeys(row["system"] for row in rows))
    fig, axes = plt.subplots(len(set_names), 1, figsize=(12, 3.4 * len(set_names)), squeeze=False)
    width = 0.8 / len(systems)
    for ax, set_name in zip(axes[:, 0], set_names):
        by_system = {row["system"]: row for row in rows if row["set"] == set_name}
        for i, system in enumerate(systems):
            values = [by_system[system][m] or 0.0 for m in METRICS]
            ax.bar([x + i * width for x in range(len(METRICS))], values, width, label=system)
        ax.set_title(f"{set_name} ({by_system[systems[0]]['rows']} rows)")
        ax.set_xticks([x + 0.4 - width / 2 for x in range(len(METRICS))], METRICS, fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, ncol=len(systems), fontsize=8, loc="upper center")
    fig.text(0.01, 0.005, "missing bar: no such head (baselines predict the label only) or no such rows",
             fontsize=7)
    fig.tight_layout(rect=(0, 0.015, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def replace_section(path: Path, name: str, body: str) -> None:
    """Replace the text between `<!-- name:start -->` and `<!-- name:end -->` (appended if absent)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-fasttext", action="store_true", help="skip the fastText baseline")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    parser.add_argument("--limit", type=int, default=None, help="first N rows of each set (smoke runs)")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with_fasttext = not args.no_fasttext and fasttext_available()
    if not args.no_fasttext and not with_fasttext:
        print("fastText not installed (pip install -e '.[bench]'); skipping that baseline")
    engine = Triage.load()
    train = read_labeled(TRAIN_CSV)
    systems = build_systems(engine, train, with_fasttext=with_fasttext)
    rows = measure(systems, evaluation_sets(args.limit))
    table = render_table(rows)
    fits = ", ".join(f"{s.name} trained in {s.fit_seconds:.1f} s" for s in systems if s.fit_seconds is not None)
    command = "python -m bench.quality" + (" " + " ".join(argv) if argv else "")
    note = (f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command}` (`make bench-quality`); "
            f"model {engine.model_version}, rules {engine.rules.version}; baselines trained on "
            f"training_data/train.csv ({len(train)} rows; {fits}).")
    print(note)
    print(table)
    if not args.no_write:
        plot(rows, QUALITY_PNG)
        replace_section(BENCHMARKS_MD, "quality", f"{note}\n\n{table}\n\n![quality]({QUALITY_PNG.name})")
        print(f"wrote {BENCHMARKS_MD.relative_to(ROOT)} and {QUALITY_PNG.relative_to(ROOT)}")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
