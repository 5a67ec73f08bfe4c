"""Webhook events: parse them, then classify, store and queue the reply and alerts in one transaction.

Each event is recorded once per (OA, event key) in zalo_events; a retried event finds its key
taken and changes nothing, so a message is stored, answered and alerted on at most once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, update

from service.auth import Client
from service.db import Database
from service.memory import CorrectionMemory
from service.metrics import Metrics
from service.payload import ClassifyItem
from service.pseudonym import pseudonymize
from service.recording import new_record
from service.schema import zalo_events
from service.store import MessageStore
from service.zalo import outbox
from service.zalo.accounts import Account
from service.zalo.alerts import AlertSettings, enqueue_alerts
from service.zalo.config import ZaloCommune
from service.zalo.vault import Vault
from triage import Triage
from triage.routing import Commune

log = logging.getLogger("triage.zalo")

MEDIA_EVENTS = {"user_send_image": "Hình ảnh", "user_send_file": "Tệp", "user_send_sticker": "Nhãn dán",
                "user_send_gif": "Ảnh GIF", "user_send_audio": "Tin nhắn thoại", "user_send_video": "Video"}
HANDLED_EVENTS = {"user_send_text", "user_send_location", "follow", "unfollow", *MEDIA_EVENTS}
LOCATION_WINDOW = timedelta(minutes=10)
MAX_TEXT_CHARS = 4000


class EventError(ValueError):
    """A webhook body that is not a Zalo event this service can read; the message names the field."""


@dataclass(frozen=True)
class Event:
    """The parts of a Zalo webhook event the connector uses."""

    name: str
    oa_id: str
    user_id: str | None
    timestamp: str
    msg_id: str | None
    text: str | None
    location: tuple[float, float] | None


def oa_and_timestamp(body: dict[str, Any]) -> tuple[str, str]:
    """The OA an event is for (recipient.id, or oa_id for follow events) and its timestamp text."""
    recipient = body.get("recipient")
    oa_id = recipient.get("id") if isinstance(recipient, dict) else body.get("oa_id")
    timestamp = body.get("timestamp")
    if not isinstance(oa_id, (str, int)) or not str(oa_id):
        raise EventError("Field 'recipient.id' (or 'oa_id') is required.")
    if not isinstance(timestamp, (str, int)) or not str(timestamp).isdigit():
        raise EventError("Field 'timestamp' must be the event time in milliseconds.")
    return str(oa_id), str(timestamp)


def parse(body: dict[str, Any]) -> Event:
    """The event of a signed webhook body."""
    oa_id, timestamp = oa_and_timestamp(body)
    name = body.get("event_name")
    if not isinstance(name, str):
        raise EventError("Field 'event_name' is required.")
    person = body.get("follower") if name in ("follow", "unfollow") else body.get("sender")
    user_id = person.get("id") if isinstance(person, dict) else None
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    msg_id = message.get("msg_id")
    text = message.get("text")
    return Event(name=name, oa_id=oa_id, user_id=str(user_id) if user_id else None, timestamp=timestamp,
                 msg_id=str(msg_id)[:200] if msg_id else None,
                 text=text.replace("\x00", "\ufffd")[:MAX_TEXT_CHARS] if isinstance(text, str) else None,
                 location=_location(message) if name == "user_send_location" else None)


def _location(message: dict[str, Any]) -> tuple[float, float] | None:
    for attachment in message.get("attachments") or ():
        coordinates = ((attachment or {}).get("payload") or {}).get("coordinates") or {}
        try:
            latitude, longitude = float(coordinates["latitude"]), float(coordinates["longitude"])
        except (KeyError, TypeError, ValueError):
            continue
        if -90 <= latitude <= 90 and -180 <= longitude <= 180:
            return latitude, longitude
    return None


@dataclass
class Handler:
    """Everything handling an event needs; one per app."""

    db: Database
    store: MessageStore
    memory: CorrectionMemory
    metrics: Metrics
    vault: Vault
    pseudonym_key: bytes
    officers: dict[str, ZaloCommune]
    alert_settings: AlertSettings
    sender_rate_limit: int

    def handle(self, engine: Triage, event: Event, account: Account) -> str:
        """Record the event and queue what it calls for; returns what was done (for the answer and logs)."""
        if event.name not in HANDLED_EVENTS:
            return "ignored"
        if not event.user_id:
            raise EventError("Field 'sender.id' (or 'follower.id') is required.")
        commune = engine.communes.get(account.commune)
        officers = self.officers.get(commune.id, ZaloCommune())
        sender_hash = pseudonymize(self.pseudonym_key, event.user_id)
        now = datetime.now(UTC)
        record = self._classify(engine, event, account, commune) if event.name in ("user_send_text",
                                                                                   *MEDIA_EVENTS) else None
        key = event.msg_id or f"{event.name}:{sender_hash}:{event.timestamp}"
        with self.db.transaction() as conn:
            if self._flooding(conn, account.oa_id, sender_hash, now):
                return "rate_limited"
            event_id = outbox.insert_new(conn, zalo_events, {
                "oa_id": account.oa_id, "event_key": key, "event_name": event.name, "sender_hash": sender_hash,
                "user_id": self.vault.encrypt(event.user_id), "received_at": now})
            if event_id is None:
                return "duplicate"
            reply = self._react(conn, event, event_id, account, commune, officers, record, sender_hash, now,
                                _fields(engine, commune))
            if reply is not None:
                outbox.enqueue(conn, oa_id=account.oa_id, dedup_key=f"reply:{key}", kind="reply",
                               recipient=self.vault.encrypt(event.user_id), text=reply,
                               message_id=record["id"] if record else None)
        if record is not None:
            self.metrics.observe_result(record["result"])
        return event.name

    def _classify(self, engine: Triage, event: Event, account: Account, commune: Commune) -> dict[str, Any]:
        text = event.text or ""
        if event.name in MEDIA_EVENTS:
            text = f"[{MEDIA_EVENTS[event.name]} gửi qua Zalo]" + (f"\n{text}" if text.strip() else "")
        elif not text.strip():
            raise EventError("Field 'message.text' must not be empty.")
        client = Client(token_id=None, name=f"zalo:{account.oa_id}", role="bot",  # type: ignore[arg-type]
                        rate_key="", communes=frozenset({commune.id}))
        record = new_record(engine, ClassifyItem(text, event.msg_id, event.user_id, commune.id), commune.id, client,
                            self.pseudonym_key, datetime.now(UTC), self.memory.lookup(engine, commune.id))
        if event.name in MEDIA_EVENTS:  # only an officer can tell what a picture shows
            record["needs_review"] = True
            record["result"] = {**record["result"], "needs_review": True}
        return record

    def _react(self, conn: Connection, event: Event, event_id: int, account: Account, commune: Commune,
               officers: ZaloCommune, record: dict[str, Any] | None, sender_hash: str, now: datetime,
               fields: dict[str, str]) -> str | None:
        """Store what the event brings; the reply text, if any."""
        if event.name == "follow":
            return officers.templates["welcome"].format_map(fields)
        if event.name == "unfollow":
            return None
        if event.name == "user_send_location":
            self._attach_location(conn, event, event_id, account.oa_id, sender_hash, now)
            return None
        assert record is not None
        self.store.insert_in(conn, [record])
        conn.execute(update(zalo_events).where(zalo_events.c.id == event_id).values(message_id=record["id"]))
        if record["urgent"]:
            enqueue_alerts(conn, self.vault, self.alert_settings, oa_id=account.oa_id, commune=commune,
                           officers=officers, record=record, now=now)
        if event.name in MEDIA_EVENTS and not record["urgent"]:
            return officers.templates["media"].format_map(fields)
        return record["result"]["route"]["reply"]

    def _attach_location(self, conn: Connection, event: Event, event_id: int, oa_id: str, sender_hash: str,
                         now: datetime) -> None:
        """The pin goes on the sender's latest message of the last 10 minutes (and on its own event row)."""
        if event.location is None:
            log.info("zalo: location event without coordinates ignored")
            return
        latitude, longitude = event.location
        latest = conn.execute(select(zalo_events.c.message_id).where(
            zalo_events.c.oa_id == oa_id, zalo_events.c.sender_hash == sender_hash,
            zalo_events.c.message_id.is_not(None), zalo_events.c.received_at >= now - LOCATION_WINDOW,
        ).order_by(zalo_events.c.received_at.desc(), zalo_events.c.id.desc()).limit(1)).scalar()
        targets = [zalo_events.c.id == event_id]
        if latest is not None:
            targets.append(zalo_events.c.message_id == latest)
        for target in targets:
            conn.execute(update(zalo_events).where(target).values(latitude=latitude, longitude=longitude))
        conn.execute(update(zalo_events).where(zalo_events.c.id == event_id).values(message_id=latest))

    def _flooding(self, conn: Connection, oa_id: str, sender_hash: str, now: datetime) -> bool:
        if self.sender_rate_limit <= 0:
            return False
        recent = conn.execute(select(func.count()).select_from(zalo_events).where(
            zalo_events.c.oa_id == oa_id, zalo_events.c.sender_hash == sender_hash,
            zalo_events.c.received_at >= now - timedelta(minutes=1))).scalar_one()
        return recent >= self.sender_rate_limit


def _fields(engine: Triage, commune: Commune) -> dict[str, str]:
    return {"commune_name": commune.name, "duty_phone": commune.duty_phone, "emergency_phone": commune.emergency_phone,
            "office_hours": commune.office_hours, "address": commune.address,
            "procedures": "; ".join(card.name for card in engine.catalog.cards.values())}


def location_of(db: Database, message_id: str) -> tuple[float, float] | None:
    """The location pin attached to a stored message, if any (for the message page)."""
    with db.transaction() as conn:
        row = conn.execute(select(zalo_events.c.latitude, zalo_events.c.longitude).where(
            zalo_events.c.message_id == message_id, zalo_events.c.latitude.is_not(None))
            .order_by(zalo_events.c.id.desc()).limit(1)).first()
    return None if row is None else (row.latitude, row.longitude)
