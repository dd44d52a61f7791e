"""The one DRF exception handler: every API error has the shape {"detail", "code", "fields"}."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError

log = logging.getLogger(__name__)

# Seconds a client should wait after a 503 for an unreachable database: about what a restart of
# PostgreSQL or a failover takes.
DATABASE_RETRY_AFTER = 5
# SQLSTATEs of a server that cannot serve any statement now: connection exceptions (08),
# insufficient resources such as too many connections (53), shutdown or start-up (57P01-57P03).
_UNAVAILABLE_STATES = ("08", "53", "57P01", "57P02", "57P03")


def _flatten(detail: Any) -> Any:
    """Turn DRF's ErrorDetail trees into plain strings/lists/dicts."""
    if isinstance(detail, dict):
        return {str(k): _flatten(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_flatten(v) for v in detail]
    return str(detail)


def _first_message(fields: dict[str, Any]) -> str:
    for name, value in fields.items():
        while isinstance(value, list | dict) and value:
            value = value[0] if isinstance(value, list) else next(iter(value.values()))
        return f"{name}: {value}"
    return _("Ungültige Eingabe.")


def error_body(detail: str, code: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"detail": detail, "code": code, "fields": fields or {}}


def database_unreachable(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the database cannot be reached now (down, restarting, out of
    connections), as opposed to a statement that failed: the first is a 503 worth retrying,
    the second stays a bug (500) or a lock timeout (409)."""
    if isinstance(exc, InterfaceError):  # the connection was already closed or broken
        return True
    if not isinstance(exc, OperationalError):
        return False
    # Django's error keeps the driver's as its cause. psycopg gives no SQLSTATE when it could
    # not reach the server at all (refused, hung up, timed out); SQLite's errors have none.
    driver = exc.__cause__
    if not hasattr(driver, "sqlstate"):
        return False
    return driver.sqlstate is None or driver.sqlstate.startswith(_UNAVAILABLE_STATES)


def database_unavailable_body() -> dict[str, Any]:
    return error_body(
        _("Die Datenbank ist gerade nicht erreichbar, bitte gleich noch einmal versuchen."),
        "database_unavailable",
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if database_unreachable(exc):
        # The connection is closed at the end of this request (Django finds it unusable) and
        # the next request connects afresh: nothing else to do but tell the client to retry.
        log.warning("database unavailable: %s", exc)
        response = Response(database_unavailable_body(), status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response
    if isinstance(exc, DomainError):
        response = Response(
            {**error_body(exc.message, exc.code, exc.fields), **exc.extra}, status=exc.status
        )
        # Busy (409) and Unavailable (503) tell the client when to try again.
        if retry_after := getattr(exc, "retry_after", None):
            response["Retry-After"] = str(retry_after)
        return response
    if isinstance(exc, DjangoValidationError):
        fields = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(fields)
    elif isinstance(exc, RequestDataTooBig):
        return Response(
            error_body(_("Die Anfrage ist zu groß."), "too_large"),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    elif isinstance(exc, OperationalError) and "lock" in str(exc).lower():
        response = Response(
            error_body(_("Gerade belegt, bitte gleich noch einmal versuchen."), "busy"),
            status=status.HTTP_409_CONFLICT,
        )
        response["Retry-After"] = "1"
        return response
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        if not isinstance(fields, dict):
            fields = {"non_field_errors": fields}
        response.data = error_body(_first_message(fields), "invalid", fields)
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        response.data = error_body(str(exc.detail), code)
    return response
