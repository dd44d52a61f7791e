"""Celery tasks of the events: beat sweeps, thin, idempotent (found by autodiscovery)."""

from __future__ import annotations

from celery import shared_task

from events import reminders, retention, waitinglist


@shared_task(name="events.expire_holds")
def expire_registration_holds() -> int:
    """Unconfirmed holds past REGISTRATION_HOLD_HOURS free their places for the next in line."""
    return waitinglist.expire_holds()


@shared_task(name="events.send_reminders")
def send_event_reminders() -> int:
    """Reminders REMINDER_EVENT_HOURS before each session, each once (keyed by its start)."""
    return reminders.send_reminders()


@shared_task(name="events.anonymise_participants")
def anonymise_participants() -> int:
    """Participants' personal data go PARTICIPANT_DATA_RETENTION_DAYS after the event."""
    return retention.anonymise_past_participants()
