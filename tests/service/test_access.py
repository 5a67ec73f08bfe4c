"""Who may do what: tokens on every API operation, bot tokens and pages, masking for analysts, page headers.

Complements test_auth.py, test_errors.py, test_api.py and test_review.py (login lockout, one failure
message, CSRF on forms, a new session id at login): what they already pin is not repeated here.
"""

from __future__ import annotations

import re

import pytest

from service.openapi import openapi_document
from service.settings import defaults
from service.tokens import revoke_token
from service.users import create_user
from tests.service.helpers import assert_error

FAST_HASH = "pbkdf2:sha256:1000"
PASSWORD = "mat-khau-du-dai"
DOCUMENT = openapi_document(defaults())
OPERATIONS = [(method.upper(), path, operation) for path, item in DOCUMENT["paths"].items()
              for method, operation in item.items()]
PROTECTED = [(method, path) for method, path, operation in OPERATIONS if operation.get("security") != []]
# Health, metrics and the API description itself carry no citizen data and must answer without a token.
PUBLIC = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/openapi.json")}
SECRETS = ("0912345678", "048095001234", "92E1-123.45", "0905111222")
TEXT = "xe 92E1-123.45 trộm đồ ở thôn Đông, gọi 0912345678, căn cước 048095001234"


@pytest.fixture
def app(make_app):
    return make_app(PASSWORD_HASH=FAST_HASH)


def login(app, name: str, role: str):
    create_user(app.extensions["triage.db"], name, role, PASSWORD, method=FAST_HASH)
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


def csrf(client, path: str = "/review") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_only_health_metrics_and_the_api_description_are_public():
    public = {(method, path) for method, path, operation in OPERATIONS if operation.get("security") == []}
    assert public == PUBLIC


@pytest.mark.parametrize("credential", ["missing", "wrong", "revoked"])
@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
def test_every_protected_operation_refuses_missing_wrong_and_revoked_tokens(app, client, auth, method, path,
                                                                           credential):
    message_id = client.post("/v1/classify", json={"text": TEXT}, headers=auth.headers()).get_json()["message_id"]
    headers = {}
    if credential == "wrong":
        headers = {"Authorization": "Bearer " + auth.token("officer")[:-2] + "xx"}
    elif credential == "revoked":
        headers = auth.headers("admin")
        revoke_token(app.extensions["triage.db"], "test-admin")
    body = {"text": "chào"} if path == "/v1/classify" else {"messages": [{"text": "chào"}]} \
        if path.endswith("batch") else {"label": "chat"}
    response = client.open(path.replace("{message_id}", message_id), method=method, headers=headers,
                           json=body if method == "POST" else None)
    error = assert_error(response, 401, "unauthorized")
    assert "Bearer" in response.headers["WWW-Authenticate"]
    assert TEXT not in str(error) and "0912345678" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("method", "path"), sorted(PUBLIC))
def test_public_operations_answer_without_a_token(client, method, path):
    assert client.open(path, method=method).status_code == 200


def test_a_bot_token_cannot_open_any_page_or_correct_through_one(app, client, auth):
    message_id = client.post("/v1/classify", json={"text": TEXT}, headers=auth.headers()).get_json()["message_id"]
    bot = auth.headers("bot")
    for path in ("/review", "/review?status=all", f"/messages/{message_id}", "/dashboard", "/admin/users"):
        response = client.get(path, headers=bot)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path
        assert "0912345678" not in response.get_data(as_text=True) and "trộm" not in response.get_data(as_text=True)
    refused = client.post(f"/messages/{message_id}/label", data={"label": "chat"}, headers=bot)
    assert refused.status_code in {302, 400}
    assert_error(client.post(f"/v1/messages/{message_id}/label", json={"label": "chat"}, headers=bot),
                 403, "forbidden")
    officer = client.get(f"/v1/messages/{message_id}", headers=auth.headers("officer")).get_json()
    assert officer["corrections"] == []


def test_an_analyst_never_sees_unmasked_numbers_in_the_api_even_in_notes(app, client, auth):
    message_id = client.post("/v1/classify", json={"text": TEXT}, headers=auth.headers()).get_json()["message_id"]
    note = {"label": "crime_tip", "note": "chủ xe 0905111222, CCCD 048095001234"}
    response = client.post(f"/v1/messages/{message_id}/label", json=note, headers=auth.headers("officer"))
    assert response.status_code == 201
    analyst = client.get(f"/v1/messages/{message_id}", headers=auth.headers("analyst"))
    assert analyst.status_code == 200
    body = analyst.get_data(as_text=True)
    for secret in SECRETS + ("92E1", "123.45"):
        assert secret not in body, secret
    assert analyst.get_json()["corrections"][0]["note"] == "chủ xe [SĐT], CCCD [SỐ GIẤY TỜ]"
    officer = client.get(f"/v1/messages/{message_id}", headers=auth.headers("officer")).get_data(as_text=True)
    assert all(secret in officer for secret in SECRETS)


def test_an_analyst_sees_masked_numbers_on_every_page(app, client, auth):
    message_id = client.post("/v1/classify", json={"text": TEXT}, headers=auth.headers()).get_json()["message_id"]
    client.post(f"/v1/messages/{message_id}/label", json={"label": "crime_tip", "note": "gọi 0905111222"},
                headers=auth.headers("officer"))
    analyst = login(app, "an", "analyst")
    for path in ("/review?status=all", "/review?status=reviewed", f"/messages/{message_id}", "/dashboard"):
        page = analyst.get(path)
        assert page.status_code == 200, path
        for secret in SECRETS + ("92E1", "123.45"):
            assert secret not in page.get_data(as_text=True), (path, secret)


@pytest.mark.parametrize("path", ["/login", "/review", "/messages/{id}", "/messages/nope", "/dashboard",
                                  "/admin/users", "/review?label=spam", "/v1/classify", "/openapi.json",
                                  "/metrics", "/readyz", "/nowhere"])
def test_security_headers_on_every_page_error_and_api_response(app, client, auth, path):
    message_id = client.post("/v1/classify", json={"text": TEXT}, headers=auth.headers()).get_json()["message_id"]
    admin = login(app, "boss", "admin")
    response = admin.get(path.replace("{id}", message_id))
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp, path
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    if response.mimetype == "text/html":
        assert response.headers["Cache-Control"] == "no-store", path


@pytest.mark.parametrize(("path", "data"), [
    ("/admin/users", {"name": "moi", "role": "officer", "password": PASSWORD}),
    ("/admin/users/lan/disable", {}),
    ("/logout", {}),
])
def test_admin_forms_and_logout_refuse_a_missing_or_foreign_csrf_token(app, path, data):
    create_user(app.extensions["triage.db"], "lan", "officer", PASSWORD, method=FAST_HASH)
    admin = login(app, "boss", "admin")
    other = login(app, "tam", "officer")
    for token in (None, csrf(other)):  # no token, or a valid token of another session
        sent = data if token is None else {**data, "csrf_token": token}
        assert admin.post(path, data=sent).status_code == 400, (path, token)
    assert admin.get("/admin/users").status_code == 200  # still logged in, nothing changed
    assert "moi" not in admin.get("/admin/users").get_data(as_text=True)


def test_a_session_cookie_planted_before_login_is_not_kept(app):
    create_user(app.extensions["triage.db"], "lan", "officer", PASSWORD, method=FAST_HASH)
    attacker = app.test_client()
    token = csrf(attacker, "/login")
    planted = attacker.get_cookie("triage_session").value
    victim = app.test_client()
    victim.set_cookie("triage_session", planted)
    assert victim.post("/login", data={"name": "lan", "password": PASSWORD, "csrf_token": token}).status_code == 302
    assert victim.get_cookie("triage_session").value != planted
    # The attacker's copy of the planted cookie opens nothing.
    assert attacker.get("/review").status_code == 302


def test_lockout_message_is_the_same_for_a_locked_real_user_and_an_unknown_name(app):
    create_user(app.extensions["triage.db"], "lan", "officer", PASSWORD, method=FAST_HASH)
    client = app.test_client()

    def attempt(name: str, password: str) -> str:
        client.post("/login", data={"name": name, "password": password, "csrf_token": csrf(client, "/login")})
        return re.sub(r'value="[^"]+"', "", client.get("/login").get_data(as_text=True))

    for _ in range(5):
        attempt("lan", "sai-mat-khau")
    locked = attempt("lan", PASSWORD)  # the right password while locked
    unknown = attempt("khong-co-ai", PASSWORD)
    assert "Đăng nhập không thành công" in locked and locked == unknown
    assert client.get("/review").status_code == 302
