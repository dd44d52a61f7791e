"""Two-factor authentication (allauth.mfa, TOTP with recovery codes): who has it, who must
have it, and checking a code outside allauth's pages (API token, account deletion)."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db import transaction

from core.roles import is_coordinator


def has_two_factor(user: Any) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def two_factor_missing(user: Any) -> bool:
    """A coordinator without 2FA where it is required (MFA_REQUIRED_FOR_COORDINATORS)."""
    return (
        settings.MFA_REQUIRED_FOR_COORDINATORS and is_coordinator(user) and not has_two_factor(user)
    )


def verify_code(user: Any, code: str) -> bool:
    """A current TOTP code, or an unused recovery code (used up by this check). A TOTP code
    counts once: allauth remembers it in the cache for its validity window."""
    code = (code or "").strip().replace(" ", "")
    if not code or len(code) > 16:
        return False
    with transaction.atomic():  # a recovery code is locked while it is used up
        for authenticator in Authenticator.objects.filter(user=user).exclude(
            type=Authenticator.Type.WEBAUTHN
        ):
            if authenticator.wrap().validate_code(code):
                authenticator.record_usage()
                return True
    return False
