"""notifications/ics.py builds through icalendar, prepared once and attendees put in: the same
text as building every invitation whole with icalendar, proven here.

The oracle is the whole-invitation icalendar builder (tests/notifications/ics_oracle.py). For
generated invitations and feeds (any code point, iCalendar's delimiters, CR/LF, emoji, long
text, several sessions, REQUEST and CANCEL, times in any zone, the repeated hour) the module's
text must equal the oracle's byte for byte, and parse with icalendar to the same components,
properties, parameters and values. The one intended difference: a literal ``\\N`` in TEXT,
which icalendar's writer turns into a line break; there the TEXT must read back as
``normalize_text`` of the input, and every other line must still be the same to the byte.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifications.ics import (
    Attendee,
    FeedEntry,
    Invitation,
    Organizer,
    Session,
    build_feed,
    build_invitation,
    normalize_text,
)
from tests.ics_rules import assert_valid_invitation, assert_wire_format
from tests.notifications.ics_oracle import oracle_feed, oracle_invitation

BERLIN = ZoneInfo("Europe/Berlin")
DTSTAMP = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
TEXT_PROPERTIES = ("SUMMARY", "DESCRIPTION", "LOCATION")

# Pieces that stress escaping, quoting and folding, mixed with any code point at all.
PIECES = [
    *"\\;,:\"'^=\t \r\n\x0b\x00\x85\u2028\u2019",
    "\\n",
    "\r\n",
    "^^",
    "ü",
    "€",
    "𝄞",
    "🗳️",
    "👩‍👩‍👧",
    "\ud800",
    "Bürgerhaushalt ",
]
TEXTS = st.lists(
    st.one_of(st.characters(exclude_categories=[]), st.sampled_from(PIECES)), max_size=120
).map("".join)
LONG_TEXTS = st.one_of(TEXTS, TEXTS.map(lambda text: text * 7))
# A literal backslash-N (the one difference from icalendar), in about one summary in four.
SUMMARIES = st.one_of(TEXTS, TEXTS, TEXTS, st.builds("{}C:\\Nutzer{}".format, TEXTS, TEXTS))
# What the validators accept, with the characters that matter for folding (^, multi-byte).
EMAILS = st.builds(
    "{}@{}".format,
    st.text("abz09.+_^'=/!#ü-", min_size=1, max_size=40),
    st.text("abzß09.-", min_size=1, max_size=60),
)
UIDS = st.text("AZaz09@._^'=/!#-", min_size=1, max_size=200)
URLS = st.one_of(
    st.just(""),
    st.builds("https://{}".format, st.text("az09./^;,=&?%~-", min_size=1, max_size=150)),
)
ZONES = st.sampled_from(
    [UTC, BERLIN, ZoneInfo("America/New_York"), timezone(timedelta(hours=5, minutes=30))]
)
# 00:30 and 01:30 UTC on 2027-10-31 are both 02:30 in Berlin: the second is written in UTC.
REPEATED_HOUR = [
    datetime(2027, 10, 31, 0, 30, tzinfo=UTC),
    datetime(2027, 10, 31, 1, 30, tzinfo=UTC),
]
# Real instants, from 1996 (the VTIMEZONE's rules are the EU's since then), drawn in UTC and
# shown in some zone.
UTC_INSTANTS = st.one_of(
    st.datetimes(datetime(1996, 1, 2), datetime(2100, 1, 1), timezones=st.just(UTC)),
    st.sampled_from(REPEATED_HOUR),
)


def shown_in(zone: tzinfo, instant: datetime) -> datetime:
    """``instant`` in ``zone``; in UTC where that is the second occurrence of a wall time.

    Python compares two datetimes of one zone by wall time, fold ignored, so Session refuses a
    span from 02:30 CEST to 02:10 CET ("ends before it starts"; a gap in its check, not in the
    serialisation). Second occurrences in UTC keep the wall order that of the instants; the
    builder converts every time to Berlin itself, so the repeated hour is still tested.
    """
    local = instant.astimezone(zone)
    return instant if local.fold else local


INSTANTS = st.builds(shown_in, ZONES, UTC_INSTANTS)
LENGTHS = st.timedeltas(timedelta(seconds=1), timedelta(days=3))


@st.composite
def session(draw: st.DrawFn, start: datetime | None = None) -> Session:
    start = draw(UTC_INSTANTS) if start is None else start
    end = start + draw(LENGTHS)
    return Session(shown_in(draw(ZONES), start), shown_in(draw(ZONES), end))


ATTENDEES = st.builds(
    Attendee,
    email=EMAILS,
    name=TEXTS,
    partstat=st.sampled_from(["NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED"]),
    rsvp=st.booleans(),
    role=st.sampled_from(["REQ-PARTICIPANT", "OPT-PARTICIPANT", "NON-PARTICIPANT", "CHAIR"]),
)
METHOD_AND_STATUS = st.sampled_from(
    [("REQUEST", "CONFIRMED"), ("REQUEST", "TENTATIVE"), ("CANCEL", "CANCELLED")]
)


@st.composite
def invitations(draw: st.DrawFn) -> Invitation:
    method, status = draw(METHOD_AND_STATUS)
    return Invitation(
        uid=draw(UIDS),
        sequence=draw(st.integers(0, 2**31 - 1)),
        summary=draw(SUMMARIES),
        organizer=Organizer(draw(EMAILS), draw(TEXTS)),
        attendees=tuple(draw(st.lists(ATTENDEES, min_size=1, max_size=4))),
        sessions=tuple(
            draw(session(start))
            for start in sorted(draw(st.lists(UTC_INSTANTS, min_size=1, max_size=3)))
        ),
        dtstamp=draw(INSTANTS),
        method=method,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        description=draw(LONG_TEXTS),
        location=draw(TEXTS),
        url=draw(URLS),
    )


@st.composite
def feed_entries(draw: st.DrawFn) -> FeedEntry:
    span = draw(session())
    return FeedEntry(
        uid=draw(UIDS),
        sequence=draw(st.integers(0, 1000)),
        summary=draw(SUMMARIES),
        start=span.start,
        end=span.end,
        dtstamp=draw(INSTANTS),
        status=draw(st.sampled_from(["CONFIRMED", "TENTATIVE", "CANCELLED"])),
        description=draw(LONG_TEXTS),
        location=draw(TEXTS),
        url=draw(URLS),
    )


def decoded(data: str) -> list[tuple[str, dict[str, str], str, object]]:
    """Every property icalendar reads from ``data``, in order, with BEGIN/END of components."""
    result = []
    for name, value in icalendar.Calendar.from_ical(data).property_items(sorted=False):
        params = {key: str(param) for key, param in getattr(value, "params", {}).items()}
        if hasattr(value, "dt"):  # date-times: the datetime, its zone pinned by the TZID above
            plain: object = value.dt
        elif isinstance(value, bytes):  # BEGIN and END
            plain = value.decode()
        elif isinstance(value, str):  # TEXT (unescaped), CAL-ADDRESS, URI, unknown
            plain = str(value)
        else:  # integers, UTC offsets, recurrence rules
            plain = value.to_ical()
        result.append((name, params, type(value).__name__, plain))
    return result


def content_lines_as_written(data: str) -> list[str]:
    """``data`` split into content lines, each with its folds (CRLF before a space) kept."""
    return re.split("\r\n(?! )", data)


def assert_same_as_oracle(new: str, old: str, events: list[tuple[str, str, str]]) -> None:
    """``new`` is ``old`` byte for byte, but for the TEXT of an event with a literal ``\\N``.

    ``events`` are the summary, description and location of the VEVENTs in order. Where one of
    them holds ``\\N`` (which icalendar's writer made a line break), every other content line
    must still be the same to the byte, and the TEXT must read back as ``normalize_text`` says.
    """
    assert_wire_format(new)  # CRLF only, every line at most 75 octets, no character split
    if not any("\\N" in normalize_text(text) for event in events for text in event):
        assert new == old  # and so icalendar reads the same from both
        return
    assert [
        line for line in content_lines_as_written(new) if not line.startswith(TEXT_PROPERTIES)
    ] == [line for line in content_lines_as_written(old) if not line.startswith(TEXT_PROPERTIES)]
    texts = [value for name, _, _, value in decoded(new) if name in TEXT_PROPERTIES]
    wanted = []
    for summary, *optional in events:  # an empty DESCRIPTION or LOCATION is left out
        wanted += [normalize_text(summary), *filter(None, map(normalize_text, optional))]
    assert texts == wanted


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inv=invitations())
def test_invitations_are_what_icalendar_wrote(inv: Invitation) -> None:
    for number in range(1, len(inv.sessions) + 1):
        new = build_invitation(inv, number)
        old = oracle_invitation(inv, number)
        assert_same_as_oracle(new, old, [(inv.summary, inv.description, inv.location)])
    assert_valid_invitation(new, method=inv.method)  # the ical parser too, and the iTIP rules


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.lists(feed_entries(), max_size=4), name=TEXTS)
def test_feeds_are_what_icalendar_wrote(entries: list[FeedEntry], name: str) -> None:
    events = [(e.summary, e.description, e.location) for e in entries if e.status != "CANCELLED"]
    assert_same_as_oracle(build_feed(entries, name), oracle_feed(entries, name), events)


@pytest.mark.parametrize("probe", ["\\", ";", "^", "ü", "€", "🗳", "\\n", "^^", "ab"])
def test_folding_at_every_offset_is_what_icalendar_wrote(probe: str) -> None:
    # Each size puts the probe (an escape, a multi-byte character) one octet further along, so
    # the sizes carry it across the first fold of SUMMARY, DESCRIPTION, LOCATION, ATTENDEE's
    # CN and ORGANIZER's CN, and a "^" across that of UID and URL.
    for size in range(56, 82):
        text = f"{'x' * size}{probe * 3}{'y' * 80}"
        inv = Invitation(
            uid=f"{'u' * size}^-{size}@consult.example",
            sequence=1,
            summary=text,
            organizer=Organizer("org@consult.example", f"{'O' * (size - 5)}{probe * 3}"),
            attendees=(Attendee(f"{'a' * (size - 60)}^x@example.org", text),),
            sessions=(Session(DTSTAMP, DTSTAMP + timedelta(hours=1)),),
            dtstamp=DTSTAMP,
            description=text,
            location=text,
            url=f"https://consult.example/{'p' * (size - 18)}^^/x",
        )
        assert_same_as_oracle(build_invitation(inv), oracle_invitation(inv), [text])


def test_a_literal_backslash_n_stays_literal() -> None:
    inv = Invitation(
        uid="event-1@consult.example",
        sequence=0,
        summary="Ablage C:\\Nutzer\\Neu",
        organizer=Organizer("org@consult.example"),
        attendees=(Attendee("anna@example.org"),),
        sessions=(Session(DTSTAMP, DTSTAMP + timedelta(hours=1)),),
        dtstamp=DTSTAMP,
    )

    (new,) = icalendar.Calendar.from_ical(build_invitation(inv)).walk("VEVENT")
    (old,) = icalendar.Calendar.from_ical(oracle_invitation(inv)).walk("VEVENT")

    assert str(new["SUMMARY"]) == "Ablage C:\\Nutzer\\Neu"
    assert str(old["SUMMARY"]) == "Ablage C:\nutzer\neu"  # what icalendar's writer made of it


def test_a_sequence_beyond_rfc_5545_integers_is_refused_when_created() -> None:
    # icalendar refuses it only when writing; the module refuses it when the data is created.
    span = Session(DTSTAMP, DTSTAMP + timedelta(hours=1))
    with pytest.raises(ValueError, match="SEQUENCE"):
        Invitation(
            uid="event-1@consult.example",
            sequence=2**31,
            summary="x",
            organizer=Organizer("org@consult.example"),
            attendees=(Attendee("anna@example.org"),),
            sessions=(span,),
            dtstamp=DTSTAMP,
        )
    with pytest.raises(ValueError, match="SEQUENCE"):
        FeedEntry(
            uid="b-1",
            sequence=2**31,
            summary="x",
            start=span.start,
            end=span.end,
            dtstamp=DTSTAMP,
        )


@pytest.mark.parametrize("summary", ["\ufeffC:\\Nutzer", "\ufeffTitel", "\x00\ufeff\ufeffTitel"])
def test_a_leading_byte_order_mark_goes_as_icalendar_reads_it(summary: str) -> None:
    # icalendar decodes each value as UTF-8 with signature, dropping a BOM at its start; the
    # normalised text says so, so the invitation reads back as documented either way.
    inv = Invitation(
        uid="event-1@consult.example",
        sequence=0,
        summary=summary,
        organizer=Organizer("org@consult.example"),
        attendees=(Attendee("anna@example.org"),),
        sessions=(Session(DTSTAMP, DTSTAMP + timedelta(hours=1)),),
        dtstamp=DTSTAMP,
    )

    assert_same_as_oracle(build_invitation(inv), oracle_invitation(inv), [(summary, "", "")])
    (event,) = icalendar.Calendar.from_ical(build_invitation(inv)).walk("VEVENT")
    assert str(event["SUMMARY"]) == normalize_text(summary) == summary.lstrip("\x00\ufeff")
