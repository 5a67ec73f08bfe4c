"""Logs never hold message text, phone numbers or ID numbers, whatever the request did.

Every logger (root, the service's own non-propagating one, werkzeug, sqlalchemy, gunicorn) is
captured at DEBUG (sqlalchemy at INFO: its DEBUG level dumps result rows, a developer-only
switch) and formatted with the service's JSON formatter (so structured fields count), plus
stderr/stdout; a representative session of requests runs, then the capture is grepped.
"""

from __future__ import annotations

import logging
import re

import pytest

from service.request_log import JsonFormatter
from service.users import create_user

FAST_HASH = "pbkdf2:sha256:1000"
PASSWORD = "mat-khau-du-dai"
SENTENCE = "Con gà trống màu tím của nhà ông Bảy bị bắt cóc lúc nửa đêm"
PHONES = ("0912345678", "+84 905 111 222", "0905111222")
IDS = ("048095001234", "201234567")
PLATE = "92E1-123.45"
TEXTS = [f"{SENTENCE}, gọi {PHONES[0]}", f"mất căn cước {IDS[0]}, liên hệ {PHONES[1]}",
         f"xe biển {PLATE} chạy ẩu, CMND {IDS[1]}"]
SECRETS = (SENTENCE, "gà trống màu tím", *PHONES, *IDS, PLATE, "0905 111", "nửa đêm")
LOGGERS = ("", "triage.service", "triage", "werkzeug", "sqlalchemy", "gunicorn.error", "gunicorn.access", "flask")


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(text)


@pytest.fixture
def all_logs():
    """A handler on every logger of interest, each at DEBUG; levels restored afterwards."""
    capture = Capture()
    saved = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(logging.INFO if name == "sqlalchemy" else logging.DEBUG)
        logger.addHandler(capture)
    yield capture
    for logger, level in saved:
        logger.removeHandler(capture)
        logger.setLevel(level)


@pytest.fixture
def app(make_app):
    return make_app(PASSWORD_HASH=FAST_HASH)


def csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_a_representative_session_logs_no_text_phone_or_id_number(app, client, auth, all_logs, capfd):
    bot, officer = auth.headers(), auth.headers("officer")
    ids = [client.post("/v1/classify", json={"text": text, "sender_id": PHONES[2], "msg_id": f"m{i}"},
                       headers=bot).get_json()["message_id"] for i, text in enumerate(TEXTS)]
    client.post("/v1/classify", json={"text": TEXTS[0], "msg_id": "m0"}, headers=bot)  # a retry
    client.post("/v1/classify/batch", json={"messages": [{"text": t} for t in TEXTS]}, headers=bot)
    # Refused requests that quote the text: bad fields, unknown commune, too large, not JSON.
    client.post("/v1/classify", json={"text": TEXTS[0], "commune": SENTENCE}, headers=bot)
    client.post("/v1/classify", json={"text": TEXTS[1], "extra": PHONES[0]}, headers=bot)
    client.post("/v1/classify", data=f'{{"text": "{SENTENCE}"', headers={**bot, "Content-Type": "application/json"})
    client.post("/v1/classify", data=TEXTS[0], headers=bot)
    client.post("/v1/classify", json={"text": SENTENCE * 2000}, headers=bot)
    client.post("/v1/classify", json={"text": TEXTS[0]}, headers={"Authorization": f"Bearer {PHONES[0]}"})
    client.post(f"/v1/messages/{ids[0]}/label", json={"label": "crime_tip", "note": f"gọi lại {PHONES[2]}"},
                headers=officer)
    client.post(f"/v1/messages/{ids[1]}/label", json={"label": "spam", "note": SENTENCE}, headers=officer)
    client.get(f"/v1/messages/{ids[0]}", headers=officer)
    client.get(f"/v1/messages/{PHONES[0]}", headers=officer)

    create_user(app.extensions["triage.db"], "lan", "officer", PASSWORD, method=FAST_HASH)
    web = app.test_client()
    web.post("/login", data={"name": "lan", "password": IDS[0], "csrf_token": csrf(web, "/login")})
    web.post("/login", data={"name": PHONES[0], "password": PASSWORD, "csrf_token": csrf(web, "/login")})
    web.post("/login", data={"name": "lan", "password": PASSWORD, "csrf_token": csrf(web, "/login")})
    web.get("/review?status=all")
    web.get(f"/messages/{ids[2]}")
    web.post(f"/messages/{ids[2]}/label", data={"label": "chat", "note": f"{SENTENCE} {IDS[1]}",
                                                "csrf_token": csrf(web, "/review")})
    web.get("/dashboard")

    out, err = capfd.readouterr()
    logged = "\n".join(all_logs.lines) + "\n" + out + "\n" + err
    assert '"event":"request"' in logged and '"status":201' in logged  # the capture did see the requests
    for secret in SECRETS:
        assert secret not in logged, secret
    assert "gà" not in logged
