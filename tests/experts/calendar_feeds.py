"""A diary as Outlook, Google and Nextcloud publish it, with every case a busy-time import must
get right; the tests of experts/busy_time.py and the calendar sync serve and read it.

Window: the three weeks from Monday 22 March 2027 (the clocks go forward on Sunday 28 March).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
WEEK_START = date(2027, 3, 22)  # Monday

VTIMEZONE_BERLIN = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""

# Each VEVENT below, and what it must do to the busy time.
EVENTS = """BEGIN:VEVENT
UID:weekly-jour-fixe@example.org
DTSTAMP:20270101T000000Z
SUMMARY:Jour fixe (weekly, Tuesdays 10-11; 23 March cancelled, 30 March moved)
DTSTART;TZID=Europe/Berlin:20270302T100000
DTEND;TZID=Europe/Berlin:20270302T110000
RRULE:FREQ=WEEKLY;BYDAY=TU
EXDATE;TZID=Europe/Berlin:20270323T100000
END:VEVENT
BEGIN:VEVENT
UID:weekly-jour-fixe@example.org
DTSTAMP:20270101T000000Z
RECURRENCE-ID;TZID=Europe/Berlin:20270330T100000
SUMMARY:Jour fixe, moved to Wednesday 14-15
DTSTART;TZID=Europe/Berlin:20270331T140000
DTEND;TZID=Europe/Berlin:20270331T150000
END:VEVENT
BEGIN:VEVENT
UID:holiday@example.org
DTSTAMP:20270101T000000Z
SUMMARY:Urlaubstag (all day, Friday 26 March)
DTSTART;VALUE=DATE:20270326
DTEND;VALUE=DATE:20270327
END:VEVENT
BEGIN:VEVENT
UID:reminder@example.org
DTSTAMP:20270101T000000Z
SUMMARY:Free: reading time (transparent)
DTSTART;TZID=Europe/Berlin:20270324T090000
DTEND;TZID=Europe/Berlin:20270324T120000
TRANSP:TRANSPARENT
END:VEVENT
BEGIN:VEVENT
UID:called-off@example.org
DTSTAMP:20270101T000000Z
SUMMARY:Called off
DTSTART;TZID=Europe/Berlin:20270325T090000
DTEND;TZID=Europe/Berlin:20270325T100000
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:outlook@example.org
DTSTAMP:20270101T000000Z
SUMMARY:Outlook meeting in a Windows zone (Thursday 13-14 Berlin time)
DTSTART;TZID=W. Europe Standard Time:20270325T130000
DTEND;TZID=W. Europe Standard Time:20270325T140000
END:VEVENT
BEGIN:VEVENT
UID:dst-night@example.org
DTSTAMP:20270101T000000Z
SUMMARY:Night across the spring DST switch (Saturday 22:00 CET to Sunday 10:00 CEST)
DTSTART;TZID=Europe/Berlin:20270327T220000
DTEND;TZID=Europe/Berlin:20270328T100000
END:VEVENT
BEGIN:VEVENT
UID:monday-late@example.org
DTSTAMP:20270101T000000Z
SUMMARY:Monday 29 March, first week of summer time, 16:00-17:30
DTSTART;TZID=Europe/Berlin:20270329T160000
DTEND;TZID=Europe/Berlin:20270329T173000
END:VEVENT
"""


def feed(*, extra_events: str = "") -> str:
    """The diary as one iCalendar text (CRLF line ends, as servers send it)."""
    text = (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//consult tests//EN\n"
        + VTIMEZONE_BERLIN
        + EVENTS
        + extra_events
        + "END:VCALENDAR\n"
    )
    return text.replace("\n", "\r\n")


def berlin(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Berlin in 2027, as UTC."""
    return datetime(2027, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


WINDOW = (berlin(3, 22, 0), berlin(4, 12, 0))
# The busy time the diary must give in WINDOW: nothing on Tuesday 23 March (cancelled) or
# Tuesday 30 March (moved), nothing on 24 March (free) or 9-10 on 25 March (called off).
EXPECTED = [
    (berlin(3, 25, 13), berlin(3, 25, 14)),  # the Windows-zone meeting
    (berlin(3, 26, 0), berlin(3, 27, 0)),  # the holiday, the whole local day
    (berlin(3, 27, 22), berlin(3, 28, 10)),  # the DST night: 11 real hours, not 12
    (berlin(3, 29, 16), berlin(3, 29, 17, 30)),
    (berlin(3, 31, 14), berlin(3, 31, 15)),  # the moved occurrence
    (berlin(4, 6, 10), berlin(4, 6, 11)),  # the weekly meeting, an ordinary occurrence
]


def objects() -> list[str]:
    """The diary as a CalDAV server stores it: one calendar object per UID (a series with its
    moved occurrence together), each with its VTIMEZONE."""
    body = EVENTS.strip("\n").split("END:VEVENT\n")
    by_uid: dict[str, list[str]] = {}
    for chunk in body:
        if not chunk.strip():
            continue
        uid = next(line for line in chunk.splitlines() if line.startswith("UID:"))
        by_uid.setdefault(uid, []).append(chunk + "END:VEVENT\n")
    return [
        (
            "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//consult tests//EN\n"
            + VTIMEZONE_BERLIN
            + "".join(events)
            + "END:VCALENDAR\n"
        ).replace("\n", "\r\n")
        for events in by_uid.values()
    ]
