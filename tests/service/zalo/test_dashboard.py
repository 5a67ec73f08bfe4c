"""The dashboard counts Zalo sends that failed ("không gửi được"), in the user's communes and period."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from service.schema import zalo_outbox
from service.users import create_user
from tests.service.test_access import FAST_HASH, PASSWORD, login
from tests.service.zalo.conftest import event

THANKS = "cảm ơn các anh"


def card(client, days: int = 14) -> str | None:
    found = re.search(r'id="zalo-failed"[^>]*>(.*?)</p>', client.get(f"/dashboard?days={days}").get_data(as_text=True))
    return found and re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def signed_in(app, name: str, communes: frozenset[str] | None):
    create_user(app.extensions["triage.db"], name, "officer", PASSWORD, method=FAST_HASH, communes=communes)
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


def test_the_dashboard_counts_failed_zalo_sends_of_the_users_communes_in_its_period(zalo_app, post, fake_oa):
    zalo_app.config["PASSWORD_HASH"] = FAST_HASH
    for user in ("citizen-1", "citizen-2", "citizen-3", "citizen-old", "citizen-other"):
        post(event(text=THANKS, user=user))
    fake_oa.state.failures.extend([-213, -213, -213, -213])  # refused by Zalo: failed at once
    zalo_app.extensions["triage.zalo"].sender.run_once()
    db = zalo_app.extensions["triage.db"]
    with db.transaction() as conn:
        failed = list(conn.scalars(select(zalo_outbox.c.id).where(zalo_outbox.c.status == "failed")
                                   .order_by(zalo_outbox.c.id)))
        assert len(failed) == 4
        # One failed three weeks ago; one belongs to another commune's OA.
        conn.execute(update(zalo_outbox).where(zalo_outbox.c.id == failed[0])
                     .values(created_at=datetime.now(UTC) - timedelta(days=21)))
    zalo_app.extensions["triage.zalo"].accounts.link("xa_khac", "oa-xa-khac", "another-secret")
    with db.transaction() as conn:
        conn.execute(update(zalo_outbox).where(zalo_outbox.c.id == failed[1]).values(oa_id="oa-xa-khac"))

    own = signed_in(zalo_app, "can-bo-lan", frozenset({"dai_hong"}))
    assert card(own) == "2 tin Zalo không gửi được (14 ngày)"
    assert card(own, days=30) == "3 tin Zalo không gửi được (30 ngày)"
    assert card(signed_in(zalo_app, "truong-cong-an", None)) == "3 tin Zalo không gửi được (14 ngày)"


def test_without_the_zalo_connector_the_dashboard_has_no_zalo_card(make_app):
    app = make_app(PASSWORD_HASH=FAST_HASH)
    assert card(login(app, "can-bo-lan", "officer")) is None
