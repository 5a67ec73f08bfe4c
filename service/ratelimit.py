"""Rate limits kept by Flask-Limiter: per API token (a batch counts its messages) and per client address on login.

Flask-Limiter holds the counters (in Redis when REDIS_URL is set, shared by every worker and
instance; else in memory, per worker) and its sliding-window-counter strategy decides. The views
call the checks explicitly instead of using route decorators: the token limit needs the token
authenticated and the batch counted first, and the login limit must refuse before any password is
hashed. A refused request does not count.
"""

from __future__ import annotations

import ipaddress
import logging
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.errors import StorageError
from redis.backoff import NoBackoff
from redis.retry import Retry
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger("triage.service")

# While Redis fails, limits are not applied for this long (then Redis is tried again).
STORAGE_RETRY_SECONDS = 5.0


def client_address() -> str:
    """The caller's address for limits and lockouts: IPv4 as is, IPv6 as its /64 (one subscriber's block)."""
    raw = request.remote_addr or "unknown"
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class RateLimits:
    """The app's limits; each check returns None when allowed, else seconds until it would be.

    If the storage (Redis) fails, requests are allowed and a warning logged, and the storage is
    left alone for STORAGE_RETRY_SECONDS: losing rate limiting for a while is better than
    refusing, or slowing down, every citizen's message.
    """

    def __init__(self, limiter: Limiter, token_limit: RateLimitItem | None,
                 login_limit: RateLimitItem | None) -> None:
        self.limiter = limiter
        self.token_limit = token_limit
        self.login_limit = login_limit
        self._down_until = 0.0

    def token(self, rate_key: str, cost: int = 1) -> float | None:
        """Count `cost` messages (or one request) against an API token's limit."""
        return self._hit(self.token_limit, "token", rate_key, cost)

    def login(self, address: str) -> float | None:
        """Count one password check (login or password change) against a client address's limit."""
        return self._hit(self.login_limit, "login", address, 1)

    def _hit(self, item: RateLimitItem | None, scope: str, key: str, cost: int) -> float | None:
        if item is None or time.monotonic() < self._down_until:
            return None
        strategy = self.limiter.limiter
        try:
            if strategy.hit(item, scope, key, cost=cost):
                return None
            reset_at = strategy.get_window_stats(item, scope, key).reset_time
        except StorageError as error:
            self._down_until = time.monotonic() + STORAGE_RETRY_SECONDS
            log.warning("rate limit: storage unavailable (%s); not limiting for %.0f s",
                        type(error.storage_error).__name__, STORAGE_RETRY_SECONDS)
            return None
        return max(1.0, reset_at - time.time())


def init_app(app: Flask) -> None:
    """Flask-Limiter on Redis when REDIS_URL is set, else in memory; trust PROXY_HOPS proxies for the address."""
    config = app.config
    if config["PROXY_HOPS"] > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config["PROXY_HOPS"])  # type: ignore[method-assign]
    options: dict = {"wrap_exceptions": True}
    if config["REDIS_URL"]:
        # No client-side retries: a slow or absent Redis must not delay the answer.
        options.update(socket_timeout=0.25, socket_connect_timeout=0.25, retry=Retry(NoBackoff(), 0))
    limiter = Limiter(client_address, storage_uri=config["REDIS_URL"] or "memory://", storage_options=options,
                      strategy="sliding-window-counter")
    # Flask-Limiter adds its request hooks only to an app it is not registered with yet. Every check
    # here is an explicit call, so registering it first skips hooks that would cost about 75 µs of
    # every request (classify included) and check nothing (tests/service/test_ratelimit.py pins this).
    app.extensions["limiter"] = {limiter}
    limiter.init_app(app)
    token_limit = (RateLimitItemPerSecond(config["RATE_LIMIT"], config["RATE_WINDOW_SECONDS"])
                   if config["RATE_LIMIT"] > 0 else None)
    login_limit = RateLimitItemPerMinute(config["LOGIN_RATE_LIMIT"]) if config["LOGIN_RATE_LIMIT"] > 0 else None
    app.extensions["triage.limits"] = RateLimits(limiter, token_limit, login_limit)


def get_limits() -> RateLimits:
    """The current app's rate limits."""
    return current_app.extensions["triage.limits"]
