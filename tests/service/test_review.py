"""The review screen: login and its defences, the queue, corrections, history, roles, dashboard, admin."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select, update

from service.cli import main
from service.schema import corrections, login_failures, messages, users
from service.users import create_user

PASSWORD = "mat-khau-du-dai"
FAST_HASH = "pbkdf2:sha256:1000"  # the default scrypt costs ~0.3 s per check: too slow for many logins
LOGIN_FAILED = "Đăng nhập không thành công"


@pytest.fixture
def app(make_app):
    return make_app(PASSWORD_HASH=FAST_HASH)


class Web:
    """A browser-like test client: reads the CSRF token off pages and logs in through the form."""

    def __init__(self, app) -> None:
        self.app = app
        self.client = app.test_client()

    def user(self, name: str, role: str = "officer", password: str = PASSWORD):
        return create_user(self.app.extensions["triage.db"], name, role, password, method=FAST_HASH)

    def csrf(self, path: str = "/login") -> str:
        page = self.client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def login(self, name: str, password: str = PASSWORD, csrf: str | None = None):
        token = self.csrf() if csrf is None else csrf
        return self.client.post("/login", data={"name": name, "password": password, "csrf_token": token})

    def session(self) -> dict:
        cookie = self.client.get_cookie("triage_session")
        serializer = self.app.session_interface.get_signing_serializer(self.app)
        return serializer.loads(cookie.value) if cookie else {}

    def correct(self, message_id: str, label: str, **fields):
        token = self.csrf("/review?status=all")
        return self.client.post(f"/messages/{message_id}/label",
                                data={"label": label, "csrf_token": token, "next": "/review", **fields})


@pytest.fixture
def web(app) -> Web:
    return Web(app)


def classify(client, auth, text: str) -> str:
    response = client.post("/v1/classify", json={"text": text}, headers=auth.headers())
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["message_id"]


def stored_corrections(app) -> list[dict]:
    with app.extensions["triage.db"].transaction() as conn:
        return [dict(r) for r in conn.execute(select(corrections).order_by(corrections.c.id)).mappings()]


def set_message(app, message_id: str, **values) -> None:
    with app.extensions["triage.db"].transaction() as conn:
        conn.execute(update(messages).where(messages.c.id == message_id).values(**values))


# --- login ---------------------------------------------------------------------------------------

def test_pages_redirect_to_login_and_login_redirects_back(web):
    web.user("lan")
    response = web.client.get("/review?label=chat")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    login = web.client.get(response.headers["Location"])
    assert "Đăng nhập" in login.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.get_data(as_text=True)).group(1)
    done = web.client.post("/login", data={"name": "lan", "password": PASSWORD, "csrf_token": token,
                                           "next": "/review?label=chat"})
    assert done.status_code == 302 and done.headers["Location"] == "/review?label=chat"
    assert web.client.get("/review").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_login_never_redirects_off_site(web, target):
    web.user("lan")
    token = web.csrf()
    done = web.client.post("/login", data={"name": "lan", "password": PASSWORD, "csrf_token": token, "next": target})
    assert done.headers["Location"] == "/review"


def test_session_cookie_flags_and_new_session_id_at_login(web):
    web.user("lan")
    web.csrf()
    before = web.session()
    assert "csrf" in before and "user_id" not in before
    response = web.login("lan")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    after = web.session()
    assert after["user_id"] and after["sid"] and after["csrf"] != before["csrf"]
    web.client.post("/logout", data={"csrf_token": after["csrf"]})
    assert "user_id" not in web.session()
    web.login("lan")
    assert web.session()["sid"] != after["sid"]


def test_secure_cookie_is_configurable(make_app):
    web = Web(make_app(PASSWORD_HASH=FAST_HASH, SESSION_COOKIE_SECURE=True))
    web.user("lan")
    assert "Secure" in web.login("lan").headers["Set-Cookie"]


@pytest.mark.parametrize("name, password", [("lan", "sai-mat-khau-roi"), ("khong-ton-tai", PASSWORD), ("", "")])
def test_failed_login_gives_one_message_whoever_asks(web, name, password):
    web.user("lan")
    response = web.login(name, password)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    page = web.client.get(response.headers["Location"]).get_data(as_text=True)
    assert LOGIN_FAILED in page
    assert "user_id" not in web.session()


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(web, app, make_app):
    web.user("lan")
    web.user("minh")
    for _ in range(5):
        web.login("lan", "sai-mat-khau-roi")
    locked = web.login("lan")
    assert locked.headers["Location"].startswith("/login")
    assert LOGIN_FAILED in web.client.get(locked.headers["Location"]).get_data(as_text=True)
    # The lock is stored in the database: another app (worker) sees it too, for the same address.
    other = Web(make_app(PASSWORD_HASH=FAST_HASH))
    assert other.login("lan").headers["Location"].startswith("/login")
    assert other.login("minh").headers["Location"] == "/review"
    with app.extensions["triage.db"].transaction() as conn:
        until = conn.execute(select(login_failures.c.locked_until)).scalar_one()
        until = until if until.tzinfo else until.replace(tzinfo=UTC)
        assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15)
        conn.execute(update(login_failures).values(locked_until=datetime.now(UTC) - timedelta(seconds=1)))
    assert web.login("lan").headers["Location"] == "/review"


def test_a_success_resets_the_failure_count(web):
    web.user("lan")
    for _ in range(4):
        web.login("lan", "sai-mat-khau-roi")
    assert web.login("lan").headers["Location"] == "/review"
    web.client.post("/logout", data={"csrf_token": web.session()["csrf"]})
    for _ in range(4):
        web.login("lan", "sai-mat-khau-roi")
    assert web.login("lan").headers["Location"] == "/review"


def test_disabled_user_is_logged_out_at_once(web, app):
    web.user("lan")
    web.login("lan")
    assert web.client.get("/review").status_code == 200
    with app.extensions["triage.db"].transaction() as conn:
        conn.execute(update(users).where(users.c.name == "lan").values(disabled=True))
    assert web.client.get("/review").status_code == 302
    assert web.login("lan").headers["Location"].startswith("/login")


# --- CSRF and headers ----------------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_forms_without_the_session_csrf_token_are_refused(web, client, auth, app, token):
    web.user("lan")
    message_id = classify(client, auth, "nhà tôi bị trộm xe máy")
    data = {"name": "lan", "password": PASSWORD} | ({} if token is None else {"csrf_token": token})
    web.csrf()
    refused = web.client.post("/login", data=data)
    assert refused.status_code == 400 and refused.mimetype == "text/html"
    assert "user_id" not in web.session()
    web.login("lan")
    label = {"label": "chat"} | ({} if token is None else {"csrf_token": token})
    assert web.client.post(f"/messages/{message_id}/label", data=label).status_code == 400
    assert web.client.post("/logout", data={}).status_code == 400
    assert stored_corrections(app) == []


@pytest.mark.parametrize("path", ["/login", "/review", "/dashboard", "/static/app.css", "/healthz"])
def test_security_headers_on_every_response(web, path):
    web.user("lan")
    web.login("lan")
    response = web.client.get(path)
    assert response.status_code == (302 if path == "/login" else 200)  # logged in: /login sends on
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_pages_have_no_inline_scripts_or_styles(web, client, auth):
    web.user("boss", "admin")
    classify(client, auth, "có người đánh nhau ở thôn Hà Nha")
    web.login("boss")
    for path in ("/login", "/review", "/dashboard", "/admin/users"):
        page = web.client.get(path).get_data(as_text=True)
        assert re.findall(r"<script(?![^>]*\bsrc=)", page) == [], path
        assert " style=" not in page and "<style" not in page and " on" + "click=" not in page, path


def test_api_tokens_do_not_open_pages(web, auth):
    for role in ("bot", "officer", "admin"):
        response = web.client.get("/review", headers=auth.headers(role))
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert web.client.get("/admin/users", headers=auth.headers("admin")).status_code == 302


# --- the queue -----------------------------------------------------------------------------------

def test_message_text_is_escaped_and_rule_phrases_highlighted(web, client, auth):
    web.user("lan")
    message_id = classify(client, auth, "<script>alert('x')</script> nhà tôi bị trộm xe máy")
    web.login("lan")
    for path in ("/review", f"/messages/{message_id}"):
        page = web.client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
        assert re.search(r"<mark title=\"[^\"]*\">[^<]*trộm[^<]*</mark>", page), page


def test_queue_order_urgent_then_least_confident_then_newest(web, client, auth, app):
    web.user("lan")
    ids = [classify(client, auth, f"tin nhắn số {i}") for i in range(4)]
    now = datetime.now(UTC)
    set_message(app, ids[0], urgent=False, confidence=0.9, received_at=now - timedelta(hours=3))
    set_message(app, ids[1], urgent=True, confidence=0.99, received_at=now - timedelta(hours=5))
    set_message(app, ids[2], urgent=False, confidence=0.5, received_at=now - timedelta(hours=4))
    set_message(app, ids[3], urgent=False, confidence=0.9, received_at=now - timedelta(hours=1))
    web.login("lan")
    page = web.client.get("/review").get_data(as_text=True)
    assert re.findall(r'data-id="([0-9a-f]{32})"', page) == [ids[1], ids[2], ids[3], ids[0]]


def test_filters_by_label_status_hamlet_and_date(web, client, auth, app):
    web.user("lan")
    tip = classify(client, auth, "có người lạ trộm chó ở thôn Hà Nha")
    procedure = classify(client, auth, "làm căn cước cần giấy tờ gì")
    chat = classify(client, auth, "cảm ơn các anh")
    set_message(app, chat, received_at=datetime(2026, 3, 1, 18, 30, tzinfo=UTC))  # 2 March, 01:30 in Vietnam
    web.login("lan")

    def shown(query: str) -> set[str]:
        response = web.client.get(f"/review?{query}")
        assert response.status_code == 200
        return set(re.findall(r'data-id="([0-9a-f]{32})"', response.get_data(as_text=True)))

    assert shown("") == {tip, procedure, chat}
    assert shown("label=procedure") == {procedure}
    assert shown("hamlet=dai_hong:ha_nha") == {tip}
    assert shown("from=2026-03-02&to=2026-03-02") == {chat}
    assert shown("to=2026-03-01") == set()
    web.correct(procedure, "procedure")
    assert shown("status=unreviewed") == {tip, chat}
    assert shown("status=reviewed") == {procedure}
    assert shown("status=all&label=procedure") == {procedure}


@pytest.mark.parametrize("query", ["label=spam", "status=maybe", "hamlet=nowhere", "from=2026-13-01", "page=x"])
def test_invalid_filters_are_a_400_page(web, query):
    web.user("lan")
    web.login("lan")
    response = web.client.get(f"/review?{query}")
    assert response.status_code == 400 and response.mimetype == "text/html"


def test_queue_is_paginated(web, client, auth):
    web.user("lan")
    response = client.post("/v1/classify/batch", json={"messages": [{"text": f"chào {i}"} for i in range(30)]},
                           headers=auth.headers())
    assert response.status_code == 200
    web.login("lan")
    first = web.client.get("/review").get_data(as_text=True)
    second = web.client.get("/review?page=2").get_data(as_text=True)
    first_ids = re.findall(r'data-id="([0-9a-f]{32})"', first)
    second_ids = re.findall(r'data-id="([0-9a-f]{32})"', second)
    assert len(first_ids) == 25 and len(second_ids) == 5 and not set(first_ids) & set(second_ids)
    assert "Trang 1 / 2" in first and "Trang sau" in first


def test_a_correction_is_stored_append_only_with_the_user_as_author(web, client, auth, app):
    user = web.user("lan")
    message_id = classify(client, auth, "làm căn cước cần giấy tờ gì")
    web.login("lan")
    response = web.correct(message_id, "procedure", procedure_id="cap_doi_cap_lai_can_cuoc", note="đã gọi lại")
    assert response.status_code == 302 and response.headers["Location"] == "/review"
    assert "Đã lưu nhãn" in web.client.get("/review").get_data(as_text=True)
    web.correct(message_id, "crime_tip", urgent="1")
    rows = stored_corrections(app)
    assert [(r["label"], r["procedure_id"], r["urgent"], r["note"]) for r in rows] == [
        ("procedure", "cap_doi_cap_lai_can_cuoc", None, "đã gọi lại"), ("crime_tip", None, True, None)]
    assert {(r["created_by"], r["created_by_role"], r["user_id"], r["token_id"]) for r in rows} == {
        ("lan", "officer", user.id, None)}
    # The API reads the same table.
    api = client.get(f"/v1/messages/{message_id}", headers=auth.headers("officer")).get_json()
    assert [c["created_by"] for c in api["corrections"]] == ["lan", "lan"]


@pytest.mark.parametrize("fields, says", [
    ({"label": "spam"}, "nhãn không hợp lệ"),
    ({"label": "chat", "note": "x" * 2001}, "ghi chú phải có"),
])
def test_invalid_corrections_are_not_stored(web, client, auth, app, fields, says):
    web.user("lan")
    message_id = classify(client, auth, "chào anh")
    web.login("lan")
    response = web.correct(message_id, **fields)
    assert response.status_code == 302
    page = web.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Chưa lưu" in page and says in page
    assert stored_corrections(app) == []


def test_correcting_an_unknown_message_is_404(web):
    web.user("lan")
    web.login("lan")
    assert web.correct("0" * 32, "chat").status_code == 404


def test_history_shows_who_when_what(web, client, auth):
    web.user("lan")
    message_id = classify(client, auth, "có người lạ trộm chó")
    client.post(f"/v1/messages/{message_id}/label", json={"label": "crime_tip", "note": "xác minh"},
                headers=auth.headers("officer"))
    web.login("lan")
    web.correct(message_id, "chat", note="tin thử")
    page = web.client.get(f"/messages/{message_id}").get_data(as_text=True)
    assert "Lịch sử duyệt" in page
    assert page.index("test-officer") < page.index("xác minh") < page.index(">lan<") < page.index("tin thử")
    assert web.client.get(f"/messages/{'f' * 32}").status_code == 404


# --- roles ---------------------------------------------------------------------------------------

def test_analysts_see_phones_ids_and_plates_masked_everywhere(web, client, auth):
    web.user("lan", "officer")
    web.user("an", "analyst")
    text = "xe 92E1-123.45 trộm đồ, gọi 0912345678, căn cước 048095001234"
    message_id = classify(client, auth, text)
    web.login("lan")
    web.correct(message_id, "crime_tip", note="chủ xe 0905111222")
    officer = web.client.get(f"/messages/{message_id}").get_data(as_text=True)
    assert "0912345678" in officer and "0905111222" in officer and "048095001234" in officer
    web.client.post("/logout", data={"csrf_token": web.session()["csrf"]})
    web.login("an")
    for path in ("/review?status=all", f"/messages/{message_id}"):
        page = web.client.get(path).get_data(as_text=True)
        for secret in ("0912345678", "0905111222", "048095001234", "92E1", "123.45"):
            assert secret not in page, (path, secret)
        assert "[SĐT]" in page and "[BIỂN SỐ]" in page
    assert "[SỐ GIẤY TỜ]" in web.client.get(f"/messages/{message_id}").get_data(as_text=True)


def test_only_admins_manage_users_and_see_tokens(web, auth, app):
    web.user("lan", "officer")
    web.user("boss", "admin")
    auth.token("bot")
    web.login("lan")
    assert web.client.get("/admin/users").status_code == 403
    refused = web.client.post("/admin/users", data={"name": "x", "role": "admin", "password": PASSWORD,
                                                    "csrf_token": web.session()["csrf"]})
    assert refused.status_code == 403
    web.client.post("/logout", data={"csrf_token": web.session()["csrf"]})
    web.login("boss")
    page = web.client.get("/admin/users").get_data(as_text=True)
    assert "test-bot" in page and "lan" in page and "trg_" not in page
    token = web.session()["csrf"]
    made = web.client.post("/admin/users", data={"name": "moi", "role": "analyst", "password": PASSWORD,
                                                 "csrf_token": token})
    assert made.status_code == 302
    assert "Đã tạo tài khoản moi" in web.client.get("/admin/users").get_data(as_text=True)
    short = web.client.post("/admin/users", data={"name": "ngan", "role": "officer", "password": "123",
                                                  "csrf_token": token})
    assert "Chưa tạo được" in web.client.get(short.headers["Location"]).get_data(as_text=True)
    web.client.post("/admin/users/lan/disable", data={"csrf_token": token})
    assert Web(app).login("lan").headers["Location"].startswith("/login")
    web.client.post("/admin/users/lan/enable", data={"csrf_token": token})
    assert Web(app).login("lan").headers["Location"] == "/review"
    assert Web(app).login("moi").headers["Location"] == "/review"


# --- dashboard -----------------------------------------------------------------------------------

def test_dashboard_charts_count_labels_review_share_and_agreement(web, client, auth, app):
    web.user("lan")
    tip = classify(client, auth, "nhà tôi bị trộm xe máy")
    chat = classify(client, auth, "cảm ơn các anh")
    classify(client, auth, "làm căn cước cần giấy tờ gì")
    set_message(app, chat, needs_review=True)
    web.login("lan")
    web.correct(tip, "crime_tip")
    web.correct(chat, "procedure")
    page = web.client.get("/dashboard").get_data(as_text=True)
    assert page.count("<svg") == 5
    assert "Tổng số tin nhắn trong 14 ngày gần nhất: <strong>3</strong>" in page
    assert "1 / 3 tin máy phân loại chưa chắc" in page
    assert "2 / 3 tin nhắn có nhãn của cán bộ" in page
    assert "1 / 2 tin cán bộ đã duyệt giữ nguyên nhãn của máy" in page and "50.0%" in page
    assert web.client.get("/dashboard?days=5").status_code == 400


def test_dashboard_with_no_messages(web):
    web.user("lan")
    web.login("lan")
    page = web.client.get("/dashboard?days=7").get_data(as_text=True)
    assert "—" in page and page.count("<svg") == 5


# --- command line --------------------------------------------------------------------------------

def triage_cli(database_url: str, tmp_path, *args: str, stdin: str | None = None):
    env = {"TRIAGE_DATABASE_URL": database_url, "TRIAGE_INSTANCE_PATH": str(tmp_path / "instance")}
    return CliRunner().invoke(main, list(args), input=stdin, env=env)


def test_users_add_reads_the_password_from_stdin_and_stores_a_scrypt_hash(database_url, tmp_path):
    result = triage_cli(database_url, tmp_path, "users", "add", "lan", "--role", "officer", stdin=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "created lan (officer)" in result.output
    engine = create_engine(database_url)
    with engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash, users.c.role)).one()
    engine.dispose()
    assert stored.role == "officer" and stored.password_hash.startswith("scrypt:")
    assert PASSWORD not in stored.password_hash
    listed = triage_cli(database_url, tmp_path, "users", "list")
    assert re.search(r"lan\s+officer\s+\S+ \S+ active", listed.output), listed.output


@pytest.mark.parametrize("args, stdin, says", [
    (("lan", "--role", "chief"), PASSWORD, "Invalid value for '--role'"),
    (("lan", "--role", "officer"), "ngan", "at least 10 characters"),
    (("có dấu cách", "--role", "officer"), PASSWORD, "without spaces"),
])
def test_users_add_refuses_bad_input(database_url, tmp_path, args, stdin, says):
    result = triage_cli(database_url, tmp_path, "users", "add", *args, stdin=stdin + "\n")
    assert result.exit_code != 0 and says in result.output, result.output


def test_users_add_twice_is_an_error_and_disable_works(database_url, tmp_path):
    for expected in (0, 1):
        result = triage_cli(database_url, tmp_path, "users", "add", "lan", "--role", "admin", stdin=PASSWORD + "\n")
        assert result.exit_code == expected, result.output
    assert "already exists" in result.output
    assert triage_cli(database_url, tmp_path, "users", "disable", "lan").exit_code == 0
    assert "disabled" in triage_cli(database_url, tmp_path, "users", "list").output
    assert "no user named 'ghost'" in triage_cli(database_url, tmp_path, "users", "disable", "ghost").output
