"""Celery tasks of the events: beat sweeps, thin, idempotent (imported by BookingsConfig.ready)."""

from __future__ import annotations

from celery import shared_task

from events import services as event_services


@shared_task(name="events.expire_holds")
def expire_registration_holds() -> int:
    """Unconfirmed holds past REGISTRATION_HOLD_HOURS free their places for the next in line."""
    return event_services.expire_holds()


@shared_task(name="events.send_reminders")
def send_event_reminders() -> int:
    """Reminders REMINDER_EVENT_HOURS before each session, each once (keyed by its start)."""
    return event_services.send_reminders()


@shared_task(name="events.anonymise_participants")
def anonymise_participants() -> int:
    """Participants' personal data go PARTICIPANT_DATA_RETENTION_DAYS after the event."""
    return event_services.anonymise_past_participants()
