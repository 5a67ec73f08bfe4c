"""End to end: `triage serve` sends Zalo replies by itself; two instances on PostgreSQL reply once per message."""

from __future__ import annotations

import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from service.db import Database
from service.metrics import Metrics
from service.zalo.accounts import Accounts
from service.zalo.signature import sign
from service.zalo.vault import Vault
from tests.service.test_gunicorn import TRIAGE, free_port, start_servers  # noqa: F401 - the fixture
from tests.service.zalo.conftest import APP_ID, OA_ID, OA_SECRET, event

SHARED_KEY = "shared-pseudonym-key"  # what start_servers gives every instance


def _link(database_url: str, tokens: tuple[str, str]) -> None:
    db = Database(database_url)
    try:
        accounts = Accounts(db, Vault(SHARED_KEY), Metrics(), app_id=APP_ID, app_secret="s", oauth_base="")
        accounts.link("dai_hong", OA_ID, OA_SECRET)
        accounts.set_tokens("dai_hong", *tokens)
    finally:
        db.dispose()


def _signed(body: dict) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return raw, {"Content-Type": "application/json",
                 "X-ZEvent-Signature": sign(APP_ID, raw, body["timestamp"], OA_SECRET)}


def test_two_instances_on_postgresql_answer_each_message_once(start_servers, pg_schema, fake_oa):  # noqa: F811
    _link(pg_schema, fake_oa.state.issue())
    servers = start_servers(pg_schema, count=2, workers=2, TRIAGE_ZALO_APP_ID=APP_ID,
                            TRIAGE_ZALO_API_BASE=fake_oa.url, TRIAGE_ZALO_OAUTH_BASE=fake_oa.url)
    bodies = [event(text=f"cho hỏi làm căn cước cho con cần gì ({i})", user=f"u-{i}", msg_id=f"m-{i}")
              for i in range(12)]

    def deliver(job: tuple[int, dict]) -> int:
        # Zalo retries: every event goes to both instances, twice.
        number, body = job
        raw, headers = _signed(body)
        started = time.perf_counter()
        status = requests.post(f"{servers[number % 2].url}/zalo/webhook", data=raw, headers=headers,
                               timeout=10).status_code
        assert time.perf_counter() - started < 2
        return status

    jobs = [(n, body) for body in bodies for n in range(4)]
    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(deliver, jobs)) == {200}
    deadline = time.monotonic() + 20
    while len(fake_oa.state.sent) < len(bodies) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.5)  # room for a duplicate to show up
    assert sorted(s["user_id"] for s in fake_oa.state.sent) == sorted(f"u-{i}" for i in range(12))
    logged = "".join(server.log.read_text(encoding="utf-8") for server in servers)
    assert "căn cước" not in logged and "u-3" not in logged


def test_make_run_with_fake_api_and_simulate_shows_the_whole_loop(start_servers, tmp_path):  # noqa: F811
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    port = free_port()
    fake = subprocess.Popen([TRIAGE, "zalo", "fake-api", "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        _link(url, ("any-access", "any-refresh"))  # the fake API in demo mode takes any token
        base = f"http://127.0.0.1:{port}"
        [server] = start_servers(url, TRIAGE_ZALO_APP_ID=APP_ID, TRIAGE_ZALO_API_BASE=base,
                                 TRIAGE_ZALO_OAUTH_BASE=base)
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}, "TRIAGE_DATABASE_URL": url,
               "TRIAGE_SECRET_KEY": SHARED_KEY, "TRIAGE_ZALO_APP_ID": APP_ID,
               "TRIAGE_INSTANCE_PATH": str(tmp_path / "cli-instance")}
        simulated = subprocess.run([TRIAGE, "zalo", "simulate", "có cướp ở thôn Hà Nha, cứu với", "--user", "demo-9",
                                    "--location", "15.8561,108.0412", "--url", server.url],
                                   env=env, capture_output=True, text=True, timeout=60)
        assert simulated.returncode == 0, simulated.stderr
        assert "user_send_text: HTTP 200" in simulated.stdout and "user_send_location: HTTP 200" in simulated.stdout
        time.sleep(3)
    finally:
        fake.terminate()
        printed = fake.communicate(timeout=10)[0].decode("utf-8")
    assert "--> to demo-9:\nDạ, anh/chị hãy gọi ngay 113" in printed
    assert "--> to 8000000000000000001:\nTIN BÁO KHẨN" in printed  # the duty officer
