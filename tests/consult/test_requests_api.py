"""Requests API: staff of the plan's municipality create; rules with named fields; scope."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from consult.models import ConsultationRequest, RequestTopic
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

TODAY = dt.date(2030, 3, 4)


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(dt.datetime(2030, 3, 4, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


def body(plan, **change):  # type: ignore[no-untyped-def]
    return {
        "plan": plan.pk,
        "topics": [
            {"topic": "youth-school", "weight": 3},
            {"topic": "public-relations", "weight": 1},
        ],
        "format": "onsite",
        "language": "de",
        "earliest": "2030-03-10",
        "latest": "2030-04-30",
        "duration_minutes": 90,
        "notes": "Start im Herbst.",
        **change,
    }


@pytest.fixture
def plan(municipality):  # type: ignore[no-untyped-def]
    return factories.PlanFactory(municipality=municipality)


def test_staff_creates_request(staff_user, plan):
    response = client_for(staff_user).post("/api/v1/requests/", body(plan), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "open"
    assert data["plan"] == plan.pk
    assert sorted(data["topics"], key=lambda t: t["topic"]) == [
        {"topic": "public-relations", "weight": 1},
        {"topic": "youth-school", "weight": 3},
    ]
    assert data["format"] == "onsite"
    assert data["earliest"] == "2030-03-10"
    assert data["duration_minutes"] == 90
    request = ConsultationRequest.objects.get()
    assert request.created_by == staff_user


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"topics": [{"topic": "astrology", "weight": 2}]}, "topics"),
        ({"topics": [{"topic": "youth-school", "weight": 4}]}, "topics"),
        ({"topics": [{"topic": "youth-school", "weight": 0}]}, "topics"),
        ({"topics": []}, "topics"),
        ({"earliest": "2030-04-10", "latest": "2030-04-01"}, "latest"),
        ({"earliest": "2030-03-01"}, "earliest"),
        ({"language": "xx"}, "language"),
        ({"language": "klingon"}, "language"),
        ({"format": "telepathy"}, "format"),
        ({"duration_minutes": 5}, "duration_minutes"),
        ({"duration_minutes": 1000}, "duration_minutes"),
        ({"latest": "9999-12-31"}, "latest"),
        ({"earliest": "9999-12-30", "latest": "9999-12-31"}, "earliest"),
        ({"latest": "2040-03-05"}, "latest"),
    ],
)
def test_bad_request_input_is_400_with_field_and_nothing_saved(staff_user, plan, change, field):
    response = client_for(staff_user).post("/api/v1/requests/", body(plan, **change), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"], response.json()
    assert not ConsultationRequest.objects.exists()
    assert not RequestTopic.objects.exists()


def test_request_on_another_municipalitys_plan_is_refused(other_staff_user, plan):
    response = client_for(other_staff_user).post("/api/v1/requests/", body(plan), format="json")
    assert response.status_code == 400
    assert "plan" in response.json()["fields"]
    assert not ConsultationRequest.objects.exists()


def test_other_municipality_gets_404(other_staff_user, plan):
    request = factories.RequestFactory(plan=plan)
    client = client_for(other_staff_user)
    assert client.get(f"/api/v1/requests/{request.pk}/").status_code == 404
    assert (
        client.patch(f"/api/v1/requests/{request.pk}/", {"notes": "x"}, format="json").status_code
        == 404
    )
    assert client.post(f"/api/v1/requests/{request.pk}/close/").status_code == 404
    assert client.get("/api/v1/requests/").json()["count"] == 0


def test_coordinator_sees_all_requests(coordinator, plan):
    factories.RequestFactory(plan=plan)
    factories.RequestFactory()
    assert client_for(coordinator).get("/api/v1/requests/").json()["count"] == 2


def test_update_replaces_topics_and_bad_update_writes_nothing(staff_user, plan):
    request = factories.RequestFactory(plan=plan, needs={"funding": 2})
    client = client_for(staff_user)
    response = client.patch(
        f"/api/v1/requests/{request.pk}/",
        {"topics": [{"topic": "budget-law", "weight": 3}], "notes": "neu"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["topics"] == [{"topic": "budget-law", "weight": 3}]

    response = client.patch(
        f"/api/v1/requests/{request.pk}/",
        {"topics": [{"topic": "nope", "weight": 3}], "notes": "kaputt"},
        format="json",
    )
    assert response.status_code == 400
    request.refresh_from_db()
    assert request.notes == "neu"
    assert [t.topic.slug for t in request.topic_weights.all()] == ["budget-law"]


def test_window_ending_before_start_on_update_is_400(staff_user, plan):
    request = factories.RequestFactory(plan=plan)
    response = client_for(staff_user).patch(
        f"/api/v1/requests/{request.pk}/",
        {"latest": (request.earliest - dt.timedelta(days=1)).isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert "latest" in response.json()["fields"]


def test_window_ten_years_ahead_is_accepted_and_further_on_update_is_400(staff_user, plan):
    client = client_for(staff_user)
    created = client.post("/api/v1/requests/", body(plan, latest="2040-03-03"), format="json")
    assert created.status_code == 201, created.json()
    url = f"/api/v1/requests/{created.json()['id']}/"
    response = client.patch(url, {"latest": "9999-12-31"}, format="json")
    assert response.status_code == 400
    assert "latest" in response.json()["fields"]
    assert ConsultationRequest.objects.get().latest == dt.date(2040, 3, 3)


def test_close_request(staff_user, plan):
    request = factories.RequestFactory(plan=plan)
    response = client_for(staff_user).post(f"/api/v1/requests/{request.pk}/close/")
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    # A closed request is settled: no more edits.
    response = client_for(staff_user).patch(
        f"/api/v1/requests/{request.pk}/", {"notes": "x"}, format="json"
    )
    assert response.status_code == 409


def test_request_list_query_count(staff_user, plan, django_assert_max_num_queries):
    for _ in range(12):
        factories.RequestFactory(plan=plan, needs={"funding": 2, "budget-law": 1})
    client = client_for(staff_user)
    with django_assert_max_num_queries(5):  # role, count, page, topic weights, topics
        response = client.get("/api/v1/requests/")
    assert len(response.json()["results"]) == 12


def test_detail_without_matches_has_no_latest_match(staff_user, plan):
    request = factories.RequestFactory(plan=plan)
    response = client_for(staff_user).get(f"/api/v1/requests/{request.pk}/")
    assert response.status_code == 200
    assert response.json()["latest_match"] is None
