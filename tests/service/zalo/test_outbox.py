"""The outbox and its sender: sent once, retried with backoff, given up after a day, two senders at once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from service.schema import zalo_outbox
from tests.service.zalo.conftest import event, link, poster


def _sender(app):
    return app.extensions["triage.zalo"].sender


def _replies(app) -> list[dict]:
    with app.extensions["triage.db"].transaction() as conn:
        return [dict(r) for r in conn.execute(select(zalo_outbox).where(zalo_outbox.c.kind == "reply")
                                              .order_by(zalo_outbox.c.id)).mappings()]


def test_reply_is_sent_once_to_the_raw_user_id(zalo_app, post, fake_oa):
    body = event(text="cho hỏi thủ tục đăng ký thường trú cần giấy tờ gì", user="zalo-user-42", msg_id="m-42")
    assert post(body).status_code == 200
    assert post(body).get_json() == {"status": "duplicate"}  # Zalo retried the webhook
    assert _sender(zalo_app).run_once() == 1
    assert _sender(zalo_app).run_once() == 0
    [sent] = fake_oa.state.sent
    assert sent["user_id"] == "zalo-user-42" and "thường trú" in sent["text"]
    [row] = _replies(zalo_app)
    assert row["status"] == "sent" and row["attempts"] == 1 and row["sent_at"] is not None


def test_503s_are_retried_with_backoff_the_first_within_2_seconds(zalo_app, post, fake_oa):
    fake_oa.state.failures.extend([503, 503])
    post(event(text="cảm ơn các anh"))
    queued_at = datetime.now(UTC)
    _sender(zalo_app).run_once()
    [row] = _replies(zalo_app)
    first_retry = row["next_attempt_at"].replace(tzinfo=UTC) if row["next_attempt_at"].tzinfo is None \
        else row["next_attempt_at"]
    assert row["status"] == "pending" and row["last_error"] == "HTTP 503"
    assert first_retry - queued_at < timedelta(seconds=2)
    deadline = time.monotonic() + 10
    while not fake_oa.state.sent and time.monotonic() < deadline:
        _sender(zalo_app).run_once()
        time.sleep(0.2)
    assert len(fake_oa.state.sent) == 1
    assert _replies(zalo_app)[0]["attempts"] == 3  # 503, 503 (after 1.5 s), sent (3 s later)


def test_a_send_failing_for_24_hours_is_marked_failed(zalo_app, post, fake_oa):
    post(event(text="cảm ơn các anh"))
    with zalo_app.extensions["triage.db"].transaction() as conn:
        conn.execute(update(zalo_outbox).values(created_at=datetime.now(UTC) - timedelta(hours=24, minutes=1)))
    fake_oa.state.failures.append(503)
    _sender(zalo_app).run_once()
    [row] = _replies(zalo_app)
    assert row["status"] == "failed" and row["last_error"] == "HTTP 503"
    assert _sender(zalo_app).run_once() == 0 and fake_oa.state.sent == []


def test_a_refusal_by_zalo_fails_at_once(zalo_app, post, fake_oa):
    post(event(text="cảm ơn các anh"))
    fake_oa.state.failures.append(-213)  # e.g. the user is outside the interaction window
    _sender(zalo_app).run_once()
    [row] = _replies(zalo_app)
    assert row["status"] == "failed" and row["last_error"].startswith("Zalo error -213")


def test_two_senders_on_one_database_send_each_row_once(make_app, zalo_config, fake_oa):
    first, second = make_app(**zalo_config), make_app(**zalo_config)
    link(first, fake_oa)
    send = poster(first)
    for i in range(30):
        assert send(event(text=f"cảm ơn các anh {i}", user=f"user-{i}", msg_id=f"m-{i}")).status_code == 200

    def drain(app) -> int:
        return sum(_sender(app).run_once() for _ in range(5))

    with ThreadPoolExecutor(4) as pool:
        handled = list(pool.map(drain, [first, second, first, second]))
    assert sum(handled) == 30
    users = sorted(s["user_id"] for s in fake_oa.state.sent)
    assert users == sorted(f"user-{i}" for i in range(30))


def test_the_sender_thread_sends_by_itself(zalo_app, post, fake_oa):
    from service.zalo import start_sender

    start_sender(zalo_app)
    try:
        post(event(text="cảm ơn các anh"))
        deadline = time.monotonic() + 5
        while not fake_oa.state.sent and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(fake_oa.state.sent) == 1
    finally:
        _sender(zalo_app).stop()


@pytest.mark.parametrize("base", ["not a url", "file"])
def test_an_unreachable_or_misconfigured_api_is_retried_and_the_sender_survives(make_app, zalo_config, fake_oa,
                                                                               tmp_path, base):
    if base == "file":  # a local file that answers like Zalo must not be read as Zalo's answer
        (tmp_path / "v3.0" / "oa" / "message").mkdir(parents=True)
        (tmp_path / "v3.0" / "oa" / "message" / "cs").write_text('{"error": 0}')
        base = tmp_path.as_uri()
    app = make_app(**{**zalo_config, "ZALO_API_BASE": base})
    link(app, fake_oa)
    poster(app)(event(text="cảm ơn các anh"))
    assert _sender(app).run_once() == 1
    [row] = _replies(app)
    assert row["status"] == "pending" and row["last_error"].startswith("unreachable")


def test_metrics_count_depth_sends_failures_and_refreshes(zalo_app, post, fake_oa):
    fake_oa.state.access_tokens.clear()  # a send with the stored token gets -216: refresh, send again
    fake_oa.state.failures.append(-213)  # the first send is refused outright
    post(event(text="cảm ơn các anh", user="a"))
    post(event(text="cảm ơn các anh", user="b"))
    _sender(zalo_app).run_once()
    metrics = zalo_app.test_client().get("/metrics").get_data(as_text=True)
    assert 'triage_zalo_sends_total{kind="reply",outcome="sent"} 1.0' in metrics
    assert 'triage_zalo_sends_total{kind="reply",outcome="failed"} 1.0' in metrics
    assert 'triage_zalo_token_refreshes_total{outcome="ok"} 1.0' in metrics
    assert "triage_zalo_outbox_depth 0.0" in metrics
