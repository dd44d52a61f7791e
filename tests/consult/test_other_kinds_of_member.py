"""Plans, requests and bookings are the municipalities'; an association, a school or a person
is a member without them: no plan pages, no plan entries in the navigation, a plan refused."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from consult import services
from consult.models import ParticipationPlan
from core.errors import Invalid
from tests import factories

pytestmark = pytest.mark.django_db

PLAN_PAGES = ("/vorhaben/", "/vorhaben/neu/", "/anfragen/", "/anfragen/neu/", "/austausch/")


@pytest.fixture
def association_staff():  # type: ignore[no-untyped-def]
    association = factories.MunicipalityFactory(
        name="Kinderrechte e. V.", slug="kinderrechte", kind="association"
    )
    return factories.staff_for(association)


def test_an_association_cannot_describe_a_plan(association_staff):
    with pytest.raises(Invalid) as raised:
        services.create_plan(
            actor=association_staff, title="Vereinsbudget", procedure_type="youth-budget"
        )
    assert raised.value.fields == {"municipality": ["Vorhaben beschreiben nur Kommunen."]}
    assert not ParticipationPlan.objects.exists()


def test_a_coordinator_cannot_give_an_association_a_plan(association_staff):
    association = association_staff.municipal_staff.municipality
    with pytest.raises(Invalid):
        services.create_plan(
            actor=factories.coordinator(),
            municipality_id=association.pk,
            title="Vereinsbudget",
            procedure_type="youth-budget",
        )
    assert not ParticipationPlan.objects.exists()


def test_plan_api_answers_an_association_400_with_the_reason(association_staff):
    client = APIClient()
    client.force_authenticate(association_staff)
    response = client.post(
        "/api/v1/plans/",
        {"title": "Vereinsbudget", "procedure_type": "youth-budget"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["municipality"] == ["Vorhaben beschreiben nur Kommunen."]
    assert not ParticipationPlan.objects.exists()


@pytest.mark.parametrize("path", PLAN_PAGES)
def test_plan_pages_do_not_exist_for_an_association(client, association_staff, path):
    client.force_login(association_staff)
    assert client.get(path).status_code == 404


def test_navigation_of_an_association_has_its_organisation_but_no_plans(client, association_staff):
    client.force_login(association_staff)
    page = client.get("/").content.decode()
    assert 'href="/organisation/"' in page
    for path in ("/vorhaben/", "/anfragen/", "/termine/", "/austausch/"):
        assert f'href="{path}"' not in page


def test_navigation_of_a_municipality_keeps_its_plans(client):
    staff = factories.staff_for(factories.MunicipalityFactory(kind="gemeinde"))
    client.force_login(staff)
    page = client.get("/").content.decode()
    assert 'href="/vorhaben/"' in page and 'href="/organisation/"' in page
    assert client.get("/vorhaben/neu/").status_code == 200
