"""Events moved from bookings/ to their own app without losing a row (issue 16)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

# The events app at its first, state-only migration: its later ones add columns to the tables
# the old models write (topics, target groups, language), which the old schema does not have.
BEFORE = [
    ("bookings", "0004_booking_room"),
    ("consult", "0002_topics"),
    ("events", "0001_initial"),
]


@pytest.mark.django_db(transaction=True)
def test_events_and_registrations_written_in_the_old_schema_are_all_there_after_the_move() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    OldEvent = old.get_model("bookings", "Event")
    OldSession = old.get_model("bookings", "EventSession")
    OldRegistration = old.get_model("bookings", "Registration")
    now = timezone.now()
    events = [
        OldEvent.objects.create(
            kind="seminar",
            title_de=f"Seminar {n}",
            capacity=10,
            registration_opens=now - timedelta(days=1),
            registration_closes=now + timedelta(days=5),
            status="published",
            uid=f"old-{n}@example.org",
            sequence=n,
        )
        for n in range(3)
    ]
    for event in events:
        OldSession.objects.create(
            event=event, start=now + timedelta(days=7), end=now + timedelta(days=7, hours=2)
        )
        for n, status in enumerate(["confirmed", "pending", "waitlisted", "cancelled"]):
            OldRegistration.objects.create(
                event=event,
                name=f"Person {n}",
                email=f"p{n}-{event.pk}@example.org",
                status=status,
                holds_seat=status in ("confirmed", "pending"),
                token=f"t{n}-{event.pk}",
                consent_at=now,
            )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from events.models import Event, EventSession, Registration

    assert sorted(Event.objects.values_list("uid", "sequence")) == [
        (f"old-{n}@example.org", n) for n in range(3)
    ]
    assert EventSession.objects.count() == 3
    assert Registration.objects.count() == 12
    assert set(Registration.objects.values_list("status", flat=True)) == {
        "cancelled",
        "confirmed",
        "pending",
        "waitlisted",
    }
    first = Event.objects.get(uid="old-0@example.org")
    assert first.registrations.filter(status="confirmed").get().token == f"t0-{first.pk}"
