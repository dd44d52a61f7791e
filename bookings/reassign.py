"""A coordinator hands a consultation request to another expert.

The request's active booking (held, requested or confirmed) is cancelled with the reason
"neu zugeordnet" and the chosen expert's free slot is booked for the municipality, both in one
transaction through the lifecycle's own `cancel` and `book` (bookings/services.py), so the
rules, the locks, invariant 1 and the e-mails are theirs: the old expert gets a CANCEL, the new
expert the request (or the confirmation, if they confirm automatically), the municipality both.
If the new slot is taken or refused, nothing changes: the cancellation rolls back with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings import services, slot_checks
from bookings.models import ConsultationBooking
from consult.models import ConsultationRequest
from core.errors import Invalid, NotFound
from core.roles import is_coordinator

REASON = "neu zugeordnet"


def current_bookings(request_id: int) -> list[ConsultationBooking]:
    """The request's bookings that still take an expert's time (what a reassignment ends)."""
    return list(
        ConsultationBooking.objects.filter(
            request_id=request_id, status__in=ConsultationBooking.ACTIVE
        ).order_by("start", "id")
    )


def reassign(
    *,
    actor: Any,
    request_id: int,
    expert_id: int,
    start: datetime,
    note: str = "",
    now: datetime | None = None,
) -> ConsultationBooking:
    """Move request ``request_id`` to expert ``expert_id`` at ``start`` (coordinators only;
    for everyone else the request does not exist). The consultation keeps the request's
    duration; returns the new booking."""
    slot_checks.require_aware(start)
    now = now or timezone.now()
    request = ConsultationRequest.objects.filter(pk=request_id).first()
    if request is None or not is_coordinator(actor):
        raise NotFound(_("Anfrage nicht gefunden."), fields={"request": [_("Nicht gefunden.")]})
    reason = f"{REASON}: {note.strip()}" if note.strip() else REASON
    with transaction.atomic(durable=True):
        ending = current_bookings(request_id)
        if any(booking.expert_id == expert_id for booking in ending):
            raise Invalid(
                _("Die Anfrage liegt schon bei dieser Expert*in; den Termin bitte verlegen."),
                code="same_expert",
                fields={"expert": [_("Bitte eine andere Expert*in wählen.")]},
            )
        for booking in ending:
            services.cancel(actor=actor, booking_id=booking.pk, reason=reason, now=now, nested=True)
        return services.book(
            actor=actor,
            request_id=request_id,
            expert_id=expert_id,
            start=start,
            duration_minutes=request.duration_minutes,
            now=now,
            nested=True,
        )
