"""The audit trail's write path for changes made with QuerySet.update(), which sends no model
signal (compare-and-swap transitions): a django-auditlog entry like the signal's, with the acting
user taken from the request (coordination's middleware) or none for beat and workers."""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.db.models import Model


def record(obj: Model, changes: dict[str, Any]) -> None:
    """One UPDATE entry for `obj` with `changes` as {field: [old, new]}; values become text as
    auditlog writes them. Unchanged fields are left out, and no change writes nothing."""
    as_text = {
        name: [str(old), str(new)] for name, (old, new) in changes.items() if str(old) != str(new)
    }
    if as_text:
        LogEntry.objects.log_create(obj, action=LogEntry.Action.UPDATE, changes=as_text)
