"""The dashboard's numbers: messages per label and per day, urgent tips, time to acknowledge, hamlets,
Zalo sends that failed."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median

from sqlalchemy import and_, exists, func, select

from service.communes import Scope, scope_condition
from service.db import Database, utc
from service.review_queries import LOCAL_TZ, local_day_start, to_local
from service.schema import acknowledgements, corrections, messages, zalo_accounts, zalo_outbox
from service.worklist import effective_condition
from triage import LABELS


@dataclass(frozen=True)
class DashboardStats:
    days: list[date]
    per_day: dict[date, dict[str, int]]
    urgent_per_day: dict[date, int]
    total: int
    needs_review: int
    corrected: int
    agreed: int
    # Crime tips per "<commune id>:<hamlet id>" (a tip naming no hamlet counts under "").
    tips_per_hamlet: Counter[str]
    # Minutes from arrival to the first standing acknowledgement, one per acknowledged urgent tip.
    acknowledge_minutes: list[float]

    @property
    def needs_review_share(self) -> float | None:
        return self.needs_review / self.total if self.total else None

    @property
    def correction_rate(self) -> float | None:
        return self.corrected / self.total if self.total else None

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.corrected if self.corrected else None

    @property
    def label_mix(self) -> dict[str, int]:
        return {label: sum(counts[label] for counts in self.per_day.values()) for label in LABELS}

    @property
    def median_minutes_to_acknowledge(self) -> float | None:
        return median(self.acknowledge_minutes) if self.acknowledge_minutes else None


def dashboard_stats(db: Database, *, days: int, today: date | None = None,
                    communes: Scope = None) -> DashboardStats:
    """Numbers of the last `days` local days in these communes (None: all): messages per label per
    day, urgent tips per day, review share, corrections, crime tips per hamlet, time to acknowledge.

    A message counts as corrected when an officer labelled it; the model agrees when the latest
    of those labels is the one it predicted.
    """
    today = today or datetime.now(LOCAL_TZ).date()
    first = today - timedelta(days=days - 1)
    window = and_(messages.c.received_at >= local_day_start(first), scope_condition(messages.c.commune, communes))
    per_day: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(LABELS, 0))
    urgent_per_day: Counter[date] = Counter()
    hamlets: Counter[str] = Counter()
    total = needs_review = 0
    predicted: dict[str, str] = {}
    with db.transaction() as conn:
        for row in conn.execute(select(messages.c.id, messages.c.received_at, messages.c.label, messages.c.urgent,
                                       messages.c.needs_review, messages.c.commune, messages.c.result).where(window)):
            day = to_local(row.received_at).date()
            per_day[day][row.label] += 1
            urgent_per_day[day] += bool(row.urgent)
            total += 1
            needs_review += bool(row.needs_review)
            predicted[row.id] = row.label
            if row.label == "crime_tip":
                named = {e.get("value") for e in (row.result or {}).get("entities", []) if e.get("kind") == "hamlet"}
                hamlets.update({f"{row.commune}:{value}" for value in named} or {""})
        final: dict[str, str] = {}
        for row in conn.execute(select(corrections.c.message_id, corrections.c.label)
                                .join(messages, messages.c.id == corrections.c.message_id)
                                .where(window, effective_condition()).order_by(corrections.c.id)):
            final[row.message_id] = row.label
        minutes = _acknowledge_minutes(conn, window)
    agreed = sum(1 for message_id, label in final.items() if predicted.get(message_id) == label)
    day_list = [first + timedelta(days=i) for i in range(days)]
    return DashboardStats(day_list, {d: per_day[d] for d in day_list}, {d: urgent_per_day[d] for d in day_list},
                          total, needs_review, len(final), agreed, hamlets, minutes)


def _acknowledge_minutes(conn, window) -> list[float]:
    """Minutes from arrival to the first acknowledgement that still stands, per urgent tip in the window."""
    withdrawn = acknowledgements.alias("withdrawn")
    first: dict[str, float] = {}
    for row in conn.execute(select(acknowledgements.c.message_id, acknowledgements.c.created_at, messages.c.received_at)
                            .join(messages, messages.c.id == acknowledgements.c.message_id)
                            .where(window, acknowledgements.c.withdraws.is_(None),
                                   ~exists().where(withdrawn.c.withdraws == acknowledgements.c.id))
                            .order_by(acknowledgements.c.id)):
        if row.message_id not in first:
            waited = utc(row.created_at) - utc(row.received_at)
            first[row.message_id] = max(0.0, waited.total_seconds() / 60)
    return list(first.values())


def failed_zalo_sends(db: Database, *, days: int, today: date | None = None, communes: Scope = None) -> int:
    """Zalo sends queued in the last `days` local days by the OAs of these communes that were given up
    on ("không gửi được": refused by Zalo, or still failing after ZALO_GIVE_UP_HOURS)."""
    today = today or datetime.now(LOCAL_TZ).date()
    first = today - timedelta(days=days - 1)
    with db.transaction() as conn:
        return conn.execute(select(func.count()).select_from(zalo_outbox)
                            .join(zalo_accounts, zalo_accounts.c.oa_id == zalo_outbox.c.oa_id)
                            .where(zalo_outbox.c.status == "failed",
                                   zalo_outbox.c.created_at >= local_day_start(first),
                                   scope_condition(zalo_accounts.c.commune, communes))).scalar_one()
