"""Review pages: the queue (/review), a message with its history (/messages/<id>), and corrections.

Corrections go through the same append-only storage as POST /v1/messages/<id>/label, with the
logged-in user as author. What each role sees of citizens' text is `service.redaction`'s policy.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from service import payload
from service.classifier import get_classifier
from service.communes import allows
from service.db import get_db
from service.errors import ApiError
from service.highlight import highlight
from service.queue import STATUSES, QueueFilter, review_queue, to_local
from service.redaction import redact, redact_correction, sees_full_text
from service.store import get_store
from service.web import current_user, login_required, page_blueprint, safe_next
from service.zalo.events import location_of
from triage import LABELS
from triage.procedures import PROCEDURE_IDS

bp = page_blueprint(Blueprint("review", __name__))

PER_PAGE = 25
MAX_PAGE = 100_000
# The only query keys the queue reads and passes on to its page links.
FILTER_KEYS = ("label", "status", "hamlet", "from", "to")
# Dates the filters accept (beyond them the day's bounds in UTC+7 do not exist).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)
# What the review screen says when a correction form holds a value the API would refuse.
FIELD_ERRORS = {"label": "nhãn không hợp lệ", "urgent": "giá trị “khẩn cấp” không hợp lệ",
                "procedure_id": "thủ tục không hợp lệ",
                "note": f"ghi chú phải có từ 1 đến {payload.MAX_NOTE_CHARS} ký tự và là văn bản hợp lệ"}
LABEL_NAMES = {"crime_tip": "Tin báo tội phạm", "procedure": "Thủ tục hành chính", "chat": "Trò chuyện, khác"}
LABEL_KEYS = {"crime_tip": "1", "procedure": "2", "chat": "3"}
STATUS_NAMES = {"unreviewed": "Chưa duyệt", "reviewed": "Đã duyệt", "all": "Tất cả"}
QUEUE_NAMES = {"crime_tips": "Tin báo", "procedures": "Thủ tục", "chat": "Trò chuyện", "review": "Cần duyệt"}
PRIORITY_NAMES = {"urgent": "Khẩn cấp", "high": "Cao", "normal": "Bình thường", "low": "Thấp"}


def commune_names() -> dict[str, str]:
    """Commune id -> Vietnamese name, for the communes the logged-in user may see."""
    scope = current_user().communes
    return {key: commune.name for key, commune in get_classifier().engine().communes.communes.items()
            if allows(scope, key)}


def hamlet_names() -> dict[str, str]:
    """Hamlet choices of the user's communes: "<commune id>:<hamlet id>" (hamlet ids repeat across
    communes) -> hamlet name, with the commune's name when the user sees several communes."""
    directory = get_classifier().engine().communes
    names = commune_names()
    return {f"{key}:{hamlet_id}": hamlet.name + (f" ({names[key]})" if len(names) > 1 else "")
            for key in names for hamlet_id, hamlet in directory.communes[key].hamlets.items()}


def _role() -> str | None:
    user = current_user()
    return user.role if user is not None else None


def _view(row: dict[str, Any], hamlets: dict[str, str], communes: dict[str, str]) -> dict[str, Any]:
    """What a template needs of a stored message."""
    result = row["result"] or {}
    commune = row["commune"]
    route = result.get("route") or {}
    latest = row.get("latest_correction")
    return {
        "id": row["id"], "html": highlight(row["text"], result.get("reasons", []),
                                          redacted=not sees_full_text(_role())),
        "label": row["label"], "confidence": row["confidence"], "urgent": row["urgent"],
        "needs_review": row["needs_review"], "procedure_id": row["procedure_id"],
        "queue": route.get("queue"), "priority": route.get("priority"),
        "received_at": to_local(row["received_at"]), "commune": communes.get(commune, commune),
        "hamlets": sorted({hamlets.get(f"{commune}:{e['value']}", e["value"]) for e in result.get("entities", [])
                           if e.get("kind") == "hamlet"}),
        "rules": sorted({r["rule_id"] for r in result.get("reasons", []) if r.get("kind") == "rule"}),
        "latest": latest and {**redact_correction(latest, _role()), "created_at": to_local(latest["created_at"])},
        "correction_count": row.get("correction_count", 0),
    }


def _filter_from_args(hamlets: dict[str, str]) -> QueueFilter:
    args = request.args
    label = args.get("label") or None
    status = args.get("status") or "unreviewed"
    hamlet = args.get("hamlet") or None
    if label not in (None, *LABELS) or status not in STATUSES or hamlet not in (None, *hamlets):
        abort(400, "Bộ lọc không hợp lệ.")
    return QueueFilter(label=label, status=status, hamlet=hamlet,  # type: ignore[arg-type]
                       date_from=_date_arg("from"), date_to=_date_arg("to"), communes=current_user().communes)


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name) or None
    if raw is None:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        abort(400, f"Ngày không hợp lệ: {raw!r} (định dạng NNNN-TT-NN).")
    if not FIRST_DAY <= day <= LAST_DAY:
        abort(400, f"Ngày phải trong khoảng {FIRST_DAY:%d/%m/%Y} – {LAST_DAY:%d/%m/%Y}, không phải {raw}.")
    return day


@bp.get("/review")
@login_required()
def queue() -> str:
    """The review queue, filtered and paginated."""
    hamlets, communes = hamlet_names(), commune_names()
    chosen = _filter_from_args(hamlets)
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        abort(400, "Số trang không hợp lệ.")
    if page > MAX_PAGE:
        abort(400, f"Số trang phải từ 1 đến {MAX_PAGE}.")
    found = review_queue(get_db(), chosen, page=page, per_page=PER_PAGE)
    args = {key: request.args[key] for key in FILTER_KEYS if request.args.get(key)}
    return render_template("review.html", page=found, rows=[_view(r, hamlets, communes) for r in found.rows],
                           chosen=chosen, hamlets=hamlets, args=args, **_names())


@bp.get("/messages/<message_id>")
@login_required()
def message(message_id: str) -> str:
    """One message, its decision and every correction (who, when, what)."""
    stored = get_store().message(message_id, current_user().communes)
    if stored is None:
        abort(404, "Không tìm thấy tin nhắn này.")
    history = [{**redact_correction(c, _role()), "created_at": to_local(c["created_at"])}
               for c in stored["corrections"]]
    view = _view({**stored, "latest_correction": stored["corrections"][-1] if stored["corrections"] else None},
                 hamlet_names(), commune_names())
    reply = (stored["result"].get("route") or {}).get("reply")
    # A Zalo location pin shows where the citizen was: officers and admins only.
    pin = location_of(get_db(), message_id) if sees_full_text(_role()) else None
    return render_template("message.html", m=view, history=history, reply=redact(reply, _role()), pin=pin,
                           **_names())


@bp.post("/messages/<message_id>/label")
@login_required()
def correct(message_id: str) -> Response:
    """Confirm or correct a label from the review screen (Post/Redirect/Get)."""
    user = current_user()
    form = request.form
    label = form.get("label")
    body = {"label": label,
            "urgent": form.get("urgent") == "1" if label == "crime_tip" else None,
            "procedure_id": (form.get("procedure_id") or None) if label == "procedure" else None,
            "note": form.get("note", "").strip() or None}
    back = safe_next(form.get("next"), url_for("review.queue"))
    try:
        correction = payload.label_correction(body, LABELS, PROCEDURE_IDS)
    except ApiError as error:
        flash(f"Chưa lưu: {FIELD_ERRORS.get(error.field or '', 'dữ liệu không hợp lệ')}.", "error")
        return redirect(back)
    stored = get_store().add_correction(message_id, correction, created_by=user.name, role=user.role,
                                        user_id=user.id, communes=user.communes)
    if stored is None:
        abort(404, "Không tìm thấy tin nhắn này.")
    flash(Markup("Đã lưu nhãn “{}” cho <a href=\"{}\">tin nhắn</a>.").format(
        LABEL_NAMES[correction.label], url_for("review.message", message_id=message_id)), "success")
    return redirect(back)


def _names() -> dict[str, Any]:
    return {"LABELS": LABELS, "LABEL_NAMES": LABEL_NAMES, "LABEL_KEYS": LABEL_KEYS, "STATUS_NAMES": STATUS_NAMES,
            "QUEUE_NAMES": QUEUE_NAMES, "PRIORITY_NAMES": PRIORITY_NAMES, "PROCEDURE_IDS": PROCEDURE_IDS,
            "procedure_names": _procedure_names()}


def _procedure_names() -> dict[str, str]:
    catalog = get_classifier().engine().catalog
    return {procedure_id: catalog[procedure_id].name for procedure_id in PROCEDURE_IDS}
