"""Error responses outside DRF views: JSON in the API's shape under /api/, pages elsewhere."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from config.exceptions import error_body


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
    return _respond(request, 500, _("Ein interner Fehler ist aufgetreten."), "server_error")
