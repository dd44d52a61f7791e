"""Celery tasks of experts' own calendars (thin: take ids and plain data, call a service)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from celery import shared_task

from experts import calendars

log = logging.getLogger(__name__)


def enqueue(task: Any, *args: Any) -> None:
    """Publish; with the broker down, the beat's sweep syncs later (a sync is never lost, only
    late). Call it after commit."""
    try:
        task.apply_async(args=list(args))
    except Exception:  # kombu raises many kinds
        log.warning("broker unavailable: %s left to the next sweep", task.name, exc_info=True)


@shared_task(name="experts.sync_calendar", soft_time_limit=90, time_limit=120)
def sync_calendar_task(connection_id: int) -> None:
    calendars.sync_calendar(connection_id=connection_id)


@shared_task(name="experts.sync_due_calendars")
def sync_due_calendars() -> int:
    """Every few minutes: one sync task per calendar not synced for CALENDAR_SYNC_MINUTES."""
    due = calendars.sync_due_calendars()
    for connection_id in due:
        enqueue(sync_calendar_task, connection_id)
    return len(due)


@shared_task(
    name="experts.push_booking",
    bind=True,
    max_retries=4,
    soft_time_limit=90,
    time_limit=120,
)
def push_booking_task(
    self: Any,
    expert_id: int,
    uid: str,
    start: str,
    end: str,
    summary: str,
    sequence: int = 0,
    description: str = "",
    location: str = "",
) -> None:
    """Write a confirmed (or moved) consultation into the expert's CalDAV calendars; times are
    ISO 8601 strings (JSON serialisation). Retries with backoff while a calendar fails (1 to 8
    minutes: below the broker's visibility timeout; a doubled run only writes the same UID)."""
    failed = calendars.push_booking(
        expert_id=expert_id,
        uid=uid,
        start=datetime.fromisoformat(start),
        end=datetime.fromisoformat(end),
        summary=summary,
        sequence=sequence,
        description=description,
        location=location,
    )
    if failed:
        raise self.retry(countdown=60 * 2**self.request.retries)


@shared_task(name="experts.remove_booking", bind=True, max_retries=4, soft_time_limit=90)
def remove_booking_task(self: Any, expert_id: int, uid: str) -> None:
    """Remove a cancelled consultation from the expert's CalDAV calendars."""
    if calendars.remove_booking(expert_id=expert_id, uid=uid):
        raise self.retry(countdown=60 * 2**self.request.retries)
