"""The dashboard counts what matters: urgent tips per day, urgent tips waiting now and the oldest
wait, median time to acknowledge, crime tips per hamlet, label mix."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from service.schema import acknowledgements
from tests.service import test_review
from tests.service.test_review import classify, set_message

# The review tests' fixtures: an app with a fast password hash, and a browser-like client.
app, web = test_review.app, test_review.web

URGENT = "cứu với có cướp cầm dao ở chợ"


def text_of(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(p|ul)>', page, re.S)
    assert found, element_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def test_urgent_tips_waiting_time_to_acknowledge_hamlets_and_label_mix(web, client, auth, app):
    web.user("lan")
    now = datetime.now(UTC)
    waiting = classify(client, auth, URGENT)
    set_message(app, waiting, received_at=now - timedelta(hours=2, minutes=10))
    fast, slow, third = (classify(client, auth, URGENT) for _ in range(3))
    set_message(app, classify(client, auth, "nhà tôi ở thôn Hà Nha bị trộm xe máy"), urgent=False)
    classify(client, auth, "làm căn cước cần giấy tờ gì")
    classify(client, auth, "cảm ơn các anh")
    web.login("lan")
    received = now - timedelta(hours=1)
    for message_id, minutes in ((fast, 4), (slow, 30), (third, 10)):  # acknowledged `minutes` after arrival
        web.correct(message_id, "crime_tip", urgent="1")
        set_message(app, message_id, received_at=received)
        shift_acknowledgement(app, message_id, received + timedelta(minutes=minutes))
    page = web.client.get("/dashboard").get_data(as_text=True)
    assert text_of(page, "urgent-waiting") == "1 tin khẩn đang chờ tiếp nhận"
    assert text_of(page, "oldest-wait") == "2 giờ 10 phút tin khẩn chờ lâu nhất"
    assert text_of(page, "median-ack") == "10 phút để cán bộ tiếp nhận một tin khẩn (trung vị, 14 ngày)"
    assert text_of(page, "label-mix") == "Tin báo tội phạm 5 5 Thủ tục hành chính 1 1 Trò chuyện, khác 1 1"
    hamlets = text_of(page, "hamlets")
    assert hamlets.startswith("Không rõ thôn 4 4") and "Hà Nha 1 1" in hamlets
    assert "Tin khẩn mỗi ngày" in page
    today = re.search(r'<td data-label="Ngày">[^<]+</td>(<td[^>]*>\d+</td>){3}<td data-label="Tin khẩn">(\d+)</td>',
                      page)
    assert today and today.group(2) == "4"


def test_an_undone_acknowledgement_does_not_count(web, client, auth, app):
    web.user("lan")
    message_id = classify(client, auth, URGENT)
    web.login("lan")
    saved = web.client.post(f"/messages/{message_id}/label", headers={"Accept": "application/json"},
                            data={"label": "chat", "csrf_token": web.csrf("/review")}).get_json()
    web.client.post(f"/messages/{message_id}/undo", data={"correction_id": saved["correction_id"],
                                                          "csrf_token": web.csrf("/review")})
    page = web.client.get("/dashboard").get_data(as_text=True)
    assert text_of(page, "median-ack").startswith("—")
    assert text_of(page, "urgent-waiting") == "1 tin khẩn đang chờ tiếp nhận"


def shift_acknowledgement(app, message_id: str, when: datetime) -> None:
    """Acknowledgements are append-only: rebuild the row with another time (test setup only)."""
    engine = app.extensions["triage.db"].engine
    with engine.begin() as conn:
        row = conn.execute(acknowledgements.select()
                           .where(acknowledgements.c.message_id == message_id)).mappings().one()
        trigger_off(conn)
        conn.execute(acknowledgements.delete().where(acknowledgements.c.id == row["id"]))
        conn.execute(acknowledgements.insert().values({**row, "created_at": when}))
        trigger_on(conn)


def trigger_off(conn) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ALTER TABLE acknowledgements DISABLE TRIGGER acknowledgements_append_only")
    else:
        conn.exec_driver_sql("DROP TRIGGER acknowledgements_no_delete")


def trigger_on(conn) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ALTER TABLE acknowledgements ENABLE TRIGGER acknowledgements_append_only")
    else:
        conn.exec_driver_sql("CREATE TRIGGER acknowledgements_no_delete BEFORE DELETE ON acknowledgements "
                             "BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END")
