"""An e-mail backend for in-process tests that answers like an SMTP server told to (4xx, 5xx)."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class ScriptedBackend(BaseEmailBackend):
    """Class-level script: ``refuse`` (temporary 451), ``reject`` (addresses refused with 550),
    ``time_out`` (the server does not answer within the timeout)."""

    sent: list[EmailMessage] = []
    refuse = False
    time_out = False
    reject: set[str] = set()
    opened = 0

    @classmethod
    def reset(cls) -> None:
        cls.sent, cls.refuse, cls.time_out, cls.reject, cls.opened = [], False, False, set(), 0

    def open(self) -> bool:
        type(self).opened += 1
        return False

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            if type(self).time_out:
                raise TimeoutError("timed out")
            if type(self).refuse:
                raise smtplib.SMTPDataError(451, b"4.3.0 try again later")
            refused = {
                address: (550, b"5.1.1 no such user")
                for address in message.recipients()
                if address in type(self).reject
            }
            if refused:
                raise smtplib.SMTPRecipientsRefused(refused)
            type(self).sent.append(message)
        return len(email_messages)
