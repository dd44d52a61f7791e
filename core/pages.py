"""What every page view shares: the viewer's time zone, role gates and domain errors as pages.

Views stay thin (form → one service call → redirect); this module holds the little glue they
all need so that no view repeats it.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from core.roles import is_coordinator, municipality_id_of

View = Callable[..., HttpResponse]
# The browser reports its zone in this cookie (a line of JS in base.html); Berlin until then.
TZ_COOKIE = "tz"


def viewer_zone(request: HttpRequest) -> zoneinfo.ZoneInfo:
    name = unquote(request.COOKIES.get(TZ_COOKIE, ""))
    if name and len(name) < 64:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def in_viewer_zone(view: View) -> View:
    """Render times in the viewer's own zone (the zone is named next to every time shown)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with timezone.override(viewer_zone(request)):
            response = view(request, *args, **kwargs)
            # Template responses render lazily: render inside the zone.
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    return wrapper


def _gate(allowed: Callable[[Any], bool]) -> Callable[[View], View]:
    """Anonymous users go to the login; logged-in users without the role get 404 (not 403:
    a page that is not theirs does not exist for them)."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not allowed(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def is_staff_member(user: Any) -> bool:
    return municipality_id_of(user) is not None


def is_municipal_staff(user: Any) -> bool:
    """Staff of a municipality (Gemeinde, Stadt, Landkreis, Bezirk): plans, consultation
    requests and their bookings are for them; members of the other kinds have none."""
    if not is_staff_member(user):
        return False
    cached = getattr(user, "_is_municipal_staff", None)
    if cached is None:
        cached = user._is_municipal_staff = user.municipal_staff.municipality.is_municipal
    return bool(cached)


def is_expert(user: Any) -> bool:
    try:
        return user.expert_profile is not None
    except Exception:  # RelatedObjectDoesNotExist: not an expert
        return False


staff_required = _gate(is_staff_member)
municipal_staff_required = _gate(is_municipal_staff)
expert_required = _gate(is_expert)


def coordinator_required(view: View) -> View:
    """The back office (`/koordination/…`) does not exist for anyone but coordinators: 404 for
    anonymous visitors too, not a login redirect (issue 19)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not (request.user.is_authenticated and is_coordinator(request.user)):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
