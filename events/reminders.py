"""Reminders before each session of an event, each sent once (a beat sweep)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from events.models import Event, EventSession, Registration
from events.notifications import dedup_key, fan_out
from events.waitinglist import sessions_of
from notifications.models import Notification

CONFIRMED = Registration.Status.CONFIRMED


def send_reminders(*, now: datetime | None = None) -> int:
    """Remind confirmed participants settings.REMINDER_EVENT_HOURS before each session.

    Each reminder once: its key holds the session's number and start and the lead time, so a
    moved session is reminded again at its new time, never at the old one (not the SEQUENCE:
    it also rises when one participant cancels, which must not remind everybody again).
    Cancelled registrations are not confirmed and get none.
    """
    now = now or timezone.now()
    written = 0
    for hours in settings.REMINDER_EVENT_HOURS:
        due = (
            EventSession.objects.filter(
                event__status=Event.Status.PUBLISHED,
                start__gt=now,
                start__lte=now + timedelta(hours=hours),
            )
            .values_list("event_id", flat=True)
            .distinct()
        )
        for event_id in due:
            with transaction.atomic():
                event = Event.objects.get(pk=event_id)
                sessions = sessions_of(event)
                spans = [(s.start, s.end) for s in sessions]
                for number, session in enumerate(sessions, 1):
                    if not now < session.start <= now + timedelta(hours=hours):
                        continue
                    key = f"remind.{session.start.astimezone(UTC):%Y%m%dT%H%M%S}.s{number}.h{hours}"
                    confirmed = list(
                        Registration.objects.filter(event=event, status=CONFIRMED).order_by(
                            "created_at", "id"
                        )
                    )
                    sent = set(
                        Notification.objects.filter(
                            dedup_key__startswith=f"events.{event.pk}.reg.",
                            dedup_key__endswith=f".{key}",
                        ).values_list("dedup_key", flat=True)
                    )
                    todo = [r for r in confirmed if dedup_key(r, key) not in sent]
                    fan_out(
                        event=event,
                        registrations=todo,
                        template="event_reminder",
                        key=key,
                        now=now,
                        method=None,
                        sessions=spans,
                        extra={"session": session, "number": number},
                    )
                    written += len(todo)
    return written
