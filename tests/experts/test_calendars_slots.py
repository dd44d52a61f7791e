"""Busy time of an expert's own calendar where it matters: the slots API, the slot check when
booking, and the matcher's earliest slot (the diary served as an iCal feed by a local server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from bookings import selectors as booking_selectors
from experts import calendars
from experts.calendar_models import CalendarConnection
from tests import factories
from tests.conftest import client_for
from tests.experts.calendar_feeds import EXPECTED, WINDOW, berlin, feed
from tests.experts.calendar_server import Answer, FeedServer, feed_server

__all__ = ["feed_server"]

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 15, 12, tzinfo=UTC)
BUFFER = timedelta(minutes=15)  # the factory expert's buffers before and after


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def diary_expert(feed_server: FeedServer) -> Any:
    """An expert (Monday to Friday 9-17, 15 minutes' buffers) whose feed is synced."""
    feed_server.routes["/cal.ics"] = Answer(body=feed().encode())
    expert = factories.ExpertProfileFactory(min_notice_hours=0)
    connection = calendars.connect_calendar(
        expert_id=expert.pk, kind="ics", url=feed_server.url("/cal.ics")
    )
    synced = calendars.sync_calendar(connection_id=connection.pk, now=NOW)
    assert synced is not None and synced.last_error == ""
    return expert


def slot_starts(user: Any, expert: Any) -> list[datetime]:
    response = client_for(user).get(
        f"/api/v1/experts/{expert.pk}/slots/",
        {"from": WINDOW[0].isoformat(), "to": WINDOW[1].isoformat(), "duration": 60},
    )
    assert response.status_code == 200, response.content
    return [datetime.fromisoformat(s["start"]) for s in response.json()["results"]]


def test_slots_api_offers_exactly_the_times_the_diary_leaves_free(
    diary_expert: Any, staff_user: Any
) -> None:
    with_diary = slot_starts(staff_user, diary_expert)
    CalendarConnection.objects.filter(expert=diary_expert).delete()
    without = slot_starts(staff_user, diary_expert)
    hour = timedelta(hours=1)
    # Gone are exactly the slots whose buffered time meets an appointment of the diary.
    gone = [
        s for s in without if any(s - BUFFER < b and a < s + hour + BUFFER for a, b in EXPECTED)
    ]
    assert gone and with_diary == [s for s in without if s not in gone]
    for free in (berlin(3, 23, 10), berlin(3, 30, 10), berlin(3, 24, 9), berlin(3, 25, 9)):
        assert free in with_diary  # cancelled, moved away, transparent, called off
    for busy in (berlin(3, 31, 14), berlin(4, 6, 10), berlin(3, 25, 13), berlin(3, 29, 16)):
        assert busy not in with_diary
    assert not [s for s in with_diary if berlin(3, 26, 0) <= s < berlin(3, 27, 0)]


def test_booking_a_time_the_diary_blocks_is_409(diary_expert: Any, staff_user: Any) -> None:
    request = factories.RequestFactory(
        plan=factories.PlanFactory(municipality=staff_user.municipal_staff.municipality)
    )

    def book(start: datetime) -> Any:
        return client_for(staff_user).post(
            "/api/v1/bookings/",
            {
                "request": request.pk,
                "expert": diary_expert.pk,
                "start": start.isoformat(),
                "duration_minutes": 60,
            },
            format="json",
        )

    refused = book(berlin(3, 25, 13))  # the Outlook meeting in "W. Europe Standard Time"
    assert refused.status_code == 409
    assert refused.json()["code"] == "slot_taken"
    assert book(berlin(3, 23, 10)).status_code == 201  # the weekly meeting's cancelled date


def test_matchers_earliest_slot_skips_the_diarys_busy_time(diary_expert: Any) -> None:
    plain = factories.ExpertProfileFactory(min_notice_hours=0)
    earliest = booking_selectors.earliest_slots(
        [diary_expert.pk, plain.pk],
        start=berlin(3, 26, 0),  # the holiday Friday
        end=WINDOW[1],
        duration=60,
        now=NOW,
    )
    assert earliest[plain.pk] == berlin(3, 26, 9)
    assert earliest[diary_expert.pk] == berlin(3, 29, 9)  # Monday after the DST night


def test_earliest_slots_read_no_calendar_when_none_is_connected(
    django_assert_max_num_queries: Any,
) -> None:
    experts = [factories.ExpertProfileFactory(min_notice_hours=0) for _ in range(3)]
    with django_assert_max_num_queries(4):  # profiles, rules, exceptions, bookings
        booking_selectors.earliest_slots(
            [e.pk for e in experts], start=WINDOW[0], end=WINDOW[1], duration=60, now=NOW
        )
