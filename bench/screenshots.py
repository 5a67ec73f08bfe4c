"""Regenerate the review screen's screenshots for docs/review-screen.md: `python -m bench.screenshots`.

Starts `triage serve` (gunicorn, a scratch SQLite database) with a few sample messages, logs in as
an officer in headless Chromium and photographs the queue, a message and the dashboard on a desktop
(1280 × 800) and a phone (390 × 844). Needs Debian's chromium and chromium-driver.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import update

from bench import browser
from service.db import Database
from service.schema import messages
from service.tokens import create_token
from service.users import create_user
from triage.engine import default_models_dir

DOCS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PASSWORD = "mat-khau-du-dai"
# (text, minutes ago, sender): urgent tips waiting, then the rest.
SAMPLES = [
    ("Cháy nhà ở thôn Hà Nha, có người mắc kẹt bên trong, cứu với!", 42, "zalo-a"),
    ("Có thằng say rượu cầm súng đứng trước cổng nhà tôi ở thôn Thanh Bình", 17, "zalo-b"),
    ("có người đánh nhau ở chợ Ái Nghĩa, cứu với", 3, "zalo-c"),
    ("nhà em bị trộm xe máy tối qua, biển số 92E1.123.46, sđt em 0905123456", 150, "zalo-a"),
    ("làm căn cước cho con 14 tuổi cần giấy tờ gì ạ", 200, "zalo-d"),
    ("đăng ký tạm trú cho người thuê trọ làm thế nào", 260, "zalo-e"),
    ("có tin nhắn báo tài khoản của quý khách bị khóa, truy cập ngay bit.ly/abc", 320, "zalo-f"),
    ("cảm ơn các anh đã hỗ trợ", 400, "zalo-a"),
]
PAGES = (("queue", "/review"), ("message", None), ("dashboard", "/dashboard"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed(url: str, database_url: str) -> list[str]:
    """Sample messages through the API, with arrival times spread over the last hours; their ids."""
    db = Database(database_url)
    try:
        headers = {"Authorization": f"Bearer {create_token(db, 'zalo-bot-demo', 'bot')}"}
        now = datetime.now(UTC)
        ids = []
        for text, minutes, sender in SAMPLES:
            answer = requests.post(f"{url}/v1/classify", json={"text": text, "sender_id": sender}, headers=headers,
                                   timeout=10).json()
            ids.append(answer["message_id"])
            with db.transaction() as conn:
                conn.execute(update(messages).where(messages.c.id == answer["message_id"])
                             .values(received_at=now - timedelta(minutes=minutes)))
        return ids
    finally:
        db.dispose()


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"triage serve did not start at {url}")


def main() -> None:
    if not browser.available():
        raise SystemExit("apt-get install -y chromium chromium-driver first")
    DOCS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        database_url = f"sqlite:///{folder / 'screens.sqlite3'}"
        db = Database(database_url)
        create_user(db, "lan", "officer", PASSWORD, communes=frozenset({"dai_hong"}))
        db.dispose()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")},
               "TRIAGE_DATABASE_URL": database_url, "TRIAGE_INSTANCE_PATH": str(folder / "instance"),
               "TRIAGE_MODELS_DIR": str(default_models_dir()), "TRIAGE_SECRET_KEY": "screenshots"}
        triage = str(Path(sys.executable).with_name("triage"))
        with (folder / "server.log").open("wb") as log:
            server = subprocess.Popen([triage, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                                      env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_ready(url, server)
                ids = seed(url, database_url)
                shoot(url, folder, f"/messages/{ids[3]}")
            finally:
                server.terminate()
                server.wait(timeout=15)


def shoot(url: str, folder: Path, message_path: str) -> None:
    """Desktop first (Chromium reports no pointer once touch emulation was on), then the phone."""
    driver = browser.start_chromium(folder / "profile")
    try:
        browser.log_in(driver, url, "lan", PASSWORD)
        for device, size in (("desktop", browser.DESKTOP), ("phone", browser.PHONE)):
            browser.emulate(driver, **size)
            for name, path in PAGES:
                driver.get(url + (path or message_path))
                time.sleep(0.3)
                target = DOCS / f"{name}-{device}.png"
                driver.save_screenshot(str(target))
                print(f"wrote {target} (sideways overflow {browser.sideways_overflow(driver)} px)")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
