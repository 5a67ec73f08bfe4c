"""/dashboard: urgent tips (per day, waiting now, time to acknowledge), tips per hamlet, label mix,
messages per label per day, review share, model-officer agreement, Zalo sends that failed."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from service.dashboard_queries import dashboard_stats, failed_zalo_sends
from service.db import get_db
from service.pages.charts import share_bar, stacked_bars
from service.pages.login import current_user, login_required
from service.pages.names import LABEL_NAMES
from service.pages.places import hamlet_names
from service.pages.security import page_blueprint
from service.worklist import queue_counts, waiting_since
from triage import LABELS

bp = page_blueprint(Blueprint("dashboard", __name__))

PERIODS = (7, 14, 30, 90)
NO_HAMLET = "Không rõ thôn"


@bp.get("/dashboard")
@login_required()
def dashboard() -> str:
    """Numbers first (readable on a phone), then charts drawn on the server as inline SVG."""
    try:
        days = int(request.args.get("days", "14"))
    except ValueError:
        abort(400, "Khoảng thời gian không hợp lệ.")
    if days not in PERIODS:
        abort(400, f"Khoảng thời gian phải là một trong {', '.join(map(str, PERIODS))} ngày.")
    communes = current_user().communes
    stats = dashboard_stats(get_db(), days=days, communes=communes)
    now = queue_counts(get_db(), communes)
    per_label = stacked_bars(stats.days, stats.per_day, LABELS, LABEL_NAMES,
                             title=f"Số tin theo loại mỗi ngày ({days} ngày gần nhất)")
    urgent = stacked_bars(stats.days, {day: {"urgent": n} for day, n in stats.urgent_per_day.items()},
                          ["urgent"], {"urgent": "Tin khẩn"}, title=f"Tin khẩn mỗi ngày ({days} ngày gần nhất)")
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
    names = hamlet_names()
    hamlets = sorted(((names.get(key, NO_HAMLET if not key else key), count)
                      for key, count in stats.tips_per_hamlet.items()), key=lambda item: (-item[1], item[0]))
    oldest = now["oldest_waiting"]
    median = stats.median_minutes_to_acknowledge
    # Only where the Zalo connector is on (ZALO_APP_ID set): elsewhere nothing is ever sent.
    zalo_failed = (failed_zalo_sends(get_db(), days=days, communes=communes)
                   if current_app.config["ZALO_APP_ID"] else None)
    return render_template("dashboard.html", stats=stats, per_label=per_label, urgent_chart=urgent, shares=shares,
                           days=days, periods=PERIODS, LABELS=LABELS, LABEL_NAMES=LABEL_NAMES,
                           waiting=now["urgent_waiting"], oldest_wait=oldest and waiting_since(oldest),
                           median_minutes=median, hamlets=hamlets, zalo_failed=zalo_failed)
