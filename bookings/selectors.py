"""Reads of consultation bookings: scoped lists, busy intervals for the slot maths, feeds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import CharField, F, Q, QuerySet, Value

from bookings.meeting_rooms import RoomState, opens_at, room_state
from bookings.models import ConsultationBooking, ProposedSlot
from bookings.proposal_holds import held_q
from consult.models import Municipality
from core.roles import is_coordinator, municipality_id_of
from experts import selectors as expert_selectors
from experts.models import ExpertProfile
from experts.slots import Busy, Slot

Status = ConsultationBooking.Status
# How long a cancelled or declined booking stays in a calendar feed (as a removal).
FEED_CANCELLED_DAYS = 30
# How far back a feed reaches for past consultations.
FEED_PAST_DAYS = 180


ACTIVE = (Status.REQUESTED, Status.CONFIRMED)


def active_q(now: datetime) -> Q:
    """Bookings that occupy the expert's time at ``now`` (an expired hold no longer does)."""
    return Q(status__in=ACTIVE) | Q(status=Status.HELD, hold_expires_at__gt=now)


def _busy(booking: ConsultationBooking | dict[str, Any]) -> Busy:
    if isinstance(booking, dict):
        start, end = booking["start"], booking["end"]
        blocked_start, blocked_end = booking["blocked_start"], booking["blocked_end"]
    else:
        start, end = booking.start, booking.end
        blocked_start, blocked_end = booking.blocked_start, booking.blocked_end
    # The stored blocked range is the truth (buffers fixed when booked); rounded up so a
    # buffer that is not whole minutes is never shortened.
    return Busy(
        start=start,
        end=end,
        buffer_before_minutes=math.ceil((start - blocked_start).total_seconds() / 60),
        buffer_after_minutes=math.ceil((blocked_end - end).total_seconds() / 60),
    )


def _held_slots(
    expert_ids: Sequence[int],
    start: datetime,
    end: datetime,
    now: datetime,
    exclude_booking_id: int | None,
) -> QuerySet[ProposedSlot]:
    """Proposed slots held for counter-proposals (bookings/proposal_holds.py) in the range.

    They count like a hold, toward the per-day and per-week limits too: a proposal is a maybe
    the municipality can turn into the booking at any time until it lapses, and counting it
    keeps that acceptance possible. A booking's own proposals never block the booking itself
    (its reschedule, a new proposal that replaces them)."""
    rows = ProposedSlot.objects.filter(
        held_q(now), expert_id__in=list(expert_ids), blocked_start__lt=end, blocked_end__gt=start
    )
    if exclude_booking_id is not None:
        rows = rows.exclude(proposal__booking_id=exclude_booking_id)
    return rows


def busy_intervals(
    expert_ids: Sequence[int],
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    exclude_booking_id: int | None = None,
) -> dict[int, list[Busy]]:
    """Active bookings and held proposed slots of ``expert_ids`` whose blocked range overlaps
    ``[start, end)``, in one query."""
    rows = ConsultationBooking.objects.filter(
        active_q(now),
        expert_id__in=list(expert_ids),
        blocked_start__lt=end,
        blocked_end__gt=start,
    )
    if exclude_booking_id is not None:
        rows = rows.exclude(pk=exclude_booking_id)
    fields = ("expert_id", "start", "end", "blocked_start", "blocked_end")
    held = _held_slots(expert_ids, start, end, now, exclude_booking_id)
    result: dict[int, list[Busy]] = {pk: [] for pk in expert_ids}
    for row in rows.values(*fields).order_by().union(held.values(*fields).order_by(), all=True):
        result.setdefault(row["expert_id"], []).append(_busy(row))
    return result


@dataclass(frozen=True, slots=True)
class ExpertCalendar:
    """An expert's bookings around a range: what occupies time, and lapsed holds."""

    busy: list[Busy]
    # Holds past their expiry that no sweep has released yet: they occupy no time, but the
    # exclusion constraint still counts them until their status changes.
    lapsed_holds: list[int]


def calendar_for_expert(
    expert: ExpertProfile,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    exclude_booking_id: int | None = None,
) -> ExpertCalendar:
    """What decides the slots of ``expert`` in ``[start, end)`` (whole ISO weeks, buffers),
    with the lapsed holds in that range: one query (bookings and held proposed slots)."""
    busy_start, busy_end = expert_selectors.busy_range(expert, start, end)
    rows = ConsultationBooking.objects.filter(
        status__in=[Status.HELD, *ACTIVE],
        expert_id=expert.pk,
        blocked_start__lt=busy_end,
        blocked_end__gt=busy_start,
    )
    if exclude_booking_id is not None:
        rows = rows.exclude(pk=exclude_booking_id)
    fields = ("pk", "status", "hold_expires_at", "start", "end", "blocked_start", "blocked_end")
    held = _held_slots([expert.pk], busy_start, busy_end, now, exclude_booking_id).annotate(
        status=Value("proposed", output_field=CharField()),
        hold_expires_at=F("proposal__expires_at"),
    )
    busy: list[Busy] = []
    lapsed: list[int] = []
    for row in rows.values(*fields).order_by().union(held.values(*fields).order_by(), all=True):
        expires = row["hold_expires_at"]
        if row["status"] == Status.HELD and (expires is None or expires <= now):
            lapsed.append(row["pk"])  # exactly what active_q leaves out
        else:
            busy.append(_busy(row))
    return ExpertCalendar(busy=busy, lapsed_holds=lapsed)


def busy_for_expert(
    expert: ExpertProfile,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    exclude_booking_id: int | None = None,
) -> list[Busy]:
    """What decides the slots of ``expert`` in ``[start, end)`` (whole ISO weeks, buffers)."""
    return calendar_for_expert(
        expert, start=start, end=end, now=now, exclude_booking_id=exclude_booking_id
    ).busy


def free_slots_for(
    expert: ExpertProfile,
    *,
    start: datetime,
    end: datetime,
    duration: int,
    now: datetime,
    exclude_booking_id: int | None = None,
) -> list[Slot]:
    """The expert's free slots in ``[start, end)``: rules, exceptions and bookings applied
    (``exclude_booking_id``'s own time and proposals left out)."""
    busy = busy_for_expert(
        expert, start=start, end=end, now=now, exclude_booking_id=exclude_booking_id
    )
    return expert_selectors.free_slots_for(
        expert, start=start, end=end, duration=duration, now=now, busy=busy
    )


def earliest_slots(
    expert_ids: Sequence[int], *, start: datetime, end: datetime, duration: int, now: datetime
) -> dict[int, datetime | None]:
    """The earliest free slot of each expert in ``[start, end)``, or None (inactive, unknown,
    not offering ``duration``, nothing free).

    Built for the matcher's top K: three queries for the profiles, rules and exceptions plus
    one for the bookings of all K, whatever K is.
    """
    ids = list(dict.fromkeys(expert_ids))
    result: dict[int, datetime | None] = dict.fromkeys(ids)
    if not ids or end <= start:
        return result
    first, last = expert_selectors.availability_window(start, end)
    experts = [
        e
        for e in expert_selectors.experts_with_availability(ids, first=first, last=last)
        if e.active
    ]
    span = expert_selectors.busy_span(experts, start, end)
    if span is None:
        return result
    busy = busy_intervals([e.pk for e in experts], span[0], span[1], now)
    result.update(
        expert_selectors.earliest_slots(
            experts, start=start, end=end, duration=duration, now=now, busy=busy
        )
    )
    return result


def bookings_for(user: Any) -> QuerySet[ConsultationBooking]:
    """Coordinators: all; municipal staff: their municipality's; experts: their own (inv. 4)."""
    qs = ConsultationBooking.objects.select_related(
        "expert", "request__plan__municipality"
    ).order_by("start", "id")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if is_coordinator(user):
        return qs
    scope = Q(pk__in=[])
    municipality_id = municipality_id_of(user)
    if municipality_id is not None:
        scope |= Q(request__plan__municipality_id=municipality_id)
    expert_id = expert_id_of(user)
    if expert_id is not None:
        scope |= Q(expert_id=expert_id)
    return qs.filter(scope)


def expert_id_of(user: Any) -> int | None:
    """The ExpertProfile id of ``user``, or None (cached on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_expert_id", False)
    if cached is False:
        cached = ExpertProfile.objects.filter(user_id=user.pk).values_list("pk", flat=True).first()
        user._expert_id = cached
    return cached


@dataclass(frozen=True, slots=True)
class MeetingRoom:
    """A consultation's own online room as ``viewer`` finds it at ``now``."""

    booking: ConsultationBooking
    state: RoomState
    opens_at: datetime
    # The booking's expert moderates; everyone else with the link attends.
    moderator: bool
    # What the viewer is called in the room unless they type another name.
    display_name: str


def meeting_room(*, room: str, viewer: Any, now: datetime) -> MeetingRoom | None:
    """The consultation behind the room link ``room``; None for an unknown room and for a hold
    (its link was never sent to anyone), so that both are 404."""
    booking = (
        ConsultationBooking.objects.select_related("expert", "request__plan__municipality")
        .filter(room=room)
        .exclude(room="")
        .exclude(status=Status.HELD)
        .exclude(status=Status.CANCELLED, hold_expires_at__isnull=False)
        .first()
    )
    if booking is None:
        return None
    moderator = bool(getattr(viewer, "is_authenticated", False)) and (
        booking.expert.user_id == viewer.pk
    )
    if moderator:
        display_name = booking.expert.display_name
    elif getattr(viewer, "is_authenticated", False):
        display_name = viewer.get_full_name() or viewer.get_username()
    else:
        display_name = ""
    return MeetingRoom(
        booking=booking,
        state=room_state(status=booking.status, start=booking.start, end=booking.end, now=now),
        opens_at=opens_at(booking.start),
        moderator=moderator,
        display_name=display_name,
    )


def feed_owner(token: str) -> ExpertProfile | Municipality | None:
    """Whose feed ``token`` opens; both lookups always run, found or not (same path)."""
    expert = ExpertProfile.objects.filter(feed_token=token).first()
    municipality = Municipality.objects.filter(feed_token=token).first()
    return expert or municipality


def feed_bookings(
    owner: ExpertProfile | Municipality, *, now: datetime
) -> QuerySet[ConsultationBooking]:
    """Bookings of a feed: requested, confirmed and recent past ones, recently cancelled ones."""
    qs = ConsultationBooking.objects.select_related("expert", "request__plan__municipality")
    if isinstance(owner, ExpertProfile):
        qs = qs.filter(expert=owner)
    else:
        qs = qs.filter(request__plan__municipality=owner)
    return qs.filter(
        Q(
            status__in=[Status.REQUESTED, Status.CONFIRMED, Status.COMPLETED],
            end__gte=now - timedelta(days=FEED_PAST_DAYS),
        )
        | Q(
            status__in=[Status.CANCELLED, Status.DECLINED],
            updated_at__gte=now - timedelta(days=FEED_CANCELLED_DAYS),
            hold_expires_at__isnull=True,
        )
    ).order_by("start", "id")
