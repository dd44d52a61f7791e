"""Object-level access to what issue 18 added (invariant 4): another municipality's staff and
another expert get 404 for a consultation's page with its request, its proposal and an
expert's own calendars, on the API and the pages; nothing changes, nothing is queued, nothing
of the object shows. Each row has a positive control: the owner then sends the same request
and succeeds, so a wrong URL or body cannot pass as a refusal.

Covered elsewhere and not repeated here: the messages API (GET/POST) and the message form for
both outsiders (tests/bookings/test_booking_messages.py), ``GET …/proposal/``, propose by another
expert and accept by another municipality on the API and both forms for both outsiders
(tests/bookings/test_booking_proposals.py), ``GET /api/v1/bookings/{id}/`` with its ``request``
(tests/security/test_idor.py, tests/bookings/test_booking_request_view.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from bookings import messages, proposals, services
from bookings.models import BookingMessage, BookingProposal, ConsultationBooking, ProposedSlot
from experts.calendar_models import CalendarConnection
from notifications.models import Notification
from tests import factories
from tests.bookings.test_booking_services import MONDAY, NOW, at
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

TUESDAY = MONDAY + timedelta(days=1)
NOTES = "Vertraulich: der Rat ist gespalten."
WRITTEN = "Nur für Kommune und Expertin bestimmt."
PROPOSAL_NOTE = "Dienstag früh ginge auch."
SECRET = "s3cr3t-k4l3nd3r"
FEED = f"https://calendar.example.org/{SECRET}/basic.ics"


@dataclass
class World:
    staff_a: Any  # the booking's municipality
    expert_x: Any  # the booking's expert, owner of the calendar
    staff_b: Any  # another municipality's staff
    expert_y: Any  # another expert
    booking: ConsultationBooking
    calendar: CalendarConnection


@pytest.fixture
def world() -> World:
    municipality = factories.MunicipalityFactory()
    staff_a = factories.staff_for(municipality)
    expert_x = factories.ExpertProfileFactory()
    request = factories.RequestFactory(
        plan=factories.PlanFactory(municipality=municipality), notes=NOTES
    )
    booking = services.book(
        actor=staff_a,
        request_id=request.pk,
        expert_id=expert_x.pk,
        start=at(MONDAY, 10),
        duration_minutes=60,
        now=NOW,
    )
    proposals.propose(
        actor=expert_x.user,
        booking_id=booking.pk,
        starts=[at(MONDAY, 14), at(TUESDAY, 9)],
        note=PROPOSAL_NOTE,
        now=NOW,
    )
    messages.post_message(actor=staff_a, booking_id=booking.pk, body=WRITTEN)
    return World(
        staff_a=staff_a,
        expert_x=expert_x,
        staff_b=factories.staff_for(factories.MunicipalityFactory()),
        expert_y=factories.ExpertProfileFactory(),
        booking=booking,
        calendar=CalendarConnection.objects.create(expert=expert_x, kind="ics", url=FEED),
    )


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    """The views read the clock: pin it to the world's NOW (the proposal is open then)."""
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass(frozen=True)
class Row:
    """One request an outsider must not get through: ``path`` and ``body`` are built from the
    world; ``owner`` then sends it and gets ``owner_status``."""

    name: str
    api: bool
    method: str
    path: Callable[[World], str]
    owner: str
    owner_status: int
    body: Callable[[World], dict[str, Any]] | None = None
    intruders: tuple[str, ...] = ("staff_b", "expert_y")


def _calendars(w: World, tail: str = "") -> str:
    return f"/api/v1/experts/{w.expert_x.pk}/calendars/{tail}"


ROWS = [
    # The API rows the proposals' tests leave open (the other outsider of each).
    Row(
        "api propose",
        True,
        "post",
        lambda w: f"/api/v1/bookings/{w.booking.pk}/propose/",
        "expert_x",
        201,
        lambda w: {"starts": [at(TUESDAY, 11).isoformat()]},
        intruders=("staff_b",),
    ),
    Row(
        "api accept-proposal",
        True,
        "post",
        lambda w: f"/api/v1/bookings/{w.booking.pk}/accept-proposal/",
        "staff_a",
        200,
        lambda w: {"start": at(TUESDAY, 9).isoformat()},
        intruders=("expert_y",),
    ),
    # The booking's page: its request, proposal and messages.
    Row("page booking", False, "get", lambda w: f"/termine/{w.booking.pk}/", "staff_a", 200),
    # An expert's own calendars on the API.
    Row("api calendars list", True, "get", _calendars, "expert_x", 200),
    Row(
        "api calendars create",
        True,
        "post",
        _calendars,
        "expert_x",
        201,
        lambda w: {"kind": "ics", "url": FEED + "?zweiter"},
    ),
    Row(
        "api calendar read",
        True,
        "get",
        lambda w: _calendars(w, f"{w.calendar.pk}/"),
        "expert_x",
        200,
    ),
    Row(
        "api calendar sync",
        True,
        "post",
        lambda w: _calendars(w, f"{w.calendar.pk}/sync/"),
        "expert_x",
        202,
    ),
    Row(
        "api calendar delete",
        True,
        "delete",
        lambda w: _calendars(w, f"{w.calendar.pk}/"),
        "expert_x",
        204,
    ),
    # ... and on the availability page's calendar section (the expert's own by session, so
    # another expert reaches only their own section; a municipality none at all).
    Row(
        "page calendar sync",
        False,
        "post",
        lambda w: f"/expertin/kalender/{w.calendar.pk}/abgleichen/",
        "expert_x",
        302,
    ),
    Row(
        "page calendar remove",
        False,
        "post",
        lambda w: f"/expertin/kalender/{w.calendar.pk}/entfernen/",
        "expert_x",
        302,
    ),
    Row(
        "page calendars",
        False,
        "get",
        lambda w: "/expertin/kalender/",
        "expert_x",
        200,
        intruders=("staff_b",),
    ),
    Row(
        "page calendar connect",
        False,
        "post",
        lambda w: "/expertin/kalender/",
        "expert_x",
        302,
        lambda w: {"kind": "ics", "url": FEED + "?zweiter"},
        intruders=("staff_b",),
    ),
]

CASES = [(row, intruder) for row in ROWS for intruder in row.intruders]


def _user(w: World, who: str) -> Any:
    person = getattr(w, who)
    return getattr(person, "user", person)


def _send(row: Row, w: World, who: str) -> Any:
    user = _user(w, who)
    if row.api:
        client: Any = client_for(user)
        kwargs: dict[str, Any] = {"format": "json"}
    else:
        client = Client()
        client.force_login(user)
        kwargs = {}
    body = row.body(w) if row.body else None
    if body is not None:
        return getattr(client, row.method)(row.path(w), body, **kwargs)
    return getattr(client, row.method)(row.path(w), **kwargs)


def _state() -> dict[str, Any]:
    """Everything the rows could change."""
    return {
        "bookings": list(ConsultationBooking.objects.values().order_by("pk")),
        "proposals": list(BookingProposal.objects.values().order_by("pk")),
        "slots": list(ProposedSlot.objects.values().order_by("pk")),
        "messages": list(BookingMessage.objects.values().order_by("pk")),
        "calendars": list(CalendarConnection.objects.values().order_by("pk")),
        "outbox": list(Notification.objects.values_list("dedup_key", flat=True).order_by("pk")),
    }


@pytest.mark.parametrize(
    ("row", "intruder"), CASES, ids=[f"{row.name}-{intruder}" for row, intruder in CASES]
)
def test_outsider_gets_404_changes_nothing_and_the_owner_gets_through(
    world: World, row: Row, intruder: str, django_capture_on_commit_callbacks: Any
) -> None:
    before = _state()
    with django_capture_on_commit_callbacks() as queued:
        response = _send(row, world, intruder)
    assert response.status_code == 404, (row.name, intruder, response.content[:300])
    assert _state() == before
    assert queued == []  # no e-mail, no calendar sync, no calendar write
    shown = response.content.decode()
    for private in (NOTES, WRITTEN, PROPOSAL_NOTE, SECRET):
        assert private not in shown
    if row.api:
        assert response.json()["code"] == "not_found"

    response = _send(row, world, row.owner)
    assert response.status_code == row.owner_status, (row.name, response.content[:300])
