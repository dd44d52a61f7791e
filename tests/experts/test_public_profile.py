"""The municipality sees the expert: GET /api/v1/experts/{id}/ (bio, organisation, feedback from
completed consultations, next free slots) and the page /expertinnen/<id>/."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from consult.models import Topic
from experts.calendar_models import BusyInterval, CalendarConnection
from experts.models import ExpertTopic
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2030, 3, 4, 8, 0, tzinfo=dt.UTC)  # Monday 09:00 in Berlin


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


def berlin(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2030, 3, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def adviser():  # type: ignore[no-untyped-def]
    """Monday to Friday 9-17, 60 or 90 minutes, a day's notice, 15 minutes' buffers."""
    return factories.ExpertProfileFactory(
        display_name="Dr. Jana Beispiel",
        organisation="Institut für Beteiligung",
        bio_de="Berät Kommunen seit 2010 zu Jugendbudgets.",
        bio_en="Has advised municipalities on youth budgets since 2010.",
        levels={"youth-school": 3, "public-relations": 1},
        procedure_types=["youth-budget", "citizens-budget"],
        size_classes=["medium"],
        states=["Sachsen", "Thüringen"],
        languages=["de", "en"],
        formats=["online", "onsite"],
        home_city="Dresden",
    )


def rated(expert, status: str, rating: int | None, day: int):  # type: ignore[no-untyped-def]
    return factories.ConsultationBookingFactory(
        expert=expert, start=berlin(day, 10) - dt.timedelta(days=30), status=status, rating=rating
    )


def profile(user, expert, **headers):  # type: ignore[no-untyped-def]
    client = client_for(user) if user is not None else Client()
    return client.get(f"/api/v1/experts/{expert.pk}/", **headers)


# --- API ---------------------------------------------------------------------------------------


def test_anyone_reads_the_public_profile_with_feedback_and_next_slots(adviser):
    response = profile(None, adviser)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Dr. Jana Beispiel"
    assert body["organisation"] == "Institut für Beteiligung"
    assert body["bio"] == "Berät Kommunen seit 2010 zu Jugendbudgets."
    assert body["topics"] == [
        {"topic": "youth-school", "level": 3},
        {"topic": "public-relations", "level": 1},
    ]
    assert body["procedure_types"] == ["youth-budget", "citizens-budget"]
    assert body["size_classes"] == ["medium"] and body["states"] == ["Sachsen", "Thüringen"]
    assert body["languages"] == ["de", "en"] and body["formats"] == ["online", "onsite"]
    assert body["feedback"] == {"average": None, "count": 0}
    # A day's notice: Tuesday 09:00 is the first; 60 minutes on a 30-minute grid.
    assert body["next_slots_duration"] == 60
    assert [s["start"] for s in body["next_slots"]] == [
        berlin(5, 9).isoformat(),
        berlin(5, 9, 30).isoformat(),
        berlin(5, 10).isoformat(),
        berlin(5, 10, 30).isoformat(),
        berlin(5, 11).isoformat(),
    ]
    assert body["next_slots"][0]["end"] == berlin(5, 10).isoformat()
    for private in ("email", "conflicts", "home_latitude", "meeting_url"):
        assert private not in body


def test_bio_follows_the_request_language_and_falls_back_to_german(adviser):
    english = profile(None, adviser, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["bio"] == "Has advised municipalities on youth budgets since 2010."
    adviser.bio_en = ""
    adviser.save()
    assert profile(None, adviser, HTTP_ACCEPT_LANGUAGE="en").json()["bio"].startswith("Berät")


def test_feedback_counts_only_completed_consultations_with_a_rating(adviser):
    rated(adviser, "completed", 5, 4)
    rated(adviser, "completed", 4, 5)
    rated(adviser, "completed", None, 6)  # completed, not rated
    rated(adviser, "no_show", 1, 7)  # a rating on a no-show does not count
    rated(adviser, "cancelled", 1, 8)
    rated(factories.ExpertProfileFactory(), "completed", 1, 9)  # someone else's
    assert profile(None, adviser).json()["feedback"] == {"average": 4.5, "count": 2}


def test_next_slots_leave_out_bookings_and_the_experts_own_calendar(adviser):
    factories.ConsultationBookingFactory(
        expert=adviser, start=berlin(5, 9), status="confirmed"
    )  # 09:00-10:00 with buffers: nothing starts before 10:30
    diary = CalendarConnection.objects.create(
        expert=adviser, kind="ics", url="https://calendar.example/secret.ics"
    )
    BusyInterval.objects.create(connection=diary, start=berlin(5, 10, 30), end=berlin(5, 12))
    starts = [s["start"] for s in profile(None, adviser).json()["next_slots"]]
    assert starts[0] == berlin(5, 12, 30).isoformat()
    assert len(starts) == 5


def test_next_slots_stay_within_the_booking_horizon(adviser):
    adviser.horizon_days = 3
    adviser.save()
    adviser.rules.exclude(weekday=4).delete()  # Fridays only: the first is 4 days away
    assert profile(None, adviser).json()["next_slots"] == []
    adviser.horizon_days = 5
    adviser.save()
    starts = profile(None, adviser).json()["next_slots"]
    assert starts[0]["start"] == berlin(8, 9).isoformat()


def test_inactive_profile_is_404_to_the_public_and_visible_to_owner_and_coordinators(
    adviser, coordinator, staff_user
):
    adviser.active = False
    adviser.save()
    assert profile(None, adviser).status_code == 404
    assert profile(staff_user, adviser).status_code == 404
    assert profile(factories.ExpertProfileFactory().user, adviser).status_code == 404
    own = profile(adviser.user, adviser)
    assert own.status_code == 200 and own.json()["next_slots"] == []
    assert profile(coordinator, adviser).json()["active"] is False
    page = Client()
    page.force_login(staff_user)
    assert page.get(f"/expertinnen/{adviser.pk}/").status_code == 404
    page.force_login(coordinator)
    assert (
        "Dieses Profil ist nicht aktiv" in page.get(f"/expertinnen/{adviser.pk}/").content.decode()
    )


def test_the_list_keeps_its_fields(adviser):
    listed = Client().get("/api/v1/experts/").json()["results"]
    assert [e["id"] for e in listed] == [adviser.pk]
    assert not {"feedback", "next_slots"} & set(listed[0])
    assert {"id", "name", "topics", "languages", "formats", "states", "active"} <= set(listed[0])


def test_the_owner_still_edits_the_profile_through_the_same_route(adviser):
    response = client_for(adviser.user).patch(
        f"/api/v1/experts/{adviser.pk}/", {"organisation": "Neues Büro"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert profile(None, adviser).json()["organisation"] == "Neues Büro"


def _queries(url: str) -> int:
    client = Client()
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_queries_do_not_grow_with_topics_bookings_or_ratings(adviser):
    plain = factories.ExpertProfileFactory(levels={"youth-school": 2})
    for slug in ("online-platform", "voting-methods", "funding"):
        ExpertTopic.objects.create(expert=adviser, topic=Topic.objects.get(slug=slug), level=2)
    for day in (5, 6, 7):
        factories.ConsultationBookingFactory(expert=adviser, start=berlin(day, 10))
    for day in (1, 2, 3):
        rated(adviser, "completed", 5, day)
    for url in ("/api/v1/experts/{}/", "/expertinnen/{}/"):
        assert _queries(url.format(plain.pk)) == _queries(url.format(adviser.pk))


# --- the page ----------------------------------------------------------------------------------


def test_profile_page_in_german(adviser):
    rated(adviser, "completed", 5, 4)
    rated(adviser, "completed", 4, 5)
    html = Client().get(f"/expertinnen/{adviser.pk}/").content.decode()
    assert "<h1>Dr. Jana Beispiel</h1>" in html and "Institut für Beteiligung" in html
    assert "Berät Kommunen seit 2010 zu Jugendbudgets." in html
    assert "Kinder-, Jugend- und Schulbeteiligung" in html and "Stufe 3" in html
    assert "Jugendbudget" in html and "Sachsen, Thüringen" in html
    assert "Durchschnittlich 4,5 von 5 Punkten aus 2 bewerteten Beratungen." in html
    assert "Nächste freie Termine" in html and html.count("<time datetime=") == 5
    assert "von Dresden aus bis 150 km" in html


def test_profile_page_in_english(adviser):
    client = Client()
    client.cookies["django_language"] = "en"
    html = client.get(f"/expertinnen/{adviser.pk}/").content.decode()
    assert "Has advised municipalities on youth budgets since 2010." in html
    assert "Youth and school participation" in html and "level 3" in html
    assert "No ratings from completed consultations yet." in html
    assert "Next free slots" in html


def test_profile_page_marks_a_german_bio_on_the_english_page(adviser):
    adviser.bio_en = ""
    adviser.save()
    client = Client()
    client.cookies["django_language"] = "en"
    html = client.get(f"/expertinnen/{adviser.pk}/").content.decode()
    assert '<div class="bio" lang="de">' in html


def test_the_owner_sees_an_inactive_profile_with_a_notice(adviser):
    adviser.active = False
    adviser.save()
    assert Client().get(f"/expertinnen/{adviser.pk}/").status_code == 404
    client = Client()
    client.force_login(adviser.user)
    html = client.get(f"/expertinnen/{adviser.pk}/").content.decode()
    assert "Ihr Profil ist derzeit nicht aktiv" in html
    assert "Derzeit ist kein Termin frei." in html


def test_the_matches_page_links_each_expert_to_the_profile(staff_user, municipality, adviser):
    request = factories.RequestFactory(
        plan=factories.PlanFactory(municipality=municipality),
        earliest=dt.date(2030, 3, 10),
        latest=dt.date(2030, 4, 10),
    )
    client = Client()
    client.force_login(staff_user)
    html = client.get(f"/anfragen/{request.pk}/experten/").content.decode()
    assert f'href="/expertinnen/{adviser.pk}/"' in html
