"""Structured request logs: ids, endpoint, status, latency, label; never text, phones or ID numbers."""

from __future__ import annotations

import json
import logging

import pytest

from service.request_log import JsonFormatter


@pytest.fixture
def log_lines(caplog):
    """The JSON lines the service logger writes during the test."""
    logger = logging.getLogger("triage.service")
    logger.addHandler(caplog.handler)
    formatter = JsonFormatter()
    yield lambda: [json.loads(formatter.format(record)) for record in caplog.records]
    logger.removeHandler(caplog.handler)


def test_one_line_per_request_with_what_operators_need(client, auth, log_lines):
    response = client.post("/v1/classify", json={"text": "nhà tôi bị trộm xe máy"},
                           headers={**auth.headers(), "X-Request-ID": "req-42"})
    [line] = [entry for entry in log_lines() if entry.get("event") == "request"]
    assert line["request_id"] == "req-42" and line["endpoint"] == "/v1/classify"
    assert line["status"] == 200 and line["ms"] > 0 and line["client"] == "test-bot"
    assert line["label"] == response.get_json()["label"]


def test_no_message_text_phone_id_number_or_sender_in_any_log_line(client, auth, log_lines, outage):
    secrets = ["0912345678", "001203004567", "92E1-123.45", "zalo-user-777", "Nguyễn Văn Tèo"]
    text = f"ông {secrets[4]} gọi 0912 345 678, CCCD {secrets[1]}, xe {secrets[2]} bị trộm ở chợ"
    headers = auth.headers()
    client.post("/v1/classify", json={"text": text, "sender_id": secrets[3], "msg_id": "m1"}, headers=headers)
    client.post("/v1/classify/batch", json={"messages": [{"text": text}, {"text": secrets[0]}]}, headers=headers)
    client.post("/v1/classify", json={"text": text, "commune": secrets[0]}, headers=headers)
    client.post("/v1/classify", data=text.encode(), headers={**headers, "Content-Type": "application/json"})
    outage(True)
    client.post("/v1/classify", json={"text": text, "sender_id": secrets[3]}, headers=headers)
    logged = json.dumps(log_lines(), ensure_ascii=False)
    assert '"event": "request"' in logged and "spooled" in logged
    for secret in [*secrets, "0912 345 678", "bị trộm"]:
        assert secret not in logged
