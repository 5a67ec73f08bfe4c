"""What every page gets: CSRF checks on forms, strict security headers, safe "next" targets."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, request, session

from service.errors import PAGE_BLUEPRINTS

# No inline scripts or styles anywhere: charts are inline SVG with presentation attributes.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; media-src 'self' data:; manifest-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def csrf_token() -> str:
    """This session's CSRF token (made on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """before_request of page blueprints: a form that changes something must carry the session's token."""
    if request.method not in UNSAFE_METHODS:
        return
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8")):
        abort(400, "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Hãy tải lại trang và thử lại.")


def safe_next(target: str | None, default: str) -> str:
    """A local path to go back to (never another site: no scheme, no host, no //, no backslash, and no
    control characters, which would break the Location header)."""
    if (not target or "\\" in target or not target.startswith("/") or target.startswith("//")
            or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target)):
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


def page_blueprint(blueprint: Blueprint) -> Blueprint:
    """Give a page blueprint CSRF checks (its errors are pages: `service.errors`)."""
    if blueprint.name not in PAGE_BLUEPRINTS:
        raise ValueError(f"add {blueprint.name!r} to service.errors.PAGE_BLUEPRINTS")
    blueprint.before_request(check_csrf)
    return blueprint


def add_security_headers(response: Response) -> Response:
    """Security headers on every response; no-store on all but static files (pages and JSON may
    carry citizens' text, which must not stay in browser or proxy caches)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "web.static":
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Security headers on every response; `csrf_token` in templates."""
    app.after_request(add_security_headers)
    app.jinja_env.globals.update(csrf_token=csrf_token)
