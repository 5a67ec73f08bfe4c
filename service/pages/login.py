"""Logging in to the review screen: sessions, login/logout, the current user, roles.

Pages authenticate with a session cookie only; API tokens never open a page. The cookie is
signed with the session key (not the pseudonym key) and holds the user id and a random session
id (`sid`) made at every login; the session is checked against the database on every request
(service.sessions), so logout, disabling, a new password, idleness and age end it everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from werkzeug.exceptions import TooManyRequests

from service.db import get_db
from service.pages.security import csrf_token, page_blueprint, safe_next
from service.ratelimit import client_address, get_limits
from service.sessions import SessionPolicy, end_user_sessions, session_user_id, start_session
from service.users import User, UserRole, authenticate, get_user, make_dummy_hash

bp = Blueprint("web", __name__, static_folder="static", static_url_path="/static")

LOGIN_FAILED = ("Đăng nhập không thành công: sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản đang bị "
                "tạm khóa. Sau {failures} lần sai liên tiếp từ một máy, tài khoản bị tạm khóa {minutes} phút "
                "trên máy đó.")
TOO_MANY_ATTEMPTS = "Quá nhiều lần thử mật khẩu từ địa chỉ này. Hãy thử lại sau {seconds} giây."
SESSION_ENDED = "Phiên đăng nhập đã kết thúc. Hãy đăng nhập lại."


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, signed with the session key instead of SECRET_KEY."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(app.extensions["triage.keys"].session, salt=self.salt,
                                      serializer=self.serializer,
                                      signer_kwargs={"key_derivation": self.key_derivation,
                                                     "digest_method": self.digest_method})


def session_policy() -> SessionPolicy:
    """Idle timeout and lifetime of sessions, from the settings."""
    config = current_app.config
    return SessionPolicy(idle=timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
                         lifetime=timedelta(hours=config["SESSION_LIFETIME_HOURS"]))


def current_user() -> User | None:
    """The logged-in, enabled user of this request, or None (an ended session is dropped from the cookie)."""
    if "user" not in g:
        g.user = None
        sid, user_id = session.get("sid"), session.get("user_id")
        if isinstance(sid, str) and isinstance(user_id, int):
            user = get_user(get_db(), user_id) if session_user_id(get_db(), sid, session_policy()) == user_id else None
            if user is not None and not user.disabled:
                g.user = user
            else:
                session.pop("sid")
                session.pop("user_id")
                flash(SESSION_ENDED, "error")
    return g.user


def log_in(user: User) -> None:
    """Start a new server-side session for `user` in a fresh cookie (nothing from before survives)."""
    session.clear()  # no session fixation
    session["user_id"] = user.id
    session["sid"] = start_session(get_db(), user.id, session_policy())
    csrf_token()


def check_password_rate() -> None:
    """Refuse (429, Retry-After) before any hashing when this address tries passwords too often."""
    wait = get_limits().login(client_address())
    if wait is not None:
        seconds = math.ceil(wait)
        raise TooManyRequests(TOO_MANY_ATTEMPTS.format(seconds=seconds), retry_after=seconds)


def login_required(*roles: UserRole) -> Callable:
    """View decorator: redirect to /login when not logged in; 403 when the role may not see the page."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
            if roles and user.role not in roles:
                abort(403, "Tài khoản của bạn không có quyền xem trang này.")
            return view(*args, **kwargs)
        return wrapper
    return decorate


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Log in (Post/Redirect/Get); one message for every failure so names cannot be probed."""
    if request.method == "GET":
        if current_user() is not None:
            return redirect(url_for("review.queue"))
        return render_template("login.html", next=safe_next(request.args.get("next"), ""))
    user = check_credentials(request.form.get("name", "").strip(), request.form.get("password", ""))
    target = safe_next(request.form.get("next"), url_for("review.queue"))
    if user is None:
        config = current_app.config
        flash(LOGIN_FAILED.format(failures=config["LOGIN_MAX_FAILURES"],
                                  minutes=config["LOGIN_LOCKOUT_MINUTES"]), "error")
        return redirect(url_for("web.login", next=target))
    log_in(user)
    flash(f"Xin chào {user.name}.", "success")
    return redirect(target)


@bp.post("/logout")
def logout() -> Response:
    """Log out: every session of this user ends, on every device."""
    user = current_user()
    if user is not None:
        end_user_sessions(get_db(), user.id)
    session.clear()
    flash("Bạn đã đăng xuất.", "success")
    return redirect(url_for("web.login"))


def check_credentials(name: str, password: str) -> User | None:
    """The account if the password is right (after the address's rate limit; failures count towards its lock)."""
    check_password_rate()
    config = current_app.config
    return authenticate(get_db(), name, password, address=client_address(),
                        max_failures=config["LOGIN_MAX_FAILURES"],
                        lockout=timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"]), dummy_hash=_dummy_hash())


def _dummy_hash() -> str:
    hashes = current_app.extensions.setdefault("triage.dummy_hashes", {})
    method = current_app.config["PASSWORD_HASH"]
    if method not in hashes:
        hashes[method] = make_dummy_hash(method)
    return hashes[method]


page_blueprint(bp)


def init_app(app: Flask) -> None:
    """Session cookie flags and signing; `current_user` in templates."""
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_NAME="triage_session")
    app.session_interface = SessionCookies()
    app.jinja_env.globals.update(current_user=current_user)
