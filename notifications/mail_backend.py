"""E-mail backend of the embedded default: one .eml file per message under var/mail/."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
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
