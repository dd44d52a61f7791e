"""Every invitation and feed built whole through icalendar, property by property.

The oracle for tests/notifications/test_ics_serialisation.py: notifications/ics.py, which
prepares an event once and puts each attendee in, must give what this gives (byte for byte, but
for the one bug noted there). The validation (dataclasses), the normalisation and the VTIMEZONE
are shared with the module.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

from notifications.ics import (
    _VTIMEZONE_TEXT,
    PRODID,
    TIMEZONE,
    FeedEntry,
    Invitation,
    normalize_parameter,
    normalize_text,
    session_uid,
)

__all__ = ["oracle_feed", "oracle_invitation"]

_BERLIN = ZoneInfo(TIMEZONE)
_END = "END:VCALENDAR\r\n"


def _calendar(method: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    return cal


def _header(cal: Calendar) -> str:
    text = cal.to_ical().decode("utf-8")
    if not text.endswith(_END):
        raise RuntimeError(f"unexpected calendar serialisation: {text[-40:]!r}")
    return text.removesuffix(_END) + _VTIMEZONE_TEXT


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    cn = normalize_parameter(name)
    if cn:
        address.params["CN"] = cn
    for key, value in params.items():
        address.params[key] = value
    return address


def _local(value: datetime) -> datetime:
    local = value.astimezone(_BERLIN)
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        return value.astimezone(UTC)
    return local


def _event(
    *,
    uid: str,
    sequence: int,
    dtstamp: datetime,
    start: datetime,
    end: datetime,
    status: str,
    summary: str,
    description: str,
    location: str,
    url: str,
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", dtstamp.astimezone(UTC))
    event.add("dtstart", _local(start))
    event.add("dtend", _local(end))
    event.add("status", status)
    event.add("summary", normalize_text(summary))
    if description := normalize_text(description):
        event.add("description", description)
    if location := normalize_text(location):
        event.add("location", location)
    if url:
        event.add("url", url)
    return event


def oracle_invitation(inv: Invitation, session: int = 1) -> str:
    """What ``build_invitation(inv, session)`` returned when icalendar serialised it."""
    span = inv.sessions[session - 1]
    event = _event(
        uid=session_uid(inv.uid, session),
        sequence=inv.sequence,
        dtstamp=inv.dtstamp,
        start=span.start,
        end=span.end,
        status=inv.status,
        summary=inv.summary,
        description=inv.description,
        location=inv.location,
        url=inv.url,
    )
    event.add("organizer", _address(inv.organizer.email, inv.organizer.name))
    for attendee in inv.attendees:
        event.add(
            "attendee",
            _address(
                attendee.email,
                attendee.name,
                ROLE=attendee.role,
                PARTSTAT=attendee.partstat,
                RSVP="TRUE" if attendee.rsvp else "FALSE",
            ),
        )
    return _header(_calendar(inv.method)) + event.to_ical().decode("utf-8") + _END


def oracle_feed(entries: Iterable[FeedEntry], name: str) -> str:
    """What ``build_feed(entries, name)`` returned when icalendar serialised it."""
    calendar_name = normalize_text(name).replace("\n", " ")
    cal = _calendar("PUBLISH")
    # Written as TEXT (escaped): icalendar's own choice, unescaped, let "," and ";" through.
    cal.add("name", vText(calendar_name))
    cal.add("x-wr-calname", vText(calendar_name))
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    header = _header(cal)
    events = "".join(
        _event(
            uid=entry.uid,
            sequence=entry.sequence,
            dtstamp=entry.dtstamp,
            start=entry.start,
            end=entry.end,
            status=entry.status,
            summary=entry.summary,
            description=entry.description,
            location=entry.location,
            url=entry.url,
        )
        .to_ical()
        .decode("utf-8")
        for entry in entries
        if entry.status != "CANCELLED"
    )
    return header + events + _END
