"""OA tokens: refreshed before expiry and on error -216, once, the new single-use pair stored first."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from service.schema import zalo_accounts, zalo_outbox
from tests.service.zalo.conftest import APP_ID, OA_ID, event


def _account_row(app) -> dict:
    with app.extensions["triage.db"].transaction() as conn:
        return dict(conn.execute(select(zalo_accounts)).mappings().one())


def _outbox(app) -> list[dict]:
    with app.extensions["triage.db"].transaction() as conn:
        return [dict(r) for r in conn.execute(select(zalo_outbox)).mappings()]


def test_invalid_access_token_216_refreshes_and_resends(zalo_app, post, fake_oa):
    [old_refresh] = fake_oa.state.refresh_tokens
    fake_oa.state.access_tokens.clear()  # Zalo revoked it: the next send answers -216
    post(event(text="cảm ơn các anh", user="citizen-5"))
    zalo_app.extensions["triage.zalo"].sender.run_once()
    [refresh] = fake_oa.state.refreshes
    assert refresh == {"app_id": APP_ID, "grant_type": "refresh_token", "refresh_token": old_refresh,
                       "secret_key": "app-secret"}
    [sent] = fake_oa.state.sent
    assert sent["user_id"] == "citizen-5" and sent["access_token"] in fake_oa.state.access_tokens
    row = _account_row(zalo_app)
    assert row["token_version"] == 2
    accounts = zalo_app.extensions["triage.zalo"].accounts
    assert accounts.find(OA_ID).access_token == sent["access_token"]
    assert old_refresh not in fake_oa.state.refresh_tokens  # used up; the stored one is the new one
    assert accounts.vault.decrypt(row["refresh_token"]) in fake_oa.state.refresh_tokens


def test_a_token_about_to_expire_is_refreshed_before_the_send(zalo_app, post, fake_oa):
    with zalo_app.extensions["triage.db"].transaction() as conn:
        conn.execute(update(zalo_accounts).values(access_expires_at=datetime.now(UTC) + timedelta(minutes=1)))
    post(event(text="cảm ơn các anh"))
    zalo_app.extensions["triage.zalo"].sender.run_once()
    assert len(fake_oa.state.refreshes) == 1 and len(fake_oa.state.sent) == 1
    assert _account_row(zalo_app)["token_version"] == 2


def test_concurrent_refreshes_spend_the_refresh_token_once(make_app, zalo_config, fake_oa):
    from tests.service.zalo.conftest import link

    first, second = make_app(**zalo_config), make_app(**zalo_config)
    link(first, fake_oa)
    version = first.extensions["triage.zalo"].accounts.find(OA_ID).token_version

    def refresh(app) -> str:
        return app.extensions["triage.zalo"].accounts.refresh(OA_ID, version)[0]

    with ThreadPoolExecutor(4) as pool:
        tokens = set(pool.map(refresh, [first, second, first, second]))
    assert len(fake_oa.state.refreshes) == 1 and len(tokens) == 1


def test_a_refused_refresh_keeps_the_stored_pair_and_retries_later(zalo_app, post, fake_oa):
    fake_oa.state.access_tokens.clear()
    fake_oa.state.refresh_tokens.clear()  # Zalo no longer knows our refresh token
    before = _account_row(zalo_app)
    post(event(text="cảm ơn các anh"))
    zalo_app.extensions["triage.zalo"].sender.run_once()
    after = _account_row(zalo_app)
    assert (after["access_token"], after["refresh_token"]) == (before["access_token"], before["refresh_token"])
    [row] = _outbox(zalo_app)
    assert row["status"] == "pending" and "refused the token refresh" in row["last_error"]
