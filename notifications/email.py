"""Turns an outbox row into an e-mail that calendar clients act on (RFC 6047, iMIP).

Shape: multipart/mixed [ multipart/alternative [text/plain, text/html,
text/calendar; method=…; charset=utf-8], application/ics attachment "invite.ics" (base64,
same METHOD) ] — the form Outlook, Google Calendar, Apple Calendar and Thunderbird all recognise
as an invitation. Without an invitation it is multipart/alternative [text/plain, text/html].

Headers: From is the service, Reply-To the network's office (replies reach people, not the
sender mailbox), Message-ID is derived from the row and so the same on every attempt: a message
sent twice after a crash is recognisably one message, and clients that deduplicate do so.
Every header value built from user text goes through ``one_line``: no CR/LF, no injected header.
"""

from __future__ import annotations

import hashlib
import re
from email import encoders
from email.mime.base import MIMEBase
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, SafeMIMEText

from notifications.models import Notification

_CALENDAR = "text/calendar"
# The headers a row's `headers` may add; anything else there is ignored.
EXTRA_HEADERS = ("List-Unsubscribe", "List-Unsubscribe-Post", "List-Id")
# Anything a mail parser or str.splitlines() treats as a line break, plus other controls.
_BREAKS_AND_CONTROLS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(text: str, limit: int = 250) -> str:
    """Header-safe text: no CR/LF or other control characters, runs of white space folded."""
    return _BREAKS_AND_CONTROLS.sub(" ", text).strip()[:limit]


def message_id(notification: Notification) -> str:
    """The Message-ID of this row: stable across attempts, unique per row and installation."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(notification.dedup_key.encode("utf-8")).hexdigest()[:16]
    return f"<n{notification.pk}.{digest}@{domain}>"


class InvitationEmail(EmailMultiAlternatives):
    """An e-mail whose text/calendar alternative carries the iTIP ``method`` parameter."""

    def _create_mime_attachment(self, content, mimetype):  # type: ignore[no-untyped-def]
        if mimetype.startswith(_CALENDAR):
            method = mimetype.partition("method=")[2]
            part = SafeMIMEText(content, "calendar", "utf-8")
            part.set_param("method", method)
            return part
        return super()._create_mime_attachment(content, mimetype)


def build_email(notification: Notification) -> EmailMultiAlternatives:
    """The e-mail for one outbox row. Raises ValueError if the recipient is unusable."""
    name = one_line(notification.recipient_name, 200)
    address = notification.recipient.strip()
    if one_line(address) != address or not address:
        # An address with line breaks or controls is bad data, never a header to pass on.
        raise ValueError(f"unusable recipient address {address!r}")
    message = InvitationEmail(
        subject=one_line(notification.subject),
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((name, address)) if name else address],
        reply_to=[settings.REPLY_TO_EMAIL],
        headers={
            "Message-ID": notification.message_id or message_id(notification),
            # RFC 3834: no vacation auto-replies to an automated message.
            "Auto-Submitted": "auto-generated",
            "Content-Language": notification.language,
            **{
                name: one_line(str(value), 2000)
                for name, value in (notification.headers or {}).items()
                if name in EXTRA_HEADERS
            },
        },
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    if notification.ics:
        method = (notification.ics_method or "REQUEST").upper()
        message.attach_alternative(notification.ics, f"{_CALENDAR}; method={method}")
        attachment = MIMEBase("application", "ics", charset="utf-8", method=method)
        attachment.set_param("name", "invite.ics")
        attachment.set_payload(notification.ics.encode("utf-8"))
        encoders.encode_base64(attachment)
        attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
        message.attach(attachment)
    message.mixed_subtype = "mixed"
    return message
