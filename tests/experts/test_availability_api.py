"""The availability API (/api/v1/experts/{id}/availability/): weekly rules and exceptions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from experts.models import AvailabilityException, AvailabilityRule
from tests import factories
from tests.conftest import client_for

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)  # a Tuesday
MONDAY = date(2027, 6, 7)

pytestmark = pytest.mark.django_db


def at(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), BERLIN).isoformat()


def slots_url(expert) -> str:  # type: ignore[no-untyped-def]
    return f"/api/v1/experts/{expert.pk}/slots/"


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


# --- availability -----------------------------------------------------------------------------


def availability_url(expert) -> str:  # type: ignore[no-untyped-def]
    return f"/api/v1/experts/{expert.pk}/availability/"


def test_expert_reads_and_replaces_own_rules(expert):
    client = client_for(expert.user)
    body = client.get(availability_url(expert)).json()
    assert len(body["rules"]) == 5 and body["settings"]["durations"] == [60, 90]
    response = client.put(
        availability_url(expert),
        {
            "rules": [
                {"weekday": 0, "start": "09:00", "end": "12:00"},
                {"weekday": 0, "start": "14:00", "end": "18:00", "valid_from": "2027-06-01"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert [(r["start"], r["end"]) for r in response.json()["rules"]] == [
        ("09:00", "12:00"),
        ("14:00", "18:00"),
    ]
    assert AvailabilityRule.objects.filter(expert=expert).count() == 2


def test_bad_rules_are_400_and_keep_the_old_ones(expert):
    response = client_for(expert.user).put(
        availability_url(expert),
        {"rules": [{"weekday": 7, "start": "12:00", "end": "09:00"}]},
        format="json",
    )
    assert response.status_code == 400
    assert AvailabilityRule.objects.filter(expert=expert).count() == 5


def test_exceptions_are_added_and_deleted(expert):
    client = client_for(expert.user)
    url = availability_url(expert) + "exceptions/"
    response = client.post(url, {"date": "2027-06-08", "kind": "block", "note": "Urlaub"})
    assert response.status_code == 201
    eid = response.json()["id"]
    assert (
        client.post(url, {"date": "2027-06-09", "start": "12:00", "end": "10:00"}).status_code
        == 400
    )
    assert client.get(availability_url(expert)).json()["exceptions"][0]["id"] == eid
    assert client.delete(f"{url}{eid}/").status_code == 204
    assert not AvailabilityException.objects.exists()


def test_put_availability_with_exceptions_replaces_them_and_the_slots_follow(expert):
    client = client_for(expert.user)
    old = AvailabilityException.objects.create(expert=expert, date=date(2027, 6, 9))
    rules = [{"weekday": 0, "start": "09:00", "end": "12:00"}]
    body = {
        "rules": rules,
        "exceptions": [
            {"date": "2027-06-07", "kind": "block"},
            {"date": "2027-06-12", "start": "10:00", "end": "12:00", "kind": "add"},
        ],
    }
    response = client.put(availability_url(expert), body, format="json")
    assert response.status_code == 200, response.json()
    shown = [(e["date"], e["start"], e["kind"]) for e in response.json()["exceptions"]]
    assert shown == [("2027-06-07", None, "block"), ("2027-06-12", "10:00", "add")]
    assert not AvailabilityException.objects.filter(pk=old.pk).exists()
    params = {"from": at(MONDAY, 0), "to": at(MONDAY + timedelta(days=6), 0), "duration": 60}
    starts = [s["start"] for s in client.get(slots_url(expert), params).json()["results"]]
    assert starts == [
        "2027-06-12T10:00:00+02:00",
        "2027-06-12T10:30:00+02:00",
        "2027-06-12T11:00:00+02:00",
    ]


def test_patch_availability_replaces_only_what_it_names(expert):
    client = client_for(expert.user)
    url = availability_url(expert)
    response = client.patch(url, {"exceptions": [{"date": "2027-06-08"}]}, format="json")
    assert response.status_code == 200, response.json()
    assert len(response.json()["rules"]) == 5 and len(response.json()["exceptions"]) == 1
    response = client.patch(url, {"rules": [{"weekday": 0, "start": "09:00"}]}, format="json")
    assert response.status_code == 400 and "rules" in response.json()["fields"]
    bad = {"rules": [], "exceptions": [{"date": "2027-06-09", "start": "12:00", "end": "10:00"}]}
    response = client.put(url, bad, format="json")
    assert response.status_code == 400 and "exceptions" in response.json()["fields"]
    assert AvailabilityRule.objects.filter(expert=expert).count() == 5
    assert list(AvailabilityException.objects.values_list("date", flat=True)) == [date(2027, 6, 8)]


def test_others_availability_is_404_but_coordinator_may(expert, staff_user, coordinator):
    other = factories.ExpertProfileFactory()
    assert client_for(other.user).get(availability_url(expert)).status_code == 404
    assert client_for(staff_user).get(availability_url(expert)).status_code == 404
    assert client_for(coordinator).get(availability_url(expert)).status_code == 200


# --- times with seconds and absurd dates (issue 16, "also fix") ---------------------------------


def test_rule_time_with_seconds_is_400_on_the_field(expert):
    response = client_for(expert.user).put(
        availability_url(expert),
        {"rules": [{"weekday": 0, "start": "08:00:30", "end": "12:00"}]},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] and body["detail"]
    assert "start" in body["fields"]["rules"]["0"]
    assert AvailabilityRule.objects.filter(expert=expert).count() == 5


def test_exception_time_with_microseconds_is_400_on_the_field(expert):
    url = availability_url(expert) + "exceptions/"
    response = client_for(expert.user).post(
        url, {"date": "2027-06-08", "start": "09:00:00.5", "end": "10:00", "kind": "add"}
    )
    assert response.status_code == 400
    assert "start" in response.json()["fields"]
    assert not AvailabilityException.objects.exists()


def test_whole_minutes_written_with_zero_seconds_are_fine(expert):
    response = client_for(expert.user).put(
        availability_url(expert),
        {"rules": [{"weekday": 0, "start": "08:00:00", "end": "12:00"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["rules"][0]["start"] == "08:00"


@pytest.mark.parametrize(
    ("field", "value"), [("valid_from", "0001-01-01"), ("valid_until", "9999-12-31")]
)
def test_rule_validity_in_year_1_or_9999_is_400_on_the_field(expert, field, value):
    rule = {"weekday": 0, "start": "09:00", "end": "12:00", field: value}
    response = client_for(expert.user).put(
        availability_url(expert), {"rules": [rule]}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["fields"]["rules"]["0"]
    assert AvailabilityRule.objects.filter(expert=expert).count() == 5


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2038-06-02"])
def test_exception_date_out_of_range_is_400_on_the_field(expert, day):
    url = availability_url(expert) + "exceptions/"
    response = client_for(expert.user).post(url, {"date": day, "kind": "block"})
    assert response.status_code == 400
    assert "date" in response.json()["fields"]
    response = client_for(expert.user).put(
        availability_url(expert), {"rules": [], "exceptions": [{"date": day}]}, format="json"
    )
    assert response.status_code == 400
    assert "date" in response.json()["fields"]["exceptions"]["0"]
    assert not AvailabilityException.objects.exists()


def test_exception_nine_years_ahead_is_fine(expert):
    url = availability_url(expert) + "exceptions/"
    response = client_for(expert.user).post(url, {"date": "2036-06-01", "kind": "block"})
    assert response.status_code == 201, response.json()
