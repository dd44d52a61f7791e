"""bookings.selectors: the experts' free slots with their bookings subtracted."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bookings import selectors
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
MONDAY = date(2027, 6, 7)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BERLIN)


def test_earliest_slots_for_many_experts_take_constant_queries(db, django_assert_max_num_queries):
    experts = [factories.ExpertProfileFactory() for _ in range(6)]
    experts[1].durations = [90]
    experts[1].save()
    factories.ConsultationBookingFactory(expert=experts[0], start=at(MONDAY, 9))
    ids = [e.pk for e in experts] + [999_999]
    with django_assert_max_num_queries(4):
        result = selectors.earliest_slots(
            ids, start=at(MONDAY, 0), end=at(MONDAY, 23), duration=60, now=NOW
        )
    assert result[experts[0].pk] == at(MONDAY, 10, 30)  # 9-10 booked, plus buffers
    assert result[experts[1].pk] is None  # does not offer 60 minutes
    assert result[experts[2].pk] == at(MONDAY, 9)
    assert result[999_999] is None


def test_inactive_expert_has_no_earliest_slot(db):
    expert = factories.ExpertProfileFactory(active=False)
    result = selectors.earliest_slots(
        [expert.pk], start=at(MONDAY, 0), end=at(MONDAY, 23), duration=60, now=NOW
    )
    assert result == {expert.pk: None}
