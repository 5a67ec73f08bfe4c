"""POST /v1/classify, /v1/classify/batch, /v1/messages/<id>/label and GET /v1/messages/<id>."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.pseudonym import pseudonymize
from service.schema import corrections, messages
from service.tokens import create_token
from tests.service.helpers import AuthActions, assert_documented, assert_error

THEFT = "nhà tôi bị trộm xe máy tối qua"


def stored_rows(app, table):
    with app.extensions["triage.db"].transaction() as conn:
        return [dict(row) for row in conn.execute(select(table)).mappings()]


def test_classify_returns_the_engine_result_and_a_message_id(app, client, auth, engine):
    response = client.post("/v1/classify", json={"text": THEFT}, headers=auth.headers())
    assert response.status_code == 200
    assert_documented(response)
    body = response.get_json()
    expected = engine.classify(THEFT).to_dict()
    assert {k: v for k, v in body.items() if k != "message_id"} == expected
    assert body["label"] == "crime_tip"
    [row] = stored_rows(app, messages)
    assert row["id"] == body["message_id"]
    assert row["text"] == THEFT and row["label"] == "crime_tip" and row["client"] == "test-bot"
    assert row["model_version"] == engine.model_version and row["result"] == expected


def test_same_msg_id_returns_the_stored_result_without_a_second_record(app, client, auth):
    first = client.post("/v1/classify", json={"text": THEFT, "msg_id": "zalo-1"}, headers=auth.headers())
    again = client.post("/v1/classify", json={"text": THEFT, "msg_id": "zalo-1"}, headers=auth.headers())
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert len(stored_rows(app, messages)) == 1


def test_sender_id_is_stored_only_as_a_keyed_pseudonym(app, client, auth):
    client.post("/v1/classify", json={"text": THEFT, "sender_id": "zalo-user-8841"}, headers=auth.headers())
    [row] = stored_rows(app, messages)
    assert row["sender_hash"] == pseudonymize(b"test-secret", "zalo-user-8841")
    assert "8841" not in row["sender_hash"] and "8841" not in str(row["result"])


def test_batch_keeps_request_order_and_dedupes_msg_ids(app, client, auth):
    texts = ["xin chào công an xã", THEFT, "làm căn cước cần giấy tờ gì ạ", "cứu với có cướp ở chợ"]
    batch = [{"text": t, "msg_id": f"b-{i}"} for i, t in enumerate(texts)] + [{"text": THEFT, "msg_id": "b-1"}]
    response = client.post("/v1/classify/batch", json={"messages": batch}, headers=auth.headers())
    assert response.status_code == 200
    assert_documented(response)
    results = response.get_json()["results"]
    singles = [client.post("/v1/classify", json={"text": t}, headers=auth.headers()).get_json() for t in texts]
    assert [r["label"] for r in results[:4]] == [s["label"] for s in singles]
    assert results[4] == results[1]
    assert len(stored_rows(app, messages)) == 4 + 4


def test_batch_over_the_limit_is_refused(make_app):
    app = make_app(BATCH_MAX=3)
    client, token = app.test_client(), AuthActions(app).headers()
    response = client.post("/v1/classify/batch", json={"messages": [{"text": "a"}] * 4}, headers=token)
    assert_error(response, 400, "invalid_field", "1 to 3 messages")


def test_batch_names_the_invalid_item(client, auth):
    body = {"messages": [{"text": "chào"}, {"text": ""}]}
    response = client.post("/v1/classify/batch", json=body, headers=auth.headers())
    assert_error(response, 400, "invalid_field", "messages[1].text")


def test_commune_selects_its_config_and_unknown_communes_are_named(client, auth, engine):
    default = engine.communes.default
    ok = client.post("/v1/classify", json={"text": THEFT, "commune": default}, headers=auth.headers())
    assert ok.status_code == 200
    assert engine.communes.get(default).duty_phone in str(ok.get_json()["route"])
    response = client.post("/v1/classify", json={"text": THEFT, "commune": "khong_co"}, headers=auth.headers())
    error = assert_error(response, 400, "invalid_field", "khong_co")
    assert default in error["message"]


def test_text_over_the_engine_cap_is_classified_and_marked_truncated(client, auth, engine):
    text = "xin chào " * (engine.normalizer.max_chars // 9 + 10)
    response = client.post("/v1/classify", json={"text": text}, headers=auth.headers())
    assert response.status_code == 200
    assert "truncated" in [reason["kind"] for reason in response.get_json()["reasons"]]


@pytest.mark.parametrize(("body", "mentions"), [
    ({}, "'text' is required"),
    ({"text": None}, "'text' is required"),
    ({"text": ""}, "'text' must not be empty"),
    ({"text": " \n\t "}, "'text' must not be empty"),
    ({"text": 42}, "'text' must be a string, not a number"),
    ({"text": ["trộm"]}, "'text' must be a string, not a list"),
    ({"text": "chào", "msg_id": 7}, "'msg_id' must be a string or null"),
    ({"text": "chào", "msg_id": ""}, "'msg_id' must be 1 to 200"),
    ({"text": "chào", "msg_id": "x" * 201}, "'msg_id' must be 1 to 200"),
    ({"text": "chào", "sender_id": True}, "'sender_id' must be a string or null, not a boolean"),
    ({"text": "chào", "commune": {}}, "'commune' must be a string or null, not an object"),
    ({"text": "chào", "comune": "dai_hong"}, "'comune' is not a known field"),
])
def test_invalid_classify_fields_are_400_naming_the_field(client, auth, body, mentions):
    response = client.post("/v1/classify", json=body, headers=auth.headers())
    assert_error(response, 400, "invalid_field", mentions)


@pytest.mark.parametrize(("body", "mentions"), [
    ({}, "'messages' is required"),
    ({"messages": "chào"}, "'messages' must be a list"),
    ({"messages": []}, "1 to 100 messages"),
    ({"messages": ["chào"]}, "'messages[0]' must be an object"),
    ({"messages": [{"text": "chào"}], "extra": 1}, "'extra' is not a known field"),
])
def test_invalid_batches_are_400(client, auth, body, mentions):
    response = client.post("/v1/classify/batch", json=body, headers=auth.headers())
    assert_error(response, 400, "invalid_field", mentions)


@pytest.mark.parametrize(("data", "mentions"), [
    (b"{", "not valid JSON"),
    (b"", "not valid JSON"),
    (b'{"text": "\xc3\x28"}', "not UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, None),
    (b"[1, 2]", "must be a JSON object, not a list"),
    (b'"tr\\u1ed9m"', "not a string"),
    (b"null", "not null"),
], ids=["truncated", "empty", "not-utf8", "deep-or-large", "list", "string", "null"])
def test_malformed_json_is_400_never_500(client, auth, data, mentions):
    response = client.post("/v1/classify", data=data, headers={**auth.headers(), "Content-Type": "application/json"})
    if len(data) > 64 * 1024:
        assert_error(response, 413, "payload_too_large")
    else:
        assert_error(response, 400, "invalid_json", mentions)


def test_deeply_nested_json_within_the_size_limit_is_400(client, auth):
    data = b"[" * 30_000 + b"]" * 30_000
    response = client.post("/v1/classify", data=data, headers={**auth.headers(), "Content-Type": "application/json"})
    assert_error(response, 400, "invalid_json", "nested too deeply")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_a_body_that_is_not_json_is_415(client, auth, content_type):
    headers = {**auth.headers(), **({"Content-Type": content_type} if content_type else {})}
    response = client.post("/v1/classify", data='{"text": "chào"}', headers=headers)
    assert_error(response, 415, "unsupported_media_type")


def test_json_with_charset_is_accepted(client, auth):
    headers = {**auth.headers(), "Content-Type": "application/json; charset=utf-8"}
    response = client.post("/v1/classify", data='{"text": "chào"}'.encode(), headers=headers)
    assert response.status_code == 200


def test_a_body_over_the_limit_is_413(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    response = app.test_client().post("/v1/classify", json={"text": "trộm " * 400}, headers=AuthActions(app).headers())
    assert_error(response, 413, "payload_too_large", "limit of 1024 bytes")


def test_the_default_body_limit_is_64_kb(client, auth):
    text = "a" * (64 * 1024)
    response = client.post("/v1/classify", json={"text": text}, headers=auth.headers())
    assert_error(response, 413, "payload_too_large")


def test_a_correction_is_stored_with_who_and_when(app, client, auth):
    message_id = client.post("/v1/classify", json={"text": THEFT}, headers=auth.headers()).get_json()["message_id"]
    body = {"label": "crime_tip", "urgent": True, "note": "Người dân gọi lại, đang xảy ra"}
    response = client.post(f"/v1/messages/{message_id}/label", json=body, headers=auth.headers("officer"))
    assert response.status_code == 201
    assert_documented(response)
    correction = response.get_json()
    assert correction["created_by"] == "test-officer" and correction["created_by_role"] == "officer"
    assert correction["created_at"].endswith("Z")
    [row] = stored_rows(app, corrections)
    assert (row["message_id"], row["label"], row["urgent"], row["note"]) == (
        message_id, "crime_tip", True, body["note"])
    assert row["created_by"] == "test-officer" and row["created_at"] is not None


def test_corrections_accumulate_and_are_read_back_in_order(client, auth):
    message_id = client.post("/v1/classify", json={"text": "tách hộ khẩu cần gì"},
                             headers=auth.headers()).get_json()["message_id"]
    for role, body in (("officer", {"label": "procedure", "procedure_id": "tach_ho"}),
                       ("admin", {"label": "procedure", "procedure_id": None, "note": "chưa rõ thủ tục"})):
        assert client.post(f"/v1/messages/{message_id}/label", json=body, headers=auth.headers(role)).status_code == 201
    response = client.get(f"/v1/messages/{message_id}", headers=auth.headers("officer"))
    assert response.status_code == 200
    assert_documented(response)
    history = response.get_json()["corrections"]
    assert [(c["created_by"], c["procedure_id"]) for c in history] == [("test-officer", "tach_ho"),
                                                                      ("test-admin", None)]


@pytest.mark.parametrize("role", ["officer", "analyst", "admin"])
def test_reviewer_roles_may_correct(client, auth, role):
    message_id = client.post("/v1/classify", json={"text": "chào"}, headers=auth.headers()).get_json()["message_id"]
    response = client.post(f"/v1/messages/{message_id}/label", json={"label": "chat"}, headers=auth.headers(role))
    assert response.status_code == 201


def test_bot_tokens_may_not_correct_or_read_messages(client, auth):
    message_id = client.post("/v1/classify", json={"text": "chào"}, headers=auth.headers()).get_json()["message_id"]
    response = client.post(f"/v1/messages/{message_id}/label", json={"label": "chat"}, headers=auth.headers())
    assert_error(response, 403, "forbidden", "bot")
    assert_error(client.get(f"/v1/messages/{message_id}", headers=auth.headers()), 403, "forbidden")


def test_correcting_an_unknown_message_is_404(client, auth):
    response = client.post("/v1/messages/nope/label", json={"label": "chat"}, headers=auth.headers("officer"))
    assert_error(response, 404, "not_found", "nope")
    assert_error(client.get("/v1/messages/nope", headers=auth.headers("officer")), 404, "not_found")


@pytest.mark.parametrize(("body", "mentions"), [
    ({}, "'label' must be one of"),
    ({"label": "spam"}, '"spam"'),
    ({"label": ["chat"]}, "not a list"),
    ({"label": "chat", "urgent": "yes"}, "'urgent' must be true, false or null"),
    ({"label": "chat", "urgent": True}, "only be true for label crime_tip"),
    ({"label": "procedure", "procedure_id": "lam_so_do"}, "known procedure id"),
    ({"label": "chat", "procedure_id": "tach_ho"}, "only be set for label procedure"),
    ({"label": "chat", "note": ""}, "'note' must be 1 to 2000"),
    ({"label": "chat", "who": "me"}, "'who' is not a known field"),
])
def test_invalid_corrections_are_400(client, auth, body, mentions):
    message_id = client.post("/v1/classify", json={"text": "chào"}, headers=auth.headers()).get_json()["message_id"]
    response = client.post(f"/v1/messages/{message_id}/label", json=body, headers=auth.headers("officer"))
    assert_error(response, 400, "invalid_field", mentions)


def test_analysts_see_phone_and_id_numbers_masked(client, auth):
    text = "tôi bị lừa, số kẻ gian 0912345678, CCCD 001203004567 thôn Đông"
    message_id = client.post("/v1/classify", json={"text": text}, headers=auth.headers()).get_json()["message_id"]
    analyst = client.get(f"/v1/messages/{message_id}", headers=auth.headers("analyst")).get_json()
    officer = client.get(f"/v1/messages/{message_id}", headers=auth.headers("officer")).get_json()
    assert officer["text"] == text
    for secret in ("0912345678", "001203004567"):
        assert secret not in str(analyst)
    assert "[SĐT]" in analyst["text"]


# --- msg_id belongs to the client that sent it ---------------------------------------------------

PRIVATE = "xe biển 92E1-123.45 của tôi ở thôn Hà Nha bị trộm, gọi 0905123456"


def test_another_tokens_replay_of_a_msg_id_gets_a_fresh_classification_and_no_leak(app, client, auth):
    first = client.post("/v1/classify", json={"text": PRIVATE, "msg_id": "zalo-77"}, headers=auth.headers())
    other = {"Authorization": f"Bearer {create_token(app.extensions['triage.db'], 'other-bot', 'bot')}"}
    replay = client.post("/v1/classify", json={"text": "xin chào", "msg_id": "zalo-77"}, headers=other)
    assert replay.status_code == 200
    body = replay.get_data(as_text=True)
    assert replay.get_json()["message_id"] != first.get_json()["message_id"]
    assert replay.get_json()["label"] == "chat"
    for secret in ("0905123456", "92E1", "ha_nha"):
        assert secret not in body
    rows = {row["text"]: row for row in stored_rows(app, messages)}
    assert set(rows) == {PRIVATE, "xin chào"} and rows["xin chào"]["client"] == "other-bot"


def test_a_squatted_msg_id_does_not_swallow_the_bots_tip(app, client, auth):
    squatter = {"Authorization": f"Bearer {create_token(app.extensions['triage.db'], 'squatter', 'bot')}"}
    taken = client.post("/v1/classify", json={"text": "chào anh", "msg_id": "zalo-88"}, headers=squatter)
    assert taken.get_json()["label"] == "chat"
    tip = client.post("/v1/classify", json={"text": "Cứu với có cướp", "msg_id": "zalo-88"}, headers=auth.headers())
    assert tip.status_code == 200
    result = tip.get_json()
    assert (result["label"], result["urgent"]) == ("crime_tip", True)
    assert result["message_id"] != taken.get_json()["message_id"]
    [stored] = [row for row in stored_rows(app, messages) if row["id"] == result["message_id"]]
    assert stored["text"] == "Cứu với có cướp" and stored["client"] == "test-bot" and stored["urgent"] is True


def test_the_same_msg_id_with_another_text_from_the_same_client_is_a_409(app, client, auth):
    first = client.post("/v1/classify", json={"text": THEFT, "msg_id": "zalo-9"}, headers=auth.headers())
    assert first.status_code == 200
    changed = client.post("/v1/classify", json={"text": "xin chào", "msg_id": "zalo-9"}, headers=auth.headers())
    assert_error(changed, 409, "msg_id_conflict", "'zalo-9'")
    batch = client.post("/v1/classify/batch", headers=auth.headers(), json={"messages": [
        {"text": "tin mới", "msg_id": "zalo-10"}, {"text": "xin chào", "msg_id": "zalo-9"}]})
    assert_error(batch, 409, "msg_id_conflict", "'zalo-9'")
    inside = client.post("/v1/classify/batch", headers=auth.headers(), json={"messages": [
        {"text": "một", "msg_id": "zalo-11"}, {"text": "hai", "msg_id": "zalo-11"}]})
    assert_error(inside, 409, "msg_id_conflict", "'zalo-11'")
    assert [row["text"] for row in stored_rows(app, messages)] == [THEFT], "nothing of a refused request is stored"
    again = client.post("/v1/classify", json={"text": THEFT, "msg_id": "zalo-9"}, headers=auth.headers())
    assert again.get_json() == first.get_json()


@pytest.mark.parametrize("role, status", [("bot", 200), ("admin", 200), ("officer", 403), ("analyst", 403)])
def test_only_bot_and_admin_tokens_classify(client, auth, role, status):
    for path, body in (("/v1/classify", {"text": THEFT}), ("/v1/classify/batch", {"messages": [{"text": THEFT}]})):
        response = client.post(path, json=body, headers=auth.headers(role))
        if status == 403:
            assert_error(response, 403, "forbidden", "needs one of ['bot', 'admin']")
        else:
            assert response.status_code == 200
