"""Syncing an expert's own calendars against real servers started here: an iCal feed served by
a local HTTP server and a Radicale CalDAV server; busy time blocks exactly the busy slots, and
confirmed consultations are written into (and removed from) the CalDAV calendar."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import caldav
import pytest

from experts import calendars
from experts.calendar_fetch import FetchError
from experts.calendar_models import BusyInterval, CalendarConnection
from experts.slots import SlotPolicy, WeeklyWindow, free_slots
from tests import factories
from tests.experts.calendar_feeds import EXPECTED, WINDOW, berlin, feed, objects
from tests.experts.calendar_server import Answer, FeedServer, feed_server
from tests.experts.radicale_server import USERS, Radicale, radicale

__all__ = ["feed_server", "radicale"]

NOW = datetime(2027, 3, 15, 12, tzinfo=UTC)  # a week before the diary's window
POLICY = SlotPolicy(tz="Europe/Berlin", durations_minutes=(60,))
WORKDAYS = [WeeklyWindow(day, time(9), time(18)) for day in range(5)]


def spans(connection: CalendarConnection) -> list[tuple[datetime, datetime]]:
    return [
        (b.start, b.end)
        for b in BusyInterval.objects.filter(
            connection=connection, start__lt=WINDOW[1], end__gt=WINDOW[0]
        ).order_by("start")
    ]


def slots_of(expert_id: int) -> list[datetime]:
    busy = calendars.busy_for([expert_id], *WINDOW).get(expert_id, [])
    found = free_slots(
        windows=WORKDAYS,
        exceptions=[],
        busy=busy,
        policy=POLICY,
        now=NOW,
        start=WINDOW[0],
        end=WINDOW[1],
        duration_minutes=60,
    )
    return [s.start.astimezone(UTC) for s in found]


def expected_free() -> list[datetime]:
    """Every working-hours slot of the window that overlaps none of the diary's busy time."""
    all_slots = free_slots(
        windows=WORKDAYS,
        exceptions=[],
        busy=[],
        policy=POLICY,
        now=NOW,
        start=WINDOW[0],
        end=WINDOW[1],
        duration_minutes=60,
    )
    return [
        s.start.astimezone(UTC)
        for s in all_slots
        if not any(a < s.end and s.start < b for a, b in EXPECTED)
    ]


def assert_the_diary_is_respected(expert_id: int) -> None:
    free = slots_of(expert_id)
    assert free == expected_free()
    # The cases one by one (Berlin time):
    assert berlin(3, 23, 10) in free  # the weekly meeting's cancelled occurrence (EXDATE)
    assert berlin(3, 30, 10) in free  # its moved occurrence left Tuesday ...
    assert berlin(3, 31, 14) not in free  # ... for Wednesday 14:00
    assert berlin(3, 31, 13, 30) not in free
    assert berlin(4, 6, 10) not in free and berlin(4, 6, 9, 30) not in free  # a plain one
    assert berlin(3, 24, 9) in free  # transparent: free
    assert berlin(3, 25, 9) in free  # cancelled
    assert berlin(3, 25, 13) not in free  # "W. Europe Standard Time" is Berlin
    assert berlin(3, 25, 12) in free and berlin(3, 25, 14) in free
    assert not [s for s in free if berlin(3, 26, 0) <= s < berlin(3, 27, 0)]  # the holiday
    assert berlin(3, 29, 9) in free  # after the DST night, Monday morning is free again
    assert berlin(3, 29, 16) not in free and berlin(3, 29, 15) in free


# --- iCal feed ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ics_feed_blocks_exactly_the_busy_slots(feed_server: FeedServer) -> None:
    feed_server.routes["/secret/basic.ics"] = Answer(
        body=feed().encode(), headers={"Content-Type": "text/calendar", "ETag": '"v1"'}
    )
    expert = factories.ExpertProfileFactory()
    connection = calendars.connect_calendar(
        expert_id=expert.pk, kind="ics", url=feed_server.url("/secret/basic.ics")
    )
    synced = calendars.sync_calendar(connection_id=connection.pk, now=NOW)
    assert synced is not None
    assert (synced.last_error, synced.last_success, synced.etag) == ("", NOW, '"v1"')
    assert spans(synced) == EXPECTED
    assert_the_diary_is_respected(expert.pk)


@pytest.mark.django_db
def test_unchanged_feed_is_asked_with_its_etag_and_keeps_its_busy_time(
    feed_server: FeedServer,
) -> None:
    def conditional(headers: dict[str, str]) -> Answer:
        if headers.get("If-None-Match") == '"v1"':
            return Answer(304)
        return Answer(body=feed().encode(), headers={"ETag": '"v1"'})

    feed_server.routes["/cal.ics"] = conditional
    expert = factories.ExpertProfileFactory()
    connection = calendars.connect_calendar(
        expert_id=expert.pk, kind="ics", url=feed_server.url("/cal.ics")
    )
    calendars.sync_calendar(connection_id=connection.pk, now=NOW)
    later = NOW + timedelta(minutes=15)
    synced = calendars.sync_calendar(connection_id=connection.pk, now=later)
    assert synced is not None and synced.last_success == later
    assert feed_server.seen[-1][1].get("If-None-Match") == '"v1"'
    assert spans(synced) == EXPECTED
    # Two days on, the window reaches new days: asked without validators, read in full.
    calendars.sync_calendar(connection_id=connection.pk, now=NOW + timedelta(days=2))
    assert "If-None-Match" not in feed_server.seen[-1][1]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (Answer(401), "unauthorized"),
        (Answer(body=b"<html>Anmeldung</html>"), "not_a_calendar"),
        (Answer(body=b"x" * (5 * 1024 * 1024 + 1)), "too_large"),
        (Answer(500), "http_error"),
    ],
)
def test_failing_feed_is_recorded_and_keeps_the_last_busy_time(
    feed_server: FeedServer, answer: Answer, code: str
) -> None:
    feed_server.routes["/cal.ics"] = Answer(body=feed().encode())
    expert = factories.ExpertProfileFactory()
    connection = calendars.connect_calendar(
        expert_id=expert.pk, kind="ics", url=feed_server.url("/cal.ics")
    )
    calendars.sync_calendar(connection_id=connection.pk, now=NOW)
    feed_server.routes["/cal.ics"] = answer
    later = NOW + timedelta(hours=1)
    failed = calendars.sync_calendar(connection_id=connection.pk, now=later)
    assert failed is not None
    assert failed.last_error_code == code and failed.last_error
    assert (failed.last_synced, failed.last_success) == (later, NOW)
    assert spans(failed) == EXPECTED  # the last good busy time still blocks
    assert_the_diary_is_respected(expert.pk)


@pytest.mark.django_db
def test_unreachable_calendar_never_breaks_the_slots(feed_server: FeedServer) -> None:
    expert = factories.ExpertProfileFactory()
    connection = calendars.connect_calendar(
        expert_id=expert.pk, kind="ics", url=feed_server.url("/nothing-here.ics")
    )
    failed = calendars.sync_calendar(connection_id=connection.pk, now=NOW)
    assert failed is not None and failed.last_error_code == "not_found"
    assert failed.last_success is None
    assert slots_of(expert.pk) == [
        s.start.astimezone(UTC)
        for s in free_slots(
            windows=WORKDAYS,
            exceptions=[],
            busy=[],
            policy=POLICY,
            now=NOW,
            start=WINDOW[0],
            end=WINDOW[1],
            duration_minutes=60,
        )
    ]


@pytest.mark.django_db
def test_due_calendars_are_those_not_synced_recently(feed_server: FeedServer) -> None:
    feed_server.routes["/cal.ics"] = Answer(body=feed().encode())
    expert = factories.ExpertProfileFactory()
    fresh = calendars.connect_calendar(
        expert_id=expert.pk, kind="ics", url=feed_server.url("/cal.ics")
    )
    stale = calendars.connect_calendar(
        expert_id=expert.pk, kind="ics", url=feed_server.url("/cal.ics?2")
    )
    never = calendars.connect_calendar(
        expert_id=expert.pk, kind="ics", url=feed_server.url("/cal.ics?3")
    )
    calendars.sync_calendar(connection_id=fresh.pk, now=NOW)
    calendars.sync_calendar(connection_id=stale.pk, now=NOW - timedelta(hours=1))
    assert set(calendars.sync_due_calendars(now=NOW + timedelta(minutes=5))) == {
        stale.pk,
        never.pk,
    }


# --- CalDAV (Radicale) --------------------------------------------------------------------------


def _dav_calendar(server: Radicale, user: str, name: str) -> caldav.Calendar:
    client = caldav.DAVClient(url=server.principal(user), username=user, password=USERS[user])
    principal = client.principal()
    for calendar in principal.calendars():
        if calendar.get_display_name() == name:
            return calendar
    return principal.make_calendar(name=name)


@pytest.mark.caldav
@pytest.mark.django_db
def test_caldav_calendar_blocks_exactly_the_busy_slots(radicale: Radicale) -> None:
    work = _dav_calendar(radicale, "alice", "Arbeit")
    for ics in objects():
        work.save_event(ics)
    expert = factories.ExpertProfileFactory()
    connection = calendars.connect_calendar(
        expert_id=expert.pk,
        kind="caldav",
        url=radicale.principal("alice"),
        username="alice",
        password=USERS["alice"],
    )
    synced = calendars.sync_calendar(connection_id=connection.pk, now=NOW)
    assert synced is not None
    assert synced.last_error == "" and synced.last_success == NOW
    assert synced.calendar_name == "Arbeit"
    assert synced.calendar_url.rstrip("/") == str(work.url).rstrip("/")
    assert spans(synced) == EXPECTED
    assert_the_diary_is_respected(expert.pk)


@pytest.mark.caldav
@pytest.mark.django_db
def test_wrong_caldav_password_is_recorded_and_keeps_the_busy_time(radicale: Radicale) -> None:
    work = _dav_calendar(radicale, "bob", "Termine")
    for ics in objects():
        work.save_event(ics)
    expert = factories.ExpertProfileFactory()
    connection = calendars.connect_calendar(
        expert_id=expert.pk,
        kind="caldav",
        url=str(work.url),
        username="bob",
        password=USERS["bob"],
    )
    calendars.sync_calendar(connection_id=connection.pk, now=NOW)
    CalendarConnection.objects.filter(pk=connection.pk).update(
        password_encrypted=calendars.encrypt_password("wrong")
    )
    later = NOW + timedelta(hours=1)
    failed = calendars.sync_calendar(connection_id=connection.pk, now=later)
    assert failed is not None
    assert failed.last_error_code == "unauthorized"
    assert (failed.last_synced, failed.last_success) == (later, NOW)
    assert spans(failed) == EXPECTED


@pytest.mark.caldav
@pytest.mark.django_db
def test_confirmed_consultation_is_written_moved_and_removed_in_the_caldav_calendar(
    radicale: Radicale,
) -> None:
    work = _dav_calendar(radicale, "alice", "Beratungen")
    expert = factories.ExpertProfileFactory()
    connection = calendars.connect_calendar(
        expert_id=expert.pk,
        kind="caldav",
        url=str(work.url),
        username="alice",
        password=USERS["alice"],
    )
    calendars.sync_calendar(connection_id=connection.pk, now=NOW)
    uid = "booking-42@consult.example"
    start = berlin(4, 7, 10)
    failed = calendars.push_booking(
        expert_id=expert.pk,
        uid=uid,
        start=start,
        end=start + timedelta(hours=1),
        summary="Beratung: Bürgerhaushalt Leipzig",
        sequence=0,
        description="Jugendbeteiligung\nZeile zwei",
    )
    assert failed == []
    stored = work.event_by_uid(uid).icalendar_component
    assert stored.decoded("DTSTART") == start
    assert str(stored["SUMMARY"]) == "Beratung: Bürgerhaushalt Leipzig"

    moved = berlin(4, 8, 14)
    calendars.push_booking(
        expert_id=expert.pk,
        uid=uid,
        start=moved,
        end=moved + timedelta(hours=1),
        summary="Beratung: Bürgerhaushalt Leipzig",
        sequence=1,
    )
    events = [e for e in work.events() if str(e.icalendar_component["UID"]) == uid]
    assert len(events) == 1  # updated in place, not a second entry
    assert events[0].icalendar_component.decoded("DTSTART") == moved
    assert int(events[0].icalendar_component["SEQUENCE"]) == 1

    # Our own entry is not read back as busy time: the booking blocks its slot already, and a
    # booking being moved must not be blocked by its own copy.
    calendars.sync_calendar(connection_id=connection.pk, now=NOW + timedelta(minutes=20))
    assert not BusyInterval.objects.filter(connection=connection).exists()

    assert calendars.remove_booking(expert_id=expert.pk, uid=uid) == []
    assert not [e for e in work.events() if str(e.icalendar_component["UID"]) == uid]
    assert calendars.remove_booking(expert_id=expert.pk, uid=uid) == []  # twice is fine


@pytest.mark.caldav
@pytest.mark.django_db
def test_failing_push_is_recorded_for_a_retry(radicale: Radicale) -> None:
    expert = factories.ExpertProfileFactory()
    connection = calendars.connect_calendar(
        expert_id=expert.pk,
        kind="caldav",
        url=radicale.principal("alice"),
        username="alice",
        password="not-the-password",
    )
    start = berlin(4, 7, 10)
    failed = calendars.push_booking(
        expert_id=expert.pk, uid="b-1@x", start=start, end=start + timedelta(hours=1), summary="B"
    )
    assert failed == [connection.pk]
    connection.refresh_from_db()
    assert connection.last_error_code == "unauthorized"


def test_password_is_encrypted_at_rest_and_reads_back() -> None:
    token = calendars.encrypt_password("geheim-ä")
    assert "geheim" not in token
    assert calendars.decrypt_password(token) == "geheim-ä"


def test_password_survives_a_key_rotation(settings: pytest.FixtureRequest) -> None:
    settings.CALENDAR_SECRET_KEY = "old-key"  # type: ignore[attr-defined]
    token = calendars.encrypt_password("geheim")
    settings.CALENDAR_SECRET_KEY = "new-key,old-key"  # type: ignore[attr-defined]
    assert calendars.decrypt_password(token) == "geheim"
    settings.CALENDAR_SECRET_KEY = "another"  # type: ignore[attr-defined]
    with pytest.raises(FetchError) as caught:
        calendars.decrypt_password(token)
    assert caught.value.code == "credentials"


@pytest.mark.django_db
def test_booking_lifecycle_hooks_queue_the_write_after_commit(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from experts import tasks

    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks, "enqueue", lambda task, *args: sent.append((task.name, *args)))
    start = berlin(4, 7, 10)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        calendars.push_booking_after_commit(
            expert_id=7, uid="u@x", start=start, end=start + timedelta(hours=1), summary="B"
        )
        calendars.remove_booking_after_commit(expert_id=7, uid="u@x")
    assert sent == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert sent == [
        (
            "experts.push_booking",
            7,
            "u@x",
            start.isoformat(),
            (start + timedelta(hours=1)).isoformat(),
            "B",
            0,
            "",
            "",
        ),
        ("experts.remove_booking", 7, "u@x"),
    ]
