"""Shared steps of the membership tests: apply, read the link from the outbox."""

from __future__ import annotations

import re
from typing import Any

from notifications.models import Notification

LINK = re.compile(r"https?://[^\s\"'<>]+")


def application_data(**overrides: Any) -> dict[str, Any]:
    return {
        "organisation_name": "Leipzig",
        "kind": "stadt",
        "country": "DE",
        "state": "Sachsen",
        "ags": "14713000",
        "contact_name": "Lea Lindner",
        "email": "buergerhaushalt@leipzig.example",
        "language": "de",
        "consent": True,
        **overrides,
    }


def last_mail(recipient: str, kind: str | None = None) -> Notification:
    rows = Notification.objects.filter(recipient__iexact=recipient)
    if kind:
        rows = rows.filter(kind=kind)
    row = rows.order_by("-id").first()
    assert row is not None, f"no mail to {recipient} ({kind})"
    return row


def link_in(notification: Notification, path_part: str) -> str:
    for url in LINK.findall(notification.body_text):
        if path_part in url:
            return url
    raise AssertionError(f"no link with {path_part} in: {notification.body_text}")


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]
