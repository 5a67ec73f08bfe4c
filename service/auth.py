"""Bearer-token authentication, role checks and per-token rate limiting for API views."""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Flask, current_app, g, request

from service.communes import Scope
from service.db import Database, DatabaseUnavailable
from service.errors import ApiError
from service.ratelimit import get_limits
from service.tokens import ROLES, Role, TokenRecord, hash_token, list_tokens

# A token the cache does not know triggers a reload at most this often (new tokens work at once
# without letting a client with a wrong token make every request hit the database).
MISS_RELOAD_SECONDS = 1.0


@dataclass(frozen=True)
class Client:
    """Who is calling: the token's id, name and role, a key for its rate limit, and its communes."""

    token_id: int
    name: str
    role: Role
    rate_key: str
    communes: Scope = None  # None: every commune


class TokenCache:
    """Active tokens loaded from the database, refreshed every `ttl` seconds.

    While the database is down the last loaded list stays in use, so the bot keeps working.
    """

    def __init__(self, db: Database, ttl: float) -> None:
        self.db = db
        self.ttl = ttl
        self._tokens: list[TokenRecord] | None = None
        self._loaded_at = -math.inf
        self._lock = threading.Lock()

    def authenticate(self, token: str) -> Client | None:
        """The client owning `token`, or None; compares sha256 hashes in constant time."""
        digest = hash_token(token)
        tokens = self._current(max_age=self.ttl)
        match = _find(tokens, digest)
        if match is None:
            match = _find(self._current(max_age=MISS_RELOAD_SECONDS), digest)
        # The key is part of the hash, not the row id: ids repeat across databases sharing a Redis.
        return None if match is None else Client(match.id, match.name, match.role, match.token_hash[:24],
                                                  match.communes)

    def _current(self, max_age: float) -> list[TokenRecord]:
        if time.monotonic() - self._loaded_at < max_age:
            return self._tokens or []
        with self._lock:
            if time.monotonic() - self._loaded_at >= max_age:
                try:
                    self._tokens = list_tokens(self.db, include_revoked=False)
                except DatabaseUnavailable as error:
                    if self._tokens is None:
                        raise ApiError(503, "Cannot check tokens: the database is unavailable. "
                                       "Retry shortly.") from error
                self._loaded_at = time.monotonic()
        return self._tokens or []


def _find(tokens: list[TokenRecord], digest: str) -> TokenRecord | None:
    found = None
    for record in tokens:  # no early exit: the time taken does not depend on which token matched
        if hmac.compare_digest(record.token_hash, digest):
            found = record
    return found


def bearer_token() -> str:
    """The token of `Authorization: Bearer <token>` (401 when absent or malformed)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Send 'Authorization: Bearer <token>'.",
                       headers={"WWW-Authenticate": 'Bearer realm="triage"'})
    return token.strip()


def one_request() -> int:
    """What a request costs against its token's rate limit unless it says otherwise."""
    return 1


def api_access(*roles: Role, cost: Callable[[], int] = one_request) -> Callable:
    """View decorator: authenticate, check the role (403), apply the token's rate limit (429).

    `cost` says how much the request counts against the limit (a batch: its number of messages).
    """
    allowed = roles or ROLES

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            client = current_app.extensions["triage.tokens"].authenticate(bearer_token())
            if client is None:
                raise ApiError(401, "Unknown or revoked token.",
                               headers={"WWW-Authenticate": 'Bearer realm="triage", error="invalid_token"'})
            g.client = client
            if client.role not in allowed:
                raise ApiError(403, f"Role '{client.role}' may not do this; needs one of {list(allowed)}.")
            wait = get_limits().token(client.rate_key, cost())
            if wait is not None:
                raise ApiError(429, f"Rate limit exceeded for this token; retry in {math.ceil(wait)} s.",
                               headers={"Retry-After": str(max(1, math.ceil(wait)))})
            return view(*args, **kwargs)
        return wrapper
    return decorate


def init_app(app: Flask) -> None:
    """Attach the token cache to the app."""
    app.extensions["triage.tokens"] = TokenCache(app.extensions["triage.db"],
                                                 app.config["TOKEN_CACHE_SECONDS"])
