"""The correction memory through the API: a corrected text sent again gets the officer's label."""

from __future__ import annotations

import unicodedata

from service.exports import corrections_frame
from triage.engine import resolve_model_dir

TEXT = "Nhà tôi ở thôn Hà Nha bị trộm xe máy"


def classify(client, auth, text: str) -> dict:
    response = client.post("/v1/classify", json={"text": text}, headers=auth.headers())
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def correct(client, auth, message_id: str, role: str = "officer", **body) -> None:
    response = client.post(f"/v1/messages/{message_id}/label", json=body, headers=auth.headers(role))
    assert response.status_code == 201, response.get_data(as_text=True)


def test_a_corrected_message_sent_again_gets_the_officers_label(client, auth):
    first = classify(client, auth, TEXT)
    assert first["label"] == "crime_tip"
    assert not any(r["kind"] == "officer_correction" for r in first["reasons"])
    correct(client, auth, first["message_id"], label="chat", note="tin thử")
    for again in ("  nhà tôi ở   THÔN hà nha bị trộm xe máy!! ", "nha toi o thon ha nha bi trom xe may",
                  unicodedata.normalize("NFD", TEXT)):
        result = classify(client, auth, again)
        assert result["label"] == "chat" and result["confidence"] == 1.0 and result["needs_review"] is False
        reason = result["reasons"][0]
        assert reason["kind"] == "officer_correction" and reason["label"] == "chat"
        assert reason["message_id"] == first["message_id"] and reason["corrected_by_role"] == "officer"
        assert result["route"]["queue"] != first["route"]["queue"]
    assert classify(client, auth, "nhà tôi bị trộm xe đạp")["label"] == "crime_tip", "other texts are untouched"


def test_the_latest_correction_wins_and_extras_follow_it(client, auth):
    first = classify(client, auth, "có người đánh nhau ở chợ")
    correct(client, auth, first["message_id"], label="chat")
    correct(client, auth, first["message_id"], label="crime_tip", urgent=True)
    result = classify(client, auth, "Có người đánh nhau ở chợ.")
    assert (result["label"], result["urgent"]) == ("crime_tip", True)


def test_a_model_trained_on_the_correction_no_longer_needs_the_memory(make_app, engine, auth, client):
    first = classify(client, auth, TEXT)
    correct(client, auth, first["message_id"], label="chat")
    trained = engine.with_model(resolve_model_dir())
    trained.metadata = {**trained.metadata, "corrections_through": "2999-01-01T00:00:00Z"}
    app = make_app(TRIAGE_ENGINE=trained)
    other = app.test_client()
    response = other.post("/v1/classify", json={"text": TEXT}, headers=auth.headers())
    assert response.get_json()["label"] == "crime_tip"


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
