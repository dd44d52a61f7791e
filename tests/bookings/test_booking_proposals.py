"""The expert's counter-proposal (bookings/proposals.py): rules, held slots, acceptance, lapse,
withdrawal, the API and the booking page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client

from bookings import profiles, proposals, selectors, services
from bookings.models import BookingProposal, ConsultationBooking, ProposedSlot
from core.errors import Conflict, Forbidden, Invalid, NotFound
from notifications.models import Notification
from tests import factories
from tests.bookings.test_booking_services import BERLIN, MONDAY, NOW, at
from tests.conftest import client_for
from tests.ics_rules import assert_valid_invitation

TUESDAY = MONDAY + timedelta(days=1)
WEDNESDAY = MONDAY + timedelta(days=2)
Status = ConsultationBooking.Status
Proposal = BookingProposal.Status


@pytest.fixture
def expert(db):  # type: ignore[no-untyped-def]
    return factories.ExpertProfileFactory()


@pytest.fixture
def booking(staff_user, municipality, expert):  # type: ignore[no-untyped-def]
    request = factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality))
    return services.book(
        actor=staff_user,
        request_id=request.pk,
        expert_id=expert.pk,
        start=at(MONDAY, 10),
        duration_minutes=60,
        now=NOW,
    )


def propose(actor, booking, *starts, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("now", NOW)
    return proposals.propose(actor=actor, booking_id=booking.pk, starts=list(starts), **kwargs)


def outbox(booking: ConsultationBooking, kind: str) -> list[Notification]:
    return list(
        Notification.objects.filter(
            kind=f"booking_{kind}", dedup_key__startswith=f"booking:{booking.pk}:"
        ).order_by("recipient")
    )


def free_starts(expert, day: date, booking_id: int | None = None) -> list[datetime]:  # type: ignore[no-untyped-def]
    slots = selectors.free_slots_for(
        expert,
        start=at(day, 0),
        end=at(day, 23),
        duration=60,
        now=NOW,
        exclude_booking_id=booking_id,
    )
    return [s.start for s in slots]


def book_elsewhere(expert, start: datetime) -> ConsultationBooking:  # type: ignore[no-untyped-def]
    """Another municipality books ``expert`` at ``start`` for an hour."""
    other = factories.MunicipalityFactory()
    return services.book(
        actor=factories.staff_for(other),
        request_id=factories.RequestFactory(plan=factories.PlanFactory(municipality=other)).pk,
        expert_id=expert.pk,
        start=start,
        duration_minutes=60,
        now=NOW,
    )


# --- proposing --------------------------------------------------------------------------------


def test_expert_proposes_up_to_three_free_times_which_are_held_and_told(booking, expert):
    proposal = propose(expert.user, booking, at(WEDNESDAY, 11), at(MONDAY, 14), at(TUESDAY, 9))

    assert proposal.status == Proposal.OPEN
    assert [s.start for s in proposal.slots.all()] == [
        at(MONDAY, 14),
        at(TUESDAY, 9),
        at(WEDNESDAY, 11),
    ]
    slot = proposal.slots.get(start=at(MONDAY, 14))
    assert (slot.end, slot.blocked_start, slot.blocked_end, slot.expert_id) == (
        at(MONDAY, 15),
        at(MONDAY, 13, 45),
        at(MONDAY, 15, 15),
        expert.pk,
    )
    # 72 hours from now come before Monday 14:00 minus a day of notice.
    assert proposal.expires_at == NOW + timedelta(hours=72)
    booking.refresh_from_db()
    assert (booking.status, booking.sequence, booking.start) == (
        Status.REQUESTED,
        0,
        at(MONDAY, 10),
    )

    rows = outbox(booking, "proposed")
    assert rows and all(r.recipient != expert.email for r in rows)
    assert not any(r.ics for r in rows)
    body = rows[0].body_text
    assert "14:00" in body and "09:00" in body and "11:00" in body  # Berlin time
    assert f"/termine/{booking.pk}/#proposal" in body
    assert "Zeiten in Europe/Berlin" in body


def test_expiry_is_the_earliest_start_less_the_minimum_notice_when_that_is_sooner(booking, expert):
    now = datetime(2027, 6, 5, 8, 0, tzinfo=UTC)  # Saturday: Monday 14:00 is 52 hours away
    proposal = propose(expert.user, booking, at(MONDAY, 14), now=now)
    assert proposal.expires_at == at(MONDAY, 14) - timedelta(hours=24)


def test_held_slots_leave_the_free_slots_and_come_back_when_withdrawn(booking, expert):
    assert at(MONDAY, 14) in free_starts(expert, MONDAY)
    propose(expert.user, booking, at(MONDAY, 14))
    free = free_starts(expert, MONDAY)
    assert at(MONDAY, 14) not in free
    assert at(MONDAY, 13) not in free  # its buffers reach 13:45: 13:00-14:00 plus 15 minutes
    services.cancel(actor=booking.created_by, booking_id=booking.pk, now=NOW)
    assert at(MONDAY, 14) in free_starts(expert, MONDAY)


def test_a_held_slot_blocks_another_municipalitys_booking_with_409(booking, expert):
    propose(expert.user, booking, at(MONDAY, 14))
    with pytest.raises(Conflict) as refused:
        book_elsewhere(expert, at(MONDAY, 14))
    assert refused.value.code == "slot_taken"
    assert str(refused.value) == "Termin nicht mehr frei."


def test_held_slots_delay_the_matchers_earliest_slot(booking, expert):
    window = {"start": at(TUESDAY, 9), "end": at(TUESDAY, 12), "duration": 60, "now": NOW}
    assert selectors.earliest_slots([expert.pk], **window)[expert.pk] == at(TUESDAY, 9)
    propose(expert.user, booking, at(TUESDAY, 9))
    assert selectors.earliest_slots([expert.pk], **window)[expert.pk] == at(TUESDAY, 10, 30)


def test_held_slots_count_toward_the_daily_limit_like_holds(booking, expert):
    expert.max_per_day = 1
    expert.save()
    propose(expert.user, booking, at(TUESDAY, 9))
    with pytest.raises(Conflict) as refused:
        book_elsewhere(expert, at(TUESDAY, 14))
    assert refused.value.code == "day_limit"


def test_a_new_proposal_replaces_the_open_one_and_may_reuse_its_times(booking, expert):
    first = propose(expert.user, booking, at(MONDAY, 14), at(TUESDAY, 9))
    second = propose(expert.user, booking, at(MONDAY, 14), at(WEDNESDAY, 9))
    first.refresh_from_db()
    assert first.status == Proposal.WITHDRAWN and first.decided_at == NOW
    assert second.status == Proposal.OPEN
    assert BookingProposal.objects.filter(booking=booking, status=Proposal.OPEN).count() == 1
    assert at(TUESDAY, 9) in free_starts(expert, TUESDAY)
    keys = [r.dedup_key for r in outbox(booking, "proposed")]
    assert any(f":proposed-{first.pk}:" in k for k in keys)
    assert any(f":proposed-{second.pk}:" in k for k in keys)


def test_the_bookings_own_time_does_not_block_its_proposals(booking, expert):
    # 10:30 overlaps the booking itself (10:00-11:00), which is what the proposal replaces.
    proposal = propose(expert.user, booking, at(MONDAY, 10, 30))
    assert proposal.slots.get().start == at(MONDAY, 10, 30)


def test_a_confirmed_booking_can_get_a_proposal_too(booking, expert):
    services.confirm(actor=expert.user, booking_id=booking.pk, now=NOW)
    assert propose(expert.user, booking, at(TUESDAY, 9)).status == Proposal.OPEN


def test_a_coordinator_may_propose(booking, coordinator):
    assert propose(coordinator, booking, at(TUESDAY, 9)).status == Proposal.OPEN


@pytest.mark.parametrize(
    ("starts", "code"),
    [
        ([], "bad_starts"),
        ([at(TUESDAY, 9), at(TUESDAY, 11), at(TUESDAY, 13), at(TUESDAY, 15)], "bad_starts"),
        ([at(TUESDAY, 9), at(TUESDAY, 9).astimezone(UTC)], "duplicate_start"),
        ([datetime(2027, 5, 31, 10, 0, tzinfo=BERLIN)], "in_past"),
        ([at(TUESDAY, 9), at(MONDAY, 14, 10)], "off_grid"),
        ([at(MONDAY, 10)], "current_start"),
        ([at(MONDAY, 7)], "outside_availability"),
        ([datetime(2027, 6, 1, 14, 0, tzinfo=BERLIN)], "too_soon"),
        ([at(TUESDAY, 9).replace(tzinfo=None)], "invalid"),
    ],
)
def test_bad_starts_are_400_with_a_message_and_nothing_is_written(booking, expert, starts, code):
    with pytest.raises(Invalid) as refused:
        propose(expert.user, booking, *starts)
    assert refused.value.code == code
    assert refused.value.message and "starts" in refused.value.fields
    assert not BookingProposal.objects.exists() and not ProposedSlot.objects.exists()
    assert not outbox(booking, "proposed")


def test_a_busy_start_is_400_naming_it(booking, expert):
    book_elsewhere(expert, at(TUESDAY, 9))
    with pytest.raises(Invalid) as refused:
        propose(expert.user, booking, at(WEDNESDAY, 9), at(TUESDAY, 9))
    assert refused.value.code == "slot_taken"
    assert at(TUESDAY, 9).isoformat() in refused.value.message
    assert not BookingProposal.objects.exists()


def test_a_duration_the_expert_no_longer_offers_is_400(booking, expert):
    expert.durations = [90]
    expert.save()
    with pytest.raises(Invalid) as refused:
        propose(expert.user, booking, at(TUESDAY, 9))
    assert refused.value.code == "bad_duration"


def test_a_too_long_note_is_400(booking, expert):
    with pytest.raises(Invalid) as refused:
        propose(expert.user, booking, at(TUESDAY, 9), note="x" * (proposals.MAX_NOTE + 1))
    assert "note" in refused.value.fields


def test_municipality_may_not_propose_and_other_experts_do_not_see_the_booking(booking, staff_user):
    with pytest.raises(Forbidden):
        propose(staff_user, booking, at(TUESDAY, 9))
    with pytest.raises(NotFound):
        propose(factories.ExpertProfileFactory().user, booking, at(TUESDAY, 9))
    assert not BookingProposal.objects.exists()


def test_no_proposal_for_a_cancelled_or_past_booking(booking, expert, staff_user):
    with pytest.raises(Conflict):
        propose(expert.user, booking, at(TUESDAY, 9), now=at(MONDAY, 10, 30))
    services.cancel(actor=staff_user, booking_id=booking.pk, now=NOW)
    with pytest.raises(Conflict) as refused:
        propose(expert.user, booking, at(TUESDAY, 9))
    assert refused.value.code == "invalid_transition"


# --- accepting --------------------------------------------------------------------------------


def test_accepting_moves_the_booking_confirms_it_and_sends_both_the_updated_invitation(
    booking, expert, staff_user
):
    proposal = propose(expert.user, booking, at(MONDAY, 14), at(TUESDAY, 9))
    moved = proposals.accept_proposal(
        actor=staff_user, booking_id=booking.pk, start=at(TUESDAY, 9).astimezone(UTC), now=NOW
    )

    assert (moved.start, moved.end, moved.status) == (
        at(TUESDAY, 9),
        at(TUESDAY, 10),
        Status.CONFIRMED,
    )
    assert moved.uid == booking.uid and moved.sequence == booking.sequence + 1
    assert (moved.blocked_start, moved.blocked_end) == (at(TUESDAY, 8, 45), at(TUESDAY, 10, 15))
    proposal.refresh_from_db()
    assert proposal.status == Proposal.ACCEPTED and proposal.decided_at == NOW
    assert at(MONDAY, 14) in free_starts(expert, MONDAY)  # the other slot is free again
    assert at(MONDAY, 10) in free_starts(expert, MONDAY)  # and so is the old time

    rows = outbox(moved, "rescheduled")
    assert {r.recipient for r in rows} >= {expert.email, staff_user.email}
    for row in rows:
        assert row.dedup_key.split(":")[3] == "1"
        assert row.ics_method == "REQUEST"
        event = assert_valid_invitation(row.ics, method="REQUEST").walk("VEVENT")[0]
        assert str(event["UID"]) == booking.uid and int(event["SEQUENCE"]) == 1
        assert event["STATUS"] == "CONFIRMED"
    to_expert = next(r for r in rows if r.recipient == expert.email)
    assert "Terminvorschlag angenommen" in to_expert.body_text


def test_accepting_a_start_that_was_not_proposed_is_400(booking, expert, staff_user):
    propose(expert.user, booking, at(MONDAY, 14))
    with pytest.raises(Invalid) as refused:
        proposals.accept_proposal(
            actor=staff_user, booking_id=booking.pk, start=at(TUESDAY, 9), now=NOW
        )
    assert refused.value.code == "not_proposed"
    booking.refresh_from_db()
    assert (booking.start, booking.sequence) == (at(MONDAY, 10), 0)


def test_accepting_a_lapsed_proposal_is_409_before_and_after_the_sweep(booking, expert, staff_user):
    proposal = propose(expert.user, booking, at(MONDAY, 14))
    later = proposal.expires_at + timedelta(minutes=1)
    with pytest.raises(Conflict) as refused:
        proposals.accept_proposal(
            actor=staff_user, booking_id=booking.pk, start=at(MONDAY, 14), now=later
        )
    assert refused.value.code == "proposal_lapsed"
    assert proposals.lapse_proposals(now=later) == 1
    with pytest.raises(Conflict) as refused:
        proposals.accept_proposal(
            actor=staff_user, booking_id=booking.pk, start=at(MONDAY, 14), now=later
        )
    assert refused.value.code == "no_open_proposal"


def test_the_expert_may_not_accept_and_another_municipality_does_not_see_it(booking, expert):
    propose(expert.user, booking, at(MONDAY, 14))
    with pytest.raises(Forbidden):
        proposals.accept_proposal(
            actor=expert.user, booking_id=booking.pk, start=at(MONDAY, 14), now=NOW
        )
    stranger = factories.staff_for(factories.MunicipalityFactory())
    with pytest.raises(NotFound):
        proposals.accept_proposal(
            actor=stranger, booking_id=booking.pk, start=at(MONDAY, 14), now=NOW
        )
    assert BookingProposal.objects.get().status == Proposal.OPEN


# --- lapse and withdrawal ---------------------------------------------------------------------


def test_the_sweep_lapses_due_proposals_tells_both_sides_and_keeps_the_booking(
    booking, expert, staff_user
):
    proposal = propose(expert.user, booking, at(MONDAY, 14), at(TUESDAY, 9))
    assert proposals.lapse_proposals(now=proposal.expires_at - timedelta(seconds=1)) == 0
    later = proposal.expires_at
    assert proposals.lapse_proposals(now=later) == 1
    assert proposals.lapse_proposals(now=later) == 0  # idempotent

    proposal.refresh_from_db()
    assert proposal.status == Proposal.LAPSED and proposal.decided_at == later
    booking.refresh_from_db()
    assert (booking.status, booking.sequence) == (Status.REQUESTED, 0)
    rows = outbox(booking, "proposal_lapsed")
    assert {r.recipient for r in rows} >= {expert.email, staff_user.email}
    assert all(not r.ics for r in rows)
    assert "verfallen" in rows[0].body_text
    # Free again, and the expert can still confirm the original request.
    assert at(MONDAY, 14) in free_starts(expert, MONDAY)
    services.confirm(actor=expert.user, booking_id=booking.pk, now=later)


def test_an_expired_unswept_proposal_holds_nothing(booking, expert):
    proposal = propose(expert.user, booking, at(MONDAY, 14))
    slots = selectors.free_slots_for(
        expert,
        start=at(MONDAY, 0),
        end=at(MONDAY, 23),
        duration=60,
        now=proposal.expires_at,
    )
    assert at(MONDAY, 14) in [s.start for s in slots]


@pytest.mark.parametrize("how", ["cancel", "decline", "reschedule"])
def test_cancel_decline_and_reschedule_withdraw_the_open_proposal(booking, expert, staff_user, how):
    proposal = propose(expert.user, booking, at(MONDAY, 14))
    if how == "cancel":
        services.cancel(actor=staff_user, booking_id=booking.pk, now=NOW)
    elif how == "decline":
        services.decline(actor=expert.user, booking_id=booking.pk, reason="Keine Zeit", now=NOW)
    else:
        services.reschedule(actor=staff_user, booking_id=booking.pk, start=at(MONDAY, 14), now=NOW)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.WITHDRAWN
    assert proposals.open_proposal(booking.pk, now=NOW) is None


# --- API ----------------------------------------------------------------------------------------


def api(booking: ConsultationBooking, action: str) -> str:
    return f"/api/v1/bookings/{booking.pk}/{action}/"


@pytest.fixture
def frozen(monkeypatch):  # type: ignore[no-untyped-def]
    """The API reads the clock: pin it to NOW."""
    import time_machine

    with time_machine.travel(NOW, tick=False):
        yield


def test_api_propose_accept_and_read(frozen, booking, expert, staff_user):
    response = client_for(expert.user).post(
        api(booking, "propose"),
        {"starts": [at(MONDAY, 14).isoformat(), at(TUESDAY, 9).isoformat()], "note": "Passt?"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "open" and body["note"] == "Passt?"
    assert body["starts"] == ["2027-06-07T14:00:00+02:00", "2027-06-08T09:00:00+02:00"]
    assert body["expires_at"] == "2027-06-04T10:00:00+02:00"

    detail = client_for(staff_user).get(f"/api/v1/bookings/{booking.pk}/").json()
    assert detail["proposal"]["starts"] == body["starts"]
    assert client_for(staff_user).get(api(booking, "proposal")).json()["id"] == body["id"]

    accepted = client_for(staff_user).post(
        api(booking, "accept-proposal"), {"start": "2027-06-08T07:00:00Z"}, format="json"
    )
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["status"] == "confirmed"
    assert accepted.json()["start"] == "2027-06-08T09:00:00+02:00"
    assert accepted.json()["sequence"] == 1
    assert client_for(staff_user).get(api(booking, "proposal")).json()["status"] == "accepted"
    assert client_for(staff_user).get(f"/api/v1/bookings/{booking.pk}/").json()["proposal"] is None


@pytest.mark.parametrize(
    "payload",
    [
        {"starts": []},
        {"starts": ["2027-06-08T09:00:00+02:00"] * 2},
        {"starts": ["2027-06-08T09:00:00"]},
        {"starts": "2027-06-08T09:00:00+02:00"},
        {},
    ],
)
def test_api_propose_bad_input_is_400_with_the_error_shape(frozen, booking, expert, payload):
    response = client_for(expert.user).post(api(booking, "propose"), payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] and body["code"] and "starts" in body["fields"]
    assert not BookingProposal.objects.exists()


def test_api_proposals_of_others_are_404(frozen, booking, expert, staff_user):
    propose(expert.user, booking, at(MONDAY, 14))
    other_expert = factories.ExpertProfileFactory().user
    stranger = factories.staff_for(factories.MunicipalityFactory())
    start = {"start": at(MONDAY, 14).isoformat()}
    assert client_for(other_expert).get(api(booking, "proposal")).status_code == 404
    assert client_for(stranger).get(api(booking, "proposal")).status_code == 404
    assert (
        client_for(other_expert)
        .post(api(booking, "propose"), {"starts": [at(TUESDAY, 9).isoformat()]}, format="json")
        .status_code
        == 404
    )
    assert (
        client_for(stranger).post(api(booking, "accept-proposal"), start, format="json").status_code
        == 404
    )
    huge = "/api/v1/bookings/99999999999999999999999/accept-proposal/"
    assert client_for(staff_user).post(huge, start, format="json").status_code == 404
    assert client_for(expert.user).post(api(booking, "accept-proposal"), start).status_code == 403
    assert BookingProposal.objects.get().status == Proposal.OPEN


def test_api_accept_without_an_open_proposal_is_409(frozen, booking, staff_user):
    response = client_for(staff_user).post(
        api(booking, "accept-proposal"), {"start": at(MONDAY, 14).isoformat()}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "no_open_proposal"
    assert client_for(staff_user).get(api(booking, "proposal")).status_code == 404


def test_api_the_free_slots_leave_out_held_slots(frozen, booking, expert, staff_user):
    url = f"/api/v1/experts/{expert.pk}/slots/"
    query = {"from": at(MONDAY, 0).isoformat(), "to": at(MONDAY, 23).isoformat(), "duration": 60}
    before = [s["start"] for s in client_for(staff_user).get(url, query).json()["results"]]
    assert "2027-06-07T14:00:00+02:00" in before
    propose(expert.user, booking, at(MONDAY, 14))
    after = [s["start"] for s in client_for(staff_user).get(url, query).json()["results"]]
    assert "2027-06-07T14:00:00+02:00" not in after


# --- the booking page ---------------------------------------------------------------------------


def page_client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_page_expert_proposes_by_ticking_free_slots_and_municipality_accepts(
    frozen, booking, expert, staff_user
):
    page = f"/termine/{booking.pk}/"
    expert_client = page_client(expert.user)
    html = expert_client.get(page).content.decode()
    assert f'action="/termine/{booking.pk}/vorschlagen/"' in html
    assert 'name="propose-starts"' in html and 'type="checkbox"' in html
    assert at(TUESDAY, 9).isoformat() in html

    response = expert_client.post(
        f"/termine/{booking.pk}/vorschlagen/",
        {"propose-starts": [at(MONDAY, 14).isoformat(), at(TUESDAY, 9).isoformat()]},
    )
    assert response.status_code == 302 and response["Location"].endswith("#proposal")
    assert BookingProposal.objects.get().slots.count() == 2

    municipality_client = page_client(staff_user)
    html = municipality_client.get(page).content.decode()
    assert f'action="/termine/{booking.pk}/vorschlag-annehmen/"' in html
    assert html.count("Diesen Termin annehmen") == 2
    assert 'name="propose-starts"' not in html

    response = municipality_client.post(
        f"/termine/{booking.pk}/vorschlag-annehmen/",
        {"accept-start": at(TUESDAY, 9).astimezone(UTC).isoformat()},
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.start, booking.status) == (at(TUESDAY, 9), Status.CONFIRMED)


def test_page_propose_without_a_slot_or_with_four_comes_back_with_the_error(
    frozen, booking, expert
):
    url = f"/termine/{booking.pk}/vorschlagen/"
    client = page_client(expert.user)
    response = client.post(url, {"propose-note": "Hallo"})
    assert response.status_code == 400
    assert "Bitte mindestens einen freien Termin wählen." in response.content.decode()
    four = [at(TUESDAY, h).isoformat() for h in (9, 11, 13, 15)]
    response = client.post(url, {"propose-starts": four})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Bitte einen bis 3 Termine vorschlagen." in html
    assert html.count(" checked") >= 3  # the ticked slots stay ticked
    assert not BookingProposal.objects.exists()


def test_page_other_experts_and_municipalities_get_404(frozen, booking, expert):
    for user in (
        factories.ExpertProfileFactory().user,
        factories.staff_for(factories.MunicipalityFactory()),
    ):
        client = page_client(user)
        assert (
            client.post(
                f"/termine/{booking.pk}/vorschlagen/",
                {"propose-starts": [at(TUESDAY, 9).isoformat()]},
            ).status_code
            == 404
        )
        assert (
            client.post(
                f"/termine/{booking.pk}/vorschlag-annehmen/",
                {"accept-start": at(TUESDAY, 9).isoformat()},
            ).status_code
            == 404
        )
    assert not BookingProposal.objects.exists()


def test_the_public_profiles_next_slots_leave_out_held_slots(booking, expert):
    before = [s.start for s in profiles.next_slots(expert, now=NOW)[0]]
    assert at(WEDNESDAY - timedelta(days=7), 11) in before
    propose(expert.user, booking, at(WEDNESDAY - timedelta(days=7), 11))
    after = [s.start for s in profiles.next_slots(expert, now=NOW)[0]]
    assert at(WEDNESDAY - timedelta(days=7), 11) not in after


def test_a_start_just_at_the_minimum_notice_is_too_soon_to_hold(booking, expert):
    # Bookable (exactly 24 hours ahead), but a proposal held for it would lapse at once.
    with pytest.raises(Invalid) as refused:
        propose(expert.user, booking, NOW + timedelta(hours=24))
    assert refused.value.code == "too_soon"
    assert not BookingProposal.objects.exists()
