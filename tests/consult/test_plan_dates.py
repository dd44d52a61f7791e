"""Plan phases name dates from 2000 to ten years ahead (the requests' window rule): year 1 and
9999 are a 400 on "phases", not a stored plan."""

from __future__ import annotations

import pytest

from consult.models import ParticipationPlan
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def plan(phases: list[dict[str, str]]) -> dict[str, object]:
    return {
        "title": "Bürgerhaushalt",
        "procedure_type": "citizens-budget",
        "phases": phases,
    }


@pytest.mark.parametrize(
    ("start", "end"),
    [("0001-01-01", "0001-02-01"), ("2027-01-01", "9999-12-31"), ("1999-12-31", "2027-01-01")],
)
def test_plan_phase_with_an_absurd_year_is_400_on_phases(staff_user, start, end):
    response = client_for(staff_user).post(
        "/api/v1/plans/",
        plan([{"phase": "information", "start": start, "end": end}]),
        format="json",
    )
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] and body["detail"]
    assert "phases" in body["fields"]
    assert not ParticipationPlan.objects.exists()


def test_plan_phase_within_the_years_is_kept(staff_user):
    response = client_for(staff_user).post(
        "/api/v1/plans/",
        plan([{"phase": "information", "start": "2015-03-01", "end": "2015-04-01"}]),
        format="json",
    )
    assert response.status_code == 201, response.json()
