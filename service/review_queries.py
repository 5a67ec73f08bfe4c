"""Queries behind the review screen: the queue, the urgent worklist, a sender's other messages."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, Literal

from sqlalchemy import Connection, Text, and_, cast, exists, func, select

from service.communes import Scope, scope_condition
from service.db import Database
from service.schema import corrections, messages
from service.worklist import effective_condition, waiting_condition

# Vietnam keeps UTC+7 all year: days on the screen are local days.
LOCAL_TZ = timezone(timedelta(hours=7))
Status = Literal["unreviewed", "reviewed", "all"]
STATUSES: tuple[Status, ...] = ("unreviewed", "reviewed", "all")


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows; None means no restriction. `hamlet` is "<commune id>:<hamlet id>";
    `communes` are those the user may see."""

    label: str | None = None
    status: Status = "unreviewed"
    hamlet: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    communes: Scope = None


@dataclass
class QueuePage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, -(-self.total // self.per_page))


def local_day_start(day: date) -> datetime:
    """00:00 Vietnam time of `day`, in UTC (stored times are UTC)."""
    return datetime.combine(day, time(), LOCAL_TZ).astimezone(UTC)


def to_local(moment: datetime) -> datetime:
    """A stored time (naive UTC on SQLite) in Vietnam time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TZ)


def _conditions(chosen: QueueFilter) -> list[Any]:
    reviewed = exists().where(corrections.c.message_id == messages.c.id, effective_condition())
    conditions: list[Any] = [scope_condition(messages.c.commune, chosen.communes)]
    if chosen.label:
        conditions.append(messages.c.label == chosen.label)
    if chosen.status == "unreviewed":
        conditions.append(~reviewed)
    elif chosen.status == "reviewed":
        conditions.append(reviewed)
    if chosen.hamlet:
        # Hamlets are entities in the stored result JSON; both JSON and JSONB print '"value": "<id>"'
        # and the id is checked against the commune's hamlets first, so it holds no LIKE wildcards.
        commune, _, hamlet = chosen.hamlet.partition(":")
        conditions.append(messages.c.commune == commune)
        conditions.append(cast(messages.c.result, Text).like(f'%"value": "{hamlet}"%'))
    if chosen.date_from:
        conditions.append(messages.c.received_at >= local_day_start(chosen.date_from))
    if chosen.date_to:
        conditions.append(messages.c.received_at < local_day_start(chosen.date_to + timedelta(days=1)))
    return conditions


def review_queue(db: Database, chosen: QueueFilter, *, page: int, per_page: int) -> QueuePage:
    """Messages other than the urgent tips still waiting: urgent tips first, then the least confident,
    then the newest; each row with its latest standing correction."""
    # Urgent tips still waiting are the worklist above the queue (`urgent_worklist`), not part of it.
    where = and_(~waiting_condition(), *_conditions(chosen))
    order = (messages.c.urgent.desc(), messages.c.confidence.asc(), messages.c.received_at.desc(), messages.c.id)
    with db.transaction() as conn:
        total = conn.execute(select(func.count()).select_from(messages).where(where)).scalar_one()
        rows = [dict(r) for r in conn.execute(select(messages).where(where).order_by(*order)
                                              .limit(per_page).offset((page - 1) * per_page)).mappings()]
        latest = latest_corrections(conn, [row["id"] for row in rows])
    for row in rows:
        row["latest_correction"] = latest.get(row["id"])
        row["correction_count"] = latest.get(row["id"], {}).get("count", 0)
    return QueuePage(rows, total, page, per_page)


def urgent_worklist(db: Database, chosen: QueueFilter, *, limit: int) -> tuple[list[dict[str, Any]], int]:
    """Urgent tips still waiting that match the filter, oldest first (at most `limit`), and how many there are.

    "Unreviewed" does not hide them (an analyst's label is not an acknowledgement); looking back at
    the reviewed messages leaves them out."""
    if chosen.status == "reviewed":
        return [], 0
    where = and_(waiting_condition(), *_conditions(replace(chosen, status="all")))
    with db.transaction() as conn:
        total = conn.execute(select(func.count()).select_from(messages).where(where)).scalar_one()
        rows = [dict(r) for r in conn.execute(select(messages).where(where)
                                              .order_by(messages.c.received_at.asc(), messages.c.id)
                                              .limit(limit)).mappings()]
        latest = latest_corrections(conn, [row["id"] for row in rows])
    for row in rows:
        row["latest_correction"] = latest.get(row["id"])
    return rows, total


def sender_messages(db: Database, message: dict[str, Any], communes: Scope, *, days: int,
                    limit: int) -> list[dict[str, Any]]:
    """The same sender's other messages in the same commune received in the last `days` days, newest
    first, each with its latest standing correction (by pseudonymized sender id; none without one)."""
    if not message.get("sender_hash"):
        return []
    since = datetime.now(UTC) - timedelta(days=days)
    where = and_(messages.c.sender_hash == message["sender_hash"], messages.c.commune == message["commune"],
                 messages.c.id != message["id"], messages.c.received_at >= since,
                 scope_condition(messages.c.commune, communes))
    with db.transaction() as conn:
        rows = [dict(r) for r in conn.execute(select(messages).where(where)
                                              .order_by(messages.c.received_at.desc()).limit(limit)).mappings()]
        latest = latest_corrections(conn, [row["id"] for row in rows])
    for row in rows:
        row["latest_correction"] = latest.get(row["id"])
    return rows


def latest_corrections(conn: Connection, message_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The latest standing correction of each message that has one, with `count` (standing corrections)."""
    if not message_ids:
        return {}
    found: dict[str, dict[str, Any]] = {}
    counts: Counter[str] = Counter()
    for row in conn.execute(select(corrections).where(corrections.c.message_id.in_(message_ids),
                                                      effective_condition())
                            .order_by(corrections.c.id)).mappings():
        counts[row["message_id"]] += 1
        found[row["message_id"]] = dict(row)
    for message_id, row in found.items():
        row["count"] = counts[message_id]
    return found
