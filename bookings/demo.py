"""Demo consultation bookings for the demo experts, one with a message each way and one with the
expert's counter-proposal (bookings/demo_data/conversation.yaml); idempotent."""

from __future__ import annotations

import contextlib
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from bookings import messages, proposals, selectors, services
from bookings.models import BookingMessage, BookingProposal, ConsultationBooking
from consult.models import ConsultationRequest
from core import demo_data
from core.errors import DomainError
from experts.models import ExpertProfile

DEMO_BOOKINGS = 4
CONVERSATION: dict[str, Any] = demo_data.load("bookings", "conversation")
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
    _conversation(now)
    out.write(f"  Beratungstermine: {ConsultationBooking.objects.count()}")


def _conversation(now: datetime) -> None:
    """A message each way on the first coming consultation, and other times proposed by the
    expert of the first one still requested: through the services, like every user."""
    coming = (
        ConsultationBooking.objects.filter(
            status__in=[ConsultationBooking.Status.REQUESTED, ConsultationBooking.Status.CONFIRMED],
            start__gt=now,
        )
        .select_related("expert__user", "request__plan__municipality")
        .order_by("pk")
    )
    first = coming.first()
    if first is not None and not BookingMessage.objects.exists():
        staff = _staff_user(first.request)
        for entry in CONVERSATION["messages"]:
            author = first.expert.user if entry["side"] == "expert" else staff
            if author is not None:
                messages.post_message(actor=author, booking_id=first.pk, body=entry["body"])
    asked = coming.filter(status=ConsultationBooking.Status.REQUESTED).first()
    if asked is None or BookingProposal.objects.exists():
        return
    duration = int((asked.end - asked.start).total_seconds() // 60)
    free = selectors.free_slots_for(
        asked.expert,
        start=asked.start + timedelta(days=1),
        end=asked.start + timedelta(days=15),
        duration=duration,
        now=now,
        exclude_booking_id=asked.pk,
    )
    starts = [slot.start for slot in free[:: max(len(free) // 2, 1)][:2]]
    # DomainError: the clock moved past a slot while seeding; no proposal this time.
    with contextlib.suppress(DomainError):
        if starts:
            proposals.propose(
                actor=asked.expert.user,
                booking_id=asked.pk,
                starts=starts,
                note=CONVERSATION["proposal"]["note"],
            )
