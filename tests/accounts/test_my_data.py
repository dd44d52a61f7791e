"""Download my data (only the caller's) and delete my account (what the other side needs stays,
anonymised; nothing cascades away)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from bookings.models import ConsultationBooking
from consult.models import ConsultationRequest, StaffMembership
from events.models import Registration
from experts.models import ExpertProfile
from tests import factories
from tests.accounts.helpers import enable_totp, totp_code
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
PASSWORD = "secret-pass-123"
User = get_user_model()


def _registration(event, email: str, **fields) -> Registration:  # type: ignore[no-untyped-def]
    now = timezone.now()
    defaults = {"name": "Erika Muster", "status": "confirmed", "holds_seat": True}
    return Registration.objects.create(
        event=event, email=email, consent_at=now, confirmed_at=now, **{**defaults, **fields}
    )


def _past_event():  # type: ignore[no-untyped-def]
    start = timezone.now() - dt.timedelta(days=30)
    return factories.EventFactory(sessions=[(start, start + dt.timedelta(hours=3))])


@pytest.fixture
def world(staff_user, other_staff_user):  # type: ignore[no-untyped-def]
    """The caller (staff_user) with a request, a booking and registrations; another account
    with the same kinds of data."""
    mine = factories.RequestFactory(plan__municipality=staff_user.municipal_staff.municipality)
    mine.created_by = staff_user
    mine.save()
    theirs = factories.RequestFactory(
        plan__municipality=other_staff_user.municipal_staff.municipality
    )
    theirs.created_by = other_staff_user
    theirs.save()
    my_booking = factories.ConsultationBookingFactory(request=mine, created_by=staff_user)
    their_booking = factories.ConsultationBookingFactory(
        request=theirs, created_by=other_staff_user
    )
    upcoming = factories.EventFactory()
    past = _past_event()
    return {
        "request": mine,
        "booking": my_booking,
        "their_booking": their_booking,
        "upcoming": _registration(upcoming, staff_user.email),
        "past": _registration(past, staff_user.email, attended=True),
        "theirs": _registration(upcoming, other_staff_user.email, name="Max Anders"),
    }


# --- export -----------------------------------------------------------------------------------


def test_export_holds_the_callers_data_and_nobody_elses(world, staff_user, other_staff_user):
    response = client_for(staff_user).get("/api/v1/me/export/")
    assert response.status_code == 200
    data = response.json()
    assert data["account"]["username"] == staff_user.username
    assert data["account"]["email"] == staff_user.email
    assert data["organisation"]["id"] == staff_user.municipal_staff.municipality_id
    assert [r["id"] for r in data["consultation_requests"]] == [world["request"].pk]
    assert [b["id"] for b in data["bookings"]] == [world["booking"].pk]
    assert {r["id"] for r in data["event_registrations"]} == {
        world["upcoming"].pk,
        world["past"].pk,
    }
    text = json.dumps(data)
    assert other_staff_user.email not in text and other_staff_user.username not in text
    assert "Max Anders" not in text


def test_export_of_an_expert_holds_their_profile_and_bookings(expert):
    booking = factories.ConsultationBookingFactory(expert=expert)
    data = client_for(expert.user).get("/api/v1/me/export/").json()
    assert data["expert_profile"]["display_name"] == expert.display_name
    assert [(b["id"], b["as"]) for b in data["bookings"]] == [(booking.pk, "expert")]


def test_export_needs_a_login(api):
    assert api.get("/api/v1/me/export/").status_code == 401


def test_export_page_downloads_a_json_file(world, staff_user):
    client = Client()
    client.force_login(staff_user)
    response = client.get("/konto/daten/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="meine-daten-')
    assert json.loads(response.content)["account"]["id"] == staff_user.pk


# --- delete -----------------------------------------------------------------------------------


def test_delete_page_needs_the_password(world, staff_user):
    client = Client()
    client.force_login(staff_user)
    response = client.post("/konto/loeschen/", {"password": "falsch", "confirm": "on"})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    staff_user.refresh_from_db()
    assert staff_user.is_active and staff_user.username != f"geloescht-{staff_user.pk}"


def test_delete_keeps_bookings_and_registrations_anonymised(world, staff_user, other_staff_user):
    email, pk = staff_user.email, staff_user.pk
    client = Client()
    client.force_login(staff_user)
    response = client.post("/konto/loeschen/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/konto/").status_code == 302  # logged out

    gone = User.objects.get(pk=pk)
    assert (gone.username, gone.email, gone.first_name, gone.is_active) == (
        f"geloescht-{pk}",
        "",
        "",
        False,
    )
    assert not gone.has_usable_password()
    assert not StaffMembership.objects.filter(user_id=pk).exists()
    # The other side still has what it needs.
    booking = ConsultationBooking.objects.get(pk=world["booking"].pk)
    assert booking.created_by_id == pk and booking.request_id == world["request"].pk
    assert ConsultationRequest.objects.filter(pk=world["request"].pk).exists()
    past = Registration.objects.get(pk=world["past"].pk)
    assert (past.status, past.attended, past.name) == ("confirmed", True, "")
    assert past.email != email and past.anonymised_at is not None
    upcoming = Registration.objects.get(pk=world["upcoming"].pk)
    assert upcoming.status == "cancelled" and upcoming.email != email
    # Nobody else's data changed.
    assert Registration.objects.get(pk=world["theirs"].pk).name == "Max Anders"
    assert User.objects.get(pk=other_staff_user.pk).is_active
    assert not Registration.objects.filter(email__iexact=email).exists()
    # The old login is gone.
    login = Client().post("/login/", {"username": email, "password": PASSWORD})
    assert login.status_code == 200


def test_deleting_an_expert_keeps_their_bookings_and_takes_them_out_of_matching(expert):
    booking = factories.ConsultationBookingFactory(expert=expert)
    response = client_for(expert.user).delete("/api/v1/me/", {"password": PASSWORD}, format="json")
    assert response.status_code == 204
    profile = ExpertProfile.objects.get(pk=expert.pk)
    assert profile.active is False and profile.email == "" and profile.bio_de == ""
    assert ConsultationBooking.objects.filter(pk=booking.pk, expert=profile).exists()


def test_api_delete_needs_the_password_and_the_code_with_2fa(staff_user):
    secret = enable_totp(staff_user)
    client = client_for(staff_user)
    wrong = client.delete("/api/v1/me/", {"password": "falsch"}, format="json")
    assert wrong.status_code == 400 and "password" in wrong.json()["fields"]
    no_code = client.delete("/api/v1/me/", {"password": PASSWORD}, format="json")
    assert no_code.status_code == 400 and no_code.json()["code"] == "two_factor_required"
    staff_user.refresh_from_db()
    assert staff_user.is_active
    done = client.delete(
        "/api/v1/me/", {"password": PASSWORD, "code": totp_code(secret)}, format="json"
    )
    assert done.status_code == 204
    assert not Token.objects.filter(user_id=staff_user.pk).exists()
    staff_user.refresh_from_db()
    assert not staff_user.is_active


def test_a_superuser_is_not_deleted_from_the_account_page():
    admin = User.objects.create_superuser("admin", "admin@example.org", PASSWORD)
    response = client_for(admin).delete("/api/v1/me/", {"password": PASSWORD}, format="json")
    assert response.status_code == 409
    admin.refresh_from_db()
    assert admin.is_active
