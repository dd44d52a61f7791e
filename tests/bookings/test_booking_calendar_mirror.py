"""A confirmed consultation appears in the expert's own CalDAV calendar and goes on cancel."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import caldav
import pytest
from django.utils import timezone

from bookings import services
from experts import calendars
from tests import factories
from tests.experts.radicale_server import USERS, Radicale, radicale  # noqa: F401


def _entries(calendar: caldav.Calendar, uid: str) -> list[Any]:
    return [e for e in calendar.events() if str(e.icalendar_component["UID"]) == uid]


@pytest.mark.caldav
@pytest.mark.django_db(transaction=True)
def test_confirmed_booking_is_written_to_the_experts_calendar_and_removed_on_cancel(
    radicale: Radicale,  # noqa: F811
    settings: Any,
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client = caldav.DAVClient(url=radicale.principal("bob"), username="bob", password=USERS["bob"])
    work = client.principal().make_calendar(name="Beratungen Bob")
    booking = factories.ConsultationBookingFactory(
        start=timezone.now().replace(microsecond=0) + timedelta(days=9)
    )
    calendars.connect_calendar(
        expert_id=booking.expert_id,
        kind="caldav",
        url=str(work.url),
        username="bob",
        password=USERS["bob"],
    )

    confirmed = services.confirm(actor=booking.expert.user, booking_id=booking.pk)

    [entry] = _entries(work, booking.uid)
    stored = entry.icalendar_component
    assert stored.decoded("DTSTART") == confirmed.start
    assert int(stored["SEQUENCE"]) == confirmed.sequence
    assert confirmed.request.plan.municipality.name in str(stored["SUMMARY"])

    services.cancel(actor=booking.expert.user, booking_id=booking.pk, reason="Krank")
    assert _entries(work, booking.uid) == []
