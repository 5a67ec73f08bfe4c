"""/dashboard: messages per label per day, share needing review, correction rate, model-officer agreement."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from service.db import get_db
from service.pages.charts import share_bar, stacked_bars
from service.pages.login import current_user, login_required
from service.pages.names import LABEL_NAMES
from service.pages.security import page_blueprint
from service.review_queries import dashboard_stats
from triage import LABELS

bp = page_blueprint(Blueprint("dashboard", __name__))

PERIODS = (7, 14, 30, 90)


@bp.get("/dashboard")
@login_required()
def dashboard() -> str:
    """Charts drawn on the server as inline SVG."""
    try:
        days = int(request.args.get("days", "14"))
    except ValueError:
        abort(400, "Khoảng thời gian không hợp lệ.")
    if days not in PERIODS:
        abort(400, f"Khoảng thời gian phải là một trong {', '.join(map(str, PERIODS))} ngày.")
    stats = dashboard_stats(get_db(), days=days, communes=current_user().communes)
    per_label = stacked_bars(stats.days, stats.per_day, LABELS, LABEL_NAMES,
                             title=f"Số tin nhắn theo nhãn mỗi ngày ({days} ngày gần nhất)")
    shares = [
        share_bar(stats.needs_review_share, title="Máy chưa chắc",
                  detail=f"{stats.needs_review} / {stats.total} tin máy phân loại chưa chắc, cần cán bộ xem",
                  colour="#d68910"),
        share_bar(stats.correction_rate, title="Đã có cán bộ duyệt",
                  detail=f"{stats.corrected} / {stats.total} tin nhắn có nhãn của cán bộ", colour="#2471a3"),
        share_bar(stats.agreement, title="Máy phân loại đúng",
                  detail=f"{stats.agreed} / {stats.corrected} tin cán bộ đã duyệt giữ nguyên nhãn của máy",
                  colour="#229954"),
    ]
    return render_template("dashboard.html", stats=stats, per_label=per_label, shares=shares, days=days,
                           periods=PERIODS, LABELS=LABELS, LABEL_NAMES=LABEL_NAMES)
