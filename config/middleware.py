"""Refuses oversize request bodies before any view reads them (DRF's parsers read the raw
stream, which bypasses Django's DATA_UPLOAD_MAX_MEMORY_SIZE check)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from config.exceptions import error_body


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
