"""Reassigning a request (bookings/reassign.py and POST /api/v1/requests/{id}/reassign/): the
old booking is cancelled with a CANCEL to the old expert, the new expert's slot is requested,
in one transaction; a taken slot changes nothing; only coordinators see the request."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.models import LogEntry
from icalendar import Calendar
from rest_framework.test import APIClient

from bookings import reassign, services
from bookings.models import ConsultationBooking
from consult.models import ConsultationRequest
from core.errors import Conflict, Invalid, NotFound
from notifications.models import Notification
from tests import factories
from tests.conftest import client_for

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)  # a Tuesday
MONDAY = date(2027, 6, 7)
Status = ConsultationBooking.Status
pytestmark = pytest.mark.django_db


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BERLIN)


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(staff_user, municipality):  # type: ignore[no-untyped-def]
    """A request booked (requested) with the old expert, and a new expert with free time."""
    request = factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality))
    old = factories.ExpertProfileFactory(display_name="Alte Expertin")
    new = factories.ExpertProfileFactory(display_name="Neue Expertin")
    booking = services.book(
        actor=staff_user,
        request_id=request.pk,
        expert_id=old.pk,
        start=at(MONDAY, 10),
        duration_minutes=60,
    )
    return {"request": request, "old": old, "new": new, "booking": booking}


def _rows(booking: ConsultationBooking, kind: str) -> list[Notification]:
    return list(
        Notification.objects.filter(
            kind=f"booking_{kind}", dedup_key__startswith=f"booking:{booking.pk}:"
        )
    )


def _new_expert_busy_at_14(world, other_staff_user) -> None:  # type: ignore[no-untyped-def]
    """Another municipality books the new expert on Monday at 14:00 (invariant 1's case)."""
    other = factories.RequestFactory(
        plan=factories.PlanFactory(municipality=other_staff_user.municipal_staff.municipality)
    )
    services.book(
        actor=other_staff_user,
        request_id=other.pk,
        expert_id=world["new"].pk,
        start=at(MONDAY, 14),
        duration_minutes=60,
    )


def test_reassign_cancels_the_old_booking_and_requests_the_new_expert(coordinator, world):
    new_booking = reassign.reassign(
        actor=coordinator,
        request_id=world["request"].pk,
        expert_id=world["new"].pk,
        start=at(MONDAY, 14),
        note="Fachlich passender",
    )

    old = ConsultationBooking.objects.get(pk=world["booking"].pk)
    assert old.status == Status.CANCELLED
    assert old.reason == "neu zugeordnet: Fachlich passender"
    assert old.sequence == world["booking"].sequence + 1
    assert new_booking.status == Status.REQUESTED
    assert new_booking.expert_id == world["new"].pk
    assert new_booking.start == at(MONDAY, 14)
    assert new_booking.end - new_booking.start == timedelta(minutes=60)
    assert new_booking.request_id == world["request"].pk
    world["request"].refresh_from_db()
    assert world["request"].status == ConsultationRequest.Status.BOOKED

    # The old expert gets a CANCEL of the old booking's UID, the new expert the request.
    old_address = world["old"].email
    cancels = [n for n in _rows(old, "cancelled") if n.recipient == old_address]
    assert len(cancels) == 1 and cancels[0].ics_method == "CANCEL"
    event = Calendar.from_ical(cancels[0].ics).walk("VEVENT")[0]
    assert str(event["UID"]) == old.uid and int(event["SEQUENCE"]) == old.sequence
    assert "neu zugeordnet" in cancels[0].body_text
    requested = _rows(new_booking, "requested")
    assert world["new"].email in {n.recipient for n in requested}
    assert all(n.ics_method == "REQUEST" for n in requested)
    # The municipality hears of both: the cancellation and the new request.
    contact = world["request"].plan.municipality.contact_email
    assert contact in {n.recipient for n in _rows(old, "cancelled")}
    assert contact in {n.recipient for n in requested}
    assert not any(n.recipient == old_address for n in requested)


def test_reassign_is_in_the_audit_trail(coordinator, world):
    new_booking = reassign.reassign(
        actor=coordinator,
        request_id=world["request"].pk,
        expert_id=world["new"].pk,
        start=at(MONDAY, 14),
    )
    change = LogEntry.objects.get_for_object(world["booking"]).order_by("-id").first()
    assert change.changes_dict["status"] == ["requested", "cancelled"]
    assert change.changes_dict["reason"][1] == "neu zugeordnet"
    assert LogEntry.objects.get_for_object(new_booking).filter(action=LogEntry.Action.CREATE)


def test_a_taken_slot_is_409_and_nothing_changes(coordinator, world, other_staff_user):
    _new_expert_busy_at_14(world, other_staff_user)
    rows_before = Notification.objects.count()
    entries_before = LogEntry.objects.count()

    with pytest.raises(Conflict):
        reassign.reassign(
            actor=coordinator,
            request_id=world["request"].pk,
            expert_id=world["new"].pk,
            start=at(MONDAY, 14, 30),
        )

    old = ConsultationBooking.objects.get(pk=world["booking"].pk)
    assert old.status == Status.REQUESTED and old.reason == ""
    assert old.sequence == world["booking"].sequence
    assert not ConsultationBooking.objects.filter(request=world["request"]).exclude(pk=old.pk)
    world["request"].refresh_from_db()
    assert world["request"].status == ConsultationRequest.Status.BOOKED
    assert Notification.objects.count() == rows_before
    assert LogEntry.objects.count() == entries_before


def test_a_confirmed_booking_is_moved_too(coordinator, world):
    services.confirm(actor=world["old"].user, booking_id=world["booking"].pk)
    new_booking = reassign.reassign(
        actor=coordinator,
        request_id=world["request"].pk,
        expert_id=world["new"].pk,
        start=at(MONDAY, 9),
    )
    assert ConsultationBooking.objects.get(pk=world["booking"].pk).status == Status.CANCELLED
    assert new_booking.status == Status.REQUESTED


def test_an_open_request_without_booking_is_assigned(coordinator, municipality):
    request = factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality))
    expert = factories.ExpertProfileFactory()
    booking = reassign.reassign(
        actor=coordinator, request_id=request.pk, expert_id=expert.pk, start=at(MONDAY, 11)
    )
    assert booking.status == Status.REQUESTED and booking.created_by == coordinator


def test_the_same_expert_is_refused(coordinator, world):
    with pytest.raises(Invalid) as refused:
        reassign.reassign(
            actor=coordinator,
            request_id=world["request"].pk,
            expert_id=world["old"].pk,
            start=at(MONDAY, 14),
        )
    assert refused.value.code == "same_expert"
    assert ConsultationBooking.objects.get(pk=world["booking"].pk).status == Status.REQUESTED


def test_a_started_booking_is_not_reassigned(coordinator, world):
    with time_machine.travel(at(MONDAY, 10, 5), tick=False), pytest.raises(Conflict):
        reassign.reassign(
            actor=coordinator,
            request_id=world["request"].pk,
            expert_id=world["new"].pk,
            start=at(MONDAY + timedelta(days=1), 14),
        )
    assert ConsultationBooking.objects.get(pk=world["booking"].pk).status == Status.REQUESTED


def test_non_coordinators_do_not_find_the_request(world, staff_user):
    for actor in (staff_user, world["old"].user, world["new"].user):
        with pytest.raises(NotFound):
            reassign.reassign(
                actor=actor,
                request_id=world["request"].pk,
                expert_id=world["new"].pk,
                start=at(MONDAY, 14),
            )
    assert ConsultationBooking.objects.get(pk=world["booking"].pk).status == Status.REQUESTED


# --- the API ------------------------------------------------------------------------------------


def _url(request: ConsultationRequest) -> str:
    return f"/api/v1/requests/{request.pk}/reassign/"


def test_api_reassigns_for_a_coordinator(coordinator, world):
    response = client_for(coordinator).post(
        _url(world["request"]),
        {"expert": world["new"].pk, "start": at(MONDAY, 14).isoformat()},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["expert"] == world["new"].pk and body["status"] == "requested"
    assert body["start"] == "2027-06-07T14:00:00+02:00"


def test_api_busy_slot_is_409_and_a_day_off_is_400(coordinator, world, other_staff_user):
    _new_expert_busy_at_14(world, other_staff_user)
    client = client_for(coordinator)
    taken = {"expert": world["new"].pk, "start": at(MONDAY, 14, 30).isoformat()}
    response = client.post(_url(world["request"]), taken, format="json")
    assert response.status_code == 409, response.json()
    sunday = {"expert": world["new"].pk, "start": at(MONDAY - timedelta(days=1), 10).isoformat()}
    assert client.post(_url(world["request"]), sunday, format="json").status_code == 400
    assert ConsultationBooking.objects.get(pk=world["booking"].pk).status == Status.REQUESTED


def test_api_is_404_for_staff_and_experts_and_401_for_anonymous(world, staff_user):
    payload = {"expert": world["new"].pk, "start": at(MONDAY, 14).isoformat()}
    for user in (staff_user, world["old"].user, world["new"].user):
        response = client_for(user).post(_url(world["request"]), payload, format="json")
        assert response.status_code == 404, user
        # Not even the shape of the input is told.
        assert client_for(user).post(_url(world["request"]), {}, format="json").status_code == 404
    assert APIClient().post(_url(world["request"]), payload, format="json").status_code in (
        401,
        403,
    )
    assert ConsultationBooking.objects.get(pk=world["booking"].pk).status == Status.REQUESTED


def test_api_naive_start_is_400(coordinator, world):
    response = client_for(coordinator).post(
        _url(world["request"]),
        {"expert": world["new"].pk, "start": "2027-06-07T14:00:00"},
        format="json",
    )
    assert response.status_code == 400
