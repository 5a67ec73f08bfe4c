"""Review pages: the queue (/review), a message with its history (/messages/<id>), and corrections.

Corrections go through the same append-only storage as POST /v1/messages/<id>/label, with the
logged-in user as author. What each role sees of citizens' text is `service.redaction`'s policy.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup

from service import payload
from service.classifier import get_classifier
from service.db import get_db
from service.errors import ApiError
from service.pages import message_view
from service.pages.dates import parse_day
from service.pages.highlight import highlight
from service.pages.login import current_user, login_required
from service.pages.names import (
    LABEL_KEYS,
    LABEL_NAMES,
    LABEL_SHORT,
    PRIORITY_NAMES,
    QUEUE_NAMES,
    STATUS_NAMES,
)
from service.pages.places import commune_names, hamlet_names
from service.pages.security import page_blueprint, safe_next
from service.redaction import redact_correction, sees_full_text
from service.review_queries import (
    STATUSES,
    QueueFilter,
    review_queue,
    sender_messages,
    to_local,
    urgent_worklist,
)
from service.store import get_store
from service.worklist import queue_counts, waiting_since
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
# The sender's other messages the message page lists.
SENDER_DAYS, SENDER_LIMIT = 30, 20
# Most urgent tips listed above the queue (the count says how many more wait).
WORKLIST_LIMIT = 50


def _role() -> str | None:
    user = current_user()
    return user.role if user is not None else None


def _view(row: dict[str, Any], hamlets: dict[str, str], communes: dict[str, str]) -> dict[str, Any]:
    """What a template needs of a stored message."""
    result = row["result"] or {}
    commune = row["commune"]
    route = result.get("route") or {}
    latest = row.get("latest_correction")
    names = rule_descriptions()
    return {
        "id": row["id"], "html": highlight(row["text"], result.get("reasons", []),
                                          redacted=not sees_full_text(_role()), rule_names=names),
        "label": row["label"], "confidence": row["confidence"], "urgent": row["urgent"],
        "needs_review": row["needs_review"], "procedure_id": row["procedure_id"],
        "queue": route.get("queue"), "priority": route.get("priority"),
        "received_at": to_local(row["received_at"]), "commune": communes.get(commune, commune),
        "hamlets": sorted({hamlets.get(f"{commune}:{e['value']}", e["value"]) for e in result.get("entities", [])
                           if e.get("kind") == "hamlet"}),
        "rules": sorted({names.get(r["rule_id"], r["rule_id"]) for r in result.get("reasons", [])
                         if r.get("kind") == "rule"}),
        "latest": latest and {**redact_correction(latest, _role()), "created_at": to_local(latest["created_at"])},
        "correction_count": row.get("correction_count", 0),
        "waited": waiting_since(row["received_at"]),
    }


def rule_descriptions() -> dict[str, str]:
    """Rule id -> its Vietnamese description (rules without one keep their id)."""
    return {rule.id: rule.description for rule in get_classifier().engine().rules.rules if rule.description}


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
    day = parse_day(raw)
    if day is None:
        abort(400, f"Ngày không hợp lệ: {raw!r}. Hãy viết ngày/tháng/năm, ví dụ 02/03/2026.")
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
    urgent, waiting = urgent_worklist(get_db(), chosen, limit=WORKLIST_LIMIT)
    counts = queue_counts(get_db(), current_user().communes)
    args = {key: request.args[key] for key in FILTER_KEYS if request.args.get(key)}
    return render_template("review.html", page=found, rows=[_view(r, hamlets, communes) for r in found.rows],
                           urgent=[_view(r, hamlets, communes) for r in urgent], waiting=waiting,
                           messages_total=counts["messages"], urgent_total=counts["urgent_waiting"],
                           chosen=chosen, hamlets=hamlets, args=args,
                           here=url_for("review.queue", **args, **({"page": page} if page > 1 else {})), **_names())


@bp.get("/review/updates")
@login_required()
def updates() -> Response:
    """What the open queue polls (no message text): how many messages the user's communes hold and how
    many urgent tips wait, so the page refreshes its lists and alerts on a new urgent tip."""
    counts = queue_counts(get_db(), current_user().communes)
    oldest = counts["oldest_waiting"]
    return jsonify({"messages": counts["messages"], "urgent_waiting": counts["urgent_waiting"],
                    "oldest_wait": waiting_since(oldest) if oldest is not None else None})


@bp.get("/messages/<message_id>")
@login_required()
def message(message_id: str) -> str:
    """One message: its current label beside the model's, entities, route, reply, every correction and
    acknowledgement, and the same sender's other recent messages."""
    user = current_user()
    stored = get_store().message(message_id, user.communes)
    if stored is None:
        abort(404, "Không tìm thấy tin nhắn này.")
    hamlets, communes = hamlet_names(), commune_names()
    current = message_view.standing(stored["corrections"])
    view = _view({**stored, "latest_correction": current[-1] if current else None}, hamlets, communes)
    others = [_view(row, hamlets, communes)
              for row in sender_messages(get_db(), stored, user.communes, days=SENDER_DAYS, limit=SENDER_LIMIT)]
    # A Zalo location pin shows where the citizen was: officers and admins only.
    pin = location_of(get_db(), message_id) if sees_full_text(_role()) else None
    return render_template("message.html", m=view, history=message_view.history(stored, _role()),
                           facts=message_view.facts(stored, _role(), hamlets), others=others,
                           sender_days=SENDER_DAYS, pin=pin, **_names())


@bp.post("/messages/<message_id>/label")
@login_required()
def correct(message_id: str) -> Response:
    """Confirm or correct a label from the review screen: JSON for the page's script (with what undoes
    it), else Post/Redirect/Get."""
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
        problem = f"Chưa lưu: {FIELD_ERRORS.get(error.field or '', 'dữ liệu không hợp lệ')}."
        if _wants_json():
            return jsonify({"saved": False, "message": problem}), 400
        flash(problem, "error")
        return redirect(back)
    stored = get_store().add_correction(message_id, correction, created_by=user.name, role=user.role,
                                        user_id=user.id, communes=user.communes)
    if stored is None:
        abort(404, "Không tìm thấy tin nhắn này.")
    said = "Đã lưu nhãn “{}”{}.".format(LABEL_NAMES[correction.label],
                                        ", đã tiếp nhận tin khẩn" if stored["acknowledgement_id"] else "")
    if _wants_json():
        return jsonify({"saved": True, "message": said, "correction_id": stored["id"],
                        "acknowledged": stored["acknowledgement_id"] is not None,
                        "undo_url": url_for("review.undo", message_id=message_id)})
    flash(Markup('{} <a href="{}">Xem tin nhắn</a>').format(
        said, url_for("review.message", message_id=message_id)), "success")
    session["undo"] = {"message_id": message_id, "correction_id": stored["id"]}
    return redirect(back)


@bp.post("/messages/<message_id>/undo")
@login_required()
def undo(message_id: str) -> Response:
    """Undo ("Hoàn tác") the user's own latest label of a message, shortly after: the label before it
    comes back as a new correction and the acknowledgement it made is withdrawn."""
    user = current_user()
    try:
        correction_id = int(request.form.get("correction_id", ""))
    except ValueError:
        abort(400, "Thiếu mã lần gán nhãn cần hoàn tác.")
    undone = get_store().undo_correction(
        message_id, correction_id, user_id=user.id, created_by=user.name, role=user.role,
        communes=user.communes, within=timedelta(seconds=current_app.config["UNDO_SECONDS"]))
    session.pop("undo", None)
    if undone is None:
        problem = "Không hoàn tác được: chỉ hoàn tác được nhãn mới nhất do chính bạn gán, ngay sau khi gán."
        if _wants_json():
            return jsonify({"undone": False, "message": problem}), 409
        flash(problem, "error")
    else:
        said = f"Đã hoàn tác: nhãn trở lại “{LABEL_NAMES[undone['label']]}”."
        if _wants_json():
            return jsonify({"undone": True, "message": said})
        flash(said, "success")
    return redirect(safe_next(request.form.get("next"), url_for("review.queue")))


def _wants_json() -> bool:
    """Whether the page's script asked (fetch with Accept: application/json) rather than a plain form."""
    return request.accept_mimetypes.best == "application/json"


def _names() -> dict[str, Any]:
    return {"LABELS": LABELS, "LABEL_NAMES": LABEL_NAMES, "LABEL_KEYS": LABEL_KEYS, "LABEL_SHORT": LABEL_SHORT,
            "STATUS_NAMES": STATUS_NAMES,
            "QUEUE_NAMES": QUEUE_NAMES, "PRIORITY_NAMES": PRIORITY_NAMES, "PROCEDURE_IDS": PROCEDURE_IDS,
            "procedure_names": _procedure_names()}


def _procedure_names() -> dict[str, str]:
    catalog = get_classifier().engine().catalog
    return {procedure_id: catalog[procedure_id].name for procedure_id in PROCEDURE_IDS}
