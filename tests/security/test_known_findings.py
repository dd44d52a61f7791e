"""Deterministic cases of the findings in known_findings.py, each xfail(strict=True): when the
owner's fix lands the case passes, the suite fails on XPASS, and both entries are deleted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
ON_SQLITE = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


def _component(client, name: str) -> dict:  # type: ignore[no-untyped-def]
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    return schema["components"]["schemas"][name]


def test_booking_action_with_non_numeric_id_is_404(staff_user):
    response = client_for(staff_user).post("/api/v1/bookings/null/decline/", {}, format="json")
    assert response.status_code == 404


def test_registration_for_a_huge_event_id_is_404(api):
    response = api.post(
        "/api/v1/events/757080410518250307276194/registrations/",
        {"name": "Ada", "email": "ada@kommune.example", "consent": True},
        format="json",
    )
    assert response.status_code == 404


def test_booking_schema_allows_a_blank_meeting_url(client):
    assert _component(client, "Booking")["properties"]["meeting_url"].get("format") != "uri"


def test_event_schema_allows_a_blank_online_url(client):
    assert _component(client, "Event")["properties"]["online_url"].get("format") != "uri"


def test_event_schema_does_not_require_the_organisers_only_online_url(client):
    assert "online_url" not in _component(client, "Event").get("required", [])


def test_expert_schema_documents_bio_as_the_string_it_returns(client, expert):
    body = client.get("/api/v1/experts/").json()
    assert isinstance(body["results"][0]["bio"], str)
    assert _component(client, "Expert")["properties"]["bio"].get("type") == "string"


def test_a_blank_meeting_url_really_occurs_in_booking_lists(staff_user, municipality):
    """Why the blank-URL findings matter: on-site bookings are listed with meeting_url ''."""
    request = factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality))
    factories.ConsultationBookingFactory(
        request=request, start=timezone.now() + dt.timedelta(days=3), format="onsite"
    )
    body = client_for(staff_user).get("/api/v1/bookings/").json()
    assert body["results"][0]["meeting_url"] == ""


HUGE = 2**64  # beyond bigint: SQLite raised OverflowError (a 500) when such an id was queried


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/assignments/proposal/", {"requests": [HUGE]}, "requests"),
        (
            "/api/v1/assignments/1/accept/",
            {"items": [{"request": HUGE, "expert": 1}]},
            "items",
        ),
    ],
)
def test_a_huge_id_in_a_coordinator_body_is_a_400_on_the_field(coordinator, url, body, field):  # type: ignore[no-untyped-def]
    response = client_for(coordinator).post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]


def test_a_huge_id_in_a_booking_is_a_400_on_the_field(staff_user):  # type: ignore[no-untyped-def]
    body = {
        "request": HUGE,
        "expert": 1,
        "start": "2027-06-07T10:00:00+02:00",
        "duration_minutes": 60,
    }
    response = client_for(staff_user).post("/api/v1/bookings/", body, format="json")
    assert response.status_code == 400 and "request" in response.json()["fields"]
