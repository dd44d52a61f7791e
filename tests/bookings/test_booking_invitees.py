"""Who holds a booking's invitation: whoever drops off it gets a CANCEL for their copy."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar

from bookings import services
from bookings.models import ConsultationBooking
from notifications.models import Notification
from tests import factories
from tests.ics_rules import assert_valid_invitation

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
MONDAY = date(2027, 6, 7)


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), BERLIN)


def rows(booking: ConsultationBooking, kind: str) -> dict[str, Notification]:
    return {
        row.recipient: row
        for row in Notification.objects.filter(
            kind=f"booking_{kind}", dedup_key__startswith=f"booking:{booking.pk}:"
        )
    }


def attendees_of(row: Notification) -> list[str]:
    (event,) = icalendar.Calendar.from_ical(row.ics).walk("VEVENT")
    found = event.get("ATTENDEE", [])
    found = found if isinstance(found, list) else [found]
    return [str(address).removeprefix("mailto:") for address in found]


def test_an_old_contact_gets_a_cancel_for_their_copy_when_the_contact_changes(
    staff_user, municipality, expert
):
    request = factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality))
    old = municipality.contact_email
    booking = services.book(
        actor=staff_user,
        request_id=request.pk,
        expert_id=expert.pk,
        start=at(MONDAY, 10),
        duration_minutes=60,
        now=NOW,
    )
    assert old in rows(booking, "requested")
    booking.refresh_from_db()
    assert old in booking.invited

    municipality.contact_email = "neu@gemeinde.example"
    municipality.save()
    confirmed = services.confirm(actor=expert.user, booking_id=booking.pk, now=NOW)

    assert old not in rows(booking, "confirmed")
    assert "neu@gemeinde.example" in rows(booking, "confirmed")
    (cancel,) = rows(booking, "uninvited").values()
    assert cancel.recipient == old
    assert cancel.ics_method == "CANCEL"
    calendar = assert_valid_invitation(cancel.ics, method="CANCEL")
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == booking.uid
    assert int(event["SEQUENCE"]) == confirmed.sequence > booking.sequence
    assert attendees_of(cancel) == [old]  # their copy only: nobody else's address
    confirmed.refresh_from_db()
    assert old not in confirmed.invited
    assert "neu@gemeinde.example" in confirmed.invited

    # The next change sends the old contact nothing more.
    services.reschedule(
        actor=staff_user, booking_id=booking.pk, start=at(MONDAY, 14), now=NOW + timedelta(hours=1)
    )
    assert list(rows(booking, "uninvited")) == [old]
    assert old not in rows(booking, "rescheduled")


def test_a_cancelled_booking_leaves_nobody_holding_its_invitation(staff_user, municipality, expert):
    request = factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality))
    booking = services.book(
        actor=staff_user,
        request_id=request.pk,
        expert_id=expert.pk,
        start=at(MONDAY, 10),
        duration_minutes=60,
        now=NOW,
    )
    services.cancel(actor=staff_user, booking_id=booking.pk, now=NOW)

    booking.refresh_from_db()
    assert booking.invited == []
    assert all(row.ics_method == "CANCEL" for row in rows(booking, "cancelled").values())
    assert not rows(booking, "uninvited")


def test_the_sides_of_one_change_share_one_invitation_built_once(
    staff_user, municipality, expert, monkeypatch
):
    """The expert's and the municipality's messages carry the same invitation: it is built once
    per language for the whole change, not once per message."""
    from notifications import ics

    built = []
    prepare = ics.prepare_invitation
    monkeypatch.setattr(
        ics, "prepare_invitation", lambda inv, n: built.append(inv.uid) or prepare(inv, n)
    )
    request = factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality))
    booking = services.book(
        actor=staff_user,
        request_id=request.pk,
        expert_id=expert.pk,
        start=at(MONDAY, 10),
        duration_minutes=60,
        now=NOW,
    )
    sent = rows(booking, "requested")
    assert len(sent) >= 2 and expert.email in sent  # both sides, one language
    assert built == [booking.uid]
    assert len({row.ics for row in sent.values()}) == 1
    assert_valid_invitation(next(iter(sent.values())).ics, method="REQUEST")
