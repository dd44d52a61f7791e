"""Demo consultation bookings for the demo experts (idempotent), then the events' demo data."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from bookings import selectors, services
from bookings.models import ConsultationBooking
from consult.models import ConsultationRequest
from core.errors import DomainError
from experts.models import ExpertProfile

DEMO_BOOKINGS = 4
BERLIN = ZoneInfo("Europe/Berlin")


def _staff_user(request: ConsultationRequest) -> Any:
    membership = request.plan.municipality.staff.select_related("user").first()
    return membership.user if membership else None


def _book_one(request: ConsultationRequest, experts: list[ExpertProfile], now: datetime) -> bool:
    actor = _staff_user(request)
    if actor is None:
        return False
    start = max(now, datetime.combine(request.earliest, time(), BERLIN))
    end = datetime.combine(request.latest + timedelta(days=1), time(), BERLIN)
    fitting = [
        e
        for e in experts
        if request.duration_minutes in (e.durations or [])
        and (request.format == "either" or request.format in (e.formats or []))
    ]
    earliest = selectors.earliest_slots(
        [e.pk for e in fitting], start=start, end=end, duration=request.duration_minutes, now=now
    )
    by_id = {e.pk: e for e in fitting}
    for expert_id, slot in earliest.items():
        if slot is None:
            continue
        try:
            booking = services.book(
                actor=actor,
                request_id=request.pk,
                expert_id=expert_id,
                start=slot,
                duration_minutes=request.duration_minutes,
            )
        except DomainError:
            continue
        if booking.status == ConsultationBooking.Status.REQUESTED and request.pk % 2:
            services.confirm(actor=by_id[expert_id].user, booking_id=booking.pk)
        return True
    return False


def seed(*, options: dict[str, Any], out: Any) -> None:
    now = timezone.now()
    experts = list(
        ExpertProfile.objects.filter(user__username__in=[f"expert-{n}" for n in range(1, 11)])
        .select_related("user")
        .order_by("pk")
    )
    requests = (
        ConsultationRequest.objects.filter(
            status__in=[ConsultationRequest.Status.OPEN, ConsultationRequest.Status.MATCHED],
            bookings__isnull=True,
        )
        .select_related("plan__municipality")
        .order_by("pk")
    )
    missing = DEMO_BOOKINGS - ConsultationBooking.objects.count()
    made = 0
    for request in requests:
        if made >= missing:
            break
        made += _book_one(request, experts, now)
    out.write(f"  Beratungstermine: {ConsultationBooking.objects.count()}")
