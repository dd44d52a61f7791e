"""Expert profiles API: public reads without private fields, own edit, coordinator create."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from experts.models import ExpertProfile, ExpertTopic
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PRIVATE = {"email", "conflicts", "home_latitude", "home_longitude", "meeting_url", "timezone"}


def test_public_list_has_profile_fields_but_no_private_ones(municipality):
    expert = factories.ExpertProfileFactory(
        levels={"youth-school": 3, "funding": 1}, meeting_url="https://meet.example/x"
    )
    expert.conflicts.add(municipality)
    response = APIClient().get("/api/v1/experts/")
    assert response.status_code == 200
    (item,) = response.json()["results"]
    assert item["id"] == expert.pk
    assert item["name"] == expert.display_name
    assert sorted(item["topics"], key=lambda t: t["topic"]) == [
        {"topic": "funding", "level": 1},
        {"topic": "youth-school", "level": 3},
    ]
    for field in ("languages", "formats", "states", "travel_radius_km", "active", "durations"):
        assert field in item
    assert not PRIVATE & set(item), set(item) & PRIVATE
    assert "feed_token" not in item and "user" not in item
    assert expert.feed_token not in response.content.decode()


def test_owner_and_coordinator_see_private_fields(coordinator, municipality):
    expert = factories.ExpertProfileFactory()
    expert.conflicts.add(municipality)
    own = client_for(expert.user).get(f"/api/v1/experts/{expert.pk}/").json()
    assert own["conflicts"] == [municipality.pk]
    assert own["email"] == expert.email
    other = factories.ExpertProfileFactory()
    seen_by_other = client_for(other.user).get(f"/api/v1/experts/{expert.pk}/").json()
    assert not PRIVATE & set(seen_by_other)
    assert "conflicts" in client_for(coordinator).get(f"/api/v1/experts/{expert.pk}/").json()


def test_inactive_profiles_are_hidden_from_the_public():
    hidden = factories.ExpertProfileFactory(active=False)
    assert APIClient().get(f"/api/v1/experts/{hidden.pk}/").status_code == 404
    assert client_for(hidden.user).get(f"/api/v1/experts/{hidden.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"topic": "funding"}, {"funder"}),
        ({"state": "Sachsen"}, {"funder"}),
        ({"state": "Thüringen"}, {"thuringian"}),
        ({"language": "en"}, {"thuringian"}),
        ({"format": "onsite"}, {"funder"}),
        ({"topic": "youth-school", "language": "de"}, {"thuringian"}),
    ],
)
def test_filters(params, expected):
    factories.ExpertProfileFactory(
        display_name="funder",
        levels={"funding": 2},
        states=["Sachsen"],
        languages=["de"],
        formats=["online", "onsite"],
    )
    factories.ExpertProfileFactory(
        display_name="thuringian",
        levels={"youth-school": 3},
        states=["Thüringen", "Sachsen-Anhalt"],
        languages=["de", "en"],
        formats=["online"],
    )
    response = APIClient().get("/api/v1/experts/", params)
    assert {r["name"] for r in response.json()["results"]} == expected


def test_list_query_count_is_constant(django_assert_max_num_queries):
    for _ in range(15):
        factories.ExpertProfileFactory(levels={"funding": 2, "budget-law": 3, "youth-school": 1})
    with django_assert_max_num_queries(3):  # count, page, topic levels with topics
        response = APIClient().get("/api/v1/experts/")
    assert len(response.json()["results"]) == 15


def test_expert_edits_own_profile():
    expert = factories.ExpertProfileFactory()
    response = client_for(expert.user).patch(
        f"/api/v1/experts/{expert.pk}/",
        {
            "name": "Neuer Name",
            "topics": [{"topic": "funding", "level": 3}],
            "languages": ["de", "en"],
            "bio_de": "Hallo",
            "bio_en": "Hello",
            "travel_radius_km": 80,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["name"] == "Neuer Name"
    assert data["topics"] == [{"topic": "funding", "level": 3}]
    assert data["bio"] == "Hallo"
    assert data["bio_by_language"] == {"de": "Hallo", "en": "Hello"}
    expert.refresh_from_db()
    assert expert.bio_en == "Hello"
    assert expert.travel_radius_km == 80


def test_expert_cannot_edit_another_profile():
    expert = factories.ExpertProfileFactory()
    other = factories.ExpertProfileFactory(display_name="Unverändert")
    response = client_for(expert.user).patch(
        f"/api/v1/experts/{other.pk}/", {"name": "Gehackt"}, format="json"
    )
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.display_name == "Unverändert"
    assert APIClient().patch(f"/api/v1/experts/{other.pk}/", {"name": "x"}).status_code in (
        401,
        403,
    )


def test_staff_cannot_create_experts(staff_user):
    response = client_for(staff_user).post(
        "/api/v1/experts/", {"username": "neu", "name": "Neu"}, format="json"
    )
    assert response.status_code == 403


def test_coordinator_creates_and_edits_any_profile(coordinator, municipality):
    response = client_for(coordinator).post(
        "/api/v1/experts/",
        {
            "username": "neue-expertin",
            "name": "Neue Expertin",
            "email": "neu@example.org",
            "topics": [{"topic": "budget-law", "level": 2}],
            "states": ["Hessen"],
            "formats": ["online"],
            "conflicts": [municipality.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    expert = ExpertProfile.objects.get(user__username="neue-expertin")
    assert list(expert.conflicts.all()) == [municipality]
    assert expert.user.groups.filter(name="expert").exists()
    assert not expert.user.has_usable_password()
    response = client_for(coordinator).patch(
        f"/api/v1/experts/{expert.pk}/", {"monthly_capacity": 7}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["monthly_capacity"] == 7


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"home_latitude": 200}, "home_latitude"),
        ({"home_longitude": -181}, "home_longitude"),
        ({"languages": ["de", "xx"]}, "languages"),
        ({"formats": ["carrier-pigeon"]}, "formats"),
        ({"states": ["Atlantis"]}, "states"),
        ({"procedure_types": ["lottery"]}, "procedure_types"),
        ({"topics": [{"topic": "astrology", "level": 2}]}, "topics"),
        ({"topics": [{"topic": "funding", "level": 4}]}, "topics"),
        ({"durations": [5]}, "durations"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"travel_radius_km": -3}, "travel_radius_km"),
        ({"conflicts": [999999]}, "conflicts"),
    ],
)
def test_bad_profile_input_is_400_with_field_and_nothing_saved(change, field):
    expert = factories.ExpertProfileFactory(display_name="Vorher", levels={"youth-school": 3})
    response = client_for(expert.user).patch(
        f"/api/v1/experts/{expert.pk}/", {**change, "name": "Nachher"}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"], response.json()
    expert.refresh_from_db()
    assert expert.display_name == "Vorher"
    assert list(ExpertTopic.objects.filter(expert=expert).values_list("topic__slug", "level")) == [
        ("youth-school", 3)
    ]
