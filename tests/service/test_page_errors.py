"""Hostile query strings, `next` values and methods on the review screen: Vietnamese pages, never a 500;
API errors stay JSON; no-store on every response that may carry citizens' text; bounded metric labels."""

from __future__ import annotations

import re

import pytest

from service.pages import review
from tests.service.test_access import FAST_HASH, PASSWORD, csrf, login

ENGLISH = ("The requested URL", "The method is not allowed", "The data value transmitted", "Internal Server Error",
           "Field '", "must be", "internal_error")


@pytest.fixture
def app(make_app):
    return make_app(PASSWORD_HASH=FAST_HASH)


@pytest.fixture
def officer(app, client, auth):
    """An officer's browser, with enough messages for the queue to have a second page (and page links).

    The thefts are over ("tối qua"), so none is urgent: urgent tips are listed above the pages."""
    texts = [{"text": f"tối qua nhà số {i} bị trộm xe máy"} for i in range(30)]
    assert client.post("/v1/classify/batch", json={"messages": texts}, headers=auth.headers()).status_code == 200
    return login(app, "lan", "officer")


def assert_vietnamese_page(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<html lang="vi">' in page
    for english in ENGLISH:
        assert english not in page, english
    return page


@pytest.mark.parametrize(("query", "status", "says"), [
    ("to=9999-12-31", 400, "Ngày phải trong khoảng"),
    ("from=0001-01-01", 400, "Ngày phải trong khoảng"),
    ("page=" + "9" * 30, 400, "Số trang"),
    ("page=" + "9" * 5000, 400, "Số trang"),
    ("page=100001", 400, "Số trang"),
    ("_method=POST", 200, "Tin cần xử lý"),
    ("endpoint=x", 200, "Tin cần xử lý"),
    ("status=all&endpoint=review.message", 200, "Tin cần xử lý"),
    ("_external=1&_scheme=javascript&_anchor=x", 200, "Tin cần xử lý"),
    ("values=1&page=1", 200, "Tin cần xử lý"),
])
def test_hostile_queue_queries_are_a_page_never_a_500(officer, query, status, says):
    page = assert_vietnamese_page(officer.get(f"/review?{query}"), status)
    assert says in page
    for link in re.findall(r'href="([^"]*page=[^"]*)"', page):
        assert link.startswith("/review?"), link
        assert not re.search(r"endpoint|_method|_external|_scheme|_anchor|values|javascript", link), link


def test_page_links_keep_the_filters_and_nothing_else(officer):
    page = officer.get("/review?status=all&label=crime_tip&from=2026-01-01&junk=1").get_data(as_text=True)
    links = re.findall(r'href="(/review\?[^"]*)"', page)
    assert links and all("junk" not in link for link in links)
    assert {"status=all", "label=crime_tip", "from=2026-01-01", "page=2"} <= set(links[0].replace("&amp;", "&")
                                                                                 .split("?")[1].split("&"))


@pytest.mark.parametrize("target", ["/review\r\nSet-Cookie: x=1", "/review\nX: y", "/review\x00", "/review\x7f"])
def test_control_characters_in_next_fall_back_to_the_queue(app, client, auth, target):
    sent = client.post("/v1/classify", json={"text": "mất xe máy"}, headers=auth.headers())
    message_id = sent.get_json()["message_id"]
    web = app.test_client()
    login(app, "lan", "officer")
    token = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/login").get_data(as_text=True)).group(1)
    response = web.post("/login", data={"name": "lan", "password": PASSWORD, "csrf_token": token, "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/review"
    corrected = web.post(f"/messages/{message_id}/label",
                         data={"label": "chat", "csrf_token": csrf(web), "next": target})
    assert corrected.status_code == 302 and corrected.headers["Location"] == "/review"
    shown = web.get("/login?next=" + target.replace("\r", "%0d").replace("\n", "%0a"))
    assert shown.status_code in {200, 302}


@pytest.mark.parametrize(("method", "path"), [("PUT", "/review"), ("DELETE", "/messages/abc"),
                                              ("BREW", "/dashboard"), ("GET", "/messages/abc/label")])
def test_a_wrong_method_on_a_page_is_a_vietnamese_405_page(officer, method, path):
    response = officer.open(path, method=method)
    assert "Trang này không nhận kiểu yêu cầu đó." in assert_vietnamese_page(response, 405)
    assert response.headers["Allow"]


def test_an_unexpected_error_in_a_page_is_a_vietnamese_500_page(officer, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("0912345678 trong tin nhắn")

    monkeypatch.setattr(review, "review_queue", broken)
    page = assert_vietnamese_page(officer.get("/review"), 500)
    assert "Lỗi hệ thống" in page and "0912345678" not in page


def test_default_http_errors_on_pages_are_in_vietnamese(officer):
    page = assert_vietnamese_page(officer.get("/messages/a%00b"), 404)
    assert "Không tìm thấy" in page
    too_large = officer.post("/messages/abc/label", data={"note": "x" * 70_000, "label": "chat"})
    assert "Dữ liệu gửi lên quá lớn." in assert_vietnamese_page(too_large, 413)


def test_a_refused_correction_is_explained_in_vietnamese(app, client, auth, officer):
    message_id = client.post("/v1/classify", json={"text": "chào anh"}, headers=auth.headers()).get_json()["message_id"]
    response = officer.post(f"/messages/{message_id}/label",
                            data={"label": "chat", "note": "x" * 2001, "csrf_token": csrf(officer), "next": "/review"})
    page = assert_vietnamese_page(officer.get(response.headers["Location"]), 200)
    assert "Chưa lưu: ghi chú phải có từ 1 đến 2000 ký tự" in page
    response = officer.post(f"/messages/{message_id}/label",
                            data={"label": "spam", "csrf_token": csrf(officer), "next": "/review"})
    assert "Chưa lưu: nhãn không hợp lệ." in assert_vietnamese_page(officer.get(response.headers["Location"]), 200)


def test_admin_page_messages_are_in_vietnamese(app, auth):
    auth.token("bot")
    admin = login(app, "boss", "admin")
    listed = admin.get("/admin/users").get_data(as_text=True)
    assert ">bot<" not in listed and "<td data-label=\"Vai trò\">Bot Zalo</td>" in listed
    for path, data, says in [
        ("/admin/users", {"name": "a/b", "role": "officer", "password": PASSWORD}, "Chưa tạo được tài khoản: tên"),
        ("/admin/users", {"name": "moi", "role": "officer", "password": "123"}, "mật khẩu phải có ít nhất 10 ký tự"),
        ("/admin/users", {"name": "BOSS", "role": "officer", "password": PASSWORD}, "đã có tài khoản tên boss"),
        ("/admin/users/ghost/disable", {}, "Không có tài khoản ghost trong các xã bạn quản lý"),
    ]:
        response = admin.post(path, data={**data, "csrf_token": csrf(admin, "/admin/users")})
        assert response.status_code == 302
        page = assert_vietnamese_page(admin.get(response.headers["Location"]), 200)
        assert says in page, says


@pytest.mark.parametrize("request_of", [
    lambda client, headers, message_id: client.get(f"/v1/messages/{message_id}", headers=headers("officer")),
    lambda client, headers, message_id: client.post("/v1/classify", json={"text": "gọi 0912345678"},
                                                    headers=headers()),
    lambda client, headers, message_id: client.get(f"/v1/messages/{message_id}"),
    lambda client, headers, message_id: client.get("/openapi.json"),
    lambda client, headers, message_id: client.get("/readyz"),
], ids=["message", "classify", "error", "openapi", "readyz"])
def test_every_json_response_is_no_store(client, auth, request_of):
    message_id = client.post("/v1/classify", json={"text": "gọi 0912345678"},
                             headers=auth.headers()).get_json()["message_id"]
    response = request_of(client, auth.headers, message_id)
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):
    response = client.get("/static/app.css")
    assert response.status_code == 200 and response.headers.get("Cache-Control") != "no-store"


def test_invented_http_methods_do_not_become_metric_labels(client):
    for method in ("BREW", "X" * 200, "PROPFIND"):
        client.open("/healthz", method=method)
    client.open("/healthz", method="OPTIONS")
    metrics = client.get("/metrics").get_data(as_text=True)
    methods = set(re.findall(r'triage_http_requests_total\{[^}]*method="([^"]*)"', metrics))
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}, methods
    assert "other" in methods and "OPTIONS" in methods
