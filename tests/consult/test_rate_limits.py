"""The pages' rate limits (core.rate_limits): counting in the cache, the window, the client's
address behind trusted proxies, and the count on a real Redis under concurrent requests."""

from __future__ import annotations

import threading
import uuid

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import RequestFactory

from core.rate_limits import RateLimit, client_address

WINDOW_START = "2027-03-01 10:00:00+01:00"  # a multiple of the window since the epoch


@pytest.fixture(autouse=True)
def _fresh_counters():  # type: ignore[no-untyped-def]
    cache.clear()  # the process's own cache (tests/conftest.py): its counters only
    yield
    cache.clear()


def test_attempts_within_the_limit_pass_and_the_next_waits_for_the_windows_end(time_machine):
    time_machine.move_to(WINDOW_START, tick=False)
    limit = RateLimit("test", limit=3, window=600)
    assert [limit.hit("a") for _ in range(3)] == [None, None, None]
    time_machine.move_to("2027-03-01 10:04:00+01:00", tick=False)
    assert limit.hit("a") == 360
    assert limit.retry_after("a") == 360


def test_the_limit_lifts_when_the_window_ends(time_machine):
    time_machine.move_to(WINDOW_START, tick=False)
    limit = RateLimit("test", limit=1, window=600)
    limit.hit("a")
    assert limit.hit("a") is not None
    time_machine.move_to("2027-03-01 10:10:00+01:00", tick=False)
    assert limit.hit("a") is None


def test_keys_and_scopes_count_apart(time_machine):
    time_machine.move_to(WINDOW_START, tick=False)
    one, other = RateLimit("one", limit=1, window=600), RateLimit("other", limit=1, window=600)
    one.hit("a", "b")
    assert one.hit("a", "b") is not None
    assert one.hit("a", "c") is None
    assert one.hit("ab") is None  # parts are kept apart, not glued together
    assert other.hit("a", "b") is None


def test_retry_after_does_not_count_and_clear_starts_over(time_machine):
    time_machine.move_to(WINDOW_START, tick=False)
    limit = RateLimit("test", limit=2, window=600)
    for _ in range(5):
        assert limit.retry_after("a") is None
    limit.hit("a")
    limit.hit("a")
    assert limit.retry_after("a") == 600
    limit.clear("a")
    assert limit.retry_after("a") is None


@pytest.mark.parametrize(
    ("num_proxies", "expected"),
    [(0, "10.0.0.9"), (1, "198.51.100.7"), (2, "203.0.113.5")],
)
def test_client_address_trusts_forwarded_for_only_from_configured_proxies(
    settings, num_proxies, expected
):
    settings.REST_FRAMEWORK = {**django_settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="203.0.113.5, 198.51.100.7"
    )
    assert client_address(request) == expected


@pytest.mark.redis
def test_on_redis_concurrent_attempts_pass_exactly_the_limit_and_the_count_expires(settings):
    prefix = f"rate-test-{uuid.uuid4().hex}"  # no FLUSHDB: other processes share this Redis
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": django_settings.REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    limit = RateLimit("test", limit=25, window=600)
    passed: list[bool] = []
    barrier = threading.Barrier(8)

    def attempts() -> None:
        barrier.wait()
        mine = [limit.hit("one-client") is None for _ in range(10)]
        passed.extend(mine)

    threads = [threading.Thread(target=attempts) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert passed.count(True) == 25 and len(passed) == 80
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    [key] = client.keys(f"{prefix}:*")
    assert 0 < client.ttl(key) <= 601
    client.delete(key)
