"""Fixtures of the Zalo connector tests: a fake OA API on loopback and an app linked to it."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from service.zalo.fakeapi import FakeOA
from service.zalo.signature import sign

APP_ID = "1234567890"
OA_ID = "579745863508352884"
OA_SECRET = "oa-secret-key-0123456789"
DUTY = "8000000000000000001"
CHIEF = "8000000000000000009"
HA_NHA = "8000000000000000101"


@pytest.fixture
def fake_oa() -> Iterator[FakeOA]:
    fake = FakeOA().start()
    yield fake
    fake.stop()


@pytest.fixture
def zalo_config(fake_oa) -> dict[str, Any]:
    return {"ZALO_APP_ID": APP_ID, "ZALO_APP_SECRET": "app-secret", "ZALO_API_BASE": fake_oa.url,
            "ZALO_OAUTH_BASE": fake_oa.url, "PUBLIC_URL": "https://cax.example.vn"}


@pytest.fixture
def zalo_app(make_app, zalo_config, fake_oa) -> Flask:
    """An app whose commune dai_hong is linked to OA_ID, with valid tokens of the fake."""
    app = make_app(**zalo_config)
    link(app, fake_oa)
    return app


def link(app: Flask, fake: FakeOA) -> None:
    accounts = app.extensions["triage.zalo"].accounts
    accounts.link("dai_hong", OA_ID, OA_SECRET)
    accounts.set_tokens("dai_hong", *fake.state.issue())


def event(name: str = "user_send_text", *, text: str | None = None, user: str = "user-1",
          msg_id: str | None = None, timestamp: int | None = None, oa_id: str = OA_ID,
          attachments: list | None = None) -> dict[str, Any]:
    """A Zalo webhook event body as Zalo sends it."""
    body: dict[str, Any] = {"app_id": APP_ID, "event_name": name,
                            "timestamp": str(timestamp or int(time.time() * 1000))}
    if name in ("follow", "unfollow"):
        body.update(oa_id=oa_id, follower={"id": user}, source="oa_profile")
    else:
        message: dict[str, Any] = {"msg_id": msg_id or uuid.uuid4().hex}
        if text is not None:
            message["text"] = text
        if attachments is not None:
            message["attachments"] = attachments
        body.update(sender={"id": user}, recipient={"id": oa_id}, message=message)
    return body


def location(latitude: float, longitude: float, **kwargs: Any) -> dict[str, Any]:
    return event("user_send_location", attachments=[
        {"type": "location", "payload": {"coordinates": {"latitude": str(latitude), "longitude": str(longitude)}}}],
        **kwargs)


@pytest.fixture
def post(zalo_app) -> Callable[..., TestResponse]:
    """POST an event to /zalo/webhook, signed with the OA secret unless told otherwise."""
    return poster(zalo_app)


def poster(app: Flask) -> Callable[..., TestResponse]:
    """A function posting events to this app's webhook (see `post`)."""
    client = app.test_client()

    def send(body: dict[str, Any], *, secret: str = OA_SECRET, signature: str | None = None,
             prefix: bool = True) -> TestResponse:
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        if signature is None:
            signature = sign(APP_ID, raw, body["timestamp"], secret)
            signature = signature if prefix else signature.removeprefix("mac=")
        headers = {"X-ZEvent-Signature": signature} if signature else {}
        return client.post("/zalo/webhook", data=raw, content_type="application/json", headers=headers)

    return send
