"""Limits on how often one client, or one secret link, may try something on the pages: counters
in the shared cache (Redis in production), so that every web process counts together."""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle


def client_address(request: HttpRequest | None) -> str:
    """The client's address as the API's throttles see it: REMOTE_ADDR, or behind NUM_PROXIES
    trusted proxies the address the outermost of them saw. X-Forwarded-For is otherwise the
    client's own word, and a made-up one per request would escape every limit."""
    if request is None:
        return "unknown"
    return BaseThrottle().get_ident(request) or "unknown"


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``limit`` attempts per key in a ``window`` of seconds.

    Windows are fixed and aligned to the clock: counting is one atomic increment of a key that
    expires with its window, and "try again in" is the window's end. Across a window's end a
    burst may reach twice the limit, which a limit against guessing and hammering tolerates.
    """

    scope: str
    limit: int
    window: int

    def _key(self, parts: tuple[str, ...], now: float) -> tuple[str, float]:
        # Hashed: the parts may be secrets (a room link) or longer than a cache key may be.
        digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
        index = int(now // self.window)
        return f"rate:{self.scope}:{digest}:{index}", (index + 1) * self.window

    def hit(self, *parts: str) -> int | None:
        """Count one attempt: None while within the limit, else the seconds until it lifts."""
        now = time.time()
        key, ends = self._key(parts, now)
        timeout = math.ceil(ends - now) + 1
        if cache.add(key, 1, timeout):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.add(key, 1, timeout)
                count = 1
        return None if count <= self.limit else max(1, math.ceil(ends - now))

    def retry_after(self, *parts: str) -> int | None:
        """Without counting: None while attempts remain, else the seconds until they do."""
        now = time.time()
        key, ends = self._key(parts, now)
        return None if (cache.get(key) or 0) < self.limit else max(1, math.ceil(ends - now))

    def clear(self, *parts: str) -> None:
        cache.delete(self._key(parts, time.time())[0])
