"""Event changes with calendar updates, capacity rules, reminders and data retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import Conflict, Forbidden, Invalid
from events import management, reminders, retention
from events import registration as registering
from events.models import Event, Registration
from notifications.models import Notification
from tests import factories
from tests.ics_rules import assert_valid_invitation

pytestmark = pytest.mark.django_db


def _confirmed_participants(event, count: int, *, language: str = "de") -> list[Registration]:
    """Confirmed registrations written directly: the fan-out is under test, not registering."""
    now = timezone.now()
    return Registration.objects.bulk_create(
        [
            Registration(
                event=event,
                name=f"Teilnehmerin {i}, Dr.",
                email=f"t{i}@gemeinde{i % 7}.example",
                status="confirmed",
                holds_seat=True,
                consent_at=now,
                confirmed_at=now,
                language=language if i % 2 else "de",
            )
            for i in range(count)
        ]
    )


def _spans(event) -> list[tuple]:
    return [(s.start, s.end) for s in event.sessions.order_by("start")]


def test_moving_a_session_raises_sequence_and_writes_one_update_per_participant_in_bulk(
    coordinator,
):
    event = factories.EventFactory(capacity=300)
    participants = _confirmed_participants(event, 200, language="en")
    moved = [(start + timedelta(days=7), end + timedelta(days=7)) for start, end in _spans(event)]
    with CaptureQueriesContext(connection) as queries:
        management.update_event(event_id=event.pk, by=coordinator, sessions=moved)
    # Bulk: a handful of queries however many participants (no query per person).
    assert len(queries) < 30, len(queries)
    event.refresh_from_db()
    assert event.sequence == 1
    rows = list(Notification.objects.filter(kind="event.event_update"))
    assert len(rows) == len(participants)
    assert {row.recipient for row in rows} == {p.email for p in participants}
    for row in rows[:20]:
        cal = assert_valid_invitation(row.ics, method="REQUEST")
        vevent = cal.walk("VEVENT")[0]
        assert int(vevent["SEQUENCE"]) == 1
        assert vevent.decoded("DTSTART") == moved[0][0]
        assert row.recipient in str(vevent["ATTENDEE"])
        # The name is substituted per recipient, in the recipient's language.
        participant = next(p for p in participants if p.email == row.recipient)
        assert participant.name in row.body_text
        assert participant.token in row.body_text
        assert row.subject.startswith("Event changed" if row.language == "en" else "Geändert")
        assert participant.name.replace(",", ",") in row.body_html


def test_changing_only_the_title_sends_nothing_but_changing_the_place_does(coordinator):
    event = factories.EventFactory()
    _confirmed_participants(event, 3)
    management.update_event(event_id=event.pk, by=coordinator, title_de="Neuer Titel")
    assert not Notification.objects.exists()
    management.update_event(event_id=event.pk, by=coordinator, place="Bürgersaal")
    event.refresh_from_db()
    assert event.sequence == 1
    assert Notification.objects.filter(kind="event.event_update").count() == 3


def test_multi_session_series_gets_one_invitation_per_session_and_cancel_for_dropped(coordinator):
    start = timezone.now().replace(microsecond=0) + timedelta(days=20)
    series = [
        (start + timedelta(days=7 * i), start + timedelta(days=7 * i, hours=3)) for i in range(3)
    ]
    event = factories.EventFactory(sessions=series)
    _confirmed_participants(event, 2)
    management.update_event(event_id=event.pk, by=coordinator, sessions=series[:2])
    requests = Notification.objects.filter(ics_method="REQUEST")
    cancels = Notification.objects.filter(ics_method="CANCEL")
    assert requests.count() == 4 and cancels.count() == 2
    for row in cancels:
        cal = assert_valid_invitation(row.ics, method="CANCEL")
        assert str(cal.walk("VEVENT")[0]["UID"]) == f"{event.uid}-s3"


def test_capacity_below_the_seats_taken_is_refused_clearly(coordinator):
    event = factories.EventFactory(capacity=5)
    _confirmed_participants(event, 4)
    with pytest.raises(Conflict) as info:
        management.update_event(event_id=event.pk, by=coordinator, capacity=3)
    assert "capacity" in info.value.fields and "4" in info.value.message
    event.refresh_from_db()
    assert event.capacity == 5


def test_raising_capacity_promotes_the_waiting_list_in_order(coordinator):
    event = factories.EventFactory(capacity=1)
    outcomes = [
        registering.register(
            event_id=event.pk, name=f"P {n}", email=f"p{n}@example.org", consent=True
        )
        for n in range(4)
    ]
    for outcome in outcomes:
        registering.confirm(token=outcome.registration.token)
    management.update_event(event_id=event.pk, by=coordinator, capacity=3)
    statuses = list(
        Registration.objects.filter(event=event)
        .order_by("created_at", "id")
        .values_list("status", flat=True)
    )
    assert statuses == ["confirmed", "confirmed", "confirmed", "waitlisted"]
    assert Notification.objects.filter(kind="event.registration_promoted").count() == 2


def test_cancelling_the_event_sends_cancel_to_confirmed_and_ends_all_registrations(coordinator):
    event = factories.EventFactory(capacity=2)
    confirmed = _confirmed_participants(event, 2)
    waiting = registering.register(
        event_id=event.pk, name="W", email="w@example.org", consent=True
    ).registration
    registering.confirm(token=waiting.token)
    management.cancel_event(event_id=event.pk, by=coordinator, reason="Krankheit")
    event.refresh_from_db()
    assert event.status == "cancelled" and event.sequence == 1
    cancels = Notification.objects.filter(kind="event.event_cancelled", ics_method="CANCEL")
    assert {n.recipient for n in cancels} == {p.email for p in confirmed}
    for row in cancels:
        cal = assert_valid_invitation(row.ics, method="CANCEL")
        assert int(cal.walk("VEVENT")[0]["SEQUENCE"]) == 1
        assert "Krankheit" in row.body_text
    notice = Notification.objects.get(kind="event.event_cancelled", recipient="w@example.org")
    assert not notice.ics
    assert not Registration.objects.filter(event=event).exclude(status="cancelled").exists()
    with pytest.raises(Conflict):
        management.update_event(event_id=event.pk, by=coordinator, capacity=10)


def test_only_coordinators_change_events(staff_user):
    event = factories.EventFactory()
    with pytest.raises(Forbidden):
        management.update_event(event_id=event.pk, by=staff_user, capacity=50)
    with pytest.raises(Forbidden):
        management.cancel_event(event_id=event.pk, by=staff_user)


def test_event_rules_name_the_fields(coordinator):
    now = timezone.now()
    with pytest.raises(Invalid) as info:
        management.create_event(
            by=coordinator,
            kind="seminar",
            title_de="",
            capacity=0,
            registration_opens=now,
            registration_closes=now + timedelta(days=30),
            online_url="javascript:alert(1)",
            sessions=[(now + timedelta(days=10), now + timedelta(days=10, hours=2))],
        )
    assert {"title_de", "capacity", "registration_closes", "online_url"} <= set(info.value.fields)
    assert not Event.objects.exists()


def test_reminder_is_sent_once_and_again_only_for_a_new_time(coordinator):
    start = timezone.now().replace(microsecond=0) + timedelta(days=5)
    event = factories.EventFactory(
        sessions=[(start, start + timedelta(hours=2))],
        registration_closes=start - timedelta(days=3),
    )
    participants = _confirmed_participants(event, 3)
    cancelled = participants[0]
    Registration.objects.filter(pk=cancelled.pk).update(status="cancelled", holds_seat=False)
    lead = timedelta(hours=settings.REMINDER_EVENT_HOURS[0])
    with time_machine.travel(start - lead - timedelta(hours=1)):
        assert reminders.send_reminders() == 0
    with time_machine.travel(start - lead + timedelta(minutes=5)):
        assert reminders.send_reminders() == 2
        assert reminders.send_reminders() == 0
    reminded = Notification.objects.filter(kind="event.event_reminder")
    assert cancelled.email not in {n.recipient for n in reminded}
    # Moved by a day: the new time is reminded again, the old one never.
    later = [(start + timedelta(days=1), start + timedelta(days=1, hours=2))]
    management.update_event(event_id=event.pk, by=coordinator, sessions=later)
    with time_machine.travel(start - lead + timedelta(minutes=10)):
        assert reminders.send_reminders() == 0
    with time_machine.travel(later[0][0] - lead + timedelta(minutes=5)):
        assert reminders.send_reminders() == 2
    assert Notification.objects.filter(kind="event.event_reminder").count() == 4


def test_one_participant_cancelling_does_not_remind_everybody_again():
    start = timezone.now().replace(microsecond=0) + timedelta(days=5)
    event = factories.EventFactory(
        sessions=[(start, start + timedelta(hours=2))],
        registration_closes=start - timedelta(days=3),
    )
    participants = _confirmed_participants(event, 3)
    lead = timedelta(hours=settings.REMINDER_EVENT_HOURS[0])
    with time_machine.travel(start - lead + timedelta(minutes=5)):
        assert reminders.send_reminders() == 3
        registering.cancel(token=participants[0].token)
        event.refresh_from_db()
        assert event.sequence == 1  # the cancelled participant's CANCEL raised it
        assert reminders.send_reminders() == 0
    assert Notification.objects.filter(kind="event.event_reminder").count() == 3


def test_participant_data_are_anonymised_after_the_retention_period():
    start = timezone.now().replace(microsecond=0) + timedelta(days=3)
    event = factories.EventFactory(sessions=[(start, start + timedelta(hours=2))])
    participants = _confirmed_participants(event, 3)
    Registration.objects.filter(pk=participants[0].pk).update(attended=True)
    keep = factories.EventFactory()
    kept = _confirmed_participants(keep, 1)[0]
    days = settings.PARTICIPANT_DATA_RETENTION_DAYS
    with time_machine.travel(start + timedelta(days=days - 1)):
        assert retention.anonymise_past_participants() == 0
    with time_machine.travel(start + timedelta(days=days + 1)):
        assert retention.anonymise_past_participants() == 3
        assert retention.anonymise_past_participants() == 0
    rows = Registration.objects.filter(event=event)
    assert all(r.name == "" and r.email.endswith("@invalid") and r.anonymised_at for r in rows)
    assert rows.filter(attended=True).count() == 1  # statistics stay
    kept.refresh_from_db()
    assert kept.anonymised_at is None and kept.name


def test_admin_pages_of_events_and_registrations_load(client, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(admin_user)
    event = factories.EventFactory()
    _confirmed_participants(event, 2)
    for url in (
        "/admin/events/event/",
        f"/admin/events/event/{event.pk}/change/",
        "/admin/events/registration/",
    ):
        assert client.get(url).status_code == 200, url


def test_demo_events_are_seeded_once():
    import io

    from events import demo as events_demo

    events_demo.seed(options={}, out=io.StringIO())
    events_demo.seed(options={}, out=io.StringIO())
    assert Event.objects.count() == len(events_demo.EVENTS)
    series = Event.objects.get(kind="workshop", online_url__contains="jugendbudget")
    assert series.sessions.count() == 3
    full = Event.objects.get(title_de=events_demo.NEARLY_FULL)
    assert full.registrations.filter(holds_seat=True).count() == full.capacity - 1


def test_the_cancel_for_a_dropped_session_shows_the_sessions_that_apply_now(coordinator):
    from zoneinfo import ZoneInfo

    from django.utils import translation
    from django.utils.dateformat import format as date_format

    berlin = ZoneInfo("Europe/Berlin")
    start = timezone.now().replace(microsecond=0) + timedelta(days=20)
    series = [
        (start, start + timedelta(hours=2)),
        (start + timedelta(days=8), start + timedelta(days=8, hours=3)),
    ]
    event = factories.EventFactory(sessions=series)
    _confirmed_participants(event, 2, language="en")  # one German, one English
    management.update_event(event_id=event.pk, by=coordinator, sessions=series[:1])

    def line(span, language):
        with translation.override(language):
            day = "l, j F Y, H:i" if language == "en" else "l, j. F Y, H:i"
            return f"- {date_format(span[0].astimezone(berlin), day)}–"

    cancels = list(Notification.objects.filter(ics_method="CANCEL"))
    assert {row.language for row in cancels} == {"de", "en"}
    for row in cancels:
        cal = assert_valid_invitation(row.ics, method="CANCEL")
        vevent = cal.walk("VEVENT")[0]
        assert str(vevent["UID"]) == f"{event.uid}-s2"
        assert int(vevent["SEQUENCE"]) == 1
        assert vevent.decoded("DTSTART") == series[1][0]
        # The text lists what applies now (session 1 only) and names the dropped session.
        assert line(series[0], row.language) in row.body_text
        assert line(series[1], row.language) not in row.body_text
        assert ("dropped" if row.language == "en" else "entfällt") in row.body_text
        assert ("dropped" if row.language == "en" else "entfällt") in row.body_html
