"""Seats and the waiting list of an event: the event lock, lapsed holds, promotion of the first
in line, and giving a seat back. Every function here runs under `lock_event`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import locking
from core.errors import NotFound
from events.models import Event, EventSession, Registration
from events.notifications import notify

PENDING = Registration.Status.PENDING
CONFIRMED = Registration.Status.CONFIRMED
WAITLISTED = Registration.Status.WAITLISTED
CANCELLED = Registration.Status.CANCELLED
EXPIRED = Registration.Status.EXPIRED


def lock_event(event_id: int) -> Event:
    """The event, locked for the rest of the caller's transaction: seats are counted and
    changed under this lock only (invariant 2). 404 if there is no such event."""
    event = locking.lock(Event.objects.filter(pk=event_id))
    if event is None:
        raise NotFound(_("Diese Veranstaltung gibt es nicht."))
    return event


def sessions_of(event: Event) -> list[EventSession]:
    return list(EventSession.objects.filter(event=event).order_by("start", "id"))


def seats_taken(event: Event, *, now: datetime) -> int:
    return Registration.objects.holding_seats(now).filter(event=event).count()


def expire_lapsed(event: Event, *, now: datetime) -> int:
    """End the holds of `event` that were not confirmed in time (they hold nothing already)."""
    return (
        Registration.objects.lapsed(now)
        .filter(event=event)
        .update(status=EXPIRED, holds_seat=False, hold_expires_at=None)
    )


def settle(event: Event, *, now: datetime, sessions: Sequence[EventSession] | None = None) -> None:
    """End lapsed holds of `event` and promote the first in line into the free seats."""
    expire_lapsed(event, now=now)
    promote(event, now=now, sessions=sessions)


def promote(
    event: Event, *, now: datetime, sessions: Sequence[EventSession] | None = None
) -> list[Registration]:
    """Give free seats to the first in line (arrival order): waiting-list entries become
    confirmed (with an invitation), unconfirmed places in line a held seat to confirm."""
    if event.status != Event.Status.PUBLISHED:
        return []
    free = event.capacity - seats_taken(event, now=now)
    if free <= 0:
        return []
    line = list(
        Registration.objects.in_line(now).filter(event=event).order_by("created_at", "id")[:free]
    )
    if not line:
        return []
    sessions = list(sessions) if sessions is not None else sessions_of(event)
    if sessions and sessions[0].start <= now:
        return []  # the event has begun: nobody is pulled in any more
    _seat(line, event=event, sessions=sessions, now=now)
    return line


def promote_one(registration: Registration, event: Event, *, now: datetime) -> Registration | None:
    """Give a free seat to `registration`, wherever it stands in line (a coordinator's
    choice); None if no seat is free, the event has begun or it is not in line."""
    if event.status != Event.Status.PUBLISHED or not registration.is_in_line(now):
        return None
    if event.capacity - seats_taken(event, now=now) <= 0:
        return None
    sessions = sessions_of(event)
    if sessions and sessions[0].start <= now:
        return None
    _seat([registration], event=event, sessions=sessions, now=now)
    return registration


def _seat(
    line: list[Registration], *, event: Event, sessions: Sequence[EventSession], now: datetime
) -> None:
    # Whoever still has to confirm gets a fresh hold from now: the e-mail saying a seat is free
    # may arrive minutes before their old one lapsed. Never past the event's start.
    confirm_by = now + timedelta(hours=settings.REGISTRATION_HOLD_HOURS)
    if sessions:
        confirm_by = min(confirm_by, sessions[0].start)
    for registration in line:
        registration.holds_seat = True
        if registration.status == WAITLISTED:
            registration.status = CONFIRMED
        elif registration.hold_expires_at is not None:
            registration.hold_expires_at = max(registration.hold_expires_at, confirm_by)
    Registration.objects.bulk_update(line, ["holds_seat", "status", "hold_expires_at"])
    for registration in line:
        confirmed = registration.status == CONFIRMED
        notify(
            registration,
            "registration_promoted",
            event=event,
            sessions=sessions,
            now=now,
            key=f"promoted.{'confirmed' if confirmed else 'held'}",
            method="REQUEST" if confirmed else None,
            extra={"needs_confirmation": not confirmed},
        )


def release(
    registration: Registration, event: Event, *, now: datetime, by_participant: bool
) -> Registration:
    """Cancel a registration (its seat or place in line goes back; the first in line moves
    up). Idempotent: an ended registration is returned as it is."""
    if registration.status not in Registration.LIVE:
        return registration
    was_confirmed = registration.status == CONFIRMED
    freed = registration.holds_seat
    registration.status = CANCELLED
    registration.holds_seat = False
    registration.hold_expires_at = None
    registration.cancelled_at = now
    registration.save(update_fields=["status", "holds_seat", "hold_expires_at", "cancelled_at"])
    sessions = sessions_of(event)
    if was_confirmed:
        # The participant's calendar entry changes (it is cancelled): RFC 5546 wants SEQUENCE
        # raised, and a later REQUEST for the same UID (registering again, a promotion) must
        # not be older than this CANCEL, so the event's SEQUENCE itself goes up.
        event.sequence += 1
        event.save(update_fields=["sequence", "updated_at"])
    if registration.confirmed_at is not None:  # unconfirmed addresses get no further mail
        notify(
            registration,
            "registration_cancelled",
            event=event,
            sessions=sessions,
            now=now,
            method="CANCEL" if was_confirmed else None,
            extra={"by_participant": by_participant},
        )
    if freed:
        settle(event, now=now, sessions=sessions)
    return registration


def expire_holds(*, now: datetime | None = None) -> int:
    """The sweep (every few minutes): end lapsed holds and give their places to the next in
    line. Returns the number of events settled."""
    now = now or timezone.now()
    event_ids = list(
        Registration.objects.lapsed(now).values_list("event_id", flat=True).distinct().order_by()
    )
    for event_id in event_ids:
        with transaction.atomic(durable=True):
            settle(lock_event(event_id), now=now)
    return len(event_ids)
