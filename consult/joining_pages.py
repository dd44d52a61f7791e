"""The pages both kinds of application share (consult/membership_views.py,
experts/joining_views.py): the application form behind a limit per client, and the page the
confirmation link opens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation

from consult import joining
from consult.forms import add_domain_error
from core.errors import DomainError
from core.rate_limits import RateLimit, client_address


def page_language() -> str:
    """The page's language as an application stores it: English or German."""
    return "en" if (translation.get_language() or "de").startswith("en") else "de"


def link_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    return render(request, "consult/membership/link_error.html", {"error": error}, status=400)


def apply_page(
    request: HttpRequest,
    form: forms.Form,
    *,
    limit: RateLimit,
    apply: Callable[[Any], object],
    applied: str,
    template: str,
) -> HttpResponse:
    """The form; a POST counts against `limit` (429 past it), calls `apply(form)` when the form
    is valid and redirects to `applied`; a domain error goes next to its field."""
    if request.method == "POST":
        wait = limit.hit(client_address(request))
        if wait is not None:
            response = render(request, "consult/membership/throttled.html", status=429)
            response["Retry-After"] = str(wait)
            return response
        if form.is_valid():
            try:
                apply(form)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                return redirect(applied)
    return render(request, template, {"form": form}, status=400 if form.errors else 200)


def confirm_page(
    request: HttpRequest, token: str, *, kind: joining.Kind, templates: str
) -> HttpResponse:
    """GET shows a button; only its POST confirms (a mail scanner opening the link does not).
    `templates` is the folder of the kind's confirm.html and confirmed.html."""
    try:
        application = joining.application_for_token(kind, token)
        if request.method == "POST":
            application = joining.confirm_email(kind, token=token)
            return render(request, f"{templates}/confirmed.html", {"application": application})
    except DomainError as error:
        return link_error(request, error)
    return render(request, f"{templates}/confirm.html", {"application": application})
