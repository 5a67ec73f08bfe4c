"""Classify messages and keep a record of each: the work behind /v1/classify and its batch form."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from service.auth import Client
from service.communes import allows
from service.errors import ApiError
from service.memory import CorrectionMemory
from service.payload import ClassifyItem
from service.pseudonym import pseudonymize
from service.store import MessageStore, MsgIdConflict
from triage import Triage
from triage.engine import KnownLabel


def classify_and_record(engine: Triage, store: MessageStore, memory: CorrectionMemory, items: list[ClassifyItem],
                        client: Client, secret: bytes) -> list[dict[str, Any]]:
    """Results in request order, each with its message_id.

    msg_ids are the client's own: idempotency is per token. A msg_id this token already stored
    with the same text returns the stored result: the retry is classified but not stored again
    (retries are rare, so this costs less than a lookup before every classification); with
    another text it is a 409 and nothing of the request is stored. A msg_id repeated within one
    batch reuses the first item's result (409 if the texts differ). Each message goes to a
    commune of the token (403 otherwise).
    """
    communes = [_commune(engine, item.commune, client) for item in items]
    hooks: dict[str, Callable[[str], KnownLabel | None]] = {}
    received_at = datetime.now(UTC)
    first_by_msg_id: dict[str, dict[str, Any]] = {}
    new_records: list[dict[str, Any]] = []
    per_item: list[dict[str, Any]] = []
    for item, commune in zip(items, communes, strict=True):
        record = first_by_msg_id.get(item.msg_id) if item.msg_id else None
        if record is not None and record["text"] != item.text:
            raise _conflict(item.msg_id or "")
        if record is None:
            if commune not in hooks:
                hooks[commune] = memory.lookup(engine, commune)
            record = new_record(engine, item, commune, client, secret, received_at, hooks[commune])
            new_records.append(record)
            if item.msg_id:
                first_by_msg_id[item.msg_id] = record
        per_item.append(record)
    try:
        stored = store.save(new_records)
    except MsgIdConflict as conflict:
        raise _conflict(conflict.msg_id) from None
    return [_response(stored.get(record["msg_id"], record)) for record in per_item]


def _conflict(msg_id: str) -> ApiError:
    return ApiError(409, f"msg_id {msg_id!r} was already used by this client for a different text; "
                    "send a new msg_id for a new message (nothing of this request was stored).", "msg_id_conflict")


def _response(record: dict[str, Any]) -> dict[str, Any]:
    return {**record["result"], "message_id": record["id"]}


def _commune(engine: Triage, named: str | None, client: Client) -> str:
    """The commune a message goes to: the one named, else the token's only one, else the default;
    400 if unknown, 403 if not one of the token's communes."""
    scope = client.communes
    commune = named or (next(iter(scope)) if scope is not None and len(scope) == 1 else engine.communes.default)
    if commune not in engine.communes.communes:
        raise ApiError(400, f"Field 'commune': unknown commune {commune!r}; known: "
                       f"{sorted(engine.communes.communes)}.", "invalid_field")
    if not allows(scope, commune):
        hint = "" if named else " Name one of them in field 'commune'."
        raise ApiError(403, f"This token may classify only into communes {sorted(scope or ())}, "
                       f"not {commune!r}.{hint}")
    return commune


def new_record(engine: Triage, item: ClassifyItem, commune: str, client: Client, secret: bytes,
               received_at: datetime, known_label: Callable[[str], KnownLabel | None]) -> dict[str, Any]:
    """A classified message as stored: new id, pseudonymized sender, the result and its columns."""
    result = engine.classify(item.text, commune, known_label=known_label).to_dict()
    return {
        "id": uuid.uuid4().hex, "msg_id": item.msg_id, "received_at": received_at, "client": client.name,
        "token_id": client.token_id, "commune": commune,
        "sender_hash": pseudonymize(secret, item.sender_id) if item.sender_id else None,
        "text": item.text, "label": result["label"], "urgent": result["urgent"],
        "needs_review": result["needs_review"], "procedure_id": result["procedure_id"],
        "confidence": result["confidence"], "model_version": result["model_version"],
        "rules_version": result["rules_version"], "result": result,
    }
