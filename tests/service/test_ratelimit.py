"""Rate limits (Flask-Limiter): per token, a batch counting its messages; per address on login; lockouts per address."""

from __future__ import annotations

import time
import uuid

import pytest
import redis

import service.users
from service.ratelimit import client_address
from tests.service.helpers import REDIS_URL, AuthActions, assert_error
from tests.service.test_review import FAST_HASH, LOGIN_FAILED, PASSWORD, Web

OFFICE, ATTACKER = "203.0.113.7", "198.51.100.23"


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("Redis not reachable at 127.0.0.1:6379 (run .ci/run or start it)")
    yield client
    client.close()


def classify(client, headers, count: int | None = None):
    if count is None:
        return client.post("/v1/classify", json={"text": "chào"}, headers=headers)
    return client.post("/v1/classify/batch", json={"messages": [{"text": "chào"}] * count}, headers=headers)


# --- per token ------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_the_fourth_request_in_the_window_is_429_with_retry_after(make_app, backend, request):
    if backend == "redis":
        request.getfixturevalue("redis_client")
    app = make_app(RATE_LIMIT=3, RATE_WINDOW_SECONDS=60, REDIS_URL=REDIS_URL if backend == "redis" else None)
    auth = AuthActions(app)
    client = app.test_client()
    assert [classify(client, auth.headers()).status_code for _ in range(3)] == [200, 200, 200]
    response = classify(client, auth.headers())
    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert classify(client, auth.headers("admin")).status_code == 200, "limits are per token"


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_a_batch_counts_each_of_its_messages(make_app, backend, request):
    if backend == "redis":
        request.getfixturevalue("redis_client")
    app = make_app(RATE_LIMIT=5, RATE_WINDOW_SECONDS=60, REDIS_URL=REDIS_URL if backend == "redis" else None)
    client, headers = app.test_client(), AuthActions(app).headers()
    assert classify(client, headers, 3).status_code == 200
    assert_error(classify(client, headers, 3), 429, "rate_limited")  # 3 + 3 > 5
    assert classify(client, headers, 2).status_code == 200  # the refused batch did not count
    assert_error(classify(client, headers), 429, "rate_limited")


def test_redis_limits_are_shared_by_workers(make_app, redis_client):
    first, second = (make_app(RATE_LIMIT=3, RATE_WINDOW_SECONDS=60, REDIS_URL=REDIS_URL) for _ in range(2))
    headers = AuthActions(first).headers()
    assert classify(first.test_client(), headers, 2).status_code == 200
    assert classify(second.test_client(), headers).status_code == 200
    assert_error(classify(second.test_client(), headers), 429, "rate_limited")


def test_redis_down_lets_requests_through_without_waiting(make_app):
    app = make_app(RATE_LIMIT=1, REDIS_URL="redis://127.0.0.1:1/0")
    client, headers = app.test_client(), AuthActions(app).headers()
    started = time.monotonic()
    assert [classify(client, headers).status_code for _ in range(3)] == [200, 200, 200]
    assert time.monotonic() - started < 2


def test_flask_limiter_adds_no_request_hooks(app):
    hooks = [*app.before_request_funcs.get(None, []), *app.after_request_funcs.get(None, []),
             *app.teardown_request_funcs.get(None, [])]
    assert not [hook for hook in hooks if "flask_limiter" in repr(hook)], "the limits are checked explicitly"


# --- login: per address, before hashing -----------------------------------------------------------

@pytest.fixture
def hash_checks(monkeypatch) -> list[str]:
    """Every password hash check the service makes (the real check still runs)."""
    calls: list[str] = []
    real = service.users.check_password_hash

    def counting(stored: str, password: str) -> bool:
        calls.append(stored)
        return real(stored, password)

    monkeypatch.setattr(service.users, "check_password_hash", counting)
    return calls


def browser(app, address: str) -> Web:
    web = Web(app)
    web.client.environ_base["REMOTE_ADDR"] = address
    return web


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_too_many_attempts_from_one_address_get_429_before_any_hashing(make_app, hash_checks, backend, request):
    if backend == "redis":
        request.getfixturevalue("redis_client")
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.9"  # fresh counters in the shared Redis
    app = make_app(PASSWORD_HASH=FAST_HASH, LOGIN_RATE_LIMIT=3, REDIS_URL=REDIS_URL if backend == "redis" else None)
    attacker = browser(app, address)
    attacker.user("lan")
    for name in ("lan", "khong-co-ai", "lan"):
        assert attacker.login(name, "sai-mat-khau-roi").status_code == 302
    assert len(hash_checks) == 3
    refused = attacker.login("lan", PASSWORD)
    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Quá nhiều lần thử mật khẩu" in refused.get_data(as_text=True)
    assert len(hash_checks) == 3, "refused before any password hashing"
    assert browser(app, OFFICE).login("lan").headers["Location"] == "/review", "other addresses are not limited"


def test_the_password_page_shares_the_login_limit(make_app, hash_checks):
    app = make_app(PASSWORD_HASH=FAST_HASH, LOGIN_RATE_LIMIT=2)
    web = browser(app, OFFICE)
    web.user("lan")
    assert web.login("lan").headers["Location"] == "/review"
    token = web.csrf("/account/password")
    form = {"current": "sai-mat-khau-roi", "new": "mat-khau-moi-dai", "again": "mat-khau-moi-dai", "csrf_token": token}
    assert web.client.post("/account/password", data=form).status_code == 302
    checks = len(hash_checks)
    assert web.client.post("/account/password", data=form).status_code == 429
    assert len(hash_checks) == checks


def test_wrong_guesses_from_one_address_do_not_lock_the_officer_out_from_another(make_app):
    app = make_app(PASSWORD_HASH=FAST_HASH)
    attacker, officer = browser(app, ATTACKER), browser(app, OFFICE)
    attacker.user("lan")
    for _ in range(5):
        attacker.login("lan", "sai-mat-khau-roi")
    locked = attacker.login("lan")  # even the right password, from the attacker's address
    assert locked.headers["Location"].startswith("/login")
    assert LOGIN_FAILED in attacker.client.get(locked.headers["Location"]).get_data(as_text=True)
    assert officer.login("lan").headers["Location"] == "/review"
    assert officer.client.get("/review").status_code == 200


def test_ipv6_guesses_count_per_64_block(make_app):
    app = make_app(PASSWORD_HASH=FAST_HASH)
    Web(app).user("lan")
    for host in range(5):  # five addresses of one subscriber's /64
        browser(app, f"2001:db8:1:2::{host + 1}").login("lan", "sai-mat-khau-roi")
    assert browser(app, "2001:db8:1:2::ff").login("lan").headers["Location"].startswith("/login")
    assert browser(app, "2001:db8:9:9::1").login("lan").headers["Location"] == "/review"


def admin_and_locked_out(app) -> tuple[Web, Web]:
    """An admin (not logged in yet) at the office, and a browser elsewhere that locked `lan` out."""
    admin, elsewhere = browser(app, OFFICE), browser(app, ATTACKER)
    admin.user("boss", "admin")
    admin.user("lan")
    for _ in range(5):
        elsewhere.login("lan", "sai-mat-khau-roi")
    assert elsewhere.login("lan").headers["Location"].startswith("/login")
    return admin, elsewhere


def test_an_admin_sees_and_lifts_a_lock(make_app):
    admin, attacker = admin_and_locked_out(make_app(PASSWORD_HASH=FAST_HASH))
    assert admin.login("boss").headers["Location"] == "/review"
    page = admin.client.get("/admin/users").get_data(as_text=True)
    assert "Mở tạm khóa" in page and "sau nhiều lần nhập sai mật khẩu" in page
    done = admin.client.post("/admin/users/lan/unlock", data={"csrf_token": admin.session()["csrf"]})
    assert "Đã mở tạm khóa đăng nhập của tài khoản lan" in admin.client.get(done.headers["Location"]).get_data(
        as_text=True)
    assert "Mở tạm khóa" not in admin.client.get("/admin/users").get_data(as_text=True)
    assert attacker.login("lan").headers["Location"] == "/review"


def test_an_admin_password_reset_lifts_the_locks_too(make_app):
    admin, officer = admin_and_locked_out(make_app(PASSWORD_HASH=FAST_HASH))
    admin.login("boss")
    page = admin.client.post("/admin/users/lan/reset", data={"csrf_token": admin.session()["csrf"]})
    password = page.get_data(as_text=True).split('class="one-time-password">')[1].split("<")[0]
    assert officer.login("lan", password).headers["Location"] == "/review"


@pytest.mark.parametrize("hops, forwarded, expected", [
    (0, "198.51.100.23", "127.0.0.1"),                # no proxy trusted: the header is ignored
    (1, "198.51.100.23", "198.51.100.23"),
    (1, "10.0.0.1, 198.51.100.23", "198.51.100.23"),  # only the hop our proxy added counts
    (1, "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
])
def test_the_client_address_behind_trusted_proxies(make_app, hops, forwarded, expected):
    app = make_app(PROXY_HOPS=hops)
    seen = []
    app.before_request(lambda: seen.append(client_address()))
    app.test_client().get("/healthz", headers={"X-Forwarded-For": forwarded})
    assert seen == [expected]
