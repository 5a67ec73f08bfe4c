"""The `triage` command line: train, classify, evaluate, build the training set."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from triage.errors import TriageError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TRAINING_DIR = PROJECT_ROOT / "training_data"
CORRECTIONS_CSV = TRAINING_DIR / "corrections.csv"


@click.group()
def main() -> None:
    """Triage of messages to a commune police Zalo Official Account."""


def _engine(model: str | None):
    from triage.engine import Triage  # noqa: PLC0415 - keeps `triage --help` fast

    try:
        return Triage.load(model)
    except TriageError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command("build-data")
@click.option("--out", type=click.Path(path_type=Path), default=TRAINING_DIR / "train.csv", show_default=True)
@click.option("--seed", type=int, default=13, show_default=True)
def build_data(out: Path, seed: int) -> None:
    """Build train.csv from training_data/handwritten/*.csv plus generated variants."""
    from triage.datasets import build_training_set  # noqa: PLC0415

    try:
        frame = build_training_set(list((TRAINING_DIR / "handwritten").glob("*.csv")),
                                   [TRAINING_DIR / "dev.csv", TRAINING_DIR / "dev_intent.csv"], seed=seed)
    except TriageError as exc:
        raise click.ClickException(str(exc)) from exc
    frame.to_csv(out, index=False)
    hand = int((~frame["source"].str.startswith("variant:")).sum())
    click.echo(f"wrote {out}: {len(frame)} rows ({hand} hand-written, {len(frame) - hand} variants)")
    click.echo(frame["label"].value_counts().to_string())


@main.command()
@click.option("--data", type=click.Path(exists=True, path_type=Path), default=TRAINING_DIR / "train.csv",
              show_default=True, help="Training CSV.")
@click.option("--dev", type=click.Path(exists=True, path_type=Path), default=TRAINING_DIR / "dev.csv",
              show_default=True, help="Dev CSV (never trained on).")
@click.option("--models-dir", type=click.Path(path_type=Path), default=None,
              help="Where model versions live (default: $TRIAGE_MODELS_DIR or models/).")
@click.option("--seed", type=int, default=13, show_default=True)
@click.option("--version", default=None, help="Version name (default: date + data hash).")
@click.option("--include-corrections", "corrections_path", is_flag=False, flag_value=str(CORRECTIONS_CSV),
              default=None, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Add officers' corrections (a CSV from `triage export-corrections`; default "
                   "training_data/corrections.csv) to the training rows, never to dev.")
@click.option("--activate/--no-activate", default=None,
              help="Point models/ACTIVE at the new version (default: yes, but no with --include-corrections: "
                   "check the comparison, then `triage models promote VERSION`).")
def train(data: Path, dev: Path, models_dir: Path | None, seed: int, version: str | None,
          corrections_path: Path | None, activate: bool | None) -> None:
    """Train a model version, print its dev-set report and compare it with the active model.

    The version folder gets model.joblib, metadata.json, metrics.json, report.md and confusion.png.
    """
    from triage.datasets import read_labeled  # noqa: PLC0415
    from triage.engine import default_models_dir  # noqa: PLC0415
    from triage.training import train_model  # noqa: PLC0415

    bars: dict[str, object] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = click.progressbar(length=total, label=f"{stage:<10}", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    try:
        frame = read_labeled(data)
        corrections = read_labeled(corrections_path) if corrections_path else None
        click.echo(f"training on {len(frame)} rows from {data}"
                   + (f" plus {len(corrections)} corrections from {corrections_path}" if corrections is not None
                      else ""), err=True)
        activate = corrections is None if activate is None else activate
        outcome = train_model(frame, dev, models_dir or default_models_dir(), seed=seed, version=version,
                              activate=activate, corrections=corrections, progress=progress)
    except TriageError as exc:
        raise click.ClickException(str(exc)) from exc
    name = outcome.metadata["version"]
    click.echo(f"model {name} written to {outcome.folder} "
               f"({outcome.metadata['features']} features, {outcome.seconds:.1f} s)")
    click.echo(f"dev set {dev}:")
    click.echo(outcome.dev_report.render())
    click.echo("\ncompared with the active model on the same dev set:")
    click.echo(outcome.comparison)
    click.echo(f"\nreport: {outcome.folder / 'report.md'}")
    if activate:
        click.echo(f"{name} is now the active model")
    else:
        click.echo(f"{name} is NOT active; promote it with `triage models promote {name}`")


@main.command()
@click.argument("text", required=False)
@click.option("--jsonl", is_flag=True, help='Read {"text": ...} lines on stdin, write one result per line.')
@click.option("--commune", default=None, help="Commune config id (default commune when omitted).")
@click.option("--model", default=None, help="Model folder (default: the active model).")
def classify(text: str | None, jsonl: bool, commune: str | None, model: str | None) -> None:
    """Classify TEXT (readable output) or JSON lines from stdin (--jsonl)."""
    if jsonl == (text is not None):
        raise click.UsageError("give either TEXT or --jsonl")
    engine = _engine(model)
    if not jsonl:
        _print_readable(engine.classify(text, commune).to_dict())
        return
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError('each line must be an object with a string "text"')
            result = engine.classify(item["text"], item.get("commune") or commune).to_dict()
        except (ValueError, KeyError) as exc:
            result = {"error": {"line": number, "message": str(exc)}}
        click.echo(json.dumps(result, ensure_ascii=False))


def _print_readable(result: dict) -> None:
    flags = []
    if result["urgent"]:
        flags.append("KHẨN CẤP")
    if result["needs_review"]:
        flags.append("cần xem lại")
    click.echo(f"label:        {result['label']}  (confidence {result['confidence']:.2f})"
               + (f"  [{', '.join(flags)}]" if flags else ""))
    click.echo("scores:       " + "  ".join(f"{k} {v:.2f}" for k, v in result["scores"].items()))
    if result["procedure_id"]:
        click.echo(f"procedure_id: {result['procedure_id']}")
    route = result["route"]
    click.echo(f"route:        {route['action']} -> queue {route['queue']}, priority {route['priority']}")
    for person in route["notify"]:
        click.echo(f"notify:       {person['role']}: {person['name']} {person['phone']} ({person['place']})")
    for reason in result["reasons"]:
        if reason["kind"] == "rule":
            click.echo(f"rule:         {reason['rule_id']} matched {reason['matched']!r} at {reason['span']}")
        elif reason["kind"] in ("intent", "time"):
            click.echo(f"{reason['kind'] + ':':<14}{reason['message']}")
    for entity in result["entities"]:
        click.echo(f"entity:       {entity['kind']} {entity['text']!r}")
    click.echo(f"reply:        {route['reply']}")
    click.echo(f"model {result['model_version']}, rules {result['rules_version']}")


@main.command()
@click.option("--data", "data_path", type=click.Path(exists=True, path_type=Path), required=True,
              help="Labeled CSV (text,label[,urgent,procedure_id,style]) or a realdata file (our_label).")
@click.option("--model", default=None, help="Model folder (default: the active model).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def evaluate(data_path: Path, model: str | None, as_json: bool) -> None:
    """Evaluate the engine on a labeled CSV: P/R/F1, confusion, urgent recall, procedure ids."""
    from triage.datasets import read_labeled  # noqa: PLC0415
    from triage.evaluation import engine_predictor  # noqa: PLC0415
    from triage.evaluation import evaluate as run_evaluation  # noqa: PLC0415

    engine = _engine(model)
    try:
        frame = read_labeled(data_path)
    except TriageError as exc:
        raise click.ClickException(str(exc)) from exc
    report = run_evaluation(engine_predictor(engine), frame)
    if as_json:
        click.echo(json.dumps({"data": str(data_path), "model_version": engine.model_version,
                               **report.to_dict()}, ensure_ascii=False, indent=2))
    else:
        click.echo(f"{data_path} — model {engine.model_version}")
        click.echo(report.render())


@main.group()
def models() -> None:
    """List model versions, promote one to active, roll back."""


def _models_dir(path: Path | None) -> Path:
    from triage.engine import default_models_dir  # noqa: PLC0415

    return path or default_models_dir()


_MODELS_DIR_OPTION = click.option("--models-dir", type=click.Path(path_type=Path), default=None,
                                  help="Where model versions live (default: $TRIAGE_MODELS_DIR or models/).")


@models.command("list")
@_MODELS_DIR_OPTION
def models_list(models_dir: Path | None) -> None:
    """Versions with creation time and dev metrics; * marks the active one."""
    from triage.registry import list_versions  # noqa: PLC0415

    root = _models_dir(models_dir)
    versions = list_versions(root)
    if not versions:
        click.echo(f"no model versions in {root}; train one with `triage train`")
    click.echo(f"  {'version':<28}{'created_at':<27}{'macro-F1':>9}{'crime rec':>10}{'urgent rec':>11}"
               f"{'proc acc':>9}")
    for v in versions:
        if v.error:
            click.echo(f"{'*' if v.active else ' '} {v.version:<28}unusable: {v.error}")
            continue
        m = v.dev_metrics
        figures = "".join(f"{'—' if m.get(k) is None else format(m[k], '.4f'):>{w}}" for k, w in
                          (("macro_f1", 9), ("crime_tip_recall", 10), ("urgent_recall", 11),
                           ("procedure_id_accuracy", 9)))
        click.echo(f"{'*' if v.active else ' '} {v.version:<28}{v.created_at:<27}{figures}")


@models.command("promote")
@click.argument("version")
@click.option("--force", is_flag=True, help="Promote even if dev macro-F1 or crime_tip recall regress.")
@_MODELS_DIR_OPTION
def models_promote(version: str, force: bool, models_dir: Path | None) -> None:
    """Make VERSION the active model (the running service reloads it without restart).

    Refused when the version does not load completely, or when its dev macro-F1 or crime_tip
    recall is worse than the active model's by more than 0.01 (unless --force).
    """
    from triage.registry import promote  # noqa: PLC0415

    try:
        previous = promote(_models_dir(models_dir), version, force=force)
    except TriageError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"active model: {version} (was {previous or 'none'}); `triage models rollback` undoes this")


@models.command("rollback")
@_MODELS_DIR_OPTION
def models_rollback(models_dir: Path | None) -> None:
    """Make the previously active version active again (models/HISTORY)."""
    from triage.registry import rollback  # noqa: PLC0415

    try:
        left, restored = rollback(_models_dir(models_dir))
    except TriageError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"active model: {restored} (was {left or 'none'})")
