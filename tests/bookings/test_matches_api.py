"""GET /api/v1/requests/{id}/matches/: hand-built cases, the record kept, scope, the warm matrix."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from bookings import matches as booking_matches
from bookings import selectors as booking_selectors
from consult.models import ConsultationRequest
from experts.models import MatchRecord
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2030, 3, 4, 8, 0, tzinfo=dt.UTC)  # a Monday
MUNICH = {"home_latitude": 48.14, "home_longitude": 11.58}


@pytest.fixture(autouse=True)
def _fresh_matrix_and_clock():  # type: ignore[no-untyped-def]
    booking_matches.reset_matrix()
    with time_machine.travel(NOW, tick=False):
        yield
    booking_matches.reset_matrix()


@pytest.fixture
def youth_request(municipality):  # type: ignore[no-untyped-def]
    """A youth budget in Leipzig (Saxony) needing youth participation and public relations."""
    plan = factories.PlanFactory(municipality=municipality, procedure_type="youth-budget")
    return factories.RequestFactory(
        plan=plan,
        format="online",
        earliest=dt.date(2030, 3, 10),
        latest=dt.date(2030, 4, 10),
        needs={"youth-school": 3, "public-relations": 2},
    )


def matches(user, request, **params):  # type: ignore[no-untyped-def]
    headers = params.pop("headers", {})
    return client_for(user).get(f"/api/v1/requests/{request.pk}/matches/", params, **headers)


def test_saxon_youth_expert_ranks_first(staff_user, youth_request):
    saxon = factories.ExpertProfileFactory(
        display_name="Sächsische Jugendexpertin",
        levels={"youth-school": 3, "public-relations": 3},
        states=["Sachsen"],
        procedure_types=["youth-budget"],
    )
    factories.ExpertProfileFactory(
        display_name="Bayerischer Jugendexperte",
        levels={"youth-school": 3, "public-relations": 2},
        states=["Bayern"],
        procedure_types=["consultation-budget"],
        **MUNICH,
    )
    factories.ExpertProfileFactory(
        display_name="Fördermittel", levels={"funding": 3}, states=["Sachsen"]
    )
    response = matches(staff_user, youth_request)
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert results[0]["expert"] == {"id": saxon.pk, "name": "Sächsische Jugendexpertin"}
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    first = results[0]
    assert set(first["criteria"]) >= {"topics", "region", "availability", "load", "feedback"}
    assert first["score"] == pytest.approx(sum(first["criteria"].values()), abs=1e-4)
    assert first["explanation"].startswith("Deckt 2 von 2 benötigten Themen ab")
    assert "berät in Sachsen" in first["explanation"]
    # Monday-Friday 9-17 Berlin; the window opens on Sunday 10 March: Monday 9:00 is the first.
    assert first["earliest_slot"] == "2030-03-11T09:00:00+01:00"
    assert "frei ab 11. März, 09:00 Uhr" in first["explanation"]


def test_earliest_slot_is_iso_with_offset_inside_window(staff_user, youth_request):
    factories.ExpertProfileFactory(levels={"youth-school": 3})
    slot = matches(staff_user, youth_request).json()["results"][0]["earliest_slot"]
    parsed = dt.datetime.fromisoformat(slot)
    assert parsed.utcoffset() == dt.timedelta(hours=1)
    # 10 March 2030 is a Sunday: Monday the 11th at 9:00 Berlin is the first working slot.
    assert parsed == dt.datetime(2030, 3, 11, 8, 0, tzinfo=dt.UTC)


def test_explanation_in_callers_language(staff_user, youth_request):
    factories.ExpertProfileFactory(levels={"youth-school": 3})
    response = matches(staff_user, youth_request, headers={"HTTP_ACCEPT_LANGUAGE": "en"})
    assert "Covers 1 of 2 needed topics" in response.json()["results"][0]["explanation"]


def test_conflicted_expert_never_appears(staff_user, youth_request, municipality):
    conflicted = factories.ExpertProfileFactory(levels={"youth-school": 3, "public-relations": 3})
    conflicted.conflicts.add(municipality)
    other = factories.ExpertProfileFactory(levels={"public-relations": 1})
    ids = [r["expert"]["id"] for r in matches(staff_user, youth_request).json()["results"]]
    assert conflicted.pk not in ids
    assert other.pk in ids
    for fmt in ("online", "onsite", "either"):
        ids = [
            r["expert"]["id"]
            for r in matches(staff_user, youth_request, format=fmt).json()["results"]
        ]
        assert conflicted.pk not in ids


def test_onsite_request_never_returns_expert_beyond_radius(staff_user, youth_request):
    near = factories.ExpertProfileFactory(travel_radius_km=150)  # Dresden → Leipzig ~100 km
    short = factories.ExpertProfileFactory(travel_radius_km=50)  # same home, radius too short
    far = factories.ExpertProfileFactory(travel_radius_km=100, **MUNICH)
    online_only = factories.ExpertProfileFactory(formats=["online"])
    youth_request.format = "onsite"
    youth_request.save()
    results = matches(staff_user, youth_request).json()["results"]
    ids = [r["expert"]["id"] for r in results]
    assert ids == [near.pk]
    assert results[0]["distance_km"] <= 150
    assert short.pk not in ids and far.pk not in ids and online_only.pk not in ids


def test_format_and_language_params_override_for_exploring(staff_user, youth_request):
    english_speaker = factories.ExpertProfileFactory(languages=["de", "en"], formats=["online"])
    german_only = factories.ExpertProfileFactory(languages=["de"], formats=["online"])
    ids = [
        r["expert"]["id"]
        for r in matches(staff_user, youth_request, language="en").json()["results"]
    ]
    assert ids == [english_speaker.pk]
    ids = [
        r["expert"]["id"]
        for r in matches(staff_user, youth_request, format="onsite").json()["results"]
    ]
    assert ids == []
    assert german_only.pk in [
        r["expert"]["id"] for r in matches(staff_user, youth_request).json()["results"]
    ]


@pytest.mark.parametrize(("param", "value"), [("format", "carrier"), ("language", "xx")])
def test_bad_override_is_400(staff_user, youth_request, param, value):
    response = matches(staff_user, youth_request, **{param: value})
    assert response.status_code == 400
    assert param in response.json()["fields"]
    assert not MatchRecord.objects.exists()


def test_record_is_kept_and_request_matched(staff_user, youth_request):
    expert = factories.ExpertProfileFactory(levels={"youth-school": 3})
    response = matches(staff_user, youth_request)
    body = response.json()
    record = MatchRecord.objects.get()
    assert body["id"] == record.pk
    assert record.request == youth_request
    assert record.created_by == staff_user
    assert record.weights["topics"] == pytest.approx(0.35)
    assert record.results[0]["expert"]["id"] == expert.pk
    assert record.results[0]["score"] == body["results"][0]["score"]
    assert record.results[0]["criteria"] == body["results"][0]["criteria"]
    assert record.params == {"format": "online", "language": "de"}
    youth_request.refresh_from_db()
    assert youth_request.status == ConsultationRequest.Status.MATCHED

    # The same ranking shown again reuses the record; the request detail shows the latest.
    again = matches(staff_user, youth_request).json()
    assert again["id"] == record.pk
    assert MatchRecord.objects.count() == 1
    detail = client_for(staff_user).get(f"/api/v1/requests/{youth_request.pk}/").json()
    assert detail["latest_match"]["id"] == record.pk
    assert detail["latest_match"]["results"][0]["expert"]["id"] == expert.pk


def test_no_matches_leaves_request_open(staff_user, youth_request):
    response = matches(staff_user, youth_request)
    assert response.json()["results"] == []
    youth_request.refresh_from_db()
    assert youth_request.status == "open"


def test_other_municipality_gets_404_and_nothing_recorded(other_staff_user, youth_request):
    factories.ExpertProfileFactory()
    assert matches(other_staff_user, youth_request).status_code == 404
    assert not MatchRecord.objects.exists()


def test_expert_or_anonymous_cannot_see_matches(expert, youth_request):
    from rest_framework.test import APIClient

    assert matches(expert.user, youth_request).status_code == 404
    response = APIClient().get(f"/api/v1/requests/{youth_request.pk}/matches/")
    assert response.status_code in (401, 403)


def test_coordinator_sees_matches(coordinator, youth_request):
    factories.ExpertProfileFactory()
    assert matches(coordinator, youth_request).status_code == 200


def test_expert_adding_a_topic_moves_up_without_restart(staff_user, youth_request):
    first = factories.ExpertProfileFactory(levels={"youth-school": 2}, display_name="A")
    climber = factories.ExpertProfileFactory(levels={"youth-school": 2}, display_name="B")
    before = [r["expert"]["id"] for r in matches(staff_user, youth_request).json()["results"]]
    assert before == [first.pk, climber.pk]  # a tie: the lower id first

    response = client_for(climber.user).patch(
        f"/api/v1/experts/{climber.pk}/",
        {
            "topics": [
                {"topic": "youth-school", "level": 2},
                {"topic": "public-relations", "level": 3},
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    after = [r["expert"]["id"] for r in matches(staff_user, youth_request).json()["results"]]
    assert after == [climber.pk, first.pk]


def test_deactivated_expert_disappears(staff_user, youth_request):
    leaving = factories.ExpertProfileFactory()
    assert matches(staff_user, youth_request).json()["results"]
    client_for(leaving.user).patch(
        f"/api/v1/experts/{leaving.pk}/", {"active": False}, format="json"
    )
    assert matches(staff_user, youth_request).json()["results"] == []


def test_slots_are_asked_for_top_k_only_in_one_batch(staff_user, youth_request, monkeypatch):
    experts = [factories.ExpertProfileFactory(weekly=[(0, "09:00", "10:00")]) for _ in range(4)]
    asked: list[list[int]] = []
    slot = dt.datetime(2030, 3, 20, 14, 0, tzinfo=dt.UTC)

    def earliest_slots(expert_ids, *, start, end, duration, now):  # type: ignore[no-untyped-def]
        asked.append(list(expert_ids))
        assert duration == youth_request.duration_minutes
        return {i: (slot if i == experts[-1].pk else None) for i in expert_ids}

    monkeypatch.setattr(booking_selectors, "earliest_slots", earliest_slots)
    results = matches(staff_user, youth_request).json()["results"]
    assert len(asked) == 1 and sorted(asked[0]) == sorted(e.pk for e in experts)
    assert results[0]["expert"]["id"] == experts[-1].pk  # only one with a slot in the window
    assert results[0]["earliest_slot"] == slot.isoformat()
    assert results[1]["earliest_slot"] is None


def test_earliest_slot_skips_time_already_booked(staff_user, youth_request):
    expert = factories.ExpertProfileFactory(weekly=[(0, "09:00", "10:00")])  # Mondays 9-10
    first = dt.datetime(2030, 3, 11, 8, 0, tzinfo=dt.UTC)  # Monday 11 March, 09:00 CET
    shown = matches(staff_user, youth_request).json()["results"][0]["earliest_slot"]
    assert dt.datetime.fromisoformat(shown) == first
    assert shown.endswith("+01:00")  # in the expert's zone, with its offset
    factories.ConsultationBookingFactory(expert=expert, start=first)
    results = matches(staff_user, youth_request).json()["results"]
    assert results[0]["expert"]["id"] == expert.pk
    assert dt.datetime.fromisoformat(results[0]["earliest_slot"]) == first + dt.timedelta(days=7)


def test_matches_query_count_is_constant(staff_user, youth_request, django_assert_max_num_queries):
    for _ in range(12):
        factories.ExpertProfileFactory()
    client = client_for(staff_user)
    client.get(f"/api/v1/requests/{youth_request.pk}/matches/")  # builds the matrix
    factories.ExpertProfileFactory()  # and again after a change: still bounded
    with django_assert_max_num_queries(25):
        client.get(f"/api/v1/requests/{youth_request.pk}/matches/")
    with django_assert_max_num_queries(14):
        response = client.get(f"/api/v1/requests/{youth_request.pk}/matches/")
    assert len(response.json()["results"]) == 10


# --- who is left out, and the topic levels (issue 18) -------------------------------------------


def test_coordinator_sees_how_many_were_left_out_and_why(coordinator, staff_user, youth_request):
    factories.ExpertProfileFactory(levels={"youth-school": 2})
    factories.ExpertProfileFactory(display_name="Fördermittel", levels={"funding": 3})
    factories.ExpertProfileFactory(languages=["en"])
    body = matches(coordinator, youth_request).json()
    assert [r["expert"]["name"] for r in body["results"]] != [] and all(
        r["expert"]["name"] != "Fördermittel" for r in body["results"]
    )
    assert body["left_out"]["count"] == 2
    assert body["left_out"]["reasons"] == {"conflict": 0, "language": 1, "format": 0, "topics": 1}
    assert body["left_out"]["explanation"] == (
        "2 Expert*innen nicht vorgeschlagen: 1 ohne gemeinsame Sprache,"
        " 1 ohne eines der benötigten Themen."
    )
    # The municipality sees its suggestions, not who was passed over (nor for what).
    assert matches(staff_user, youth_request).json()["left_out"] is None


def test_explanation_names_the_topic_levels_in_the_callers_language(staff_user, youth_request):
    factories.ExpertProfileFactory(levels={"youth-school": 3, "public-relations": 2})
    german = matches(staff_user, youth_request).json()["results"][0]["explanation"]
    assert german.endswith(
        "Expertise: Kinder-, Jugend- und Schulbeteiligung (Stufe 3),"
        " Öffentlichkeitsarbeit (Stufe 2)."
    )
    english = matches(staff_user, youth_request, headers={"HTTP_ACCEPT_LANGUAGE": "en"}).json()
    assert english["results"][0]["explanation"].endswith(
        "Expertise: Youth and school participation (level 3), Public relations (level 2)."
    )


def test_matches_page_tells_the_coordinator_who_was_left_out(coordinator, youth_request):
    factories.ExpertProfileFactory(levels={"youth-school": 2})
    factories.ExpertProfileFactory(levels={"funding": 3})
    client = Client()
    client.force_login(coordinator)
    page = client.get(f"/anfragen/{youth_request.pk}/experten/")
    assert page.status_code == 200
    assert "1 Expert*in nicht vorgeschlagen: 1 ohne eines der benötigten Themen." in (
        page.content.decode()
    )


def test_matches_page_is_the_municipalitys_and_the_coordinators_only(staff_user, youth_request):
    factories.ExpertProfileFactory(levels={"funding": 3})
    expert = factories.ExpertProfileFactory(levels={"youth-school": 2})
    client = Client()
    client.force_login(staff_user)
    page = client.get(f"/anfragen/{youth_request.pk}/experten/")
    assert page.status_code == 200
    assert "nicht vorgeschlagen" not in page.content.decode()
    client.force_login(expert.user)
    assert client.get(f"/anfragen/{youth_request.pk}/experten/").status_code == 404
