"""The booking lifecycle through bookings.services: rules, transitions, outbox, reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.urls import resolve

from bookings import services
from bookings.models import ConsultationBooking
from consult.models import ConsultationRequest
from core.errors import Conflict, Forbidden, Invalid, NotFound
from experts.models import AvailabilityException
from notifications.models import Notification
from tests import factories
from tests.ics_rules import assert_valid_invitation

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)  # a Tuesday
MONDAY = date(2027, 6, 7)
Status = ConsultationBooking.Status
# Who hears of a booking: the expert, the municipality's contact address and the booking staff.
EVERYONE = 3


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BERLIN)


@pytest.fixture
def expert(db):  # type: ignore[no-untyped-def]
    return factories.ExpertProfileFactory()


@pytest.fixture
def request_(staff_user, municipality):  # type: ignore[no-untyped-def]
    return factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality))


def book(actor, request, expert, start, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("duration_minutes", 60)
    kwargs.setdefault("now", NOW)
    return services.book(
        actor=actor, request_id=request.pk, expert_id=expert.pk, start=start, **kwargs
    )


def another_request(municipality):  # type: ignore[no-untyped-def]
    return factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality))


def outbox(booking: ConsultationBooking, kind: str) -> list[Notification]:
    return list(
        Notification.objects.filter(
            kind=f"booking_{kind}", dedup_key__startswith=f"booking:{booking.pk}:"
        ).order_by("recipient")
    )


# --- booking ----------------------------------------------------------------------------------


def test_booking_is_requested_blocks_buffers_and_marks_request_booked(staff_user, request_, expert):
    booking = book(staff_user, request_, expert, at(MONDAY, 10))

    assert booking.status == Status.REQUESTED
    assert booking.start == datetime(2027, 6, 7, 8, 0, tzinfo=UTC)
    assert booking.end - booking.start == timedelta(minutes=60)
    assert booking.blocked_start == booking.start - timedelta(minutes=15)
    assert booking.blocked_end == booking.end + timedelta(minutes=15)
    assert booking.format == "online" and booking.meeting_url
    request_.refresh_from_db()
    assert request_.status == ConsultationRequest.Status.BOOKED


def test_new_request_writes_outbox_rows_with_request_invitation(staff_user, request_, expert):
    booking = book(staff_user, request_, expert, at(MONDAY, 10))

    rows = outbox(booking, "requested")
    recipients = {row.recipient for row in rows}
    assert expert.email in recipients
    assert request_.plan.municipality.contact_email in recipients
    for row in rows:
        assert row.dedup_key == f"booking:{booking.pk}:requested:0:{row.recipient}"
        assert row.ics_method == "REQUEST"
        cal = assert_valid_invitation(row.ics, method="REQUEST")
        event = cal.walk("VEVENT")[0]
        assert str(event["UID"]) == booking.uid
        assert int(event["SEQUENCE"]) == 0
        assert str(event["STATUS"]) == "TENTATIVE"


def test_everybody_the_invitation_goes_to_is_an_attendee_asked_to_answer(
    staff_user, request_, expert
):
    booking = book(staff_user, request_, expert, at(MONDAY, 10))

    rows = outbox(booking, "requested")
    assert len(rows) == EVERYONE
    for row in rows:
        attendees = assert_valid_invitation(row.ics, method="REQUEST").walk("VEVENT")[0]["ATTENDEE"]
        assert sorted(str(a).removeprefix("mailto:") for a in attendees) == sorted(
            r.recipient for r in rows
        )
        assert {(a.params["PARTSTAT"], a.params["RSVP"]) for a in attendees} == {
            ("NEEDS-ACTION", "TRUE")
        }
        assert str(attendees[0]).removeprefix("mailto:") == expert.email  # the expert first


def test_booking_and_its_outbox_rows_commit_together(staff_user, request_, expert, monkeypatch):
    """Invariant 3: if writing the notifications fails, the booking is not written either."""

    def outbox_down(rows):  # type: ignore[no-untyped-def]
        raise RuntimeError("outbox write failed")

    monkeypatch.setattr("notifications.services.queue_many", outbox_down)
    with pytest.raises(RuntimeError):
        book(staff_user, request_, expert, at(MONDAY, 10))
    assert not ConsultationBooking.objects.exists()
    assert not Notification.objects.exists()
    request_.refresh_from_db()
    assert request_.status == ConsultationRequest.Status.OPEN


def test_auto_confirming_expert_is_booked_confirmed(staff_user, request_):
    expert = factories.ExpertProfileFactory(auto_confirm=True)
    booking = book(staff_user, request_, expert, at(MONDAY, 10))
    assert booking.status == Status.CONFIRMED
    assert outbox(booking, "confirmed")


def test_onsite_booking_gets_the_municipality_as_location(staff_user, municipality, expert):
    request = factories.RequestFactory(
        plan=factories.PlanFactory(municipality=municipality), format="onsite"
    )
    booking = book(staff_user, request, expert, at(MONDAY, 10))
    assert booking.format == "onsite"
    assert municipality.name in booking.location
    assert booking.meeting_url == ""


def test_online_booking_without_own_room_gets_an_unguessable_room(staff_user, request_, settings):
    settings.MEETING_BASE_URL = "https://meet.example/"
    expert = factories.ExpertProfileFactory(meeting_url="")
    one = book(staff_user, request_, expert, at(MONDAY, 10))
    other = book(staff_user, another_request(request_.plan.municipality), expert, at(MONDAY, 14))
    assert one.meeting_url.startswith("https://meet.example/")
    assert len(one.meeting_url) > len("https://meet.example/") + 20
    assert one.meeting_url != other.meeting_url


def test_second_booking_of_same_slot_gets_409(staff_user, municipality, request_, expert):
    book(staff_user, request_, expert, at(MONDAY, 10))
    with pytest.raises(Conflict) as exc:
        book(staff_user, another_request(municipality), expert, at(MONDAY, 10))
    assert exc.value.code == "slot_taken"
    assert ConsultationBooking.objects.count() == 1


def test_adjacent_slot_whose_buffer_collides_gets_409(staff_user, municipality, request_, expert):
    book(staff_user, request_, expert, at(MONDAY, 10))  # blocks 09:45-11:15
    with pytest.raises(Conflict):
        book(staff_user, another_request(municipality), expert, at(MONDAY, 11))
    # 11:30 - 15 min = 11:15: the buffers touch but do not overlap.
    book(staff_user, another_request(municipality), expert, at(MONDAY, 11, 30))


def test_request_that_is_already_booked_gets_409(staff_user, request_, expert):
    book(staff_user, request_, expert, at(MONDAY, 10))
    with pytest.raises(Conflict) as exc:
        book(staff_user, request_, expert, at(MONDAY, 14))
    assert exc.value.code == "request_not_open"


@pytest.mark.parametrize(
    ("start", "code", "error"),
    [
        (datetime(2027, 5, 31, 8, 0, tzinfo=UTC), "in_past", Invalid),
        (NOW + timedelta(hours=3), "too_soon", Invalid),
        (at(MONDAY + timedelta(days=7 * 14), 10), "beyond_horizon", Invalid),
        (at(MONDAY - timedelta(days=2), 10), "outside_availability", Invalid),  # Saturday
        (at(MONDAY, 18), "outside_availability", Invalid),
        (at(MONDAY, 10, 10), "off_grid", Invalid),
    ],
)
def test_start_outside_the_rules_is_refused_and_nothing_is_written(
    staff_user, request_, expert, start, code, error
):
    with pytest.raises(error) as exc:
        book(staff_user, request_, expert, start)
    assert exc.value.code == code
    assert "start" in exc.value.fields
    assert not ConsultationBooking.objects.exists()
    assert not Notification.objects.exists()
    request_.refresh_from_db()
    assert request_.status == ConsultationRequest.Status.OPEN


def test_unoffered_duration_is_400(staff_user, request_, expert):
    with pytest.raises(Invalid) as exc:
        book(staff_user, request_, expert, at(MONDAY, 10), duration_minutes=45)
    assert "duration_minutes" in exc.value.fields


def test_inactive_expert_is_400(staff_user, request_):
    expert = factories.ExpertProfileFactory(active=False)
    with pytest.raises(Invalid) as exc:
        book(staff_user, request_, expert, at(MONDAY, 10))
    assert exc.value.code == "expert_inactive"


def test_another_municipalitys_request_is_not_found(other_staff_user, request_, expert):
    with pytest.raises(NotFound):
        book(other_staff_user, request_, expert, at(MONDAY, 10))


def test_naive_start_is_400(staff_user, request_, expert):
    with pytest.raises(Invalid) as exc:
        book(staff_user, request_, expert, datetime(2027, 6, 7, 10, 0))
    assert "start" in exc.value.fields


def test_format_the_expert_does_not_offer_is_400(staff_user, municipality):
    expert = factories.ExpertProfileFactory(formats=["online"])
    request = factories.RequestFactory(
        plan=factories.PlanFactory(municipality=municipality), format="onsite"
    )
    with pytest.raises(Invalid) as exc:
        book(staff_user, request, expert, at(MONDAY, 10))
    assert "format" in exc.value.fields


def test_conflict_of_interest_is_400(staff_user, request_, expert):
    expert.conflicts.add(request_.plan.municipality)
    with pytest.raises(Invalid) as exc:
        book(staff_user, request_, expert, at(MONDAY, 10))
    assert exc.value.code == "conflict_of_interest"


# --- limits, exceptions, DST ------------------------------------------------------------------


def test_day_limit_refuses_a_second_booking_that_day(staff_user, municipality, request_):
    expert = factories.ExpertProfileFactory(max_per_day=1)
    book(staff_user, request_, expert, at(MONDAY, 10))
    with pytest.raises(Conflict) as exc:
        book(staff_user, another_request(municipality), expert, at(MONDAY, 15))
    assert exc.value.code == "day_limit"
    book(staff_user, another_request(municipality), expert, at(MONDAY + timedelta(days=1), 15))


def test_week_limit_counts_the_whole_iso_week(staff_user, municipality, request_):
    expert = factories.ExpertProfileFactory(max_per_week=2)
    book(staff_user, request_, expert, at(MONDAY, 10))  # Monday
    book(staff_user, another_request(municipality), expert, at(MONDAY + timedelta(days=4), 10))
    with pytest.raises(Conflict) as exc:  # Wednesday, between the two
        book(staff_user, another_request(municipality), expert, at(MONDAY + timedelta(days=2), 10))
    assert exc.value.code == "week_limit"
    book(staff_user, another_request(municipality), expert, at(MONDAY + timedelta(days=7), 10))


def test_blocked_day_and_added_hours_are_respected(staff_user, municipality, request_, expert):
    AvailabilityException.objects.create(expert=expert, date=MONDAY, kind="block")
    saturday = MONDAY + timedelta(days=5)
    AvailabilityException.objects.create(
        expert=expert, date=saturday, start_time=time(10), end_time=time(12), kind="add"
    )
    with pytest.raises(Invalid) as exc:
        book(staff_user, request_, expert, at(MONDAY, 10))
    assert exc.value.code == "outside_availability"
    booking = book(staff_user, request_, expert, at(saturday, 10))
    assert booking.start == datetime(2027, 6, 12, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [(date(2027, 3, 28), 8), (date(2027, 10, 31), 9), (date(2027, 3, 29), 8)],
)
def test_bookings_on_dst_days_keep_the_right_utc_time(staff_user, request_, day, utc_hour):
    expert = factories.ExpertProfileFactory(
        weekly=[(d, "09:00", "17:00") for d in range(7)], horizon_days=365
    )
    now = datetime.combine(day - timedelta(days=10), time(12), UTC)
    booking = book(staff_user, request_, expert, at(day, 10), now=now)
    booking.refresh_from_db()
    assert booking.start == datetime.combine(day, time(utc_hour), UTC)
    assert booking.start.astimezone(BERLIN).hour == 10


# --- holds ------------------------------------------------------------------------------------


def test_hold_blocks_the_slot_until_it_expires(
    staff_user, municipality, request_, expert, settings
):
    settings.BOOKING_HOLD_MINUTES = 10
    hold = book(staff_user, request_, expert, at(MONDAY, 10), hold=True)
    assert hold.status == Status.HELD
    assert hold.hold_expires_at == NOW + timedelta(minutes=10)
    assert not Notification.objects.exists()
    request_.refresh_from_db()
    assert request_.status == ConsultationRequest.Status.OPEN

    other = another_request(municipality)
    with pytest.raises(Conflict):
        book(staff_user, other, expert, at(MONDAY, 10), now=NOW + timedelta(minutes=9))
    later = book(staff_user, other, expert, at(MONDAY, 10), now=NOW + timedelta(minutes=11))
    assert later.status == Status.REQUESTED
    hold.refresh_from_db()
    assert hold.status == Status.CANCELLED


def test_hold_turns_into_a_request_before_it_expires(staff_user, request_, expert):
    hold = book(staff_user, request_, expert, at(MONDAY, 10), hold=True)
    booking = services.request_hold(
        actor=staff_user, booking_id=hold.pk, now=NOW + timedelta(minutes=5)
    )
    assert booking.status == Status.REQUESTED
    assert booking.hold_expires_at is None
    assert outbox(booking, "requested")


def test_expired_hold_cannot_be_requested(staff_user, request_, expert):
    hold = book(staff_user, request_, expert, at(MONDAY, 10), hold=True)
    with pytest.raises(Conflict) as exc:
        services.request_hold(actor=staff_user, booking_id=hold.pk, now=NOW + timedelta(hours=1))
    assert exc.value.extra["status"] == Status.HELD
    assert exc.value.code == "hold_expired"


def test_expire_holds_sweep_releases_expired_holds_with_frozen_time(staff_user, request_, expert):
    hold = book(staff_user, request_, expert, at(MONDAY, 10), hold=True)
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        assert services.expire_holds() == 0
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        assert services.expire_holds() == 1
    hold.refresh_from_db()
    assert hold.status == Status.CANCELLED


# --- transitions ------------------------------------------------------------------------------


@pytest.fixture
def booking(staff_user, request_, expert):  # type: ignore[no-untyped-def]
    return book(staff_user, request_, expert, at(MONDAY, 10))


def test_expert_confirms_raises_sequence_and_sends_confirmed_invitation(booking, expert):
    confirmed = services.confirm(actor=expert.user, booking_id=booking.pk, now=NOW)
    assert confirmed.status == Status.CONFIRMED
    assert confirmed.sequence == 1
    rows = outbox(confirmed, "confirmed")
    assert len(rows) == EVERYONE
    for row in rows:
        event = assert_valid_invitation(row.ics, method="REQUEST").walk("VEVENT")[0]
        assert int(event["SEQUENCE"]) == 1 and str(event["STATUS"]) == "CONFIRMED"


def test_municipality_cannot_confirm(booking, staff_user):
    with pytest.raises(Forbidden):
        services.confirm(actor=staff_user, booking_id=booking.pk, now=NOW)


def test_other_municipality_does_not_see_the_booking(booking, other_staff_user):
    with pytest.raises(NotFound):
        services.cancel(actor=other_staff_user, booking_id=booking.pk, now=NOW)


def test_decline_reopens_the_request_and_sends_cancel(booking, expert, request_):
    declined = services.decline(actor=expert.user, booking_id=booking.pk, reason="Urlaub", now=NOW)
    assert declined.status == Status.DECLINED and declined.reason == "Urlaub"
    request_.refresh_from_db()
    assert request_.status == ConsultationRequest.Status.OPEN
    for row in outbox(declined, "declined"):
        assert row.ics_method == "CANCEL"
        event = assert_valid_invitation(row.ics, method="CANCEL").walk("VEVENT")[0]
        assert str(event["UID"]) == booking.uid and int(event["SEQUENCE"]) == 1


def test_cancel_by_municipality_then_second_cancel_is_409_with_status(booking, staff_user):
    cancelled = services.cancel(actor=staff_user, booking_id=booking.pk, reason="krank", now=NOW)
    assert cancelled.status == Status.CANCELLED
    assert {r.ics_method for r in outbox(cancelled, "cancelled")} == {"CANCEL"}
    with pytest.raises(Conflict) as exc:
        services.cancel(actor=staff_user, booking_id=booking.pk, now=NOW)
    assert exc.value.extra == {"status": "cancelled"}


def test_reschedule_keeps_uid_raises_sequence_and_needs_confirmation_again(
    booking, expert, staff_user
):
    services.confirm(actor=expert.user, booking_id=booking.pk, now=NOW)
    moved = services.reschedule(
        actor=staff_user, booking_id=booking.pk, start=at(MONDAY, 10, 30), now=NOW
    )
    assert moved.uid == booking.uid
    assert moved.sequence == 2
    assert moved.status == Status.REQUESTED
    assert moved.start == at(MONDAY, 10, 30)
    assert moved.blocked_start == at(MONDAY, 10, 15)
    rows = outbox(moved, "rescheduled")
    assert rows and all(r.dedup_key.split(":")[3] == "2" for r in rows)


def test_reschedule_to_its_own_start_changes_nothing_and_sends_nothing(booking, expert, staff_user):
    services.confirm(actor=expert.user, booking_id=booking.pk, now=NOW)
    same = services.reschedule(
        actor=staff_user, booking_id=booking.pk, start=booking.start.astimezone(UTC), now=NOW
    )
    assert (same.status, same.sequence, same.start) == (Status.CONFIRMED, 1, booking.start)
    assert not outbox(same, "rescheduled")


def test_reschedule_of_cancelled_booking_is_409_and_changes_nothing(booking, staff_user):
    services.cancel(actor=staff_user, booking_id=booking.pk, now=NOW)
    before = ConsultationBooking.objects.get(pk=booking.pk)
    with pytest.raises(Conflict):
        services.reschedule(actor=staff_user, booking_id=booking.pk, start=at(MONDAY, 14), now=NOW)
    after = ConsultationBooking.objects.get(pk=booking.pk)
    assert (after.start, after.status, after.sequence) == (
        before.start,
        before.status,
        before.sequence,
    )


def test_reschedule_onto_a_taken_slot_is_409(booking, staff_user, municipality, expert):
    book(staff_user, another_request(municipality), expert, at(MONDAY, 14))
    with pytest.raises(Conflict):
        services.reschedule(actor=staff_user, booking_id=booking.pk, start=at(MONDAY, 14), now=NOW)


def test_complete_only_after_start_then_feedback_once(booking, expert, staff_user):
    services.confirm(actor=expert.user, booking_id=booking.pk, now=NOW)
    with pytest.raises(Conflict):
        services.complete(actor=expert.user, booking_id=booking.pk, now=NOW)
    with pytest.raises(Conflict):
        services.give_feedback(actor=staff_user, booking_id=booking.pk, rating=5, now=NOW)
    after = booking.end + timedelta(minutes=5)
    done = services.complete(actor=expert.user, booking_id=booking.pk, now=after)
    assert done.status == Status.COMPLETED
    assert outbox(done, "completed")
    rated = services.give_feedback(
        actor=staff_user, booking_id=booking.pk, rating=5, comment="Sehr hilfreich", now=after
    )
    assert (rated.rating, rated.feedback_comment) == (5, "Sehr hilfreich")
    with pytest.raises(Conflict):
        services.give_feedback(actor=staff_user, booking_id=booking.pk, rating=1, now=after)
    with pytest.raises(Invalid):
        services.give_feedback(actor=staff_user, booking_id=booking.pk, rating=6, now=after)


def test_no_show_is_recorded_by_the_expert(booking, expert, staff_user):
    services.confirm(actor=expert.user, booking_id=booking.pk, now=NOW)
    after = booking.end + timedelta(minutes=5)
    with pytest.raises(Forbidden):
        services.no_show(actor=staff_user, booking_id=booking.pk, now=after)
    assert services.no_show(actor=expert.user, booking_id=booking.pk, now=after).status == (
        Status.NO_SHOW
    )


# --- reminders --------------------------------------------------------------------------------


def test_reminders_go_out_once_each_and_follow_a_reschedule(booking, expert, staff_user):
    services.confirm(actor=expert.user, booking_id=booking.pk, now=NOW)
    start = booking.start
    assert services.send_due_reminders(now=start - timedelta(hours=30)) == 0
    assert services.send_due_reminders(now=start - timedelta(hours=23)) == EVERYONE
    assert services.send_due_reminders(now=start - timedelta(hours=22)) == 0
    assert services.send_due_reminders(now=start - timedelta(minutes=50)) == EVERYONE
    assert services.send_due_reminders(now=start - timedelta(minutes=40)) == 0
    keys = Notification.objects.filter(kind="booking_reminder").values_list("dedup_key", flat=True)
    assert {k.split(":")[2] for k in keys} == {"reminder-24h", "reminder-1h"}


def test_rescheduled_booking_gets_reminders_for_its_new_time_only(booking, expert, staff_user):
    services.confirm(actor=expert.user, booking_id=booking.pk, now=NOW)
    assert services.send_due_reminders(now=booking.start - timedelta(hours=23)) == EVERYONE
    later = at(MONDAY + timedelta(days=1), 10)
    services.reschedule(actor=staff_user, booking_id=booking.pk, start=later, now=NOW)
    services.confirm(actor=expert.user, booking_id=booking.pk, now=NOW)
    # Old time: nothing (the booking is no longer there); new time: new reminders.
    assert services.send_due_reminders(now=booking.start - timedelta(minutes=30)) == 0
    assert services.send_due_reminders(now=later - timedelta(hours=23)) == EVERYONE


def test_cancelled_booking_gets_no_reminder(booking, staff_user):
    services.cancel(actor=staff_user, booking_id=booking.pk, now=NOW)
    assert services.send_due_reminders(now=booking.start - timedelta(hours=23)) == 0


# --- what the e-mails say ---------------------------------------------------------------------


def test_german_booking_mail_names_the_zone_the_german_way_and_english_the_english_way(
    staff_user, municipality
):
    german = book(
        staff_user, another_request(municipality), factories.ExpertProfileFactory(), at(MONDAY, 10)
    )
    english_expert = factories.ExpertProfileFactory(languages=["en"])
    english_request = factories.RequestFactory(
        plan=factories.PlanFactory(municipality=municipality), language="en"
    )
    english = book(staff_user, english_request, english_expert, at(MONDAY, 10))

    for row in outbox(german, "requested"):
        for body in (row.body_text, row.body_html):
            assert "10:00–11:00 MESZ" in body and "CEST" not in body
    for row in outbox(english, "requested"):
        for body in (row.body_text, row.body_html):
            assert "10:00–11:00 CEST" in body and "MESZ" not in body


def _links(text: str) -> list[str]:
    """The links into the service, other than its home page."""
    return [
        word.strip(".,")
        for word in text.split()
        if word.startswith(settings.SITE_URL + "/") and word.strip(".,/") != settings.SITE_URL
    ]


def test_booking_mails_link_the_booking_page_and_a_decline_links_the_other_experts(booking, expert):
    services.decline(actor=expert.user, booking_id=booking.pk, reason="Urlaub", now=NOW)

    for row in outbox(booking, "requested") + outbox(booking, "declined"):
        page = f"{settings.SITE_URL}/termine/{booking.pk}/"
        assert page in row.body_text and f'href="{page}"' in row.body_html
    for row in outbox(booking, "declined"):
        links = {
            resolve(link.removeprefix(settings.SITE_URL)).url_name for link in _links(row.body_text)
        }
        if row.recipient == expert.email:
            assert links == {"booking-detail"}
        else:
            assert links == {"booking-detail", "request-matches"}
            matches = f"{settings.SITE_URL}/anfragen/{booking.request_id}/experten/"
            assert matches in row.body_text and f'href="{matches}"' in row.body_html


def test_feedback_mail_tells_the_expert_the_comment_too(booking, expert, staff_user):
    services.confirm(actor=expert.user, booking_id=booking.pk, now=NOW)
    after = booking.end + timedelta(minutes=5)
    services.complete(actor=expert.user, booking_id=booking.pk, now=after)
    services.give_feedback(
        actor=staff_user, booking_id=booking.pk, rating=4, comment="Klar & hilfreich", now=after
    )

    (row,) = outbox(booking, "feedback")
    assert "mit 4 von 5 bewertet" in row.body_text
    assert "Kommentar: Klar & hilfreich" in row.body_text
    assert "Kommentar: Klar &amp; hilfreich" in row.body_html
