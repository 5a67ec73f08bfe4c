"""The OpenAPI 3.0 document of the service, built from the same constants the code enforces."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.payload import MAX_ID_CHARS, MAX_NOTE_CHARS
from service.tokens import ROLES
from triage import LABELS, __version__
from triage.procedures import PROCEDURE_IDS

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref("Error")}}}


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref(schema)}}}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": _ref(schema)}}}


def _errors(*statuses: int) -> dict[str, Any]:
    texts = {
        400: "Invalid JSON or an invalid field (the message names it); unknown commune.",
        401: "Missing, malformed, unknown or revoked bearer token.",
        403: "The token's role may not do this, or the commune named is not one of the token's communes.",
        404: "No such message (or one of a commune this token may not see).",
        409: "This token already used the msg_id for a different text; nothing was stored.",
        413: "Body larger than the limit.",
        415: "Body is not JSON (Content-Type must be application/json).",
        429: "Rate limit of this token exceeded; see Retry-After.",
        503: "The database (or, for classify, the model) is unavailable; retry shortly.",
    }
    return {str(status): _error(texts[status]) for status in statuses}


def _zalo_paths() -> dict[str, Any]:
    """The Zalo connector's webhook, served only when TRIAGE_ZALO_APP_ID is set."""
    return {
        "/zalo/webhook": {"post": {
            "summary": "Zalo OA events (service/zalo): signed by Zalo with X-ZEvent-Signature, not a bearer "
                       "token. Stored at once, answered by the outbox later.",
            "operationId": "zaloWebhook", "security": [{"zaloSignature": []}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {"200": _ok("Recorded, or ignored (duplicate, too old, unknown event).", "ZaloAck"),
                          **_errors(400, 401, 403, 413, 503)}}},
    }


def _paths(batch_max: int) -> dict[str, Any]:
    message_id = {"name": "message_id", "in": "path", "required": True, "schema": {"type": "string"}}
    classify_errors = _errors(400, 401, 403, 409, 413, 415, 429, 503)
    return {
        "/v1/classify": {"post": {
            "summary": "Classify one message and store it (bot, admin); the same msg_id from the same token "
                       "returns the stored result.",
            "operationId": "classify", "requestBody": _body("ClassifyRequest"),
            "responses": {"200": _ok("The engine's result plus message_id.", "ClassifyResult"),
                          **classify_errors}}},
        "/v1/classify/batch": {"post": {
            "summary": f"Classify 1 to {batch_max} messages (bot, admin); results in request order. Each "
                       "message counts against the token's rate limit.",
            "operationId": "classifyBatch", "requestBody": _body("BatchRequest"),
            "responses": {"200": _ok("One result per message, in order.", "BatchResult"),
                          **classify_errors}}},
        "/v1/messages/{message_id}/label": {"post": {
            "summary": "Record a correction of a message's label (append-only; officer, analyst, admin).",
            "operationId": "correctLabel", "parameters": [message_id], "requestBody": _body("LabelRequest"),
            "responses": {"201": _ok("The stored correction.", "Correction"),
                          **_errors(400, 401, 403, 404, 413, 415, 429, 503)}}},
        "/v1/messages/{message_id}": {"get": {
            "summary": "A stored message with its result and corrections (officer, analyst, admin; "
                       "analysts see numbers, plates and URL query strings masked).",
            "operationId": "getMessage", "parameters": [message_id],
            "responses": {"200": _ok("The message.", "Message"), **_errors(401, 403, 404, 429, 503)}}},
        "/healthz": {"get": {
            "summary": "Liveness: the process answers.", "operationId": "healthz", "security": [],
            "responses": {"200": _ok("Alive.", "Health")}}},
        "/readyz": {"get": {
            "summary": "Readiness: model loaded, database reachable. A database outage is 200 'degraded' "
                       "(messages are spooled); no model is 503 'unavailable'.",
            "operationId": "readyz", "security": [],
            "responses": {"200": _ok("Ready or degraded.", "Ready"), "503": _ok("No model loaded.", "Ready")}}},
        "/metrics": {"get": {
            "summary": "Prometheus metrics (text exposition format).", "operationId": "metrics", "security": [],
            "responses": {"200": {"description": "Metrics.", "content": {"text/plain": {"schema": {
                "type": "string"}}}}}}},
        "/openapi.json": {"get": {
            "summary": "This document.", "operationId": "openapi", "security": [],
            "responses": {"200": {"description": "OpenAPI 3.0 document.",
                                  "content": {JSON: {"schema": {"type": "object"}}}}}}},
    }


def _schemas(batch_max: int) -> dict[str, Any]:
    text_id = {"type": "string", "minLength": 1, "maxLength": MAX_ID_CHARS, "nullable": True}
    timestamp = {"type": "string", "format": "date-time"}
    string = {"type": "string"}
    strings = {"type": "array", "items": string}
    label = {"type": "string", "enum": list(LABELS)}
    procedure_id = {"type": "string", "enum": [*PROCEDURE_IDS, None], "nullable": True}  # 3.0: null in enum
    return {
        "ClassifyRequest": {
            "type": "object", "additionalProperties": False, "required": ["text"],
            "properties": {
                "text": {"type": "string", "minLength": 1, "description":
                         "The citizen's message; must contain a non-space character. Text beyond the "
                         "engine's limit is ignored (a 'truncated' reason says so)."},
                "msg_id": {**text_id, "description": "The Zalo message id: makes the call idempotent "
                           "for this token (other tokens' msg_ids are separate)."},
                "sender_id": {**text_id, "description": "Stored only as a keyed HMAC pseudonym."},
                "commune": {**text_id, "description": "Commune config id, one of the token's communes; "
                            "when absent: the token's only commune, else the default commune."},
            }},
        "BatchRequest": {
            "type": "object", "additionalProperties": False, "required": ["messages"],
            "properties": {"messages": {"type": "array", "minItems": 1, "maxItems": batch_max,
                                        "items": _ref("ClassifyRequest")}}},
        "ClassifyResult": {
            "type": "object",
            "required": ["message_id", "label", "confidence", "scores", "urgent", "procedure_id", "needs_review",
                         "reasons", "entities", "route", "model_version", "rules_version"],
            "properties": {
                "message_id": {"type": "string", "description": "Id of the stored record."},
                "label": label,
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                "scores": {"type": "object", "additionalProperties": {"type": "number"}},
                "urgent": {"type": "boolean"},
                "procedure_id": procedure_id,
                "needs_review": {"type": "boolean"},
                "reasons": {"type": "array", "items": {
                    "type": "object", "required": ["kind"],
                    "properties": {"kind": {"type": "string",
                                            "enum": ["rule", "model", "intent", "time", "safety_bias",
                                                     "truncated", "officer_correction",
                                                     "officer_correction_not_applied"]}}}},
                "entities": {"type": "array", "items": {
                    "type": "object", "required": ["kind", "text", "span", "value"],
                    "properties": {"kind": {"type": "string", "enum": ["hamlet", "phone", "plate", "id_number"]},
                                   "text": string, "value": string,
                                   "span": {"type": "array", "items": {"type": "integer"},
                                            "minItems": 2, "maxItems": 2}}}},
                "route": _ref("Route"),
                "model_version": string,
                "rules_version": string,
            }},
        "Route": {
            "type": "object", "required": ["action", "queue", "priority", "notify", "reply", "procedure"],
            "properties": {
                "action": {"type": "string", "enum": ["handoff", "auto_reply"]},
                "queue": {"type": "string", "enum": ["crime_tips", "procedures", "chat", "review"]},
                "priority": {"type": "string", "enum": ["urgent", "high", "normal", "low"]},
                "notify": {"type": "array", "items": {
                    "type": "object", "required": ["role", "name", "phone", "place"],
                    "properties": {"role": string, "name": string, "phone": string, "place": string}}},
                "reply": {"type": "string", "description": "The bot's reply to the citizen (Vietnamese)."},
                "procedure": {"type": "object", "nullable": True, "required": ["id", "name", "documents"],
                              "properties": {"id": string, "name": string, "old_names": strings,
                                             "documents": strings, "processing_time": string, "fee": string,
                                             "where": string, "online": string, "legal_basis": string,
                                             "last_reviewed": string}},
            }},
        "BatchResult": {
            "type": "object", "required": ["results"],
            "properties": {"results": {"type": "array", "items": _ref("ClassifyResult")}}},
        "LabelRequest": {
            "type": "object", "additionalProperties": False, "required": ["label"],
            "properties": {
                "label": label,
                "urgent": {"type": "boolean", "nullable": True, "description": "Only true for crime_tip."},
                "procedure_id": {**procedure_id, "description": "Only for label procedure."},
                "note": {"type": "string", "minLength": 1, "maxLength": MAX_NOTE_CHARS, "nullable": True},
            }},
        "Correction": {
            "type": "object",
            "required": ["id", "message_id", "label", "urgent", "procedure_id", "note", "created_by",
                         "created_by_role", "created_at"],
            "properties": {
                "id": {"type": "integer"}, "message_id": string, "label": label,
                "urgent": {"type": "boolean", "nullable": True}, "procedure_id": procedure_id,
                "note": {"type": "string", "nullable": True},
                "created_by": {"type": "string", "description": "Name of the token that made it."},
                "created_by_role": {"type": "string", "enum": list(ROLES)},
                "created_at": timestamp,
            }},
        "Message": {
            "type": "object",
            "required": ["message_id", "msg_id", "text", "commune", "sender_hash", "client", "received_at",
                         "stored_at", "result", "corrections"],
            "properties": {
                "message_id": string, "msg_id": {"type": "string", "nullable": True}, "text": string,
                "commune": string, "sender_hash": {"type": "string", "nullable": True}, "client": string,
                "received_at": timestamp, "stored_at": timestamp,
                "result": {"type": "object", "description": "The ClassifyResult as returned (without message_id)."},
                "corrections": {"type": "array", "items": _ref("Correction")},
            }},
        "ZaloAck": {"type": "object", "required": ["status"], "properties": {"status": string}},
        "Health": {"type": "object", "required": ["status"],
                   "properties": {"status": {"type": "string", "enum": ["ok"]}}},
        "Ready": {
            "type": "object", "required": ["status", "model", "database", "spool"],
            "properties": {
                "status": {"type": "string", "enum": ["ok", "degraded", "unavailable"]},
                "model": {"type": "object", "required": ["ok", "version"],
                          "properties": {"ok": {"type": "boolean"}, "version": {"type": "string", "nullable": True},
                                         "error": string}},
                "database": {"type": "object", "required": ["ok", "dialect"],
                             "properties": {"ok": {"type": "boolean"}, "dialect": string, "error": string}},
                "spool": {"type": "object", "required": ["pending"],
                          "properties": {"pending": {"type": "integer", "minimum": 0}}},
            }},
        "Error": {
            "type": "object", "required": ["error"],
            "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string", "enum": [
                    "invalid_json", "invalid_field", "invalid_request", "unauthorized", "forbidden", "not_found",
                    "method_not_allowed", "msg_id_conflict", "payload_too_large", "unsupported_media_type",
                    "rate_limited", "unavailable", "internal_error"]},
                               "message": string}}}},
    }


def openapi_document(config: Mapping[str, Any]) -> dict[str, Any]:
    """The OpenAPI document for an app with this config (limits are the configured ones)."""
    batch_max = config["BATCH_MAX"]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "triage", "version": __version__,
            "description": (
                "Triage of messages to a commune police Zalo Official Account. Every endpoint except "
                "/healthz, /readyz, /metrics and /openapi.json needs 'Authorization: Bearer <token>'. "
                f"Request bodies are JSON of at most {config['MAX_CONTENT_LENGTH']} bytes. Errors are "
                "{\"error\": {\"code\", \"message\"}}; any endpoint may also answer 404 (unknown path), "
                "405 (wrong method, see Allow) and 500 (a bug; never caused by input). Every response "
                "carries X-Request-ID (the caller's, when well-formed)."),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {**_paths(batch_max), **(_zalo_paths() if config.get("ZALO_APP_ID") else {})},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "Created with `triage tokens create`."},
                                "zaloSignature": {"type": "apiKey", "in": "header", "name": "X-ZEvent-Signature",
                                                  "description": "mac= + sha256(app_id + body + timestamp + OA "
                                                                 "secret key); /zalo/webhook only."}},
            "schemas": _schemas(batch_max),
        },
    }
