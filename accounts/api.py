"""The account API: the token login (user name or e-mail, and the 2FA code where the account
has one), "download my data" and "delete my account"."""

from __future__ import annotations

from typing import Any

from allauth.core import ratelimit
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import services
from accounts.export import personal_data
from accounts.two_factor import has_two_factor, two_factor_missing, verify_code
from core.errors import Forbidden, Invalid


class FailedLoginThrottle(ScopedRateThrottle):
    """The "login" rate counted over failed attempts only: once an address has used it up,
    every attempt is refused (the right password too), but logging in successfully never
    uses it up (scripts and a town hall behind one address log in many times a minute)."""

    def throttle_success(self) -> bool:
        return True  # counted by `record_failure` once the attempt failed

    def record_failure(self) -> None:
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(
        max_length=254, help_text="User name or e-mail address", trim_whitespace=True
    )
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    code = serializers.CharField(
        max_length=16, required=False, allow_blank=True, help_text="2FA code (TOTP or recovery)"
    )


def check_code(request: Request, user: Any, code: str) -> None:
    """Where the account has 2FA, a valid code is needed; wrong codes are limited per
    account (allauth's limit for codes, so guessing from many addresses does not help)."""
    if not has_two_factor(user):
        return
    if not code:
        raise Invalid(
            _("Für dieses Konto ist der Code aus der Authenticator-App nötig."),
            code="two_factor_required",
            fields={"code": [_("Bitte den Code aus der Authenticator-App angeben.")]},
        )
    key = f"mfa-auth-user-{user.pk}"
    if not ratelimit.consume(request._request, action="login_failed", key=key):
        raise exceptions.Throttled(detail=_("Zu viele falsche Codes, bitte später erneut."))
    if not verify_code(user, code):
        raise Invalid(
            _("Der Code stimmt nicht."),
            code="two_factor_invalid",
            fields={"code": [_("Der Code stimmt nicht.")]},
        )
    ratelimit.clear(request._request, action="login_failed", key=key)


class TokenView(APIView):
    """POST username (or e-mail) + password (+ code) → {"token": …}; throttled against
    guessing. Wrong credentials are 400, as they were with DRF's ObtainAuthToken."""

    authentication_classes: list[type] = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [FailedLoginThrottle]
    throttle_scope = "login"

    def get_throttles(self):  # type: ignore[no-untyped-def]
        self._throttles = super().get_throttles()
        return self._throttles

    def handle_exception(self, exc: Exception) -> Response:
        # Wrong or missing credentials or code, an unreadable body: a failed attempt. Throttled
        # attempts were refused before they were counted, so they do not extend the wait.
        if not isinstance(exc, exceptions.Throttled):
            for throttle in getattr(self, "_throttles", ()):
                if isinstance(throttle, FailedLoginThrottle) and getattr(throttle, "key", None):
                    throttle.record_failure()
        return super().handle_exception(exc)

    @extend_schema(
        request=TokenRequestSerializer,
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None:
            raise Invalid(
                _("Benutzername oder Passwort stimmt nicht."),
                code="invalid_credentials",
                fields={"non_field_errors": [_("Benutzername oder Passwort stimmt nicht.")]},
            )
        check_code(request, user, data.get("code", ""))
        if two_factor_missing(user):
            raise Forbidden(
                _("Richten Sie zuerst die Zwei-Faktor-Anmeldung ein (Seite „Mein Konto“)."),
                code="two_factor_setup_required",
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class DeleteRequestSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    code = serializers.CharField(max_length=16, required=False, allow_blank=True)


class MeView(APIView):
    """DELETE: delete my account (password, and the 2FA code where it is on) → 204."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=DeleteRequestSerializer, responses={204: None})
    def delete(self, request: Request) -> Response:
        serializer = DeleteRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not request.user.check_password(serializer.validated_data["password"]):
            raise Invalid(
                _("Das Passwort stimmt nicht."),
                code="wrong_password",
                fields={"password": [_("Das Passwort stimmt nicht.")]},
            )
        check_code(request, request.user, serializer.validated_data.get("code", ""))
        services.delete_account(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeExportView(APIView):
    """GET: everything the service holds about the caller, as JSON."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response(personal_data(request.user))
