"""Pages through Django's test client: who sees what (404 for "not yours"), CSRF, bad input."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def foreign(other_staff_user):  # type: ignore[no-untyped-def]
    """Another municipality's plan, request and booking."""
    municipality = other_staff_user.municipal_staff.municipality
    plan = factories.PlanFactory(municipality=municipality)
    request = factories.RequestFactory(plan=plan)
    booking = factories.ConsultationBookingFactory(request=request)
    return {"plan": plan, "request": request, "booking": booking}


@pytest.mark.parametrize(
    "path",
    [
        "/vorhaben/{plan}/",
        "/anfragen/{request}/",
        "/anfragen/{request}/experten/",
        "/anfragen/{request}/experten/{expert}/termine/",
        "/termine/{booking}/",
    ],
)
def test_another_municipalitys_pages_are_404(staff_user, foreign, path):
    url = path.format(
        plan=foreign["plan"].pk,
        request=foreign["request"].pk,
        booking=foreign["booking"].pk,
        expert=foreign["booking"].expert_id,
    )
    response = client_of(staff_user).get(url)
    assert response.status_code == 404
    assert foreign["plan"].title not in response.content.decode()


@pytest.mark.parametrize("action", ["absagen", "verschieben", "bewertung", "bestaetigen"])
def test_actions_on_another_municipalitys_booking_are_404(staff_user, foreign, action):
    response = client_of(staff_user).post(f"/termine/{foreign['booking'].pk}/{action}/", {})
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/vorhaben/", "/anfragen/neu/", "/termine/", "/expertin/profil/"])
def test_anonymous_visitors_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith("/login/?next=")


@pytest.mark.parametrize(
    "path", ["/koordination/", "/koordination/mitglieder/", "/koordination/seiten/"]
)
def test_the_back_office_is_404_for_anonymous_visitors(client, path):
    """Not a login redirect: the back office does not exist for anyone but coordinators."""
    assert client.get(path).status_code == 404


def test_role_pages_of_other_roles_are_404(staff_user, expert):
    assert client_of(staff_user).get("/expertin/profil/").status_code == 404
    assert client_of(staff_user).get("/koordination/").status_code == 404
    assert client_of(expert.user).get("/vorhaben/").status_code == 404


def test_forms_refuse_posts_without_csrf_token(staff_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    assert client.post("/vorhaben/neu/", {"procedure_type": "youth-budget"}).status_code == 403


def test_plan_form_shows_service_errors_next_to_fields_and_keeps_input(staff_user):
    response = client_of(staff_user).post(
        "/vorhaben/neu/",
        {"title": "Kiezfonds", "stage": "idea", "procedure_type": "nonsense", "budget_eur": "x"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_procedure_type_errors"' in html and 'id="id_budget_eur_errors"' in html
    assert 'value="Kiezfonds"' in html and 'aria-invalid="true"' in html


def test_request_for_a_past_window_is_refused_on_the_field(staff_user):
    plan = factories.PlanFactory(municipality=staff_user.municipal_staff.municipality)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = client_of(staff_user).post(
        "/anfragen/neu/",
        {
            "plan": plan.pk,
            "topic_youth-school": "3",
            "format": "online",
            "language": "de",
            "earliest": yesterday.isoformat(),
            "latest": (yesterday + dt.timedelta(days=9)).isoformat(),
            "duration_minutes": "60",
        },
    )
    assert response.status_code == 400
    assert 'id="id_earliest_errors"' in response.content.decode()


def test_taken_slot_is_shown_as_error_on_the_slot_field(staff_user, expert):
    plan = factories.PlanFactory(municipality=staff_user.municipal_staff.municipality)
    request = factories.RequestFactory(plan=plan)
    start = (timezone.now() + dt.timedelta(days=1)).isoformat()  # inside the minimum notice
    response = client_of(staff_user).post(
        f"/anfragen/{request.pk}/experten/{expert.pk}/termine/",
        {"start": start, "duration_minutes": "60"},
    )
    assert response.status_code == 400
    assert 'id="id_start_errors"' in response.content.decode()


def test_self_service_link_with_unknown_token_is_404(client):
    assert client.get("/registrations/nope/").status_code == 404
    assert client.post("/registrations/nope/stornieren/").status_code == 404


def test_german_short_link_leads_to_the_emailed_path(client):
    response = client.get("/anmeldung/abc/")
    assert response.status_code == 301 and response.url == "/registrations/abc/"


def test_navigation_shows_the_pages_of_the_role(staff_user, expert, coordinator):
    html = client_of(staff_user).get("/").content.decode()
    assert "/vorhaben/" in html and "/expertin/profil/" not in html
    html = client_of(expert.user).get("/").content.decode()
    assert "/expertin/profil/" in html and "/vorhaben/" not in html
    assert "/koordination/" in client_of(coordinator).get("/").content.decode()


def test_times_are_shown_in_the_viewers_zone_with_the_zone_named(client):
    event = factories.EventFactory(
        sessions=[
            (dt.datetime(2030, 7, 1, 8, tzinfo=dt.UTC), dt.datetime(2030, 7, 1, 9, tzinfo=dt.UTC))
        ],
        registration_closes=dt.datetime(2030, 6, 1, tzinfo=dt.UTC),
    )
    html = client.get(f"/veranstaltungen/{event.pk}/").content.decode()
    assert "10:00" in html and "MESZ" in html
    client.cookies["tz"] = "America/New_York"
    html = client.get(f"/veranstaltungen/{event.pk}/").content.decode()
    assert "04:00" in html and "EDT" in html and "America/New_York" in html


def test_english_pages_via_the_language_switch(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/veranstaltungen/").content.decode()
    assert 'lang="en"' in html and "Seminars and workshops" in html


def english_client_of(user) -> Client:  # type: ignore[no-untyped-def]
    client = client_of(user)
    client.cookies["django_language"] = "en"
    return client


def test_peer_exchange_names_the_federal_state_in_english(staff_user):
    factories.PlanFactory(municipality=staff_user.municipal_staff.municipality)
    peer = factories.MunicipalityFactory(state="Nordrhein-Westfalen")
    factories.PlanFactory(municipality=peer)
    html = english_client_of(staff_user).get("/austausch/").content.decode()
    assert peer.name in html
    assert "North Rhine-Westphalia" in html and "Nordrhein-Westfalen" not in html


def test_expert_profile_offers_durations_in_the_viewers_language(expert):
    html = english_client_of(expert.user).get("/expertin/profil/").content.decode()
    assert "90 minutes" in html and "90 Minuten" not in html
    html = client_of(expert.user).get("/expertin/profil/").content.decode()
    assert "90 Minuten" in html


def own_booking(staff_user, **fields):  # type: ignore[no-untyped-def]
    return factories.ConsultationBookingFactory(
        request=factories.RequestFactory(
            plan__municipality=staff_user.municipal_staff.municipality
        ),
        **fields,
    )


def test_feedback_without_rating_shows_error_at_the_rating_and_keeps_the_comment(staff_user):
    booking = own_booking(
        staff_user, start=timezone.now() - dt.timedelta(days=2), status="completed"
    )
    response = client_of(staff_user).post(
        f"/termine/{booking.pk}/bewertung/", {"feedback-comment": "Sehr konkrete Tipps."}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_feedback-rating_errors"' in html and "Bitte eine Bewertung wählen." in html
    assert "Sehr konkrete Tipps." in html


def test_decline_without_reason_shows_error_at_the_reason_field(staff_user):
    booking = own_booking(staff_user)
    response = client_of(booking.expert.user).post(
        f"/termine/{booking.pk}/ablehnen/", {"decline-reason": "", "next": "/expertin/anfragen/"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_decline-reason_errors"' in html
    assert "Bitte nennen Sie der Kommune einen Grund." in html
    booking.refresh_from_db()
    assert booking.status == "requested"


def test_reschedule_without_a_slot_shows_error_at_the_slot_list(staff_user):
    booking = own_booking(staff_user, status="confirmed")
    response = client_of(staff_user).post(f"/termine/{booking.pk}/verschieben/", {})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_reschedule-start_errors"' in html and "Bitte einen freien Termin wählen." in html


def test_booking_with_an_auto_confirming_expert_says_confirmed_not_requested(staff_user):
    expert = factories.ExpertProfileFactory(auto_confirm=True)
    request = factories.RequestFactory(plan__municipality=staff_user.municipal_staff.municipality)
    client = client_of(staff_user)
    page = client.get(f"/anfragen/{request.pk}/experten/{expert.pk}/termine/").content.decode()
    start = re.search(r'name="start" id="[^"]+" value="([^"]+)"', page).group(1)
    duration = re.search(r'name="duration_minutes" value="(\d+)"', page).group(1)
    response = client.post(
        f"/anfragen/{request.pk}/experten/{expert.pk}/termine/",
        {"start": start, "duration_minutes": duration},
        follow=True,
    )
    html = response.content.decode()
    assert "Ihr Termin ist gebucht und bestätigt." in html and "angefragt." not in html
    assert f"<title>Beratung mit {expert.display_name} am " in html


def test_exception_for_a_past_day_is_refused_on_the_date_field(expert):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = client_of(expert.user).post(
        "/expertin/verfuegbarkeit/",
        {"add_exception": "1", "exception-day": yesterday.isoformat(), "exception-kind": "block"},
    )
    assert response.status_code == 400
    assert 'id="id_exception-day_errors"' in response.content.decode()
    assert not expert.exceptions.exists()


def test_booking_page_title_names_expert_and_day_in_english(staff_user):
    booking = own_booking(staff_user, status="confirmed")
    html = english_client_of(staff_user).get(f"/termine/{booking.pk}/").content.decode()
    assert f"<title>Consultation with {booking.expert.display_name} on " in html


def test_expired_form_explains_itself_in_the_users_language(staff_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    response = client.post("/vorhaben/neu/", {"title": "Kiezfonds"})
    assert response.status_code == 403
    html = response.content.decode()
    assert '<html lang="de">' in html and "<h1>Formular abgelaufen</h1>" in html
    client.cookies["django_language"] = "en"
    html = client.post("/vorhaben/neu/", {"title": "Kiezfonds"}).content.decode()
    assert '<html lang="en">' in html and "<h1>Form expired</h1>" in html


def test_matches_of_a_booked_request_offer_no_slot_picker_and_say_why(staff_user, expert):
    request = factories.RequestFactory(
        plan__municipality=staff_user.municipal_staff.municipality, status="booked"
    )
    html = client_of(staff_user).get(f"/anfragen/{request.pk}/experten/").content.decode()
    assert "Diese Anfrage ist nicht mehr offen" in html
    assert f"/anfragen/{request.pk}/experten/{expert.pk}/termine/" not in html
    assert f"<title>Passende Expert*innen für Anfrage #{request.pk}" in html


def test_matches_of_an_open_request_link_to_the_slot_picker(staff_user, expert):
    request = factories.RequestFactory(plan__municipality=staff_user.municipal_staff.municipality)
    html = client_of(staff_user).get(f"/anfragen/{request.pk}/experten/").content.decode()
    assert "Diese Anfrage ist nicht mehr offen" not in html
    assert f"/anfragen/{request.pk}/experten/{expert.pk}/termine/" in html


def test_expert_can_call_off_a_confirmed_consultation_with_a_reason(staff_user):
    booking = own_booking(staff_user, status="confirmed")
    expert = client_of(booking.expert.user)
    page = expert.get(f"/termine/{booking.pk}/").content.decode()
    assert f'action="/termine/{booking.pk}/absagen/"' in page
    response = expert.post(f"/termine/{booking.pk}/absagen/", {"cancel-reason": "Krank."})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.reason == "Krank."


def test_expert_answers_an_open_request_with_decline_not_cancel(staff_user):
    booking = own_booking(staff_user)
    page = client_of(booking.expert.user).get(f"/termine/{booking.pk}/").content.decode()
    assert f'action="/termine/{booking.pk}/ablehnen/"' in page
    assert f'action="/termine/{booking.pk}/absagen/"' not in page


def test_downloaded_event_invitation_names_its_method_in_the_media_type(client):
    from events import registration as event_registration

    event = factories.EventFactory()
    registration = event_registration.register(
        event_id=event.pk, name="Alex", email="alex@gemeinde.example", consent=True
    ).registration
    event_registration.confirm(token=registration.token)
    response = client.get(f"/registrations/{registration.token}/einladung.ics")
    assert response.status_code == 200
    assert "METHOD:REQUEST" in response.content.decode()
    assert response["Content-Type"] == "text/calendar; method=REQUEST; charset=utf-8"


def test_english_pages_write_dates_day_before_month(staff_user):
    factories.RequestFactory(
        plan__municipality=staff_user.municipal_staff.municipality,
        earliest=dt.date(2027, 6, 12),
        latest=dt.date(2027, 7, 3),
    )
    html = english_client_of(staff_user).get("/anfragen/").content.decode()
    assert "12 Jun 2027" in html and "3 Jul 2027" in html
    assert "06/12/2027" not in html
