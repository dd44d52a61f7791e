"""Pages of every account: login, the account page (/konto/), language, data export and
deletion. allauth serves password, e-mail and 2FA pages under /konto/ (templates here)."""

from __future__ import annotations

import json
from typing import Any

from allauth.account.internal.flows.login import perform_password_login
from allauth.account.models import Login
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.export import personal_data
from accounts.forms import (
    LOGIN_MAX_FAILURES,
    LOGIN_WINDOW_SECONDS,
    DeleteAccountForm,
    LanguageForm,
    LoginThrottled,
    ThrottledAuthenticationForm,
)
from accounts.two_factor import has_two_factor, verify_code
from core.errors import DomainError
from core.models import AccountPreference
from core.preferences import language_of, set_language


def remember_language(response: HttpResponse, language: str) -> HttpResponse:
    """Pages in the account's language from now on (the cookie Django's language switch sets)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
    )
    return response


def language_at_login(
    sender: Any, request: HttpRequest, response: Any, user: Any, **_: Any
) -> None:
    """After logging in (allauth's signal, 2FA done), pages follow the account's chosen
    language; an account that never chose keeps whatever the browser has."""
    chosen = AccountPreference.objects.filter(user=user).values_list("language", flat=True)
    if response is not None and (language := chosen.first()):
        remember_language(response, language)


class LoginView(auth_views.LoginView):
    """User name or e-mail and password, with a limit on failed attempts (beyond it a 429
    page says so clearly); then allauth's login steps, the 2FA code among them."""

    authentication_form = ThrottledAuthenticationForm
    template_name = "account/login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().post(request, *args, **kwargs)
        except LoginThrottled as throttled:
            response = render(
                request,
                "account/login_throttled.html",
                {"attempts": LOGIN_MAX_FAILURES, "minutes": LOGIN_WINDOW_SECONDS // 60},
                status=429,
            )
            response["Retry-After"] = str(throttled.retry_after)
            return response

    def form_valid(self, form: ThrottledAuthenticationForm) -> HttpResponse:
        # allauth's flow (internal API of the pinned version) records the password step, asks
        # for the 2FA code where the account has one, and then logs in.
        login = Login(user=form.get_user(), redirect_url=self.get_success_url())
        return perform_password_login(
            self.request, {"username": form.cleaned_data["username"]}, login
        )


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/account.html",
        {
            "two_factor": has_two_factor(request.user),
            "language": language_of(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def language(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST or None, initial={"language": language_of(request.user)})
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["language"]
        set_language(request.user, chosen)
        translation.activate(chosen)
        messages.success(request, _("Ihre Sprache ist gespeichert."))
        return remember_language(redirect("account"), chosen)
    return render(
        request, "accounts/language.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The JSON of "download my data" as a file."""
    body = json.dumps(personal_data(request.user), ensure_ascii=False, indent=2, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="meine-daten-{stamp}.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest) -> HttpResponse:
    two_factor = has_two_factor(request.user)
    form = DeleteAccountForm(request.POST or None, user=request.user, two_factor=two_factor)
    if request.method == "POST" and form.is_valid():
        if two_factor and not verify_code(request.user, form.cleaned_data["code"]):
            form.add_error("code", _("Der Code stimmt nicht."))
        else:
            try:
                services.delete_account(user=request.user)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                logout(request)
                messages.success(request, _("Ihr Konto ist gelöscht."))
                return redirect("home")
    return render(
        request,
        "accounts/delete.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
