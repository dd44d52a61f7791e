"""Error responses outside DRF views: JSON in the API's shape under /api/, pages elsewhere."""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from config.exceptions import (
    DATABASE_RETRY_AFTER,
    database_unavailable_body,
    database_unreachable,
    error_body,
)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(("/api/", "/feeds/")) or "json" in request.headers.get(
        "Accept", ""
    )


def _respond(request: HttpRequest, status: int, detail: str, code: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body(detail, code), status=status)
    return render(request, "error.html", {"status": status, "detail": detail}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 400, _("Die Anfrage ist ungültig."), "bad_request")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 403, _("Dafür fehlt die Berechtigung."), "permission_denied")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 404, _("Nicht gefunden."), "not_found")


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except`: a database that went away outside a view (the
    # session saved by its middleware) is a 503 too.
    if database_unreachable(sys.exc_info()[1]):
        return database_unavailable(request)
    return _respond(request, 500, _("Ein interner Fehler ist aufgetreten."), "server_error")


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After for a request that found the database unreachable. The page is
    rendered without the request's context processors: they read the session, the messages
    and the user from that very database."""
    body = database_unavailable_body()
    if _wants_json(request):
        response: HttpResponse = JsonResponse(body, status=503)
    else:
        page = render_to_string("unavailable.html", {"detail": body["detail"]})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response
