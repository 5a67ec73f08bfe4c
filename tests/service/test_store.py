"""Storage through the app: the spool takes over while the database is down and is replayed after."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import delete, exc, select, update

from service import create_app
from service.schema import corrections, messages
from service.tokens import create_token
from tests.service.helpers import PG_SERVER, AuthActions, assert_error


@pytest.fixture
def app(make_app):
    return make_app(DB_RETRY_SECONDS=0)


def stored(app) -> dict[str, dict]:
    with app.extensions["triage.db"].transaction() as conn:
        return {row["id"]: dict(row) for row in conn.execute(select(messages)).mappings()}


def test_classify_keeps_answering_during_an_outage_and_nothing_is_lost(app, client, auth, outage):
    headers, officer = auth.headers(), auth.headers("officer")
    before = client.post("/v1/classify", json={"text": "chào anh"}, headers=headers)
    assert before.status_code == 200
    outage(True)
    during = [client.post("/v1/classify", json={"text": text, "msg_id": f"out-{i}", "sender_id": "u-9"},
                          headers=headers)
              for i, text in enumerate(["nhà tôi bị trộm xe", "làm căn cước ở đâu"])]
    assert [r.status_code for r in during] == [200, 200]
    store = app.extensions["triage.store"]
    assert store.spool.count() == 2
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "degraded"
    assert ready.get_json()["database"]["ok"] is False and ready.get_json()["spool"] == {"pending": 2}
    correction = client.post(f"/v1/messages/{before.get_json()['message_id']}/label", json={"label": "chat"},
                             headers=officer)
    assert_error(correction, 503, "unavailable")

    outage(False)
    assert client.get("/readyz").get_json()["status"] == "ok"
    rows = stored(app)
    assert set(rows) == {before.get_json()["message_id"], *(r.get_json()["message_id"] for r in during)}
    spooled = rows[during[0].get_json()["message_id"]]
    assert spooled["msg_id"] == "out-0" and spooled["sender_hash"] and spooled["label"] == during[0].get_json()["label"]
    assert spooled["stored_at"] >= spooled["received_at"]
    again = client.post("/v1/classify", json={"text": "làm căn cước ở đâu", "msg_id": "out-1"}, headers=headers)
    assert again.get_json() == during[1].get_json()


def test_a_successful_write_replays_the_spool(app, client, auth, outage):
    headers = auth.headers()
    client.post("/v1/classify", json={"text": "chào"}, headers=headers)
    outage(True)
    client.post("/v1/classify", json={"text": "mất ví ở chợ"}, headers=headers)
    outage(False)
    client.post("/v1/classify", json={"text": "cảm ơn"}, headers=headers)
    assert len(stored(app)) == 3 and not app.extensions["triage.store"].spool.pending()


def test_a_spooled_duplicate_of_a_stored_msg_id_is_dropped_on_replay(app, client, auth, outage):
    headers = auth.headers()
    first = client.post("/v1/classify", json={"text": "bị trộm gà", "msg_id": "dup"}, headers=headers)
    outage(True)
    # The database is unreachable, so the stored result cannot be looked up: classify and spool.
    assert client.post("/v1/classify", json={"text": "bị trộm gà", "msg_id": "dup"}, headers=headers).status_code == 200
    outage(False)
    client.get("/readyz")
    rows = stored(app)
    assert len(rows) == 1 and first.get_json()["message_id"] in rows


def test_a_msg_id_race_returns_the_record_stored_first(app, client, auth):
    """Two workers classify the same msg_id at once: the second insert loses and gets the first record."""
    first = client.post("/v1/classify", json={"text": "bị trộm gà", "msg_id": "race"}, headers=auth.headers())
    store = app.extensions["triage.store"]
    loser = {**stored(app)[first.get_json()["message_id"]], "id": "f" * 32}
    del loser["stored_at"]
    winners = store.save([loser])
    assert winners == {"race": {"id": first.get_json()["message_id"], "text": "bị trộm gà",
                                "result": {k: v for k, v in first.get_json().items() if k != "message_id"}}}
    assert "f" * 32 not in stored(app)


def test_corrections_cannot_be_updated_or_deleted(app, client, auth):
    message_id = client.post("/v1/classify", json={"text": "chào"}, headers=auth.headers()).get_json()["message_id"]
    client.post(f"/v1/messages/{message_id}/label", json={"label": "chat"}, headers=auth.headers("officer"))
    db = app.extensions["triage.db"]
    for statement in (update(corrections).values(label="crime_tip"), delete(corrections)):
        with pytest.raises(exc.DatabaseError, match="append-only"):
            with db.transaction() as conn:
                conn.execute(statement)


def test_two_apps_on_one_database_share_messages_and_corrections(make_app):
    first, second = make_app(), make_app()
    headers = AuthActions(first).headers("admin")
    message_id = first.test_client().post("/v1/classify", json={"text": "trộm chó"},
                                          headers=headers).get_json()["message_id"]
    response = second.test_client().post(f"/v1/messages/{message_id}/label", json={"label": "crime_tip"},
                                         headers=headers)
    assert response.status_code == 201
    seen = first.test_client().get(f"/v1/messages/{message_id}", headers=headers).get_json()
    assert [c["label"] for c in seen["corrections"]] == ["crime_tip"]


def test_a_connection_killed_by_postgresql_spools_the_message_then_stores_it(engine, pg_schema, tmp_path):
    """The insert talks to the driver directly: a pooled connection the server dropped (restart,
    failover) must count as "database unavailable" -- spooled, then stored -- not become a 500."""
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": pg_schema,
                      "SECRET_KEY": "k", "TRIAGE_ENGINE": engine, "RATE_LIMIT": 0, "DB_RETRY_SECONDS": 0,
                      # tokens and corrections come from the workers' caches: the insert is the first query
                      "TOKEN_CACHE_SECONDS": 3600, "CORRECTION_CACHE_SECONDS": 3600})
    db, spool = app.extensions["triage.db"], app.extensions["triage.store"].spool
    headers = {"Authorization": f"Bearer {create_token(db, 'bot', 'bot')}"}
    client = app.test_client()
    try:
        assert client.post("/v1/classify", json={"text": "chào anh"}, headers=headers).status_code == 200
        with db.engine.connect() as pooled:  # the one connection in the app's pool, returned after
            pid = pooled.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with psycopg.connect(PG_SERVER, autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        during = client.post("/v1/classify", json={"text": "nhà tôi bị trộm xe", "msg_id": "killed-1"},
                             headers=headers)
        assert during.status_code == 200 and spool.count() == 1
        assert client.post("/v1/classify", json={"text": "cảm ơn"}, headers=headers).status_code == 200
        assert "killed-1" in {row["msg_id"] for row in stored(app).values()} and not spool.pending()
    finally:
        db.dispose()
