"""The correction memory through the API: a corrected text sent again gets the officer's label, if
that label does not lower a crime tip; only officers' and admins' corrections count, per commune."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from service.exports import corrections_frame
from service.memory import text_hash
from service.schema import corrections
from triage.engine import resolve_model_dir

TEXT = "Cảm ơn các anh ở thôn Hà Nha nhiều"  # chat; the officers below raise it to a crime tip


def classify(client, auth, text: str) -> dict:
    response = client.post("/v1/classify", json={"text": text}, headers=auth.headers())
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def correct(client, auth, message_id: str, role: str = "officer", **body) -> None:
    response = client.post(f"/v1/messages/{message_id}/label", json=body, headers=auth.headers(role))
    assert response.status_code == 201, response.get_data(as_text=True)


def test_a_corrected_message_sent_again_gets_the_officers_label(client, auth):
    first = classify(client, auth, TEXT)
    assert first["label"] == "chat"
    assert not any(r["kind"] == "officer_correction" for r in first["reasons"])
    correct(client, auth, first["message_id"], label="crime_tip", urgent=True, note="tin thử")
    for again in ("  cảm ơn CÁC anh ở   THÔN hà nha nhiều!! ", "cam on cac anh o thon ha nha nhieu",
                  unicodedata.normalize("NFD", TEXT)):
        result = classify(client, auth, again)
        assert result["label"] == "crime_tip" and result["urgent"] is True
        assert result["confidence"] == 1.0 and result["needs_review"] is False
        reason = result["reasons"][0]
        assert reason["kind"] == "officer_correction" and reason["label"] == "crime_tip"
        assert reason["message_id"] == first["message_id"] and reason["corrected_by_role"] == "officer"
        assert result["route"]["queue"] != first["route"]["queue"]
    assert classify(client, auth, "cảm ơn các anh")["label"] == "chat", "other texts are untouched"


def test_the_latest_correction_wins_and_extras_follow_it(client, auth):
    first = classify(client, auth, "cho hỏi giờ làm việc")
    correct(client, auth, first["message_id"], label="procedure")
    correct(client, auth, first["message_id"], label="crime_tip", urgent=True)
    result = classify(client, auth, "Cho hỏi giờ làm việc.")
    assert (result["label"], result["urgent"]) == ("crime_tip", True)


def test_a_model_trained_on_the_correction_no_longer_needs_the_memory(make_app, engine, auth, client):
    first = classify(client, auth, TEXT)
    correct(client, auth, first["message_id"], label="crime_tip")
    trained = engine.with_model(resolve_model_dir())
    trained.metadata = {**trained.metadata, "corrections_through": "2999-01-01T00:00:00Z"}
    app = make_app(TRIAGE_ENGINE=trained)
    other = app.test_client()
    response = other.post("/v1/classify", json={"text": TEXT}, headers=auth.headers())
    assert response.get_json()["label"] == "chat"


def test_export_gives_the_latest_correction_per_message_masked(app, client, auth, runner, tmp_path):
    first = classify(client, auth, "xe biển 92E1-123.45 của tôi bị trộm, gọi 0905123456")
    second = classify(client, auth, "cho hỏi thủ tục tách hộ")
    correct(client, auth, first["message_id"], label="chat")
    correct(client, auth, first["message_id"], role="analyst", label="crime_tip", urgent=True)
    correct(client, auth, second["message_id"], label="procedure", procedure_id="tach_ho")
    out = tmp_path / "corrections.csv"
    result = runner("export-corrections", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "2 corrected messages" in result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "text,label,urgent,procedure_id,source,corrected_by_role,corrected_at,predicted_label"
    frame = corrections_frame(app.extensions["triage.db"])
    assert list(frame["source"]) == [f"correction:{first['message_id']}", f"correction:{second['message_id']}"]
    row = frame.iloc[0]
    assert (row["label"], row["urgent"], row["corrected_by_role"], row["predicted_label"]) == (
        "crime_tip", 1, "analyst", "crime_tip")
    assert "0905123456" not in row["text"] and "92E1" not in row["text"] and "[SĐT]" in row["text"]
    assert frame.iloc[1]["procedure_id"] == "tach_ho"
    assert row["corrected_at"].endswith("Z")


def test_export_with_an_explicit_database_url_and_no_corrections(runner, database_url, tmp_path):
    out = tmp_path / "empty.csv"
    result = runner("export-corrections", "--out", str(out), "--database-url", database_url)
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("text,label,urgent")
    assert "0 corrected messages" in result.output


def test_another_worker_sees_a_correction_after_its_cache_time(make_app, client, auth):
    """Each worker caches the memory: a correction made through another worker arrives within
    CORRECTION_CACHE_SECONDS (here: never, until the cache is invalidated; or at once with 0)."""
    first = classify(client, auth, TEXT)
    cached, uncached = make_app(CORRECTION_CACHE_SECONDS=3600), make_app(CORRECTION_CACHE_SECONDS=0)
    classify(cached.test_client(), auth, "cho hỏi giờ làm việc")  # reads the (empty) memory now
    correct(client, auth, first["message_id"], label="crime_tip")
    assert classify(uncached.test_client(), auth, TEXT)["label"] == "crime_tip"
    assert classify(cached.test_client(), auth, TEXT)["label"] == "chat", "still within its cache time"
    cached.extensions["triage.memory"].invalidate()
    assert classify(cached.test_client(), auth, TEXT)["label"] == "crime_tip"


def test_a_correction_committed_late_with_a_lower_id_is_still_read(app, client, auth):
    """On PostgreSQL a correction can commit after one with a higher id was read: the memory
    re-reads the last ids, so it is not skipped."""
    first = classify(client, auth, TEXT)
    other = classify(client, auth, "cho hỏi thủ tục tách hộ")
    with app.app_context():
        keys = {first["message_id"]: text_hash(TEXT), other["message_id"]: text_hash("cho hỏi thủ tục tách hộ")}

    def add(correction_id: int, message_id: str, label: str) -> None:
        with app.extensions["triage.db"].transaction() as conn:
            conn.execute(insert(corrections).values(
                id=correction_id, message_id=message_id, label=label, created_by="test", created_by_role="officer",
                created_at=datetime.now(UTC), memory_key=keys[message_id]))
        app.extensions["triage.memory"].invalidate()

    add(20, other["message_id"], "chat")
    assert classify(client, auth, "cho hỏi thủ tục tách hộ")["label"] == "chat"  # id 20 read
    add(15, first["message_id"], "crime_tip")  # committed after 20 was read
    assert classify(client, auth, TEXT)["label"] == "crime_tip"


# --- the memory can only raise, and only officers and admins feed it ----------------------------

CRY = "Cứu với có cướp"
CRY_AGAIN = "CUU VOI CO CUOP!!!"


def assert_urgent_tip_notified(result: dict) -> None:
    assert (result["label"], result["urgent"]) == ("crime_tip", True), result["label"]
    assert result["route"]["queue"] == "crime_tips" and result["route"]["priority"] == "urgent"
    assert "duty_officer" in {n["role"] for n in result["route"]["notify"]}


def test_an_analysts_correction_does_not_silence_an_identical_tip(client, auth):
    first = classify(client, auth, CRY)
    assert_urgent_tip_notified(first)
    correct(client, auth, first["message_id"], role="analyst", label="chat")
    again = classify(client, auth, CRY_AGAIN)
    assert_urgent_tip_notified(again)
    assert again["confidence"] < 1.0
    assert not any(r["kind"].startswith("officer_correction") for r in again["reasons"])


@pytest.mark.parametrize("role", ["officer", "admin"])
@pytest.mark.parametrize("lowered", [{"label": "chat"}, {"label": "procedure"},
                                     {"label": "crime_tip", "urgent": False}])
def test_an_officers_lowering_label_is_not_applied_but_flags_the_tip_for_review(client, auth, role, lowered):
    first = classify(client, auth, CRY)
    correct(client, auth, first["message_id"], role=role, **lowered)
    again = classify(client, auth, CRY_AGAIN)
    assert_urgent_tip_notified(again)
    assert again["needs_review"] is True and again["confidence"] < 1.0
    reason = again["reasons"][0]
    assert reason["kind"] == "officer_correction_not_applied" and reason["label"] == lowered["label"]
    assert reason["message_id"] == first["message_id"] and reason["corrected_by_role"] == role
    assert f"“{lowered['label']}" in reason["message"]


def test_raising_labels_apply(client, auth):
    tip = classify(client, auth, "Nhà tôi ở thôn Hà Nha có con chó lạ cứ sủa suốt đêm")
    assert (tip["label"], tip["urgent"]) == ("crime_tip", False)
    correct(client, auth, tip["message_id"], label="crime_tip", urgent=True)
    assert classify(client, auth, "nha toi o thon ha nha co con cho la cu sua suot dem")["urgent"] is True
    chat = classify(client, auth, TEXT)
    correct(client, auth, chat["message_id"], label="procedure", procedure_id="tach_ho")
    result = classify(client, auth, TEXT)
    assert (result["label"], result["procedure_id"], result["needs_review"]) == ("procedure", "tach_ho", False)
