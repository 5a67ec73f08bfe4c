"""Each event type: what is stored and what the citizen is answered (replies come from the commune YAML)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from service.schema import messages, zalo_events, zalo_outbox
from service.zalo.events import location_of
from tests.service.zalo.conftest import event, location


def _sent_after(app, fake_oa) -> list[dict]:
    app.extensions["triage.zalo"].sender.run_once()
    return fake_oa.state.sent


def _rows(app, table) -> list[dict]:
    with app.extensions["triage.db"].transaction() as conn:
        return [dict(row) for row in conn.execute(select(table).order_by(table.c.id)).mappings()]


@pytest.mark.parametrize("text, starts, mentions", [
    ("cướp! có cướp giật túi ở chợ thôn Hà Nha, cứu với", "Dạ, anh/chị hãy gọi ngay 113 hoặc số trực ban",
     ["0235 3865 246"]),
    ("tối qua nhà tôi bị mất trộm con bò", "Cảm ơn anh/chị đã cung cấp thông tin",
     ["chuyển đến cán bộ Công an xã Đại Hồng", "113"]),
    ("cho hỏi làm căn cước gắn chip cho con 14 tuổi cần giấy tờ gì", "Dạ, Công an xã Đại Hồng xin gửi",
     ["Hồ sơ gồm:", "Lệ phí:", "Nộp trực tuyến:"]),
    ("chào các anh, mấy giờ công an xã làm việc", "Dạ, Công an xã Đại Hồng đã nhận được tin nhắn",
     ["Sáng 7h30", "113"]),
], ids=["urgent", "crime_tip", "procedure", "chat"])
def test_text_gets_the_route_reply_of_its_label(zalo_app, post, fake_oa, text, starts, mentions):
    assert post(event(text=text, user="citizen-1")).status_code == 200
    [sent] = [s for s in _sent_after(zalo_app, fake_oa) if s["user_id"] == "citizen-1"]
    assert sent["text"].startswith(starts), sent["text"]
    for part in mentions:
        assert part in sent["text"]
    [message] = _rows(zalo_app, messages)
    assert sent["text"] == message["result"]["route"]["reply"]


def test_follow_gets_the_welcome_and_unfollow_is_recorded(zalo_app, post, fake_oa):
    assert post(event("follow", user="new-follower")).get_json() == {"status": "follow"}
    [sent] = _sent_after(zalo_app, fake_oa)
    assert sent["user_id"] == "new-follower"
    assert "113" in sent["text"] and "0235 3865 246" in sent["text"] and "căn cước" in sent["text"].lower()
    assert post(event("unfollow", user="new-follower")).get_json() == {"status": "unfollow"}
    assert [r["event_name"] for r in _rows(zalo_app, zalo_events)] == ["follow", "unfollow"]
    assert len(_sent_after(zalo_app, fake_oa)) == 1 and _rows(zalo_app, messages) == []


@pytest.mark.parametrize("name, shown", [
    ("user_send_image", "[Hình ảnh gửi qua Zalo]"), ("user_send_file", "[Tệp gửi qua Zalo]"),
    ("user_send_sticker", "[Nhãn dán gửi qua Zalo]"), ("user_send_gif", "[Ảnh GIF gửi qua Zalo]"),
    ("user_send_audio", "[Tin nhắn thoại gửi qua Zalo]"), ("user_send_video", "[Video gửi qua Zalo]"),
])
def test_media_is_stored_as_a_placeholder_for_review_and_asks_for_text(zalo_app, post, fake_oa, name, shown):
    body = event(name, attachments=[{"type": "image", "payload": {"url": "https://zalo.example/x.jpg"}}])
    assert post(body).get_json() == {"status": name}
    [message] = _rows(zalo_app, messages)
    assert message["text"] == shown and message["needs_review"] and message["result"]["needs_review"]
    [sent] = _sent_after(zalo_app, fake_oa)
    assert "mô tả ngắn gọn" in sent["text"] and "113" in sent["text"]


def test_location_attaches_to_the_same_senders_latest_message(zalo_app, post, fake_oa):
    post(event(text="có cướp, cứu với", user="citizen-9"))
    post(event(text="nhà tôi bị trộm xe", user="someone-else"))
    assert post(location(15.8561, 108.0412, user="citizen-9")).get_json() == {"status": "user_send_location"}
    by_text = {m["text"]: m for m in _rows(zalo_app, messages)}
    tip, other = by_text["có cướp, cứu với"], by_text["nhà tôi bị trộm xe"]
    db = zalo_app.extensions["triage.db"]
    assert location_of(db, tip["id"]) == (15.8561, 108.0412)
    assert location_of(db, other["id"]) is None
    assert len(_rows(zalo_app, messages)) == 2  # a pin is not a message of its own


def test_location_after_ten_minutes_attaches_to_nothing(zalo_app, post):
    post(event(text="có cướp, cứu với", user="citizen-9"))
    with zalo_app.extensions["triage.db"].transaction() as conn:
        conn.execute(update(zalo_events).values(received_at=datetime.now(UTC) - timedelta(minutes=11)))
    post(location(15.8, 108.0, user="citizen-9"))
    [tip] = _rows(zalo_app, messages)
    assert location_of(zalo_app.extensions["triage.db"], tip["id"]) is None


def test_unknown_events_store_nothing_and_send_nothing(zalo_app, post, fake_oa):
    for name in ("oa_send_text", "user_seen_message", "user_received_message"):
        assert post(event(name, text="x")).get_json() == {"status": "ignored"}
    assert _rows(zalo_app, zalo_events) == [] and _rows(zalo_app, zalo_outbox) == []
    assert _sent_after(zalo_app, fake_oa) == []


def test_an_empty_text_is_400_and_stores_nothing(zalo_app, post):
    response = post(event(text="   "))
    assert response.status_code == 400 and _rows(zalo_app, zalo_events) == []


def test_the_message_page_shows_the_pin_with_a_map_link_to_officers_only(zalo_app, post):
    from tests.service.test_access import FAST_HASH, login

    zalo_app.config["PASSWORD_HASH"] = FAST_HASH
    post(event(text="có cướp, cứu với", user="citizen-9"))
    post(location(15.8561, 108.0412, user="citizen-9"))
    [tip] = _rows(zalo_app, messages)
    officer = login(zalo_app, "can-bo-lan", "officer").get(f"/messages/{tip['id']}").get_data(as_text=True)
    assert 'href="https://www.google.com/maps?q=15.856100,108.041200"' in officer and "15.85610, 108.04120" in officer
    analyst = login(zalo_app, "phan-tich", "analyst").get(f"/messages/{tip['id']}").get_data(as_text=True)
    assert "15.856" not in analyst and "maps" not in analyst
