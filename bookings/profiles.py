"""An expert's public profile as a municipality reads it: the profile (experts/) with what only
the bookings know, the feedback of completed consultations and the next free slots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Avg, Count

from bookings import selectors
from bookings.models import ConsultationBooking
from experts.models import ExpertProfile
from experts.selectors import public_profiles
from experts.slots import Slot

# A person picks from a handful; the slots page of a request shows the rest.
NEXT_SLOTS = 5


@dataclass(frozen=True, slots=True)
class Feedback:
    """Ratings of the expert's completed consultations (others carry no rating that counts)."""

    average: float | None
    count: int


@dataclass(frozen=True, slots=True)
class PublicProfile:
    expert: ExpertProfile
    feedback: Feedback
    next_slots: list[Slot]
    duration: int | None  # the slots' length: the first duration the expert offers


def feedback_of(expert_id: int) -> Feedback:
    """Average and number of the ratings of completed consultations: one query."""
    found = ConsultationBooking.objects.filter(
        expert_id=expert_id,
        status=ConsultationBooking.Status.COMPLETED,
        rating__isnull=False,
    ).aggregate(average=Avg("rating"), count=Count("id"))
    average = found["average"]
    return Feedback(None if average is None else round(float(average), 2), found["count"])


def next_slots(
    expert: ExpertProfile, *, now: datetime, count: int = NEXT_SLOTS
) -> tuple[list[Slot], int | None]:
    """The first ``count`` free slots within the expert's booking horizon, of the first
    duration they offer, busy time from the bookings and their own calendars applied."""
    durations = [int(d) for d in expert.durations or []]
    if not expert.active or not durations:
        return [], None
    end = now + timedelta(days=expert.horizon_days)
    slots = selectors.free_slots_for(expert, start=now, end=end, duration=durations[0], now=now)
    return slots[:count], durations[0]


def public_profile(viewer: Any, expert_id: int, *, now: datetime) -> PublicProfile | None:
    """The profile ``viewer`` may read (experts.selectors.public_profiles), or None: seven
    queries at most, whatever the profile holds."""
    expert = public_profiles(viewer).filter(pk=expert_id).first()
    if expert is None:
        return None
    return profile_of(expert, now=now)


def profile_of(expert: ExpertProfile, *, now: datetime) -> PublicProfile:
    slots, duration = next_slots(expert, now=now)
    return PublicProfile(expert, feedback_of(expert.pk), slots, duration)
