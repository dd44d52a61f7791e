"""Checks every .ics the service sends must pass, reusable by any test (ics, e-mail, feeds).

Each ``assert_*`` parses with two independent parsers, ``icalendar`` and ``ical``, and checks the
rules calendar clients rely on (RFC 5545, RFC 5546 iTIP, RFC 6047 iMIP, CalConnect practice).
They return the parsed ``icalendar.Calendar`` so a test can go on checking its own details.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from email.message import Message
from zoneinfo import ZoneInfo

import icalendar
from ical.calendar import Calendar as IcalCalendar
from ical.calendar_stream import IcsCalendarStream
from ical.exceptions import CalendarParseError
from ical.timezone import IcsTimezoneInfo
from icalendar.parser import Contentlines

__all__ = [
    "ContentLine",
    "assert_imip_method_matches",
    "assert_valid_calendar",
    "assert_valid_feed",
    "assert_valid_invitation",
    "assert_vtimezones_match_zoneinfo",
    "assert_wire_format",
    "content_lines",
    "event_property_names",
    "parse_with_ical",
    "parse_with_icalendar",
]

ContentLine = tuple[str, dict[str, str], str]
"""One unfolded content line: upper-case name, parameters (upper-case keys), raw value."""

ITIP_METHODS = {"REQUEST", "CANCEL"}


def _text(data: bytes | str) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8")
    return data


def assert_wire_format(data: bytes | str) -> str:
    """CRLF line ends only, every physical line at most 75 octets, valid UTF-8; returns the text."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    text = raw.decode("utf-8")  # raises on invalid UTF-8
    assert raw.endswith(b"\r\n"), "an iCalendar stream ends with CRLF"
    lines = raw.split(b"\r\n")[:-1]
    for number, line in enumerate(lines, 1):
        assert b"\r" not in line and b"\n" not in line, f"bare CR/LF in line {number}: {line!r}"
        assert len(line) <= 75, f"line {number} has {len(line)} octets (> 75): {line!r}"
        # A fold must not split a UTF-8 sequence: each physical line decodes on its own.
        line.decode("utf-8")
        assert line, f"empty line {number}"
    return text


def content_lines(data: bytes | str) -> list[ContentLine]:
    """The unfolded content lines of ``data`` in order, parameters decoded (RFC 6868)."""
    result: list[ContentLine] = []
    for line in Contentlines.from_ical(_text(data)):
        if not line:
            continue
        try:
            name, params, value = line.parts()
        except ValueError as error:
            raise AssertionError(f"not a content line: {line!r}") from error
        result.append((name.upper(), {k.upper(): str(v) for k, v in params.items()}, value))
    return result


def _components(lines: list[ContentLine], kind: str) -> Iterator[list[ContentLine]]:
    """The property lines (nested components excluded) of each ``kind`` component."""
    depth = 0
    current: list[ContentLine] | None = None
    for name, params, value in lines:
        if name == "BEGIN":
            if current is not None:
                depth += 1
            elif value.upper() == kind:
                current = []
        elif name == "END":
            if current is not None and depth:
                depth -= 1
            elif current is not None and value.upper() == kind:
                yield current
                current = None
        elif current is not None and not depth:
            current.append((name, params, value))


def event_property_names(data: bytes | str) -> list[list[str]]:
    """Property names of each VEVENT, in order: what an injection would change."""
    return [[name for name, _, _ in event] for event in _components(content_lines(data), "VEVENT")]


def parse_with_ical(data: bytes | str) -> IcalCalendar:
    """Parse with the independent ``ical`` package (pydantic models, strict RFC 5545)."""
    try:
        return IcsCalendarStream.calendar_from_ics(_text(data))
    except CalendarParseError as error:
        raise AssertionError(f"ical cannot parse it: {error}") from error


def parse_with_icalendar(data: bytes | str) -> icalendar.Calendar:
    """Parse with ``icalendar``; a parse error becomes an AssertionError like every rule."""
    try:
        return icalendar.Calendar.from_ical(_text(data))
    except ValueError as error:
        raise AssertionError(f"icalendar cannot parse it: {error}") from error


def _one(event: list[ContentLine], name: str) -> ContentLine:
    found = [line for line in event if line[0] == name]
    assert len(found) == 1, f"VEVENT needs exactly one {name}, has {len(found)}: {event}"
    return found[0]


def _aware_utc(value: date | datetime) -> datetime:
    assert isinstance(value, datetime), f"expected a DATE-TIME, got {value!r}"
    assert value.tzinfo is not None, f"floating time {value!r}: invitations need fixed times"
    return value.astimezone(UTC)


def assert_valid_calendar(data: bytes | str, *, method: str) -> icalendar.Calendar:
    """Rules for any calendar we publish or send; see ``assert_valid_invitation`` for iTIP.

    Wire format; one VCALENDAR with VERSION:2.0, PRODID, METHOD == ``method``; every TZID defined
    by a VTIMEZONE before the first VEVENT; each VEVENT with one UID, one DTSTART, a DTEND after
    it (DTEND, not DURATION: Outlook reads DURATION only when DTEND is missing), one DTSTAMP in
    UTC; and ``icalendar`` and ``ical`` read the same UIDs, times, SEQUENCE and SUMMARY.
    """
    text = assert_wire_format(data)
    lines = content_lines(text)
    names = [name for name, _, _ in lines]
    assert names[0] == "BEGIN" and lines[0][2].upper() == "VCALENDAR", "must start a VCALENDAR"
    assert names[-1] == "END" and lines[-1][2].upper() == "VCALENDAR", "must end the VCALENDAR"
    assert sum(1 for n, _, v in lines if n == "BEGIN" and v.upper() == "VCALENDAR") == 1

    calendars = list(_components(lines, "VCALENDAR"))
    props = {name: value for name, _, value in calendars[0]}
    assert [n for n, _, _ in calendars[0]].count("METHOD") == 1, "exactly one METHOD"
    assert props.get("VERSION") == "2.0", "VERSION:2.0 required"
    assert props.get("PRODID"), "PRODID required"
    assert props.get("CALSCALE", "GREGORIAN") == "GREGORIAN"
    assert props["METHOD"] == method, f"METHOD is {props['METHOD']!r}, expected {method!r}"

    # Every TZID used must be defined by a VTIMEZONE that comes before the first VEVENT:
    # some clients (Outlook among them) resolve TZIDs while reading, in one pass.
    first_event = next(
        i for i, (n, _, v) in enumerate(lines) if n == "BEGIN" and v.upper() == "VEVENT"
    )
    defined_before = {
        value
        for vtz in _components(lines[:first_event], "VTIMEZONE")
        for name, _, value in vtz
        if name == "TZID"
    }
    defined_anywhere = {
        v for vtz in _components(lines, "VTIMEZONE") for n, _, v in vtz if n == "TZID"
    }
    used = {params["TZID"] for _, params, _ in lines if "TZID" in params}
    assert used <= defined_anywhere, f"TZID without VTIMEZONE: {used - defined_anywhere}"
    assert used <= defined_before, f"VTIMEZONE after VEVENT for {used - defined_before}"

    events = list(_components(lines, "VEVENT"))
    assert events, "no VEVENT"
    for event in events:
        _one(event, "UID")
        _one(event, "DTSTART")
        _, params, stamp = _one(event, "DTSTAMP")
        assert stamp.endswith("Z") and "TZID" not in params, f"DTSTAMP must be UTC: {stamp}"

    # Both parsers must read it, and read the same thing.
    cal = parse_with_icalendar(text)
    other = parse_with_ical(text)
    ours = cal.walk("VEVENT")
    assert len(ours) == len(other.events) == len(events)
    for mine, theirs in zip(ours, other.events, strict=True):
        assert str(mine["UID"]) == theirs.uid
        start = _aware_utc(mine.decoded("DTSTART"))
        end = _aware_utc(mine.decoded("DTEND"))
        assert end > start, f"DTEND {end} not after DTSTART {start}"
        assert _aware_utc(theirs.dtstart) == start, (theirs.dtstart, start)
        assert _aware_utc(theirs.dtend) == end, (theirs.dtend, end)
        assert str(mine.get("SUMMARY", "")) == (theirs.summary or "")
        assert _aware_utc(theirs.dtstamp) == _aware_utc(mine.decoded("DTSTAMP"))
        if "SEQUENCE" in mine:
            assert int(mine["SEQUENCE"]) == theirs.sequence
    return cal


def assert_valid_invitation(data: bytes | str, *, method: str) -> icalendar.Calendar:
    """An iTIP message (RFC 5546) that Outlook, Google, Apple and Thunderbird act on."""
    assert method in ITIP_METHODS, f"invitations are REQUEST or CANCEL, not {method}"
    cal = assert_valid_calendar(data, method=method)
    events = list(_components(content_lines(data), "VEVENT"))
    # One scheduling object per message: clients act on the first UID only.
    uids = {_one(event, "UID")[2] for event in events}
    assert len(uids) == 1, f"one UID per iTIP message, got {uids}"
    for event in events:
        sequence = _one(event, "SEQUENCE")[2]
        assert sequence.isdigit(), f"SEQUENCE must be a non-negative integer: {sequence!r}"
        _one(event, "DTEND")
        status = _one(event, "STATUS")[2]
        if method == "CANCEL":
            assert status == "CANCELLED", f"METHOD:CANCEL needs STATUS:CANCELLED, got {status}"
        else:
            assert status in {"CONFIRMED", "TENTATIVE"}, f"REQUEST with STATUS:{status}"
        _, _, organizer = _one(event, "ORGANIZER")
        assert organizer.lower().startswith("mailto:") and "@" in organizer, organizer
        attendees = [line for line in event if line[0] == "ATTENDEE"]
        assert attendees, "an iTIP REQUEST/CANCEL names its attendees"
        for _, params, address in attendees:
            assert address.lower().startswith("mailto:") and "@" in address, address
            assert params.get("PARTSTAT"), f"ATTENDEE without PARTSTAT: {address}"
            assert params.get("RSVP") in {"TRUE", "FALSE"}, f"ATTENDEE without RSVP: {address}"
    return cal


def assert_valid_feed(data: bytes | str) -> icalendar.Calendar:
    """A subscription feed: METHOD:PUBLISH, no scheduling (ATTENDEE), unique UIDs."""
    text = assert_wire_format(data)
    lines = content_lines(text)
    if not any(n == "BEGIN" and v.upper() == "VEVENT" for n, _, v in lines):
        # An empty feed is valid when some component (the VTIMEZONE) keeps the VCALENDAR legal.
        assert any(n == "BEGIN" and v.upper() != "VCALENDAR" for n, _, v in lines)
        parse_with_ical(text)
        return parse_with_icalendar(text)
    cal = assert_valid_calendar(text, method="PUBLISH")
    keys = []
    for event in _components(lines, "VEVENT"):
        assert not any(name == "ATTENDEE" for name, _, _ in event), "feeds do not schedule"
        recurrence = [value for name, _, value in event if name == "RECURRENCE-ID"]
        keys.append((_one(event, "UID")[2], tuple(recurrence)))
    assert len(keys) == len(set(keys)), "a UID (and RECURRENCE-ID) appears twice in the feed"
    return cal


def _calendar_parts(message: Message) -> Iterable[Message]:
    for part in message.walk():
        if part.get_content_type() in {"text/calendar", "application/ics"}:
            yield part


def assert_imip_method_matches(message: Message) -> str:
    """An iMIP e-mail (RFC 6047): one text/calendar part whose ``method=`` equals its METHOD.

    Any application/ics attachment must carry the same METHOD. Returns the method.
    """
    parts = list(_calendar_parts(message))
    calendars = [p for p in parts if p.get_content_type() == "text/calendar"]
    assert len(calendars) == 1, f"exactly one text/calendar part, found {len(calendars)}"
    header_method = calendars[0].get_param("method")
    assert isinstance(header_method, str) and header_method, "text/calendar needs method="
    for part in parts:
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes), f"{part.get_content_type()} has no payload"
        charset = part.get_content_charset() or "utf-8"
        props = {
            name: value
            for name, _, value in content_lines(payload.decode(charset))
            if name == "METHOD"
        }
        assert props.get("METHOD") == header_method.upper(), (
            f"{part.get_content_type()} METHOD {props.get('METHOD')!r} != method={header_method!r}"
        )
    assert header_method == header_method.upper(), f"method={header_method!r} not upper-case"
    return header_method


def _zoneinfo_transitions(zone: ZoneInfo, year: int) -> list[datetime]:
    """UTC instants in ``year`` just after which ``zone``'s offset changes (hour precision)."""
    result = []
    instant = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    day = timedelta(days=1)
    while instant < end:
        if instant.astimezone(zone).utcoffset() != (instant + day).astimezone(zone).utcoffset():
            result.append(instant)
        instant += day
    return result


def assert_vtimezones_match_zoneinfo(data: bytes | str, years: Iterable[int]) -> None:
    """Every VTIMEZONE gives the same offsets as tzdata around each transition of ``years``.

    The VTIMEZONE is read by two implementations that never consult tzdata for it: dateutil
    (through icalendar) and ``ical``'s own RFC 5545 rule expansion.
    """
    text = _text(data)
    vtimezones = parse_with_icalendar(text).walk("VTIMEZONE")
    assert vtimezones, "no VTIMEZONE"
    ical_zones = {
        tz.tz_id: IcsTimezoneInfo.from_timezone(tz) for tz in parse_with_ical(text).timezones
    }
    for vtimezone in vtimezones:
        zone = ZoneInfo(str(vtimezone["TZID"]))
        readers: list[tzinfo] = [
            vtimezone.to_tz(lookup_tzid=False),
            ical_zones[str(vtimezone["TZID"])],
        ]
        for year in years:
            # The days around each tzdata transition, and the middle of every month.
            days = [
                day + timedelta(days=shift)
                for day in _zoneinfo_transitions(zone, year)
                for shift in (-1, 0, 1)
            ]
            days += [datetime(year, month, 15, tzinfo=UTC) for month in range(1, 13)]
            for day in days:
                for half_hours in range(48):
                    instant = day + timedelta(minutes=30 * half_hours)
                    expected = instant.astimezone(zone)
                    local = expected.replace(tzinfo=None)
                    # Compare by local wall time where it is unambiguous (the way a client reads
                    # DTSTART;TZID=...), skipping the hour that occurs twice.
                    other = expected.replace(fold=1 - expected.fold)
                    if other.utcoffset() != expected.utcoffset():
                        continue
                    for reader in readers:
                        got = reader.utcoffset(local.replace(tzinfo=reader))
                        assert got == expected.utcoffset(), (
                            f"{vtimezone['TZID']} via {type(reader).__name__} at {local}: "
                            f"{got} != tzdata {expected.utcoffset()}"
                        )
