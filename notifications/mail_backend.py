"""E-mail backends: one .eml file per message under var/mail/ (the embedded default), and SMTP
that waits longer for the server's answer to a message than for anything else."""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends import smtp
from django.core.mail.backends.base import BaseEmailBackend


class EmlFileBackend(BaseEmailBackend):
    """Writes each message as a complete RFC 5322 file, attachments intact (open it in a client)."""

    def __init__(self, file_path: str | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            data = message.message().as_bytes(linesep="\r\n")
            name = self.directory / f"{uuid.uuid4().hex}.eml"
            tmp = name.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(name)  # atomic: a reader never sees half a message
            sent += 1
        return sent


class _PatientData:
    """The reply to the end of DATA is where a server stores the message (virus scan, queue
    write): RFC 5321 4.5.3.2.6 gives it 10 minutes. Giving up after EMAIL_TIMEOUT there means
    the message is likely kept and will go out a second time on retry, so only that wait gets
    EMAIL_DATA_TIMEOUT; connecting and every other command keep the short EMAIL_TIMEOUT."""

    sock: Any
    timeout: float

    def data(self, msg: bytes | str) -> tuple[int, bytes]:
        if self.sock is not None:
            self.sock.settimeout(settings.EMAIL_DATA_TIMEOUT)
        try:
            return super().data(msg)  # type: ignore[misc]
        finally:
            if self.sock is not None:
                self.sock.settimeout(self.timeout)


class _PatientSMTP(_PatientData, smtplib.SMTP):
    pass


class _PatientSMTPSSL(_PatientData, smtplib.SMTP_SSL):
    pass


class PatientSmtpBackend(smtp.EmailBackend):
    """Django's SMTP backend with the longer wait for DATA's reply (``_PatientData``)."""

    @property
    def connection_class(self) -> type[smtplib.SMTP]:
        return _PatientSMTPSSL if self.use_ssl else _PatientSMTP
