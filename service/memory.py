"""The officers' correction memory: a corrected message, sent again, gets the officer's label at once.

A correction stores the sha256 of the message's `triage.text.memory_key` (accent-free words), so
the same text with other spacing, case or accents finds it. A correction stops being applied once
the active model was trained on it (its metadata's `corrections_through` is not older).

The memory can only raise: a remembered label never turns a crime tip into another label nor an
urgent tip into a non-urgent one (the engine's decision stands, flagged for review, quoting the
officer's label); raising (chat or procedure to crime tip, not urgent to urgent) and moves between
procedure and chat apply. It is scoped by commune (a correction in one commune never changes a
message of another), and only officers' and admins' corrections feed it, not analysts'.

Every classified message consults the memory, so each worker keeps the newest correction per
(commune, key) in a dict and reads only corrections added since (at most every CORRECTION_CACHE_SECONDS, and at
once after it stores one itself): a lookup is a dict access instead of a database query (~70 µs on
SQLite, ~0.8 ms on PostgreSQL). Corrections are append-only, so new rows are all there is to read.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, current_app, has_app_context
from sqlalchemy import bindparam, select

from service.db import Database, DatabaseUnavailable
from service.schema import corrections, messages
from triage import Triage
from triage.engine import KnownLabel
from triage.text import memory_key

log = logging.getLogger("triage.service")

# Ids below the newest seen are re-read too: on PostgreSQL a transaction holding a lower id can
# commit after a higher one was read. Re-reading a row is harmless (the newest per key wins).
REREAD_IDS = 100

# Roles whose corrections the memory applies (analysts see masked text and do not decide).
FEEDING_ROLES = ("officer", "admin")

_CORRECTIONS_AFTER = (select(corrections.c.id, corrections.c.memory_key, corrections.c.message_id,
                             corrections.c.label, corrections.c.urgent, corrections.c.procedure_id,
                             corrections.c.created_by_role, corrections.c.created_at, messages.c.commune)
                      .join(messages, messages.c.id == corrections.c.message_id)
                      .where(corrections.c.id > bindparam("after"), corrections.c.memory_key.is_not(None),
                             corrections.c.created_by_role.in_(FEEDING_ROLES))
                      .order_by(corrections.c.id))


@dataclass(frozen=True, slots=True)
class Remembered:
    """The newest correction of one memory key."""

    id: int
    message_id: str
    label: str
    urgent: bool | None
    procedure_id: str | None
    created_by_role: str
    created_at: datetime  # UTC

    def known_label(self) -> KnownLabel:
        return KnownLabel(self.label, self.urgent, self.procedure_id, {
            "correction_id": self.id, "message_id": self.message_id,
            "corrected_by_role": self.created_by_role, "corrected_at": _iso(self.created_at)}, may_lower=False)


class CorrectionMemory:
    """The newest correction per (commune, memory key), read incrementally from the corrections table."""

    def __init__(self, db: Database, ttl: float) -> None:
        self.db = db
        self.ttl = ttl
        self._newest: dict[tuple[str, str], Remembered] = {}
        self._last_id = 0
        self._loaded_at = -math.inf
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        """Read new corrections at the next lookup (call after storing one)."""
        self._loaded_at = -math.inf

    def lookup(self, engine: Triage, commune: str) -> Callable[[str], KnownLabel | None]:
        """The `known_label` hook of `Triage.classify` for a message of `commune`: the newest
        correction with this key in this commune that the engine's model was not trained on. While
        the database is down, what was read stays in use."""
        self._refresh_if_stale()
        newest = self._newest
        trained_through = _parse(engine.metadata.get("corrections_through"))

        def find(key: str) -> KnownLabel | None:
            digest = key_hash(key)
            found = newest.get((commune, digest)) if digest else None
            if found is None or (trained_through is not None and found.created_at <= trained_through):
                return None
            return found.known_label()

        return find

    def _refresh_if_stale(self) -> None:
        if time.monotonic() - self._loaded_at < self.ttl:
            return
        with self._lock:
            if time.monotonic() - self._loaded_at < self.ttl:
                return
            try:
                with self.db.transaction() as conn:
                    rows = conn.execute(_CORRECTIONS_AFTER, {"after": self._last_id - REREAD_IDS}).all()
            except DatabaseUnavailable:
                rows = []
            newest = dict(self._newest)  # lookups in progress keep reading the old dict
            for row in rows:
                known = newest.get((row.commune, row.memory_key))
                if known is None or known.id < row.id:
                    newest[(row.commune, row.memory_key)] = Remembered(
                        row.id, row.message_id, row.label, row.urgent, row.procedure_id, row.created_by_role,
                        _utc(row.created_at))
                self._last_id = max(self._last_id, row.id)
            self._newest = newest
            self._loaded_at = time.monotonic()


def key_hash(key: str) -> str | None:
    """The stored form of a memory key (None for a message without words: nothing to remember)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest() if key else None


def text_hash(text: str) -> str | None:
    """The stored memory key of `text`, normalized by the current app's engine (None without one)."""
    if not has_app_context():
        return None
    engine = current_app.extensions["triage.classifier"].current
    return key_hash(memory_key(engine.normalizer.normalize(text))) if engine else None


def _parse(stamp: object) -> datetime | None:
    if not isinstance(stamp, str) or not stamp:
        return None
    return _utc(datetime.fromisoformat(stamp.replace("Z", "+00:00")))


def _utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes, which are UTC here."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def init_app(app: Flask) -> None:
    """Attach the app's CorrectionMemory."""
    app.extensions["triage.memory"] = CorrectionMemory(app.extensions["triage.db"],
                                                       app.config["CORRECTION_CACHE_SECONDS"])


def get_memory() -> CorrectionMemory:
    """The current app's CorrectionMemory."""
    return current_app.extensions["triage.memory"]
