"""Officer alerts: duty and hamlet officers at once, the chief after N minutes unless acknowledged, the webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from service.payload import LabelCorrection
from service.schema import messages, zalo_outbox
from service.users import create_user
from tests.service.test_access import FAST_HASH, PASSWORD
from tests.service.zalo.conftest import CHIEF, DUTY, HA_NHA, event, link, poster

URGENT = "cướp! có cướp giật túi ở chợ thôn Hà Nha, cứu với"


def _run(app) -> None:
    app.extensions["triage.zalo"].sender.run_once()


def _message_id(app) -> str:
    with app.extensions["triage.db"].transaction() as conn:
        return conn.execute(select(messages.c.id)).scalar_one()


def _statuses(app, kind: str) -> list[str]:
    with app.extensions["triage.db"].transaction() as conn:
        return list(conn.scalars(select(zalo_outbox.c.status).where(zalo_outbox.c.kind == kind)))


def test_urgent_tip_alerts_duty_and_hamlet_officers_with_a_link_and_no_text(zalo_app, post, fake_oa):
    body = event(text=URGENT, user="citizen-1")
    post(body)
    post(body)  # a webhook retry alerts nobody twice
    _run(zalo_app)
    by_user = {s["user_id"]: s["text"] for s in fake_oa.state.sent}
    assert set(by_user) == {"citizen-1", DUTY, HA_NHA}
    alert = by_user[DUTY]
    assert alert == by_user[HA_NHA]
    assert alert.startswith("TIN BÁO KHẨN gửi Công an xã Đại Hồng, thôn Hà Nha lúc ")
    assert f"https://cax.example.vn/messages/{_message_id(zalo_app)}" in alert
    assert "cướp giật" not in alert  # the text stays on the service, behind the login
    assert CHIEF not in by_user and _statuses(zalo_app, "escalation") == ["pending"]


def test_a_tip_that_is_not_urgent_alerts_nobody(zalo_app, post, fake_oa):
    post(event(text="tối qua nhà tôi bị mất trộm con bò", user="citizen-1"))
    _run(zalo_app)
    assert [s["user_id"] for s in fake_oa.state.sent] == ["citizen-1"]
    assert _statuses(zalo_app, "escalation") == []


def test_the_chief_is_alerted_when_nobody_acknowledges_in_time(make_app, zalo_config, fake_oa):
    app = make_app(**zalo_config, ZALO_ESCALATION_MINUTES=0.01)  # 0.6 s
    link(app, fake_oa)
    poster(app)(event(text=URGENT))
    _run(app)
    assert CHIEF not in [s["user_id"] for s in fake_oa.state.sent]
    time.sleep(0.8)
    _run(app)
    [escalation] = [s["text"] for s in fake_oa.state.sent if s["user_id"] == CHIEF]
    assert escalation.startswith("CHƯA AI XÁC NHẬN sau 0.01 phút") and "/messages/" in escalation
    assert _statuses(app, "escalation") == ["sent"]


def test_an_officers_correction_acknowledges_and_cancels_the_escalation(make_app, zalo_config, fake_oa):
    app = make_app(**zalo_config, ZALO_ESCALATION_MINUTES=0.01)
    link(app, fake_oa)
    poster(app)(event(text=URGENT))
    _run(app)
    app.extensions["triage.store"].add_correction(
        _message_id(app), LabelCorrection("crime_tip", True, None, "đã cử người"), created_by="can-bo-lan",
        role="officer")
    time.sleep(0.8)
    _run(app)
    assert CHIEF not in [s["user_id"] for s in fake_oa.state.sent]
    assert _statuses(app, "escalation") == ["cancelled"]


@pytest.mark.parametrize("label", ["by an analyst", "undone"])
def test_only_a_standing_acknowledgement_cancels_the_escalation(make_app, zalo_config, fake_oa, label):
    """An analyst's label acknowledges nothing; an officer's label undone ("Hoàn tác") withdraws its
    acknowledgement (service/worklist.py): either way the chief is still alerted."""
    app = make_app(**zalo_config, ZALO_ESCALATION_MINUTES=0.01)
    link(app, fake_oa)
    poster(app)(event(text=URGENT))
    _run(app)
    store, message_id = app.extensions["triage.store"], _message_id(app)
    role = "analyst" if label == "by an analyst" else "officer"
    user = create_user(app.extensions["triage.db"], "can-bo-lan", role, PASSWORD, method=FAST_HASH)
    saved = store.add_correction(message_id, LabelCorrection("crime_tip", True, None, None), created_by=user.name,
                                 role=role, user_id=user.id)
    if label == "undone":
        assert saved["acknowledgement_id"] is not None
        assert store.undo_correction(message_id, saved["id"], user_id=user.id, created_by=user.name, role=role,
                                     communes=None, within=timedelta(minutes=2)) is not None
    time.sleep(0.8)
    _run(app)
    assert [s["user_id"] for s in fake_oa.state.sent].count(CHIEF) == 1
    assert _statuses(app, "escalation") == ["sent"]


def test_the_signed_webhook_is_a_second_channel(make_app, zalo_config, fake_oa):
    app = make_app(**zalo_config, ALERT_WEBHOOK_URL=f"{fake_oa.url}/province/alerts", ALERT_WEBHOOK_SECRET="hook-key")
    link(app, fake_oa)
    poster(app)(event(text=URGENT))
    _run(app)
    [hook] = fake_oa.state.hooks
    assert hook["path"] == "/province/alerts"
    expected = "sha256=" + hmac.new(b"hook-key", hook["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(hook["signature"], expected)
    payload = json.loads(hook["body"])
    assert payload["event"] == "urgent_tip" and payload["commune"] == "dai_hong" and payload["urgent"] is True
    assert payload["hamlets"] == ["ha_nha"] and payload["link"].endswith(f"/messages/{_message_id(app)}")
    assert "cướp" not in hook["body"].decode("utf-8")
    assert _statuses(app, "webhook") == ["sent"]
