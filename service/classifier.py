"""The worker's Triage engine and its hot reload when models/ACTIVE changes.

A request checks the pointer's mtime at most every MODEL_RELOAD_SECONDS. When it names another
folder, the new engine is built beside the old one and then swapped in by one assignment, so a
request always uses one complete engine. The rules file (RULES_PATH) is re-read at the same
moment. A model or rules file that fails to load is logged and the old engine stays in service
until the pointer changes again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app

from service.errors import ApiError
from triage import Triage
from triage.engine import ACTIVE_FILE, default_models_dir, resolve_model_dir
from triage.errors import ConfigError, ModelError

log = logging.getLogger("triage.service")


class Classifier:
    """Holds the current engine; `engine()` returns it after a rate-limited reload check."""

    def __init__(self, models_dir: Path, *, reload_seconds: float, loader: Callable[[Path], Triage],
                 on_change: Callable[[str | None, str], None], engine: Triage | None = None,
                 rules_path: Path | None = None) -> None:
        self.models_dir = models_dir
        self.rules_path = rules_path
        self.reload_seconds = reload_seconds
        self.loader = loader
        self.on_change = on_change
        self.current = engine
        self.folder: Path | None = None
        self.load_error: str | None = None
        self._pointer_mtime: int | None = None
        self._checked_at = -float("inf")
        self._lock = threading.Lock()
        if engine is not None:
            self._pointer_mtime = self._mtime()
            on_change(None, engine.model_version)

    def engine(self) -> Triage:
        """The engine to use for this request (503 when no model could be loaded)."""
        if time.monotonic() - self._checked_at >= self.reload_seconds:
            self.check()
        if self.current is None:
            raise ApiError(503, f"No model loaded ({self.load_error}); train one or fix models/ACTIVE.")
        return self.current

    def check(self) -> None:
        """Load the model the pointer names if the pointer changed since the last check."""
        with self._lock:
            self._checked_at = time.monotonic()
            mtime = self._mtime()
            if self.current is not None and mtime == self._pointer_mtime:
                return
            self._pointer_mtime = mtime
            try:
                folder = resolve_model_dir(self.models_dir)
                # With a rules file, touching ACTIVE re-reads it even when the model stays the same.
                if self.current is not None and folder == self.folder and self.rules_path is None:
                    return
                engine = self._build(folder)
            except (ModelError, ConfigError) as error:  # messages name files, never message text
                self.load_error = str(error)
                log.error("model or rules load failed; keeping %s: %s",
                          self.current.model_version if self.current else "no model", error)
                return
            old = self.current.model_version if self.current else None
            self.current, self.folder, self.load_error = engine, folder, None
            self.on_change(old, engine.model_version)
            log.info("model %s loaded from %s (was %s)", engine.model_version, folder, old)

    def _build(self, folder: Path) -> Triage:
        return self.current.with_model(folder, rules_path=self.rules_path) if self.current else self.loader(folder)

    def _mtime(self) -> int | None:
        try:
            return (self.models_dir / ACTIVE_FILE).stat().st_mtime_ns
        except FileNotFoundError:
            return None


def init_app(app: Flask) -> None:
    """Create the Classifier; load the model now unless PRELOAD_MODEL is off."""
    config = app.config
    models_dir = Path(config["MODELS_DIR"]) if config["MODELS_DIR"] else default_models_dir()
    rules_path = Path(config["RULES_PATH"]) if config["RULES_PATH"] else None

    def load(folder: Path) -> Triage:
        return Triage.load(folder, rules_path=rules_path,
                           communes_dir=Path(config["COMMUNES_DIR"]) if config["COMMUNES_DIR"] else None,
                           default_commune=config["DEFAULT_COMMUNE"])

    metrics = app.extensions["triage.metrics"]
    classifier = Classifier(models_dir, reload_seconds=config["MODEL_RELOAD_SECONDS"], loader=load,
                            on_change=metrics.model_changed, engine=config.get("TRIAGE_ENGINE"),
                            rules_path=rules_path)
    if classifier.current is None and config["PRELOAD_MODEL"]:
        classifier.check()
    app.extensions["triage.classifier"] = classifier


def get_classifier() -> Classifier:
    """The current app's Classifier."""
    return current_app.extensions["triage.classifier"]
