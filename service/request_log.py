"""Request ids, one structured log line per request, and the HTTP metrics.

A log line carries ids, endpoint, status, latency, client name and labels; never message text,
sender ids, phone numbers or ID numbers (they are not in scope here, so they cannot leak).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, request

from service.metrics import get_metrics, method_label

log = logging.getLogger("triage.service")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, message, and the record's `fields` if any."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "msg": record.getMessage()}
        line.update(getattr(record, "fields", {}))
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


def start_request() -> None:
    """Take the caller's request id if it is well-formed, else make one; start the clock."""
    g.started = time.perf_counter()
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _VALID_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def finish_request(response: Response) -> Response:
    """Echo the request id, count the request, and write its log line."""
    seconds = time.perf_counter() - g.get("started", time.perf_counter())
    endpoint = request.url_rule.rule if request.url_rule else "unmatched"
    status = str(response.status_code)
    method = method_label(request.method)
    metrics = get_metrics()
    metrics.requests.labels(endpoint, method, status).inc()
    metrics.latency.labels(endpoint, method, status).observe(seconds)
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    client = g.get("client")
    fields = {"event": "request", "request_id": g.get("request_id"), "method": method,
              "endpoint": endpoint, "status": response.status_code, "ms": round(seconds * 1000, 2),
              "client": client.name if client else None}
    labels = g.get("labels")
    if labels is not None:
        fields["label" if len(labels) == 1 else "labels"] = labels[0] if len(labels) == 1 else labels
    log.info("request", extra={"fields": fields})
    return response


def init_app(app: Flask) -> None:
    """Install the hooks and, once per process, the JSON log handler on stderr."""
    if not any(isinstance(h.formatter, JsonFormatter) for h in log.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(app.config["LOG_LEVEL"].upper())
    app.before_request(start_request)
    app.after_request(finish_request)
