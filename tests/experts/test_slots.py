"""Unit tests and properties of the pure slot maths (experts/slots.py); no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experts.slots import (
    Busy,
    ExceptionWindow,
    Reason,
    Slot,
    SlotPolicy,
    WeeklyWindow,
    check_slot,
    earliest_free_slot,
    free_slots,
)

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2027, 6, 7)  # a summer Monday (+02:00), far from any DST switch
NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


def at(day: date, hour: int, minute: int = 0, *, fold: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN, fold=fold)


def policy(**overrides: object) -> SlotPolicy:
    values: dict[str, object] = {"tz": "Europe/Berlin", "durations_minutes": (30, 60, 90)}
    values.update(overrides)
    return SlotPolicy(**values)  # type: ignore[arg-type]


def slots(
    windows: list[WeeklyWindow],
    *,
    exceptions: tuple[ExceptionWindow, ...] = (),
    busy: tuple[Busy, ...] = (),
    pol: SlotPolicy | None = None,
    now: datetime = NOW,
    start: datetime | None = None,
    end: datetime | None = None,
    duration: int = 60,
) -> list[Slot]:
    return free_slots(
        windows=windows,
        exceptions=exceptions,
        busy=busy,
        policy=pol or policy(),
        now=now,
        start=start or at(MONDAY, 0),
        end=end or at(MONDAY + timedelta(days=7), 0),
        duration_minutes=duration,
    )


def starts(result: list[Slot]) -> list[str]:
    return [s.start.isoformat() for s in result]


def hours(result: list[Slot]) -> list[str]:
    return [s.start.strftime("%a %H:%M") for s in result]


# -- weekly windows -------------------------------------------------------------------------------


def test_weekly_window_gives_slots_on_the_grid_in_local_time() -> None:
    result = slots([WeeklyWindow(0, time(9), time(12))])
    assert starts(result) == [
        "2027-06-07T09:00:00+02:00",
        "2027-06-07T09:30:00+02:00",
        "2027-06-07T10:00:00+02:00",
        "2027-06-07T10:30:00+02:00",
        "2027-06-07T11:00:00+02:00",
    ]
    assert all(s.end - s.start == timedelta(minutes=60) for s in result)
    assert all(s.start.tzinfo is BERLIN for s in result)


def test_several_windows_per_day_and_only_on_their_weekday() -> None:
    windows = [
        WeeklyWindow(0, time(9), time(10)),
        WeeklyWindow(0, time(14), time(15, 30)),
        WeeklyWindow(2, time(8), time(9)),
    ]
    assert hours(slots(windows)) == ["Mon 09:00", "Mon 14:00", "Mon 14:30", "Wed 08:00"]


def test_grid_is_anchored_at_the_window_start() -> None:
    pol = policy(step_minutes=20)
    assert hours(slots([WeeklyWindow(0, time(9, 10), time(10, 30))], pol=pol)) == [
        "Mon 09:10",
        "Mon 09:30",
    ]


def test_touching_windows_merge_so_a_slot_may_span_the_seam() -> None:
    windows = [WeeklyWindow(0, time(9), time(10)), WeeklyWindow(0, time(10), time(11))]
    assert hours(slots(windows)) == ["Mon 09:00", "Mon 09:30", "Mon 10:00"]


def test_valid_from_and_valid_until_are_inclusive() -> None:
    windows = [
        WeeklyWindow(d, time(9), time(10), valid_from=MONDAY + timedelta(days=1)) for d in range(7)
    ] + [
        WeeklyWindow(d, time(12), time(13), valid_until=MONDAY + timedelta(days=1))
        for d in range(7)
    ]
    assert hours(slots(windows, end=at(MONDAY + timedelta(days=3), 0))) == [
        "Mon 12:00",
        "Tue 09:00",
        "Tue 12:00",
        "Wed 09:00",
    ]


# -- exceptions -----------------------------------------------------------------------------------


def test_whole_day_block_removes_the_day() -> None:
    windows = [WeeklyWindow(d, time(9), time(10)) for d in range(3)]
    block = ExceptionWindow(MONDAY + timedelta(days=1))
    assert hours(slots(windows, exceptions=(block,))) == ["Mon 09:00", "Wed 09:00"]


def test_hour_block_cuts_the_window_but_keeps_its_grid() -> None:
    block = ExceptionWindow(MONDAY, time(10, 15), time(10, 45))
    result = slots([WeeklyWindow(0, time(9), time(13))], exceptions=(block,), duration=30)
    assert hours(result) == [
        "Mon 09:00",
        "Mon 09:30",
        "Mon 11:00",
        "Mon 11:30",
        "Mon 12:00",
        "Mon 12:30",
    ]


def test_addition_adds_hours_on_a_date_and_merges_with_the_rule() -> None:
    add = ExceptionWindow(MONDAY, time(10), time(11), kind="add")
    result = slots([WeeklyWindow(0, time(9), time(10))], exceptions=(add,))
    assert hours(result) == ["Mon 09:00", "Mon 09:30", "Mon 10:00"]


def test_whole_day_addition_on_a_day_without_rules() -> None:
    add = ExceptionWindow(MONDAY + timedelta(days=5), kind="add")
    result = slots([], exceptions=(add,), duration=90, pol=policy(step_minutes=60))
    assert len(result) == 23  # 00:00 ... 22:00; 23:00 + 90 min would cross midnight
    assert hours(result)[0] == "Sat 00:00"


def test_block_wins_over_addition() -> None:
    exceptions = (
        ExceptionWindow(MONDAY, time(14), time(16), kind="add"),
        ExceptionWindow(MONDAY),
    )
    assert slots([WeeklyWindow(0, time(9), time(10))], exceptions=exceptions) == []


# -- bookings and buffers -------------------------------------------------------------------------


def test_buffers_of_slot_and_booking_must_not_overlap() -> None:
    # Buffered ranges: the booking's [09:45, 11:15), a 30-minute slot's [s-15, s+45).
    booking = Busy(at(MONDAY, 10), at(MONDAY, 11))
    pol = policy(buffer_before_minutes=15, buffer_after_minutes=15)
    result = slots([WeeklyWindow(0, time(8), time(13))], busy=(booking,), pol=pol, duration=30)
    assert hours(result) == [
        "Mon 08:00",
        "Mon 08:30",
        "Mon 09:00",
        "Mon 11:30",
        "Mon 12:00",
        "Mon 12:30",
    ]


def test_bookings_own_buffers_win_over_the_policy() -> None:
    booking = Busy(at(MONDAY, 10), at(MONDAY, 11), buffer_before_minutes=0, buffer_after_minutes=0)
    pol = policy(buffer_before_minutes=0, buffer_after_minutes=30)
    result = slots([WeeklyWindow(0, time(9), time(12))], busy=(booking,), pol=pol)
    # A slot at 11:00 is fine (the booking keeps no buffer after it); 09:00-10:00 plus the
    # policy's 30 minutes after would run into the booking.
    assert hours(result) == ["Mon 11:00"]


def test_booking_given_in_utc_blocks_the_same_instant() -> None:
    booking = Busy(datetime(2027, 6, 7, 7, 0, tzinfo=UTC), datetime(2027, 6, 7, 8, 0, tzinfo=UTC))
    result = slots([WeeklyWindow(0, time(9), time(11))], busy=(booking,))
    assert hours(result) == ["Mon 10:00"]


# -- notice and horizon ---------------------------------------------------------------------------


def test_minimum_notice_keeps_the_grid() -> None:
    now = at(MONDAY, 8, 10)
    result = slots([WeeklyWindow(0, time(9), time(12))], now=now, pol=policy(min_notice_minutes=60))
    assert hours(result) == ["Mon 09:30", "Mon 10:00", "Mon 10:30", "Mon 11:00"]


def test_horizon_allows_a_start_exactly_at_its_end() -> None:
    now = at(MONDAY, 9)
    windows = [WeeklyWindow(d, time(9), time(10)) for d in range(7)]
    result = slots(windows, now=now, pol=policy(horizon_days=2), duration=30)
    assert hours(result) == ["Mon 09:00", "Mon 09:30", "Tue 09:00", "Tue 09:30", "Wed 09:00"]


def test_slots_stay_inside_the_requested_range() -> None:
    result = slots(
        [WeeklyWindow(0, time(9), time(12))], start=at(MONDAY, 9, 15), end=at(MONDAY, 11, 30)
    )
    assert hours(result) == ["Mon 09:30", "Mon 10:00", "Mon 10:30"]


# -- limits ---------------------------------------------------------------------------------------


def test_day_at_its_limit_offers_nothing() -> None:
    windows = [WeeklyWindow(d, time(9), time(10)) for d in range(2)]
    booking = Busy(at(MONDAY, 15), at(MONDAY, 16))
    assert hours(slots(windows, busy=(booking,), pol=policy(max_per_day=1))) == ["Tue 09:00"]
    assert hours(slots(windows, busy=(booking,), pol=policy(max_per_day=2))) == [
        "Mon 09:00",
        "Tue 09:00",
    ]


def test_week_limit_counts_the_iso_week_in_the_experts_zone() -> None:
    # Monday 00:30 in Berlin is still Sunday 22:30 in UTC: it belongs to Berlin's new week.
    booking = Busy(at(MONDAY, 0, 30), at(MONDAY, 1))
    windows = [WeeklyWindow(d, time(9), time(10)) for d in range(7)]
    result = slots(
        windows,
        busy=(booking,),
        pol=policy(max_per_week=1),
        start=at(MONDAY - timedelta(days=1), 0),
        end=at(MONDAY + timedelta(days=8), 0),
    )
    assert [s.start.date() for s in result] == [MONDAY - timedelta(days=1), MONDAY + timedelta(7)]


# -- DST in Europe/Berlin -------------------------------------------------------------------------

SPRING = date(2027, 3, 28)  # 02:00 CET jumps to 03:00 CEST
AUTUMN = date(2027, 10, 31)  # 03:00 CEST falls back to 02:00 CET


def dst_slots(day: date, start: time, end: time, duration: int = 30) -> list[Slot]:
    return slots(
        [WeeklyWindow(6, start, end)],
        now=datetime(2027, 1, 1, tzinfo=UTC),
        start=at(day, 0),
        end=at(day + timedelta(days=1), 0),
        duration=duration,
    )


def test_spring_night_has_no_slot_in_the_missing_hour() -> None:
    result = dst_slots(SPRING, time(1), time(4))
    assert starts(result) == [
        "2027-03-28T01:00:00+01:00",
        "2027-03-28T01:30:00+01:00",
        "2027-03-28T03:00:00+02:00",
        "2027-03-28T03:30:00+02:00",
    ]
    # The 01:30 slot runs across the jump: 30 real minutes, ending at 03:00 CEST.
    assert result[1].end.isoformat() == "2027-03-28T03:00:00+02:00"


def test_spring_night_hour_long_slots_last_sixty_real_minutes() -> None:
    result = dst_slots(SPRING, time(1), time(4), duration=60)
    assert [(s.start.isoformat(), s.end.isoformat()) for s in result] == [
        ("2027-03-28T01:00:00+01:00", "2027-03-28T03:00:00+02:00"),
        ("2027-03-28T01:30:00+01:00", "2027-03-28T03:30:00+02:00"),
        ("2027-03-28T03:00:00+02:00", "2027-03-28T04:00:00+02:00"),
    ]


def test_spring_window_starting_in_the_gap_starts_at_the_jump() -> None:
    assert starts(dst_slots(SPRING, time(2, 30), time(4))) == [
        "2027-03-28T03:00:00+02:00",
        "2027-03-28T03:30:00+02:00",
    ]


def test_autumn_night_has_no_duplicate_slot_in_the_repeated_hour() -> None:
    result = dst_slots(AUTUMN, time(1), time(4))
    assert starts(result) == [
        "2027-10-31T01:00:00+02:00",
        "2027-10-31T01:30:00+02:00",
        "2027-10-31T02:00:00+02:00",
        "2027-10-31T02:30:00+02:00",
        "2027-10-31T03:00:00+01:00",
        "2027-10-31T03:30:00+01:00",
    ]
    # Each wall-clock start once (at its first occurrence), so each instant once, too.
    wall = [s.start.replace(tzinfo=None) for s in result]
    assert len(set(wall)) == len(wall)
    assert len(set(result)) == len(result)  # Slot equality is by instant, not wall clock
    assert result[3].end.isoformat() == "2027-10-31T02:00:00+01:00"


def test_autumn_hour_long_slot_may_run_into_the_repeated_hour() -> None:
    result = dst_slots(AUTUMN, time(1), time(4), duration=60)
    assert [(s.start.isoformat(), s.end.isoformat()) for s in result] == [
        ("2027-10-31T01:00:00+02:00", "2027-10-31T02:00:00+02:00"),
        ("2027-10-31T01:30:00+02:00", "2027-10-31T02:30:00+02:00"),
        ("2027-10-31T02:00:00+02:00", "2027-10-31T02:00:00+01:00"),
        ("2027-10-31T02:30:00+02:00", "2027-10-31T02:30:00+01:00"),
        ("2027-10-31T03:00:00+01:00", "2027-10-31T04:00:00+01:00"),
    ]


def test_booking_into_the_repeated_hour_is_valid_and_blocks_it() -> None:
    # 02:00 CEST to 02:00 CET: one real hour, though both ends read 02:00 on the wall clock.
    booking = Busy(at(AUTUMN, 2), at(AUTUMN, 2, fold=1))
    result = slots(
        [WeeklyWindow(6, time(1), time(4))],
        busy=(booking,),
        now=datetime(2027, 1, 1, tzinfo=UTC),
        start=at(AUTUMN, 0),
        end=at(AUTUMN + timedelta(days=1), 0),
        duration=30,
    )
    assert starts(result) == [
        "2027-10-31T01:00:00+02:00",
        "2027-10-31T01:30:00+02:00",
        "2027-10-31T03:00:00+01:00",
        "2027-10-31T03:30:00+01:00",
    ]


def test_check_slot_refuses_the_second_pass_of_the_repeated_hour() -> None:
    windows = [WeeklyWindow(6, time(1), time(4))]
    args = {
        "windows": windows,
        "exceptions": (),
        "busy": (),
        "policy": SlotPolicy(tz="Europe/Berlin", durations_minutes=(30,)),
        "now": datetime(2027, 1, 1, tzinfo=UTC),
        "duration_minutes": 30,
    }
    assert check_slot(**args, start=at(AUTUMN, 2)) is None
    assert check_slot(**args, start=at(AUTUMN, 2, fold=1)) == Reason.OFF_GRID


def test_autumn_window_ending_in_the_repeated_hour_ends_at_its_first_occurrence() -> None:
    assert starts(dst_slots(AUTUMN, time(1), time(2, 30)))[-1] == "2027-10-31T02:00:00+02:00"


@pytest.mark.parametrize(
    ("switch", "offsets"),
    [(SPRING, ("+01:00", "+02:00")), (AUTUMN, ("+02:00", "+01:00"))],
)
def test_daily_window_keeps_its_wall_clock_across_the_switch(
    switch: date, offsets: tuple[str, str]
) -> None:
    windows = [WeeklyWindow(d, time(9), time(10)) for d in range(7)]
    result = slots(
        windows,
        now=datetime(2027, 1, 1, tzinfo=UTC),
        start=at(switch - timedelta(days=1), 0),
        end=at(switch + timedelta(days=2), 0),
    )
    # Saturday before, the switch Sunday (09:00 is after the 02:00/03:00 switch), Monday.
    assert [s.start.isoformat()[11:] for s in result] == [
        f"09:00:00{offsets[0]}",
        f"09:00:00{offsets[1]}",
        f"09:00:00{offsets[1]}",
    ]


# -- validation, earliest, check_slot ----------------------------------------------------------


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2027, 6, 7, 9)
    windows = [WeeklyWindow(0, time(9), time(10))]
    with pytest.raises(ValueError, match="aware"):
        slots(windows, now=naive)
    with pytest.raises(ValueError, match="aware"):
        slots(windows, start=naive)
    with pytest.raises(ValueError, match="aware"):
        slots(windows, end=naive)
    with pytest.raises(ValueError, match="aware"):
        Busy(naive, naive + timedelta(hours=1))
    with pytest.raises(ValueError, match="aware"):
        check_slot(
            windows=windows,
            exceptions=(),
            busy=(),
            policy=policy(),
            now=NOW,
            start=naive,
            duration_minutes=60,
        )


def test_invalid_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="end after"):
        WeeklyWindow(0, time(10), time(9))
    with pytest.raises(ValueError, match="weekday"):
        WeeklyWindow(7, time(9), time(10))
    with pytest.raises(ValueError, match="kind"):
        ExceptionWindow(MONDAY, kind="holiday")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="time zone"):
        policy(tz="Europe/Atlantis")
    with pytest.raises(ValueError, match="step"):
        policy(step_minutes=0)


def test_duration_not_offered_gives_no_slots() -> None:
    assert slots([WeeklyWindow(0, time(9), time(12))], duration=45) == []


def test_earliest_free_slot_is_the_first_free_slot() -> None:
    windows = [WeeklyWindow(d, time(9), time(12)) for d in range(5)]
    busy = (Busy(at(MONDAY, 9), at(MONDAY, 11, 30)),)
    kwargs = {
        "windows": windows,
        "exceptions": (),
        "busy": busy,
        "policy": policy(),
        "now": NOW,
        "start": at(MONDAY, 0),
        "end": at(MONDAY + timedelta(days=7), 0),
        "duration_minutes": 60,
    }
    first = earliest_free_slot(**kwargs)  # type: ignore[arg-type]
    assert first == free_slots(**kwargs)[0]  # type: ignore[arg-type]
    assert first is not None and first.start == at(MONDAY + timedelta(days=1), 9)
    kwargs["windows"] = []
    assert earliest_free_slot(**kwargs) is None  # type: ignore[arg-type]


def check(start: datetime, duration: int = 60, **policy_overrides: object) -> Reason | None:
    return check_slot(
        windows=[WeeklyWindow(0, time(9), time(12))],
        exceptions=(ExceptionWindow(MONDAY, time(11), time(12)),),
        busy=(Busy(at(MONDAY, 10), at(MONDAY, 10, 30)),),
        policy=policy(**policy_overrides),
        now=at(MONDAY, 0),
        start=start,
        duration_minutes=duration,
    )


@pytest.mark.parametrize(
    ("start", "duration", "overrides", "reason"),
    [
        (at(MONDAY, 9), 45, {}, Reason.BAD_DURATION),
        (at(MONDAY, 9), 30, {"min_notice_minutes": 10 * 60}, Reason.TOO_SOON),
        (at(MONDAY + timedelta(days=7), 9), 30, {"horizon_days": 6}, Reason.BEYOND_HORIZON),
        (at(MONDAY, 8, 30), 30, {}, Reason.OUTSIDE_AVAILABILITY),
        (at(MONDAY, 10, 30), 60, {}, Reason.OUTSIDE_AVAILABILITY),  # runs into the block
        (at(MONDAY, 9, 15), 30, {}, Reason.OFF_GRID),
        (at(MONDAY, 9), 30, {"max_per_day": 1}, Reason.DAY_LIMIT),
        (at(MONDAY, 9), 30, {"max_per_week": 1}, Reason.WEEK_LIMIT),
        (at(MONDAY, 9, 30), 60, {}, Reason.OVERLAPS),
        (
            at(MONDAY, 9),
            30,
            {"buffer_before_minutes": 15, "buffer_after_minutes": 16},
            Reason.OVERLAPS,
        ),
        (at(MONDAY, 9), 30, {"buffer_before_minutes": 15, "buffer_after_minutes": 15}, None),
        (at(MONDAY, 9), 30, {}, None),
        (at(MONDAY, 10, 30), 30, {}, None),
    ],
)
def test_check_slot_gives_the_reason(
    start: datetime, duration: int, overrides: dict[str, object], reason: Reason | None
) -> None:
    assert check(start, duration, **overrides) == reason


def test_check_slot_accepts_any_zone_for_the_start() -> None:
    assert check(datetime(2027, 6, 7, 8, 30, tzinfo=UTC), 30) is None  # 10:30 in Berlin


# -- properties -----------------------------------------------------------------------------------

# Mondays: the first two weeks hold the spring and autumn switch on their Sunday.
BASES = (date(2027, 3, 22), date(2027, 10, 25), MONDAY)
QUARTER = 15


def minutes_to_time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


@st.composite
def spans(draw: st.DrawFn) -> tuple[int, int]:
    a = draw(st.integers(0, 94))
    b = draw(st.integers(a + 1, 95))
    return a * QUARTER, b * QUARTER


# Built once, not inside each draw (hypothesis validates a strategy on its first draw): the same
# strategies, so the same scenarios, with less of the properties' time spent building them.
_SPANS = spans()
_OWN_BUFFER = st.none() | st.sampled_from([0, 10, 30])
_HORIZON = st.none() | st.integers(0, 14)
_MAX_PER_DAY = st.none() | st.integers(1, 3)
_MAX_PER_WEEK = st.none() | st.integers(1, 6)


@st.composite
def scenarios(draw: st.DrawFn, zones: tuple[str, ...], bases: tuple[date, ...]) -> dict:
    base = draw(st.sampled_from(bases))
    zone = ZoneInfo(draw(st.sampled_from(zones)))
    origin = datetime(base.year, base.month, base.day, tzinfo=zone)

    def instant(quarters: int) -> datetime:
        return (origin.astimezone(UTC) + timedelta(minutes=QUARTER * quarters)).astimezone(zone)

    windows = []
    for _ in range(draw(st.integers(0, 8))):
        a, b = draw(_SPANS)
        first = draw(st.integers(-3, 14)) if draw(st.integers(0, 3)) == 0 else None
        last = draw(st.integers(-3, 14)) if draw(st.integers(0, 3)) == 0 else None
        windows.append(
            WeeklyWindow(
                draw(st.integers(0, 6)),
                minutes_to_time(a),
                minutes_to_time(b),
                valid_from=None if first is None else base + timedelta(days=first),
                valid_until=None if last is None else base + timedelta(days=last),
            )
        )
    exceptions = []
    for _ in range(draw(st.integers(0, 5))):
        day = base + timedelta(days=draw(st.integers(0, 13)))
        kind = draw(st.sampled_from(["block", "add"]))
        if draw(st.booleans()):
            exceptions.append(ExceptionWindow(day, kind=kind))
        else:
            a, b = draw(_SPANS)
            exceptions.append(ExceptionWindow(day, minutes_to_time(a), minutes_to_time(b), kind))
    busy = []
    for _ in range(draw(st.integers(0, 12))):
        s = draw(st.integers(-96, 14 * 96))
        own = draw(_OWN_BUFFER)
        busy.append(
            Busy(
                instant(s),
                instant(s + draw(st.integers(1, 12))),
                buffer_before_minutes=own,
                buffer_after_minutes=own,
            )
        )
    pol = SlotPolicy(
        tz=str(zone),
        durations_minutes=(15, 30, 45, 60, 90),
        buffer_before_minutes=draw(st.sampled_from([0, 5, 15, 30])),
        buffer_after_minutes=draw(st.sampled_from([0, 10, 15])),
        min_notice_minutes=draw(st.sampled_from([0, 60, 24 * 60])),
        horizon_days=draw(_HORIZON),
        max_per_day=draw(_MAX_PER_DAY),
        max_per_week=draw(_MAX_PER_WEEK),
        step_minutes=draw(st.sampled_from([15, 20, 30, 60])),
    )
    now = instant(draw(st.integers(-2 * 96, 3 * 96))) + timedelta(
        seconds=draw(st.sampled_from([0, 1, 59]))
    )
    lo = draw(st.integers(-96, 7 * 96))
    # Hypothesis favours the first choice and small integers: keep most ranges days long.
    length = draw(st.sampled_from([14 * 96, 7 * 96, 3 * 96, 96, 4])) + draw(st.integers(0, 95))
    hi = lo + length
    return {
        "windows": windows,
        "exceptions": exceptions,
        "busy": busy,
        "policy": pol,
        "now": now,
        "start": instant(lo),
        "end": instant(hi),
        "duration_minutes": draw(st.sampled_from(pol.durations_minutes)),
    }


def buffered(b: Busy, pol: SlotPolicy) -> tuple[float, float]:
    before = (
        pol.buffer_before_minutes if b.buffer_before_minutes is None else b.buffer_before_minutes
    )
    after = pol.buffer_after_minutes if b.buffer_after_minutes is None else b.buffer_after_minutes
    return b.start.timestamp() - before * 60, b.end.timestamp() + after * 60


def naive_ok(slot: Slot, case: dict) -> bool:
    """The booking, limit, notice and horizon rules, checked the slow obvious way."""
    pol: SlotPolicy = case["policy"]
    zone = pol.zone
    s, e = slot.start.timestamp(), slot.end.timestamp()
    a, b = s - pol.buffer_before_minutes * 60, e + pol.buffer_after_minutes * 60
    if any(x < b and a < y for x, y in (buffered(bk, pol) for bk in case["busy"])):
        return False
    day = slot.start.astimezone(zone).date()
    days = [bk.start.astimezone(zone).date() for bk in case["busy"]]
    if pol.max_per_day is not None and sum(d == day for d in days) >= pol.max_per_day:
        return False
    week = day.isocalendar()[:2]
    in_week = sum(d.isocalendar()[:2] == week for d in days)
    return pol.max_per_week is None or in_week < pol.max_per_week


ALL_ZONES = ("Europe/Berlin", "UTC", "America/New_York")


@settings(max_examples=300, deadline=None)
@given(scenarios(ALL_ZONES, BASES))
def test_free_slots_properties(case: dict) -> None:
    result = free_slots(**case)
    pol: SlotPolicy = case["policy"]
    now = case["now"].timestamp()
    duration = case["duration_minutes"] * 60
    keys = [s.start.timestamp() for s in result]
    assert keys == sorted(set(keys)), "sorted by instant and unique"
    for slot in result:
        s, e = slot.start.timestamp(), slot.end.timestamp()
        assert e - s == duration
        assert case["start"].timestamp() <= s and e <= case["end"].timestamp()
        assert s >= now + pol.min_notice_minutes * 60
        assert pol.horizon_days is None or s <= now + pol.horizon_days * 86_400
        assert slot.start.tzinfo == pol.zone
        # The wall clock exists and its offset is the one of that instant.
        assert slot.start.astimezone(UTC).astimezone(pol.zone).isoformat() == (
            slot.start.isoformat()
        )
        assert naive_ok(slot, case), "slot's buffered range overlaps a booking or breaks a limit"
    assert earliest_free_slot(**case) == (result[0] if result else None)


@settings(max_examples=200, deadline=None)
@given(scenarios(ALL_ZONES, BASES))
def test_bookings_and_limits_remove_exactly_the_conflicting_slots(case: dict) -> None:
    pol: SlotPolicy = case["policy"]
    unlimited = replace(pol, max_per_day=None, max_per_week=None)
    everything = free_slots(**{**case, "busy": (), "policy": unlimited})
    assert free_slots(**case) == [s for s in everything if naive_ok(s, case)]


@settings(max_examples=200, deadline=None)
@given(scenarios(ALL_ZONES, BASES), st.integers(0, 14 * 96), st.sampled_from([0, 5]))
def test_check_slot_agrees_with_free_slots(case: dict, quarter: int, minutes: int) -> None:
    result = free_slots(**case)
    zone = case["policy"].zone
    candidates = [s.start for s in result[:5]]
    base = case["start"].astimezone(UTC).replace(hour=0, minute=0)
    candidates.append((base + timedelta(minutes=quarter * QUARTER + minutes)).astimezone(zone))
    check_args = {k: v for k, v in case.items() if k not in ("start", "end")}
    for start in candidates:
        end = start + timedelta(minutes=case["duration_minutes"])
        if not (case["start"] <= start and end <= case["end"]):
            continue
        offered = any(s.start.timestamp() == start.timestamp() for s in result)
        assert (check_slot(**check_args, start=start) is None) == offered


def oracle_windows(case: dict) -> list[tuple[float, float]]:
    """Free slots by brute force over the minutes of each day; valid for zones without DST."""
    pol: SlotPolicy = case["policy"]
    zone = pol.zone
    duration = case["duration_minutes"]
    step = pol.step_minutes
    day = case["start"].astimezone(zone).date() - timedelta(days=1)
    last = case["end"].astimezone(zone).date()
    found = []
    while day <= last:
        minutes = set()
        for w in case["windows"]:
            if w.applies_on(day):
                minutes |= set(
                    range(w.start.hour * 60 + w.start.minute, w.end.hour * 60 + w.end.minute)
                )
        blocked = set()
        for e in case["exceptions"]:
            if e.day == day:
                a = 0 if e.start is None else e.start.hour * 60 + e.start.minute
                b = 1440 if e.end is None else e.end.hour * 60 + e.end.minute
                (minutes if e.kind == "add" else blocked).update(range(a, b))
        free = minutes - blocked
        for anchor in (m for m in minutes if m - 1 not in minutes):
            run_end = anchor
            while run_end in minutes:
                run_end += 1
            for m in range(anchor, run_end, step):
                if all(x in free for x in range(m, m + duration)):
                    s = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=m)
                    found.append((s.timestamp(), s.timestamp() + duration * 60))
        day += timedelta(days=1)
    now = case["now"].timestamp()
    return sorted(
        (s, e)
        for s, e in found
        if case["start"].timestamp() <= s
        and e <= case["end"].timestamp()
        and s >= now + pol.min_notice_minutes * 60
        and (pol.horizon_days is None or s <= now + pol.horizon_days * 86_400)
    )


@settings(max_examples=300, deadline=None)
@given(scenarios(("UTC", "Europe/Berlin"), (MONDAY,)))
def test_windows_exceptions_and_grid_match_a_brute_force_oracle(case: dict) -> None:
    # Only the window maths here: no bookings, and no limits (a limit of 0 would empty it all).
    unlimited = replace(case["policy"], max_per_day=None, max_per_week=None)
    case = {**case, "busy": (), "policy": unlimited}
    result = free_slots(**case)
    assert [(s.start.timestamp(), s.end.timestamp()) for s in result] == oracle_windows(case)
