"""A loopback stand-in for Zalo's OA API and OAuth server (`triage zalo fake-api`, and the tests).

It answers POST /v3.0/oa/message/cs and POST /v4/oa/access_token as Zalo documents them, keeps
what it was sent, and can be told to fail: the next answers as HTTP statuses (503) or Zalo error
codes (-216). Any other POST path is kept as an alert webhook call.
"""

from __future__ import annotations

import json
import secrets
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeState:
    """What the fake knows and was sent; `strict` checks tokens (else any token is accepted)."""

    strict: bool = True
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    failures: list[int] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    refreshes: list[dict[str, str]] = field(default_factory=list)
    hooks: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self) -> tuple[str, str]:
        """A new valid token pair."""
        pair = (f"access-{secrets.token_hex(6)}", f"refresh-{secrets.token_hex(6)}")
        with self.lock:
            self.access_tokens.add(pair[0])
            self.refresh_tokens.add(pair[1])
        return pair


class FakeOA:
    """The fake server, run in a thread on 127.0.0.1."""

    def __init__(self, port: int = 0, *, strict: bool = True,
                 echo: Callable[[str], None] | None = None) -> None:
        self.state = FakeState(strict=strict)
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                path = self.path.split("?")[0]
                if path == "/v3.0/oa/message/cs":
                    status, answer = _message(state, raw, self.headers.get("access_token", ""), echo)
                elif path == "/v4/oa/access_token":
                    status, answer = _refresh(state, raw, self.headers.get("secret_key", ""), echo)
                else:
                    with state.lock:
                        state.hooks.append({"path": path, "body": raw,
                                            "signature": self.headers.get("X-Triage-Signature")})
                    status, answer = 200, {"ok": True}
                data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                """Quiet: the fake prints only what the bot sends."""

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="fake-zalo", daemon=True)

    def start(self) -> FakeOA:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()


def _message(state: FakeState, raw: bytes, token: str, echo: Callable[[str], None] | None) -> tuple[int, dict]:
    with state.lock:
        if state.failures:
            failure = state.failures.pop(0)
            if failure > 0:
                return failure, {"error": -1, "message": "fake failure"}
            return 200, {"error": failure, "message": "fake Zalo error"}
        if state.strict and token not in state.access_tokens:
            return 200, {"error": -216, "message": "Access token is invalid"}
        body = json.loads(raw.decode("utf-8"))
        user_id, text = body["recipient"]["user_id"], body["message"]["text"]
        state.sent.append({"user_id": user_id, "text": text, "access_token": token})
        message_id = secrets.token_hex(8)
    if echo:
        echo(f"--> to {user_id}:\n{text}\n")
    return 200, {"error": 0, "message": "Success", "data": {"message_id": message_id, "user_id": user_id}}


def _refresh(state: FakeState, raw: bytes, secret_key: str, echo: Callable[[str], None] | None) -> tuple[int, dict]:
    form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode("ascii")).items()}
    with state.lock:
        state.refreshes.append({**form, "secret_key": secret_key})
        known = form.get("refresh_token") in state.refresh_tokens
        if state.strict and not known:
            return 400, {"error": -14014, "error_name": "Invalid refresh token"}
        state.refresh_tokens.discard(form.get("refresh_token", ""))  # single-use
    access, refresh = state.issue()
    if echo:
        echo("--> access token refreshed\n")
    return 200, {"access_token": access, "refresh_token": refresh, "expires_in": "90000"}
