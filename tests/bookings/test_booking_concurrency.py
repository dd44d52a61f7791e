"""Invariant 1 under real concurrency: threads with their own connections race for slots.

Runs on SQLite (serialised IMMEDIATE transactions) and, with DATABASE_URL, on PostgreSQL (row
lock on the expert, exclusion constraint); the raw-SQL test is PostgreSQL only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction

from bookings import services
from bookings.models import ConsultationBooking
from consult.models import Topic
from core.errors import Busy, Conflict, DomainError
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
MONDAY = date(2027, 6, 7)
THREADS = 50
ACTIVE = ("held", "requested", "confirmed")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _topic(db):  # type: ignore[no-untyped-def]
    """Transactional tests flush the migrations' topic rows; the factories need one."""
    Topic.objects.get_or_create(
        slug="youth-school", defaults={"name_de": "Jugend", "name_en": "Youth"}
    )


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BERLIN)


def race(calls: list[Callable[[], object]]) -> list[object]:
    """Run ``calls`` in threads released at once; each result is a value or the exception."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # collected and asserted on by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def overlapping_pairs() -> int:
    """Active bookings of one expert whose blocked ranges overlap (a SQL self-join)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT COUNT(*) FROM bookings_consultationbooking a
            JOIN bookings_consultationbooking b
              ON a.expert_id = b.expert_id AND a.id < b.id
             AND a.blocked_start < b.blocked_end AND b.blocked_start < a.blocked_end
            WHERE a.status IN (%s, %s, %s) AND b.status IN (%s, %s, %s)
            """,
            [*ACTIVE, *ACTIVE],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def scene(db):  # type: ignore[no-untyped-def]
    municipality = factories.MunicipalityFactory()
    staff = factories.staff_for(municipality)
    expert = factories.ExpertProfileFactory()
    requests = [
        factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality))
        for _ in range(THREADS)
    ]
    return staff, expert, requests


def book_call(staff, expert, request, start):  # type: ignore[no-untyped-def]
    return lambda: services.book(
        actor=staff,
        request_id=request.pk,
        expert_id=expert.pk,
        start=start,
        duration_minutes=60,
        now=NOW,
    )


def test_fifty_threads_booking_the_same_slot_exactly_one_wins(scene):
    staff, expert, requests = scene
    results = race([book_call(staff, expert, r, at(MONDAY, 10)) for r in requests])

    won = [r for r in results if isinstance(r, ConsultationBooking)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == 1, results
    assert len(lost) == THREADS - 1, [r for r in results if not isinstance(r, Conflict)]
    assert ConsultationBooking.objects.filter(status__in=ACTIVE).count() == 1
    assert overlapping_pairs() == 0


def test_fifty_threads_booking_adjacent_slots_leave_no_overlap(scene):
    staff, expert, requests = scene
    # 09:00 … 16:00 every 30 minutes: with 60 minutes and 15 minute buffers each side, many
    # neighbours collide through their buffers only.
    starts = [at(MONDAY, 9) + timedelta(minutes=30 * (i % 15)) for i in range(THREADS)]
    results = race([book_call(staff, expert, r, s) for r, s in zip(requests, starts, strict=True)])

    won = [r for r in results if isinstance(r, ConsultationBooking)]
    assert all(isinstance(r, ConsultationBooking | DomainError) for r in results), results
    assert 1 <= len(won) <= 5  # 90 blocked minutes each in a 9-17 day
    assert overlapping_pairs() == 0


def test_confirm_racing_cancel_exactly_one_wins(db):
    municipality = factories.MunicipalityFactory()
    staff = factories.staff_for(municipality)
    expert = factories.ExpertProfileFactory()
    bookings = [
        factories.ConsultationBookingFactory(
            expert=expert,
            request=factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality)),
            start=at(MONDAY, 9) + timedelta(hours=2 * i),
        )
        for i in range(4)
    ]
    for booking in bookings:
        results = race(
            [
                lambda b=booking: services.confirm(
                    actor=expert.user, booking_id=b.pk, sequence=0, now=NOW
                ),
                lambda b=booking: services.cancel(
                    actor=staff, booking_id=b.pk, sequence=0, now=NOW
                ),
            ]
        )
        won = [r for r in results if isinstance(r, ConsultationBooking)]
        assert len(won) == 1, results
        assert any(isinstance(r, Conflict) for r in results), results
        booking.refresh_from_db()
        assert booking.status == won[0].status
        assert booking.sequence == 1


def test_two_racing_confirmations_exactly_one_wins(db):
    expert = factories.ExpertProfileFactory()
    booking = factories.ConsultationBookingFactory(expert=expert, start=at(MONDAY, 10))
    results = race(
        [lambda: services.confirm(actor=expert.user, booking_id=booking.pk, now=NOW)] * 8
    )
    assert sum(isinstance(r, ConsultationBooking) for r in results) == 1, results
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(conflicts) == 7
    assert all(c.extra == {"status": "confirmed"} for c in conflicts)
    booking.refresh_from_db()
    assert booking.sequence == 1


@pytest.mark.postgres
def test_raw_sql_insert_of_an_overlapping_active_booking_fails_on_postgres(db):
    booking = factories.ConsultationBookingFactory(start=at(MONDAY, 10))
    columns = (
        'request_id, expert_id, start, "end", blocked_start, blocked_end, format, location, '
        "meeting_url, status, reason, uid, sequence, feedback_comment, created_at, updated_at"
    )
    sql = (
        f"INSERT INTO bookings_consultationbooking ({columns}) VALUES "  # noqa: S608
        "(%s, %s, %s, %s, %s, %s, 'online', '', '', %s, '', %s, 0, '', now(), now())"
    )
    start = at(MONDAY, 11)  # its buffer (10:45) overlaps the first booking's (until 11:15)
    args = [
        booking.request_id,
        booking.expert_id,
        start,
        start + timedelta(hours=1),
        start - timedelta(minutes=15),
        start + timedelta(minutes=75),
    ]
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [*args, "requested", "raw-1@test"])
    # Not active: allowed (a cancelled booking occupies nothing).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [*args, "cancelled", "raw-2@test"])
    assert overlapping_pairs() == 0


@pytest.mark.postgres
def test_lock_timeout_on_the_expert_becomes_busy(scene):
    staff, expert, requests = scene
    holder_ready, release = threading.Event(), threading.Event()

    def hold_the_expert_row() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM experts_expertprofile WHERE id = %s FOR UPDATE", [expert.pk]
                )
                holder_ready.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_expert_row)
    holder.start()
    try:
        assert holder_ready.wait(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
        with pytest.raises(Busy) as exc:
            book_call(staff, expert, requests[0], at(MONDAY, 10))()
        assert exc.value.status == 409 and exc.value.retry_after >= 1
    finally:
        release.set()
        holder.join()
    assert not ConsultationBooking.objects.exists()
