"""What the message page shows beyond the queue item: current label, entities, route, reply, history."""

from __future__ import annotations

from typing import Any

from service.redaction import redact_correction, redact_result
from service.review_queries import to_local

ENTITY_NAMES = {"hamlet": "Thôn", "phone": "Số điện thoại", "plate": "Biển số xe", "id_number": "Số giấy tờ"}
NOTIFY_ROLES = {"duty_officer": "Trực ban", "hamlet_officer": "Cán bộ phụ trách thôn", "chief": "Trưởng Công an xã"}
ACTION_NAMES = {"handoff": "Chuyển cho cán bộ", "auto_reply": "Bot tự trả lời"}
# Reasons the engine explains in Vietnamese (intent, time of the incident, safety bias, a correction
# of the memory that was not applied, a truncated message), shown beside the matched keywords.
EXPLAINED_REASONS = ("officer_correction_not_applied", "intent", "time", "safety_bias", "truncated")


def standing(corrections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Corrections that stand: neither an undo nor undone (an undo restores the label before)."""
    undone = {c["reverts"] for c in corrections if c.get("reverts") is not None}
    return [c for c in corrections if c.get("reverts") is None and c["id"] not in undone]


def history(stored: dict[str, Any], role: str | None) -> list[dict[str, Any]]:
    """Every correction, oldest first, with whether it acknowledged the urgent tip (and whether undone)."""
    acks = stored["acknowledgements"]
    withdrawn = {a["withdraws"] for a in acks if a["withdraws"] is not None}
    made = {a["correction_id"]: a for a in acks if a["withdraws"] is None}
    return [{**redact_correction(c, role), "created_at": to_local(c["created_at"]),
             "acknowledged": c["id"] in made,
             "ack_withdrawn": c["id"] in made and made[c["id"]]["id"] in withdrawn}
            for c in stored["corrections"]]


def facts(stored: dict[str, Any], role: str | None, hamlets: dict[str, str]) -> dict[str, Any]:
    """Current label (the officer's if corrected, else the model's), entities masked for the role, route, reply."""
    result = redact_result(stored["result"] or {}, role)
    route = result.get("route") or {}
    officer = (standing(stored["corrections"]) or [None])[-1]
    entities = [{"kind": ENTITY_NAMES.get(e.get("kind"), e.get("kind")),
                 "text": hamlets.get(f"{stored['commune']}:{e.get('value')}", e.get("text"))
                 if e.get("kind") == "hamlet" else e.get("text")}
                for e in result.get("entities", [])]
    notified = [{"role": NOTIFY_ROLES.get(n.get("role"), n.get("role")), "name": n.get("name"),
                 "phone": n.get("phone"), "place": n.get("place")} for n in route.get("notify") or []]
    return {"officer": officer and {**officer, "created_at": to_local(officer["created_at"])},
            "model": {"label": stored["label"], "urgent": stored["urgent"], "procedure_id": stored["procedure_id"],
                      "confidence": stored["confidence"]},
            "entities": entities, "queue": route.get("queue"), "priority": route.get("priority"),
            "action": ACTION_NAMES.get(route.get("action"), route.get("action")), "notified": notified,
            "reply": route.get("reply"),
            "explanations": [r["message"] for r in result.get("reasons", [])
                             if r.get("kind") in EXPLAINED_REASONS and r.get("message")]}
