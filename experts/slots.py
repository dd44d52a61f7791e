"""Free consultation slots of one expert: the pure slot maths (no ORM, no I/O), shared by the
slots endpoint, the matcher and the booking check. Rules, DST and caller duties:
docs/architecture-experts.md, "Slots"."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import total_ordering
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = [
    "Busy",
    "ExceptionWindow",
    "Reason",
    "Slot",
    "SlotPolicy",
    "WeeklyWindow",
    "check_slot",
    "earliest_free_slot",
    "free_slots",
]

_DAY = 86_400

# (seconds of the local day) ranges: [start, end)
_Span = tuple[int, int]


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value!r}")


def _seconds_of_day(value: time, name: str) -> int:
    if value.tzinfo is not None:
        raise ValueError(f"{name} is a wall-clock time in the expert's zone; drop its tzinfo")
    return value.hour * 3600 + value.minute * 60 + value.second


def _span(start: time | None, end: time | None) -> _Span:
    a = 0 if start is None else _seconds_of_day(start, "start")
    b = _DAY if end is None else _seconds_of_day(end, "end")
    if a >= b:
        raise ValueError(f"window must end after it starts: {start} - {end}")
    return a, b


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """A recurring window on ``weekday`` (0 = Monday) in the expert's local time."""

    weekday: int
    start: time
    end: time
    valid_from: date | None = None
    valid_until: date | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday}")
        _span(self.start, self.end)

    def applies_on(self, day: date) -> bool:
        return (
            day.weekday() == self.weekday
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_until is None or day <= self.valid_until)
        )


@dataclass(frozen=True, slots=True)
class ExceptionWindow:
    """Time added to or blocked on one local date; no start/end means from/until midnight."""

    day: date
    start: time | None = None
    end: time | None = None
    kind: Literal["block", "add"] = "block"

    def __post_init__(self) -> None:
        if self.kind not in ("block", "add"):
            raise ValueError(f"kind must be 'block' or 'add', got {self.kind!r}")
        _span(self.start, self.end)


@dataclass(frozen=True, slots=True)
class Busy:
    """An active booking; its own stored buffers win over the policy's when given.

    ``counts_toward_limits`` is False for busy time that is not a consultation (an appointment
    in the expert's own calendar): it blocks slots but not the per-day and per-week limits.
    """

    start: datetime
    end: datetime
    buffer_before_minutes: int | None = None
    buffer_after_minutes: int | None = None
    counts_toward_limits: bool = True

    def __post_init__(self) -> None:
        _require_aware(self.start, "Busy.start")
        _require_aware(self.end, "Busy.end")
        # By instant: same-zone datetimes compare by wall clock, and an hour from 02:00 CEST
        # ends at 02:00 CET on the autumn night.
        if self.end.timestamp() <= self.start.timestamp():
            raise ValueError(f"booking must end after it starts: {self.start} - {self.end}")


@dataclass(frozen=True, slots=True)
class SlotPolicy:
    """An expert's booking rules; minutes unless the name says otherwise."""

    tz: str
    durations_minutes: tuple[int, ...]
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    min_notice_minutes: int = 0
    horizon_days: int | None = None
    max_per_day: int | None = None
    max_per_week: int | None = None
    step_minutes: int = 30

    def __post_init__(self) -> None:
        # Accept any iterable (a model's JSON list) but keep the policy hashable and immutable.
        object.__setattr__(self, "durations_minutes", tuple(self.durations_minutes))
        if any(d <= 0 for d in self.durations_minutes):
            raise ValueError(f"durations must be positive: {self.durations_minutes}")
        if self.step_minutes <= 0:
            raise ValueError(f"step_minutes must be positive, got {self.step_minutes}")
        for name in ("buffer_before_minutes", "buffer_after_minutes", "min_notice_minutes"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in ("horizon_days", "max_per_day", "max_per_week"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative")
        try:
            ZoneInfo(self.tz)
        except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"unknown time zone {self.tz!r}") from exc

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)  # cached by zoneinfo itself


@total_ordering
@dataclass(frozen=True, slots=True, eq=False)
class Slot:
    """A free slot; start/end are aware datetimes in the expert's zone."""

    start: datetime
    end: datetime

    # Same-zone datetimes compare by wall clock and ignore ``fold``, which would make the two
    # 02:00 slots of the autumn night equal; absolute time is what identifies a slot.
    def _key(self) -> tuple[float, float]:
        return self.start.timestamp(), self.end.timestamp()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Slot):
            return NotImplemented
        return self._key() == other._key()

    def __lt__(self, other: Slot) -> bool:
        if not isinstance(other, Slot):
            return NotImplemented
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())


class Reason(StrEnum):
    """Why ``check_slot`` refuses a start; the value is the API error code."""

    BAD_DURATION = "bad_duration"
    TOO_SOON = "too_soon"
    BEYOND_HORIZON = "beyond_horizon"
    OUTSIDE_AVAILABILITY = "outside_availability"
    OFF_GRID = "off_grid"
    DAY_LIMIT = "day_limit"
    WEEK_LIMIT = "week_limit"
    OVERLAPS = "overlaps"


# A merged window of one date in absolute seconds: its grid anchor and the pieces left after
# blocks.
_Window = tuple[int, list[_Span]]


class _Calendar:
    """The inputs prepared once per call: rules by weekday, exceptions by date, busy index."""

    def __init__(
        self,
        windows: Iterable[WeeklyWindow],
        exceptions: Iterable[ExceptionWindow],
        busy: Iterable[Busy],
        policy: SlotPolicy,
    ) -> None:
        self.policy = policy
        self.zone = policy.zone
        self.rules: list[list[tuple[WeeklyWindow, _Span]]] = [[] for _ in range(7)]
        for w in windows:
            self.rules[w.weekday].append((w, _span(w.start, w.end)))
        self.adds: dict[date, list[_Span]] = {}
        self.blocks: dict[date, list[_Span]] = {}
        for e in exceptions:
            target = self.adds if e.kind == "add" else self.blocks
            target.setdefault(e.day, []).append(_span(e.start, e.end))
        self._day_bases: dict[date, int | None] = {}
        self._index_busy(busy)

    def _index_busy(self, busy: Iterable[Busy]) -> None:
        busy = tuple(busy)  # read twice below; a generator would be empty the second time
        policy = self.policy
        default_before = policy.buffer_before_minutes * 60
        default_after = policy.buffer_after_minutes * 60
        ranges: list[tuple[float, float]] = []
        for b in busy:
            before = (
                default_before if b.buffer_before_minutes is None else b.buffer_before_minutes * 60
            )
            after = default_after if b.buffer_after_minutes is None else b.buffer_after_minutes * 60
            ranges.append((b.start.timestamp() - before, b.end.timestamp() + after))
        self.day_counts: Counter[date] = Counter()
        self.week_counts: Counter[tuple[int, int]] = Counter()
        if policy.max_per_day is not None or policy.max_per_week is not None:
            zone = self.zone
            self.day_counts.update(
                datetime.fromtimestamp(b.start.timestamp(), zone).date()
                for b in busy
                if b.counts_toward_limits
            )
            for day, n in self.day_counts.items():
                self.week_counts[_iso_week(day)] += n
        # Merged into disjoint ranges so one bisect answers "does anything overlap?".
        ranges.sort()
        starts: list[float] = []
        ends: list[float] = []
        for a, b in ranges:
            if ends and a <= ends[-1]:
                ends[-1] = max(ends[-1], b)
            else:
                starts.append(a)
                ends.append(b)
        self.busy_starts = starts
        self.busy_ends = ends

    def overlaps(self, start: float, end: float) -> bool:
        """Whether ``[start, end)`` overlaps a buffered booking."""
        i = bisect_left(self.busy_starts, end) - 1
        return i >= 0 and self.busy_ends[i] > start

    def at_limit(self, day: date) -> Reason | None:
        policy = self.policy
        if policy.max_per_day is not None and self.day_counts[day] >= policy.max_per_day:
            return Reason.DAY_LIMIT
        if (
            policy.max_per_week is not None
            and self.week_counts[_iso_week(day)] >= policy.max_per_week
        ):
            return Reason.WEEK_LIMIT
        return None

    def windows_on(self, day: date) -> list[_Window]:
        spans = [span for w, span in self.rules[day.weekday()] if w.applies_on(day)]
        spans.extend(self.adds.get(day, ()))
        if not spans:
            return []
        blocks = self.blocks.get(day, ())
        result: list[_Window] = []
        for merged in _merge(spans):
            pieces = _subtract(merged, blocks)
            if pieces:
                result.append(
                    (
                        self.resolve(day, merged[0]),
                        [(self.resolve(day, a), self.resolve(day, b)) for a, b in pieces],
                    )
                )
        return result

    def resolve(self, day: date, seconds: int) -> int:
        """The instant (Unix seconds) the wall clock of ``day`` first reads ``seconds``."""
        base = self._day_base(day)
        if base is not None:
            return base + seconds
        naive = datetime(day.year, day.month, day.day) + timedelta(seconds=seconds)
        first = int(naive.replace(tzinfo=self.zone).timestamp())  # fold=0: first occurrence
        if self._wall(first) == naive:
            return first
        # ``naive`` falls in a gap: fold=0 and fold=1 land on either side of the jump; the
        # answer is the jump itself, the first instant whose wall clock is past ``naive``.
        other = int(naive.replace(tzinfo=self.zone, fold=1).timestamp())
        lo, hi = min(first, other), max(first, other)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._wall(mid) >= naive:
                hi = mid
            else:
                lo = mid
        return hi

    def _wall(self, instant: int) -> datetime:
        return datetime.fromtimestamp(instant, self.zone).replace(tzinfo=None)

    def _day_base(self, day: date) -> int | None:
        """Unix seconds of local midnight if the whole day has one UTC offset, else None."""
        try:
            return self._day_bases[day]
        except KeyError:
            pass
        midnight = datetime(day.year, day.month, day.day, tzinfo=self.zone)
        next_midnight = midnight + timedelta(days=1)  # wall-clock arithmetic, as intended
        base: int | None = None
        # Equal offsets at both midnights: no transition that day (zones never switch twice a
        # day), so seconds of the day map to instants by plain addition -- the fast path.
        if midnight.utcoffset() == next_midnight.utcoffset():
            base = int(midnight.timestamp())
        self._day_bases[day] = base
        return base

    def local_date(self, instant: float) -> date:
        return datetime.fromtimestamp(instant, self.zone).date()

    def second_pass(self, day: date, instant: int) -> bool:
        """Whether ``instant`` (on local ``day``) reads a wall time the clock already showed
        that day: the repeated hour after the autumn switch (fold=1)."""
        if self._day_base(day) is not None:
            return False  # no switch that day: every wall time occurs once
        return datetime.fromtimestamp(instant, self.zone).fold == 1


def _iso_week(day: date) -> tuple[int, int]:
    iso = day.isocalendar()
    return iso.year, iso.week


def _merge(spans: list[_Span]) -> list[_Span]:
    spans = sorted(spans)
    merged = [spans[0]]
    for a, b in spans[1:]:
        last_a, last_b = merged[-1]
        if a <= last_b:  # touching windows are continuous availability
            merged[-1] = (last_a, max(last_b, b))
        else:
            merged.append((a, b))
    return merged


def _subtract(span: _Span, blocks: Iterable[_Span]) -> list[_Span]:
    pieces = [span]
    for x, y in blocks:
        pieces = [
            part
            for a, b in pieces
            for part in ((a, min(b, x)), (max(a, y), b))
            if part[0] < part[1]
        ]
    return pieces


def _iter_free(
    cal: _Calendar,
    *,
    now: datetime,
    start: datetime,
    end: datetime,
    duration_minutes: int,
) -> Iterator[Slot]:
    for name, value in (("now", now), ("start", start), ("end", end)):
        _require_aware(value, name)
    if duration_minutes <= 0:
        raise ValueError(f"duration_minutes must be positive, got {duration_minutes}")
    policy = cal.policy
    if duration_minutes not in policy.durations_minutes:
        return
    zone = cal.zone
    duration = duration_minutes * 60
    step = policy.step_minutes * 60
    before = policy.buffer_before_minutes * 60
    after = policy.buffer_after_minutes * 60
    now_ts = now.timestamp()
    earliest = max(start.timestamp(), now_ts + policy.min_notice_minutes * 60)
    latest = end.timestamp() - duration  # latest start that still fits the range
    if policy.horizon_days is not None:
        latest = min(latest, now_ts + policy.horizon_days * _DAY)
    if latest < earliest:
        return
    day = cal.local_date(earliest)
    last_day = cal.local_date(latest)
    one_day = timedelta(days=1)
    while day <= last_day:
        if cal.at_limit(day) is None:
            for anchor, pieces in cal.windows_on(day):
                for piece_start, piece_end in pieces:
                    first = max(piece_start, earliest)
                    s = anchor + math.ceil((first - anchor) / step) * step
                    stop = min(piece_end - duration, latest)
                    while s <= stop:
                        if not cal.overlaps(
                            s - before, s + duration + after
                        ) and not cal.second_pass(day, s):
                            yield Slot(
                                datetime.fromtimestamp(s, zone),
                                datetime.fromtimestamp(s + duration, zone),
                            )
                        s += step
        day += one_day


def free_slots(
    *,
    windows: Iterable[WeeklyWindow],
    exceptions: Iterable[ExceptionWindow],
    busy: Iterable[Busy],
    policy: SlotPolicy,
    now: datetime,
    start: datetime,
    end: datetime,
    duration_minutes: int,
) -> list[Slot]:
    """All free slots of ``duration_minutes`` inside ``[start, end)``, in time order."""
    cal = _Calendar(windows, exceptions, busy, policy)
    return list(_iter_free(cal, now=now, start=start, end=end, duration_minutes=duration_minutes))


def earliest_free_slot(
    *,
    windows: Iterable[WeeklyWindow],
    exceptions: Iterable[ExceptionWindow],
    busy: Iterable[Busy],
    policy: SlotPolicy,
    now: datetime,
    start: datetime,
    end: datetime,
    duration_minutes: int,
) -> Slot | None:
    """The first slot ``free_slots`` would return, computed lazily (stops at the first)."""
    cal = _Calendar(windows, exceptions, busy, policy)
    slots = _iter_free(cal, now=now, start=start, end=end, duration_minutes=duration_minutes)
    return next(slots, None)


def check_slot(
    *,
    windows: Iterable[WeeklyWindow],
    exceptions: Iterable[ExceptionWindow],
    busy: Iterable[Busy],
    policy: SlotPolicy,
    now: datetime,
    start: datetime,
    duration_minutes: int,
) -> Reason | None:
    """Why a booking at ``start`` is not possible, or None if it is a free slot.

    Agrees with ``free_slots``: ``None`` exactly when the slot is in ``free_slots`` for any range
    containing it. Reasons are checked in the order of ``Reason``, so the caller gets the most
    fundamental one (a bad duration before a full day).
    """
    _require_aware(now, "now")
    _require_aware(start, "start")
    if duration_minutes not in policy.durations_minutes:
        return Reason.BAD_DURATION
    cal = _Calendar(windows, exceptions, busy, policy)
    now_ts = now.timestamp()
    s = start.timestamp()
    duration = duration_minutes * 60
    if s < now_ts + policy.min_notice_minutes * 60:
        return Reason.TOO_SOON
    if policy.horizon_days is not None and s > now_ts + policy.horizon_days * _DAY:
        return Reason.BEYOND_HORIZON
    day = cal.local_date(s)
    anchors = [
        anchor
        for anchor, pieces in cal.windows_on(day)
        for a, b in pieces
        if a <= s and s + duration <= b
    ]
    if not anchors:
        return Reason.OUTSIDE_AVAILABILITY
    if all((s - anchor) % (policy.step_minutes * 60) for anchor in anchors):
        return Reason.OFF_GRID
    if cal.second_pass(day, int(s)):
        return Reason.OFF_GRID  # offered at the first occurrence of that wall time
    limit = cal.at_limit(day)
    if limit is not None:
        return limit
    before = policy.buffer_before_minutes * 60
    after = policy.buffer_after_minutes * 60
    if cal.overlaps(s - before, s + duration + after):
        return Reason.OVERLAPS
    return None
