"""Invariant 2 under real concurrency: never more seat holders than capacity, the waiting list
in arrival order (the commit order of the reservations). On PostgreSQL the event row lock
decides; on SQLite the IMMEDIATE transactions serialise the writers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from core.errors import Busy
from events import registration as registering
from events.models import Registration
from tests import factories

# PostgreSQL allows 100 connections here, shared with other test processes: 40 threads each
# sending 5 registrations make 200 that race with at most 40 connections.
PG_THREADS = 40


def _retrying(call: Callable[[], object]) -> object:
    for _ in range(50):
        try:
            return call()
        except Busy:
            time.sleep(0.05)
    raise AssertionError("still busy after 50 tries")


def _run_together(jobs: list[Callable[[], object]], threads: int) -> list[object]:
    """Run `jobs` on `threads` threads released together by a barrier."""
    barrier = threading.Barrier(threads)
    chunks = [jobs[i::threads] for i in range(threads)]

    def worker(chunk: list[Callable[[], object]]) -> list[object]:
        try:
            barrier.wait()
            return [_retrying(job) for job in chunk]
        finally:
            connection.close()

    with ThreadPoolExecutor(threads) as pool:
        return [r for results in pool.map(worker, chunks) for r in results]


def _register(event_id: int, n: int) -> Callable[[], object]:
    return lambda: registering.register(
        event_id=event_id, name=f"Person {n}", email=f"p{n}@race.example", consent=True
    )


def _assert_race_outcome(event, total: int, capacity: int) -> None:
    rows = list(Registration.objects.filter(event=event).order_by("created_at", "id"))
    assert len(rows) == total
    holders = [r for r in rows if r.holds_seat]
    assert len(holders) == capacity
    # The first `capacity` arrivals hold the seats; everybody after them waits, in order.
    assert all(r.holds_seat for r in rows[:capacity])
    assert not any(r.holds_seat for r in rows[capacity:])
    # Arrival order is commit order: ids (taken under the lock) agree with created_at.
    assert [r.pk for r in rows] == sorted(r.pk for r in rows)
    from events.selectors import waitlist_position

    positions = [waitlist_position(r) for r in rows[capacity:]]
    assert positions == list(range(1, total - capacity + 1))
    # The e-mails, rendered before the lock on a guess, tell each the outcome they got.
    from notifications.models import Notification

    bodies = dict(
        Notification.objects.filter(kind="event.registration_received").values_list(
            "recipient", "body_text"
        )
    )
    for row in rows[:capacity]:
        assert "Wir haben Ihnen einen Platz reserviert" in bodies[row.email]
    for position, row in enumerate(rows[capacity:], 1):
        assert f"Platz {position} auf der Warteliste" in bodies[row.email]
    assert not any("position-" in body for body in bodies.values())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_200_registrations_race_for_20_places_on_postgres():
    event = factories.EventFactory(capacity=20)
    outcomes = _run_together([_register(event.pk, n) for n in range(200)], PG_THREADS)
    assert all(o.created for o in outcomes)
    _assert_race_outcome(event, 200, 20)
    assert sum(1 for o in outcomes if o.position is None) == 20
    assert sorted(o.position for o in outcomes if o.position) == list(range(1, 181))


@pytest.mark.django_db(transaction=True)
def test_registrations_race_for_places_on_sqlite_too():
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant of the race")
    event = factories.EventFactory(capacity=10)
    _run_together([_register(event.pk, n) for n in range(60)], 12)
    _assert_race_outcome(event, 60, 10)


def _cancellations_race_registrations(threads: int) -> None:
    capacity = 20
    event = factories.EventFactory(capacity=capacity)
    tokens = []
    for n in range(40):  # 20 seats taken, 20 confirmed on the waiting list
        registration = registering.register(
            event_id=event.pk, name=f"Early {n}", email=f"early{n}@race.example", consent=True
        ).registration
        tokens.append(registering.confirm(token=registration.token).token)
    over: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        try:
            while not stop.is_set():
                taken = Registration.objects.filter(
                    event=event, holds_seat=True, status__in=["pending", "confirmed"]
                ).count()
                if taken > capacity:
                    over.append(taken)
        finally:
            connection.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        cancels = [(lambda token=token: registering.cancel(token=token)) for token in tokens[::2]]
        registers = [_register(event.pk, 1000 + n) for n in range(20)]
        _run_together(
            [job for pair in zip(cancels, registers, strict=True) for job in pair], threads
        )
    finally:
        stop.set()
        watcher.join()
    assert not over
    live = Registration.objects.filter(
        event=event, status__in=["pending", "confirmed", "waitlisted"]
    )
    assert live.filter(holds_seat=True).count() == capacity  # full: the line is long enough
    # Nobody waits while a seat is free, and the seats went to the earliest in line.
    waiting = list(live.filter(holds_seat=False).order_by("created_at", "id"))
    holders = list(live.filter(holds_seat=True).order_by("created_at", "id"))
    assert max(h.created_at for h in holders) <= min(w.created_at for w in waiting)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cancellations_racing_new_registrations_never_exceed_capacity_on_postgres():
    _cancellations_race_registrations(PG_THREADS)


@pytest.mark.django_db(transaction=True)
def test_cancellations_racing_new_registrations_never_exceed_capacity_on_sqlite():
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant of the race")
    _cancellations_race_registrations(10)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_event_lock_not_had_within_lock_timeout_is_busy_and_writes_nothing(monkeypatch):
    from datetime import timedelta

    from django.db import transaction

    from core import locking
    from events.models import Event

    event = factories.EventFactory(capacity=5)
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        try:
            with transaction.atomic():
                Event.objects.select_for_update().get(pk=event.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(10)
        # The lock's own timeout (SET LOCAL), not the connection's, bounds the wait.
        monkeypatch.setattr(locking, "LOCK_TIMEOUT", timedelta(milliseconds=100))
        started = time.monotonic()
        with pytest.raises(Busy) as info:
            _register(event.pk, 1)()
        assert time.monotonic() - started < 3
        assert info.value.retry_after == 1 and info.value.code == "busy"
    finally:
        release.set()
        holder.join()
        connection.close()
    assert not Registration.objects.filter(event=event).exists()
    assert _register(event.pk, 1)().created  # once the lock is free
