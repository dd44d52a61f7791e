"""bookings/matches.py: load and feedback read from the bookings and swapped into the experts'
warm matrix."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from bookings import matches as booking_matches
from experts import match_selectors
from experts.match_selectors import BookingStats, with_booking_stats
from tests import factories
from tests.experts.test_matching import assert_same_matrix

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2030, 3, 14, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fresh():  # type: ignore[no-untyped-def]
    booking_matches.reset_matrix()
    with time_machine.travel(NOW, tick=False):
        yield
    booking_matches.reset_matrix()


def test_load_counts_this_months_bookings_that_use_capacity_and_live_holds():
    expert = factories.ExpertProfileFactory()
    # One day each in March: active bookings of one expert may not overlap (PostgreSQL).
    days = iter(range(16, 31))

    def this_month() -> dt.datetime:
        return dt.datetime(2030, 3, next(days), 9, 0, tzinfo=dt.UTC)

    for status in ("requested", "confirmed", "completed", "no_show", "declined", "cancelled"):
        factories.ConsultationBookingFactory(expert=expert, start=this_month(), status=status)
    factories.ConsultationBookingFactory(
        expert=expert,
        start=this_month(),
        status="held",
        hold_expires_at=NOW + dt.timedelta(hours=1),
    )
    factories.ConsultationBookingFactory(
        expert=expert,
        start=this_month(),
        status="held",
        hold_expires_at=NOW - dt.timedelta(hours=1),
    )
    factories.ConsultationBookingFactory(
        expert=expert, start=dt.datetime(2030, 4, 2, 9, 0, tzinfo=dt.UTC), status="confirmed"
    )
    factories.ConsultationBookingFactory(
        expert=expert,
        start=dt.datetime(2030, 2, 2, 9, 0, tzinfo=dt.UTC),
        status="completed",
        rating=4,
    )
    stats = booking_matches.booking_stats(now=NOW)
    assert stats[expert.pk] == BookingStats(bookings_this_month=5, rating_sum=4.0, rating_count=1)


def test_matrix_carries_the_bookings_stats_and_follows_a_new_experts_matrix():
    expert = factories.ExpertProfileFactory(monthly_capacity=4)
    factories.ConsultationBookingFactory(
        expert=expert, start=dt.datetime(2030, 3, 20, 9, 0, tzinfo=dt.UTC), status="confirmed"
    )
    matrix = booking_matches.expert_matrix(now=NOW)
    base = match_selectors.expert_matrix()
    assert_same_matrix(matrix, with_booking_stats(base, booking_matches.booking_stats(now=NOW)))
    assert matrix.remaining_capacity[matrix.row_of[expert.pk]] == 3
    assert booking_matches.expert_matrix(now=NOW) is matrix  # warm: nothing read again

    other = factories.ExpertProfileFactory()
    fresh = booking_matches.expert_matrix(now=NOW)
    assert fresh is not matrix and other.pk in fresh.row_of
    assert fresh.remaining_capacity[fresh.row_of[expert.pk]] == 3
