"""Checks on uploaded files (library documents, forum attachments): size, and type by magic
bytes (not by name or header alone).

Accepted: PDF, PNG, JPEG, WebP. SVG and HTML are refused on purpose (script inside an "image").
The whole request is already capped by settings.UPLOAD_MAX_BYTES (middleware); one file may be
at most FILE_MAX_BYTES.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from core.errors import Invalid

FILE_MAX_BYTES = 10 * 1_048_576


@dataclass(frozen=True, slots=True)
class FileType:
    extension: str
    content_type: str
    aliases: tuple[str, ...] = ()


PDF = FileType("pdf", "application/pdf")
PNG = FileType("png", "image/png")
JPEG = FileType("jpg", "image/jpeg", ("jpeg",))
WEBP = FileType("webp", "image/webp")
ACCEPTED = (PDF, PNG, JPEG, WEBP)


def sniff(head: bytes) -> FileType | None:
    """The type the first bytes say, or None."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def _refuse(message: str, code: str) -> Invalid:
    return Invalid(message, code=code, fields={"file": [message]})


def check_upload(upload: UploadedFile) -> FileType:
    """The verified type of `upload`, or Invalid (field "file") if too big, unknown or lying."""
    if upload.size is None or upload.size == 0:
        raise _refuse(_("Die Datei ist leer."), "file_empty")
    if upload.size > FILE_MAX_BYTES:
        raise _refuse(
            _("Die Datei ist zu groß (höchstens %(mb)s MB).") % {"mb": FILE_MAX_BYTES // 1_048_576},
            "file_too_large",
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    found = sniff(head)
    if found is None:
        raise _refuse(_("Nur PDF-Dateien und Bilder (PNG, JPEG, WebP) sind erlaubt."), "file_type")
    extension = os.path.splitext(upload.name or "")[1].lower().lstrip(".")
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    name_agrees = extension in (found.extension, *found.aliases)
    header_agrees = declared in ("", "application/octet-stream", found.content_type)
    if not (name_agrees and header_agrees):
        raise _refuse(
            _("Dateiname oder Dateityp passen nicht zum Inhalt der Datei (erkannt: %(type)s).")
            % {"type": found.extension.upper()},
            "file_type_mismatch",
        )
    return found


def stored_name(found: FileType) -> str:
    """A fresh name for storage: never the uploader's (no path tricks, no collisions)."""
    return f"{uuid.uuid4().hex}.{found.extension}"


def display_name(name: str | None) -> str:
    """The uploader's file name, reduced to something safe to show and to send back."""
    base = os.path.basename((name or "").replace("\\", "/"))
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>')
    return cleaned[:200] or "datei"
