"""Busy time of an expert's own calendar: iCalendar text and a window in, merged busy intervals
out. Pure (no ORM, no I/O); recurrences, zones and all-day events are the kept libraries' work.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import x_wr_timezone

from experts.slots import Busy

__all__ = ["OWN_EVENT_PROPERTY", "CalendarParseError", "busy_intervals", "merge"]

# Set on the consultations this service writes into an expert's CalDAV calendar: they are busy
# as bookings already, and a booking being rescheduled must not be blocked by its own copy.
OWN_EVENT_PROPERTY = "X-CONSULT-BOOKING"

# Recurrences this dense would expand into hundreds of thousands of occurrences a year (a
# feed of a few kilobytes could keep a worker busy for minutes); no diary needs them.
_TOO_DENSE = {"SECONDLY", "MINUTELY"}


class CalendarParseError(ValueError):
    """The data is not an iCalendar this module can read."""


def _zone(name: object) -> ZoneInfo | None:
    if not isinstance(name, str) or not name.strip():
        return None
    try:
        return ZoneInfo(name.strip())
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        windows = icalendar.timezone.windows_to_olson.WINDOWS_TO_OLSON.get(name.strip())
        return ZoneInfo(windows) if windows else None


def _parse(data: str | bytes) -> list[icalendar.Calendar]:
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise CalendarParseError(f"not an iCalendar: {exc}") from exc
    calendars = [c for c in calendars if c.name == "VCALENDAR"]
    if not calendars:
        raise CalendarParseError("not an iCalendar: no VCALENDAR")
    return calendars


def _aware(value: date | datetime, zone: tzinfo) -> datetime:
    """An occurrence's bound as an aware instant: a date is local midnight in ``zone``, a
    floating time is read in ``zone``."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), zone)
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=zone)
    return value


def _bounds(event: icalendar.Event, zone: tzinfo) -> tuple[datetime, datetime] | None:
    start = event.decoded("DTSTART", None)
    if start is None:
        return None
    end = event.decoded("DTEND", None)
    if end is None:
        duration = event.decoded("DURATION", None)
        if isinstance(duration, timedelta):
            end = start + duration
        elif not isinstance(start, datetime):
            end = start + timedelta(days=1)  # RFC 5545 3.6.1: a date alone lasts one day
        else:
            return None  # an instant blocks nothing
    # In UTC: datetimes of one zone compare by wall clock, wrong in the repeated autumn hour.
    return _aware(start, zone).astimezone(UTC), _aware(end, zone).astimezone(UTC)


def _blocks(event: icalendar.Event) -> bool:
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return False
    if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
        return False
    return OWN_EVENT_PROPERTY not in event


def _check_density(calendar: icalendar.Calendar) -> None:
    for event in calendar.walk("VEVENT"):
        rules = event.get("RRULE")
        for rule in rules if isinstance(rules, list) else [rules]:
            if rule is None:
                continue
            freq = rule.get("FREQ") or [""]
            if str(freq[0]).upper() in _TOO_DENSE and not rule.get("COUNT"):
                raise CalendarParseError(f"recurrence too dense: FREQ={freq[0]}")


def _split(
    calendar: icalendar.Calendar, *, expand_all: bool
) -> tuple[list[icalendar.Event], icalendar.Calendar | None]:
    """The single events (read directly) and a calendar of the recurring series with their
    moved occurrences and the zones (expanded by recurring-ical-events), or None.

    Expanding is what the library is for; a single event's bounds are its DTSTART and DTEND,
    and handing the 90 % of a diary that are single events to the library doubled the time of
    a 2,000-event sync (bench/calendars.py).
    """
    events = calendar.walk("VEVENT")
    if expand_all:
        return [], calendar
    recurring = {
        str(e.get("UID", ""))
        for e in events
        if "RRULE" in e or "RDATE" in e or "RECURRENCE-ID" in e
    }
    single = [e for e in events if str(e.get("UID", "")) not in recurring]
    if not recurring:
        return single, None
    series = icalendar.Calendar()
    for name, value in calendar.items():  # the calendar's own properties (X-WR-TIMEZONE)
        series[name] = value
    series.subcomponents = [
        c
        for c in calendar.subcomponents
        if c.name == "VTIMEZONE" or (c.name == "VEVENT" and str(c.get("UID", "")) in recurring)
    ]
    return single, series


def merge(intervals: Iterable[tuple[datetime, datetime]]) -> list[Busy]:
    """Sorted, disjoint busy intervals (UTC): overlapping or touching ones become one."""
    ordered = sorted(
        ((a.astimezone(UTC), b.astimezone(UTC)) for a, b in intervals if a < b),
        key=lambda pair: pair[0],
    )
    merged: list[list[datetime]] = []
    for a, b in ordered:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    # Calendar appointments: no buffers of their own (the slot's buffers keep the distance)
    # and they are not consultations, so the per-day and per-week limits do not count them.
    return [
        Busy(a, b, buffer_before_minutes=0, buffer_after_minutes=0, counts_toward_limits=False)
        for a, b in merged
    ]


def busy_intervals(
    data: str | bytes | Iterable[str | bytes],
    *,
    start: datetime,
    end: datetime,
    zone: str,
    _expand_all: bool = False,
) -> list[Busy]:
    """The busy time in ``[start, end)`` of one iCalendar (or several, as a CalDAV server
    returns one per object), sorted and merged, in UTC.

    ``zone`` (the expert's) reads all-day events and floating times, unless the calendar names
    its own zone in ``X-WR-TIMEZONE``. Cancelled and transparent (free) events block nothing;
    recurrences are expanded with their exceptions (EXDATE) and moved occurrences
    (RECURRENCE-ID). Raises ``CalendarParseError`` for data that is not an iCalendar.

    ``_expand_all`` sends single events through the recurrence library too (the tests compare
    both ways).
    """
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be an aware datetime, got naive {value!r}")
    default_zone = _zone(zone)
    if default_zone is None:
        raise ValueError(f"unknown time zone {zone!r}")
    chunks = [data] if isinstance(data, str | bytes) else list(data)
    # All-day events are read in a zone up to 14 hours off UTC: ask the library for a day more
    # on each side, and clip to the window below.
    window_start, window_end = start.astimezone(UTC), end.astimezone(UTC)
    query_start = window_start - timedelta(days=1)
    query_end = window_end + timedelta(days=1)
    found: list[tuple[datetime, datetime]] = []
    for chunk in chunks:
        for calendar in _parse(chunk):
            x_wr = calendar.get("X-WR-TIMEZONE")
            own_zone = _zone(x_wr) or default_zone
            _check_density(calendar)
            single, series = _split(calendar, expand_all=_expand_all)
            events: list[icalendar.Event] = single
            if series is not None:
                try:
                    # The zone as resolved here (a Windows name too). The bounds in the
                    # calendar's zone: the library reads floating times in the bounds' zone.
                    standard = (
                        x_wr_timezone.to_standard(series, timezone=own_zone)
                        if _zone(x_wr)
                        else series
                    )
                    events = events + recurring_ical_events.of(
                        standard, skip_bad_series=True
                    ).between(query_start.astimezone(own_zone), query_end.astimezone(own_zone))
                except (ValueError, TypeError, KeyError, AttributeError) as exc:
                    raise CalendarParseError(f"unreadable calendar: {exc}") from exc
            for event in events:
                if not _blocks(event):
                    continue
                bounds = _bounds(event, own_zone)
                if bounds is None:
                    continue
                a, b = max(bounds[0], window_start), min(bounds[1], window_end)
                if a < b:
                    found.append((a, b))
    return merge(found)
