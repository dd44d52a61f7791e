"""The audit trail's request middleware: who acts, read when an entry is written."""

from __future__ import annotations

from typing import Any

from auditlog.middleware import AuditlogMiddleware
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


class AuditActorMiddleware(AuditlogMiddleware):
    """As django-auditlog's, but the acting user is looked up when an entry is written: the API
    authenticates tokens in the view, after every middleware ran (DRF then sets request.user)."""

    @staticmethod
    def _get_actor(request: HttpRequest) -> Any:
        return SimpleLazyObject(lambda: AuditlogMiddleware._get_actor(request))
