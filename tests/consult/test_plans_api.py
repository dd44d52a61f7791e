"""Plans API: scope (own municipality; coordinators all), rules with named fields, peers."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from consult.models import ParticipationPlan, Topic
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

VALID = {
    "title": "Jugendbudget",
    "stage": "introducing",
    "procedure_type": "youth-budget",
    "budget_eur": 50000,
    "channels": ["online", "onsite"],
    "target_groups": ["youth"],
    "phases": [
        {"phase": "information", "start": "2030-03-01", "end": "2030-03-31"},
        {"phase": "proposals", "start": "2030-04-01", "end": "2030-05-15"},
    ],
    "description": "Jugendliche entscheiden.",
    "topics": ["youth-school", "public-relations"],
}


def test_staff_creates_plan_of_own_municipality(staff_user, municipality):
    response = client_for(staff_user).post("/api/v1/plans/", VALID, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["municipality"] == municipality.pk
    assert set(body["topics"]) == {"public-relations", "youth-school"}
    assert body["phases"][0] == {"phase": "information", "start": "2030-03-01", "end": "2030-03-31"}
    assert body["budget_eur"] == 50000  # a number, as sent


def test_budget_given_as_a_decimal_string_comes_back_as_a_number(staff_user):
    body = {**VALID, "budget_eur": "12345.67"}
    response = client_for(staff_user).post("/api/v1/plans/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["budget_eur"] == 12345.67


@pytest.mark.parametrize("encoding", ["multipart", "urlencoded"])
def test_plan_from_a_form_post_keeps_its_topics_and_fields(staff_user, encoding):
    form = {
        "title": "Kiezfonds",
        "procedure_type": "neighbourhood-fund",
        "channels": ["online", "onsite"],
        "topics": ["youth-school", "public-relations"],
    }
    client = client_for(staff_user)
    if encoding == "multipart":
        response = client.post("/api/v1/plans/", form)
    else:
        body = urlencode(form, doseq=True)
        response = client.post(
            "/api/v1/plans/", body, content_type="application/x-www-form-urlencoded"
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["procedure_type"] == "neighbourhood-fund"
    assert body["title"] == "Kiezfonds"
    assert body["channels"] == ["online", "onsite"]
    assert set(body["topics"]) == {"youth-school", "public-relations"}


def test_staff_cannot_create_plan_for_another_municipality(staff_user):
    other = factories.MunicipalityFactory()
    response = client_for(staff_user).post(
        "/api/v1/plans/", {**VALID, "municipality": other.pk}, format="json"
    )
    assert response.status_code == 400
    assert "municipality" in response.json()["fields"]
    assert not ParticipationPlan.objects.exists()


def test_coordinator_creates_plan_for_any_municipality(coordinator, municipality):
    response = client_for(coordinator).post(
        "/api/v1/plans/", {**VALID, "municipality": municipality.pk}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["municipality"] == municipality.pk


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"budget_eur": "-1"}, "budget_eur"),
        ({"topics": ["youth-school", "astrology"]}, "topics"),
        ({"channels": ["carrier-pigeon"]}, "channels"),
        ({"target_groups": ["aliens"]}, "target_groups"),
        (
            {"phases": [{"phase": "vote", "start": "2030-05-01", "end": "2030-04-01"}]},
            "phases",
        ),
        (
            {
                "phases": [
                    {"phase": "vote", "start": "2030-05-01", "end": "2030-05-10"},
                    {"phase": "information", "start": "2030-01-01", "end": "2030-01-10"},
                ]
            },
            "phases",
        ),
        ({"phases": [{"phase": "party", "start": "2030-05-01", "end": "2030-05-10"}]}, "phases"),
        ({"procedure_type": "lottery"}, "procedure_type"),
    ],
)
def test_bad_plan_input_is_400_with_field_and_nothing_saved(staff_user, change, field):
    response = client_for(staff_user).post("/api/v1/plans/", {**VALID, **change}, format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"]
    assert not ParticipationPlan.objects.exists()


def test_bad_update_changes_nothing(staff_user, municipality):
    plan = factories.PlanFactory(municipality=municipality, budget_eur=1000)
    response = client_for(staff_user).patch(
        f"/api/v1/plans/{plan.pk}/",
        {"budget_eur": "-5", "title": "Neu"},
        format="json",
    )
    assert response.status_code == 400
    plan.refresh_from_db()
    assert plan.title != "Neu"
    assert plan.budget_eur == 1000


@pytest.mark.parametrize(
    "phase",
    [{}, {"phase": "vote"}, {"start": "2030-03-01", "end": "2030-03-02"}],
    ids=["empty", "no dates", "no name"],
)
def test_patch_with_an_incomplete_phase_is_400_and_changes_nothing(staff_user, municipality, phase):
    plan = factories.PlanFactory(municipality=municipality, title="Alt")
    before = plan.phases
    response = client_for(staff_user).patch(
        f"/api/v1/plans/{plan.pk}/", {"phases": [phase], "title": "Neu"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "phases" in response.json()["fields"]
    plan.refresh_from_db()
    assert (plan.title, plan.phases) == ("Alt", before)


def test_staff_updates_own_plan_topics(staff_user, municipality):
    plan = factories.PlanFactory(municipality=municipality)
    response = client_for(staff_user).patch(
        f"/api/v1/plans/{plan.pk}/", {"topics": ["funding"], "stage": "running"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["topics"] == ["funding"]
    assert response.json()["stage"] == "running"


def test_other_municipality_gets_404_on_plan(other_staff_user, municipality):
    plan = factories.PlanFactory(municipality=municipality)
    client = client_for(other_staff_user)
    assert client.get(f"/api/v1/plans/{plan.pk}/").status_code == 404
    assert (
        client.patch(f"/api/v1/plans/{plan.pk}/", {"title": "x"}, format="json").status_code == 404
    )
    assert client.delete(f"/api/v1/plans/{plan.pk}/").status_code == 404
    assert client.get(f"/api/v1/plans/{plan.pk}/peers/").status_code == 404
    assert ParticipationPlan.objects.filter(pk=plan.pk).exists()


def test_list_shows_own_plans_only_and_coordinator_all(
    staff_user, other_staff_user, coordinator, municipality
):
    factories.PlanFactory(municipality=municipality)
    factories.PlanFactory(municipality=other_staff_user.municipal_staff.municipality)
    assert client_for(staff_user).get("/api/v1/plans/").json()["count"] == 1
    assert client_for(coordinator).get("/api/v1/plans/").json()["count"] == 2


def test_plan_list_query_count(staff_user, municipality, django_assert_max_num_queries):
    for _ in range(15):
        plan = factories.PlanFactory(municipality=municipality)
        plan.topics.set(Topic.objects.filter(slug__in=["funding", "budget-law"]))
    client = client_for(staff_user)
    with django_assert_max_num_queries(4):  # membership, count, page, topics
        response = client.get("/api/v1/plans/")
    assert len(response.json()["results"]) == 15


def test_anonymous_gets_401_or_403():
    factories.PlanFactory()
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/plans/").status_code in (401, 403)


def test_peers_lists_similar_open_municipalities_with_reason(staff_user, municipality):
    plan = factories.PlanFactory(municipality=municipality, procedure_type="youth-budget")
    open_peer = factories.MunicipalityFactory(name="Offenstadt", open_to_exchange=True)
    closed_peer = factories.MunicipalityFactory(name="Zustadt", open_to_exchange=False)
    factories.PlanFactory(municipality=open_peer, procedure_type="youth-budget")
    factories.PlanFactory(municipality=closed_peer, procedure_type="youth-budget")
    factories.PlanFactory(municipality=municipality, procedure_type="youth-budget")  # own

    response = client_for(staff_user).get(f"/api/v1/plans/{plan.pk}/peers/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["municipality"]["name"] for r in results] == ["Offenstadt"]
    assert results[0]["municipality"] == {
        "id": open_peer.pk,
        "name": "Offenstadt",
        "state": "Sachsen",
    }
    assert "gleiche Verfahrensart" in results[0]["reason"]

    english = client_for(staff_user).get(
        f"/api/v1/plans/{plan.pk}/peers/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "same procedure type" in english.json()["results"][0]["reason"]


def test_peers_are_at_most_five(staff_user, municipality):
    plan = factories.PlanFactory(municipality=municipality)
    for _ in range(8):
        factories.PlanFactory(municipality=factories.MunicipalityFactory(open_to_exchange=True))
    response = client_for(staff_user).get(f"/api/v1/plans/{plan.pk}/peers/")
    assert len(response.json()["results"]) == 5


def test_municipality_latitude_200_is_400(coordinator):
    from consult.models import Municipality

    response = client_for(coordinator).post(
        "/api/v1/municipalities/",
        {"name": "Nirgendwo", "state": "Sachsen", "latitude": 200, "longitude": 10},
        format="json",
    )
    assert response.status_code == 400
    assert "latitude" in response.json()["fields"]
    assert not Municipality.objects.filter(name="Nirgendwo").exists()
