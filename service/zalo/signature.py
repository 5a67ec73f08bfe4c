"""Zalo webhook signatures: X-ZEvent-Signature = "mac=" + sha256(app_id + body + timestamp + OA secret key)."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "mac="


def sign(app_id: str, body: bytes, timestamp: str, secret_key: str) -> str:
    """The header value Zalo sends for this body (with the "mac=" prefix)."""
    digest = hashlib.sha256(app_id.encode("utf-8") + body + timestamp.encode("utf-8") + secret_key.encode("utf-8"))
    return PREFIX + digest.hexdigest()


def verify(header: str | None, app_id: str, body: bytes, timestamp: str, secret_key: str) -> bool:
    """Whether the header (with or without "mac=") signs this body; constant-time."""
    if not header:
        return False
    given = header.strip()
    given = given[len(PREFIX):] if given.lower().startswith(PREFIX) else given
    expected = sign(app_id, body, timestamp, secret_key)[len(PREFIX):]
    return hmac.compare_digest(given.lower().encode("ascii", "replace"), expected.encode("ascii"))


def sign_alert(secret: str, body: bytes) -> str:
    """Header X-Triage-Signature of an outgoing alert webhook: "sha256=" + hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
