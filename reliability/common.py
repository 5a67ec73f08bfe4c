"""Helpers shared by the reliability scripts: server start, a paced HTTP client, database checks."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.http_bench import MESSAGES, TRIAGE, free_port, percentile

__all__ = ["MESSAGES", "TRIAGE", "free_port", "percentile", "Pacer", "Outcome", "LoadClient", "Server",
           "reset_database", "stored_counts", "worker_pids", "rss_kb", "summarize", "PG_ADMIN_URL"]

PG_ADMIN_URL = os.environ.get("RELIABILITY_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DB_NAME = "triage_reliability"


def messages() -> list[str]:
    return [line for line in MESSAGES.read_text(encoding="utf-8").splitlines() if line.strip()]


class Pacer:
    """Hands out send times `start + i / rate` to any number of threads (an open-loop schedule).

    A thread that falls behind gets a slot in the past and sends at once, so the offered rate
    holds as long as enough threads are free; rate None means "as fast as possible".
    """

    def __init__(self, rate: float | None, start: float, clock=time.monotonic) -> None:
        self.rate = rate
        self.start = start
        self.clock = clock
        self._next = 0
        self._lock = threading.Lock()

    def slot(self) -> float:
        """The time at which the next request should go out."""
        with self._lock:
            index = self._next
            self._next += 1
        return self.start if not self.rate else self.start + index / self.rate


@dataclass
class Outcome:
    """One request as the client saw it."""

    msg_id: str
    sent: float
    elapsed: float
    status: int | None  # None: no HTTP answer (connection refused/reset, timeout)
    message_id: str | None = None
    model_version: str | None = None
    error: str | None = None


def summarize(outcomes: list[Outcome]) -> dict:
    """Counts, statuses and latency percentiles (ms) of a list of outcomes."""
    latencies = [o.elapsed for o in outcomes if o.status == 200]
    statuses = Counter(str(o.status) if o.status is not None else f"no answer ({o.error})" for o in outcomes)
    return {
        "requests": len(outcomes),
        "ok": sum(o.status == 200 for o in outcomes),
        "errors": sum(o.status != 200 for o in outcomes),
        "statuses": dict(statuses),
        "p50_ms": percentile(latencies, 0.5) * 1e3 if latencies else float("nan"),
        "p99_ms": percentile(latencies, 0.99) * 1e3 if latencies else float("nan"),
    }


class LoadClient:
    """Threads POSTing /v1/classify with unique msg_ids at a paced rate, recording every outcome."""

    def __init__(self, port: int, token: str, *, rate: float | None, threads: int, prefix: str | None = None,
                 timeout: float = 30.0, path: str = "/v1/classify") -> None:
        self.port = port
        self.token = token
        self.rate = rate
        self.threads = threads
        self.prefix = prefix or f"rel-{uuid.uuid4().hex[:8]}"
        self.timeout = timeout
        self.path = path
        self.texts = messages()
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._counter = 0
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []

    def _next_msg_id(self) -> tuple[str, str]:
        with self._lock:
            self._counter += 1
            n = self._counter
        return f"{self.prefix}-{n}", self.texts[n % len(self.texts)]

    def one(self, msg_id: str, text: str) -> Outcome:
        body = json.dumps({"text": text, "msg_id": msg_id, "sender_id": f"zalo-{hash(msg_id) % 97}"})
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        start = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request("POST", self.path, body=body.encode("utf-8"), headers=headers)
            response = conn.getresponse()
            data = response.read()
            outcome = Outcome(msg_id, start, time.monotonic() - start, response.status)
            if response.status == 200:
                payload = json.loads(data)
                outcome.message_id = payload.get("message_id")
                outcome.model_version = payload.get("model_version")
            else:
                outcome.error = data[:200].decode("utf-8", "replace")
            return outcome
        except (OSError, http.client.HTTPException) as error:
            return Outcome(msg_id, start, time.monotonic() - start, None, error=type(error).__name__)
        finally:
            conn.close()

    def _run(self, pacer: Pacer, deadline: float) -> None:
        while not self._stop.is_set():
            when = pacer.slot()
            if when >= deadline or time.monotonic() >= deadline:
                return
            delay = when - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                return
            outcome = self.one(*self._next_msg_id())
            with self._lock:
                self.outcomes.append(outcome)

    def start(self, seconds: float) -> None:
        """Start sending in the background for `seconds`."""
        now = time.monotonic()
        pacer = Pacer(self.rate, now)
        self._workers = [threading.Thread(target=self._run, args=(pacer, now + seconds), daemon=True)
                         for _ in range(self.threads)]
        for worker in self._workers:
            worker.start()

    def join(self) -> list[Outcome]:
        for worker in self._workers:
            worker.join()
        return sorted(self.outcomes, key=lambda o: o.sent)

    def run(self, seconds: float) -> list[Outcome]:
        self.start(seconds)
        return self.join()


def _admin_engine():
    from sqlalchemy import create_engine

    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def database_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_ADMIN_URL).set(database=DB_NAME).render_as_string(hide_password=False)


def reset_database() -> str:
    """Drop and re-create the scripts' database; returns its URL."""
    from sqlalchemy import text

    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    finally:
        engine.dispose()
    return database_url()


def stored_counts(msg_ids: list[str]) -> dict[str, list[str]]:
    """msg_id -> ids of the stored rows with that msg_id (unique per token, and a run uses one token, so at
    most one)."""
    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(database_url())
    found: dict[str, list[str]] = {}
    try:
        with engine.connect() as conn:
            query = text("SELECT msg_id, id FROM messages WHERE msg_id IN :ids").bindparams(
                bindparam("ids", expanding=True))
            for start in range(0, len(msg_ids), 5000):
                for msg_id, row_id in conn.execute(query, {"ids": msg_ids[start:start + 5000]}):
                    found.setdefault(msg_id, []).append(row_id)
    finally:
        engine.dispose()
    return found


def check_stored(ok: list[Outcome]) -> tuple[int, int, int]:
    """(missing, duplicated, wrong id) among the answered requests."""
    found = stored_counts([o.msg_id for o in ok])
    missing = sum(1 for o in ok if o.msg_id not in found)
    duplicated = sum(1 for o in ok if len(found.get(o.msg_id, [])) > 1)
    wrong = sum(1 for o in ok if o.msg_id in found and o.message_id not in found[o.msg_id])
    return missing, duplicated, wrong


def worker_pids(master: int) -> list[int]:
    """Child processes of `master` (gunicorn workers), from /proc."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == master:
            children.append(int(entry.name))
    return sorted(children)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Server:
    """`triage serve` on a free loopback port with its own instance folder and a bot token."""

    def __init__(self, instance: Path, *, workers: int = 2, database_url: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.instance = instance
        self.workers = workers
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIAGE_", "PROMETHEUS_"))}
        self.env.update(TRIAGE_INSTANCE_PATH=str(instance), TRIAGE_RATE_LIMIT="0",
                        TRIAGE_SECRET_KEY="reliability-" + "0" * 32, TRIAGE_LOG_LEVEL="WARNING")
        if database_url:
            self.env["TRIAGE_DATABASE_URL"] = database_url
        self.env.update(env or {})
        self.process: subprocess.Popen | None = None
        self.token = ""
        self.log_path = instance / "server.log"

    def create_token(self, name: str = "reliability") -> str:
        self.token = subprocess.run([TRIAGE, "tokens", "create", "--name", name, "--role", "bot"], env=self.env,
                                    check=True, capture_output=True, text=True).stdout.strip()
        return self.token

    def start(self, ready_timeout: float = 60) -> None:
        if not self.token:
            self.create_token()
        log = self.log_path.open("ab")
        self.process = subprocess.Popen([TRIAGE, "serve", "--port", str(self.port), "--workers", str(self.workers)],
                                        env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self.get("/readyz")[0] == 200 and len(worker_pids(self.process.pid)) >= self.workers:
                return
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"server did not become ready; see {self.log_path}:\n{self.log_tail()}")

    def get(self, path: str) -> tuple[int | None, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            return None, b""
        finally:
            conn.close()

    def workers_now(self) -> list[int]:
        return worker_pids(self.process.pid) if self.process else []

    def stop(self, timeout: float = 30) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def fail_if(failures: list[str]) -> None:
    """Print the verdict and exit 1 when any check failed."""
    if failures:
        print("FAILED: " + "; ".join(failures))
        sys.exit(1)
    print("OK")
