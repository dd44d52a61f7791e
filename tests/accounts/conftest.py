"""Every account test starts with empty rate-limit counters (allauth's and ours live in the
process's cache, which outlives a single test)."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()
