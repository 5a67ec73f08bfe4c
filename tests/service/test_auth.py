"""Bearer tokens: hashes only, revocation, the token cache, and behaviour while the database is down."""

from __future__ import annotations

from service import create_app
from service.tokens import create_token, revoke_token
from tests.service.helpers import AuthActions, assert_error


def test_a_revoked_token_is_refused(app, client, auth):
    headers = auth.headers()
    assert client.post("/v1/classify", json={"text": "chào"}, headers=headers).status_code == 200
    revoke_token(app.extensions["triage.db"], "test-bot")
    assert_error(client.post("/v1/classify", json={"text": "chào"}, headers=headers), 401, "unauthorized",
                 "revoked")


def test_a_new_token_works_without_waiting_for_the_cache_to_expire(make_app, monkeypatch):
    monkeypatch.setattr("service.auth.MISS_RELOAD_SECONDS", 0.0)  # else at most one reload a second
    app = make_app(TOKEN_CACHE_SECONDS=300)
    client = app.test_client()
    first = AuthActions(app)
    assert client.post("/v1/classify", json={"text": "chào"}, headers=first.headers()).status_code == 200
    newer = create_token(app.extensions["triage.db"], "zalo-bot-2", "bot")
    response = client.post("/v1/classify", json={"text": "chào"}, headers={"Authorization": f"Bearer {newer}"})
    assert response.status_code == 200


def test_cached_tokens_keep_working_while_the_database_is_down(client, auth, outage):
    headers = auth.headers()
    assert client.post("/v1/classify", json={"text": "chào"}, headers=headers).status_code == 200
    outage(True)
    response = client.post("/v1/classify", json={"text": "chào"}, headers=headers)
    assert response.status_code == 200


def test_without_any_cached_token_a_database_outage_is_503(engine, tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "TRIAGE_ENGINE": engine,
                      "DATABASE_URL": f"sqlite:///{tmp_path}/absent/dir/db.sqlite3"})
    response = app.test_client().post("/v1/classify", json={"text": "chào"},
                                      headers={"Authorization": "Bearer trg_whatever"})
    assert_error(response, 503, "unavailable", "database")
