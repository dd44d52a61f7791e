"""core.locking: a row lock only inside a transaction, a lock timeout is the one Busy (409)."""

from __future__ import annotations

import pytest
from django.db import OperationalError, transaction

from core import locking
from core.errors import Busy
from events.models import Event
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_lock_outside_a_transaction_is_refused_before_any_query(
    django_assert_num_queries, monkeypatch
):
    event = factories.EventFactory()
    # pytest-django wraps each test in a transaction; step outside it as a caller would be.
    connection = transaction.get_connection()
    monkeypatch.setattr(connection, "in_atomic_block", False)
    with django_assert_num_queries(0), pytest.raises(RuntimeError, match="transaction"):
        locking.lock(Event.objects.filter(pk=event.pk))


def test_a_lock_inside_a_transaction_returns_the_row_or_none():
    event = factories.EventFactory()
    with transaction.atomic():
        assert locking.lock(Event.objects.filter(pk=event.pk)) == event
        assert locking.lock(Event.objects.filter(pk=0)) is None
        assert locking.lock(Event.objects.filter(pk=2**70)) is None  # beyond a bigint


class _Driver(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__("driver")
        self.sqlstate = sqlstate


def _operational(message: str, sqlstate: str | None = None) -> OperationalError:
    error = OperationalError(message)
    error.__cause__ = _Driver(sqlstate)
    return error


@pytest.mark.parametrize(
    ("error", "busy"),
    [
        (_operational("canceling statement due to lock timeout", "55P03"), True),
        (_operational("database is locked"), True),
        (_operational("canceling statement due to statement timeout", "57014"), False),
        (_operational("server closed the connection unexpectedly"), False),
    ],
)
def test_only_a_lock_timeout_becomes_busy_with_retry_after(error, busy):
    assert locking.is_lock_timeout(error) is busy
    with pytest.raises(Busy if busy else OperationalError) as info, locking.busy_on_lock_timeout():
        raise error
    if busy:
        assert info.value.status == 409 and info.value.code == "busy"
        assert info.value.retry_after == locking.RETRY_AFTER_SECONDS


def test_bookings_and_events_say_busy_in_the_same_words():
    from bookings import services as booking_services

    with pytest.raises(Busy) as from_bookings, booking_services._database_refusals():
        raise _operational("canceling statement due to lock timeout", "55P03")
    with pytest.raises(Busy) as from_locking, locking.busy_on_lock_timeout():
        raise _operational("canceling statement due to lock timeout", "55P03")
    assert from_bookings.value.message == from_locking.value.message
    assert from_bookings.value.retry_after == from_locking.value.retry_after
