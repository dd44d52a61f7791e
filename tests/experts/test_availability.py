"""experts.selectors (ORM → slot maths) and experts.availability (rules and exceptions)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.errors import Invalid, NotFound
from experts import availability, selectors
from experts.models import AvailabilityException
from experts.slots import Busy
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
MONDAY = date(2027, 6, 7)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BERLIN)


def test_policy_and_windows_come_from_the_profile(expert):
    policy = selectors.slot_policy(expert)
    assert policy.durations_minutes == (60, 90)
    assert (policy.buffer_before_minutes, policy.buffer_after_minutes) == (15, 15)
    assert policy.min_notice_minutes == 24 * 60 and policy.horizon_days == 90
    assert [w.weekday for w in selectors.slot_windows(expert)] == [0, 1, 2, 3, 4]


def test_busy_range_covers_whole_iso_weeks_and_buffers_under_a_weekly_limit(expert):
    expert.max_per_week = 3
    start, end = selectors.busy_range(
        expert, at(MONDAY + timedelta(days=2), 10), at(MONDAY + timedelta(days=9), 10)
    )
    assert start == at(MONDAY, 0) - timedelta(minutes=30)
    assert end == at(MONDAY + timedelta(days=14), 0) + timedelta(minutes=30)


def test_busy_range_covers_whole_local_days_under_a_daily_limit(expert):
    expert.max_per_day = 2
    start, end = selectors.busy_range(
        expert, at(MONDAY + timedelta(days=2), 10), at(MONDAY + timedelta(days=2), 11)
    )
    assert start == at(MONDAY + timedelta(days=2), 0) - timedelta(minutes=30)
    assert end == at(MONDAY + timedelta(days=3), 0) + timedelta(minutes=30)


def test_busy_range_without_limits_is_the_range_and_both_buffers(expert):
    start, end = selectors.busy_range(expert, at(MONDAY, 10), at(MONDAY, 11))
    assert (start, end) == (at(MONDAY, 9, 30), at(MONDAY, 11, 30))


def test_busy_range_across_the_autumn_switch_keeps_local_midnights(expert):
    expert.max_per_week = 3
    start, end = selectors.busy_range(expert, at(date(2027, 10, 29), 10), at(date(2027, 11, 2), 10))
    assert start.astimezone(BERLIN) + timedelta(minutes=30) == at(date(2027, 10, 25), 0)
    assert (end - timedelta(minutes=30)).utcoffset() == timedelta(hours=1)


def test_free_slots_use_injected_busy_with_its_stored_buffers(expert):
    busy = [Busy(at(MONDAY, 12), at(MONDAY, 13), 0, 0)]
    slots = selectors.free_slots_for(
        expert, start=at(MONDAY, 9), end=at(MONDAY, 17), duration=60, now=NOW, busy=busy
    )
    starts = [s.start.strftime("%H:%M") for s in slots]
    # Stored buffers 0: only the expert's own 15-minute buffers keep the new slot away.
    assert "10:30" in starts and "11:00" not in starts and "13:30" in starts


def test_exceptions_are_applied_by_local_date(expert):
    AvailabilityException.objects.create(expert=expert, date=MONDAY, kind="block")
    slots = selectors.free_slots_for(
        expert,
        start=at(MONDAY, 0),
        end=at(MONDAY + timedelta(days=1), 23),
        duration=60,
        now=NOW,
        busy=[],
    )
    assert {s.start.date() for s in slots} == {MONDAY + timedelta(days=1)}


def test_replace_rules_by_the_expert(expert):
    rules = availability.replace_rules(
        actor=expert.user,
        expert=expert,
        rules=[availability.RuleSpec(weekday=2, start=time(8), end=time(12))],
    )
    assert [(r.weekday, r.start_time) for r in rules] == [(2, time(8))]
    assert expert.rules.count() == 1


def test_rules_of_another_expert_are_not_found(expert):
    other = factories.ExpertProfileFactory()
    with pytest.raises(NotFound):
        availability.replace_rules(actor=other.user, expert=expert, rules=[])


def test_invalid_rules_name_the_rule(expert):
    with pytest.raises(Invalid) as exc:
        availability.replace_rules(
            actor=expert.user,
            expert=expert,
            rules=[
                availability.RuleSpec(weekday=0, start=time(9), end=time(12)),
                availability.RuleSpec(weekday=1, start=time(12), end=time(9)),
            ],
        )
    assert "1" in exc.value.fields["rules"]
    assert expert.rules.count() == 5


def test_exception_needs_both_times_or_none(expert, coordinator):
    with pytest.raises(Invalid):
        availability.add_exception(actor=coordinator, expert=expert, day=MONDAY, start=time(9))
    added = availability.add_exception(
        actor=coordinator, expert=expert, day=MONDAY, start=time(18), end=time(20), kind="add"
    )
    availability.delete_exception(actor=expert.user, expert=expert, exception_id=added.pk)
    with pytest.raises(NotFound):
        availability.delete_exception(actor=expert.user, expert=expert, exception_id=added.pk)


def test_rule_times_with_seconds_are_refused_by_the_service_too(expert):
    with pytest.raises(Invalid) as exc:
        availability.replace_rules(
            actor=expert.user,
            expert=expert,
            rules=[availability.RuleSpec(weekday=0, start=time(8, 0, 30), end=time(12))],
        )
    assert "0" in exc.value.fields["rules"]
    assert expert.rules.count() == 5


def test_exception_on_a_date_in_year_1_is_refused_on_the_date(expert):
    with pytest.raises(Invalid) as exc:
        availability.add_exception(actor=expert.user, expert=expert, day=date(1, 1, 1))
    assert "date" in exc.value.fields
    with pytest.raises(Invalid) as exc:
        availability.add_exception(
            actor=expert.user, expert=expert, day=MONDAY, start=time(9, 0, 0, 1), end=time(10)
        )
    assert "start" in exc.value.fields
    assert not AvailabilityException.objects.exists()


def test_rule_valid_until_9999_is_refused(expert):
    with pytest.raises(Invalid) as exc:
        availability.replace_rules(
            actor=expert.user,
            expert=expert,
            rules=[
                availability.RuleSpec(
                    weekday=0, start=time(9), end=time(12), valid_until=date(9999, 12, 31)
                )
            ],
        )
    assert "0" in exc.value.fields["rules"]
