"""The back office's one gate: coordinators only; everyone else, anonymous too, gets 404."""

from __future__ import annotations

import functools
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from core.pages import View, in_viewer_zone
from core.roles import is_coordinator


def backoffice(view: View) -> View:
    """404 for anonymous visitors, staff and experts alike (not a login redirect: the back
    office does not exist for them); times in the viewer's zone."""
    zoned = in_viewer_zone(view)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not (request.user.is_authenticated and is_coordinator(request.user)):
            raise Http404
        return zoned(request, *args, **kwargs)

    return wrapper
