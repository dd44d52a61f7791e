"""The bookings API: creation, scoping, actions, slots, calendar feeds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bookings.models import ConsultationBooking
from tests import factories
from tests.conftest import client_for
from tests.ics_rules import assert_valid_feed

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)  # a Tuesday
MONDAY = date(2027, 6, 7)
URL = "/api/v1/bookings/"


def at(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), BERLIN).isoformat()


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def request_(municipality):  # type: ignore[no-untyped-def]
    return factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality))


def payload(request, expert, start, **extra):  # type: ignore[no-untyped-def]
    return {
        "request": request.pk,
        "expert": expert.pk,
        "start": start,
        "duration_minutes": 60,
        **extra,
    }


def test_staff_books_and_gets_201_with_the_booking(staff_user, request_, expert):
    response = client_for(staff_user).post(
        URL, payload(request_, expert, at(MONDAY, 10)), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "requested"
    assert body["start"] == "2027-06-07T10:00:00+02:00"
    assert body["end"] == "2027-06-07T11:00:00+02:00"
    assert body["expert"] == expert.pk and body["request"] == request_.pk
    assert body["uid"] and body["sequence"] == 0 and body["meeting_url"]


def test_hold_flag_only_holds(staff_user, request_, expert):
    response = client_for(staff_user).post(
        URL, payload(request_, expert, at(MONDAY, 10), hold=True), format="json"
    )
    assert response.status_code == 201
    assert response.json()["status"] == "held"
    booking_id = response.json()["id"]
    response = client_for(staff_user).post(f"{URL}{booking_id}/request/")
    assert response.status_code == 200 and response.json()["status"] == "requested"


def test_taken_slot_is_409_with_clear_message(staff_user, municipality, request_, expert):
    client = client_for(staff_user)
    assert client.post(URL, payload(request_, expert, at(MONDAY, 10)), format="json").status_code
    other = factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality))
    response = client.post(URL, payload(other, expert, at(MONDAY, 10)), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "slot_taken"
    assert response.json()["detail"] == "Termin nicht mehr frei."


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start": "2027-06-07T10:00:00"}, "start"),  # naive
        ({"start": "2027-06-07T10:00:00+25:00"}, "start"),  # malformed zone
        ({"start": "gestern"}, "start"),
        ({"start": at(date(2027, 5, 31), 10)}, "start"),  # in the past
        ({"start": at(MONDAY - timedelta(days=2), 10)}, "start"),  # Saturday: outside
        ({"duration_minutes": 45}, "duration_minutes"),
        ({"format": "telepathy"}, "format"),
        ({"expert": 999_999}, "expert"),
        ({"start": "9999-12-31T23:30:00+00:00"}, "start"),  # beyond any range: not a 500
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(
    staff_user, request_, expert, change, field
):
    response = client_for(staff_user).post(
        URL, {**payload(request_, expert, at(MONDAY, 10)), **change}, format="json"
    )
    assert response.status_code == 400, response.json()
    body = response.json()
    assert set(body) >= {"detail", "code", "fields"}
    assert field in body["fields"]
    assert not ConsultationBooking.objects.exists()


def test_inactive_expert_is_400(staff_user, request_):
    expert = factories.ExpertProfileFactory(active=False)
    response = client_for(staff_user).post(
        URL, payload(request_, expert, at(MONDAY, 10)), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "expert_inactive"


def test_another_municipalitys_request_is_404(other_staff_user, request_, expert):
    response = client_for(other_staff_user).post(
        URL, payload(request_, expert, at(MONDAY, 10)), format="json"
    )
    assert response.status_code == 404
    assert not ConsultationBooking.objects.exists()


def test_anonymous_cannot_book(api, request_, expert):
    response = api.post(URL, payload(request_, expert, at(MONDAY, 10)), format="json")
    assert response.status_code in (401, 403)


# --- scoping and list -------------------------------------------------------------------------


@pytest.fixture
def two_bookings(municipality, expert):  # type: ignore[no-untyped-def]
    mine = factories.ConsultationBookingFactory(
        expert=expert,
        request=factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality)),
        start=NOW + timedelta(days=6),
    )
    theirs = factories.ConsultationBookingFactory(start=NOW + timedelta(days=8))
    return mine, theirs


def test_staff_see_only_their_municipalitys_bookings(staff_user, two_bookings):
    mine, theirs = two_bookings
    client = client_for(staff_user)
    assert [b["id"] for b in client.get(URL).json()["results"]] == [mine.pk]
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.post(f"{URL}{theirs.pk}/cancel/").status_code == 404


def test_expert_sees_only_own_bookings(two_bookings):
    mine, theirs = two_bookings
    client = client_for(mine.expert.user)
    assert [b["id"] for b in client.get(URL).json()["results"]] == [mine.pk]
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404


def test_coordinator_sees_all(coordinator, two_bookings):
    assert client_for(coordinator).get(URL).json()["count"] == 2


def test_user_without_role_sees_nothing(two_bookings):
    user = factories.UserFactory()
    assert client_for(user).get(URL).json()["count"] == 0


def test_list_filters_and_query_count(coordinator, expert, django_assert_max_num_queries):
    for i in range(12):
        factories.ConsultationBookingFactory(
            expert=expert if i % 2 else factories.ExpertProfileFactory(),
            start=NOW + timedelta(days=3 + i),
            status="confirmed" if i % 3 else "requested",
        )
    client = client_for(coordinator)
    client.get(URL)  # warm the user's role caches
    with django_assert_max_num_queries(4):
        response = client.get(URL)
    assert response.json()["count"] == 12
    filtered = client.get(
        URL,
        {
            "status": "confirmed",
            "expert": expert.pk,
            "from": (NOW + timedelta(days=5)).isoformat(),
            "to": (NOW + timedelta(days=12)).isoformat(),
        },
    ).json()["results"]
    assert filtered
    assert all(b["status"] == "confirmed" and b["expert"] == expert.pk for b in filtered)
    assert client.get(URL, {"from": "2027-06-01T10:00"}).status_code == 400
    assert client.get(URL, {"status": "lost"}).status_code == 400
    assert client.get(URL, {"expert": "²"}).status_code == 400
    assert client.get(URL, {"expert": "9" * 30}).status_code == 400


# --- actions ----------------------------------------------------------------------------------


@pytest.fixture
def booked(staff_user, request_, expert):  # type: ignore[no-untyped-def]
    response = client_for(staff_user).post(
        URL, payload(request_, expert, at(MONDAY, 10)), format="json"
    )
    return response.json()["id"]


def test_actions_follow_the_lifecycle(booked, staff_user, expert):
    staff, expert_client = client_for(staff_user), client_for(expert.user)
    assert staff.post(f"{URL}{booked}/confirm/").status_code == 403
    response = expert_client.post(f"{URL}{booked}/confirm/", {"sequence": 0}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    response = staff.post(f"{URL}{booked}/reschedule/", {"start": at(MONDAY, 14)}, format="json")
    assert response.status_code == 200
    assert response.json()["sequence"] == 2 and response.json()["status"] == "requested"
    response = expert_client.post(f"{URL}{booked}/decline/", {"reason": "Termin passt nicht"})
    assert response.status_code == 200 and response.json()["status"] == "declined"
    response = staff.post(f"{URL}{booked}/cancel/", {"reason": "zu spät"})
    assert response.status_code == 409
    assert response.json()["status"] == "declined"
    assert response.json()["code"] == "invalid_transition"


def test_stale_sequence_is_409(booked, expert, staff_user):
    client_for(expert.user).post(f"{URL}{booked}/confirm/")
    response = client_for(staff_user).post(f"{URL}{booked}/cancel/", {"sequence": 0})
    assert response.status_code == 409 and response.json()["status"] == "confirmed"


def test_reschedule_of_cancelled_booking_is_409_and_nothing_changes(booked, staff_user):
    client = client_for(staff_user)
    client.post(f"{URL}{booked}/cancel/", {"reason": "krank"})
    before = client.get(f"{URL}{booked}/").json()
    response = client.post(f"{URL}{booked}/reschedule/", {"start": at(MONDAY, 14)})
    assert response.status_code == 409
    assert client.get(f"{URL}{booked}/").json() == before


def test_reschedule_with_naive_start_is_400(booked, staff_user):
    response = client_for(staff_user).post(
        f"{URL}{booked}/reschedule/", {"start": "2027-06-07T14:00:00"}
    )
    assert response.status_code == 400 and "start" in response.json()["fields"]


def test_field_errors_of_times_speak_the_clients_language(booked, staff_user):
    client = client_for(staff_user)
    url = f"{URL}{booked}/reschedule/"
    naive = {"start": "2027-06-07T14:00:00"}
    english = client.post(url, naive, HTTP_ACCEPT_LANGUAGE="en").json()
    german = client.post(url, naive, HTTP_ACCEPT_LANGUAGE="de").json()
    assert english["fields"]["start"] == ["No time zone."]
    assert german["fields"]["start"] == ["Ohne Zeitzone."]


def test_complete_no_show_and_feedback(booked, staff_user, expert):
    expert_client, staff = client_for(expert.user), client_for(staff_user)
    expert_client.post(f"{URL}{booked}/confirm/")
    with time_machine.travel(datetime(2027, 6, 7, 10, 0, tzinfo=UTC), tick=False):
        assert staff.post(f"{URL}{booked}/feedback/", {"rating": 5}).status_code == 409
        assert expert_client.post(f"{URL}{booked}/complete/").json()["status"] == "completed"
        assert staff.post(f"{URL}{booked}/feedback/", {"rating": 9}).status_code == 400
        response = staff.post(f"{URL}{booked}/feedback/", {"rating": 4, "comment": "gut"})
        assert response.status_code == 200 and response.json()["rating"] == 4
        assert expert_client.post(f"{URL}{booked}/no-show/").status_code == 409


@pytest.mark.parametrize("path", ["no-show", "no_show"])
def test_no_show_is_recorded_by_the_expert_after_the_start(booked, expert, path):  # type: ignore[no-untyped-def]
    expert_client = client_for(expert.user)
    expert_client.post(f"{URL}{booked}/confirm/")
    with time_machine.travel(datetime(2027, 6, 7, 10, 0, tzinfo=UTC), tick=False):
        response = expert_client.post(f"{URL}{booked}/{path}/")
    assert response.status_code == 200 and response.json()["status"] == "no_show"


# --- slots ------------------------------------------------------------------------------------


def slots_url(expert) -> str:  # type: ignore[no-untyped-def]
    return f"/api/v1/experts/{expert.pk}/slots/"


def test_slots_are_listed_with_offsets_and_exclude_bookings(staff_user, request_, expert):
    client = client_for(staff_user)
    params = {"from": at(MONDAY, 0), "to": at(MONDAY, 23), "duration": 60}
    before = client.get(slots_url(expert), params).json()["results"]
    assert before[0] == {"start": "2027-06-07T09:00:00+02:00", "end": "2027-06-07T10:00:00+02:00"}
    assert before[-1]["end"] == "2027-06-07T17:00:00+02:00"
    client.post(URL, payload(request_, expert, at(MONDAY, 12)), format="json")
    after = client.get(slots_url(expert), params).json()["results"]
    starts = {s["start"][11:16] for s in after}
    # 12:00-13:00 blocks 11:45-13:15: 11:00 (ends 12:00 + 15 buffer) through 13:00 are gone.
    assert not starts & {"11:00", "11:30", "12:00", "12:30", "13:00"}
    assert {"10:30", "13:30"} <= starts


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2027-06-07T00:00:00"},
        {"from": "morgen"},
        {"from": "2027-06-07T00:00:00+02:00", "to": "2027-06-06T00:00:00+02:00"},
        {"from": "2027-06-07T00:00:00+02:00", "to": "2027-12-07T00:00:00+01:00"},
        {"duration": 45},
        {"duration": "lang"},
        {"duration": "²"},  # a digit to str.isdigit(), not to int()
        {"from": "9999-12-31T23:00:00+00:00"},
        {"from": "0001-01-01T00:30:00+01:00", "to": "0001-01-02T00:00:00+01:00"},
        {"from": "2027-05-01T00:00:00+02:00", "to": "2027-05-10T00:00:00+02:00"},  # past
    ],
)
def test_bad_slot_params_are_400(staff_user, expert, params):
    response = client_for(staff_user).get(slots_url(expert), params)
    assert response.status_code == 400, response.json()
    assert set(response.json()) >= {"detail", "code", "fields"}


def test_slots_of_a_range_in_the_past_are_400_in_past(staff_user, expert):
    response = client_for(staff_user).get(
        slots_url(expert), {"from": at(date(2027, 5, 3), 0), "to": at(date(2027, 5, 8), 0)}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "in_past" and "to" in response.json()["fields"]


def test_slots_of_an_inactive_expert_are_400_expert_inactive(staff_user):
    expert = factories.ExpertProfileFactory(active=False)
    response = client_for(staff_user).get(slots_url(expert))
    assert response.status_code == 400
    assert response.json()["code"] == "expert_inactive"


def test_unencoded_plus_in_slot_query_is_read_as_the_offset(staff_user, expert):
    # "?from=…+02:00" typed into a URL arrives as "…T00:00:00 02:00" ("+" means space).
    url = f"{slots_url(expert)}?from=2027-06-07T00:00:00+02:00&to=2027-06-07T12:00:00+02:00"
    response = client_for(staff_user).get(url)
    assert response.status_code == 200, response.json()
    assert response.json()["results"][0]["start"] == "2027-06-07T09:00:00+02:00"
    assert response.json()["results"][-1]["end"] == "2027-06-07T12:00:00+02:00"


@pytest.mark.parametrize(
    ("night", "offsets"),
    [(date(2027, 3, 28), ("+01:00", "+02:00")), (date(2027, 10, 31), ("+02:00", "+01:00"))],
)
def test_dst_night_has_no_slot_in_the_missing_hour_and_no_duplicate_in_the_repeated_one(
    staff_user, municipality, night, offsets
):
    expert = factories.ExpertProfileFactory(weekly=[(6, "00:00", "06:00")], horizon_days=365)
    client = client_for(staff_user)
    with time_machine.travel(night - timedelta(days=20), tick=False):
        response = client.get(
            slots_url(expert),
            {"from": at(night, 0), "to": at(night + timedelta(days=1), 0), "duration": 60},
        )
        assert response.status_code == 200, response.json()
        starts = [s["start"] for s in response.json()["results"]]
        wall = [s[11:16] for s in starts]
        assert len(set(wall)) == len(wall), "a wall-clock start offered twice"
        if night.month == 3:
            assert not [w for w in wall if w.startswith("02:")], "a start in the missing hour"
        assert starts[0] == f"{night.isoformat()}T00:00:00{offsets[0]}"
        assert starts[-1] == f"{night.isoformat()}T05:00:00{offsets[1]}"
        # Offered starts can be booked; the second pass of the repeated hour is not offered.
        plan = factories.PlanFactory(municipality=municipality)
        request = factories.RequestFactory(plan=plan)
        response = client.post(URL, payload(request, expert, starts[3]), format="json")
        assert response.status_code == 201, response.json()
        if night.month == 10:
            request = factories.RequestFactory(plan=plan)
            second_pass = payload(request, expert, "2027-10-31T02:30:00+01:00")
            response = client.post(URL, second_pass, format="json")
            assert response.status_code == 400 and response.json()["code"] == "off_grid"


def test_slots_need_login(api, expert):
    assert api.get(slots_url(expert)).status_code in (401, 403)


# --- calendar feeds ---------------------------------------------------------------------------


def test_feed_serves_the_experts_bookings_with_etag(booked, expert, api):
    expert.refresh_from_db()
    url = f"/feeds/{expert.feed_token}.ics"
    response = api.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = assert_valid_feed(response.content)
    assert len(cal.walk("VEVENT")) == 1
    again = api.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_municipality_feed_and_unknown_token(booked, municipality, api):
    municipality.refresh_from_db()
    assert api.get(f"/feeds/{municipality.feed_token}.ics").status_code == 200
    assert api.get("/feeds/not-a-token.ics").status_code == 404


def test_rotating_the_token_revokes_the_old_url(expert, api, settings):
    old = expert.feed_token
    client = client_for(expert.user)
    feeds = client.get("/api/v1/calendar-feeds/").json()["results"]
    assert feeds == [
        {"kind": "expert", "id": expert.pk, "url": f"{settings.SITE_URL}/feeds/{old}.ics"}
    ]
    response = client.post(
        "/api/v1/calendar-feeds/rotate/", {"kind": "expert", "id": expert.pk}, format="json"
    )
    assert response.status_code == 200
    assert api.get(f"/feeds/{old}.ics").status_code == 404
    new = response.json()["url"].rsplit("/", 1)[1]
    assert api.get(f"/feeds/{new}").status_code == 200


def test_rotating_someone_elses_token_is_404(expert, staff_user):
    response = client_for(staff_user).post(
        "/api/v1/calendar-feeds/rotate/", {"kind": "expert", "id": expert.pk}, format="json"
    )
    assert response.status_code == 404
