"""Calls to Zalo: send a text to a user (OA API v3.0) and refresh an OA access token (OAuth v4)."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

TIMEOUT_SECONDS = 10.0
# What a call can raise when the server cannot be reached or answers garbage (a malformed base URL
# is a ValueError): the send is retried, the sender thread keeps running.
UNREACHABLE = (OSError, ValueError, http.client.HTTPException)
INVALID_ACCESS_TOKEN = -216
# Access tokens live 25 hours when Zalo's answer does not say (developers.zalo.me, "Access Token").
DEFAULT_EXPIRES_IN = 90_000


@dataclass(frozen=True)
class Outcome:
    """What became of one HTTP call: sent; or failed, retryable or not, with Zalo's error code if any."""

    ok: bool
    retry: bool
    error_code: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class TokenPair:
    """A new access token and the (single-use) refresh token that comes with it."""

    access_token: str
    refresh_token: str
    expires_in: int


class RefreshError(Exception):
    """Zalo refused to refresh the OA's tokens, or could not be reached."""


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    """POST; (HTTP status, parsed JSON or None). Raises one of UNREACHABLE when the server cannot be reached."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):  # never file: or other local schemes
        raise ValueError("not an http(s) URL")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310  # nosec B310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw.decode("utf-8")) if raw else None
    except ValueError:
        return status, None


def send_text(api_base: str, access_token: str, user_id: str, text: str) -> Outcome:
    """Send a customer-service text message to one user."""
    body = json.dumps({"recipient": {"user_id": user_id}, "message": {"text": text}}, ensure_ascii=False)
    return call(f"{api_base.rstrip('/')}/v3.0/oa/message/cs", body.encode("utf-8"),
                {"Content-Type": "application/json", "access_token": access_token})


def call(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST and judge Zalo's answer: 5xx, 429 and network errors are worth retrying; Zalo errors
    (`"error" < 0`) are not, except -216 which the caller handles by refreshing the token."""
    try:
        status, answer = post(url, body, headers)
    except UNREACHABLE as error:
        return Outcome(False, True, None, f"unreachable: {type(error).__name__}")
    if status >= 500 or status == 429:
        return Outcome(False, True, None, f"HTTP {status}")
    if status >= 400:
        return Outcome(False, False, None, f"HTTP {status}")
    code = answer.get("error", 0) if isinstance(answer, dict) else 0
    if isinstance(code, int) and code != 0:
        message = str(answer.get("message", ""))[:120]
        return Outcome(False, code == INVALID_ACCESS_TOKEN, code, f"Zalo error {code}: {message}")
    return Outcome(True, False)


def refresh(oauth_base: str, app_id: str, app_secret: str, refresh_token: str) -> TokenPair:
    """Exchange a refresh token (used up by this call) for a new pair."""
    form = urllib.parse.urlencode({"app_id": app_id, "grant_type": "refresh_token", "refresh_token": refresh_token})
    try:
        status, answer = post(f"{oauth_base.rstrip('/')}/v4/oa/access_token", form.encode("ascii"),
                              {"Content-Type": "application/x-www-form-urlencoded", "secret_key": app_secret})
    except UNREACHABLE as error:
        raise RefreshError(f"Zalo OAuth unreachable: {type(error).__name__}") from error
    if status != 200 or not isinstance(answer, dict) or not answer.get("access_token") \
            or not answer.get("refresh_token"):
        code = answer.get("error") if isinstance(answer, dict) else None
        raise RefreshError(f"Zalo refused the token refresh (HTTP {status}, error {code})")
    try:
        expires_in = int(answer.get("expires_in", DEFAULT_EXPIRES_IN))
    except (TypeError, ValueError):
        expires_in = DEFAULT_EXPIRES_IN
    return TokenPair(str(answer["access_token"]), str(answer["refresh_token"]), expires_in)
