"""Sessions that end: logout, disabling, new passwords, idle timeout and lifetime; the two keys."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select, update

from service.cli import main
from service.pseudonym import pseudonymize
from service.schema import messages, sessions
from tests.service.test_review import FAST_HASH, PASSWORD, Web, classify, stored_corrections

NEW_PASSWORD = "mat-khau-moi-dai-hon"


@pytest.fixture
def app(make_app):
    return make_app(PASSWORD_HASH=FAST_HASH)


@pytest.fixture
def web(app) -> Web:
    return Web(app)


def logged_in(app, name: str, password: str = PASSWORD) -> Web:
    """A new browser logged in as `name`."""
    browser = Web(app)
    assert browser.login(name, password).headers["Location"] == "/review"
    return browser


def copy_of(browser: Web) -> Web:
    """Another client carrying a copy of the browser's session cookie (what a thief would have)."""
    thief = Web(browser.app)
    thief.client.set_cookie("triage_session", browser.client.get_cookie("triage_session").value)
    return thief


def opens_review(browser: Web) -> bool:
    return browser.client.get("/review").status_code == 200


def session_rows(app) -> list[dict]:
    with app.extensions["triage.db"].transaction() as conn:
        return [dict(row) for row in conn.execute(select(sessions).order_by(sessions.c.created_at)).mappings()]


def age_sessions(app, **ago: timedelta) -> None:
    """Move the stored session times back (a clock moved forward), e.g. last_seen_at=timedelta(minutes=31)."""
    now = datetime.now(UTC)
    with app.extensions["triage.db"].transaction() as conn:
        conn.execute(update(sessions).values(**{column: now - delta for column, delta in ago.items()}))


# --- what ends a session ---------------------------------------------------------------------------

def test_a_cookie_copied_before_logout_is_refused_after_logout(web, app, client, auth):
    web.user("lan")
    message_id = classify(client, auth, "nhà tôi bị trộm xe máy")
    lan = logged_in(app, "lan")
    copied, token = lan.client.get_cookie("triage_session").value, lan.session()["csrf"]
    assert opens_review(copy_of(lan))
    lan.client.post("/logout", data={"csrf_token": token})
    thief = Web(app)
    thief.client.set_cookie("triage_session", copied)
    assert not opens_review(thief)
    # Nor can the copy save a label, even with the CSRF token it carried.
    thief.client.set_cookie("triage_session", copied)
    response = thief.client.post(f"/messages/{message_id}/label", data={"label": "chat", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert stored_corrections(app) == []


def test_logout_ends_every_session_of_that_user_only(web, app):
    web.user("lan")
    web.user("minh")
    office, home, minh = logged_in(app, "lan"), logged_in(app, "lan"), logged_in(app, "minh")
    office.client.post("/logout", data={"csrf_token": office.session()["csrf"]})
    assert not opens_review(home)
    assert opens_review(minh)


def test_disabling_ends_sessions_and_enabling_does_not_revive_them(web, app, database_url, tmp_path):
    web.user("lan")
    lan = logged_in(app, "lan")
    env = {"TRIAGE_DATABASE_URL": database_url, "TRIAGE_INSTANCE_PATH": str(tmp_path / "instance")}
    assert CliRunner().invoke(main, ["users", "disable", "lan"], env=env).exit_code == 0
    assert not opens_review(lan)
    assert CliRunner().invoke(main, ["users", "enable", "lan"], env=env).exit_code == 0
    assert not opens_review(lan)
    assert opens_review(logged_in(app, "lan"))


def test_users_passwd_reads_stdin_sets_the_password_and_ends_sessions(web, app, database_url, tmp_path):
    web.user("lan")
    lan = logged_in(app, "lan")
    env = {"TRIAGE_DATABASE_URL": database_url, "TRIAGE_INSTANCE_PATH": str(tmp_path / "instance")}
    result = CliRunner().invoke(main, ["users", "passwd", "lan"], input=NEW_PASSWORD + "\n", env=env)
    assert result.exit_code == 0, result.output
    assert "new password set for lan" in result.output
    assert not opens_review(lan)
    assert Web(app).login("lan", PASSWORD).headers["Location"].startswith("/login")
    assert opens_review(logged_in(app, "lan", NEW_PASSWORD))


@pytest.mark.parametrize("args, stdin, says", [
    (("lan",), "ngan", "at least 10 characters"),
    (("ghost",), NEW_PASSWORD, "no user named 'ghost'"),
])
def test_users_passwd_refuses_bad_input(web, database_url, tmp_path, args, stdin, says):
    web.user("lan")
    env = {"TRIAGE_DATABASE_URL": database_url, "TRIAGE_INSTANCE_PATH": str(tmp_path / "instance")}
    result = CliRunner().invoke(main, ["users", "passwd", *args], input=stdin + "\n", env=env)
    assert result.exit_code == 1 and says in result.output, result.output


def test_admin_reset_shows_a_one_time_password_once_and_ends_sessions(web, app):
    web.user("boss", "admin")
    web.user("lan")
    lan = logged_in(app, "lan")
    boss = logged_in(app, "boss")
    page = boss.client.post("/admin/users/lan/reset", data={"csrf_token": boss.session()["csrf"]})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    password = re.search(r'class="one-time-password">([^<]+)<', page.get_data(as_text=True)).group(1)
    assert len(password) >= 10 and password not in str(boss.session())
    assert not opens_review(lan)
    assert Web(app).login("lan", PASSWORD).headers["Location"].startswith("/login")
    assert opens_review(logged_in(app, "lan", password))
    assert password not in boss.client.get("/admin/users").get_data(as_text=True)
    # An admin changes their own password on the password page, not here.
    own = boss.client.post("/admin/users/boss/reset", data={"csrf_token": boss.session()["csrf"]})
    assert own.status_code == 302 and opens_review(boss)


def test_admin_reset_of_an_unknown_user_says_so(web, app):
    web.user("boss", "admin")
    boss = logged_in(app, "boss")
    response = boss.client.post("/admin/users/ghost/reset", data={"csrf_token": boss.session()["csrf"]})
    assert "Không có tài khoản ghost" in boss.client.get(response.headers["Location"]).get_data(as_text=True)


# --- idle timeout and lifetime ---------------------------------------------------------------------

def test_a_session_unused_longer_than_the_idle_timeout_ends(web, app):
    web.user("lan")
    lan = logged_in(app, "lan")
    age_sessions(app, last_seen_at=timedelta(minutes=29))
    assert opens_review(lan)  # used again within 30 minutes: still open (and its last use is now)
    age_sessions(app, last_seen_at=timedelta(minutes=31))
    response = lan.client.get("/review")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "Phiên đăng nhập đã kết thúc" in lan.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "sid" not in lan.session()


def test_a_session_ends_at_its_lifetime_however_busy(web, app):
    web.user("lan")
    lan = logged_in(app, "lan")
    age_sessions(app, created_at=timedelta(hours=11, minutes=59), last_seen_at=timedelta(seconds=5))
    assert opens_review(lan)
    age_sessions(app, created_at=timedelta(hours=12, minutes=1), last_seen_at=timedelta(seconds=5))
    assert not opens_review(lan)


def test_idle_timeout_and_lifetime_are_settings(make_app):
    app = make_app(PASSWORD_HASH=FAST_HASH, SESSION_IDLE_MINUTES=5, SESSION_LIFETIME_HOURS=1)
    Web(app).user("lan")
    lan = logged_in(app, "lan")
    age_sessions(app, last_seen_at=timedelta(minutes=6))
    assert not opens_review(lan)
    lan = logged_in(app, "lan")
    age_sessions(app, created_at=timedelta(minutes=61), last_seen_at=timedelta(seconds=1))
    assert not opens_review(lan)


def test_last_use_is_written_at_most_once_a_minute(web, app):
    web.user("lan")
    lan = logged_in(app, "lan")
    age_sessions(app, last_seen_at=timedelta(seconds=30))
    [before] = session_rows(app)
    assert opens_review(lan)
    assert session_rows(app)[0]["last_seen_at"] == before["last_seen_at"]  # no write within the minute
    age_sessions(app, last_seen_at=timedelta(seconds=90))
    stale = session_rows(app)[0]["last_seen_at"]
    assert opens_review(lan)
    assert session_rows(app)[0]["last_seen_at"] > stale


def test_the_database_holds_only_a_hash_of_the_session_id(web, app):
    web.user("lan")
    lan = logged_in(app, "lan")
    sid = lan.session()["sid"]
    [row] = session_rows(app)
    assert row["id"] == hashlib.sha256(sid.encode()).hexdigest() and sid not in str(row)


# --- the password page ----------------------------------------------------------------------------

def change(browser: Web, current: str, new: str, again: str | None = None, csrf: str | None = None):
    token = browser.csrf("/account/password") if csrf is None else csrf
    response = browser.client.post("/account/password", data={"current": current, "new": new,
                                                              "again": new if again is None else again,
                                                              "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/account/password"
    return browser.client.get("/account/password").get_data(as_text=True)


@pytest.mark.parametrize("current, new, again, says", [
    ("sai-mat-khau-roi", NEW_PASSWORD, None, "Mật khẩu hiện tại không đúng"),
    (PASSWORD, NEW_PASSWORD, "mat-khau-khac-han", "hai lần nhập mật khẩu mới không khớp"),
    (PASSWORD, "ngan", None, "mật khẩu mới phải có ít nhất 10 ký tự"),
    (PASSWORD, PASSWORD, None, "mật khẩu mới phải khác mật khẩu hiện tại"),
])
def test_the_password_page_refuses_with_a_vietnamese_message(web, app, current, new, again, says):
    web.user("lan")
    lan = logged_in(app, "lan")
    page = change(lan, current, new, again)
    assert "Chưa đổi được mật khẩu" in page and says in page
    assert opens_review(lan)
    assert opens_review(logged_in(app, "lan"))  # the password is unchanged


def test_the_password_page_changes_the_password_and_ends_the_other_sessions(web, app):
    web.user("lan")
    lan, elsewhere = logged_in(app, "lan"), logged_in(app, "lan")
    thief = copy_of(lan)
    page = lan.client.get("/review").get_data(as_text=True)
    assert 'href="/account/password"' in page and "Đổi mật khẩu" in page
    assert "Đã đổi mật khẩu" in change(lan, PASSWORD, NEW_PASSWORD)
    assert opens_review(lan)  # this browser gets a new session
    assert not opens_review(elsewhere) and not opens_review(thief)
    assert Web(app).login("lan", PASSWORD).headers["Location"].startswith("/login")
    assert opens_review(logged_in(app, "lan", NEW_PASSWORD))


def test_the_password_page_needs_login_and_the_csrf_token(web, app):
    web.user("lan")
    assert Web(app).client.get("/account/password").headers["Location"].startswith("/login")
    lan = logged_in(app, "lan")
    refused = lan.client.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                         "again": NEW_PASSWORD, "csrf_token": "forged"})
    assert refused.status_code == 400 and refused.mimetype == "text/html"
    assert opens_review(logged_in(app, "lan"))


# --- separate keys -------------------------------------------------------------------------------

def sender_hash(app, client, auth) -> str:
    response = client.post("/v1/classify", json={"text": "nhà tôi bị trộm xe máy", "sender_id": "zalo-user-8841"},
                           headers=auth.headers())
    with app.extensions["triage.db"].transaction() as conn:
        return conn.execute(select(messages.c.sender_hash)
                            .where(messages.c.id == response.get_json()["message_id"])).scalar_one()


def test_a_new_session_key_keeps_pseudonyms_and_ends_every_cookie(make_app):
    from tests.service.helpers import AuthActions  # noqa: PLC0415

    before = make_app(PASSWORD_HASH=FAST_HASH)
    Web(before).user("lan")
    lan = logged_in(before, "lan")
    auth = AuthActions(before)
    old_pseudonym = sender_hash(before, before.test_client(), auth)
    # Pseudonyms made before the keys were split (HMAC with SECRET_KEY itself) stay the same.
    assert old_pseudonym == pseudonymize(b"test-secret", "zalo-user-8841")

    after = make_app(PASSWORD_HASH=FAST_HASH, SESSION_SECRET="a-new-session-key")
    assert sender_hash(after, after.test_client(), auth) == old_pseudonym
    moved = Web(after)
    moved.client.set_cookie("triage_session", lan.client.get_cookie("triage_session").value)
    assert not opens_review(moved)
    assert opens_review(logged_in(after, "lan"))


def test_session_cookies_are_not_signed_with_the_pseudonym_key(web, app):
    web.user("lan")
    lan = logged_in(app, "lan")
    forged = URLSafeTimedSerializer("test-secret", salt="cookie-session", signer_kwargs={
        "key_derivation": "hmac", "digest_method": hashlib.sha1}).dumps(lan.session())
    thief = Web(app)
    thief.client.set_cookie("triage_session", forged)
    assert not opens_review(thief)
    assert opens_review(lan)


def test_a_separate_pseudonym_key_changes_pseudonyms_only(make_app):
    from tests.service.helpers import AuthActions  # noqa: PLC0415

    app = make_app(PSEUDONYM_SECRET="pseudonym-key")
    assert sender_hash(app, app.test_client(), AuthActions(app)) == pseudonymize(b"pseudonym-key", "zalo-user-8841")
