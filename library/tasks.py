"""Celery tasks of the library: thin, idempotent."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from library import services


@shared_task(name="library.remind_funding_deadlines")
def remind_funding_deadlines() -> int:
    """Daily: one reminder per eligible municipality for deadlines within 14 days (deduplicated)."""
    return services.remind_funding_deadlines(today=timezone.localdate())
