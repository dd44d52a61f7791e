"""OpenAPI schema hooks (drf-spectacular)."""

from __future__ import annotations

from typing import Any


def drop_slash_duplicates(
    endpoints: list[tuple[Any, ...]], **_kwargs: Any
) -> list[tuple[Any, ...]]:
    """Calendar files are served at ".../invite.ics" (a file name keeps no trailing slash); the
    router's ".../invite.ics/" twin stays routable but is left out of the schema."""
    paths = {endpoint[0] for endpoint in endpoints}
    return [
        endpoint
        for endpoint in endpoints
        if not (endpoint[0].endswith(".ics/") and endpoint[0][:-1] in paths)
    ]
