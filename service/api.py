"""The bot-facing API: classify (one or a batch), corrections, stored messages, the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify

from service import payload
from service.auth import api_access
from service.classifier import get_classifier
from service.errors import ApiError
from service.memory import get_memory
from service.metrics import get_metrics
from service.openapi import openapi_document
from service.recording import classify_and_record
from service.redaction import redact, redact_correction, redact_result
from service.store import get_store
from triage import LABELS
from triage.procedures import PROCEDURE_IDS

bp = Blueprint("api", __name__)

REVIEWERS = ("officer", "analyst", "admin")
# Who may classify (and so store messages): the bot backend, and admins for tests and backfills.
CLASSIFIERS = ("bot", "admin")


@bp.post("/v1/classify")
@api_access(*CLASSIFIERS)
def classify() -> Response:
    """Classify one message and store it (idempotent by this token's msg_id)."""
    item = payload.classify_item(payload.json_object())
    return jsonify(_classify([item])[0])


@bp.post("/v1/classify/batch")
@api_access(*CLASSIFIERS, cost=payload.batch_cost)
def classify_batch() -> Response:
    """Classify up to BATCH_MAX messages; results come back in request order."""
    items = payload.batch_items(payload.json_object(), current_app.config["BATCH_MAX"])
    return jsonify({"results": _classify(items)})


@bp.post("/v1/messages/<message_id>/label")
@api_access(*REVIEWERS)
def label(message_id: str) -> tuple[Response, int]:
    """Record an officer's correction of a message's label (append-only)."""
    correction = payload.label_correction(payload.json_object(), LABELS, PROCEDURE_IDS)
    stored = get_store().add_correction(message_id, correction, created_by=g.client.name,
                                        role=g.client.role, token_id=g.client.token_id,
                                        communes=g.client.communes)
    if stored is None:
        raise ApiError(404, f"No message with message_id {message_id!r}.")
    return jsonify(_correction_json(stored)), 201


@bp.get("/v1/messages/<message_id>")
@api_access(*REVIEWERS)
def message(message_id: str) -> Response:
    """A stored message with its result and corrections, redacted as the caller's role may see it."""
    stored = get_store().message(message_id, g.client.communes)
    if stored is None:
        raise ApiError(404, f"No message with message_id {message_id!r}.")
    role = g.client.role
    text, result = redact(stored["text"], role), redact_result(stored["result"], role)
    corrections = [redact_correction(c, role) for c in stored["corrections"]]
    return jsonify({
        "message_id": stored["id"], "msg_id": stored["msg_id"], "text": text, "commune": stored["commune"],
        "sender_hash": stored["sender_hash"], "client": stored["client"],
        "received_at": _iso(stored["received_at"]), "stored_at": _iso(stored["stored_at"]),
        "result": result, "corrections": [_correction_json(c) for c in corrections],
    })


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.0 description of this API."""
    return jsonify(openapi_document(current_app.config))


def _classify(items: list[payload.ClassifyItem]) -> list[dict[str, Any]]:
    engine = get_classifier().engine()
    results = classify_and_record(engine, get_store(), get_memory(), items, g.client,
                                  current_app.extensions["triage.keys"].pseudonym)
    metrics = get_metrics()
    for result in results:
        metrics.observe_result(result)
    g.labels = [result["label"] for result in results]
    return results


def _correction_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "message_id": row["message_id"], "label": row["label"], "urgent": row["urgent"],
            "procedure_id": row["procedure_id"], "note": row["note"], "created_by": row["created_by"],
            "created_by_role": row["created_by_role"], "created_at": _iso(row["created_at"])}


def _iso(moment: datetime) -> str:
    """UTC ISO 8601 with a Z (SQLite returns naive datetimes, which are UTC here)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
