"""Nasty inputs to POST /v1/classify, then the review screen showing what was stored.

Each case is sent as raw bytes; those accepted are read back through the API (stored verbatim)
and shown on /review and /messages/<id> (escaped, never executed). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import logging
import re
from importlib import resources
from pathlib import Path

import pytest
import yaml

from service.users import create_user
from tests.service.helpers import AuthActions, assert_error
from tests.service.test_classifier import add_version, promote

FAST_HASH = "pbkdf2:sha256:1000"
PASSWORD = "mat-khau-du-dai"
SCRIPT = '<script>alert("xss")</script><img src=x onerror="alert(1)"> trộm xe máy ở thôn Đông'
SQL = "'; DROP TABLE messages; -- \" OR 1=1; trộm xe máy"


def body(value) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


# (id, raw body, expected status, expected error code or None)
CASES = [
    ("empty-text", body({"text": ""}), 400, "invalid_field"),
    ("whitespace-only", body({"text": " \t\n\u00a0\u3000\u2028 "}), 400, "invalid_field"),
    ("one-megabyte", body({"text": "trộm " * 200_000}), 413, "payload_too_large"),
    ("invalid-utf8", b'{"text": "tr\xff\xfe\xc3\x28m xe"}', 400, "invalid_json"),
    ("lone-surrogate-escape", b'{"text": "tr\\ud800m xe"}', 400, "invalid_field"),
    ("lone-surrogate-in-msg-id", b'{"text": "trom xe", "msg_id": "\\udfff"}', 400, "invalid_field"),
    ("nul-in-ids", body({"text": "trộm xe", "msg_id": "a\u0000b", "sender_id": "\u0000"}), 200, None),
    ("nul-bytes", body({"text": "trộm\u0000 xe\u0000 máy"}), 200, None),
    ("array", body([{"text": "trộm xe"}]), 400, "invalid_json"),
    ("null", b"null", 400, "invalid_json"),
    ("number", b"42", 400, "invalid_json"),
    ("string", body("trộm xe"), 400, "invalid_json"),
    ("nested-object-as-text", body({"text": {"a": {"b": {"c": ["trộm"]}}}}), 400, "invalid_field"),
    ("ten-thousand-emoji", body({"text": "😡🚨" * 5_000}), 200, None),
    ("combining-flood", body({"text": "tro" + "\u0301\u0323\u0309" * 6_000 + "m xe"}), 200, None),
    ("right-to-left-marks", body({"text": "\u202etrộm xe máy\u202c \u200f\u200e\u2067thôn Đông\u2069"}), 200, None),
    ("zero-width-only", body({"text": "\u200b\u200c\u200d\ufeff"}), 200, None),
    ("html-script", body({"text": SCRIPT}), 200, None),
    ("sql-fragment", body({"text": SQL}), 200, None),
    ("fifty-thousand-char-word", body({"text": "a" * 50_000}), 200, None),
]


@pytest.fixture
def app(make_app):
    return make_app(PASSWORD_HASH=FAST_HASH)


def officer_client(app):
    """A test client logged in to the review screen as an officer."""
    create_user(app.extensions["triage.db"], "lan", "officer", PASSWORD, method=FAST_HASH)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"name": "lan", "password": PASSWORD, "csrf_token": token})
    return client


@pytest.mark.parametrize(("raw", "status", "code"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_nasty_input_is_refused_cleanly_or_stored_verbatim_and_shown_escaped(app, client, auth, raw, status, code):
    response = client.post("/v1/classify", data=raw,
                           headers={**auth.headers(), "Content-Type": "application/json"})
    if code is not None:
        assert_error(response, status, code)
        return
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    result = response.get_json()
    assert result["label"] in {"crime_tip", "procedure", "chat"}
    sent = json.loads(raw.decode("utf-8"))["text"]
    if len(sent) > 5_000:
        assert "truncated" in [reason["kind"] for reason in result["reasons"]]

    stored = client.get(f"/v1/messages/{result['message_id']}", headers=auth.headers("officer"))
    assert stored.status_code == 200
    assert stored.get_json()["text"] == sent.replace("\x00", "\ufffd"), "stored verbatim (NUL kept as U+FFFD)"

    web = officer_client(app)
    for path in ("/review?status=all", f"/messages/{result['message_id']}"):
        page = web.get(path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "\x00" not in html
        if sent == SCRIPT:
            assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in html


@pytest.mark.parametrize("message_id", ["%00", "a%00b", "%ED%A0%80", "%FF", "x" * 2000, "' OR '1'='1", "..%2F..%2Fetc"],
                         ids=["nul", "inner-nul", "surrogate-bytes", "invalid-utf8", "very-long", "sql", "traversal"])
def test_hostile_message_ids_in_paths_are_404_never_500(app, client, auth, message_id):
    headers = auth.headers("officer")
    assert_error(client.get(f"/v1/messages/{message_id}", headers=headers), 404, "not_found")
    assert_error(client.post(f"/v1/messages/{message_id}/label", json={"label": "chat"}, headers=headers),
                 404, "not_found")
    web = officer_client(app)
    assert web.get(f"/messages/{message_id}").status_code == 404
    token = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/review").get_data(as_text=True)).group(1)
    assert web.post(f"/messages/{message_id}/label", data={"label": "chat", "csrf_token": token}).status_code == 404


def test_a_note_with_nul_and_markup_is_stored_and_shown_escaped(app, client, auth):
    response = client.post("/v1/classify", json={"text": "mất xe máy"}, headers=auth.headers())
    message_id = response.get_json()["message_id"]
    web = officer_client(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/review").get_data(as_text=True)).group(1)
    note = "<b onmouseover=alert(1)>xác minh</b>\x00 xong"
    response = web.post(f"/messages/{message_id}/label", data={"label": "chat", "note": note, "csrf_token": token})
    assert response.status_code == 302
    page = web.get(f"/messages/{message_id}").get_data(as_text=True)
    assert "<b onmouseover" not in page and "&lt;b onmouseover=alert(1)&gt;xác minh&lt;/b&gt;\ufffd xong" in page


# --- a running service keeps its last valid config -------------------------------------------------

def write_rules(path, version: str, *, duplicate: bool = False) -> None:
    """The bundled rules under another version; `duplicate` repeats the first rule (invalid)."""
    data = yaml.safe_load((Path(str(resources.files("triage") / "data")) / "rules.yaml").read_text(encoding="utf-8"))
    data["version"] = version
    if duplicate:
        data["rules"].append(data["rules"][0])
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def service_log(caplog):
    """caplog, also fed by the service logger (which does not propagate to the root)."""
    logger = logging.getLogger("triage.service")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    yield caplog
    logger.removeHandler(caplog.handler)


def test_a_broken_rules_file_is_refused_and_the_previous_engine_keeps_serving(make_app, engine, tmp_path,
                                                                              service_log):
    models = tmp_path / "models"
    models.mkdir()
    for version in ("test-v1", "test-v2"):
        add_version(models, version)
    promote(models, "test-v1")
    rules = tmp_path / "rules.yaml"
    write_rules(rules, "rules-v1")
    app = make_app(MODELS_DIR=str(models), MODEL_RELOAD_SECONDS=0, RULES_PATH=str(rules),
                   TRIAGE_ENGINE=engine.with_model(models / "test-v1", rules_path=rules))
    client, headers = app.test_client(), AuthActions(app).headers()
    text = "Nhà bà Tư ở thôn Đông bị trộm con bò vàng đêm qua, gọi 0912345678"

    def served() -> tuple[str, str]:
        response = client.post("/v1/classify", json={"text": text}, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["model_version"], response.get_json()["rules_version"]

    assert served() == ("test-v1", "rules-v1")
    write_rules(rules, "rules-v2")
    promote(models, "test-v2")
    assert served() == ("test-v2", "rules-v2")

    write_rules(rules, "rules-v3", duplicate=True)
    promote(models, "test-v1")
    assert served() == ("test-v2", "rules-v2")
    errors = [r.getMessage() for r in service_log.records if r.levelno >= logging.ERROR]
    assert any("is defined twice" in message and str(rules) in message for message in errors), errors
    logged = "\n".join(r.getMessage() for r in service_log.records)
    assert "bò vàng" not in logged and "0912345678" not in logged
    ready = client.get("/readyz").get_json()
    assert "is defined twice" in str(ready)

    write_rules(rules, "rules-v4")
    promote(models, "test-v1")  # touching ACTIVE re-reads the fixed file
    assert served() == ("test-v1", "rules-v4")


def test_a_broken_rules_file_at_start_is_a_503_naming_it(make_app, tmp_path):
    rules = tmp_path / "rules.yaml"
    write_rules(rules, "bad", duplicate=True)
    app = make_app(RULES_PATH=str(rules), TRIAGE_ENGINE=None)
    response = app.test_client().post("/v1/classify", json={"text": "chào"}, headers=AuthActions(app).headers())
    assert_error(response, 503, "unavailable", "is defined twice")
