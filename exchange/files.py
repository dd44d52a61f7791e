"""Checks on post attachments: PDF, PNG or JPEG by their first bytes, at most
EXCHANGE_ATTACHMENT_MAX_BYTES each. The sniffing is the kernel's (core/uploads.py)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from core.errors import Invalid
from core.uploads import JPEG, PDF, PNG, FileType, sniff

ACCEPTED = (PDF, PNG, JPEG)
MAX_ATTACHMENTS = 5


def max_bytes() -> int:
    return int(getattr(settings, "EXCHANGE_ATTACHMENT_MAX_BYTES", 5 * 1_048_576))


def _refuse(message: str, code: str) -> Invalid:
    return Invalid(message, code=code, fields={"attachments": [message]})


def check_attachment(upload: UploadedFile) -> FileType:
    """The verified type of `upload`, or Invalid (field "attachments")."""
    if not upload.size:
        raise _refuse(_("Die Datei ist leer."), "file_empty")
    limit = max_bytes()
    if upload.size > limit:
        raise _refuse(
            _("Die Datei ist zu groß (höchstens %(kb)s KB).") % {"kb": limit // 1024},
            "file_too_large",
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    found = sniff(head)
    if found not in ACCEPTED:
        raise _refuse(_("Nur PDF-Dateien und Bilder (PNG, JPEG) sind erlaubt."), "file_type")
    extension = os.path.splitext(upload.name or "")[1].lower().lstrip(".")
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    if extension not in (found.extension, *found.aliases) or declared not in (
        "",
        "application/octet-stream",
        found.content_type,
    ):
        # A .pdf that is a PNG, or an image declared as text/html: refused, not renamed.
        raise _refuse(
            _("Dateiname oder Dateityp passen nicht zum Inhalt der Datei (erkannt: %(type)s).")
            % {"type": found.extension.upper()},
            "file_type_mismatch",
        )
    return found


def check_attachments(uploads: list[UploadedFile]) -> list[FileType]:
    if len(uploads) > MAX_ATTACHMENTS:
        raise _refuse(
            _("Höchstens %(n)s Anhänge je Beitrag.") % {"n": MAX_ATTACHMENTS}, "too_many_files"
        )
    return [check_attachment(upload) for upload in uploads]
