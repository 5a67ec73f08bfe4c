"""The message page: current label (the officer's, with the model's beside it), entities masked per
role, the route (queue, who was notified), the reply sent, the sender's other recent messages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.service import test_review
from tests.service.test_review import Web, set_message

TIP = "cháy nhà ở thôn Hà Nha có người mắc kẹt, gọi em 0905123456"
PHONE = "0905123456"



# The review tests' fixtures: an app with a fast password hash, and a browser-like client.
app, web = test_review.app, test_review.web


def send(client, auth, text: str, sender: str | None = "zalo-user-1") -> str:
    body = {"text": text, **({"sender_id": sender} if sender else {})}
    response = client.post("/v1/classify", json=body, headers=auth.headers("admin"))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["message_id"]


def section(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(dd|ul|p)>', page, re.S)
    assert found, element_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip()


def test_the_current_label_is_the_officers_with_the_models_beside_it(web, client, auth):
    web.user("lan")
    message_id = send(client, auth, TIP)
    web.login("lan")
    before = section(web.client.get(f"/messages/{message_id}").get_data(as_text=True), "current-label")
    assert before.startswith("Tin báo tội phạm Khẩn cấp theo máy phân loại") and "chưa có cán bộ duyệt" in before
    web.correct(message_id, "chat")
    after = section(web.client.get(f"/messages/{message_id}").get_data(as_text=True), "current-label")
    assert after.startswith("Trò chuyện, khác do cán bộ lan gán lúc")
    assert "(máy phân loại: Tin báo tội phạm, khẩn cấp" in after


def test_entities_route_and_reply_with_numbers_masked_for_analysts(web, client, auth, app):
    web.user("lan")
    web.user("phan-tich", role="analyst")
    message_id = send(client, auth, TIP)
    web.login("lan")
    page = web.client.get(f"/messages/{message_id}").get_data(as_text=True)
    assert section(page, "entities") == f"Thôn: Hà Nha; Số điện thoại: {PHONE}"
    assert section(page, "route").startswith("Tin báo tội phạm · ưu tiên khẩn cấp · Chuyển cho cán bộ")
    notified = section(page, "notified")
    assert notified.startswith("Trực ban (0235") and "Cán bộ phụ trách thôn: Trần Văn Hùng" in notified
    assert "Trưởng Công an xã" in notified
    assert "113" in section(page, "reply")
    analyst = Web(app)
    analyst.login("phan-tich")
    masked = analyst.client.get(f"/messages/{message_id}").get_data(as_text=True)
    assert section(masked, "entities") == "Thôn: Hà Nha; Số điện thoại: [SĐT]"
    assert PHONE not in masked and "0905 123 456" not in masked


def test_the_senders_other_messages_of_the_last_30_days_in_the_same_commune(web, client, auth, app):
    web.user("lan")
    message_id = send(client, auth, TIP)
    earlier = send(client, auth, "hôm qua có người lạ đi quanh nhà em")
    old = send(client, auth, "tháng trước nhà em mất con gà")
    set_message(app, old, received_at=datetime.now(UTC) - timedelta(days=31))
    stranger = send(client, auth, "cảm ơn các anh", sender="zalo-user-2")
    anonymous = send(client, auth, "chào anh", sender=None)
    elsewhere = send(client, auth, "nhà em ở Đại Sơn bị trộm")
    set_message(app, elsewhere, commune="dai_son")  # the same sender id, another commune
    web.login("lan")
    page = web.client.get(f"/messages/{message_id}").get_data(as_text=True)
    assert re.findall(r'data-other="([0-9a-f]{32})"', page) == [earlier]
    assert "đi quanh nhà em" in page
    for other in (old, stranger, anonymous, elsewhere):
        assert other not in page
    alone = web.client.get(f"/messages/{anonymous}").get_data(as_text=True)
    assert "Không có tin nào khác của người này" in alone


def test_the_page_says_why_an_incident_that_is_over_is_not_urgent(web, client, auth):
    web.user("lan")
    message_id = send(client, auth, "tối qua nhà em ở thôn Hà Nha bị trộm xe máy, giờ em trình báo ở đâu")
    web.login("lan")
    page = web.client.get(f"/messages/{message_id}").get_data(as_text=True)
    assert "Khẩn cấp" not in section(page, "current-label")
    assert "Sự việc đã qua (tối qua)" in page and 'class="explanation"' in page
