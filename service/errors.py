"""The one JSON error shape, `{"error": {"code", "message"}}`, and the handlers that produce it.

This module is the only place where exceptions become responses; the last-resort handler logs
the exception type and stack frames, never its message (which could quote a citizen's text).
"""

from __future__ import annotations

import logging
import traceback

from flask import Flask, Response, current_app, jsonify
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from service.db import DatabaseUnavailable

log = logging.getLogger("triage.service")

# Stable machine-readable codes for the statuses the API documents.
CODES: dict[int, str] = {
    400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
    429: "rate_limited", 500: "internal_error", 503: "unavailable",
}


class ApiError(HTTPException):
    """An HTTP error with a specific code and a message saying what to fix."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(description=message)
        self.code = status
        self.error_code = code or CODES.get(status, "error")
        self.extra_headers = headers or {}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    """A JSON error response in the API's one shape."""
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def handle_http_exception(exc: HTTPException) -> Response:
    """Any werkzeug/Flask HTTP error (404, 405, 413, ...) or ApiError as JSON."""
    status = exc.code or 500
    if status < 400:  # routing redirects are not errors
        return exc.get_response()
    if isinstance(exc, ApiError):
        return error_response(status, exc.error_code, exc.description or "", exc.extra_headers)
    headers = {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}
    message = exc.description or exc.name
    if isinstance(exc, RequestEntityTooLarge):
        message = f"Body larger than the limit of {current_app.config['MAX_CONTENT_LENGTH']} bytes."
    return error_response(status, CODES.get(status, "error"), message, headers)


def handle_database_unavailable(_exc: DatabaseUnavailable) -> Response:
    """Storage needed and down (corrections, reads; classify spools instead): 503."""
    return error_response(503, "unavailable", "The database is unavailable; retry shortly.",
                          {"Retry-After": "5"})


def handle_unexpected(exc: Exception) -> Response:
    """Last resort: log type and frames (not the message, which may hold message text); JSON 500."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unhandled %s\n%s", type(exc).__name__, frames)
    return error_response(500, "internal_error", "Internal error; the incident was logged.")


def init_app(app: Flask) -> None:
    """Register the handlers: every HTTPException, the database being down, then everything else."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DatabaseUnavailable, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
