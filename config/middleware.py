"""Request-level guards: oversize bodies are refused before any view reads them (DRF's parsers
read the raw stream, which bypasses Django's DATA_UPLOAD_MAX_MEMORY_SIZE check), a view that
finds the database unreachable answers 503 instead of 500, and an unknown API route is a JSON
404 in the error shape with DEBUG on too."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from config.errors import database_unavailable, page_not_found
from config.exceptions import database_unreachable, error_body

log = logging.getLogger(__name__)


class BodySizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse(
                error_body(_("Ungültige Content-Length."), "bad_request"), status=400
            )
        multipart = request.content_type == "multipart/form-data"
        limit = settings.UPLOAD_MAX_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length > limit:
            return JsonResponse(
                error_body(
                    _("Die Anfrage ist zu groß (höchstens %(n)s Bytes).") % {"n": limit},
                    "too_large",
                ),
                status=413,
            )
        return self.get_response(request)


class ApiNotFoundMiddleware:
    """With DEBUG on Django answers a URL no route matches with its HTML debug page, also under
    /api/ (handler404 only serves DEBUG off): API clients get the error shape either way."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 404
            and request.path.startswith("/api/")
            and "json" not in response.get("Content-Type", "")
        ):
            return page_not_found(request)
        return response


class DatabaseUnavailableMiddleware:
    """A page (or any view outside DRF, whose own handler does the same) that finds the
    database unreachable answers 503 with Retry-After, not 500.

    Nothing to repair here: Django closes a connection that had errors once the request ends
    (``close_if_unusable_or_obsolete``, and CONN_HEALTH_CHECKS before reusing a persistent
    one), so the first request after the database is back connects afresh.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_unreachable(exception):
            return None
        log.warning("database unavailable: %s", exception)
        return database_unavailable(request)
