"""Services of the municipal side called directly: rules, scope, state changes."""

from __future__ import annotations

import datetime as dt

import pytest

from consult import services
from consult.models import ConsultationRequest, ParticipationPlan
from core.errors import Conflict, Invalid, NotFound
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = dt.date(2030, 3, 4)


def test_all_broken_rules_are_named_at_once(staff_user):
    with pytest.raises(Invalid) as caught:
        services.create_plan(
            actor=staff_user,
            procedure_type="youth-budget",
            budget_eur=-1,
            channels=["fax"],
            phases=[{"phase": "vote", "start": "2030-02-01", "end": "2030-01-01"}],
            topics=["nope"],
        )
    assert set(caught.value.fields) == {"budget_eur", "channels", "phases", "topics"}
    assert not ParticipationPlan.objects.exists()


def test_phases_are_stored_normalised(staff_user):
    plan = services.create_plan(
        actor=staff_user,
        procedure_type="thematic",
        phases=[{"phase": "information", "start": dt.date(2030, 1, 1), "end": "2030-01-31"}],
    )
    assert plan.phases == [{"phase": "information", "start": "2030-01-01", "end": "2030-01-31"}]


def test_user_without_municipality_cannot_create_plans(expert):
    with pytest.raises(Invalid) as caught:
        services.create_plan(actor=expert.user, procedure_type="thematic")
    assert "municipality" in caught.value.fields


def test_request_earliest_in_the_past_is_refused_on_create_only(staff_user, municipality):
    plan = factories.PlanFactory(municipality=municipality)
    with pytest.raises(Invalid) as caught:
        services.create_request(
            actor=staff_user,
            plan=plan,
            topics=[{"topic": "funding", "weight": 2}],
            earliest=TODAY - dt.timedelta(days=1),
            latest=TODAY + dt.timedelta(days=9),
            today=TODAY,
        )
    assert "earliest" in caught.value.fields
    request = services.create_request(
        actor=staff_user,
        plan=plan,
        topics=[{"topic": "funding", "weight": 2}],
        earliest=TODAY,
        latest=TODAY + dt.timedelta(days=9),
        today=TODAY,
    )
    # Later, editing the notes of a request whose window has started is fine.
    services.update_request(
        actor=staff_user, request=request, notes="später", today=TODAY + dt.timedelta(days=3)
    )


def test_coordinator_may_not_create_requests_for_a_municipality(coordinator):
    plan = factories.PlanFactory()
    with pytest.raises(Invalid):
        services.create_request(
            actor=coordinator,
            plan=plan,
            topics=[{"topic": "funding", "weight": 2}],
            earliest=TODAY,
            latest=TODAY,
            today=TODAY,
        )


def test_other_municipality_cannot_update_or_close(other_staff_user):
    request = factories.RequestFactory()
    with pytest.raises(NotFound):
        services.update_request(actor=other_staff_user, request=request, notes="x")
    with pytest.raises(NotFound):
        services.close_request(actor=other_staff_user, request=request)


def test_mark_matched_only_moves_open_requests():
    request = factories.RequestFactory()
    assert services.mark_matched(request_id=request.pk) is True
    assert services.mark_matched(request_id=request.pk) is False
    ConsultationRequest.objects.filter(pk=request.pk).update(status="booked")
    assert services.mark_matched(request_id=request.pk) is False
    request.refresh_from_db()
    assert request.status == "booked"


def test_plan_with_matched_request_cannot_be_deleted(staff_user, municipality):
    plan = factories.PlanFactory(municipality=municipality)
    request = factories.RequestFactory(plan=plan)
    services.mark_matched(request_id=request.pk)
    with pytest.raises(Conflict):
        services.delete_plan(actor=staff_user, plan=plan)
    assert ParticipationPlan.objects.filter(pk=plan.pk).exists()
