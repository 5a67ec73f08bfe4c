"""Officer alerts for an urgent tip: Zalo messages to the duty and hamlet officers now, to the chief
after ZALO_ESCALATION_MINUTES unless acknowledged, and the signed outgoing webhook."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from service.review_queries import to_local
from service.zalo import outbox
from service.zalo.config import ZaloCommune
from service.zalo.vault import Vault
from triage.routing import Commune


@dataclass(frozen=True)
class AlertSettings:
    """What alerts need from the app's settings."""

    public_url: str
    escalation_minutes: float
    webhook_url: str | None


def enqueue_alerts(conn: Connection, vault: Vault, settings: AlertSettings, *, oa_id: str, commune: Commune,
                   officers: ZaloCommune, record: dict[str, Any], now: datetime) -> int:
    """Queue every alert of one urgent tip (once each per message); returns how many were added."""
    hamlet_ids = [e["value"] for e in record["result"]["entities"] if e["kind"] == "hamlet"]
    hamlet_ids = list(dict.fromkeys(hamlet_ids))
    link = f"{settings.public_url.rstrip('/')}/messages/{record['id']}"
    fields = {"commune_name": commune.name, "received_at": f"{to_local(now):%H:%M %d/%m/%Y}", "link": link,
              "place": "".join(f", thôn {commune.hamlets[h].name}" for h in hamlet_ids),
              "minutes": f"{settings.escalation_minutes:g}"}
    now_ids = list(dict.fromkeys([*officers.duty, *(i for h in hamlet_ids for i in officers.hamlets.get(h, ()))]))
    added = 0
    for officer in now_ids:
        added += outbox.enqueue(conn, oa_id=oa_id, dedup_key=f"alert:{record['id']}:{officer}", kind="alert",
                                recipient=vault.encrypt(officer), text=officers.templates["alert"].format_map(fields),
                                message_id=record["id"])
    due = now + timedelta(minutes=settings.escalation_minutes)
    for chief in officers.chief:
        added += outbox.enqueue(conn, oa_id=oa_id, dedup_key=f"escalation:{record['id']}:{chief}",
                                kind="escalation", recipient=vault.encrypt(chief),
                                text=officers.templates["escalation"].format_map(fields),
                                message_id=record["id"], due=due)
    if settings.webhook_url:
        payload = {"event": "urgent_tip", "message_id": record["id"], "commune": commune.id,
                   "label": record["label"], "urgent": record["urgent"], "hamlets": hamlet_ids,
                   "received_at": now.isoformat(), "link": link}
        added += outbox.enqueue(conn, oa_id=oa_id, dedup_key=f"webhook:{record['id']}", kind="webhook",
                                recipient=None, text=json.dumps(payload, ensure_ascii=False),
                                message_id=record["id"])
    return added
