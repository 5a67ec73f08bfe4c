"""Model versions under a models root: list them, promote one to ACTIVE (gated on dev metrics), roll back.

`ACTIVE` names the served version; the running service reloads when it changes. It is always
replaced atomically (temporary file + `os.replace`), so a reader sees the old or the new name,
never half of one. `HISTORY` is the stack of previously active versions, one per line (newest
last, with the time it stopped being active): `rollback` pops it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage.engine import ACTIVE_FILE, version_folder
from triage.errors import ModelError
from triage.model import load_model, read_metadata

HISTORY_FILE = "HISTORY"
# Promotion refuses a candidate worse than the active model by more than this on a gated metric.
MAX_REGRESSION = 0.01
GATED_METRICS = ("macro_f1", "crime_tip_recall")


@dataclass(frozen=True)
class ModelVersion:
    """One version folder: its name, creation time, dev metrics and whether it is served."""

    version: str
    created_at: str
    dev_metrics: dict[str, float | None]
    active: bool
    error: str | None = None


def active_version(models_dir: Path) -> str | None:
    """The version ACTIVE names, or None when there is no pointer."""
    try:
        return (models_dir / ACTIVE_FILE).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def list_versions(models_dir: Path) -> list[ModelVersion]:
    """Every version folder, oldest first; unreadable ones are listed with their error."""
    active = active_version(models_dir)
    found = []
    for folder in sorted(p for p in models_dir.iterdir() if p.is_dir()) if models_dir.is_dir() else []:
        try:
            metadata = read_metadata(folder)
        except ModelError as error:
            if (folder / "metadata.json").exists():
                found.append(ModelVersion(folder.name, "", {}, folder.name == active, str(error)))
            continue
        found.append(ModelVersion(folder.name, str(metadata.get("created_at", "")),
                                  dict(metadata.get("dev_metrics") or {}), folder.name == active))
    return sorted(found, key=lambda v: (v.created_at, v.version))


def regressions(candidate: dict[str, Any], active: dict[str, Any]) -> list[str]:
    """Gated dev metrics on which `candidate` is worse than `active` by more than MAX_REGRESSION."""
    worse = []
    for name in GATED_METRICS:
        new, old = candidate.get(name), active.get(name)
        if old is not None and (new is None or new < old - MAX_REGRESSION):
            worse.append(f"{name} {new} < {old} - {MAX_REGRESSION}")
    return worse


def promote(models_dir: Path, version: str, *, force: bool = False) -> str | None:
    """Make `version` the active model; returns the previously active version.

    Refuses (ModelError) a folder that does not load completely, and, unless `force`, one whose
    dev macro-F1 or crime_tip recall is worse than the active model's by more than one point.
    """
    _, metadata = _load(models_dir, version)
    previous = active_version(models_dir)
    if previous == version:
        raise ModelError(f"{version} is already the active model")
    if previous is not None and not force:
        try:
            _, current = load_model(models_dir / previous)
        except ModelError:
            current = None  # a broken active model is no reason to keep it
        if current is not None:
            worse = regressions(metadata.get("dev_metrics") or {}, current.get("dev_metrics") or {})
            if worse:
                raise ModelError(f"{version} is worse than the active model {previous} on the dev set: "
                                 f"{'; '.join(worse)}. Pass --force to promote it anyway.")
    activate(models_dir, version)
    return previous


def activate(models_dir: Path, version: str) -> None:
    """Point ACTIVE at `version` atomically, pushing the current version onto HISTORY."""
    version_folder(models_dir, version)
    previous = active_version(models_dir)
    if previous is not None and previous != version:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        _write_atomically(models_dir / HISTORY_FILE, _history_text(models_dir) + f"{previous}\t{stamp}\n")
    _write_atomically(models_dir / ACTIVE_FILE, version + "\n")


def rollback(models_dir: Path) -> tuple[str | None, str]:
    """Re-activate the previously active version (popping HISTORY); returns (left, restored)."""
    lines = _history_text(models_dir).splitlines()
    current = active_version(models_dir)
    while lines:
        version = lines.pop().split("\t")[0]
        if version == current:
            continue
        _load(models_dir, version)
        _write_atomically(models_dir / ACTIVE_FILE, version + "\n")
        _write_atomically(models_dir / HISTORY_FILE, "".join(line + "\n" for line in lines))
        return current, version
    raise ModelError(f"{models_dir / HISTORY_FILE}: no previous version to roll back to")


def _load(models_dir: Path, version: str) -> tuple[Any, dict[str, Any]]:
    folder = version_folder(models_dir, version)
    if not folder.is_dir():
        raise ModelError(f"no model version {version!r} in {models_dir}; see `triage models list`")
    return load_model(folder)


def _history_text(models_dir: Path) -> str:
    try:
        return (models_dir / HISTORY_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
