"""The one DRF exception handler: every API error has the shape {"detail", "code", "fields"}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from consult.errors import Busy, DomainError


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


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        response = Response(
            {**error_body(exc.message, exc.code, exc.fields), **exc.extra}, status=exc.status
        )
        if isinstance(exc, Busy):
            response["Retry-After"] = str(exc.retry_after)
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
