"""The durable outbox: rows to send, added once per (OA, dedup key), claimed by one sender at a time.

A claim marks rows `sending` until a lease ends (next_attempt_at); on PostgreSQL the claiming
SELECT skips rows another instance holds (FOR UPDATE SKIP LOCKED), on SQLite the single
UPDATE ... RETURNING runs under the database's one write lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from service.db import utc
from service.schema import zalo_outbox

Kind = str  # reply, alert, escalation, webhook
LEASE = timedelta(seconds=60)
FIRST_RETRY_SECONDS = 1.5
MAX_RETRY_SECONDS = 300.0


@dataclass(frozen=True)
class Item:
    """One claimed row."""

    id: int
    oa_id: str
    kind: Kind
    recipient: str | None
    text: str
    message_id: str | None
    attempts: int
    created_at: datetime


def enqueue(conn: Connection, *, oa_id: str, dedup_key: str, kind: Kind, recipient: str | None, text: str,
            message_id: str | None, due: datetime | None = None) -> bool:
    """Add a row unless one with this (OA, dedup key) exists; whether it was added."""
    now = datetime.now(UTC)
    values = {"oa_id": oa_id, "dedup_key": dedup_key, "kind": kind, "recipient": recipient, "text": text,
              "message_id": message_id, "status": "pending", "attempts": 0, "next_attempt_at": due or now,
              "created_at": now}
    return insert_new(conn, zalo_outbox, values) is not None


def insert_new(conn: Connection, table: Table, values: dict[str, Any]) -> int | None:
    """Insert a row unless it breaks a unique index; the new row's id, or None."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    return conn.execute(insert(table).values(**values).on_conflict_do_nothing().returning(table.c.id)).scalar()


def claim(conn: Connection, limit: int, now: datetime) -> list[Item]:
    """Rows due now (pending, or sending with an expired lease), marked sending for LEASE."""
    due = select(zalo_outbox.c.id).where(
        zalo_outbox.c.status.in_(("pending", "sending")), zalo_outbox.c.next_attempt_at <= now,
    ).order_by(zalo_outbox.c.next_attempt_at).limit(limit).with_for_update(skip_locked=True)
    rows = conn.execute(update(zalo_outbox).where(zalo_outbox.c.id.in_(due.scalar_subquery()))
                        .values(status="sending", next_attempt_at=now + LEASE, attempts=zalo_outbox.c.attempts + 1)
                        .returning(zalo_outbox)).mappings().all()
    return [Item(id=row["id"], oa_id=row["oa_id"], kind=row["kind"], recipient=row["recipient"], text=row["text"],
                 message_id=row["message_id"], attempts=row["attempts"],
                 created_at=utc(row["created_at"])) for row in rows]


def finish(conn: Connection, item_id: int, status: str, error: str | None = None) -> None:
    """Mark a claimed row sent, failed or cancelled."""
    conn.execute(update(zalo_outbox).where(zalo_outbox.c.id == item_id).values(
        status=status, sent_at=datetime.now(UTC) if status == "sent" else None, last_error=error))


def retry_later(conn: Connection, item: Item, error: str, now: datetime) -> None:
    """Put a claimed row back with exponential backoff (1.5 s, 3 s, 6 s, … capped at 5 minutes)."""
    delay = min(FIRST_RETRY_SECONDS * 2 ** (item.attempts - 1), MAX_RETRY_SECONDS)
    conn.execute(update(zalo_outbox).where(zalo_outbox.c.id == item.id).values(
        status="pending", next_attempt_at=now + timedelta(seconds=delay), last_error=error))


def depth(conn: Connection) -> int:
    """Rows not yet sent, failed or cancelled."""
    return conn.execute(select(func.count()).select_from(zalo_outbox).where(
        or_(zalo_outbox.c.status == "pending", zalo_outbox.c.status == "sending"))).scalar_one()
