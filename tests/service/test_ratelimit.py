"""Per-token rate limits: the sliding-window arithmetic, both backends, and the 429 response."""

from __future__ import annotations

import time
import uuid

import pytest
import redis

from service.ratelimit import MemoryLimiter, RedisLimiter, _decide
from tests.service.helpers import REDIS_URL, AuthActions, assert_error


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("now", "current", "previous", "expected"), [
    (100.0, 0, 0, None),   # 40 s into a 60 s window, nothing counted yet
    (100.0, 2, 0, None),   # the third of three allowed
    (100.0, 3, 0, 40.0),   # limit reached: 20 s to the next window, then 20 s until 3 * w <= 2
    (130.0, 0, 3, 10.0),   # 1 + 3 * 50/60 > 3: wait until the previous window weighs 2/3
    (121.0, 1, 3, 39.0),   # 2 + 3 * 59/60 > 3: wait until it weighs 1/3
    (150.0, 0, 3, None),   # 1 + 3 * 30/60 <= 3
])
def test_sliding_window_decisions(now, current, previous, expected):
    wait = _decide(3, 60.0, now, current, previous)
    assert wait == (None if expected is None else pytest.approx(expected))


def test_memory_limiter_counts_per_key_and_slides():
    clock = Clock(1_000_040.0)  # 20 s into a 60 s window
    limiter = MemoryLimiter(3, 60.0, clock)
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    assert limiter.hit("a") is not None
    assert limiter.hit("b") is None
    clock.now += 60  # next window: the previous 3 still weigh 2/3 -> 2 + 1 = 3 allowed once
    assert limiter.hit("a") is None
    assert limiter.hit("a") is not None
    clock.now += 120  # two windows later everything is forgotten
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("Redis not reachable at 127.0.0.1:6379 (run .ci/run or start it)")
    yield client
    client.close()


def test_redis_limiter_matches_the_memory_one(redis_client):
    prefix = f"test:{uuid.uuid4().hex}:"
    clock = Clock(1_000_040.0)
    shared = [RedisLimiter(redis_client, 3, 60.0, clock, prefix), RedisLimiter(redis_client, 3, 60.0, clock, prefix)]
    memory = MemoryLimiter(3, 60.0, clock)
    decisions = []
    for step in range(5):
        decisions.append((shared[step % 2].hit("t") is None, memory.hit("t") is None))
    assert decisions == [(True, True)] * 3 + [(False, False)] * 2
    clock.now += 60
    assert (shared[0].hit("t") is None, memory.hit("t") is None) == (True, True)
    redis_client.delete(*redis_client.keys(f"{prefix}*"))


def test_redis_down_lets_requests_through_without_waiting(make_app):
    app = make_app(RATE_LIMIT=1, REDIS_URL="redis://127.0.0.1:1/0")
    client, headers = app.test_client(), AuthActions(app).headers()
    started = time.monotonic()
    statuses = [client.post("/v1/classify", json={"text": "chào"}, headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_the_fourth_request_in_the_window_is_429_with_retry_after(make_app, backend, request):
    if backend == "redis":
        request.getfixturevalue("redis_client")
    app = make_app(RATE_LIMIT=3, RATE_WINDOW_SECONDS=60, REDIS_URL=REDIS_URL if backend == "redis" else None)
    auth = AuthActions(app)
    client = app.test_client()
    statuses = [client.post("/v1/classify", json={"text": "chào"}, headers=auth.headers()).status_code
                for _ in range(3)]
    assert statuses == [200, 200, 200]
    response = client.post("/v1/classify", json={"text": "chào"}, headers=auth.headers())
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1
    other = client.post("/v1/classify", json={"text": "chào"}, headers=auth.headers("admin"))
    assert other.status_code == 200, "limits are per token"
