"""Per-token rate limits with a sliding-window counter, in memory or in Redis.

The estimate for a window of W seconds is `count(current window) + count(previous window) * (part of
the previous window still inside the last W seconds)`: one or two counters per token instead of a
log of timestamps, and the same arithmetic in both backends. In memory the limit holds per worker
process; Redis makes it hold across workers and instances.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis
from flask import Flask, current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger("triage.service")


class Limiter(Protocol):
    def hit(self, key: str) -> float | None:
        """Count one request; None if allowed, else seconds until a request would be allowed."""


def _decide(limit: int, window: float, now: float, current: int, previous: int) -> float | None:
    """Seconds to wait if one more request would exceed the limit, else None (pure)."""
    elapsed = now % window
    weight = (window - elapsed) / window
    if current + 1 + previous * weight <= limit:
        return None
    if current + 1 > limit:
        # Into the next window, where this window's count shrinks as the previous one does.
        return window - elapsed + max(0.0, 1 - (limit - 1) / current) * window
    # Wait until the previous window's share has shrunk enough: previous * w' <= limit - current - 1.
    needed_weight = (limit - current - 1) / previous
    return max(0.0, (1 - needed_weight) * window - elapsed)


class MemoryLimiter:
    """Sliding-window counters in this process."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._counts: dict[str, tuple[int, int, int]] = {}  # key -> (window index, current, previous)
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        now = self.clock()
        index = int(now // self.window)
        with self._lock:
            last_index, current, previous = self._counts.get(key, (index, 0, 0))
            if index != last_index:
                previous = current if index == last_index + 1 else 0
                current = 0
            wait = _decide(self.limit, self.window, now, current, previous)
            self._counts[key] = (index, current if wait is not None else current + 1, previous)
        return wait


class RedisLimiter:
    """Sliding-window counters in Redis, shared by every worker and instance.

    If Redis cannot be reached the request is allowed (and a warning logged), and Redis is left
    alone for `retry_seconds`: losing rate limiting for a while is better than refusing, or
    slowing down, every citizen's message.
    """

    def __init__(self, client: redis.Redis, limit: int, window: float,
                 clock: Callable[[], float] = time.time, prefix: str = "triage:rl:",
                 retry_seconds: float = 5.0) -> None:
        self.client = client
        self.limit = limit
        self.window = window
        self.clock = clock
        self.prefix = prefix
        self.retry_seconds = retry_seconds
        self._down_until = 0.0

    def hit(self, key: str) -> float | None:
        if time.monotonic() < self._down_until:
            return None
        now = self.clock()
        index = int(now // self.window)
        current_key = f"{self.prefix}{key}:{index}"
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.incr(current_key)
            pipe.expire(current_key, math.ceil(self.window * 2))
            pipe.get(f"{self.prefix}{key}:{index - 1}")
            current, _, previous = pipe.execute()
            wait = _decide(self.limit, self.window, now, int(current) - 1, int(previous or 0))
            if wait is not None:
                self.client.decr(current_key)  # refused requests do not count
            return wait
        except redis.RedisError as error:
            self._down_until = time.monotonic() + self.retry_seconds
            log.warning("rate limit: redis unavailable (%s); not limiting for %.0f s",
                        type(error).__name__, self.retry_seconds)
            return None


def init_app(app: Flask) -> None:
    """A Redis limiter when REDIS_URL is set, else in-memory; none when RATE_LIMIT is 0."""
    limit, window = app.config["RATE_LIMIT"], app.config["RATE_WINDOW_SECONDS"]
    limiter: Limiter | None = None
    if limit > 0 and app.config["REDIS_URL"]:
        # No client-side retries: a slow or absent Redis must not delay the answer.
        client = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=0.25, socket_connect_timeout=0.25,
                                      retry=Retry(NoBackoff(), 0))
        limiter = RedisLimiter(client, limit, window)
    elif limit > 0:
        limiter = MemoryLimiter(limit, window)
    app.extensions["triage.limiter"] = limiter


def get_limiter() -> Limiter | None:
    """The current app's limiter (None when rate limiting is off)."""
    return current_app.extensions["triage.limiter"]
