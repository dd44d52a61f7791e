"""The pure iCalendar builder (notifications/ics.py): invitations, DST, escaping, feeds; no DB."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
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
    build_invitations,
    media_type,
    normalize_parameter,
    normalize_text,
    prepare_invitation,
    session_uid,
)
from tests.ics_rules import (
    assert_imip_method_matches,
    assert_valid_feed,
    assert_valid_invitation,
    assert_vtimezones_match_zoneinfo,
    assert_wire_format,
    content_lines,
    event_property_names,
    parse_with_ical,
)

BERLIN = ZoneInfo("Europe/Berlin")
DTSTAMP = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
ORGANIZER = Organizer("veranstaltungen@consult.example", "Netzwerk Bürgerhaushalt")
ANNA = Attendee("anna@example.org", "Anna Schmidt")


def berlin(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def invitation(**changes: object) -> Invitation:
    base = Invitation(
        uid="event-42@consult.example",
        sequence=0,
        summary="Werkstatt Bürgerhaushalt",
        organizer=ORGANIZER,
        attendees=(ANNA,),
        sessions=(Session(berlin(2027, 6, 10, 10), berlin(2027, 6, 10, 12)),),
        dtstamp=DTSTAMP,
        description="Praxis der Vorschlagsphase.\nBitte Laptop mitbringen.",
        location="Rathaus, Saal 2",
        url="https://consult.example/events/42",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def only_event(data: str) -> icalendar.Event:
    (event,) = icalendar.Calendar.from_ical(data).walk("VEVENT")
    return event


def lines_of(data: str, name: str) -> list[tuple[dict[str, str], str]]:
    """Parameters and raw value of each ``name`` line outside the VTIMEZONE."""
    lines = content_lines(data)
    if ("END", {}, "VTIMEZONE") in lines:
        lines = lines[lines.index(("END", {}, "VTIMEZONE")) :]
    return [(params, value) for n, params, value in lines if n == name]


# --- REQUEST, update, CANCEL -------------------------------------------------------------------


def test_new_invitation_is_a_request_with_everything_clients_need() -> None:
    data = build_invitation(invitation())

    assert isinstance(data, str)
    assert_valid_invitation(data, method="REQUEST")
    calendar = {n: v for n, _, v in content_lines(data)[:6]}
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["PRODID"].startswith("-//consult//")
    event = only_event(data)
    assert str(event["UID"]) == "event-42@consult.example"
    assert int(event["SEQUENCE"]) == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == "Rathaus, Saal 2"
    assert str(event["URL"]) == "https://consult.example/events/42"
    assert str(event["DESCRIPTION"]) == "Praxis der Vorschlagsphase.\nBitte Laptop mitbringen."
    ((organizer_params, organizer),) = lines_of(data, "ORGANIZER")
    assert organizer == "mailto:veranstaltungen@consult.example"
    assert organizer_params == {"CN": "Netzwerk Bürgerhaushalt"}
    ((params, attendee),) = lines_of(data, "ATTENDEE")
    assert attendee == "mailto:anna@example.org"
    assert params == {
        "CN": "Anna Schmidt",
        "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": "NEEDS-ACTION",
        "RSVP": "TRUE",
    }


def test_update_raises_sequence_and_keeps_uid() -> None:
    first = invitation()
    moved = replace(
        first,
        sequence=1,
        sessions=(Session(berlin(2027, 6, 11, 14), berlin(2027, 6, 11, 16)),),
        dtstamp=DTSTAMP + timedelta(days=2),
    )

    before = only_event(build_invitation(first))
    after_data = build_invitation(moved)
    assert_valid_invitation(after_data, method="REQUEST")
    after = only_event(after_data)

    assert str(after["UID"]) == str(before["UID"])
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after.decoded("DTSTART") == berlin(2027, 6, 11, 14)
    assert after.decoded("DTSTAMP") > before.decoded("DTSTAMP")


def test_cancel_has_method_cancel_and_status_cancelled() -> None:
    cancel = replace(invitation(), method="CANCEL", status="CANCELLED", sequence=2)

    data = build_invitation(cancel)

    assert_valid_invitation(data, method="CANCEL")
    event = only_event(data)
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == "event-42@consult.example"
    assert int(event["SEQUENCE"]) == 2


@pytest.mark.parametrize(
    ("method", "status"),
    [("CANCEL", "CONFIRMED"), ("REQUEST", "CANCELLED"), ("PUBLISH", "CONFIRMED")],
)
def test_method_and_status_that_contradict_are_refused(method: str, status: str) -> None:
    with pytest.raises(ValueError):
        invitation(method=method, status=status)


def test_tentative_request_and_an_attendee_who_accepted() -> None:
    accepted = Attendee("bo@example.org", "Bo", partstat="ACCEPTED", rsvp=False)
    data = build_invitation(invitation(status="TENTATIVE", attendees=(accepted,)))

    assert_valid_invitation(data, method="REQUEST")
    ((params, _),) = lines_of(data, "ATTENDEE")
    assert params["PARTSTAT"] == "ACCEPTED"
    assert params["RSVP"] == "FALSE"
    assert str(only_event(data)["STATUS"]) == "TENTATIVE"


def test_dtstamp_is_written_in_utc_whatever_zone_it_came_in() -> None:
    data = build_invitation(invitation(dtstamp=berlin(2027, 7, 1, 12)))

    ((_, stamp),) = lines_of(data, "DTSTAMP")
    assert stamp == "20270701T100000Z"


# --- Time zone ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "local_text", "utc"),
    [
        # Sunday of the spring switch: 10:00 is already summer time (+02:00).
        (berlin(2027, 3, 28, 10), "20270328T100000", datetime(2027, 3, 28, 8, tzinfo=UTC)),
        # Sunday of the autumn switch: 10:00 is back on winter time (+01:00).
        (berlin(2027, 10, 31, 10), "20271031T100000", datetime(2027, 10, 31, 9, tzinfo=UTC)),
    ],
)
def test_sessions_on_dst_switch_days_keep_local_time_and_utc(
    local: datetime, local_text: str, utc: datetime
) -> None:
    data = build_invitation(invitation(sessions=(Session(local, local + timedelta(hours=2)),)))

    assert_valid_invitation(data, method="REQUEST")  # also compares both parsers' UTC
    ((params, value),) = lines_of(data, "DTSTART")
    assert params == {"TZID": "Europe/Berlin"}
    assert value == local_text
    assert only_event(data).decoded("DTSTART").astimezone(UTC) == utc
    (event,) = parse_with_ical(data).events
    assert event.dtstart.astimezone(UTC) == utc
    assert event.dtend.astimezone(UTC) == utc + timedelta(hours=2)


def test_times_in_other_zones_are_written_as_berlin_local_time() -> None:
    start = datetime(2027, 3, 28, 8, 0, tzinfo=UTC)
    data = build_invitation(invitation(sessions=(Session(start, start + timedelta(hours=1)),)))

    assert lines_of(data, "DTSTART") == [({"TZID": "Europe/Berlin"}, "20270328T100000")]
    assert lines_of(data, "DTEND") == [({"TZID": "Europe/Berlin"}, "20270328T110000")]


def test_second_occurrence_of_the_repeated_hour_is_written_in_utc() -> None:
    # 00:30 and 01:30 UTC on 2027-10-31 are both 02:30 in Berlin; a local time with TZID
    # means the first one (RFC 5545 3.3.5), so the second must not be written as local time.
    first = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    second = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)

    for start, expected in [
        (first, ({"TZID": "Europe/Berlin"}, "20271031T023000")),
        (second, ({}, "20271031T013000Z")),
    ]:
        data = build_invitation(invitation(sessions=(Session(start, start + timedelta(hours=2)),)))
        assert_valid_invitation(data, method="REQUEST")
        assert lines_of(data, "DTSTART") == [expected]
        assert only_event(data).decoded("DTSTART").astimezone(UTC) == start


def test_vtimezone_is_rrule_based_and_precedes_the_event() -> None:
    data = build_invitation(invitation())
    names = [(n, v) for n, _, v in content_lines(data)]

    assert names.index(("END", "VTIMEZONE")) < names.index(("BEGIN", "VEVENT"))
    assert [v for n, v in names if n == "RRULE"] == [
        "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    ]
    assert "RDATE" not in dict(names)


def test_vtimezone_agrees_with_tzdata_from_1996_to_2037() -> None:
    assert_vtimezones_match_zoneinfo(build_invitation(invitation()), range(1996, 2038))


# --- Escaping and injection ---------------------------------------------------------------------

INJECTIONS = [
    "Titel\r\nATTENDEE:mailto:evil@example.org",
    "Titel\nORGANIZER:mailto:evil@example.org",
    "Titel\rEND:VEVENT\r\nBEGIN:VEVENT",
    'Name";ROLE=CHAIR;X="',
    "Name:mailto:evil@example.org",
    "a;b,c\\d\\n",
    "Zeile\u2028Trenner\x85NEL\x0bVT\x00NUL",
]


@pytest.mark.parametrize("evil", INJECTIONS)
def test_crlf_and_delimiters_in_text_cannot_add_properties_or_parameters(evil: str) -> None:
    harmless = build_invitation(invitation())
    data = build_invitation(
        invitation(
            summary=evil,
            location=evil,
            description=evil,
            organizer=Organizer(ORGANIZER.email, evil),
            attendees=(Attendee(ANNA.email, evil),),
        )
    )

    assert_valid_invitation(data, method="REQUEST")
    assert event_property_names(data) == event_property_names(harmless)
    event = only_event(data)
    assert str(event["SUMMARY"]) == normalize_text(evil)
    assert str(event["LOCATION"]) == normalize_text(evil)
    assert str(event["DESCRIPTION"]) == normalize_text(evil)
    ((params, address),) = lines_of(data, "ATTENDEE")
    assert address == "mailto:anna@example.org"
    assert set(params) == {"CN", "ROLE", "PARTSTAT", "RSVP"}
    assert params["CN"] == normalize_parameter(evil)
    assert params["ROLE"] == "REQ-PARTICIPANT"
    ((organizer_params, _),) = lines_of(data, "ORGANIZER")
    assert organizer_params == {"CN": normalize_parameter(evil)}


def test_documented_normalisation() -> None:
    assert normalize_text("a\r\nb\rc\u2028d\x00e\tf") == "a\nb\nc\nde\tf"
    assert normalize_text("\ud800") == "\ufffd"
    assert normalize_parameter(' Anna "Nanni"\r\nSchmidt\t\\ ') == "Anna Nanni Schmidt"


@pytest.mark.parametrize(
    "field",
    [
        {"uid": "has space"},
        {"uid": "comma,uid"},
        {"uid": "new\r\nline"},
        {"uid": ""},
        {"url": "javascript:alert(1)"},
        {"url": "https://x.example/a b"},
        {"url": 'https://x.example/"'},
        {"sequence": -1},
        {"attendees": ()},
        {"sessions": ()},
        {"dtstamp": datetime(2027, 1, 5, 9, 0)},  # naive
    ],
)
def test_invalid_invitations_are_refused(field: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        invitation(**field)


@pytest.mark.parametrize(
    "email",
    ["evil@example.org\r\nATTENDEE:mailto:x@y", "a b@example.org", '"a"@example.org', "no-at-sign"],
)
def test_unsafe_addresses_are_refused(email: str) -> None:
    with pytest.raises(ValueError):
        Attendee(email, "X")
    with pytest.raises(ValueError):
        Organizer(email, "X")


def test_sessions_must_be_aware_and_end_after_start() -> None:
    with pytest.raises(ValueError):
        Session(datetime(2027, 6, 10, 10), datetime(2027, 6, 10, 12))
    with pytest.raises(ValueError):
        Session(berlin(2027, 6, 10, 12), berlin(2027, 6, 10, 12))


BASE_PROPERTIES = {"SUMMARY", "DTSTART", "DTEND", "DTSTAMP", "UID", "SEQUENCE", "STATUS", "URL"}
# Any code point (surrogates and controls included), with iCalendar's delimiters made common.
TEXTS = st.text(
    st.one_of(
        st.characters(exclude_categories=[]),
        st.sampled_from('\r\n\t;,:="\\^\u2028\x85 '),
    ),
    max_size=300,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(summary=TEXTS, location=TEXTS, description=TEXTS, name=TEXTS, organizer_name=TEXTS)
def test_arbitrary_text_never_breaks_the_file(
    summary: str, location: str, description: str, name: str, organizer_name: str
) -> None:
    data = build_invitation(
        invitation(
            summary=summary,
            location=location,
            description=description,
            organizer=Organizer(ORGANIZER.email, organizer_name),
            attendees=(Attendee(ANNA.email, name),),
        )
    )

    assert_valid_invitation(data, method="REQUEST")  # wire format, both parsers agree
    (names,) = event_property_names(data)
    expected = BASE_PROPERTIES | {"ATTENDEE", "ORGANIZER"}
    expected |= {
        n
        for n, text in [("LOCATION", location), ("DESCRIPTION", description)]
        if normalize_text(text)
    }
    assert sorted(names) == sorted(expected)  # each exactly once: nothing added, nothing split
    event = only_event(data)
    assert str(event["SUMMARY"]) == normalize_text(summary)
    assert str(event.get("LOCATION", "")) == normalize_text(location)
    assert str(event.get("DESCRIPTION", "")) == normalize_text(description)
    (ical_event,) = parse_with_ical(data).events
    assert (ical_event.location or "") == normalize_text(location)
    assert (ical_event.description or "") == normalize_text(description)
    ((params, _),) = lines_of(data, "ATTENDEE")
    assert params.get("CN", "") == normalize_parameter(name)
    ((organizer_params, _),) = lines_of(data, "ORGANIZER")
    assert organizer_params.get("CN", "") == normalize_parameter(organizer_name)


# --- Multi-session events -----------------------------------------------------------------------


def three_sessions() -> Invitation:
    return invitation(
        sessions=(
            Session(berlin(2027, 3, 20, 10), berlin(2027, 3, 20, 12)),
            Session(berlin(2027, 3, 28, 10), berlin(2027, 3, 28, 12, 30)),
            Session(berlin(2027, 4, 3, 9), berlin(2027, 4, 3, 17)),
        ),
        sequence=4,
    )


def test_each_session_is_its_own_message_with_its_own_uid() -> None:
    inv = three_sessions()

    messages = build_invitations(inv)

    assert len(messages) == 3
    events = [only_event(m) for m in messages]
    for message in messages:
        assert_valid_invitation(message, method="REQUEST")
    assert [str(e["UID"]) for e in events] == [
        "event-42@consult.example",
        "event-42@consult.example-s2",
        "event-42@consult.example-s3",
    ]
    assert [e.decoded("DTSTART") for e in events] == [s.start for s in inv.sessions]
    assert [e.decoded("DTEND") for e in events] == [s.end for s in inv.sessions]
    assert {int(e["SEQUENCE"]) for e in events} == {4}
    assert messages[1] == build_invitation(inv, 2)


def test_first_session_keeps_the_event_uid_so_adding_a_session_orphans_nothing() -> None:
    single = invitation()
    grown = replace(
        single,
        sequence=1,
        sessions=(*single.sessions, Session(berlin(2027, 6, 17, 10), berlin(2027, 6, 17, 12))),
    )

    assert session_uid(single.uid, 1) == single.uid
    assert str(only_event(build_invitation(grown, 1))["UID"]) == single.uid
    assert str(only_event(build_invitation(grown, 2))["UID"]) == f"{single.uid}-s2"


def test_a_removed_trailing_session_is_cancelled_by_its_own_uid() -> None:
    before = three_sessions()
    cancel_third = replace(before, method="CANCEL", status="CANCELLED", sequence=5)

    data = build_invitation(cancel_third, 3)

    assert_valid_invitation(data, method="CANCEL")
    assert str(only_event(data)["UID"]) == "event-42@consult.example-s3"


def test_sessions_out_of_start_order_are_refused() -> None:
    inv = three_sessions()

    with pytest.raises(ValueError, match="start order"):
        replace(inv, sessions=tuple(reversed(inv.sessions)))


def test_session_numbers_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError):
        build_invitation(three_sessions(), 4)
    with pytest.raises(ValueError):
        build_invitation(three_sessions(), 0)
    with pytest.raises(ValueError):
        session_uid("x", 0)


# --- Feed ---------------------------------------------------------------------------------------


def entry(uid: str, day: int, **changes: object) -> FeedEntry:
    base = FeedEntry(
        uid=uid,
        sequence=0,
        summary=f"Beratung {uid}",
        start=berlin(2027, 3, day, 10),
        end=berlin(2027, 3, day, 11),
        dtstamp=DTSTAMP,
        location="online",
        url="https://consult.example/bookings/1",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_feed_publishes_bookings_and_leaves_cancelled_ones_out() -> None:
    entries = [
        entry("booking-1@consult.example", 27),
        entry("booking-2@consult.example", 28, status="CANCELLED", sequence=3),
        entry("booking-3@consult.example", 29, status="TENTATIVE"),
        entry(session_uid("event-42@consult.example", 2), 30),
    ]

    data = build_feed(iter(entries), "Termine\r\nX-EVIL:1 Anna Schmidt")

    cal = assert_valid_feed(data)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert [n for n, _, _ in content_lines(data)].count("X-EVIL") == 0
    assert str(cal["X-WR-CALNAME"]) == "Termine X-EVIL:1 Anna Schmidt"
    assert ("REFRESH-INTERVAL", {"VALUE": "DURATION"}, "PT1H") in content_lines(data)
    assert [str(e["UID"]) for e in cal.walk("VEVENT")] == [
        "booking-1@consult.example",
        "booking-3@consult.example",
        "event-42@consult.example-s2",
    ]
    assert [e.decoded("DTSTART") for e in cal.walk("VEVENT")] == [
        berlin(2027, 3, 27, 10),
        berlin(2027, 3, 29, 10),  # after the spring switch: +02:00
        berlin(2027, 3, 30, 10),
    ]


def test_media_type_carries_the_method_of_the_calendar() -> None:
    # RFC 5545 3.7.2 / 8.1: METHOD in the object and method= in the media type go together.
    assert media_type(build_invitation(invitation())) == (
        "text/calendar; method=REQUEST; charset=utf-8"
    )
    cancel = build_invitation(invitation(method="CANCEL", status="CANCELLED"))
    assert media_type(cancel) == "text/calendar; method=CANCEL; charset=utf-8"
    assert media_type(build_feed([], "METHOD:CANCEL")) == (
        "text/calendar; method=PUBLISH; charset=utf-8"
    )
    sneaky = invitation(summary="x\r\nMETHOD:CANCEL\r\n", description="\nMETHOD:CANCEL\n")
    assert media_type(build_invitation(sneaky)) == "text/calendar; method=REQUEST; charset=utf-8"


def test_empty_feed_is_still_a_valid_calendar() -> None:
    data = build_feed([], "Leer")

    assert_valid_feed(data)
    assert not icalendar.Calendar.from_ical(data).walk("VEVENT")


def test_feed_entries_are_validated_like_sessions() -> None:
    with pytest.raises(ValueError):
        entry("b-1", 27, end=berlin(2027, 3, 27, 9))
    with pytest.raises(ValueError):
        entry("b 1", 27)


# --- The rules themselves: each check fails on what it is meant to catch ------------------------


def test_long_multibyte_text_is_folded_within_75_octets() -> None:
    data = build_invitation(invitation(description="Bürgerhaushalt 🗳️ " * 40))

    assert_wire_format(data)
    assert max(len(line) for line in data.encode().split(b"\r\n")) <= 75


def fold(text: str) -> str:
    """Fold each line at 75 octets without splitting a character (RFC 5545 3.1)."""
    out = []
    for line in text.split("\r\n")[:-1]:
        chunk, size = "", 0
        for char in line:
            width = len(char.encode())
            if size + width > 75:
                out.append(chunk)
                chunk, size = " ", 1
            chunk += char
            size += width
        out.append(chunk)
    return "\r\n".join(out) + "\r\n"


@pytest.mark.parametrize(
    ("breakage", "method"),
    [
        (lambda d: d.replace("DTSTAMP:20270105T090000Z", "DTSTAMP:20270105T090000"), "REQUEST"),
        (lambda d: d.replace("STATUS:CONFIRMED", "STATUS:CANCELLED"), "REQUEST"),
        (lambda d: d.replace("METHOD:REQUEST", "METHOD:CANCEL"), "CANCEL"),
        (lambda d: d.replace("METHOD:REQUEST", "METHOD:PUBLISH"), "REQUEST"),
        (lambda d: d.replace("SEQUENCE:0\r\n", ""), "REQUEST"),
        (lambda d: d.replace("SEQUENCE:0\r\n", "SEQUENCE:0\r\nSEQUENCE:1\r\n"), "REQUEST"),
        (lambda d: d.replace(":mailto:org@", ":org@"), "REQUEST"),
        (lambda d: d.replace(";RSVP=TRUE", ""), "REQUEST"),
        (lambda d: d.replace("PARTSTAT=NEEDS-ACTION;", ""), "REQUEST"),
        (lambda d: d.replace("TZID:Europe/Berlin", "TZID:Europe/Paris"), "REQUEST"),
    ],
)
def test_rules_reject_broken_invitations(breakage: Callable[[str], str], method: str) -> None:
    # The breakages edit unfolded lines; folding again keeps the wire format itself valid.
    good = build_invitation(invitation(organizer=Organizer("org@consult.example", "Netzwerk")))
    unfolded = good.replace("\r\n ", "")
    broken = fold(breakage(unfolded))
    assert broken != good

    with pytest.raises(AssertionError):
        assert_valid_invitation(broken, method=method)


def test_rules_reject_bare_line_feeds_and_long_lines() -> None:
    good = build_invitation(invitation())

    with pytest.raises(AssertionError):
        assert_valid_invitation(good.replace("\r\n", "\n"), method="REQUEST")
    with pytest.raises(AssertionError, match="octets"):
        assert_valid_invitation(good.replace("\r\n ", ""), method="REQUEST")


def test_rules_reject_a_vtimezone_after_the_event() -> None:
    good = build_invitation(invitation())
    start, end = good.index("BEGIN:VTIMEZONE"), good.index("BEGIN:VEVENT")
    vtimezone = good[start:end]
    broken = good[:start] + good[end:].replace("END:VCALENDAR", vtimezone + "END:VCALENDAR")

    with pytest.raises(AssertionError, match="VTIMEZONE after VEVENT"):
        assert_valid_invitation(broken, method="REQUEST")


def test_rules_reject_a_vtimezone_with_wrong_rules() -> None:
    broken = build_invitation(invitation()).replace("BYMONTH=10;BYDAY=-1SU", "BYMONTH=10;BYDAY=1SU")

    with pytest.raises(AssertionError, match="tzdata"):
        assert_vtimezones_match_zoneinfo(broken, range(2026, 2028))


def test_rules_reject_two_uids_in_one_message() -> None:
    first, second = build_invitations(three_sessions())[:2]
    event = second[second.index("BEGIN:VEVENT") : second.index("END:VCALENDAR")]
    both = first.replace("END:VCALENDAR", event + "END:VCALENDAR")

    with pytest.raises(AssertionError, match="one UID"):
        assert_valid_invitation(both, method="REQUEST")


def imip_message(ics: str, method: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = "Einladung"
    message.set_content("Sie sind eingeladen.")
    message.add_alternative(ics, subtype="calendar", params={"method": method})
    message.add_attachment(
        ics.encode(), maintype="application", subtype="ics", filename="invite.ics"
    )
    return message


def test_imip_rule_accepts_matching_method_and_rejects_a_mismatch() -> None:
    request = build_invitation(invitation())
    cancel = build_invitation(invitation(method="CANCEL", status="CANCELLED", sequence=1))

    assert assert_imip_method_matches(imip_message(request, "REQUEST")) == "REQUEST"
    assert assert_imip_method_matches(imip_message(cancel, "CANCEL")) == "CANCEL"
    with pytest.raises(AssertionError):
        assert_imip_method_matches(imip_message(cancel, "REQUEST"))


def test_a_span_across_the_repeated_hour_is_compared_in_utc() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2027, 10, 31, 2, 30, tzinfo=berlin)  # CEST, the first 02:30
    end = datetime(2027, 10, 31, 2, 10, fold=1, tzinfo=berlin)  # CET, 40 minutes later
    assert Session(start, end).end == end
    with pytest.raises(ValueError):
        Session(end, start)


def test_the_feed_name_is_escaped_as_text() -> None:
    feed = build_feed([], "Beratungen; Leipzig, Sachsen")
    assert "\r\nNAME:Beratungen\\; Leipzig\\, Sachsen\r\n" in feed
    assert "\r\nX-WR-CALNAME:Beratungen\\; Leipzig\\, Sachsen\r\n" in feed


def test_a_prepared_invitation_gives_each_attendee_their_own_whole_invitation() -> None:
    inv = three_sessions()
    bert = Attendee("bert@example.org", 'Bert "B" Weiß, Dr.')
    prepared = prepare_invitation(inv, 2)

    for_anna, for_bert = prepared.text((ANNA,)), prepared.text((bert,))

    assert for_anna == build_invitation(replace(inv, attendees=(ANNA,)), 2)
    assert for_bert == build_invitation(replace(inv, attendees=(bert,)), 2)
    assert "bert@example.org" not in for_anna and "anna@example.org" not in for_bert
    assert_valid_invitation(for_bert, method="REQUEST")
    with pytest.raises(ValueError, match="ATTENDEE"):
        prepared.text(())
