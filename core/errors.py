"""Domain errors shared by every app; the API's exception handler maps them to HTTP.

Messages are translated when raised (in the request's language), never in a worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _


class DomainError(Exception):
    """A rule of the domain was broken. `code` is machine-readable, `message` is for people."""

    status = 400
    default_code = "invalid"

    def __init__(
        self,
        message: Any,
        *,
        code: str | None = None,
        fields: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.code = code or self.default_code
        self.fields = dict(fields or {})
        self.extra = dict(extra or {})


class Invalid(DomainError):
    status = 400
    default_code = "invalid"


class Forbidden(DomainError):
    status = 403
    default_code = "forbidden"


class NotFound(DomainError):
    """Also used for "not yours": never reveal that another municipality's object exists."""

    status = 404
    default_code = "not_found"


class Conflict(DomainError):
    """State conflict: slot taken, invalid transition, event full, lock busy."""

    status = 409
    default_code = "conflict"


class Busy(Conflict):
    """A lock could not be had in time: the client may retry after `retry_after` seconds."""

    default_code = "busy"

    def __init__(self, message: Any, *, retry_after: int = 1, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class RateLimited(DomainError):
    """Too many attempts in a window (core/rate_limits.py): 429, the client may try again after
    `retry_after` seconds."""

    status = 429
    default_code = "rate_limited"

    def __init__(self, message: Any, *, retry_after: int = 60, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A server this service relies on (the video conference server) is unreachable or refused:
    503, the client may try again after `retry_after` seconds."""

    status = 503
    default_code = "unavailable"

    def __init__(self, message: Any, *, retry_after: int = 30, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class FieldErrors:
    """Collects every broken rule first, so that one 400 names all offending fields."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, message: Any) -> None:
        self.fields.setdefault(name, []).append(str(message))

    def raise_if_any(self) -> None:
        if self.fields:
            first = next(iter(self.fields))
            raise Invalid(_("Ungültige Eingabe: %(field)s.") % {"field": first}, fields=self.fields)
