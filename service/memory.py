"""The officers' correction memory: a corrected message, sent again, gets the officer's label at once.

A correction stores the sha256 of the message's `triage.text.memory_key` (accent-free words), so
the same text with other spacing, case or accents finds it. A correction stops being applied once
the active model was trained on it (its metadata's `corrections_through` is not older).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from flask import current_app, has_app_context
from sqlalchemy import bindparam, select

from service.db import Database, DatabaseUnavailable
from service.schema import corrections
from triage import Triage
from triage.engine import KnownLabel
from triage.text import memory_key

log = logging.getLogger("triage.service")

# Built once (as service.store's statements): building a select per message cost more than running
# it (~0.2 ms of the ~0.3 ms per lookup with SQLite).
_NEWEST_BY_KEY = (select(corrections).where(corrections.c.memory_key == bindparam("digest"))
                  .order_by(corrections.c.id.desc()).limit(1))
_NEWEST_BY_KEY_SINCE = (select(corrections)
                        .where(corrections.c.memory_key == bindparam("digest"),
                               corrections.c.created_at > bindparam("since"))
                        .order_by(corrections.c.id.desc()).limit(1))


def key_hash(key: str) -> str | None:
    """The stored form of a memory key (None for a message without words: nothing to remember)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest() if key else None


def text_hash(text: str) -> str | None:
    """The stored memory key of `text`, normalized by the current app's engine (None without one)."""
    if not has_app_context():
        return None
    engine = current_app.extensions["triage.classifier"].current
    return key_hash(memory_key(engine.normalizer.normalize(text))) if engine else None


def lookup(db: Database, engine: Triage) -> Callable[[str], KnownLabel | None]:
    """The `known_label` hook of `Triage.classify`: the newest correction with this key that the
    engine's model was not trained on (None when the database is down)."""
    trained_through = _parse(engine.metadata.get("corrections_through"))
    query = _NEWEST_BY_KEY if trained_through is None else _NEWEST_BY_KEY_SINCE

    def find(key: str) -> KnownLabel | None:
        digest = key_hash(key)
        if digest is None:
            return None
        try:
            with db.transaction() as conn:
                row = conn.execute(query, {"digest": digest, "since": trained_through}).mappings().first()
        except DatabaseUnavailable:
            return None
        if row is None:
            return None
        return KnownLabel(row["label"], row["urgent"], row["procedure_id"], {
            "correction_id": row["id"], "message_id": row["message_id"],
            "corrected_by_role": row["created_by_role"], "corrected_at": _iso(row["created_at"])})

    return find


def _parse(stamp: object) -> datetime | None:
    if not isinstance(stamp, str) or not stamp:
        return None
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
