"""Shared steps of the account tests: TOTP codes, links out of outbox e-mails."""

from __future__ import annotations

import re
import time

from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)

from notifications.models import Notification

PERIOD = 30


def enable_totp(user) -> str:  # type: ignore[no-untyped-def]
    """Give the user a TOTP authenticator; returns its secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str, *, offset: int = 0) -> str:
    counter = int(time.time()) // PERIOD + offset
    return format_hotp_value(hotp_value(secret, counter))


def mails_to(address: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=address).order_by("id"))


def link_in(notification: Notification) -> str:
    """The path of the first link to this service in an e-mail's text."""
    match = re.search(r"https?://[^/\s]+(/\S+)", notification.body_text)
    assert match, notification.body_text
    return match.group(1)
