"""Storage of classified messages and corrections, with the spool as fallback for messages.

A message record is complete before it is written (its id is made here, not by the database),
so the same record can go to the database now or to the spool and the database later.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Connection, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from service.communes import Scope, scope_condition
from service.db import Database, DatabaseUnavailable, utc
from service.memory import CorrectionMemory, text_hash
from service.metrics import Metrics
from service.payload import LabelCorrection
from service.schema import corrections, messages
from service.spool import Spool
from service.worklist import acknowledge, effective_condition, message_acknowledgements, withdraw_by_correction

log = logging.getLogger("triage.service")

# The insert runs once per classified message, so it goes straight to the driver: SQLAlchemy's
# execution machinery cost more than SQLite's own work (~0.1 ms of ~0.2 ms per message). The SQL is
# compiled once per dialect, with named parameters. Duplicates (same id, or same token and msg_id) are skipped;
# RETURNING tells whether the row went in (rowcount is not reliable with every driver).
_INSERT_IGNORING_CONFLICTS: dict[str, str] = {
    "sqlite": str(sqlite.insert(messages).on_conflict_do_nothing().returning(messages.c.id)
                  .compile(dialect=sqlite.dialect(paramstyle="named"))),
    "postgresql": str(postgresql.insert(messages).on_conflict_do_nothing().returning(messages.c.id)
                      .compile(dialect=postgresql.psycopg.dialect())),
}
_FIND_BY_MSG_IDS = select(messages.c.id, messages.c.msg_id, messages.c.text, messages.c.result).where(
    messages.c.token_id == bindparam("token_id"), messages.c.msg_id.in_(bindparam("msg_ids", expanding=True)))


class MsgIdConflict(Exception):
    """A client sent one of its stored msg_ids again with another text."""

    def __init__(self, msg_id: str) -> None:
        super().__init__(msg_id)
        self.msg_id = msg_id


class MessageStore:
    """Messages (idempotent by token and msg_id) and append-only corrections."""

    def __init__(self, db: Database, spool: Spool, metrics: Metrics, memory: CorrectionMemory) -> None:
        self.db = db
        self.spool = spool
        self.metrics = metrics
        self.memory = memory

    def save(self, records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Store new records of one token. A record whose msg_id this token already stored is not
        stored again: the stored one comes back instead, in the returned dict by msg_id ({"id",
        "result"}); if its text differs, MsgIdConflict and nothing is stored.

        If the database is down the records go to the spool (and an empty dict comes back).
        """
        try:
            with self.db.transaction() as conn:
                conflicts = self._insert(conn, records)
                stored = _stored_by_msg_id(conn, records[0]["token_id"], conflicts) if conflicts else {}
                _check_same_texts(records, stored)
        except DatabaseUnavailable:
            for record in records:
                self.spool.append(_jsonable(record))
            self.metrics.spooled.inc(len(records))
            log.warning("database unavailable (%s): %d message(s) spooled", self.db.last_error, len(records))
            return {}
        self.replay_if_pending()
        return stored

    def replay_if_pending(self) -> int | None:
        """Move spooled records into the database; None if nothing was replayed."""
        if not self.spool.pending():
            return None
        try:
            count = self.spool.replay(self._store_replayed)
        except DatabaseUnavailable:
            return None
        if count:
            self.metrics.replayed.inc(count)
            log.info("spool: %d message(s) replayed into the database", count)
        return count

    def _store_replayed(self, records: list[dict[str, Any]]) -> None:
        with self.db.transaction() as conn:
            self._insert(conn, [_from_json(record) for record in records])

    def insert_in(self, conn: Connection, records: list[dict[str, Any]]) -> list[str]:
        """Insert records within the caller's transaction (no spool); returns the skipped msg_ids."""
        return self._insert(conn, records)

    def _insert(self, conn: Connection, records: list[dict[str, Any]]) -> list[str]:
        """Insert records, skipping any whose id or msg_id exists; returns the skipped msg_ids."""
        dialect = conn.dialect.name
        statement = _INSERT_IGNORING_CONFLICTS[dialect]
        stored_at = datetime.now(UTC)
        skipped = []
        cursor = conn.connection.cursor()
        try:
            for record in records:
                cursor.execute(statement, _driver_values(record, stored_at, dialect))
                if cursor.fetchone() is None and record.get("msg_id"):
                    skipped.append(record["msg_id"])
        finally:
            cursor.close()
        return skipped

    def message(self, message_id: str, communes: Scope = None) -> dict[str, Any] | None:
        """One stored message of these communes with its corrections (oldest first), or None."""
        self.replay_if_pending()
        with self.db.transaction() as conn:
            row = conn.execute(select(messages).where(messages.c.id == message_id,
                                                      scope_condition(messages.c.commune, communes))).mappings().first()
            if row is None:
                return None
            found = conn.execute(select(corrections).where(corrections.c.message_id == message_id)
                                 .order_by(corrections.c.id)).mappings()
            return {**row, "corrections": [dict(c) for c in found],
                    "acknowledgements": message_acknowledgements(conn, message_id)}

    def add_correction(self, message_id: str, correction: LabelCorrection, *, created_by: str, role: str,
                       token_id: int | None = None, user_id: int | None = None,
                       communes: Scope = None) -> dict[str, Any] | None:
        """Append a correction (made with an API token or by a review-screen user); None if no such
        message in these communes."""
        self.replay_if_pending()
        with self.db.transaction() as conn:
            text = conn.execute(select(messages.c.text).where(
                messages.c.id == message_id, scope_condition(messages.c.commune, communes))).scalar()
            if text is None:
                return None
            values = {"message_id": message_id, "label": correction.label, "urgent": correction.urgent,
                      "procedure_id": correction.procedure_id, "note": correction.note,
                      "created_by": created_by, "created_by_role": role, "token_id": token_id,
                      "user_id": user_id, "created_at": datetime.now(UTC),
                      # the correction memory's key (service.memory): same text again -> officer's label
                      "memory_key": text_hash(text)}
            new_id = conn.execute(insert(corrections).values(**values).returning(corrections.c.id)).scalar_one()
            acknowledged = acknowledge(conn, message_id, new_id, created_by=created_by, role=role,
                                       user_id=user_id, token_id=token_id, now=values["created_at"])
        self.memory.invalidate()
        return {"id": new_id, **values, "acknowledgement_id": acknowledged}

    def undo_correction(self, message_id: str, correction_id: int, *, user_id: int, created_by: str, role: str,
                        communes: Scope, within: timedelta) -> dict[str, Any] | None:
        """Undo a user's own latest correction of a message made less than `within` ago: append a
        correction restoring the label before it (the previous standing one, else the model's) and
        withdraw the acknowledgement it made. None if there is no such correction to undo."""
        now = datetime.now(UTC)
        with self.db.transaction() as conn:
            message = conn.execute(select(messages).where(
                messages.c.id == message_id, scope_condition(messages.c.commune, communes))).mappings().first()
            standing = conn.execute(select(corrections).where(corrections.c.message_id == message_id,
                                                              effective_condition())
                                    .order_by(corrections.c.id.desc()).limit(2)).mappings().all() if message else []
            if (not standing or standing[0]["id"] != correction_id or standing[0]["user_id"] != user_id
                    or utc(standing[0]["created_at"]) < now - within):
                return None
            before = standing[1] if len(standing) > 1 else {
                "label": message["label"], "urgent": message["urgent"] if message["label"] == "crime_tip" else None,
                "procedure_id": message["procedure_id"] if message["label"] == "procedure" else None}
            values = {"message_id": message_id, "label": before["label"], "urgent": before["urgent"],
                      "procedure_id": before["procedure_id"], "note": None, "created_by": created_by,
                      "created_by_role": role, "token_id": None, "user_id": user_id, "created_at": now,
                      "memory_key": text_hash(message["text"]), "reverts": correction_id}
            new_id = conn.execute(insert(corrections).values(**values).returning(corrections.c.id)).scalar_one()
            withdraw_by_correction(conn, message_id, correction_id, created_by=created_by, role=role,
                                   user_id=user_id, now=now)
        self.memory.invalidate()
        return {"id": new_id, **values}


def _stored_by_msg_id(conn: Connection, token_id: int | None, msg_ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = conn.execute(_FIND_BY_MSG_IDS, {"token_id": token_id, "msg_ids": msg_ids}).mappings()
    return {row["msg_id"]: {"id": row["id"], "text": row["text"], "result": row["result"]} for row in rows}


def _check_same_texts(records: list[dict[str, Any]], stored: dict[str, dict[str, Any]]) -> None:
    for record in records:
        found = stored.get(record["msg_id"]) if record["msg_id"] else None
        if found is not None and found["text"] != record["text"]:
            raise MsgIdConflict(record["msg_id"])


def _driver_values(record: dict[str, Any], stored_at: datetime, dialect: str) -> dict[str, Any]:
    """A record as the driver takes it: JSON as text; on SQLite, times as SQLAlchemy writes them
    (naive UTC text), so that SQLAlchemy reads them back."""
    values = {**record, "stored_at": stored_at, "result": json.dumps(record["result"], ensure_ascii=False)}
    if dialect == "sqlite":
        for column in ("received_at", "stored_at"):
            values[column] = values[column].astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return values


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "received_at": record["received_at"].isoformat()}


def _from_json(record: dict[str, Any]) -> dict[str, Any]:
    # Records spooled before messages had a token_id carry none.
    return {"token_id": None, **record, "received_at": datetime.fromisoformat(record["received_at"])}


def init_app(app: Flask) -> None:
    """Attach the MessageStore, spooling into SPOOL_DIR (default instance/spool)."""
    folder = app.config["SPOOL_DIR"] or f"{app.instance_path}/spool"
    app.extensions["triage.store"] = MessageStore(app.extensions["triage.db"], Spool(folder),
                                                  app.extensions["triage.metrics"], app.extensions["triage.memory"])


def get_store() -> MessageStore:
    """The current app's MessageStore."""
    return current_app.extensions["triage.store"]
