"""Registration for events: double opt-in first come first served, waiting list, self-service."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
from django.conf import settings
from django.utils import timezone, translation
from django.utils.html import escape

from core.errors import Conflict, Invalid, NotFound
from events import management, reminders, waitinglist
from events import registration as registering
from events.models import Registration
from events.notifications import self_service_url
from notifications import rendering
from notifications.models import Notification
from tests import factories
from tests.ics_rules import assert_valid_invitation

pytestmark = pytest.mark.django_db


def _register(event, n: int, **kwargs):  # type: ignore[no-untyped-def]
    return registering.register(
        event_id=event.pk,
        name=kwargs.pop("name", f"Person {n}"),
        email=kwargs.pop("email", f"person{n}@gemeinde.example"),
        consent=kwargs.pop("consent", True),
        **kwargs,
    )


def _confirmed(event, n: int):  # type: ignore[no-untyped-def]
    registration = _register(event, n).registration
    return registering.confirm(token=registration.token)


def test_registration_holds_a_seat_until_confirmed_and_mails_the_link():
    event = factories.EventFactory(capacity=2)
    outcome = _register(event, 1)
    registration = outcome.registration
    assert outcome.created and outcome.position is None
    assert registration.status == "pending" and registration.holds_seat
    hold = timedelta(hours=settings.REGISTRATION_HOLD_HOURS)
    assert timezone.now() + hold - timedelta(minutes=1) < registration.hold_expires_at
    mail = Notification.objects.get(recipient="person1@gemeinde.example")
    assert self_service_url(registration.token) in mail.body_text
    assert registration.token in mail.body_html
    assert not mail.ics  # no invitation before the address is confirmed


def test_confirming_gives_a_confirmed_seat_and_an_invitation_without_place_leak_before():
    event = factories.EventFactory(capacity=2, online_url="https://meet.example/raum-1")
    registration = _register(event, 1).registration
    received = Notification.objects.get(kind="event.registration_received")
    assert "meet.example" not in received.body_text  # the online link only once confirmed
    registration = registering.confirm(token=registration.token)
    assert registration.status == "confirmed" and registration.confirmed_at
    mail = Notification.objects.get(kind="event.registration_confirmed")
    assert "meet.example/raum-1" in mail.body_text
    cal = assert_valid_invitation(mail.ics, method="REQUEST")
    vevent = cal.walk("VEVENT")[0]
    assert str(vevent["UID"]) == event.uid
    assert "person1@gemeinde.example" in str(vevent["ATTENDEE"])
    # Issue 7: ATTENDEE with CN, PARTSTAT=NEEDS-ACTION and RSVP.
    assert vevent["ATTENDEE"].params["CN"] == "Person 1"
    assert vevent["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    assert vevent["ATTENDEE"].params["RSVP"] == "TRUE"
    # Confirming again changes nothing and writes nothing.
    registering.confirm(token=registration.token)
    assert Notification.objects.filter(kind="event.registration_confirmed").count() == 1


def test_beyond_capacity_registrations_wait_in_arrival_order():
    event = factories.EventFactory(capacity=2)
    outcomes = [_register(event, n) for n in range(5)]
    assert [o.registration.holds_seat for o in outcomes] == [True, True, False, False, False]
    assert [o.position for o in outcomes] == [None, None, 1, 2, 3]
    received = Notification.objects.get(recipient="person3@gemeinde.example")
    assert "Platz 2 auf der Warteliste" in received.body_text
    waiting = registering.confirm(token=outcomes[3].registration.token)
    assert waiting.status == "waitlisted"
    mail = Notification.objects.get(kind="event.registration_waitlisted")
    assert "Platz 2" in mail.body_text


def test_same_email_twice_returns_the_existing_registration():
    event = factories.EventFactory()
    first = _register(event, 1)
    again = _register(event, 1, email="  PERSON1@Gemeinde.example ", name="Someone Else")
    assert not again.created
    assert again.registration.pk == first.registration.pk
    assert Registration.objects.filter(event=event).count() == 1
    assert again.registration.name == "Person 1"


def test_registering_again_when_confirmed_says_so_and_asks_nothing():
    event = factories.EventFactory()
    _confirmed(event, 1)
    _register(event, 1)
    mail = Notification.objects.filter(kind="event.registration_received").latest("pk")
    assert "bereits angemeldet" in mail.body_text and "Ihr Platz ist bestätigt" in mail.body_text
    assert "verfällt" not in mail.body_text and "reserviert" not in mail.body_text
    assert "bereits angemeldet" in mail.body_html


def test_typed_name_of_a_member_links_the_municipality_and_other_names_stay_text():
    event = factories.EventFactory()
    member = factories.MunicipalityFactory(name="Eberswalde")
    linked = _register(event, 1, municipality_name="eberswalde").registration
    assert linked.municipality == member
    typed = _register(event, 2, municipality_name="Gemeinde ohne Mitgliedschaft").registration
    assert typed.municipality is None
    assert typed.municipality_name == "Gemeinde ohne Mitgliedschaft"


def _before_the_lock(monkeypatch, meanwhile) -> None:  # type: ignore[no-untyped-def]
    """Run `meanwhile` once, after register has checked the input and before it takes the
    event lock: what another request may do in that gap."""
    check = registering.check_participant
    pending = [meanwhile]

    def check_then_meanwhile(**kwargs):  # type: ignore[no-untyped-def]
        checked = check(**kwargs)
        if pending:
            pending.pop()()
        return checked

    monkeypatch.setattr(registering, "check_participant", check_then_meanwhile)


def _personal(mail: Notification, registration: Registration) -> str:
    return mail.body_text.replace(registration.name, "NAME").replace(registration.token, "TOKEN")


def test_the_last_seat_taken_before_the_lock_puts_the_late_one_in_line(monkeypatch):
    event = factories.EventFactory(capacity=1)
    _before_the_lock(monkeypatch, lambda: _register(event, 2))
    late = _register(event, 1)
    assert not late.registration.holds_seat and late.position == 1
    mail = Notification.objects.get(recipient="person1@gemeinde.example")
    assert "Platz 1 auf der Warteliste" in mail.body_text
    assert "Platz 1 auf der Warteliste" in mail.body_html
    assert "position-" not in mail.body_text + mail.body_html + mail.subject


def test_an_event_moved_before_the_lock_mails_its_new_time(monkeypatch, coordinator):
    event = factories.EventFactory()
    moved = [(s.start + timedelta(days=7), s.end + timedelta(days=7)) for s in event.sessions.all()]
    _before_the_lock(
        monkeypatch,
        lambda: management.update_event(event_id=event.pk, by=coordinator, sessions=moved),
    )
    raced = _register(event, 1).registration
    after = _register(event, 2).registration
    raced_mail = Notification.objects.get(recipient=raced.email)
    after_mail = Notification.objects.get(recipient=after.email)
    assert _personal(raced_mail, raced) == _personal(after_mail, after)


def test_each_registrant_gets_their_own_name_and_link_and_the_event_as_it_is_now(coordinator):
    event = factories.EventFactory(capacity=1, title_de="Alter Titel")
    first = _register(event, 1, name='Ann <b>"A&B"</b>').registration
    second = _register(event, 2, name="Bea O'Neil").registration
    management.update_event(event_id=event.pk, by=coordinator, title_de="Neuer Titel")
    third = _register(event, 3, name="Cem").registration
    mails = {
        mail.recipient: mail for mail in Notification.objects.filter(kind__endswith="received")
    }
    for registration, other in ((first, second), (second, third), (third, first)):
        mail = mails[registration.email]
        assert f"Guten Tag {registration.name}," in mail.body_text
        assert f"Guten Tag {escape(registration.name)}," in mail.body_html
        assert mail.body_text.count(registration.token) == 1
        assert mail.body_html.count(registration.token) == 2
        assert other.token not in mail.body_text + mail.body_html
    assert "Warteliste" not in mails[first.email].body_text
    assert "Platz 1 auf der Warteliste" in mails[second.email].body_text
    assert "Platz 2 auf der Warteliste" in mails[third.email].body_text
    assert "Alter Titel" in mails[second.email].subject
    assert "Neuer Titel" in mails[third.email].subject
    assert "Alter Titel" not in mails[third.email].body_text + mails[third.email].body_html


def test_marks_the_template_changed_fall_back_to_rendering_for_the_registrant(monkeypatch):
    # As if a template put a filter on the name: its marker comes out changed, never found.
    monkeypatch.setattr(rendering, "_MARKED", re.compile("(?!)"))
    monkeypatch.setattr(rendering, "_reused", {})
    event = factories.EventFactory(capacity=1)
    outcomes = [_register(event, n, name=f"Person <{n}>") for n in (1, 2)]
    for outcome in outcomes:
        registration = outcome.registration
        mail = Notification.objects.get(recipient=registration.email)
        assert f"Guten Tag {registration.name}," in mail.body_text
        assert f"Guten Tag {escape(registration.name)}," in mail.body_html
        assert registration.token in mail.body_text
        assert rendering._TOKEN not in mail.body_text + mail.body_html
    assert "Platz 1 auf der Warteliste" in mail.body_text


def test_cancellation_promotes_the_first_in_line_in_the_same_transaction():
    event = factories.EventFactory(capacity=1)
    seat = _confirmed(event, 1)
    second = _confirmed(event, 2)
    third = _confirmed(event, 3)
    assert (second.status, third.status) == ("waitlisted", "waitlisted")
    registering.cancel(token=seat.token)
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == "confirmed" and second.holds_seat
    assert third.status == "waitlisted"
    promoted = Notification.objects.get(kind="event.registration_promoted")
    assert promoted.recipient == second.email
    assert_valid_invitation(promoted.ics, method="REQUEST")
    cancelled = Notification.objects.get(kind="event.registration_cancelled")
    assert_valid_invitation(cancelled.ics, method="CANCEL")


def test_unconfirmed_hold_expires_and_frees_the_seat_for_the_next_in_line():
    event = factories.EventFactory(capacity=1)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        holder = _register(event, 1).registration
        waiting = _confirmed(event, 2)
        assert waiting.status == "waitlisted"
    later = start + timedelta(hours=settings.REGISTRATION_HOLD_HOURS, minutes=1)
    with time_machine.travel(later, tick=False):
        assert waitinglist.expire_holds() == 1
        holder.refresh_from_db()
        waiting.refresh_from_db()
        assert holder.status == "expired" and not holder.holds_seat
        assert waiting.status == "confirmed"
        with pytest.raises(Conflict) as info:
            registering.confirm(token=holder.token)
        assert info.value.code == "hold_expired"


def test_expired_hold_is_settled_by_the_next_registration_without_the_sweep():
    event = factories.EventFactory(capacity=1)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        holder = _register(event, 1).registration
    with time_machine.travel(start + timedelta(hours=settings.REGISTRATION_HOLD_HOURS + 1)):
        newcomer = _register(event, 2)
        assert newcomer.registration.holds_seat
        holder.refresh_from_db()
        assert holder.status == "expired"
        # The expired address may register again and gets in line behind the newcomer.
        again = _register(event, 1)
        assert again.created and again.position == 1


def test_pending_place_in_line_is_promoted_to_a_held_seat_and_still_needs_confirming():
    event = factories.EventFactory(capacity=1)
    seat = _confirmed(event, 1)
    in_line = _register(event, 2).registration
    registering.cancel(token=seat.token)
    in_line.refresh_from_db()
    assert in_line.status == "pending" and in_line.holds_seat
    assert registering.confirm(token=in_line.token).status == "confirmed"


def test_promotion_gives_an_unconfirmed_person_a_fresh_hold_to_confirm_in():
    event = factories.EventFactory(capacity=1)
    seat = _confirmed(event, 1)
    with time_machine.travel(timezone.now() - timedelta(hours=23), tick=False):
        in_line = _register(event, 2).registration  # its hold lapses in an hour
    promoted_at = timezone.now()
    with time_machine.travel(promoted_at, tick=False):
        registering.cancel(token=seat.token)
    in_line.refresh_from_db()
    expected = promoted_at + timedelta(hours=settings.REGISTRATION_HOLD_HOURS)
    assert in_line.holds_seat and in_line.hold_expires_at == expected
    message = Notification.objects.get(kind="event.registration_promoted")
    # In Berlin time with the zone named, whatever zone the request was made in.
    local = expected.astimezone(ZoneInfo("Europe/Berlin"))
    zone = "MESZ" if local.dst() else "MEZ"
    assert f"{local.day}. " in message.body_text
    assert f"{local:%Y, %H:%M} Uhr {zone} über diesen Link" in message.body_text
    with time_machine.travel(promoted_at + timedelta(hours=2), tick=False):
        assert registering.confirm(token=in_line.token).status == "confirmed"


def test_a_fresh_hold_after_promotion_ends_at_the_event_start_at_the_latest():
    start = timezone.now() + timedelta(hours=5)
    event = factories.EventFactory(capacity=1, sessions=[(start, start + timedelta(hours=2))])
    seat = _confirmed(event, 1)
    with time_machine.travel(timezone.now() - timedelta(hours=23), tick=False):
        in_line = _register(event, 2).registration  # its hold lapses in an hour
    registering.cancel(token=seat.token)
    in_line.refresh_from_db()
    assert in_line.holds_seat and in_line.hold_expires_at == start


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "x" * 10_000}, "name"),
        ({"name": "Anna\x00Schmidt"}, "name"),
        ({"name": "Anna\nBcc: x@y"}, "name"),
        ({"name": "   "}, "name"),
        ({"email": "kein-at-zeichen"}, "email"),
        ({"email": '"a b"@example.org'}, "email"),
        ({"consent": False}, "consent"),
        ({"municipality_id": 999_999}, "municipality"),
        ({"municipality_id": "Eberswalde"}, "municipality"),
        ({"municipality_id": 2**64}, "municipality"),
        ({"municipality_name": "Stadt\x07"}, "municipality_name"),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_written(kwargs, field):
    event = factories.EventFactory()
    with pytest.raises(Invalid) as info:
        _register(event, 1, **kwargs)
    assert field in info.value.fields
    assert not Registration.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"status": "cancelled"}, Conflict, "event"),
        ({"status": "draft"}, NotFound, "event"),
        (
            {"registration_opens": timezone.now() + timedelta(days=1)},
            Conflict,
            "registration_opens",
        ),
        (
            {
                "registration_opens": timezone.now() - timedelta(days=3),
                "registration_closes": timezone.now() - timedelta(days=1),
            },
            Conflict,
            "registration_closes",
        ),
    ],
)
def test_registration_outside_the_window_or_for_unpublished_events_is_refused(
    changes, error, field
):
    event = factories.EventFactory(**changes)
    with pytest.raises(error) as info:
        _register(event, 1)
    assert field in info.value.fields
    assert not Registration.objects.exists()


def test_language_of_the_request_is_the_language_of_the_mails():
    event = factories.EventFactory()
    with translation.override("en"):
        registration = _register(event, 1).registration
    assert registration.language == "en"
    mail = Notification.objects.get()
    assert mail.subject.startswith("Please confirm")
    assert "Seminar" in mail.subject and "introducing" in mail.subject
    german = _register(event, 2).registration
    assert german.language == "de"
    assert Notification.objects.get(recipient=german.email).subject.startswith("Bitte")


def test_forget_cancels_anonymises_and_kills_the_link():
    event = factories.EventFactory(capacity=1)
    registration = _confirmed(event, 1)
    waiting = _confirmed(event, 2)
    registering.forget(token=registration.token)
    registration.refresh_from_db()
    assert registration.status == "cancelled" and registration.anonymised_at
    assert registration.name == "" and "person1" not in registration.email
    assert not Notification.objects.filter(recipient="person1@gemeinde.example").exists()
    with pytest.raises(NotFound):
        registering.confirm(token=registration.token)
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"


def test_one_token_never_reveals_another_registration():
    event = factories.EventFactory()
    mine = _register(event, 1).registration
    _register(event, 2)
    altered = mine.token[:-1] + ("A" if mine.token[-1] != "A" else "B")
    with pytest.raises(NotFound):
        registering.cancel(token=altered)
    assert Registration.objects.filter(status="cancelled").count() == 0


def test_invitation_download_only_once_confirmed():
    event = factories.EventFactory()
    registration = _register(event, 1).registration
    with pytest.raises(NotFound):
        registering.invitation_for(token=registration.token)
    registering.confirm(token=registration.token)
    assert_valid_invitation(registering.invitation_for(token=registration.token), method="REQUEST")


def test_series_download_is_a_calendar_file_without_publish():
    """Issue 7: never METHOD:PUBLISH for what may change; the e-mailed REQUESTs update it."""
    first = timezone.now() + timedelta(days=20)
    event = factories.EventFactory(
        sessions=[
            (first, first + timedelta(hours=2)),
            (first + timedelta(days=7), first + timedelta(days=7, hours=2)),
        ]
    )
    registration = registering.confirm(token=_register(event, 1).registration.token)
    text = registering.invitation_for(token=registration.token)
    assert "METHOD:" not in text
    vevents = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert [str(v["UID"]) for v in vevents] == [event.uid, f"{event.uid}-s2"]


def test_cancelling_a_confirmed_registration_raises_sequence_and_a_new_request_is_not_older():
    event = factories.EventFactory(capacity=1)
    registration = _confirmed(event, 1)
    request = Notification.objects.get(kind="event.registration_confirmed")
    requested = assert_valid_invitation(request.ics, method="REQUEST").walk("VEVENT")[0]
    registering.cancel(token=registration.token)
    cancel = Notification.objects.get(kind="event.registration_cancelled")
    cancelled = assert_valid_invitation(cancel.ics, method="CANCEL").walk("VEVENT")[0]
    assert str(cancelled["UID"]) == str(requested["UID"])
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) > int(requested["SEQUENCE"])
    # Registering again: the new REQUEST for the same UID must not be older than the CANCEL,
    # or calendar clients drop it as out of date.
    _confirmed(event, 1)
    again = Notification.objects.filter(kind="event.registration_confirmed").latest("id")
    renewed = assert_valid_invitation(again.ics, method="REQUEST").walk("VEVENT")[0]
    assert str(renewed["UID"]) == str(requested["UID"])
    assert int(renewed["SEQUENCE"]) >= int(cancelled["SEQUENCE"])


def _berlin_session(hour: int) -> tuple[datetime, datetime]:
    day = timezone.localdate() + timedelta(days=14)
    start = datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo("Europe/Berlin"))
    return start, start + timedelta(hours=6)


def test_event_mails_give_berlin_times_with_the_zone_named_whatever_zone_the_page_ran_in():
    start, end = _berlin_session(10)
    event = factories.EventFactory(sessions=[(start, end)])
    summer = bool(start.dst())
    # The registration page renders in the visitor's zone (the browser's, from a cookie).
    with timezone.override("America/New_York"):
        german = _register(event, 1).registration
        with translation.override("en"):
            english = _register(event, 2).registration

    de = Notification.objects.get(recipient=german.email)
    en = Notification.objects.get(recipient=english.email)
    for body in (de.body_text, de.body_html):
        assert f"10:00–16:00 Uhr {'MESZ' if summer else 'MEZ'}" in body
    for body in (en.body_text, en.body_html):
        assert f"10:00–16:00 {'CEST' if summer else 'CET'}" in body


def test_event_cancellation_gives_the_reason_as_a_sentence_of_its_own():
    event = factories.EventFactory()
    german = _confirmed(event, 1)
    with translation.override("en"):
        english = _confirmed(event, 2)
    management.cancel_event(
        event_id=event.pk, by=factories.coordinator(), reason="Zu wenige Anmeldungen"
    )

    de = Notification.objects.get(kind="event.event_cancelled", recipient=german.email)
    en = Notification.objects.get(kind="event.event_cancelled", recipient=english.email)
    assert "entfernt.\n\nGrund: Zu wenige Anmeldungen\n" in de.body_text
    assert "<p>Grund: Zu wenige Anmeldungen</p>" in de.body_html
    assert "Unfortunately we have to cancel" in en.body_text
    assert "calendar.\n\nReason: Zu wenige Anmeldungen\n" in en.body_text
    assert "<p>Reason: Zu wenige Anmeldungen</p>" in en.body_html


def test_event_reminder_names_the_berlin_start_with_its_zone():
    start, end = _berlin_session(10)
    event = factories.EventFactory(sessions=[(start, end)])
    german = _confirmed(event, 1)
    with translation.override("en"):
        english = _confirmed(event, 2)
    reminders.send_reminders(now=start - timedelta(hours=40))

    summer = bool(start.dst())
    de = Notification.objects.get(kind="event.event_reminder", recipient=german.email)
    en = Notification.objects.get(kind="event.event_reminder", recipient=english.email)
    assert f"um 10:00 Uhr {'MESZ' if summer else 'MEZ'}." in de.body_text
    assert f"We look forward to seeing you: “{event.title_en}” starts on" in en.body_text
    assert f"at 10:00 {'CEST' if summer else 'CET'}." in en.body_text
