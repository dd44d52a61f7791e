"""Periodic sweeps of consultation bookings: lapsed holds released, reminders queued."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bookings.booking_notifications import notify_reminders
from bookings.models import ConsultationBooking
from bookings.slot_checks import release_holds

Status = ConsultationBooking.Status


def expire_holds(*, now: datetime | None = None) -> int:
    """Release every hold past its expiry (periodic; idempotent). Returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        return release_holds(
            ConsultationBooking.objects.filter(status=Status.HELD, hold_expires_at__lte=now),
            now=now,
        )


def send_due_reminders(*, now: datetime | None = None) -> int:
    """Queue the reminders that are due (periodic; idempotent). Returns how many were queued.

    For each entry h of ``settings.REMINDER_CONSULTATION_HOURS`` a confirmed consultation gets
    one reminder when it starts within h hours but later than the next smaller entry (so a
    booking made 2 hours ahead gets the 1-hour reminder only). The dedup key carries the
    booking's SEQUENCE: after a reschedule the reminders of the new time are new rows, and
    the rows of the old time, if not yet written, never will be.
    """
    now = now or timezone.now()
    hours = sorted(set(settings.REMINDER_CONSULTATION_HOURS))
    queued = 0
    with transaction.atomic():
        for index, h in enumerate(hours):
            lower = hours[index - 1] if index else 0
            due = (
                ConsultationBooking.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("expert__user", "request__plan__municipality", "created_by")
                .filter(
                    status=Status.CONFIRMED,
                    start__gt=now + timedelta(hours=lower),
                    start__lte=now + timedelta(hours=h),
                )
                .order_by("start", "id")
            )
            queued += notify_reminders(list(due), hours=h, now=now)
    return queued
