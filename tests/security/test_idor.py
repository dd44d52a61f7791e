"""Object-level access (invariant 4): another municipality, another expert or a wrong token
never reads or changes an object, and "not yours" looks like "not there" (404) wherever the
object is private. Each refused row has a positive control, so a wrong URL cannot pass as a
refusal: the owner gets 200 on the same read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from bookings.models import ConsultationBooking
from events.models import Registration
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

REFUSED = {403, 404}


@dataclass
class World:
    staff_a: Any
    staff_b: Any
    expert_x: Any
    expert_y: Any
    coordinator: Any
    plan_a: Any
    request_a: Any
    booking: Any
    registration: Any


@pytest.fixture
def world() -> World:
    municipality_a = factories.MunicipalityFactory()
    municipality_b = factories.MunicipalityFactory()
    plan_a = factories.PlanFactory(municipality=municipality_a)
    request_a = factories.RequestFactory(plan=plan_a)
    expert_x = factories.ExpertProfileFactory()
    booking = factories.ConsultationBookingFactory(
        request=request_a, expert=expert_x, start=timezone.now() + dt.timedelta(days=7)
    )
    event = factories.EventFactory()
    registration = Registration.objects.create(
        event=event,
        name="Ada Teilnehmerin",
        email="ada@kommune.example",
        status=Registration.Status.CONFIRMED,
        holds_seat=True,
        consent_at=timezone.now(),
    )
    return World(
        staff_a=factories.staff_for(municipality_a),
        staff_b=factories.staff_for(municipality_b),
        expert_x=expert_x,
        expert_y=factories.ExpertProfileFactory(),
        coordinator=factories.coordinator(),
        plan_a=plan_a,
        request_a=request_a,
        booking=booking,
        registration=registration,
    )


def _reads(w: World) -> list[tuple[str, str, str]]:
    """(url, owner attribute, intruder attribute): the owner reads it, the intruder must not."""
    plan, request, booking = w.plan_a.pk, w.request_a.pk, w.booking.pk
    x = w.expert_x.pk
    return [
        (f"/api/v1/plans/{plan}/", "staff_a", "staff_b"),
        (f"/api/v1/plans/{plan}/", "staff_a", "expert_y"),
        (f"/api/v1/plans/{plan}/peers/", "staff_a", "staff_b"),
        (f"/api/v1/plans/{plan}/recommendations/", "staff_a", "staff_b"),
        (f"/api/v1/requests/{request}/", "staff_a", "staff_b"),
        (f"/api/v1/requests/{request}/", "staff_a", "expert_y"),
        (f"/api/v1/requests/{request}/matches/", "staff_a", "staff_b"),
        (f"/api/v1/requests/{request}/matches/", "staff_a", "expert_y"),
        (f"/api/v1/bookings/{booking}/", "staff_a", "staff_b"),
        (f"/api/v1/bookings/{booking}/", "expert_x", "expert_y"),
        (f"/api/v1/experts/{x}/availability/", "expert_x", "expert_y"),
        (f"/api/v1/experts/{x}/availability/", "expert_x", "staff_a"),
    ]


@pytest.mark.parametrize("row", range(12))
def test_owner_reads_and_intruder_is_refused(world: World, row: int) -> None:
    url, owner, intruder = _reads(world)[row]
    owner_user = getattr(world, owner)
    intruder_user = getattr(world, intruder)
    owner_user = owner_user.user if hasattr(owner_user, "user") else owner_user
    intruder_user = intruder_user.user if hasattr(intruder_user, "user") else intruder_user
    assert client_for(owner_user).get(url).status_code == 200, url
    response = client_for(intruder_user).get(url)
    assert response.status_code in REFUSED, (url, intruder, response.status_code)
    assert set(response.json()) >= {"detail", "code"}


def _private_not_found(w: World) -> list[tuple[str, str]]:
    """Private objects of others: 404 exactly, so their existence is not revealed."""
    return [
        (f"/api/v1/plans/{w.plan_a.pk}/", "staff_b"),
        (f"/api/v1/requests/{w.request_a.pk}/", "staff_b"),
        (f"/api/v1/requests/{w.request_a.pk}/matches/", "staff_b"),
        (f"/api/v1/bookings/{w.booking.pk}/", "staff_b"),
        (f"/api/v1/bookings/{w.booking.pk}/", "expert_y"),
    ]


@pytest.mark.parametrize("row", range(5))
def test_not_yours_is_404_not_403(world: World, row: int) -> None:
    url, intruder = _private_not_found(world)[row]
    user = getattr(world, intruder)
    user = user.user if hasattr(user, "user") else user
    assert client_for(user).get(url).status_code == 404


BOOKING_ACTIONS = [
    ("request", {}),
    ("confirm", {}),
    ("decline", {"reason": "x"}),
    ("cancel", {"reason": "x"}),
    ("reschedule", {"start": "2031-03-03T10:00:00+01:00"}),
    ("complete", {}),
    ("no-show", {}),
    ("feedback", {"rating": 5}),
]


@pytest.mark.parametrize(("action", "body"), BOOKING_ACTIONS, ids=[a for a, _ in BOOKING_ACTIONS])
@pytest.mark.parametrize("intruder", ["staff_b", "expert_y"])
def test_booking_actions_of_others_are_404_and_change_nothing(
    world: World, action: str, body: dict, intruder: str
) -> None:
    user = getattr(world, intruder)
    user = user.user if hasattr(user, "user") else user
    before = ConsultationBooking.objects.values().get(pk=world.booking.pk)
    response = client_for(user).post(
        f"/api/v1/bookings/{world.booking.pk}/{action}/", body, format="json"
    )
    assert response.status_code == 404, response.content
    assert ConsultationBooking.objects.values().get(pk=world.booking.pk) == before


def test_booking_for_another_municipalitys_request_is_refused(world: World) -> None:
    slot = timezone.now() + dt.timedelta(days=10)
    response = client_for(world.staff_b).post(
        "/api/v1/bookings/",
        {
            "request": world.request_a.pk,
            "expert": world.expert_x.pk,
            "start": slot.isoformat(),
            "duration_minutes": 60,
        },
        format="json",
    )
    assert response.status_code == 404
    assert ConsultationBooking.objects.count() == 1


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_other_municipality_cannot_change_plan_or_request(world: World, method: str) -> None:
    client = client_for(world.staff_b)
    for url in (f"/api/v1/plans/{world.plan_a.pk}/", f"/api/v1/requests/{world.request_a.pk}/"):
        response = getattr(client, method)(url, {"notes": "übernommen"}, format="json")
        # Requests are closed, never deleted: their DELETE is a 405 for everybody.
        refused = {*REFUSED, 405} if "requests" in url and method == "delete" else REFUSED
        assert response.status_code in refused, (url, response.status_code)
    world.request_a.refresh_from_db()
    assert world.request_a.notes != "übernommen"
    assert client.post(f"/api/v1/requests/{world.request_a.pk}/close/").status_code in REFUSED
    world.request_a.refresh_from_db()
    assert world.request_a.status == "open"


def test_request_cannot_be_filed_under_another_municipalitys_plan(world: World) -> None:
    response = client_for(world.staff_b).post(
        "/api/v1/requests/",
        {
            "plan": world.plan_a.pk,
            "topics": [{"topic": "youth-school", "weight": 2}],
            "format": "online",
            "language": "de",
            "earliest": str(timezone.localdate() + dt.timedelta(days=5)),
            "latest": str(timezone.localdate() + dt.timedelta(days=30)),
            "duration_minutes": 60,
        },
        format="json",
    )
    assert response.status_code in {400, *REFUSED}
    assert world.plan_a.requests.count() == 1


def test_other_expert_cannot_change_availability(world: World) -> None:
    client = client_for(world.expert_y.user)
    x = world.expert_x.pk
    rules_before = list(world.expert_x.rules.values_list("weekday", "start_time", "end_time"))
    put = client.put(
        f"/api/v1/experts/{x}/availability/",
        {"rules": [{"weekday": 0, "start_time": "08:00", "end_time": "09:00"}]},
        format="json",
    )
    assert put.status_code in REFUSED
    added = client.post(
        f"/api/v1/experts/{x}/availability/exceptions/",
        {"date": str(timezone.localdate() + dt.timedelta(days=3)), "kind": "block"},
        format="json",
    )
    assert added.status_code in REFUSED
    assert (
        list(world.expert_x.rules.values_list("weekday", "start_time", "end_time")) == rules_before
    )
    assert not world.expert_x.exceptions.exists()


def test_registration_is_reachable_only_by_its_token(world: World, api) -> None:  # type: ignore[no-untyped-def]
    token = world.registration.token
    assert api.get(f"/api/v1/registrations/{token}/").status_code == 200
    wrong = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
    for response in (
        api.get(f"/api/v1/registrations/{wrong}/"),
        api.post(f"/api/v1/registrations/{wrong}/cancel/"),
        api.post(f"/api/v1/registrations/{wrong}/confirm/"),
        api.get(f"/api/v1/registrations/{wrong}/invite.ics"),
    ):
        assert response.status_code == 404
    world.registration.refresh_from_db()
    assert world.registration.status == Registration.Status.CONFIRMED


def test_participant_list_is_closed_to_staff_and_experts(world: World) -> None:
    event = world.registration.event
    for user in (world.staff_a, world.expert_y.user):
        response = client_for(user).get(f"/api/v1/events/{event.pk}/participants/")
        assert response.status_code in REFUSED
    coordinator = client_for(world.coordinator)
    assert coordinator.get(f"/api/v1/events/{event.pk}/participants/").status_code == 200


def test_feeds_list_only_own_urls_and_unknown_tokens_are_404(world: World, client) -> None:  # type: ignore[no-untyped-def]
    municipality_a = world.request_a.plan.municipality
    body = client_for(world.staff_b).get("/api/v1/calendar-feeds/").json()
    urls = " ".join(feed["url"] for feed in body["results"])
    assert municipality_a.feed_token not in urls
    assert world.expert_x.feed_token not in urls
    assert client.get(f"/feeds/{municipality_a.feed_token}.ics").status_code == 200
    assert client.get(f"/feeds/{municipality_a.feed_token[:-1]}x.ics").status_code == 404
    rotate = client_for(world.staff_b).post(
        "/api/v1/calendar-feeds/rotate/",
        {"kind": "municipality", "id": municipality_a.pk},
        format="json",
    )
    assert rotate.status_code in REFUSED
    rotate = client_for(world.expert_y.user).post(
        "/api/v1/calendar-feeds/rotate/", {"kind": "expert", "id": world.expert_x.pk}, format="json"
    )
    assert rotate.status_code in REFUSED
    old = municipality_a.feed_token
    municipality_a.refresh_from_db()
    world.expert_x.refresh_from_db()
    assert municipality_a.feed_token == old
