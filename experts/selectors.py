"""Reads of the experts app that feed the pure slot maths (experts/slots.py) from the ORM.

Busy time (bookings) is always passed in as ``busy=``: the caller above reads it for the range
that ``busy_range`` names. The busy time of the expert's own calendars (experts/calendars.py) is
added here, in ``slot_inputs`` and ``earliest_slots``: experts owns the calendars.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from core.roles import is_coordinator
from experts import calendars
from experts.models import (
    AvailabilityException,
    AvailabilityRule,
    CalendarConnection,
    ExpertProfile,
    ExpertTopic,
)
from experts.slots import (
    Busy,
    ExceptionWindow,
    Reason,
    Slot,
    SlotPolicy,
    WeeklyWindow,
    check_slot,
    earliest_free_slot,
    free_slots,
)

__all__ = [
    "SlotInputs",
    "availability_of",
    "availability_window",
    "busy_range",
    "busy_span",
    "calendar_busy",
    "check_slot_for",
    "earliest_slot",
    "earliest_slots",
    "exceptions_shown_from",
    "experts_with_availability",
    "free_slots_for",
    "json_list_has",
    "public_profiles",
    "slot_exceptions",
    "slot_inputs",
    "slot_policy",
    "slot_windows",
]


def slot_policy(expert: ExpertProfile, *, step_minutes: int = 30) -> SlotPolicy:
    """The expert's booking rules as the slot maths wants them."""
    return SlotPolicy(
        tz=expert.timezone,
        durations_minutes=tuple(int(d) for d in expert.durations or ()),
        buffer_before_minutes=expert.buffer_before_minutes,
        buffer_after_minutes=expert.buffer_after_minutes,
        min_notice_minutes=expert.min_notice_hours * 60,
        horizon_days=expert.horizon_days,
        max_per_day=expert.max_per_day,
        max_per_week=expert.max_per_week,
        step_minutes=step_minutes,
    )


def slot_windows(expert: ExpertProfile) -> list[WeeklyWindow]:
    """The weekly rules (uses a prefetched ``rules`` when there is one)."""
    return [
        WeeklyWindow(r.weekday, r.start_time, r.end_time, r.valid_from, r.valid_until)
        for r in expert.rules.all()
    ]


def slot_exceptions(
    expert: ExpertProfile, *, first: date | None = None, last: date | None = None
) -> list[ExceptionWindow]:
    """The exceptions between the local dates ``first`` and ``last`` (both inclusive).

    Uses a prefetched ``exceptions`` when there is one (then filtered here in Python); else
    only the dates' rows are read (an expert's past exceptions pile up over the years).
    """
    rows = expert.exceptions.all()
    if "exceptions" not in getattr(expert, "_prefetched_objects_cache", {}):
        if first is not None:
            rows = rows.filter(date__gte=first)
        if last is not None:
            rows = rows.filter(date__lte=last)
    return [
        ExceptionWindow(day=e.date, start=e.start_time, end=e.end_time, kind=e.kind)
        for e in rows
        if (first is None or e.date >= first) and (last is None or e.date <= last)
    ]


def busy_range(expert: ExpertProfile, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The range whose bookings decide the slots in ``[start, end)``.

    Widened by the expert's buffers (a booking's buffered range may reach into the requested
    range), and to the local days or ISO weeks (in the expert's zone) that a per-day or
    per-week limit counts. Without limits only the bookings near the range matter: checking one
    slot then reads the few bookings around it, not a whole week's.
    """
    margin = timedelta(minutes=expert.buffer_before_minutes + expert.buffer_after_minutes)
    if expert.max_per_week is None and expert.max_per_day is None:
        return start - margin, end + margin
    zone = ZoneInfo(expert.timezone)
    first = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    if expert.max_per_week is not None:
        first = first - timedelta(days=first.weekday())
        last = last + timedelta(days=6 - last.weekday())
    # Local midnights through the zone: the UTC offset may differ at the two ends (DST).
    range_start = datetime.combine(first, time(), zone)
    range_end = datetime.combine(last + timedelta(days=1), time(), zone)
    return range_start - margin, range_end + margin


def _local_dates(expert: ExpertProfile, start: datetime, end: datetime) -> tuple[date, date]:
    zone = ZoneInfo(expert.timezone)
    return start.astimezone(zone).date(), end.astimezone(zone).date()


@dataclass(frozen=True, slots=True)
class SlotInputs:
    """Everything ``experts.slots`` needs for one expert and one range."""

    windows: list[WeeklyWindow]
    exceptions: list[ExceptionWindow]
    busy: list[Busy]
    policy: SlotPolicy

    def as_kwargs(self) -> dict[str, object]:
        return {
            "windows": self.windows,
            "exceptions": self.exceptions,
            "busy": self.busy,
            "policy": self.policy,
        }


def calendar_busy(
    experts: Sequence[ExpertProfile], start: datetime, end: datetime
) -> dict[int, list[Busy]]:
    """The busy time of the experts' own calendars in ``[start, end)``: one query, none when
    ``experts_with_availability`` found that none of them has a calendar."""
    ids = [e.pk for e in experts if getattr(e, "has_calendars", True)]
    return calendars.busy_for(ids, start, end) if ids else {}


def slot_inputs(
    expert: ExpertProfile,
    *,
    start: datetime,
    end: datetime,
    busy: Iterable[Busy],
    own_calendars: Sequence[Busy] | None = None,
) -> SlotInputs:
    """The slot maths' inputs for ``expert`` in ``[start, end)`` with the given busy time and
    that of the expert's own calendars (``own_calendars``, read here when not given)."""
    first, last = _local_dates(expert, start, end)
    if own_calendars is None:
        own_calendars = calendar_busy([expert], *busy_range(expert, start, end)).get(expert.pk, [])
    return SlotInputs(
        windows=slot_windows(expert),
        exceptions=slot_exceptions(expert, first=first, last=last),
        busy=[*busy, *own_calendars],
        policy=slot_policy(expert),
    )


def free_slots_for(
    expert: ExpertProfile,
    *,
    start: datetime,
    end: datetime,
    duration: int,
    now: datetime,
    busy: Iterable[Busy],
) -> list[Slot]:
    """The expert's free slots of ``duration`` minutes in ``[start, end)``."""
    inputs = slot_inputs(expert, start=start, end=end, busy=busy)
    return free_slots(
        **inputs.as_kwargs(), now=now, start=start, end=end, duration_minutes=duration
    )  # type: ignore[arg-type]


def check_slot_for(
    expert: ExpertProfile,
    *,
    start: datetime,
    duration: int,
    now: datetime,
    busy: Iterable[Busy],
) -> Reason | None:
    """Why ``expert`` cannot be booked at ``start`` for ``duration`` minutes, or None."""
    end = start + timedelta(minutes=duration)
    inputs = slot_inputs(expert, start=start, end=end, busy=busy)
    return check_slot(**inputs.as_kwargs(), now=now, start=start, duration_minutes=duration)  # type: ignore[arg-type]


def experts_with_availability(
    expert_ids: Iterable[int], *, first: date | None = None, last: date | None = None
) -> QuerySet[ExpertProfile]:
    """Profiles with their rules and (the dates' or all) exceptions: three queries in all."""
    exceptions = AvailabilityException.objects.order_by("date", "start_time")
    if first is not None:
        exceptions = exceptions.filter(date__gte=first)
    if last is not None:
        exceptions = exceptions.filter(date__lte=last)
    return (
        ExpertProfile.objects.filter(pk__in=list(expert_ids))
        .annotate(has_calendars=Exists(CalendarConnection.objects.filter(expert=OuterRef("pk"))))
        .prefetch_related(
            Prefetch("rules", queryset=AvailabilityRule.objects.order_by("weekday", "start_time")),
            Prefetch("exceptions", queryset=exceptions),
        )
    )


def json_list_has(field: str, value: str) -> Q:
    """Rows whose JSON list `field` contains `value` (PostgreSQL: jsonb @>; else the text)."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__contains": [value]})
    # SQLite has no JSON containment; the list is stored as JSON text with ASCII escapes, and
    # the quotes around the needle make it match a whole item ("Sachsen", not "Sachsen-Anhalt").
    return Q(**{f"{field}__icontains": json.dumps(value)})


def public_profiles(viewer: Any) -> QuerySet[ExpertProfile]:
    """The profiles ``viewer`` may read, with their topic levels (highest first): active ones
    for everybody; an inactive one (paused, or not yet activated, so the matcher leaves it out)
    only for its owner and coordinators, "not found" for everyone else."""
    topic_levels = ExpertTopic.objects.select_related("topic").order_by(
        "-level", "topic__position", "topic__slug"
    )
    qs = ExpertProfile.objects.prefetch_related(Prefetch("topic_levels", queryset=topic_levels))
    if is_coordinator(viewer):
        return qs
    if getattr(viewer, "is_authenticated", False):
        return qs.filter(Q(active=True) | Q(user_id=viewer.pk))
    return qs.filter(active=True)


def exceptions_shown_from() -> date:
    """The first date whose exceptions the availability API shows (and a PUT replaces):
    yesterday, so that a zone ahead of the server's still sees its today."""
    return timezone.localdate() - timedelta(days=1)


def availability_of(expert_id: int) -> ExpertProfile:
    """One profile with all its rules and its exceptions from yesterday on (for the API)."""
    return experts_with_availability([expert_id], first=exceptions_shown_from()).get()


def availability_window(start: datetime, end: datetime) -> tuple[date, date]:
    """The local dates whose exceptions matter for ``[start, end)`` in any zone (a day of
    margin either side)."""
    return (start - timedelta(days=1)).date(), (end + timedelta(days=1)).date()


def busy_span(
    experts: Sequence[ExpertProfile], start: datetime, end: datetime
) -> tuple[datetime, datetime] | None:
    """One range covering ``busy_range`` of every expert (one query for all), or None."""
    ranges = [busy_range(e, start, end) for e in experts]
    if not ranges:
        return None
    return min(r[0] for r in ranges), max(r[1] for r in ranges)


def earliest_slots(
    experts: Iterable[ExpertProfile],
    *,
    start: datetime,
    end: datetime,
    duration: int,
    now: datetime,
    busy: Mapping[int, Sequence[Busy]],
) -> dict[int, datetime | None]:
    """The earliest free slot start in ``[start, end)`` of each (active) expert, or None.

    ``experts`` come from ``experts_with_availability`` (rules and exceptions prefetched);
    ``busy`` holds each one's busy time over ``busy_span``. An expert who does not offer
    ``duration`` has no slot (None).
    """
    experts = list(experts)
    span = busy_span(experts, start, end)
    own = calendar_busy(experts, *span) if span is not None and start < end else {}
    result: dict[int, datetime | None] = {}
    for expert in experts:
        result[expert.pk] = (
            earliest_slot(
                expert,
                start=start,
                end=end,
                duration=duration,
                now=now,
                busy=busy.get(expert.pk, ()),
                own_calendars=own.get(expert.pk, []),
            )
            if expert.active and start < end
            else None
        )
    return result


def earliest_slot(
    expert: ExpertProfile,
    *,
    start: datetime,
    end: datetime,
    duration: int,
    now: datetime,
    busy: Iterable[Busy],
    own_calendars: Sequence[Busy] | None = None,
) -> datetime | None:
    """The earliest free slot start of one expert in ``[start, end)``, or None."""
    inputs = slot_inputs(expert, start=start, end=end, busy=busy, own_calendars=own_calendars)
    slot = earliest_free_slot(
        **inputs.as_kwargs(), now=now, start=start, end=end, duration_minutes=duration
    )  # type: ignore[arg-type]
    return slot.start if slot is not None else None
