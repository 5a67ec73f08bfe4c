"""Request bodies: read a JSON object and check each field, naming the culprit on error."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Flask, abort, current_app, g, request

from service.errors import ApiError

MAX_ID_CHARS = 200
MAX_NOTE_CHARS = 2000


@dataclass(frozen=True)
class ClassifyItem:
    """One message to classify, as the client sent it."""

    text: str
    msg_id: str | None
    sender_id: str | None
    commune: str | None


@dataclass(frozen=True)
class LabelCorrection:
    """An officer's correction of one message's label."""

    label: str
    urgent: bool | None
    procedure_id: str | None
    note: str | None


def reject_nul_in_path() -> None:
    """before_request: a path parameter holding NUL names nothing (PostgreSQL refuses it in queries): 404."""
    if any(isinstance(value, str) and "\x00" in value for value in (request.view_args or {}).values()):
        abort(404)


def init_app(app: Flask) -> None:
    """Check path parameters before any view runs."""
    app.before_request(reject_nul_in_path)


def json_object() -> dict[str, Any]:
    """The request body as a JSON object (415 if not JSON, 400 if malformed or not an object); parsed once."""
    if "json_body" in g:
        return g.json_body
    if not request.is_json:
        raise ApiError(415, "Send the body as JSON with 'Content-Type: application/json'.")
    raw = request.get_data(cache=False)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ApiError(400, f"Body is not valid JSON: {_short(exc)}", "invalid_json") from None
    if not isinstance(body, dict):
        raise ApiError(400, f"Body must be a JSON object, not {_json_type(body)}.", "invalid_json")
    g.json_body = body
    return body


def batch_cost() -> int:
    """What a batch counts against its token's rate limit: one per message (BATCH_MAX at most)."""
    messages = json_object().get("messages")
    count = len(messages) if isinstance(messages, list) else 0
    return max(1, min(count, current_app.config["BATCH_MAX"]))


def classify_item(body: Any, where: str = "") -> ClassifyItem:
    """Check one /v1/classify object: text required; msg_id, sender_id, commune optional."""
    if not isinstance(body, dict):
        raise _field_error(where.rstrip("."), f"must be an object, not {_json_type(body)}")
    _reject_unknown(body, {"text", "msg_id", "sender_id", "commune"}, where)
    text = body.get("text")
    if not isinstance(text, str):
        raise _field_error(f"{where}text", "is required and must be a string"
                           if text is None else f"must be a string, not {_json_type(text)}")
    if not text.strip():
        raise _field_error(f"{where}text", "must not be empty or only whitespace")
    return ClassifyItem(text=_storable(text, f"{where}text"),
                        msg_id=_optional_str(body, "msg_id", where, MAX_ID_CHARS),
                        sender_id=_optional_str(body, "sender_id", where, MAX_ID_CHARS),
                        commune=_optional_str(body, "commune", where, MAX_ID_CHARS))


def batch_items(body: dict[str, Any], limit: int) -> list[ClassifyItem]:
    """Check a /v1/classify/batch body: `messages`, a list of 1..limit classify objects."""
    _reject_unknown(body, {"messages"}, "")
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise _field_error("messages", "is required and must be a list of message objects"
                           if messages is None else f"must be a list, not {_json_type(messages)}")
    if not 1 <= len(messages) <= limit:
        raise _field_error("messages", f"must hold 1 to {limit} messages, not {len(messages)}")
    return [classify_item(item, f"messages[{i}].") for i, item in enumerate(messages)]


def label_correction(body: dict[str, Any], labels: tuple[str, ...],
                     procedure_ids: tuple[str, ...]) -> LabelCorrection:
    """Check a correction: a known label; urgent only for crime_tip; procedure_id only for procedure."""
    _reject_unknown(body, {"label", "urgent", "procedure_id", "note"}, "")
    label = body.get("label")
    if label not in labels:
        raise _field_error("label", f"must be one of {list(labels)}, not {_shown(label)}")
    urgent = body.get("urgent")
    if urgent is not None and not isinstance(urgent, bool):
        raise _field_error("urgent", f"must be true, false or null, not {_json_type(urgent)}")
    if urgent and label != "crime_tip":
        raise _field_error("urgent", "can only be true for label crime_tip")
    procedure_id = body.get("procedure_id")
    if procedure_id is not None:
        if procedure_id not in procedure_ids:
            raise _field_error("procedure_id", f"must be null or a known procedure id, not "
                               f"{_shown(procedure_id)}; known: {list(procedure_ids)}")
        if label != "procedure":
            raise _field_error("procedure_id", "can only be set for label procedure")
    return LabelCorrection(label=label, urgent=urgent, procedure_id=procedure_id,
                           note=_optional_str(body, "note", "", MAX_NOTE_CHARS))


def _optional_str(body: dict[str, Any], key: str, where: str, max_chars: int) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _field_error(f"{where}{key}", f"must be a string or null, not {_json_type(value)}")
    if not value or len(value) > max_chars:
        raise _field_error(f"{where}{key}", f"must be 1 to {max_chars} characters long")
    return _storable(value, f"{where}{key}")


def _storable(value: str, field: str) -> str:
    """The string as it can be stored: lone surrogates refused, NUL characters replaced by U+FFFD.

    JSON may escape a lone surrogate ("\\ud800"), which is not Unicode text (neither the tokenizer
    nor PostgreSQL accept it); PostgreSQL text cannot hold NUL, and one NUL must not lose a tip.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _field_error(field, "holds a lone UTF-16 surrogate (\\ud800-\\udfff); send valid Unicode text") from None
    return value.replace("\x00", "\ufffd")


def _reject_unknown(body: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(body) - known)
    if unknown:
        raise _field_error(f"{where}{unknown[0]}", f"is not a known field; expected {sorted(known)}")


def _field_error(field: str, problem: str) -> ApiError:
    return ApiError(400, f"Field '{field}' {problem}.", "invalid_field", field=field)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return {str: "a string", list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    return json.dumps(value[:60], ensure_ascii=False) if isinstance(value, str) else _json_type(value)


def _short(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)[:120] if isinstance(exc, json.JSONDecodeError) else "not UTF-8 text"
