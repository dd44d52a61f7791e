"""Turns an outbox row into an e-mail that calendar clients act on (RFC 6047, iMIP).

Shape: multipart/mixed [ multipart/alternative [text/plain, text/html,
text/calendar; method=…], application/ics attachment "invite.ics" ] — the form Outlook, Google
Calendar, Apple Calendar and Thunderbird all recognise as an invitation.
"""

from __future__ import annotations

import re
from email import encoders
from email.mime.base import MIMEBase
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, SafeMIMEText

from notifications.models import Notification

_CALENDAR = "text/calendar"


def one_line(text: str, limit: int = 250) -> str:
    """Header-safe text: no CR/LF (no header injection), runs of white space folded."""
    return re.sub(r"\s+", " ", text).strip()[:limit]


class InvitationEmail(EmailMultiAlternatives):
    def _create_mime_attachment(self, content, mimetype):  # type: ignore[no-untyped-def]
        if mimetype.startswith(_CALENDAR):
            method = mimetype.partition("method=")[2]
            part = SafeMIMEText(content, "calendar", "utf-8")
            part.set_param("method", method)
            return part
        return super()._create_mime_attachment(content, mimetype)


def build_email(notification: Notification) -> EmailMultiAlternatives:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    to = (
        formataddr((one_line(notification.recipient_name), notification.recipient))
        if notification.recipient_name
        else notification.recipient
    )
    message = InvitationEmail(
        subject=one_line(notification.subject),
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[settings.REPLY_TO_EMAIL],
        headers={
            # Stable per outbox row: a resend after a crash is recognisable as the same message.
            "Message-ID": notification.message_id
            or make_msgid(idstring=f"n{notification.pk}", domain=domain),
            "Auto-Submitted": "auto-generated",
        },
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    if notification.ics:
        method = notification.ics_method or "REQUEST"
        message.attach_alternative(notification.ics, f"{_CALENDAR}; method={method}")
        attachment = MIMEBase("application", "ics", name="invite.ics")
        attachment.set_payload(notification.ics.encode("utf-8"))
        encoders.encode_base64(attachment)
        attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
        message.attach(attachment)
    message.mixed_subtype = "mixed"
    return message
