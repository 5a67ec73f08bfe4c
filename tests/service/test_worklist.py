"""Urgent tips as a worklist: waiting tips first (oldest first, with their wait), acknowledged by
confirming or correcting (who, when, in the history), undone with "Hoàn tác", migration 7."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, exc, select, text

from service import migrations
from service.schema import acknowledgements, corrections
from tests.service import test_review
from tests.service.test_review import PASSWORD, Web, classify, set_message, stored_corrections

URGENT = "cứu với có cướp cầm dao ở chợ"



# The review tests' fixtures: an app with a fast password hash, and a browser-like client.
app, web = test_review.app, test_review.web


def shown_ids(page: str) -> list[str]:
    return re.findall(r'data-id="([0-9a-f]{32})"', page)


def acks(app) -> list[dict]:
    with app.extensions["triage.db"].transaction() as conn:
        return [dict(r) for r in conn.execute(select(acknowledgements).order_by(acknowledgements.c.id)).mappings()]


def waiting_section(page: str) -> str:
    return page[page.index('class="worklist"'):page.index('id="queue-title"')]


def test_waiting_urgent_tips_come_first_oldest_first_with_how_long_they_waited(web, client, auth, app):
    web.user("lan")
    ids = [classify(client, auth, f"tin nhắn số {i}") for i in range(5)]
    now = datetime.now(UTC)
    # A sure urgent tip arrived first: the old order (urgent, then least confident) put it last.
    set_message(app, ids[0], urgent=True, confidence=1.0, received_at=now - timedelta(hours=3, minutes=5))
    set_message(app, ids[1], urgent=True, confidence=0.55, received_at=now - timedelta(minutes=12))
    set_message(app, ids[2], urgent=True, confidence=0.8, received_at=now - timedelta(hours=1))
    set_message(app, ids[3], urgent=False, confidence=0.4, received_at=now - timedelta(hours=5))
    set_message(app, ids[4], urgent=True, confidence=0.6, received_at=now - timedelta(days=2))
    web.login("lan")
    web.correct(ids[4], "crime_tip", urgent="1")  # acknowledged: back among the rest
    page = web.client.get("/review?status=all").get_data(as_text=True)
    assert shown_ids(page) == [ids[0], ids[2], ids[1], ids[4], ids[3]]
    waiting = waiting_section(page)
    assert shown_ids(waiting) == [ids[0], ids[2], ids[1]]
    assert re.findall(r"Chờ ([^<]+)</span>", waiting) == ["3 giờ 5 phút", "1 giờ", "12 phút"]
    assert "Tin khẩn chờ tiếp nhận <small id=\"urgent-count\">(3)</small>" in page


def test_confirming_or_correcting_acknowledges_and_the_history_shows_who_and_when(web, client, auth, app):
    user = web.user("lan")
    web.user("phan-tich", role="analyst")
    first, second, third = (classify(client, auth, URGENT) for _ in range(3))
    # An analyst labels for training: the tip still waits.
    analyst = Web(app)
    analyst.login("phan-tich")
    analyst.correct(first, "crime_tip", urgent="1")
    assert acks(app) == []
    web.login("lan")
    assert shown_ids(waiting_section(web.client.get("/review").get_data(as_text=True))) == [first, second, third]
    web.correct(first, "crime_tip", urgent="1")  # confirms
    web.correct(second, "chat")  # corrects
    client.post(f"/v1/messages/{third}/label", json={"label": "crime_tip", "urgent": True},
                headers=auth.headers("officer"))  # the API acknowledges too
    rows = acks(app)
    assert [(a["message_id"], a["created_by"], a["created_by_role"], a["user_id"]) for a in rows] == [
        (first, "lan", "officer", user.id), (second, "lan", "officer", user.id),
        (third, "test-officer", "officer", None)]
    assert all(a["withdraws"] is None and a["correction_id"] for a in rows)
    assert shown_ids(waiting_section(web.client.get("/review?status=all").get_data(as_text=True))) == []
    history = web.client.get(f"/messages/{first}").get_data(as_text=True)
    assert "Tiếp nhận tin khẩn" in history and history.count("Đã tiếp nhận lúc") == 1
    # A second confirmation does not acknowledge again.
    web.correct(first, "crime_tip", urgent="1")
    assert len(acks(app)) == 3


def test_acknowledgements_are_append_only(web, client, auth, app):
    web.user("lan")
    message_id = classify(client, auth, URGENT)
    web.login("lan")
    web.correct(message_id, "crime_tip", urgent="1")
    with pytest.raises(exc.DatabaseError):
        with app.extensions["triage.db"].transaction() as conn:
            conn.execute(acknowledgements.update().values(created_by="someone else"))
    with pytest.raises(exc.DatabaseError):
        with app.extensions["triage.db"].transaction() as conn:
            conn.execute(acknowledgements.delete())


def undo(web: Web, message_id: str, correction_id: int, json: bool = False):
    headers = {"Accept": "application/json"} if json else {}
    return web.client.post(f"/messages/{message_id}/undo", headers=headers,
                           data={"correction_id": correction_id, "csrf_token": web.csrf("/review"), "next": "/review"})


def test_undo_restores_the_previous_label_and_the_tip_waits_again(web, client, auth, app):
    web.user("lan")
    message_id = classify(client, auth, URGENT)
    web.login("lan")
    saved = web.client.post(f"/messages/{message_id}/label", headers={"Accept": "application/json"},
                            data={"label": "chat", "csrf_token": web.csrf("/review"), "next": "/review"}).get_json()
    assert saved["saved"] and saved["acknowledged"] and saved["undo_url"] == f"/messages/{message_id}/undo"
    assert shown_ids(waiting_section(web.client.get("/review").get_data(as_text=True))) == []
    answer = undo(web, message_id, saved["correction_id"], json=True)
    assert answer.status_code == 200 and answer.get_json()["undone"], answer.get_data(as_text=True)
    rows = stored_corrections(app)
    assert [(r["label"], r["urgent"], r["reverts"]) for r in rows] == [
        ("chat", None, None), ("crime_tip", True, saved["correction_id"])]
    assert [(a["withdraws"] is None) for a in acks(app)] == [True, False]
    page = web.client.get("/review").get_data(as_text=True)  # unreviewed and waiting again
    assert shown_ids(waiting_section(page)) == [message_id]
    assert "Hoàn tác lần gán nhãn trước" in web.client.get(f"/messages/{message_id}").get_data(as_text=True)
    # Only once, only one's own latest label.
    assert undo(web, message_id, saved["correction_id"], json=True).status_code == 409


def test_undo_after_an_earlier_label_restores_that_label(web, client, auth, app):
    web.user("lan")
    message_id = classify(client, auth, "làm căn cước cần giấy tờ gì")
    web.login("lan")
    web.correct(message_id, "procedure", procedure_id="cap_doi_cap_lai_can_cuoc")
    web.correct(message_id, "chat")
    page = web.client.get("/review").get_data(as_text=True)
    form = re.search(r'action="/messages/([0-9a-f]{32})/undo".*?name="correction_id" value="(\d+)"', page, re.S)
    assert form and form.group(1) == message_id  # the plain form (no script) offers undo too
    assert undo(web, message_id, int(form.group(2))).status_code == 302
    last = stored_corrections(app)[-1]
    assert (last["label"], last["procedure_id"]) == ("procedure", "cap_doi_cap_lai_can_cuoc")
    assert message_id in shown_ids(web.client.get("/review?status=reviewed").get_data(as_text=True))


def test_nobody_undoes_another_users_label_or_an_old_one(web, client, auth, app, make_app):
    web.user("lan")
    web.user("minh")
    message_id = classify(client, auth, URGENT)
    web.login("lan")
    web.correct(message_id, "chat")
    correction_id = stored_corrections(app)[-1]["id"]
    other = Web(app)
    other.login("minh", PASSWORD)
    assert undo(other, message_id, correction_id).status_code == 302
    assert len(stored_corrections(app)) == 1
    late = Web(make_app(PASSWORD_HASH="pbkdf2:sha256:1000", UNDO_SECONDS=0))
    late.login("lan")
    assert undo(late, message_id, correction_id, json=True).status_code == 409
    assert len(stored_corrections(app)) == 1


def test_migration_7_keeps_corrections_and_starts_with_nothing_acknowledged(database_url):
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            from service.schema import schema_migrations  # noqa: PLC0415
            schema_migrations.create(conn)
            for migration in migrations.MIGRATIONS[:6]:
                migration.apply(conn)
                conn.execute(schema_migrations.insert().values(version=migration.version, name=migration.name,
                                                               applied_at=datetime.now(UTC)))
            conn.execute(text(
                "INSERT INTO messages (id, received_at, stored_at, client, commune, text, label, urgent, "
                "needs_review, confidence, model_version, rules_version, result) VALUES ('m1', :now, :now, "
                "'zalo-bot', 'dai_hong', 'cướp', 'crime_tip', true, false, 0.9, 'v', 'r', '{}')"),
                {"now": datetime.now(UTC)})
            conn.execute(text("INSERT INTO corrections (message_id, label, created_by, created_by_role, created_at) "
                              "VALUES ('m1', 'crime_tip', 'lan', 'officer', :now)"), {"now": datetime.now(UTC)})
        assert [m.version for m in migrations.upgrade(engine)] == [m.version for m in migrations.MIGRATIONS[6:]]
        with engine.connect() as conn:
            assert conn.execute(select(corrections.c.label, corrections.c.reverts)).all() == [("crime_tip", None)]
            assert conn.execute(select(acknowledgements)).all() == []
    finally:
        engine.dispose()


def test_the_live_endpoint_counts_only_the_users_communes_and_carries_no_text(web, client, auth, app):
    web.user("lan")
    create = app.extensions["triage.db"]
    from service.users import create_user  # noqa: PLC0415
    create_user(create, "son", "officer", PASSWORD, method="pbkdf2:sha256:1000", communes=frozenset({"dai_son"}))
    classify(client, auth, URGENT)
    classify(client, auth, "làm căn cước cần giấy tờ gì")
    web.login("lan")
    counts = web.client.get("/review/updates").get_json()
    assert counts == {"messages": 2, "urgent_waiting": 1, "oldest_wait": "vừa xong"}
    other = Web(app)
    other.login("son")
    assert other.client.get("/review/updates").get_json() == {"messages": 0, "urgent_waiting": 0, "oldest_wait": None}
    assert Web(app).client.get("/review/updates").status_code == 302  # login first


def test_undone_labels_are_not_exported_for_training(web, client, auth, app):
    from service.exports import corrections_frame  # noqa: PLC0415

    web.user("lan")
    undone = classify(client, auth, URGENT)
    kept = classify(client, auth, "làm căn cước cần giấy tờ gì")
    web.login("lan")
    web.correct(undone, "chat")
    assert undo(web, undone, stored_corrections(app)[-1]["id"]).status_code == 302
    web.correct(kept, "procedure", procedure_id="cap_doi_cap_lai_can_cuoc")
    web.correct(kept, "chat")
    assert undo(web, kept, stored_corrections(app)[-1]["id"]).status_code == 302
    frame = corrections_frame(app.extensions["triage.db"])
    assert list(zip(frame["source"], frame["label"], strict=True)) == [(f"correction:{kept}", "procedure")]
