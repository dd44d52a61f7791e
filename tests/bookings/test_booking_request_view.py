"""The expert sees the request: GET /api/v1/bookings/{id}/ `request`, the booking page and the
"new request" e-mail show the topics, notes, plan, municipality and why the matcher chose them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bookings import services
from bookings.models import ConsultationBooking
from notifications.models import Notification
from tests import factories
from tests.bookings.test_matches_api import _fresh_matrix_and_clock  # noqa: F401 (autouse)
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NOTES = "Wir möchten besonders Schulen einbinden.\nZweite Zeile der Anmerkungen."
PHASES = [
    {"phase": "information", "start": "2030-05-01", "end": "2030-05-31"},
    {"phase": "vote", "start": "2030-09-01", "end": "2030-09-15"},
]


@pytest.fixture
def town():  # type: ignore[no-untyped-def]
    return factories.MunicipalityFactory(
        name="Leipzig-Süd", kind="stadt", population=60_000, state="Sachsen"
    )


def make_request(town, needs=None, phases=PHASES):  # type: ignore[no-untyped-def]
    plan = factories.PlanFactory(
        municipality=town,
        title="Jugendbudget Leipzig-Süd",
        stage="introducing",
        procedure_type="youth-budget",
        budget_eur=75_000,
        target_groups=["youth", "pupils"],
        phases=phases,
        description="Ein Budget, über das Jugendliche selbst entscheiden.",
    )
    return factories.RequestFactory(
        plan=plan,
        format="online",
        earliest=dt.date(2030, 3, 10),
        latest=dt.date(2030, 4, 10),
        notes=NOTES,
        needs=needs or {"youth-school": 3, "public-relations": 1},
    )


@pytest.fixture
def consultation(town):  # type: ignore[no-untyped-def]
    return make_request(town)


@pytest.fixture
def adviser():  # type: ignore[no-untyped-def]
    return factories.ExpertProfileFactory(
        display_name="Dr. Jana Beispiel",
        levels={"youth-school": 3, "public-relations": 2},
        languages=["de", "en"],
    )


def booking_of(consultation, adviser, **extra):  # type: ignore[no-untyped-def]
    extra.setdefault("start", dt.datetime(2030, 3, 12, 10, 0, tzinfo=BERLIN))
    return factories.ConsultationBookingFactory(request=consultation, expert=adviser, **extra)


def detail(user, booking, **headers):  # type: ignore[no-untyped-def]
    return client_for(user).get(f"/api/v1/bookings/{booking.pk}/", **headers)


# --- API ---------------------------------------------------------------------------------------


def test_the_bookings_expert_reads_topics_notes_plan_and_municipality(consultation, adviser):
    booking = booking_of(consultation, adviser)
    response = detail(adviser.user, booking)
    assert response.status_code == 200, response.json()
    asked = response.json()["request"]
    assert asked["id"] == consultation.pk
    assert asked["topics"] == [
        {"topic": "youth-school", "name": "Kinder-, Jugend- und Schulbeteiligung", "weight": 3},
        {"topic": "public-relations", "name": "Öffentlichkeitsarbeit", "weight": 1},
    ]
    assert asked["notes"] == NOTES
    assert (asked["format"], asked["language"], asked["duration_minutes"]) == ("online", "de", 60)
    assert (asked["earliest"], asked["latest"]) == ("2030-03-10", "2030-04-10")
    assert asked["plan"] == {
        "id": consultation.plan_id,
        "title": "Jugendbudget Leipzig-Süd",
        "stage": "introducing",
        "procedure_type": "youth-budget",
        "budget_eur": 75000.0,
        "channels": ["online"],
        "target_groups": ["youth", "pupils"],
        "phases": PHASES,
        "description": "Ein Budget, über das Jugendliche selbst entscheiden.",
    }
    municipality = asked["municipality"]
    assert municipality["name"] == "Leipzig-Süd" and municipality["kind"] == "stadt"
    assert (municipality["population"], municipality["size_class"]) == (60_000, "medium")
    assert (municipality["state"], municipality["country"]) == ("Sachsen", "DE")


def test_why_is_the_explanation_the_municipality_was_shown(staff_user, town, adviser):
    consultation = make_request(town)
    staff = factories.staff_for(town)
    shown = client_for(staff).get(f"/api/v1/requests/{consultation.pk}/matches/").json()
    assert shown["results"][0]["expert"]["id"] == adviser.pk
    booking = booking_of(consultation, adviser)
    why = detail(adviser.user, booking).json()["request"]["why"]
    assert why["source"] == "matches" and why["rank"] == 1
    assert why["explanation"] == shown["results"][0]["explanation"]
    assert "Stufe 3" in why["explanation"]
    english = detail(adviser.user, booking, HTTP_ACCEPT_LANGUAGE="en").json()["request"]
    assert "level 3" in english["why"]["explanation"]
    assert english["topics"][0]["name"] == "Youth and school participation"


def test_why_without_a_shown_ranking_is_explained_by_the_matcher(consultation, adviser):
    booking = booking_of(consultation, adviser)
    why = detail(adviser.user, booking).json()["request"]["why"]
    assert why["source"] == "computed" and why["rank"] is None and why["shown_at"] is None
    assert why["explanation"].startswith("Deckt 2 von 2 benötigten Themen ab")
    assert "Kinder-, Jugend- und Schulbeteiligung (Stufe 3)" in why["explanation"]


def test_why_is_null_when_the_matcher_would_leave_the_expert_out(consultation):
    # Booked directly (the API allows any active expert): none of the needed topics covered.
    outsider = factories.ExpertProfileFactory(levels={"budget-law": 3})
    why = detail(outsider.user, booking_of(consultation, outsider)).json()["request"]["why"]
    assert why is None


def test_another_expert_gets_404_for_the_booking(consultation, adviser):
    booking = booking_of(consultation, adviser)
    stranger = factories.ExpertProfileFactory()
    response = detail(stranger.user, booking)
    assert response.status_code == 404
    assert "request" not in response.json()


def test_both_sides_and_coordinators_see_the_request_others_get_404(
    consultation, adviser, town, coordinator, other_staff_user
):
    booking = booking_of(consultation, adviser)
    staff = factories.staff_for(town)
    for user in (staff, coordinator):
        assert detail(user, booking).json()["request"]["notes"] == NOTES
    assert detail(other_staff_user, booking).status_code == 404
    assert Client().get(f"/api/v1/bookings/{booking.pk}/").status_code in (401, 403)


def test_the_list_and_the_actions_name_the_request_by_id(consultation, adviser):
    booking = booking_of(consultation, adviser)
    client = client_for(adviser.user)
    listed = client.get("/api/v1/bookings/").json()["results"]
    assert [b["request"] for b in listed] == [consultation.pk]
    confirmed = client.post(f"/api/v1/bookings/{booking.pk}/confirm/").json()
    assert confirmed["request"] == consultation.pk


def _queries(user, booking) -> int:  # type: ignore[no-untyped-def]
    client = client_for(user)
    client.get(f"/api/v1/bookings/{booking.pk}/")  # warm the user's role caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/api/v1/bookings/{booking.pk}/").status_code == 200
    return len(captured)


def test_detail_query_count_does_not_grow_with_topics_phases_or_rankings(town, adviser):
    small = booking_of(make_request(town, needs={"youth-school": 2}, phases=[]), adviser)
    many_topics = {
        "youth-school": 3,
        "public-relations": 2,
        "online-platform": 1,
        "voting-methods": 2,
        "funding": 1,
    }
    large_request = make_request(town, needs=many_topics, phases=PHASES * 3)
    staff = factories.staff_for(town)
    for _ in range(3):
        client_for(staff).get(f"/api/v1/requests/{large_request.pk}/matches/", {"format": "either"})
    large = booking_of(large_request, adviser, start=dt.datetime(2030, 3, 13, 10, tzinfo=BERLIN))
    computed = _queries(adviser.user, small)  # no ranking shown: explained by the matcher
    recorded = _queries(adviser.user, large)
    # the booking, its topics, the kept rankings (+ the one expert's features when none listed)
    assert recorded <= 6
    assert computed == recorded + 3


# --- the "new request" e-mail --------------------------------------------------------------------


def _book(staff, consultation, adviser):  # type: ignore[no-untyped-def]
    return services.book(
        actor=staff,
        request_id=consultation.pk,
        expert_id=adviser.pk,
        start=dt.datetime(2030, 3, 12, 10, 0, tzinfo=BERLIN),
        duration_minutes=60,
    )


def test_new_request_mail_to_the_expert_names_topics_notes_plan_and_why_in_german(
    town, consultation, adviser
):
    adviser.languages = ["de"]
    adviser.save()
    booking = _book(factories.staff_for(town), consultation, adviser)
    mail = Notification.objects.get(kind="booking_requested", recipient=adviser.email)
    assert mail.language == "de"
    for text in (mail.body_text, mail.body_html):
        assert "Worum die Kommune bittet" in text
        assert "Kinder-, Jugend- und Schulbeteiligung (sehr wichtig, 3/3)" in text
        assert "Öffentlichkeitsarbeit (etwas wichtig, 1/3)" in text
        assert "Wir möchten besonders Schulen einbinden." in text
        assert "Jugendbudget Leipzig-Süd" in text and "Einführung" in text
        assert "Jugendliche, Schüler*innen" in text
        assert "Information 1.5.2030–31.5.2030" in text
        assert "60.000 Einwohner*innen" in text and "Sachsen" in text
        assert "Warum Sie" in text and "Deckt 2 von 2 benötigten Themen ab" in text
    assert "Zweite Zeile der Anmerkungen." in mail.body_text
    assert "einbinden.<br>Zweite Zeile" in mail.body_html
    # The municipality's own confirmation of receipt does not repeat its request.
    own = Notification.objects.get(kind="booking_requested", recipient=town.contact_email)
    assert "Worum die Kommune bittet" not in own.body_text
    assert booking.status == ConsultationBooking.Status.REQUESTED


def test_new_request_mail_in_english_for_an_expert_working_in_english(town, consultation):
    adviser = factories.ExpertProfileFactory(
        languages=["en"], levels={"youth-school": 3, "public-relations": 2}
    )
    consultation.language = "en"
    consultation.save()
    _book(factories.staff_for(town), consultation, adviser)
    mail = Notification.objects.get(kind="booking_requested", recipient=adviser.email)
    assert mail.language == "en"
    for text in (mail.body_text, mail.body_html):
        assert "What the municipality asks for" in text
        assert "Youth and school participation (very important, 3/3)" in text
        assert "Public relations (somewhat important, 1/3)" in text
        assert "Wir möchten besonders Schulen einbinden." in text  # as the municipality wrote
        assert "Youth budget" in text and "Young people, Pupils" in text
        assert "Why you" in text and "Covers 2 of 2 needed topics" in text
        assert "Worum" not in text


def test_an_auto_confirmed_booking_tells_the_expert_what_is_asked(town, consultation, adviser):
    adviser.auto_confirm = True
    adviser.save()
    _book(factories.staff_for(town), consultation, adviser)
    mail = Notification.objects.get(kind="booking_confirmed", recipient=adviser.email)
    assert "Worum die Kommune bittet" in mail.body_text
    assert NOTES.splitlines()[0] in mail.body_text


def test_the_experts_later_confirmation_mail_does_not_repeat_the_request(
    town, consultation, adviser
):
    booking = _book(factories.staff_for(town), consultation, adviser)
    client_for(adviser.user).post(f"/api/v1/bookings/{booking.pk}/confirm/")
    mail = Notification.objects.get(kind="booking_confirmed", recipient=adviser.email)
    assert "Worum die Kommune bittet" not in mail.body_text


# --- pages ---------------------------------------------------------------------------------------


def page_client(user, language: str = "de") -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def test_booking_page_shows_the_expert_what_is_asked(consultation, adviser):
    booking = booking_of(consultation, adviser)
    html = page_client(adviser.user).get(f"/termine/{booking.pk}/").content.decode()
    assert "Die Anfrage (#" in html
    assert "Kinder-, Jugend- und Schulbeteiligung" in html and "sehr wichtig" in html
    assert "Wir möchten besonders Schulen einbinden.<br>Zweite Zeile" in html
    assert "Ein Budget, über das Jugendliche selbst entscheiden." in html
    assert "75.000 €" in html and "Jugendliche, Schüler*innen" in html
    assert "Machbarkeitsprüfung" not in html and "Abstimmung: 1. September 2030" in html
    assert "Leipzig-Süd" in html and "60.000" in html and "Sachsen" in html
    assert "Warum Sie vorgeschlagen wurden" in html
    assert f'href="/expertinnen/{adviser.pk}/"' in html


def test_booking_page_in_english(consultation, adviser):
    booking = booking_of(consultation, adviser)
    html = page_client(adviser.user, "en").get(f"/termine/{booking.pk}/").content.decode()
    assert "The request (#" in html
    assert "Youth and school participation" in html and "very important" in html
    assert "Why you were suggested" in html and "Covers 2 of 2 needed topics" in html
    assert "Target groups" in html and "Young people, Pupils" in html


def test_municipality_reads_the_same_and_a_link_to_the_profile(consultation, adviser, town):
    booking = booking_of(consultation, adviser)
    html = page_client(factories.staff_for(town)).get(f"/termine/{booking.pk}/").content.decode()
    assert "Warum die Expert*in vorgeschlagen wurde" in html
    assert "Profil von Dr. Jana Beispiel" in html


def test_booking_page_queries_do_not_grow_with_topics(town, adviser):
    few = booking_of(make_request(town, needs={"youth-school": 2}, phases=[]), adviser)
    needs = {"youth-school": 3, "public-relations": 2, "funding": 1, "voting-methods": 2}
    many = booking_of(
        make_request(town, needs=needs, phases=PHASES * 3),
        adviser,
        start=dt.datetime(2030, 3, 13, 10, tzinfo=BERLIN),
    )
    client = page_client(adviser.user)
    counts = []
    for booking in (few, many):
        client.get(f"/termine/{booking.pk}/")
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/termine/{booking.pk}/").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_experts_list_of_requests_names_the_topics(consultation, adviser):
    booking_of(consultation, adviser)
    html = page_client(adviser.user).get("/expertin/anfragen/").content.decode()
    assert "Themen: Kinder-, Jugend- und Schulbeteiligung (3/3), Öffentlichkeitsarbeit" in html


def test_experts_list_queries_do_not_grow_with_bookings(town, adviser):
    client = page_client(adviser.user)

    def count() -> int:
        client.get("/expertin/anfragen/")
        with CaptureQueriesContext(connection) as captured:
            client.get("/expertin/anfragen/")
        return len(captured)

    booking_of(make_request(town), adviser)
    one = count()
    for day in (13, 14, 15):
        start = dt.datetime(2030, 3, day, 10, tzinfo=BERLIN)
        booking_of(make_request(town), adviser, start=start)
    assert count() == one
