"""iCalendar invitations (iTIP/iMIP, RFC 5545/5546/6047) and private feeds, built from plain data.

Pure: no Django, no ORM, no I/O, no clock. Callers hand in frozen dataclasses and get the .ics
text back; ``tests/ics_rules.py`` holds the checks every output must pass.

Public API
----------
``Organizer(email, name)``, ``Attendee(email, name, partstat="NEEDS-ACTION", rsvp=True,
role="REQ-PARTICIPANT")``, ``Session(start, end)`` and ``Invitation(uid=, sequence=, summary=,
organizer=, attendees=, sessions=, dtstamp=, method="REQUEST", status="CONFIRMED",
description="", location="", url="")`` describe one invitation; ``FeedEntry(uid=, sequence=,
summary=, start=, end=, dtstamp=, status="CONFIRMED", description="", location="", url="")`` one
entry of a feed. Invalid data (naive datetimes, end before start, CANCEL without CANCELLED, ...)
raises ``ValueError`` when the dataclass is created, so a bad invitation is never built.

``build_invitation(inv, session=1) -> str`` is the iTIP message for one session,
``build_invitations(inv) -> list[str]`` the messages for all sessions, ``build_feed(entries,
name) -> str`` a subscription feed, ``session_uid(uid, number) -> str`` the UID of a session,
``media_type(calendar) -> str`` the Content-Type to serve or attach a built calendar with.

Decisions
---------
* **Text, not bytes.** The result is a ``str`` with CRLF line endings and lines folded at 75
  octets of UTF-8. The outbox stores it in a text column and Django encodes it as UTF-8 for
  the e-mail part and the HTTP response, so returning bytes would only add a decode per row.
* **METHOD.** ``REQUEST`` for new and changed invitations, ``CANCEL`` (always with
  ``STATUS:CANCELLED``) for cancelled ones; never ``PUBLISH`` for something that may change.
  Feeds are ``PUBLISH``: that is what a read-only subscription is.
* **Time zone.** Every DTSTART/DTEND is written as local time with ``TZID=Europe/Berlin`` (aware
  datetimes in any zone are converted), preceded by a hand-written VTIMEZONE with the EU rules
  as two RRULEs. Local time keeps the event at "10:00" in clients that show the organiser's
  zone; RRULEs are what Outlook understands (icalendar's generated VTIMEZONE lists every
  transition as RDATEs, which Outlook mishandles). The rules match tzdata from 1996 on; a test
  compares them with ``zoneinfo`` up to 2037 so a change of the EU rules fails loudly. Other
  zones are not supported: the service and its users are in Germany. DTSTAMP is UTC (``Z``).
* **Multi-session events: one UID per session, one iTIP message per session.** Session 1 keeps
  the event's UID, session *n* > 1 gets ``<uid>-s<n>``. The alternatives do not reach every
  client: Outlook imports RDATE on a VEVENT only together with an RRULE and only as whole days
  (MS-OXCICAL 2.1.3.1.1.20.18), and RECURRENCE-ID instances without a master fare no better;
  an iTIP message is about one calendar object (one UID), clients act on one object per
  message, and CalConnect's iMIP practice is one calendar object per e-mail. So the mailer
  sends one message per session. Keeping session 1 on the bare UID means bookings (one
  session) and events that later gain a session never orphan an existing calendar entry.
  Sessions must be given in start order and are numbered in it; when a session is removed,
  the later ones move up (a reschedule) and the caller sends a CANCEL, built from the old
  invitation, for the numbers that no longer exist.
* **Attendees.** For events, pass only the recipient as attendee: participants must not see
  each other's addresses, and a per-recipient message is what an event change sends anyway.
* **Feeds omit cancelled entries** rather than marking them: a subscribed calendar is replaced
  on each refresh, so a missing entry disappears everywhere, while not every client honours
  ``STATUS:CANCELLED`` in a feed.
* **Escaping.** TEXT is escaped (``\\``, ``;``, ``,``, newlines) and lines are folded. Before
  that, ``normalize_text`` makes text representable (see its docstring) and
  ``normalize_parameter`` makes parameter values (CN) safe; no input can add a property or a
  parameter. Addresses, URLs and UIDs are not free text: anything unsafe in them is rejected.
* **Serialised by hand, not by icalendar.** icalendar's property objects, parameter sorting and
  per-character folding were over nine tenths of an invitation's cost (event fan-outs build one per
  participant, bookings one inside their transaction). The text is still icalendar's, byte for
  byte, but for one fix (a literal ``\\N`` in TEXT stays literal); icalendar remains the
  reference the tests compare with (``tests/notifications/ics_oracle.py``) and parse with.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo


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
    "Session",
    "build_feed",
    "build_invitation",
    "build_invitations",
    "media_type",
    "normalize_parameter",
    "normalize_text",
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
# The EU rules since 1996 as two RRULEs, in the common shape libical-based clients export; one
# yearly rule per observance is also what Outlook's own time zone structure can hold.
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
    characters are dropped, lone surrogates become U+FFFD. Parsing the output gives exactly this.
    """
    value = _SURROGATES.sub("\ufffd", value)
    value = _LINE_BREAKS.sub("\n", value)
    return _CONTROLS.sub("", value)


def normalize_parameter(value: str) -> str:
    """The value a parameter (CN) will carry for ``value``: one line, no double quote.

    RFC 5545 allows neither control characters nor DQUOTE in a quoted parameter value, so line
    breaks and tabs become spaces, double quotes are dropped and the ends are stripped.
    Backslashes are dropped too: parameters have no backslash escaping, yet parsers (icalendar's
    among them) read ``CN=\\:mailto:...`` as an escaped colon. The builder quotes the rest where
    needed and escapes ``^`` (RFC 6868). Parsing the output gives exactly this.
    """
    text = normalize_text(value).replace("\n", " ").replace("\t", " ")
    return text.replace('"', "").replace("\\", "").strip()


def session_uid(uid: str, number: int) -> str:
    """UID of session ``number`` (1-based) of the event ``uid``: session 1 keeps the UID."""
    if number < 1:
        raise ValueError(f"session numbers start at 1, got {number}")
    return uid if number == 1 else f"{uid}-s{number}"


# The METHOD property as this module writes it: its own line of the VCALENDAR header. TEXT
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


# --- Serialisation ------------------------------------------------------------------------------
#
# Written by hand: icalendar built a property object per value, sorted parameters and folded
# character by character: over nine tenths of the time an invitation took. The text is the
# same as icalendar's, byte for byte (property order, parameter quoting, folding), except that a
# literal backslash-N in TEXT stays literal (icalendar turned it into a line break, so parsing
# the output did not give ``normalize_text`` back); tests/notifications/test_ics_serialisation.py
# compares the two on generated invitations and feeds.

# Octets of content per physical line: icalendar folds before a character that would make 75,
# so a line holds at most 74 and a continuation line, with its leading space, 75.
_FOLD_AT = 74
_UTF8_CONTINUATION = 0x80  # 0b10xxxxxx: not the first octet of a character
# A fold right after a backslash or a caret would split a TEXT escape (\n, \;) or an RFC 6868
# one (^^): valid, but some clients mishandle it, so icalendar (issue #1501) moves it over.
_ESCAPE_OCTETS = frozenset(b"\\^")
_FOLD = b"\r\n "
# RFC 5545 3.2: a parameter value with ",", ";" or ":" must be quoted; icalendar also quotes a CN
# with a space or an apostrophe (and U+2019, its typographic twin). DQUOTE cannot occur.
_QUOTED_PARAMETER = re.compile("[ ',:;\u2019]")
# What normalize_text could change: without any of it the text is returned as it is.
_NOT_NORMAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _fold(line: str) -> str:
    """``line`` folded (RFC 5545 3.1): CRLF and a space after at most 74 octets of UTF-8.

    A fold never splits a character and never follows a ``\\`` or ``^`` (see
    ``_ESCAPE_OCTETS``). No CRLF at the end: the caller adds it.
    """
    if len(line) <= _FOLD_AT and line.isascii():
        return line
    data = line.encode("utf-8")
    size = len(data)
    if size <= _FOLD_AT:
        return line
    parts = []
    start = 0
    while size - start > _FOLD_AT:
        cut = start + _FOLD_AT
        while data[cut] & 0xC0 == _UTF8_CONTINUATION:
            cut -= 1
        if data[cut - 1] in _ESCAPE_OCTETS:
            cut -= 1
        parts.append(data[start:cut])
        start = cut
    parts.append(data[start:])
    return _FOLD.join(parts).decode("utf-8")


def _text(value: str) -> str:
    """TEXT (RFC 5545 3.3.11) for ``value``, already normalised (so no CR is left)."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _normal(value: str) -> str:
    """``normalize_text(value)``, without its three substitutions for text that needs none."""
    return normalize_text(value) if _NOT_NORMAL.search(value) else value


def _cn(name: str) -> str:
    """The ``;CN=...`` parameter for ``name``, or nothing when no name is left."""
    cn = normalize_parameter(name)
    if not cn:
        return ""
    cn = cn.replace("^", "^^")  # RFC 6868; DQUOTE and line breaks are gone already
    return f';CN="{cn}"' if _QUOTED_PARAMETER.search(cn) else f";CN={cn}"


def _utc(value: datetime) -> str:
    utc = value.astimezone(UTC)
    return f"{utc.year:04}{utc.month:02}{utc.day:02}T{utc.hour:02}{utc.minute:02}{utc.second:02}Z"


def _local(name: str, value: datetime) -> str:
    """``name`` with ``value`` as Berlin local time (whole seconds), or in UTC where it must be."""
    local = value.astimezone(_BERLIN)
    # RFC 5545 3.3.5: a local time that occurs twice (the hour the clocks go back) means its
    # first occurrence, so the second one can only be written in UTC.
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        return f"{name}:{_utc(value)}"
    return (
        f"{name};TZID={TIMEZONE}:{local.year:04}{local.month:02}{local.day:02}"
        f"T{local.hour:02}{local.minute:02}{local.second:02}"
    )


def _calendar(method: str, properties: str = "") -> str:
    """The VCALENDAR's opening lines up to and including the VTIMEZONE (no VEVENT yet); no
    METHOD line for an empty ``method`` (a plain calendar file, not an iTIP message)."""
    method_line = f"METHOD:{method}\r\n" if method else ""
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:{PRODID}\r\nCALSCALE:GREGORIAN\r\n"
        f"{method_line}{properties}{_VTIMEZONE_TEXT}"
    )


_INVITATION_HEADERS = {method: _calendar(method) for method in _METHODS}


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
    attendees: str = "",
    organizer: str = "",
) -> str:
    """One VEVENT; ``attendees`` and ``organizer`` are finished lines (folded, no final CRLF).

    The order is icalendar's: SUMMARY, DTSTART, DTEND, DTSTAMP, UID, SEQUENCE, then the rest
    alphabetically. UID and STATUS need no escaping (their checks allow no TEXT special), URL
    is a URI and is never escaped.
    """
    lines = [
        "BEGIN:VEVENT",
        _fold(f"SUMMARY:{_text(_normal(summary))}"),
        _local("DTSTART", start),
        _local("DTEND", end),
        f"DTSTAMP:{_utc(dtstamp)}",
        _fold(f"UID:{uid}"),
        f"SEQUENCE:{sequence}",
    ]
    if attendees:
        lines.append(attendees)
    # Optional text is left out when nothing of it survives normalisation.
    if description := _normal(description):
        lines.append(_fold(f"DESCRIPTION:{_text(description)}"))
    if location := _normal(location):
        lines.append(_fold(f"LOCATION:{_text(location)}"))
    if organizer:
        lines.append(organizer)
    lines.append(f"STATUS:{status}")
    if url:
        lines.append(_fold(f"URL:{url}"))
    lines.append("END:VEVENT\r\n")
    return "\r\n".join(lines)


def build_invitation(inv: Invitation, session: int = 1) -> str:
    """The iTIP message (one VCALENDAR, one VEVENT) for session ``session`` (1-based) of ``inv``."""
    if not 1 <= session <= len(inv.sessions):
        raise ValueError(f"session {session} not in 1..{len(inv.sessions)}")
    span = inv.sessions[session - 1]
    attendees = "\r\n".join(
        _fold(
            f"ATTENDEE{_cn(attendee.name)};PARTSTAT={attendee.partstat};ROLE={attendee.role}"
            f";RSVP={'TRUE' if attendee.rsvp else 'FALSE'}:mailto:{attendee.email}"
        )
        for attendee in inv.attendees
    )
    organizer = _fold(f"ORGANIZER{_cn(inv.organizer.name)}:mailto:{inv.organizer.email}")
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
        attendees=attendees,
        organizer=organizer,
    )
    return _INVITATION_HEADERS[inv.method] + event + _END


def build_invitations(inv: Invitation) -> list[str]:
    """One iTIP message per session of ``inv``, in session order (send each as its own e-mail)."""
    return [build_invitation(inv, number) for number in range(1, len(inv.sessions) + 1)]


def build_feed(entries: Iterable[FeedEntry], name: str, *, method: str = "PUBLISH") -> str:
    """A private subscription feed (METHOD:PUBLISH) of ``entries``; cancelled ones are left out.

    ``method=""`` makes it a plain calendar file without METHOD, for a one-off download of
    something that may still change: issue 7 wants no PUBLISH for that (Google cannot cancel a
    published entry), and an iTIP REQUEST carries one UID only.
    """
    if method not in ("PUBLISH", ""):
        raise ValueError(f"a feed is PUBLISH or has no METHOD, got {method!r}")
    calendar_name = normalize_text(name).replace("\n", " ")
    # NAME is RFC 7986 (TEXT); X-WR-CALNAME is the older spelling most clients still read, TEXT
    # as well. Escaped like every TEXT, so that strict clients read a "," or ";" in the name.
    # Refresh hourly (RFC 7986 and the older Microsoft spelling); clients that ignore both use
    # their own interval. The header ends with the VTIMEZONE, so even an empty feed is valid
    # (a VCALENDAR needs at least one component).
    header = _calendar(
        method,
        f"{_fold(f'NAME:{_text(calendar_name)}')}\r\n"
        f"{_fold(f'X-WR-CALNAME:{_text(calendar_name)}')}\r\n"
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\nX-PUBLISHED-TTL:PT1H\r\n",
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
        for entry in entries
        if entry.status != "CANCELLED"
    )
    return header + events + _END
