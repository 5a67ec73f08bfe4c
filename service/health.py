"""Open endpoints for operators: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from service.classifier import get_classifier
from service.db import DatabaseUnavailable, get_db
from service.metrics import get_metrics
from service.store import get_store

bp = Blueprint("health", __name__)

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Model loaded and database reachable.

    503 without a model (nothing can be classified). A database outage gives 200 with status
    "degraded": classification still works and records wait in the spool, so a load balancer
    should keep sending traffic.
    """
    classifier = get_classifier()
    classifier.check()
    model = {"ok": classifier.current is not None,
             "version": classifier.current.model_version if classifier.current else None}
    if classifier.load_error:
        model["error"] = classifier.load_error
    store = get_store()
    database = {"ok": True, "dialect": get_db().dialect}
    try:
        get_db().ping()
        store.replay_if_pending()
    except DatabaseUnavailable as error:
        database.update(ok=False, error=error.reason)
    spooled = store.spool.count()
    if not model["ok"]:
        status = "unavailable"
    elif database["ok"] and not spooled and not classifier.load_error:
        status = "ok"
    else:
        status = "degraded"
    body = {"status": status, "model": model, "database": database, "spool": {"pending": spooled}}
    return jsonify(body), 503 if status == "unavailable" else 200


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text format."""
    return Response(get_metrics().exposition(), content_type=PROMETHEUS_CONTENT_TYPE)
