"""Invariant 1 with counter-proposals under real concurrency: a held proposed slot and a booking
(or two proposals) never take the same time; acceptance never deadlocks against a cancellation.

Threads with their own connections on PostgreSQL (row locks on the expert and the booking).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from bookings import proposals, services
from bookings.models import BookingProposal, ConsultationBooking, ProposedSlot
from core.errors import Conflict, DomainError, Invalid
from tests import factories
from tests.bookings.test_booking_concurrency import (  # noqa: F401 (_topic: autouse fixture)
    MONDAY,
    NOW,
    _topic,
    at,
    book_call,
    race,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
ROUNDS = 6
ACTIVE = ("held", "requested", "confirmed")


def clashes() -> int:
    """Held proposed slots that overlap an active booking of another consultation or another
    open proposal's slot of the same expert (blocked ranges, buffers included)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT
              (SELECT COUNT(*) FROM bookings_proposedslot s
                 JOIN bookings_bookingproposal p ON p.id = s.proposal_id AND p.status = 'open'
                 JOIN bookings_consultationbooking b
                   ON b.expert_id = s.expert_id AND b.id <> p.booking_id
                  AND b.status IN (%s, %s, %s)
                  AND b.blocked_start < s.blocked_end AND s.blocked_start < b.blocked_end)
            + (SELECT COUNT(*) FROM bookings_proposedslot s
                 JOIN bookings_bookingproposal p ON p.id = s.proposal_id AND p.status = 'open'
                 JOIN bookings_proposedslot t ON t.expert_id = s.expert_id AND t.id > s.id
                 JOIN bookings_bookingproposal q ON q.id = t.proposal_id AND q.status = 'open'
                  AND q.booking_id <> p.booking_id
                  AND t.blocked_start < s.blocked_end AND s.blocked_start < t.blocked_end)
            """,
            ACTIVE,
        )
        return cursor.fetchone()[0]


@pytest.fixture
def scene(db):  # type: ignore[no-untyped-def]
    expert = factories.ExpertProfileFactory()
    first = factories.MunicipalityFactory()
    staff = factories.staff_for(first)
    bookings = [
        services.book(
            actor=staff,
            request_id=factories.RequestFactory(plan=factories.PlanFactory(municipality=first)).pk,
            expert_id=expert.pk,
            start=at(MONDAY + timedelta(days=7 * week), 9),
            duration_minutes=60,
            now=NOW,
        )
        for week in range(2)
    ]
    other = factories.MunicipalityFactory()
    rival = factories.staff_for(other)
    requests = [
        factories.RequestFactory(plan=factories.PlanFactory(municipality=other))
        for _ in range(ROUNDS * 5)
    ]
    return expert, staff, bookings, rival, requests


def test_a_booking_racing_a_proposal_for_the_same_time_exactly_one_wins(scene):
    expert, _staff, bookings, rival, requests = scene
    booked_wins = 0
    for round_ in range(ROUNDS):
        start = at(MONDAY, 11) + timedelta(days=round_ % 4, hours=2 * (round_ // 4))
        request = requests[round_]
        results = race(
            [
                lambda s=start: proposals.propose(
                    actor=expert.user, booking_id=bookings[0].pk, starts=[s], now=NOW
                ),
                book_call(rival, expert, request, start),
            ]
        )
        proposed, booked = results
        won = [r for r in results if isinstance(r, BookingProposal | ConsultationBooking)]
        assert len(won) == 1, results
        if isinstance(proposed, BookingProposal):
            # The booking lost to the held slot: "Termin nicht mehr frei".
            assert isinstance(booked, Conflict) and booked.code == "slot_taken", booked
            assert ProposedSlot.objects.filter(start=start, proposal__status="open").exists()
        else:
            assert isinstance(proposed, Invalid) and proposed.code == "slot_taken", proposed
            assert isinstance(booked, ConsultationBooking)
            booked_wins += 1
        assert clashes() == 0
    active = ConsultationBooking.objects.filter(expert=expert, status__in=ACTIVE)
    assert active.count() == len(bookings) + booked_wins


def test_ten_bookings_racing_one_proposal_leave_the_time_to_exactly_one(scene):
    expert, _staff, bookings, rival, requests = scene
    start = at(MONDAY, 14)
    calls = [
        lambda: proposals.propose(
            actor=expert.user, booking_id=bookings[0].pk, starts=[start], now=NOW
        )
    ] + [book_call(rival, expert, request, start) for request in requests[:10]]
    results = race(calls)
    won = [r for r in results if isinstance(r, BookingProposal | ConsultationBooking)]
    assert len(won) == 1, results
    assert all(isinstance(r, DomainError) for r in results if r not in won), results
    assert clashes() == 0


def test_two_proposals_racing_for_the_same_time_exactly_one_holds_it(scene):
    expert, _staff, bookings, _rival, _requests = scene
    for round_ in range(ROUNDS):
        start = at(MONDAY, 11) + timedelta(days=1 + round_ % 4, hours=2 * (round_ // 4))
        results = race(
            [
                lambda b=booking, s=start: proposals.propose(
                    actor=expert.user, booking_id=b.pk, starts=[s], now=NOW
                )
                for booking in bookings
            ]
        )
        won = [r for r in results if isinstance(r, BookingProposal)]
        assert len(won) == 1, results
        assert ProposedSlot.objects.filter(start=start, proposal__status="open").count() == 1
        assert clashes() == 0


def test_accepting_racing_a_cancellation_exactly_one_wins_without_deadlock(scene):
    """Both lock the booking before the proposal, so neither waits for the other in a cycle;
    the cancellation names the SEQUENCE it saw, so after an acceptance it loses (409)."""
    expert, staff, bookings, _rival, _requests = scene
    municipality_id = bookings[0].request.plan.municipality_id
    booking = bookings[0]
    for round_ in range(ROUNDS):
        start = at(MONDAY, 13) + timedelta(days=1 + round_ % 4, hours=2 * (round_ // 4))
        proposals.propose(actor=expert.user, booking_id=booking.pk, starts=[start], now=NOW)
        seen = ConsultationBooking.objects.get(pk=booking.pk).sequence
        results = race(
            [
                lambda s=start, b=booking: proposals.accept_proposal(
                    actor=staff, booking_id=b.pk, start=s, now=NOW
                ),
                lambda b=booking, q=seen: services.cancel(
                    actor=staff, booking_id=b.pk, sequence=q, now=NOW
                ),
            ]
        )
        accepted, cancelled = results
        won = [r for r in results if isinstance(r, ConsultationBooking)]
        assert len(won) == 1 and all(isinstance(r, ConsultationBooking | Conflict) for r in results)
        booking.refresh_from_db()
        proposal = BookingProposal.objects.filter(booking=booking).first()
        if isinstance(accepted, ConsultationBooking):
            assert (booking.status, booking.start, proposal.status) == (
                "confirmed",
                start,
                "accepted",
            )
        else:
            assert isinstance(cancelled, ConsultationBooking)
            assert (booking.status, proposal.status) == ("cancelled", "withdrawn")
            booking = services.book(  # the next round on a fresh consultation
                actor=staff,
                request_id=factories.RequestFactory(
                    plan=factories.PlanFactory(municipality_id=municipality_id)
                ).pk,
                expert_id=expert.pk,
                start=at(MONDAY, 9) + timedelta(days=1 + round_ % 4),
                duration_minutes=60,
                now=NOW,
            )
        assert clashes() == 0
