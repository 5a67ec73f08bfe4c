"""Classify messages and keep a record of each: the work behind /v1/classify and its batch form."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from service.auth import Client
from service.errors import ApiError
from service.memory import CorrectionMemory
from service.payload import ClassifyItem
from service.pseudonym import pseudonymize
from service.store import MessageStore
from triage import Triage
from triage.engine import KnownLabel


def classify_and_record(engine: Triage, store: MessageStore, memory: CorrectionMemory, items: list[ClassifyItem],
                        client: Client, secret: bytes) -> list[dict[str, Any]]:
    """Results in request order, each with its message_id.

    A msg_id already stored returns the stored result: the retry is classified but not stored
    again (retries are rare, so this costs less than a lookup before every classification). A
    msg_id repeated within one batch reuses the first item's result.
    """
    for item in items:
        _check_commune(engine, item.commune)
    known_label = memory.lookup(engine)
    received_at = datetime.now(UTC)
    first_by_msg_id: dict[str, dict[str, Any]] = {}
    new_records: list[dict[str, Any]] = []
    per_item: list[dict[str, Any]] = []
    for item in items:
        record = first_by_msg_id.get(item.msg_id) if item.msg_id else None
        if record is None:
            record = _record(engine, item, client, secret, received_at, known_label)
            new_records.append(record)
            if item.msg_id:
                first_by_msg_id[item.msg_id] = record
        per_item.append(record)
    stored = store.save(new_records)
    return [_response(stored.get(record["msg_id"], record)) for record in per_item]


def _response(record: dict[str, Any]) -> dict[str, Any]:
    return {**record["result"], "message_id": record["id"]}


def _check_commune(engine: Triage, commune: str | None) -> None:
    try:
        engine.communes.get(commune)
    except KeyError:
        raise ApiError(400, f"Field 'commune': unknown commune {commune!r}; known: "
                       f"{sorted(engine.communes.communes)}.", "invalid_field") from None


def _record(engine: Triage, item: ClassifyItem, client: Client, secret: bytes, received_at: datetime,
            known_label: Callable[[str], KnownLabel | None]) -> dict[str, Any]:
    commune = item.commune or engine.communes.default
    result = engine.classify(item.text, commune, known_label=known_label).to_dict()
    return {
        "id": uuid.uuid4().hex, "msg_id": item.msg_id, "received_at": received_at, "client": client.name,
        "commune": commune,
        "sender_hash": pseudonymize(secret, item.sender_id) if item.sender_id else None,
        "text": item.text, "label": result["label"], "urgent": result["urgent"],
        "needs_review": result["needs_review"], "procedure_id": result["procedure_id"],
        "confidence": result["confidence"], "model_version": result["model_version"],
        "rules_version": result["rules_version"], "result": result,
    }
