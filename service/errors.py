"""The one JSON error shape, `{"error": {"code", "message"}}`, the Vietnamese error page, and the
handlers that choose between them.

This module is the only place where exceptions become responses: requests for the review
screen's pages get an HTML page in Vietnamese, everything else the JSON shape. The last-resort
handler logs the exception type and stack frames, never its message (which could quote a
citizen's text).
"""

from __future__ import annotations

import logging
import traceback

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from service.db import DatabaseUnavailable

log = logging.getLogger("triage.service")

# Stable machine-readable codes for the statuses the API documents.
CODES: dict[int, str] = {
    400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
    429: "rate_limited", 500: "internal_error", 503: "unavailable",
}
# Blueprints of HTML pages (not part of the API, so not in the OpenAPI document; errors are pages).
PAGE_BLUEPRINTS = ("web", "review", "dashboard", "admin", "account")
# What a page says for an error that brings no Vietnamese message of its own.
PAGE_MESSAGES: dict[int, str] = {
    400: "Yêu cầu không hợp lệ.", 401: "Bạn cần đăng nhập.", 403: "Bạn không có quyền thực hiện thao tác này.",
    404: "Không tìm thấy trang này.", 405: "Trang này không nhận kiểu yêu cầu đó.",
    413: "Dữ liệu gửi lên quá lớn.", 429: "Quá nhiều yêu cầu; hãy thử lại sau ít phút.",
    500: "Lỗi hệ thống; sự cố đã được ghi lại.",
    503: "Hệ thống tạm thời không phục vụ được. Hãy thử lại sau ít phút.",
}


class ApiError(HTTPException):
    """An HTTP error with a specific code and a message saying what to fix (and which field, if one)."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 headers: dict[str, str] | None = None, field: str | None = None) -> None:
        super().__init__(description=message)
        self.code = status
        self.error_code = code or CODES.get(status, "error")
        self.extra_headers = headers or {}
        self.field = field


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    """A JSON error response in the API's one shape."""
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def on_page() -> bool:
    """Whether this request is for an HTML page: a page view, or a page's path with a wrong method."""
    blueprint = request.blueprint
    error = request.routing_exception
    if blueprint is None and isinstance(error, MethodNotAllowed) and error.valid_methods:
        try:
            endpoint, _ = current_app.url_map.bind_to_environ(request.environ).match(
                method=next(iter(error.valid_methods)))
        except HTTPException:  # a redirect or a miss: not a page
            return False
        blueprint = endpoint.rpartition(".")[0] or None
    return blueprint in PAGE_BLUEPRINTS


def page_error(status: int, message: str | None = None, headers: dict[str, str] | None = None) -> Response:
    """The error page in Vietnamese (`message` must be Vietnamese; default: one for the status)."""
    body = render_template("error.html", status=status, message=message or PAGE_MESSAGES.get(status, ""))
    return Response(body, status, headers, mimetype="text/html")


def handle_http_exception(exc: HTTPException) -> Response:
    """Any werkzeug/Flask HTTP error (404, 405, 413, ...) or ApiError: a page on pages, else JSON."""
    status = exc.code or 500
    if status < 400:  # routing redirects are not errors
        return exc.get_response()
    if on_page():
        # Our own aborts on pages carry a Vietnamese description; werkzeug's defaults and the API's are English.
        own = not isinstance(exc, ApiError) and exc.description != type(exc).description
        headers = exc.extra_headers if isinstance(exc, ApiError) else _headers(exc)
        return page_error(status, exc.description if own else None, headers)
    if isinstance(exc, ApiError):
        return error_response(status, exc.error_code, exc.description or "", exc.extra_headers)
    headers = _headers(exc)
    message = exc.description or exc.name
    if isinstance(exc, RequestEntityTooLarge):
        message = f"Body larger than the limit of {current_app.config['MAX_CONTENT_LENGTH']} bytes."
    return error_response(status, CODES.get(status, "error"), message, headers)


def handle_database_unavailable(_exc: DatabaseUnavailable) -> Response:
    """Storage needed and down (corrections, reads; classify spools instead): 503."""
    if on_page():
        return page_error(503, "Cơ sở dữ liệu tạm thời không truy cập được. Hãy thử lại sau ít phút.")
    return error_response(503, "unavailable", "The database is unavailable; retry shortly.",
                          {"Retry-After": "5"})


def handle_unexpected(exc: Exception) -> Response:
    """Last resort: log type and frames (not the message, which may hold message text); a 500."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unhandled %s\n%s", type(exc).__name__, frames)
    if on_page():
        return page_error(500)
    return error_response(500, "internal_error", "Internal error; the incident was logged.")


def _headers(exc: HTTPException) -> dict[str, str]:
    return {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}


def init_app(app: Flask) -> None:
    """Register the handlers: every HTTPException, the database being down, then everything else."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DatabaseUnavailable, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
