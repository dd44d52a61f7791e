"""The language an account wants its e-mails and pages in: read by every app that writes to a
person, set by the account itself (accounts/) or when the account is created (consult/)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULT_LANGUAGE = settings.LANGUAGE_CODE
SUPPORTED = frozenset(code for code, _name in settings.LANGUAGES)


def language_of(user: Any) -> str:
    """``de`` or ``en``: the account's choice, else the service's default (German).

    Reads the reverse one-to-one relation, so the preference costs no query when the caller
    loaded it with ``select_related("account_preference")``.
    """
    if user is None or getattr(user, "pk", None) is None:
        return DEFAULT_LANGUAGE
    try:
        language = user.account_preference.language
    except Exception:  # RelatedObjectDoesNotExist: never chosen
        return DEFAULT_LANGUAGE
    return language if language in SUPPORTED else DEFAULT_LANGUAGE


def set_language(user: Any, language: str) -> None:
    """Store the account's language (``de``/``en``); anything else is a ValueError."""
    from core.models import AccountPreference

    if language not in SUPPORTED:
        raise ValueError(f"unsupported language {language!r}")
    preference, _created = AccountPreference.objects.update_or_create(
        user=user, defaults={"language": language}
    )
    user.account_preference = preference
