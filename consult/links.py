"""Signed, expiring, single-use links: confirming an application, setting a first password,
accepting an invitation. The signature stops tampering, its timestamp bounds the age, and a
nonce the link carries must still match what is stored, so a used link stops working."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.core import signing
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from core.errors import Invalid


def new_nonce() -> str:
    return secrets.token_hex(16)


def make_token(purpose: str, *parts: Any) -> str:
    return signing.dumps(list(parts), salt=f"consult.links.{purpose}")


def read_token(purpose: str, token: str, *, max_age: timedelta) -> list[Any]:
    """The parts of a token made by `make_token` for `purpose`; a clear 400 if it was changed,
    made for another purpose or is older than `max_age`."""
    try:
        parts = signing.loads(token, salt=f"consult.links.{purpose}", max_age=max_age)
    except signing.SignatureExpired:
        raise Invalid(
            _("Dieser Link ist abgelaufen. Bitte fordern Sie einen neuen an."), code="link_expired"
        ) from None
    except signing.BadSignature:
        raise Invalid(
            _("Dieser Link ist ungültig. Bitte kopieren Sie ihn vollständig aus der E-Mail."),
            code="link_invalid",
        ) from None
    if not isinstance(parts, list):
        raise Invalid(_("Dieser Link ist ungültig."), code="link_invalid")
    return parts


def used_link() -> Invalid:
    return Invalid(_("Dieser Link wurde schon verwendet und gilt nicht mehr."), code="link_used")


def password_fingerprint(user: Any) -> str:
    """Changes as soon as the password is set (or the user logs in): a set-password link
    carrying it works once."""
    last_login = user.last_login.replace(microsecond=0, tzinfo=None) if user.last_login else ""
    return salted_hmac(
        "consult.links.password", f"{user.pk}{user.password}{last_login}{user.is_active}"
    ).hexdigest()[:20]
