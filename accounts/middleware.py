"""Coordinators set up two-factor authentication before anything else, where it is required
(MFA_REQUIRED_FOR_COORDINATORS; off in the embedded run)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.two_factor import two_factor_missing
from config.exceptions import error_body

# Paths a coordinator without 2FA may still use: setting it up (allauth re-asks the password
# first), logging out, the language switch, static files and the probes.
_OPEN_PREFIXES = ("/konto/2fa/", "/konto/reauthenticate/", "/logout/", "/konto/logout/", "/i18n/")


class CoordinatorTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.MFA_REQUIRED_FOR_COORDINATORS
            and request.user.is_authenticated
            and not request.path.startswith(_OPEN_PREFIXES)
            and not request.path.startswith("/" + settings.STATIC_URL.lstrip("/"))
            and two_factor_missing(request.user)
        ):
            message = _(
                "Als Koordinator*in richten Sie bitte zuerst die Zwei-Faktor-Anmeldung ein."
            )
            if request.path.startswith("/api/"):
                return JsonResponse(error_body(message, "two_factor_setup_required"), status=403)
            messages.warning(request, message)
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
