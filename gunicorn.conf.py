"""gunicorn settings for `triage serve` (command-line flags override them).

Workers load the app themselves (no preload): each builds its own engine, database pool and
metrics after the fork. Prometheus values of all workers go to one folder per master process,
which /metrics aggregates.
"""

import os
import shutil
import tempfile

wsgi_app = "service:create_app()"
bind = [os.environ.get("TRIAGE_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("TRIAGE_WORKERS", "2"))
# One request at a time per worker: the engine is CPU-bound, so threads would only wait on the
# GIL. Sync workers close the connection after each response, so every request goes to whichever
# worker is free; with keep-alive (gthread) a connection stays pinned to the worker that accepted
# it, and throughput at 4 connections swung between one and two workers' worth (bench/http_bench.py).
worker_class = "sync"
timeout = 30
graceful_timeout = 20
# The app writes one structured line per request; gunicorn's access log would repeat it.
accesslog = None
errorlog = "-"
loglevel = "info"
# gunicorn's control socket has one default path per user: several instances on one host would
# fight over it, and nothing here uses it.
control_socket_disable = True
# A stable path per master, so a config reload (SIGHUP) keeps the same folder.
metrics_dir = os.environ.get("TRIAGE_METRICS_DIR") or os.path.join(
    tempfile.gettempdir(), f"triage-metrics-{os.getpid()}")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir


def on_starting(server):
    """Start from empty metrics: counters restart with the master."""
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir)


def post_worker_init(worker):
    """Each worker sends the Zalo outbox from a background thread (no extra process to run)."""
    from service.zalo import start_sender

    start_sender(worker.wsgi)


def child_exit(server, worker):
    """Drop a dead worker's live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, metrics_dir)


def on_exit(server):
    """Remove the metrics folder unless the operator chose it."""
    if not os.environ.get("TRIAGE_METRICS_DIR"):
        shutil.rmtree(metrics_dir, ignore_errors=True)
