"""Serializer fields the apps' APIs share."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

# Ids are bigints: a larger number names no row, and SQLite refuses to even compare it (an
# OverflowError, a 500, where the client deserves a 400 on the field).
MAX_ID = 2**63 - 1


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """An input naming a row by its id: a positive 64-bit integer."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)
