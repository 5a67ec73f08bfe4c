"""End to end over real HTTP: `triage serve` (gunicorn), and two instances sharing one PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from service.db import Database
from service.tokens import create_token
from tests.service.helpers import REDIS_URL
from triage.engine import default_models_dir

TRIAGE = str(Path(sys.executable).with_name("triage"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A `triage serve` process on a free port."""

    def __init__(self, env: dict[str, str], workers: int, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process = subprocess.Popen(
            [TRIAGE, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)],
            env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text(errors="replace")[-3000:]
            try:
                ready = requests.get(f"{self.url}/readyz", timeout=5)
                assert ready.status_code != 503, ready.text  # the worker answers only once it tried loading
                if ready.status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or the worker is still loading the model
            time.sleep(0.2)
        raise AssertionError(f"server not ready in {timeout} s: {self.log.read_text(errors='replace')[-3000:]}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # quick shutdown: no lingering on keep-alive connections
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def start_servers(tmp_path) -> Iterator[Callable[..., list[Server]]]:
    started: list[Server] = []

    def start(database_url: str, count: int = 1, workers: int = 1, **extra: str) -> list[Server]:
        servers = []
        for number in range(count):
            inherited = {k: v for k, v in os.environ.items() if not k.startswith(("TRIAGE_", "PROMETHEUS_"))}
            env = {**inherited, "TRIAGE_DATABASE_URL": database_url, "TRIAGE_MODELS_DIR": str(default_models_dir()),
                   "TRIAGE_INSTANCE_PATH": str(tmp_path / f"instance-{number}"),
                   "TRIAGE_SECRET_KEY": "shared-pseudonym-key", "TRIAGE_TOKEN_CACHE_SECONDS": "1", **extra}
            servers.append(Server(env, workers, tmp_path / f"server-{number}.log"))
        started.extend(servers)
        for server in servers:
            server.wait_ready()
        return servers

    yield start
    for server in started:
        server.stop()


def make_token(database_url: str, name: str, role: str) -> dict[str, str]:
    db = Database(database_url)
    try:
        return {"Authorization": f"Bearer {create_token(db, name, role)}"}
    finally:
        db.dispose()


def test_triage_serve_answers_real_http(start_servers, tmp_path):
    url = f"sqlite:///{tmp_path / 'e2e.sqlite3'}"
    bot = make_token(url, "zalo-bot", "bot")
    [server] = start_servers(url, workers=2)
    session = requests.Session()
    texts = ["nhà tôi bị trộm xe máy, gọi tôi 0905123456", "làm căn cước gắn chip cần giấy tờ gì, số cũ 049201001234",
             "cảm ơn các anh"]
    results = []
    for i, text in enumerate(texts * 4):
        response = session.post(f"{server.url}/v1/classify", headers=bot, timeout=10,
                                json={"text": text, "msg_id": f"e2e-{i % 3}", "sender_id": "zalo-user-88123"})
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "application/json"
        results.append(response.json())
    assert results[0]["label"] == "crime_tip"
    assert [r["message_id"] for r in results[3:6]] == [r["message_id"] for r in results[:3]]
    batch = session.post(f"{server.url}/v1/classify/batch", json={"messages": [{"text": t} for t in texts]},
                         headers=bot, timeout=10)
    assert [r["label"] for r in batch.json()["results"]] == [r["label"] for r in results[:3]]
    error = session.post(f"{server.url}/v1/classify", data="{", headers={**bot, "Content-Type": "application/json"})
    assert error.status_code == 400 and error.json()["error"]["code"] == "invalid_json"
    # A fresh connection: after refusing a body unread, the server cannot reuse the old one.
    too_big = requests.post(f"{server.url}/v1/classify", json={"text": "a" * 70_000}, headers=bot, timeout=10)
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "payload_too_large"
    assert session.get(f"{server.url}/v1/classify").status_code == 405
    # /metrics adds up both workers, whichever one answers.
    for _ in range(3):
        metrics = session.get(f"{server.url}/metrics").text
        assert 'triage_http_requests_total{endpoint="/v1/classify",method="POST",status="200"} 12.0' in metrics
    # gunicorn's own lines and the app's JSON lines (stdout and stderr): ids and labels, never text,
    # phone or ID numbers, sender ids or the token.
    logged = server.log.read_text(encoding="utf-8")
    assert '"endpoint":"/v1/classify"' in logged and "Booting worker" in logged
    for secret in ("trộm", "0905123456", "049201001234", "zalo-user-88123", bot["Authorization"].split()[1]):
        assert secret not in logged


def test_two_instances_on_one_postgresql_see_each_others_corrections(start_servers, pg_schema):
    bot = make_token(pg_schema, "zalo-bot", "bot")
    officer = make_token(pg_schema, "can-bo-lan", "officer")
    first, second = start_servers(pg_schema, count=2, TRIAGE_REDIS_URL=REDIS_URL)
    classified = requests.post(f"{first.url}/v1/classify", json={"text": "có người lạ trộm chó ở thôn Đông"},
                               headers=bot, timeout=10).json()
    message_id = classified["message_id"]
    made = requests.post(f"{second.url}/v1/messages/{message_id}/label",
                         json={"label": "crime_tip", "urgent": False, "note": "đã xác minh"},
                         headers=officer, timeout=10)
    assert made.status_code == 201, made.text
    seen = requests.get(f"{first.url}/v1/messages/{message_id}", headers=officer, timeout=10).json()
    assert [(c["label"], c["created_by"], c["note"]) for c in seen["corrections"]] == [
        ("crime_tip", "can-bo-lan", "đã xác minh")]
    again = requests.post(f"{first.url}/v1/messages/{message_id}/label", json={"label": "chat"},
                          headers=officer, timeout=10)
    assert again.status_code == 201
    history = requests.get(f"{second.url}/v1/messages/{message_id}", headers=officer, timeout=10).json()
    assert [c["label"] for c in history["corrections"]] == ["crime_tip", "chat"]
    # Same pseudonym key on both instances: one sender gets one pseudonym wherever it lands.
    message_ids = {requests.post(f"{server.url}/v1/classify", json={"text": "chào", "sender_id": "zalo-77"},
                                 headers=bot, timeout=10).json()["message_id"] for server in (first, second)}
    senders = {requests.get(f"{first.url}/v1/messages/{m}", headers=officer, timeout=10).json()["sender_hash"]
               for m in message_ids}
    assert len(message_ids) == 2 and len(senders) == 1
