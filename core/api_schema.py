"""The API's error answers as the OpenAPI schema documents them (config/exceptions.py makes them):
`error_responses(401, 404, …)` for an operation's `extend_schema(responses=…)`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every error: a message for people, a code for programs, and the fields it is about."""

    detail = serializers.CharField()
    code = serializers.CharField()
    fields = serializers.DictField(child=serializers.JSONField())


_MEANINGS = {
    400: "The input is not valid; `fields` names what is wrong.",
    401: "Not logged in.",
    403: "Not allowed for this role.",
    404: "There is no such object, or it is not yours.",
    409: "The object's state does not allow it (code `busy`: retry after `Retry-After` seconds).",
    429: "Too many requests: retry after `Retry-After` seconds.",
}


def error_responses(*statuses: int) -> dict[int, Any]:
    """Schema entries for the given error statuses, each with the one error shape."""
    return {
        status: OpenApiResponse(response=ErrorSerializer, description=_MEANINGS[status])
        for status in statuses
    }
