"""Control characters in plan titles, request notes and municipality names: a 400 on the field
(API) or a form error (pages), and nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from consult import services
from consult.models import ConsultationRequest, Municipality, ParticipationPlan
from core.errors import Invalid
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

INJECTION = "Jugendbudget\r\nBcc: alle@example.org"


def _plan(**change):  # type: ignore[no-untyped-def]
    return {"title": "Jugendbudget", "procedure_type": "youth-budget", **change}


def _request(plan, **change):  # type: ignore[no-untyped-def]
    earliest = dt.date.today() + dt.timedelta(days=7)
    return {
        "plan": plan.pk,
        "topics": [{"topic": "youth-school", "weight": 3}],
        "earliest": earliest.isoformat(),
        "latest": (earliest + dt.timedelta(days=30)).isoformat(),
        **change,
    }


def _page_client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("title", [INJECTION, "Titel\u2028zweite Zeile", "Titel\x1b[31m", "A\tB"])
def test_plan_title_with_a_control_character_is_a_400_on_title(staff_user, title):
    response = client_for(staff_user).post("/api/v1/plans/", _plan(title=title), format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}
    assert "title" in body["fields"]
    assert not ParticipationPlan.objects.exists()


def test_plan_title_patch_with_crlf_is_refused_and_the_title_stays(staff_user):
    plan = factories.PlanFactory(municipality=staff_user.municipal_staff.municipality)
    before = plan.title
    response = client_for(staff_user).patch(
        f"/api/v1/plans/{plan.pk}/", {"title": INJECTION}, format="json"
    )
    assert response.status_code == 400
    assert "title" in response.json()["fields"]
    plan.refresh_from_db()
    assert plan.title == before


def test_plan_description_keeps_line_breaks_but_refuses_other_controls(staff_user):
    client = client_for(staff_user)
    ok = client.post("/api/v1/plans/", _plan(description="Ziele:\r\n- eins\n- zwei"), format="json")
    assert ok.status_code == 201, ok.json()
    bad = client.post("/api/v1/plans/", _plan(description="Ziele\x07"), format="json")
    assert bad.status_code == 400
    assert "description" in bad.json()["fields"]


def test_request_notes_with_a_control_character_are_a_400_on_notes(staff_user):
    plan = factories.PlanFactory(municipality=staff_user.municipal_staff.municipality)
    client = client_for(staff_user)
    bad = client.post(
        "/api/v1/requests/", _request(plan, notes="Bitte\x1b]8;;x\x07"), format="json"
    )
    assert bad.status_code == 400
    assert "notes" in bad.json()["fields"]
    assert not ConsultationRequest.objects.exists()
    ok = client.post("/api/v1/requests/", _request(plan, notes="Zeile 1\r\nZeile 2"), format="json")
    assert ok.status_code == 201, ok.json()


def test_request_notes_patch_with_a_line_separator_is_refused(staff_user):
    plan = factories.PlanFactory(municipality=staff_user.municipal_staff.municipality)
    request = factories.RequestFactory(plan=plan)
    response = client_for(staff_user).patch(
        f"/api/v1/requests/{request.pk}/", {"notes": "a\u2028b"}, format="json"
    )
    assert response.status_code == 400
    assert "notes" in response.json()["fields"]


def test_municipality_name_with_crlf_is_a_400_on_name(coordinator, municipality, staff_user):
    response = client_for(staff_user).patch(
        f"/api/v1/municipalities/{municipality.pk}/", {"name": "Jena\r\nLobeda"}, format="json"
    )
    assert response.status_code == 400
    assert "name" in response.json()["fields"]
    created = client_for(coordinator).post(
        "/api/v1/municipalities/",
        {"name": "Neu\nstadt", "state": "Sachsen", "kind": "stadt"},
        format="json",
    )
    assert created.status_code == 400
    assert "name" in created.json()["fields"]
    assert Municipality.objects.count() == 1


def test_services_refuse_control_characters_before_writing(staff_user):
    with pytest.raises(Invalid) as caught:
        services.create_plan(
            actor=staff_user, procedure_type="youth-budget", title="A\x00B", description="\x0c"
        )
    assert set(caught.value.fields) == {"title", "description"}
    assert not ParticipationPlan.objects.exists()
    plan = factories.PlanFactory(municipality=staff_user.municipal_staff.municipality)
    with pytest.raises(Invalid) as caught:
        services.create_request(
            actor=staff_user,
            plan=plan,
            topics=[{"topic": "youth-school", "weight": 2}],
            earliest=dt.date.today() + dt.timedelta(days=3),
            latest=dt.date.today() + dt.timedelta(days=9),
            notes="\x85",
        )
    assert set(caught.value.fields) == {"notes"}
    assert not ConsultationRequest.objects.exists()


def test_plan_page_shows_the_control_character_error_at_the_title(staff_user):
    response = _page_client(staff_user).post(
        "/vorhaben/neu/", {"title": INJECTION, "stage": "idea", "procedure_type": "youth-budget"}
    )
    assert response.status_code == 400
    assert 'id="id_title_errors"' in response.content.decode()
    assert not ParticipationPlan.objects.exists()


def test_request_page_shows_the_control_character_error_at_the_notes(staff_user):
    plan = factories.PlanFactory(municipality=staff_user.municipal_staff.municipality)
    earliest = dt.date.today() + dt.timedelta(days=7)
    response = _page_client(staff_user).post(
        "/anfragen/neu/",
        {
            "plan": plan.pk,
            "topic_youth-school": "3",
            "format": "online",
            "language": "de",
            "earliest": earliest.isoformat(),
            "latest": (earliest + dt.timedelta(days=9)).isoformat(),
            "duration_minutes": "60",
            "notes": "Hallo\x1b[2J",
        },
    )
    assert response.status_code == 400
    assert 'id="id_notes_errors"' in response.content.decode()
    assert not ConsultationRequest.objects.exists()
