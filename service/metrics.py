"""Prometheus metrics: HTTP requests and latency, labels returned, needs_review, model version.

Each app has its own registry. Under gunicorn, `gunicorn.conf.py` sets PROMETHEUS_MULTIPROC_DIR
and every worker writes its values there; /metrics then aggregates all workers, whichever one
answers the scrape.
"""

from __future__ import annotations

import os

from flask import Flask, current_app
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# Methods counted under their own name; any other method name a client invents is "other", so
# requests cannot create new label values (and series) at will.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method: str) -> str:
    """The method as a metric label: itself if it is a standard one, else "other"."""
    return method if method in KNOWN_METHODS else "other"


class Metrics:
    """The service's metrics and their exposition."""

    def __init__(self) -> None:
        self.multiprocess = "PROMETHEUS_MULTIPROC_DIR" in os.environ
        # In multiprocess mode values live in files; the live objects must not be registered too.
        own = None if self.multiprocess else CollectorRegistry()
        self._registry = own
        self.requests = Counter("triage_http_requests_total", "HTTP requests by endpoint, method and status.",
                                ["endpoint", "method", "status"], registry=own)
        self.latency = Histogram("triage_http_request_duration_seconds",
                                 "Time to answer, by endpoint, method and status.",
                                 ["endpoint", "method", "status"], buckets=LATENCY_BUCKETS, registry=own)
        self.labels = Counter("triage_labels_total", "Labels returned for classified messages.", ["label"],
                              registry=own)
        self.urgent = Counter("triage_urgent_total", "Messages classified as urgent crime tips.", registry=own)
        self.needs_review = Counter("triage_needs_review_total", "Messages returned with needs_review.",
                                    registry=own)
        self.spooled = Counter("triage_spooled_total", "Messages written to the local spool (database down).",
                               registry=own)
        self.replayed = Counter("triage_spool_replayed_total", "Spooled messages stored in the database.",
                                registry=own)
        self.zalo_outbox_depth = Gauge("triage_zalo_outbox_depth", "Zalo outbox rows waiting to be sent.",
                                       registry=own, multiprocess_mode="livemax")
        self.zalo_sends = Counter("triage_zalo_sends_total", "Zalo outbox sends by kind and outcome "
                                  "(sent, retry, failed, cancelled).", ["kind", "outcome"], registry=own)
        self.zalo_refreshes = Counter("triage_zalo_token_refreshes_total", "OA token refreshes by outcome.",
                                      ["outcome"], registry=own)
        self.model_info = Gauge("triage_model_info", "1 for the model version a worker serves.", ["version"],
                                registry=own, multiprocess_mode="livemax")

    def observe_result(self, result: dict) -> None:
        """Count one classified message."""
        self.labels.labels(result["label"]).inc()
        if result["urgent"]:
            self.urgent.inc()
        if result["needs_review"]:
            self.needs_review.inc()

    def model_changed(self, old: str | None, new: str) -> None:
        """Record the model version now served."""
        if old is not None:
            self.model_info.labels(old).set(0)
        self.model_info.labels(new).set(1)

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric (all workers in multiprocess mode)."""
        if self._registry is not None:
            return generate_latest(self._registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)


def init_app(app: Flask) -> None:
    """Attach a fresh Metrics to the app."""
    app.extensions["triage.metrics"] = Metrics()


def get_metrics() -> Metrics:
    """The current app's Metrics."""
    return current_app.extensions["triage.metrics"]
