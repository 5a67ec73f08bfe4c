"""Urgent tips as a worklist: acknowledgements (who saw an urgent tip, when) and the tips still waiting.

A message the engine marked urgent waits until an officer or admin confirms or corrects it, which
acknowledges it (analysts label for training and acknowledge nothing). Acknowledgements are
append-only: undoing the correction that made one appends a row withdrawing it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, insert, select

from service.communes import Scope, scope_condition
from service.db import Database, utc
from service.schema import acknowledgements, corrections, messages

# Roles whose confirmation or correction acknowledges an urgent tip.
ACKNOWLEDGING_ROLES = ("officer", "admin")


def _standing(message_id: Any) -> Any:
    """SQL: the message has an acknowledgement that was not withdrawn."""
    withdrawn = acknowledgements.alias("withdrawn")
    return exists().where(acknowledgements.c.message_id == message_id,
                          acknowledgements.c.withdraws.is_(None),
                          ~exists().where(withdrawn.c.withdraws == acknowledgements.c.id))


def waiting_condition() -> Any:
    """SQL: an urgent tip nobody has acknowledged yet."""
    return and_(messages.c.urgent.is_(True), ~_standing(messages.c.id))


def is_acknowledged(conn: Connection, message_id: str) -> bool:
    """Whether the message has an acknowledgement that was not withdrawn."""
    return bool(conn.execute(select(_standing(message_id))).scalar())


def acknowledge(conn: Connection, message_id: str, correction_id: int, *, created_by: str, role: str,
                user_id: int | None, token_id: int | None, now: datetime) -> int | None:
    """Acknowledge the message by this correction if it is an urgent tip still waiting and the role
    acknowledges; the new acknowledgement's id, or None."""
    if role not in ACKNOWLEDGING_ROLES:
        return None
    waiting = conn.execute(select(messages.c.id).where(messages.c.id == message_id, waiting_condition())).first()
    if waiting is None:
        return None
    return conn.execute(insert(acknowledgements).values(
        message_id=message_id, correction_id=correction_id, created_by=created_by, created_by_role=role,
        user_id=user_id, token_id=token_id, created_at=now).returning(acknowledgements.c.id)).scalar_one()


def withdraw_by_correction(conn: Connection, message_id: str, correction_id: int, *, created_by: str,
                           role: str, user_id: int | None, now: datetime) -> int | None:
    """Withdraw the acknowledgement made by this correction (when it is undone); the new row's id, or None."""
    made = conn.execute(select(acknowledgements.c.id).where(
        acknowledgements.c.message_id == message_id, acknowledgements.c.correction_id == correction_id,
        acknowledgements.c.withdraws.is_(None))).scalar()
    if made is None:
        return None
    return conn.execute(insert(acknowledgements).values(
        message_id=message_id, withdraws=made, created_by=created_by, created_by_role=role,
        user_id=user_id, created_at=now).returning(acknowledgements.c.id)).scalar_one()


def message_acknowledgements(conn: Connection, message_id: str) -> list[dict[str, Any]]:
    """Every acknowledgement row of a message, oldest first."""
    return [dict(row) for row in conn.execute(select(acknowledgements).where(
        acknowledgements.c.message_id == message_id).order_by(acknowledgements.c.id)).mappings()]


def queue_counts(db: Database, communes: Scope) -> dict[str, Any]:
    """Messages in these communes, urgent tips waiting, and when the oldest of them arrived (None if none)."""
    scope = scope_condition(messages.c.commune, communes)
    with db.transaction() as conn:
        total = conn.execute(select(func.count()).select_from(messages).where(scope)).scalar_one()
        waiting, oldest = conn.execute(select(func.count(), func.min(messages.c.received_at))
                                       .where(scope, waiting_condition())).one()
    return {"messages": total, "urgent_waiting": waiting, "oldest_waiting": oldest}


def waiting_since(moment: datetime, now: datetime | None = None) -> str:
    """How long since `moment`, in Vietnamese ("vừa xong", "12 phút", "3 giờ 5 phút", "2 ngày 4 giờ")."""
    minutes = max(0, int(((now or datetime.now(UTC)) - utc(moment)).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} ngày {hours} giờ" if hours else f"{days} ngày"
    if hours:
        return f"{hours} giờ {minutes} phút" if minutes else f"{hours} giờ"
    return f"{minutes} phút" if minutes else "vừa xong"


def effective_condition() -> Any:
    """SQL, over `corrections`: a correction that stands (neither an undo nor undone)."""
    undo = corrections.alias("undo")
    return and_(corrections.c.reverts.is_(None), ~exists().where(undo.c.reverts == corrections.c.id))
