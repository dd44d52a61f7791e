"""iCalendar invitations (iTIP/iMIP, RFC 5545/5546/6047) and private feeds, built with icalendar.

Pure: frozen dataclasses in, .ics text out; docs/architecture-notifications.md explains the choices.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText
from icalendar.parser import Contentline


def new_uid() -> str:
    """A globally unique iCalendar UID (RFC 5545 3.8.4.7) for a booking or an event."""
    return f"{uuid.uuid4()}@consult.buergerhaushalt-netzwerk.de"


__all__ = [
    "PRODID",
    "TIMEZONE",
    "Attendee",
    "FeedEntry",
    "Invitation",
    "Organizer",
    "PreparedInvitation",
    "Session",
    "build_feed",
    "build_invitation",
    "build_invitations",
    "media_type",
    "new_uid",
    "normalize_parameter",
    "normalize_text",
    "prepare_invitation",
    "session_uid",
]

PRODID = "-//consult//Beratung und Veranstaltungen//DE"
TIMEZONE = "Europe/Berlin"
_BERLIN = ZoneInfo(TIMEZONE)

Method = Literal["REQUEST", "CANCEL"]
Status = Literal["CONFIRMED", "TENTATIVE", "CANCELLED"]
PartStat = Literal["NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED"]
Role = Literal["REQ-PARTICIPANT", "OPT-PARTICIPANT", "NON-PARTICIPANT", "CHAIR"]

_METHODS = {"REQUEST", "CANCEL"}
_STATUSES = {"CONFIRMED", "TENTATIVE", "CANCELLED"}
_PARTSTATS = {"NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED"}
_ROLES = {"REQ-PARTICIPANT", "OPT-PARTICIPANT", "NON-PARTICIPANT", "CHAIR"}

_END = "END:VCALENDAR\r\n"
_MAX_INTEGER = 2**31 - 1
# The EU rules since 1996 as two RRULEs (BYMONTH before BYDAY, as libical-based clients export
# them; icalendar would reorder the parts), a constant block the builder puts before the VEVENT.
_VTIMEZONE_TEXT = (
    "BEGIN:VTIMEZONE\r\n"
    "TZID:Europe/Berlin\r\n"
    "X-LIC-LOCATION:Europe/Berlin\r\n"
    "BEGIN:DAYLIGHT\r\n"
    "TZOFFSETFROM:+0100\r\n"
    "TZOFFSETTO:+0200\r\n"
    "TZNAME:CEST\r\n"
    "DTSTART:19700329T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
    "END:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\n"
    "TZOFFSETFROM:+0200\r\n"
    "TZOFFSETTO:+0100\r\n"
    "TZNAME:CET\r\n"
    "DTSTART:19701025T030000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
    "END:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
)

# Everything str.splitlines() or Unicode treats as a line break; a parser splitting on any of
# them must not see a new content line, so they all become one escaped newline.
_LINE_BREAKS = re.compile("\r\n|[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# Control characters are not allowed in TEXT (RFC 5545 3.3.11) except HTAB; newline is
# escaped (\n), so it survives. Lone surrogates cannot be encoded as UTF-8.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_SURROGATES = re.compile("[\ud800-\udfff]")
# What normalize_text could change: without any of it the text is returned as it is.
_NOT_NORMAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
# UIDs stay within visible ASCII minus the TEXT specials, so they need no escaping anywhere
# (RFC 7986 recommends simple ASCII UIDs; clients compare them byte-wise).
_UID = re.compile(r"[!#-+\--:<-\[\]-~]{1,200}")
# Addresses and URLs go out verbatim (CAL-ADDRESS and URI are not escaped), so anything that
# could end the value or start a parameter or line is refused rather than mangled.
_EMAIL = re.compile(r"[^\s\"<>\\@,;:\x00-\x1f\x7f-\x9f]+@[^\s\"<>\\@,;:\x00-\x1f\x7f-\x9f]+")
_URL = re.compile(r"https?://[!#-\[\]-~]+", re.IGNORECASE)


def normalize_text(value: str) -> str:
    """The text a TEXT property (SUMMARY, DESCRIPTION, LOCATION) will carry for ``value``.

    Line breaks of any kind (CRLF, CR, VT, FF, NEL, U+2028, ...) become ``\\n``, other control
    characters are dropped, lone surrogates become U+FFFD, and byte-order marks at the start go
    (icalendar reads each value back as UTF-8 with signature, which drops one there). Parsing
    the output gives exactly this.
    """
    if not _NOT_NORMAL.search(value) and not value.startswith("\ufeff"):
        return value
    value = _SURROGATES.sub("\ufffd", value)
    value = _LINE_BREAKS.sub("\n", value)
    return _CONTROLS.sub("", value).lstrip("\ufeff")


def normalize_parameter(value: str) -> str:
    """The value a parameter (CN) will carry for ``value``: one line, no double quote.

    RFC 5545 allows neither control characters nor DQUOTE in a quoted parameter value, so line
    breaks and tabs become spaces, double quotes are dropped and the ends are stripped.
    Backslashes are dropped too: parameters have no backslash escaping, yet parsers (icalendar's
    among them) read ``CN=\\:mailto:...`` as an escaped colon. icalendar quotes the rest where
    needed and escapes ``^`` (RFC 6868). Parsing the output gives exactly this.
    """
    text = normalize_text(value).replace("\n", " ").replace("\t", " ")
    return text.replace('"', "").replace("\\", "").strip()


def session_uid(uid: str, number: int) -> str:
    """UID of session ``number`` (1-based) of the event ``uid``: session 1 keeps the UID."""
    if number < 1:
        raise ValueError(f"session numbers start at 1, got {number}")
    return uid if number == 1 else f"{uid}-s{number}"


# The METHOD property as icalendar writes it: its own line of the VCALENDAR header. TEXT
# values escape their line breaks and folded lines start with a space, so nothing else matches.
_METHOD_LINE = re.compile(r"\r\nMETHOD:([A-Z-]+)\r\n")


def media_type(calendar: str) -> str:
    """``text/calendar; method=...; charset=utf-8`` for ``calendar`` (built here).

    RFC 5545 3.7.2 and 8.1: where the object has a METHOD, the media type carries the same
    ``method`` parameter, and the other way round; an HTTP download or feed is such an entity
    as much as an e-mail part is.
    """
    found = _METHOD_LINE.search(calendar)
    if found is None:
        return "text/calendar; charset=utf-8"
    return f"text/calendar; method={found.group(1)}; charset=utf-8"


def _check_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")


def _check_span(start: datetime, end: datetime) -> None:
    _check_aware("start", start)
    _check_aware("end", end)
    # In UTC: Python compares two times of one zone by their clock readings, which would refuse
    # 02:30 CEST-02:10 CET across the repeated hour of October and pass a span out of the
    # missing hour of March that really ends before it starts.
    if end.astimezone(UTC) <= start.astimezone(UTC):
        raise ValueError(f"ends ({end}) before or when it starts ({start})")


def _check_sequence(sequence: int) -> None:
    # An INTEGER (RFC 5545 3.3.8) is at most 2**31 - 1; icalendar refused more when writing it.
    if not 0 <= sequence <= _MAX_INTEGER:
        raise ValueError(f"SEQUENCE must be 0..{_MAX_INTEGER}, got {sequence}")


def _check_uid(uid: str) -> None:
    if not _UID.fullmatch(uid):
        raise ValueError(f'UID must be 1-200 visible ASCII characters without ,;\\", got {uid!r}')


def _check_email(email: str) -> None:
    if not _EMAIL.fullmatch(email):
        raise ValueError(f"not a usable e-mail address: {email!r}")


def _check_url(url: str) -> None:
    if url and not _URL.fullmatch(url):
        raise ValueError(f"URL must be http(s) without spaces or quotes, got {url!r}")


@dataclass(frozen=True, slots=True)
class Organizer:
    email: str
    name: str = ""

    def __post_init__(self) -> None:
        _check_email(self.email)


@dataclass(frozen=True, slots=True)
class Attendee:
    email: str
    name: str = ""
    partstat: PartStat = "NEEDS-ACTION"
    rsvp: bool = True
    role: Role = "REQ-PARTICIPANT"

    def __post_init__(self) -> None:
        _check_email(self.email)
        if self.partstat not in _PARTSTATS:
            raise ValueError(f"unknown PARTSTAT {self.partstat!r}")
        if self.role not in _ROLES:
            raise ValueError(f"unknown ROLE {self.role!r}")


@dataclass(frozen=True, slots=True)
class Session:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _check_span(self.start, self.end)


@dataclass(frozen=True, slots=True, kw_only=True)
class Invitation:
    """One event or booking as seen by its recipients; ``sessions`` in start order."""

    uid: str
    sequence: int
    summary: str
    organizer: Organizer
    attendees: tuple[Attendee, ...]
    sessions: tuple[Session, ...]
    dtstamp: datetime
    method: Method = "REQUEST"
    status: Status = "CONFIRMED"
    description: str = ""
    location: str = ""
    url: str = ""

    def __post_init__(self) -> None:
        _check_uid(self.uid)
        _check_aware("dtstamp", self.dtstamp)
        _check_url(self.url)
        _check_sequence(self.sequence)
        if self.method not in _METHODS:
            raise ValueError(f"invitations are REQUEST or CANCEL, got {self.method!r}")
        if self.status not in _STATUSES:
            raise ValueError(f"unknown STATUS {self.status!r}")
        if (self.method == "CANCEL") != (self.status == "CANCELLED"):
            raise ValueError("METHOD:CANCEL goes with STATUS:CANCELLED and only with it")
        if not self.sessions:
            raise ValueError("an invitation needs at least one session")
        # Session numbers (and so UIDs) follow this order; an unstable order would swap them.
        starts = [session.start for session in self.sessions]
        if starts != sorted(starts):
            raise ValueError("sessions must be in start order")
        if not self.attendees:
            raise ValueError("an iTIP REQUEST/CANCEL needs at least one ATTENDEE")


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedEntry:
    """One booking or one session in a private feed; ``uid`` as from ``session_uid``."""

    uid: str
    sequence: int
    summary: str
    start: datetime
    end: datetime
    dtstamp: datetime
    status: Status = "CONFIRMED"
    description: str = ""
    location: str = ""
    url: str = ""

    def __post_init__(self) -> None:
        _check_uid(self.uid)
        _check_aware("dtstamp", self.dtstamp)
        _check_url(self.url)
        _check_sequence(self.sequence)
        if self.status not in _STATUSES:
            raise ValueError(f"unknown STATUS {self.status!r}")
        _check_span(self.start, self.end)


# --- Serialisation through icalendar ----------------------------------------------------------


class _Text(vText):
    """TEXT escaped as RFC 5545 3.3.11 says. icalendar's writer first turns a literal ``\\N``
    into a line break, so ``C:\\Neu`` would read back as ``C:`` and ``eu`` on two lines."""

    __slots__ = ()

    def to_ical(self) -> bytes:
        escaped = self.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
        return escaped.replace("\n", "\\n").encode("utf-8")


def _header(method: str, *properties: tuple[str, object, dict[str, str] | None]) -> str:
    """The VCALENDAR's opening lines (icalendar's) up to and including the VTIMEZONE; no METHOD
    line for an empty ``method`` (a plain calendar file, not an iTIP message)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    for name, value, parameters in properties:
        cal.add(name, value, parameters=parameters)
    return cal.to_ical().decode("utf-8").removesuffix(_END) + _VTIMEZONE_TEXT


_INVITATION_HEADERS = {method: _header(method) for method in _METHODS}


def _local(value: datetime) -> datetime:
    """``value`` in Berlin time, or in UTC where it must be: RFC 5545 3.3.5 reads a local time
    that occurs twice (the hour the clocks go back) as its first occurrence."""
    local = value.astimezone(_BERLIN)
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        return value.astimezone(UTC)
    return local


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if cn := normalize_parameter(name):
        address.params["CN"] = cn
    for key, value in params.items():
        address.params[key] = value
    return address


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
    """One VEVENT; icalendar orders it SUMMARY, DTSTART, DTEND, DTSTAMP, UID, SEQUENCE, then
    the rest by name. Optional text is left out when nothing of it survives normalisation."""
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", dtstamp.astimezone(UTC))
    event.add("dtstart", _local(start))
    event.add("dtend", _local(end))
    event.add("status", status)
    event.add("summary", _Text(normalize_text(summary)))
    if description := normalize_text(description):
        event.add("description", _Text(description))
    if location := normalize_text(location):
        event.add("location", _Text(location))
    if url:
        event.add("url", url)
    return event


def _attendee_line(attendee: Attendee) -> str:
    address = _address(
        attendee.email,
        attendee.name,
        ROLE=attendee.role,
        PARTSTAT=attendee.partstat,
        RSVP="TRUE" if attendee.rsvp else "FALSE",
    )
    return Contentline.from_parts("ATTENDEE", address.params, address).to_ical().decode() + "\r\n"


@dataclass(frozen=True, slots=True)
class PreparedInvitation:
    """One session's iTIP message built but for its ATTENDEE lines, which ``text`` puts in.

    Built once per event, session and language, it serves every recipient of a fan-out.
    """

    head: str  # the calendar up to the VEVENT's SEQUENCE line
    tail: str  # the VEVENT's other properties and the end of the calendar

    def text(self, attendees: Iterable[Attendee]) -> str:
        """The message with ``attendees`` (at least one) as its ATTENDEE lines."""
        lines = "".join(_attendee_line(attendee) for attendee in attendees)
        if not lines:
            raise ValueError("an iTIP REQUEST/CANCEL needs at least one ATTENDEE")
        return self.head + lines + self.tail


def prepare_invitation(inv: Invitation, session: int = 1) -> PreparedInvitation:
    """The iTIP message for session ``session`` (1-based) of ``inv``, without attendees."""
    if not 1 <= session <= len(inv.sessions):
        raise ValueError(f"session {session} not in 1..{len(inv.sessions)}")
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
    text = event.to_ical().decode("utf-8")
    # ATTENDEE sorts first after SEQUENCE; nothing before it can hold a bare CRLF + "SEQUENCE:".
    cut = text.index(f"\r\nSEQUENCE:{inv.sequence}\r\n") + len(f"\r\nSEQUENCE:{inv.sequence}\r\n")
    return PreparedInvitation(_INVITATION_HEADERS[inv.method] + text[:cut], text[cut:] + _END)


def build_invitation(inv: Invitation, session: int = 1) -> str:
    """The iTIP message (one VCALENDAR, one VEVENT) for session ``session`` (1-based) of ``inv``."""
    return prepare_invitation(inv, session).text(inv.attendees)


def build_invitations(inv: Invitation) -> list[str]:
    """One iTIP message per session of ``inv``, in session order (send each as its own e-mail)."""
    return [build_invitation(inv, number) for number in range(1, len(inv.sessions) + 1)]


def build_feed(entries: Iterable[FeedEntry], name: str, *, method: str = "PUBLISH") -> str:
    """A private subscription feed (METHOD:PUBLISH) of ``entries``; cancelled ones are left out.

    ``method=""`` makes it a plain calendar file without METHOD, for a one-off download of
    something that may still change (issue 7: no PUBLISH for that; an iTIP REQUEST carries one
    UID only). Refreshed hourly where the client honours it; NAME (RFC 7986) and the older
    X-WR-CALNAME name it.
    """
    if method not in ("PUBLISH", ""):
        raise ValueError(f"a feed is PUBLISH or has no METHOD, got {method!r}")
    calendar_name = normalize_text(name).replace("\n", " ")
    header = _header(
        method,
        ("name", _Text(calendar_name), None),
        ("x-wr-calname", _Text(calendar_name), None),
        ("refresh-interval", timedelta(hours=1), {"VALUE": "DURATION"}),
        ("x-published-ttl", "PT1H", None),
    )
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
