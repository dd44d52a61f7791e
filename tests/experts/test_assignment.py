"""Batch assignment: a proposal respecting capacity, accepted once, recorded and announced."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from consult.models import ConsultationRequest
from experts import match_selectors
from experts.models import AssignmentItem, AssignmentProposal, MatchRecord
from notifications.models import Notification
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2030, 3, 4, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fresh_matrix_and_clock():  # type: ignore[no-untyped-def]
    match_selectors.reset_matrix()
    with time_machine.travel(NOW, tick=False):
        yield
    match_selectors.reset_matrix()


def open_request(**kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("earliest", dt.date(2030, 3, 10))
    kwargs.setdefault("latest", dt.date(2030, 4, 10))
    return factories.RequestFactory(**kwargs)


def test_proposal_respects_capacity_and_prefers_the_better_fit(coordinator):
    youth = factories.ExpertProfileFactory(monthly_capacity=1, levels={"youth-school": 3})
    # Covers youth work a little too: an expert covering none of a request's topics is not
    # suggested for it (DESIGN.md 6).
    funding = factories.ExpertProfileFactory(
        monthly_capacity=5, levels={"funding": 3, "youth-school": 1}
    )
    youth_requests = [open_request(needs={"youth-school": 3}) for _ in range(2)]
    funding_request = open_request(needs={"funding": 3})

    response = client_for(coordinator).post("/api/v1/assignments/proposal/", {}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "proposed"
    by_request = {item["request"]: item["expert"]["id"] for item in body["items"]}
    assert by_request[funding_request.pk] == funding.pk
    # The youth expert has room for one: the other youth request goes to the only other expert.
    assert sorted(by_request[r.pk] for r in youth_requests) == sorted([youth.pk, funding.pk])
    assert list(by_request.values()).count(youth.pk) == 1
    assert body["unassigned"] == []
    assert AssignmentItem.objects.filter(proposal_id=body["id"]).count() == 3
    # Proposing changes no request yet.
    assert set(ConsultationRequest.objects.values_list("status", flat=True)) == {"open"}


def test_get_is_a_preview_that_saves_nothing(coordinator):
    factories.ExpertProfileFactory()
    open_request()
    response = client_for(coordinator).get("/api/v1/assignments/proposal/")
    assert response.status_code == 200
    assert response.json()["id"] is None
    assert len(response.json()["items"]) == 1
    assert not AssignmentProposal.objects.exists()


def test_conflicted_expert_is_never_proposed(coordinator):
    conflicted = factories.ExpertProfileFactory(monthly_capacity=9)
    request = open_request()
    conflicted.conflicts.add(request.plan.municipality)
    response = client_for(coordinator).post("/api/v1/assignments/proposal/", {}, format="json")
    assert response.json()["items"] == []
    assert response.json()["unassigned"] == [request.pk]


def test_accept_records_choice_marks_matched_and_writes_outbox(coordinator):
    expert = factories.ExpertProfileFactory(display_name="Frau Rat", monthly_capacity=3)
    request = open_request()
    proposal = client_for(coordinator).post("/api/v1/assignments/proposal/", {}, format="json")
    proposal_id = proposal.json()["id"]

    response = client_for(coordinator).post(f"/api/v1/assignments/{proposal_id}/accept/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "accepted"
    request.refresh_from_db()
    assert request.status == "matched"
    record = MatchRecord.objects.get(request=request)
    assert record.source == "assignment"
    assert record.chosen_expert == expert
    assert record.results[0]["expert"] == {"id": expert.pk, "name": "Frau Rat"}
    notification = Notification.objects.get(kind="expert_proposed")
    assert notification.recipient == request.plan.municipality.contact_email
    assert "Frau Rat" in notification.subject
    assert "Frau Rat" in notification.body_text

    again = client_for(coordinator).post(f"/api/v1/assignments/{proposal_id}/accept/")
    assert again.status_code == 409
    assert Notification.objects.filter(kind="expert_proposed").count() == 1


def test_accept_with_changed_items(coordinator):
    best = factories.ExpertProfileFactory(levels={"youth-school": 3})
    second = factories.ExpertProfileFactory(levels={"youth-school": 1})
    request = open_request()
    proposal_id = (
        client_for(coordinator)
        .post("/api/v1/assignments/proposal/", {}, format="json")
        .json()["id"]
    )
    assert AssignmentItem.objects.get(proposal_id=proposal_id).expert == best

    response = client_for(coordinator).post(
        f"/api/v1/assignments/{proposal_id}/accept/",
        {"items": [{"request": request.pk, "expert": second.pk}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["items"][0]["expert"]["id"] == second.pk
    assert MatchRecord.objects.get(request=request).chosen_expert == second


def test_accept_with_excluded_expert_is_400_and_nothing_changes(coordinator):
    factories.ExpertProfileFactory()
    conflicted = factories.ExpertProfileFactory()
    request = open_request()
    conflicted.conflicts.add(request.plan.municipality)
    proposal_id = (
        client_for(coordinator)
        .post("/api/v1/assignments/proposal/", {}, format="json")
        .json()["id"]
    )
    response = client_for(coordinator).post(
        f"/api/v1/assignments/{proposal_id}/accept/",
        {"items": [{"request": request.pk, "expert": conflicted.pk}]},
        format="json",
    )
    assert response.status_code == 400
    assert "items" in response.json()["fields"]
    assert AssignmentProposal.objects.get(pk=proposal_id).status == "proposed"
    assert not MatchRecord.objects.exists()
    assert not Notification.objects.exists()
    request.refresh_from_db()
    assert request.status == "open"


def test_only_coordinators(staff_user, expert):
    for user in (staff_user, expert.user):
        client = client_for(user)
        assert client.get("/api/v1/assignments/proposal/").status_code == 403
        assert client.post("/api/v1/assignments/proposal/").status_code == 403
        assert client.get("/api/v1/assignments/").status_code == 403


def test_proposal_for_named_requests_only(coordinator):
    factories.ExpertProfileFactory(monthly_capacity=9)
    wanted, _other = open_request(), open_request()
    response = client_for(coordinator).post(
        "/api/v1/assignments/proposal/", {"requests": [wanted.pk]}, format="json"
    )
    assert [i["request"] for i in response.json()["items"]] == [wanted.pk]
    closed = open_request(status="closed")
    response = client_for(coordinator).post(
        "/api/v1/assignments/proposal/", {"requests": [closed.pk]}, format="json"
    )
    assert response.status_code == 400
    assert "requests" in response.json()["fields"]
