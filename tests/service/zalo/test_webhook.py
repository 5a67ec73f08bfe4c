"""POST /zalo/webhook: signature, OA, what is stored (and what is not), how fast it answers."""

from __future__ import annotations

import hashlib
import time

import pytest
from sqlalchemy import func, select

from service.pseudonym import pseudonymize
from service.schema import messages, zalo_events, zalo_outbox
from service.zalo.signature import sign, verify
from tests.service.zalo.conftest import APP_ID, OA_SECRET, event, link, poster


def _count(app, table) -> int:
    with app.extensions["triage.db"].transaction() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _rows(app, table) -> list[dict]:
    with app.extensions["triage.db"].transaction() as conn:
        return [dict(row) for row in conn.execute(select(table).order_by(table.c.id)).mappings()]


def test_signature_is_sha256_of_app_id_body_timestamp_and_secret():
    body = b'{"a":1}'
    assert sign("app", body, "123", "s") == "mac=" + hashlib.sha256(b"app" + body + b"123" + b"s").hexdigest()
    value = sign("app", body, "123", "s")
    assert verify(value, "app", body, "123", "s")
    assert verify(value.removeprefix("mac="), "app", body, "123", "s")
    assert verify(value.upper().replace("MAC=", "mac="), "app", body, "123", "s")
    assert not verify(value, "app", body + b" ", "123", "s")
    assert not verify(value, "app", body, "124", "s")
    assert not verify("", "app", body, "123", "s")
    assert not verify("mac=ñ", "app", body, "123", "s")


@pytest.mark.parametrize("prefix", [True, False], ids=["with mac=", "without mac="])
def test_signed_text_is_classified_stored_and_queued(zalo_app, post, prefix):
    response = post(event(text="có cướp ở thôn Hà Nha, cứu với", user="zalo-user-777"), prefix=prefix)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"status": "user_send_text"}
    [message] = _rows(zalo_app, messages)
    assert message["label"] == "crime_tip" and message["urgent"]
    assert message["commune"] == "dai_hong" and message["client"].startswith("zalo:")
    # Pseudonymized like sender_id; the raw id is nowhere in clear.
    assert message["sender_hash"] == pseudonymize(b"test-secret", "zalo-user-777")
    [row] = _rows(zalo_app, zalo_events)
    assert row["message_id"] == message["id"] and "zalo-user-777" not in row["user_id"]
    vault = zalo_app.extensions["triage.zalo"].handler.vault
    assert vault.decrypt(row["user_id"]) == "zalo-user-777"
    reply = [r for r in _rows(zalo_app, zalo_outbox) if r["kind"] == "reply"]
    assert len(reply) == 1 and "zalo-user-777" not in reply[0]["recipient"]


@pytest.mark.parametrize("case", ["wrong secret", "missing", "garbage", "other body"])
def test_bad_or_missing_signature_is_401_and_nothing_is_stored(zalo_app, post, case):
    body = event(text="có trộm")
    if case == "wrong secret":
        response = post(body, secret="not-the-secret")
    elif case == "missing":
        response = post(body, signature="")
    elif case == "garbage":
        response = post(body, signature="mac=zz")
    else:
        other = event(text="tin khác")
        response = post(body, signature=sign(APP_ID, str(other).encode(), body["timestamp"], OA_SECRET))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert _count(zalo_app, messages) == _count(zalo_app, zalo_events) == _count(zalo_app, zalo_outbox) == 0


def test_unknown_oa_is_403_and_nothing_is_stored(zalo_app, post):
    response = post(event(text="có trộm", oa_id="999"))
    assert response.status_code == 403
    assert _count(zalo_app, messages) == _count(zalo_app, zalo_events) == 0


@pytest.mark.parametrize("raw", [b"not json", b"[1,2]", b'{"event_name": "user_send_text"}',
                                 b'{"recipient": {"id": "1"}, "timestamp": "abc"}'])
def test_malformed_bodies_are_400_in_the_json_error_shape(zalo_app, raw):
    response = zalo_app.test_client().post("/zalo/webhook", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert set(response.get_json()["error"]) == {"code", "message"}


def test_without_app_id_there_is_no_webhook(make_app):
    app = make_app()
    assert app.test_client().post("/zalo/webhook", json=event(text="x")).status_code == 404
    assert "/zalo/webhook" not in app.test_client().get("/openapi.json").get_json()["paths"]


def test_the_webhook_is_documented_when_configured(zalo_app):
    operation = zalo_app.test_client().get("/openapi.json").get_json()["paths"]["/zalo/webhook"]["post"]
    assert operation["security"] == [{"zaloSignature": []}]


def test_a_body_over_the_size_cap_is_413_and_nothing_is_stored(zalo_app, post):
    response = post(event(text="a" * 70_000))
    assert response.status_code == 413 and _count(zalo_app, zalo_events) == 0


def test_the_same_event_twice_stores_and_queues_once(zalo_app, post):
    body = event(text="nhà tôi bị mất trộm xe máy tối qua", msg_id="m-1")
    assert post(body).status_code == 200
    again = post(body)
    assert again.status_code == 200 and again.get_json() == {"status": "duplicate"}
    assert _count(zalo_app, messages) == 1 and _count(zalo_app, zalo_events) == 1
    assert len([r for r in _rows(zalo_app, zalo_outbox) if r["kind"] == "reply"]) == 1


def test_old_events_are_ignored_as_replays(zalo_app, post):
    response = post(event(text="có trộm", timestamp=int((time.time() - 2 * 3600) * 1000)))
    assert response.status_code == 200 and response.get_json() == {"status": "too_old"}
    assert _count(zalo_app, messages) == 0


def test_unknown_events_are_200_and_ignored(zalo_app, post):
    response = post(event("oa_send_text", text="OA tự gửi"))
    assert response.status_code == 200 and response.get_json() == {"status": "ignored"}
    assert _count(zalo_app, zalo_events) == 0


def test_answer_comes_fast_even_when_zalo_is_slow_or_down(zalo_app, post, fake_oa):
    fake_oa.state.failures.extend([503] * 5)
    started = time.perf_counter()
    for i in range(5):
        assert post(event(text=f"cho hỏi làm căn cước cần gì {i}")).status_code == 200
    assert (time.perf_counter() - started) / 5 < 0.5  # classify + store only; sending is the outbox's job
    assert fake_oa.state.sent == []


def test_a_flood_from_one_user_is_dropped_without_starving_others(make_app, zalo_config, fake_oa):
    app = make_app(**zalo_config, ZALO_SENDER_RATE_LIMIT=3)
    link(app, fake_oa)
    send = poster(app)
    statuses = [send(event(text=f"spam {i}", user="flooder")).get_json()["status"] for i in range(6)]
    assert statuses.count("rate_limited") == 3
    assert send(event(text="có trộm", user="someone-else")).get_json()["status"] == "user_send_text"
