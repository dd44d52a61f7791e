"""One definition of "seats taken" and "in line": the model's status sets, as queries and as
row predicates, agree on every status, and every reader (list, detail, counts, participants,
waiting-list position, the registration's decision) uses them, lapsed holds included."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from events import registration as registering
from events import selectors, waitinglist
from events.models import Registration
from tests import factories

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
# Every status, with and without a seat, and (for the hold) before, at and after its expiry.
EXPIRIES = (None, NOW - timedelta(hours=1), NOW, NOW + timedelta(hours=1))
CASES = list(itertools.product(Registration.Status.values, (True, False), EXPIRIES))


def _rows(event) -> list[Registration]:  # type: ignore[no-untyped-def]
    return Registration.objects.bulk_create(
        [
            Registration(
                event=event,
                name=f"P {n}",
                email=f"p{n}@example.org",
                status=status,
                holds_seat=holds_seat,
                hold_expires_at=expires,
                consent_at=NOW,
            )
            for n, (status, holds_seat, expires) in enumerate(CASES)
        ]
    )


def test_status_set_queries_and_row_predicates_agree_on_every_status():
    event = factories.EventFactory(capacity=1000)
    # The partial unique index allows one live registration per address; these rows differ
    # by address, so every combination can stand side by side.
    rows = {row.pk: row for row in _rows(event)}
    sets = {
        "live": (Registration.q_live, Registration.is_live),
        "holds_seat": (Registration.q_holds_seat, Registration.is_holding_seat),
        "in_line": (Registration.q_in_line, Registration.is_in_line),
        "lapsed": (Registration.q_lapsed, Registration.is_lapsed),
    }
    for name, (query, predicate) in sets.items():
        by_query = set(
            Registration.objects.filter(query(NOW), event=event).values_list("pk", flat=True)
        )
        by_row = {pk for pk, row in rows.items() if predicate(row, NOW)}
        assert by_query == by_row, name
    # What the sets mean, spelt out.
    live = {(r.status, r.holds_seat, r.hold_expires_at) for r in rows.values() if r.is_live(NOW)}
    assert {status for status, _seat, _expires in live} == set(Registration.LIVE)
    assert ("pending", True, NOW) not in live  # a hold lapses at its expiry
    assert ("pending", True, NOW + timedelta(hours=1)) in live
    assert ("confirmed", True, NOW - timedelta(hours=1)) in live  # expiry is for holds only
    assert not any(r.is_live(NOW) for r in rows.values() if r.status in ("cancelled", "expired"))


def test_the_aggregate_counts_agree_with_the_sets_row_by_row():
    event = factories.EventFactory(capacity=1000)
    rows = _rows(event)
    counts = selectors.registration_counts(event.pk, email="p0@example.org", now=NOW)
    assert counts["seats"] == sum(r.is_holding_seat(NOW) for r in rows)
    assert counts["line"] == sum(r.is_in_line(NOW) for r in rows)
    assert counts["lapsed"] == sum(r.is_lapsed(NOW) for r in rows)
    assert counts["mine"] == int(rows[0].is_live(NOW))
    assert waitinglist.seats_taken(event, now=NOW) == counts["seats"]
    coordinator = factories.coordinator()
    annotated = selectors.events_for(coordinator, now=NOW).get(pk=event.pk)
    assert (annotated.seats_taken, annotated.line_length) == (counts["seats"], counts["line"])
    row = selectors.event_row(coordinator, event.pk, now=NOW)
    assert (row["seats_taken"], row["line_length"]) == (counts["seats"], counts["line"])


def _hold(event, n: int, *, holds_seat: bool, expires):  # type: ignore[no-untyped-def]
    return Registration.objects.create(
        event=event,
        name=f"Person {n}",
        email=f"person{n}@gemeinde.example",
        status="pending",
        holds_seat=holds_seat,
        hold_expires_at=expires,
        consent_at=NOW - timedelta(days=2),
    )


def test_a_lapsed_hold_takes_no_seat_anywhere_and_its_seat_goes_to_the_first_in_line():
    """Between a hold's lapse and the sweep: every reader says the same. The lapsed seat is
    not taken, but it is not free for a newcomer either: the first in line gets it."""
    event = factories.EventFactory(capacity=2)
    lapsed = _hold(event, 1, holds_seat=True, expires=NOW - timedelta(minutes=1))
    _hold(event, 2, holds_seat=True, expires=NOW + timedelta(hours=1))
    waiting = _hold(event, 3, holds_seat=False, expires=NOW + timedelta(hours=1))

    counts = selectors.registration_counts(event.pk, email=lapsed.email, now=NOW)
    assert (counts["seats"], counts["line"], counts["lapsed"], counts["mine"]) == (1, 1, 1, 0)
    assert selectors.waitlist_position(lapsed, now=NOW) is None
    assert selectors.waitlist_position(waiting, now=NOW) == 1
    positions = {r.pk: r.position for r in selectors.participants(event, now=NOW)}
    assert positions[lapsed.pk] is None and positions[waiting.pk] == 1
    # The list, the detail and the page: one seat free in figures, but it is the waiting
    # person's, so nothing is left for a newcomer and one is still in line.
    annotated = selectors.events_for(AnonymousUser(), now=NOW).get(pk=event.pk)
    assert selectors.seats_left(annotated) == 0
    assert selectors.seat_figures(2, counts["seats"], counts["line"]) == (0, 0)

    newcomer = registering.register(
        event_id=event.pk, name="Neu", email="neu@gemeinde.example", consent=True, now=NOW
    )
    lapsed.refresh_from_db()
    waiting.refresh_from_db()
    assert lapsed.status == "expired" and not lapsed.holds_seat
    assert waiting.holds_seat  # promoted into the lapsed seat
    assert not newcomer.registration.holds_seat and newcomer.position == 1


def test_seat_figures_show_what_a_newcomer_would_get():
    assert selectors.seat_figures(10, 4, 0) == (6, 0)
    assert selectors.seat_figures(10, 10, 3) == (0, 3)
    assert selectors.seat_figures(10, 9, 3) == (0, 2)  # a lapsed seat goes to the line
    assert selectors.seat_figures(10, 5, 2) == (3, 0)
    assert selectors.seat_figures(3, 5, 0) == (0, 0)


def test_the_same_address_with_a_lapsed_hold_registers_anew():
    start = NOW - timedelta(hours=settings.REGISTRATION_HOLD_HOURS + 1)
    event = factories.EventFactory(capacity=5, registration_opens=start - timedelta(days=1))
    first = registering.register(
        event_id=event.pk, name="A", email="a@example.org", consent=True, now=start
    )
    again = registering.register(
        event_id=event.pk, name="A", email="a@example.org", consent=True, now=NOW
    )
    assert again.created and again.registration.pk != first.registration.pk
    first.registration.refresh_from_db()
    assert first.registration.status == "expired"
    assert Registration.objects.live(NOW).filter(event=event).count() == 1
