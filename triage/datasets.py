"""Reading labeled CSV files and building the training set from hand-written rows plus variants."""

from __future__ import annotations

import hashlib
import random
import unicodedata
from pathlib import Path

import pandas as pd

from triage.errors import DataError
from triage.labels import LABELS
from triage.procedures import PROCEDURE_IDS
from triage.text import strip_accents
from triage.variants import make_variants

COLUMNS = ["text", "label", "urgent", "procedure_id", "source", "style"]
_VARIANT_STYLE = {"accent_free": "unaccented", "teencode": "teencode"}


def read_labeled(path: Path, label_column: str | None = None) -> pd.DataFrame:
    """Read a labeled CSV (`text,label[,urgent,procedure_id,style,kind]`), checking every row.

    `label_column` names the gold label column; by default `label`, or `our_label` (the
    realdata files), whose empty rows are dropped.
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot read CSV: {exc}") from exc
    column = label_column or ("label" if "label" in frame.columns else "our_label")
    for needed in ("text", column):
        if needed not in frame.columns:
            raise DataError(f"{path}: missing column {needed!r} (have {list(frame.columns)})")
    frame = frame[frame[column].str.strip() != ""].copy()
    frame["label"] = frame[column].str.strip()
    bad = frame[~frame["label"].isin(LABELS)]
    if len(bad):
        raise DataError(f"{path}: row {bad.index[0] + 2} has label {bad['label'].iloc[0]!r}; "
                        f"expected one of {list(LABELS)}")
    for optional in ("urgent", "procedure_id", "style", "source", "kind"):
        if optional not in frame.columns:
            frame[optional] = ""
    frame["urgent"] = frame["urgent"].str.strip().map({"1": 1, "0": 0, "": 0, "true": 1, "false": 0})
    if frame["urgent"].isna().any():
        raise DataError(f"{path}: 'urgent' must be 0, 1 or empty")
    frame["urgent"] = frame["urgent"].astype(int)
    frame["procedure_id"] = frame["procedure_id"].str.strip()
    unknown = set(frame["procedure_id"]) - set(PROCEDURE_IDS) - {""}
    if unknown:
        raise DataError(f"{path}: unknown procedure ids {sorted(unknown)}; see PROCEDURES.md")
    return frame.reset_index(drop=True)


def text_key(text: str) -> str:
    """Comparison key: accent-free, lower-case, single-spaced (finds near-copies across files)."""
    return " ".join(strip_accents(unicodedata.normalize("NFC", text)).lower().split())


def data_hash(frame: pd.DataFrame) -> str:
    """sha256 of the rows that training reads."""
    digest = hashlib.sha256()
    for row in frame[["text", "label", "urgent", "procedure_id"]].itertuples(index=False):
        digest.update("\x1f".join(map(str, row)).encode("utf-8") + b"\x1e")
    return digest.hexdigest()


def build_training_set(handwritten: list[Path], dev_files: list[Path], seed: int = 13,
                       variants_per_row: int = 3) -> pd.DataFrame:
    """Hand-written rows plus up to `variants_per_row` variants each, none repeating a row of a dev file."""
    frames = [read_labeled(path) for path in sorted(handwritten)]
    base = pd.concat(frames, ignore_index=True)
    dev_keys = {text_key(t) for path in dev_files for t in read_labeled(path)["text"]}
    keys = base["text"].map(text_key)
    base = base[~keys.isin(dev_keys) & ~keys.duplicated()].reset_index(drop=True)
    rng = random.Random(seed)
    rows = []
    seen = set(base["text"].map(text_key))
    for row in base.itertuples(index=False):
        for kind, variant in make_variants(row.text, row.style, rng, variants_per_row):
            key = text_key(variant)
            if key in seen or key in dev_keys:
                continue
            seen.add(key)
            rows.append({"text": variant, "label": row.label, "urgent": row.urgent,
                         "procedure_id": row.procedure_id, "source": f"variant:{kind}:{row.source}",
                         "style": _VARIANT_STYLE.get(kind, row.style)})
    out = pd.concat([base, pd.DataFrame(rows)], ignore_index=True)
    out["urgent"] = out["urgent"].astype(int)
    return out[COLUMNS]


def with_corrections(train: pd.DataFrame, corrections: pd.DataFrame, dev: pd.DataFrame) -> pd.DataFrame:
    """Training rows plus officers' corrections (from `triage export-corrections`).

    A correction replaces a training row with the same text key (the officer's label wins); a
    correction of a dev message is dropped, so the dev split stays unseen.
    """
    dev_keys = set(dev["text"].map(text_key))
    added = corrections[~corrections["text"].map(text_key).isin(dev_keys)]
    added_keys = set(added["text"].map(text_key))
    kept = train[~train["text"].map(text_key).isin(added_keys)]
    columns = [c for c in COLUMNS if c in train.columns]
    out = pd.concat([kept[columns], added.reindex(columns=columns, fill_value="")], ignore_index=True)
    out["urgent"] = out["urgent"].astype(int)
    return out
