"""Slot computation for one expert over 8 weeks: 10 weekly windows, 300 existing bookings.

The reference is the same rules with each candidate slot checked against every booking
(O(slots x bookings)) instead of the merged, bisected busy index; both must give the same slots.
Run: .venv/bin/python bench/slots.py [--smoke] [--json]
"""

from __future__ import annotations

import random
import statistics
import sys
import time as clock
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import Row, emit, parse_args
from experts.slots import (
    Busy,
    ExceptionWindow,
    Slot,
    SlotPolicy,
    WeeklyWindow,
    check_slot,
    earliest_free_slot,
    free_slots,
)

TARGET_MS = 5.0
BERLIN = ZoneInfo("Europe/Berlin")
FIRST_DAY = date(2027, 3, 1)  # a Monday; the 8 weeks include the spring DST switch
WEEKS = 8
BOOKINGS = 300
MAX_PER_DAY = 10
MAX_PER_WEEK = 45

POLICY = SlotPolicy(
    tz="Europe/Berlin",
    durations_minutes=(30, 60, 90),
    buffer_before_minutes=10,
    buffer_after_minutes=10,
    min_notice_minutes=48 * 60,
    horizon_days=90,
    max_per_day=MAX_PER_DAY,
    max_per_week=MAX_PER_WEEK,
)
# Monday to Friday, morning and afternoon: 10 weekly windows.
WINDOWS = [
    WeeklyWindow(day, start, end)
    for day in range(5)
    for start, end in ((time(9), time(12, 30)), (time(13, 30), time(18)))
]
EXCEPTIONS = [
    ExceptionWindow(date(2027, 3, 26)),  # a holiday
    ExceptionWindow(date(2027, 4, 7), time(9), time(11)),
    ExceptionWindow(date(2027, 4, 10), time(10), time(14), kind="add"),  # a Saturday
]


def bookings(count: int, seed: int = 7) -> list[Busy]:
    """``count`` non-overlapping bookings (buffers included), 07:00-21:00 local, every day."""
    rng = random.Random(seed)
    taken: list[tuple[float, float]] = []
    result: list[Busy] = []
    pad = timedelta(minutes=POLICY.buffer_before_minutes + POLICY.buffer_after_minutes)
    while len(result) < count:
        day = FIRST_DAY + timedelta(days=rng.randrange(WEEKS * 7))
        start = datetime.combine(day, time(7), BERLIN) + timedelta(minutes=15 * rng.randrange(52))
        end = start + timedelta(minutes=rng.choice((30, 60)))
        a, b = (start - pad).timestamp(), (end + pad).timestamp()
        if any(x < b and a < y for x, y in taken):
            continue
        taken.append((start.timestamp(), end.timestamp()))
        result.append(Busy(start.astimezone(UTC), end.astimezone(UTC)))
    return result


def naive_free_slots(busy: list[Busy], **kwargs: object) -> list[Slot]:
    """The reference: candidate slots without bookings, then each checked against all of them."""
    unlimited = replace(POLICY, max_per_day=None, max_per_week=None)
    candidates = free_slots(busy=[], policy=unlimited, **kwargs)  # type: ignore[arg-type]
    before = POLICY.buffer_before_minutes * 60
    after = POLICY.buffer_after_minutes * 60
    ranges = [(b.start.timestamp() - before, b.end.timestamp() + after) for b in busy]
    days = [b.start.astimezone(BERLIN).date() for b in busy]
    result = []
    for slot in candidates:
        a, b = slot.start.timestamp() - before, slot.end.timestamp() + after
        if any(x < b and a < y for x, y in ranges):
            continue
        day = slot.start.date()
        if sum(d == day for d in days) >= MAX_PER_DAY:
            continue
        week = day.isocalendar()[:2]
        if sum(d.isocalendar()[:2] == week for d in days) >= MAX_PER_WEEK:
            continue
        result.append(slot)
    return result


def median_ms(run: Callable[[], object], repeat: int) -> float:
    run()  # warm the zoneinfo cache and the allocator
    times = []
    for _ in range(repeat):
        started = clock.perf_counter_ns()
        run()
        times.append(clock.perf_counter_ns() - started)
    return statistics.median(times) / 1e6


def main() -> int:
    args = parse_args(__doc__)
    repeat = 15 if args.smoke else 200
    busy = bookings(BOOKINGS)
    now = datetime.combine(FIRST_DAY, time(8), BERLIN) - timedelta(days=2)
    kwargs: dict[str, object] = {
        "windows": WINDOWS,
        "exceptions": EXCEPTIONS,
        "now": now,
        "start": now,
        "end": now + timedelta(weeks=WEEKS),
        "duration_minutes": 60,
    }

    def fast() -> list[Slot]:
        return free_slots(busy=busy, policy=POLICY, **kwargs)  # type: ignore[arg-type]

    def naive() -> list[Slot]:
        return naive_free_slots(busy, **kwargs)

    found = fast()
    if found != naive():
        print("free_slots and the naive reference disagree", file=sys.stderr)
        return 1
    # check_slot is timed on a free start, so it runs every check before saying yes.
    probe = found[len(found) // 2].start
    fast_ms = median_ms(fast, repeat)
    naive_ms = median_ms(naive, max(3, repeat // 10))
    earliest_ms = median_ms(
        lambda: earliest_free_slot(busy=busy, policy=POLICY, **kwargs),  # type: ignore[arg-type]
        repeat,
    )
    check_ms = median_ms(
        lambda: check_slot(
            windows=WINDOWS,
            exceptions=EXCEPTIONS,
            busy=busy,
            policy=POLICY,
            now=now,
            start=probe,
            duration_minutes=60,
        ),
        repeat,
    )
    rows = [
        Row(
            f"free_slots, {WEEKS} weeks, 10 windows, {BOOKINGS} bookings (median)",
            fast_ms,
            "ms",
            reference=naive_ms,
            target=TARGET_MS,
        ),
        Row("slots found", float(len(found)), "slots"),
        Row("earliest_free_slot, same expert (median)", earliest_ms, "ms", reference=fast_ms),
        Row("check_slot, one start (median)", check_ms, "ms", reference=fast_ms),
    ]
    emit(rows, as_json=args.json)
    if not args.json:
        print(
            f"\nreference: the same rules checking every slot against all {BOOKINGS} bookings; "
            f"{repeat} runs{' (smoke)' if args.smoke else ''}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
