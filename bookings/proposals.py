"""The expert's counter-proposal (issue 18): instead of declining, the expert offers up to three
other free times; they are held while the proposal is open; the municipality accepts one (a
reschedule the expert has agreed to) or lets it lapse.

Locks are taken in one order by every writer: the expert's row, the booking's row, the
proposal's row (cancel and decline, which take no expert lock, start at the booking), so two
proposals, a booking and a proposal, or an acceptance and a cancellation never deadlock and
never take the same time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings import selectors, services, slot_checks
from bookings.booking_notifications import notify_proposal
from bookings.models import BookingProposal, ConsultationBooking, ProposedSlot
from bookings.proposal_holds import withdraw_open
from core import locking
from core.errors import Busy, Conflict, Invalid, NotFound
from experts.match_selectors import request_window
from experts.models import ExpertProfile
from experts.slots import Slot

Proposal = BookingProposal.Status
Status = ConsultationBooking.Status
MAX_NOTE = 2000
# The expert picks from the free slots of the request's window, or of the next weeks when the
# window is (nearly) over: a counter-proposal may well lie outside what was asked for.
PICK_AT_LEAST = timedelta(days=21)
MAX_SLOTS_SHOWN = 40


def _starts_error(message: Any, *, code: str = "invalid") -> Invalid:
    return Invalid(message, code=code, fields={"starts": [str(message)]})


def _clean_starts(starts: Sequence[datetime]) -> list[datetime]:
    """1-3 distinct aware starts, earliest first (the shape; the slot checks come later)."""
    if not 1 <= len(starts) <= BookingProposal.MAX_SLOTS:
        raise _starts_error(
            _("Bitte einen bis %(n)d Termine vorschlagen.") % {"n": BookingProposal.MAX_SLOTS},
            code="bad_starts",
        )
    for start in starts:
        if not isinstance(start, datetime):
            raise _starts_error(_("Ungültige Zeitangabe."))
        try:
            slot_checks.require_aware(start)
        except Invalid as error:
            raise _starts_error(error.message, code=error.code) from error
    by_instant = sorted(starts, key=lambda s: s.timestamp())
    if len({s.timestamp() for s in by_instant}) != len(by_instant):
        raise _starts_error(_("Jeder Termin nur einmal, bitte."), code="duplicate_start")
    return by_instant


def _lock_booking(booking_id: int) -> ConsultationBooking:
    """The booking's row, locked after the expert's (see the module's docstring), with what its
    e-mails need; it must still be requested or confirmed."""
    booking = locking.lock(
        ConsultationBooking.objects.select_related(
            "expert__user", "request__plan__municipality", "created_by"
        ).filter(pk=booking_id)
    )
    if booking is None or booking.status not in services.ANNOUNCED:
        raise Conflict(
            _("Terminvorschläge gibt es nur für angefragte oder bestätigte Termine."),
            code="invalid_transition",
            extra={"status": booking.status if booking else None},
        )
    return booking


def propose(
    *,
    actor: Any,
    booking_id: int,
    starts: Sequence[datetime],
    note: str = "",
    now: datetime | None = None,
) -> BookingProposal:
    """The booking's expert (or a coordinator) proposes 1-3 other free starts of the same
    duration; they are held until the proposal is accepted, withdrawn or lapses.

    Each start must be a free slot of the expert, checked like a booking (rules, exceptions,
    bookings and held slots with buffers, their own calendars, notice, horizon, limits), with
    the booking's own time and its earlier proposal left out: a new proposal replaces an open
    one. Any refusal is a 400 naming the start: the expert picked a time that is not free.
    """
    now = now or timezone.now()
    cleaned = _clean_starts(list(starts))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise Invalid(
            _("Die Anmerkung ist zu lang."),
            fields={"note": [_("Höchstens %(n)d Zeichen.") % {"n": MAX_NOTE}]},
        )
    with services._database_refusals(), transaction.atomic(durable=True):
        visible = services._visible(actor, booking_id)
        services._require(services._is_expert_side(actor, visible))
        expert = _lock_active_expert(visible.expert_id)
        booking = _lock_booking(visible.pk)
        services._future(booking, now)
        duration = int((booking.end - booking.start).total_seconds() // 60)
        for start in cleaned:
            _check_start(expert, booking, start=start, duration=duration, now=now)
        expires_at = min(
            now + settings.BOOKING_PROPOSAL_HOLD,
            cleaned[0] - timedelta(hours=expert.min_notice_hours),
        )
        if expires_at <= now:
            # Bookable right at the notice's edge, but a hold for it would lapse at once.
            raise _starts_error(
                _("%(start)s: zu kurzfristig, um ihn für die Kommune freizuhalten.")
                % {"start": cleaned[0].isoformat()},
                code="too_soon",
            )
        withdraw_open(booking.pk, now=now)
        proposal = BookingProposal.objects.create(
            booking=booking,
            expires_at=expires_at,
            note=note,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        slots = ProposedSlot.objects.bulk_create(
            [
                ProposedSlot(
                    proposal=proposal,
                    expert=expert,
                    start=start,
                    end=start + timedelta(minutes=duration),
                    blocked_start=start - timedelta(minutes=expert.buffer_before_minutes),
                    blocked_end=start + timedelta(minutes=duration + expert.buffer_after_minutes),
                )
                for start in cleaned
            ]
        )
        notify_proposal(booking, proposal, slots, "proposed", now=now)
        return proposal


def _lock_active_expert(expert_id: int) -> ExpertProfile:
    expert = services._lock_expert(expert_id)
    if expert is None:  # PROTECT keeps a booked expert's row: only a broken database gets here
        raise NotFound(_("Expert*in nicht gefunden."))
    slot_checks.require_active(expert)
    return expert


def _check_start(
    expert: ExpertProfile,
    booking: ConsultationBooking,
    *,
    start: datetime,
    duration: int,
    now: datetime,
) -> None:
    if start == booking.start:
        raise _starts_error(
            _("%(start)s ist der jetzige Termin; bitte andere Zeiten vorschlagen.")
            % {"start": start.isoformat()},
            code="current_start",
        )
    try:
        slot_checks.check_slot(
            expert, start=start, duration=duration, now=now, exclude_booking_id=booking.pk
        )
    except Busy:
        raise
    except (Invalid, Conflict) as error:
        raise _starts_error(
            _("%(start)s: %(reason)s") % {"start": start.isoformat(), "reason": error.message},
            code=error.code,
        ) from error


def accept_proposal(
    *, actor: Any, booking_id: int, start: datetime, now: datetime | None = None
) -> ConsultationBooking:
    """The municipality (or a coordinator) takes one of the open proposal's starts: the booking
    moves there like a reschedule (same UID, SEQUENCE + 1, the updated invitation to both
    sides) and is confirmed, since the expert proposed the time; the other slots are free."""
    slot_checks.require_aware(start)
    now = now or timezone.now()
    with services._database_refusals(), transaction.atomic(durable=True):
        visible = services._visible(actor, booking_id)
        services._require(services._is_municipality_side(actor, visible))
        services._lock_expert(visible.expert_id)
        booking = _lock_booking(visible.pk)
        proposal = (
            BookingProposal.objects.filter(booking_id=booking.pk, status=Proposal.OPEN)
            .prefetch_related("slots")
            .first()
        )
        if proposal is None:
            raise Conflict(_("Es gibt keinen offenen Terminvorschlag."), code="no_open_proposal")
        if proposal.expires_at <= now:
            raise Conflict(
                _("Der Terminvorschlag ist verfallen."),
                code="proposal_lapsed",
                extra={"expires_at": proposal.expires_at.isoformat()},
            )
        if not any(slot.start == start for slot in proposal.slots.all()):
            raise Invalid(
                _("Dieser Termin gehört nicht zum Vorschlag."),
                code="not_proposed",
                fields={"start": [_("Bitte einen der vorgeschlagenen Termine wählen.")]},
            )
        # Still open under the booking's lock: a lapse sweep that got here first wins.
        if not BookingProposal.objects.filter(
            pk=proposal.pk, status=Proposal.OPEN, expires_at__gt=now
        ).update(status=Proposal.ACCEPTED, decided_at=now):
            raise Conflict(_("Der Terminvorschlag ist nicht mehr offen."), code="proposal_closed")
        return services.reschedule(
            actor=actor, booking_id=booking.pk, start=start, now=now, agreed=True, nested=True
        )


def lapse_proposals(*, now: datetime | None = None) -> int:
    """End every open proposal past its expiry and tell both sides (periodic; idempotent).
    The booking keeps its status: a requested one still awaits the expert's answer."""
    now = now or timezone.now()
    lapsed = 0
    with transaction.atomic():
        due = list(
            BookingProposal.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(status=Proposal.OPEN, expires_at__lte=now)
            .select_related("booking__expert__user", "booking__request__plan__municipality")
            .select_related("booking__created_by")
            .prefetch_related("slots")
            .order_by("expires_at", "id")
        )
        for proposal in due:
            BookingProposal.objects.filter(pk=proposal.pk, status=Proposal.OPEN).update(
                status=Proposal.LAPSED, decided_at=now
            )
            proposal.status = Proposal.LAPSED
            booking = proposal.booking
            notify_proposal(
                booking, proposal, list(proposal.slots.all()), "proposal_lapsed", now=now
            )
            lapsed += 1
    return lapsed


# --- reads ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProposalSummary:
    """A proposal as the pages and the API show it; ``status`` reads "lapsed" for an open one
    past its expiry that no sweep has ended yet (it holds nothing any more)."""

    id: int
    status: str
    starts: list[datetime]
    ends: list[datetime]
    expires_at: datetime
    note: str

    @property
    def is_open(self) -> bool:
        return self.status == Proposal.OPEN

    @property
    def slots(self) -> list[tuple[datetime, datetime]]:
        return list(zip(self.starts, self.ends, strict=True))


def _summary(proposal: BookingProposal, now: datetime) -> ProposalSummary:
    slots = sorted(proposal.slots.all(), key=lambda s: s.start)
    status = proposal.status
    if status == Proposal.OPEN and proposal.expires_at <= now:
        status = Proposal.LAPSED
    return ProposalSummary(
        id=proposal.pk,
        status=status,
        starts=[s.start for s in slots],
        ends=[s.end for s in slots],
        expires_at=proposal.expires_at,
        note=proposal.note,
    )


def latest_proposal(booking_id: int, *, now: datetime) -> ProposalSummary | None:
    """The booking's most recent proposal, whatever became of it (two queries)."""
    proposal = (
        BookingProposal.objects.filter(booking_id=booking_id).prefetch_related("slots").first()
    )
    return None if proposal is None else _summary(proposal, now)


def open_proposal(booking_id: int, *, now: datetime) -> ProposalSummary | None:
    """The booking's open proposal that still holds its slots, or None."""
    proposal = (
        BookingProposal.objects.filter(
            booking_id=booking_id, status=Proposal.OPEN, expires_at__gt=now
        )
        .prefetch_related("slots")
        .first()
    )
    return None if proposal is None else _summary(proposal, now)


def proposable_slots(booking: ConsultationBooking, *, now: datetime) -> list[Slot]:
    """What the expert can propose: their free slots of the booking's duration in the request's
    window (at least the next three weeks), the booking's own time and proposals left out."""
    start, end = request_window(booking.request)
    start = max(start, now)
    end = max(end, start + PICK_AT_LEAST)
    duration = int((booking.end - booking.start).total_seconds() // 60)
    slots = selectors.free_slots_for(
        booking.expert,
        start=start,
        end=end,
        duration=duration,
        now=now,
        exclude_booking_id=booking.pk,
    )
    return [s for s in slots if s.start != booking.start][:MAX_SLOTS_SHOWN]


@dataclass(frozen=True, slots=True)
class ProposalPanel:
    """The booking page's proposal section for one viewer."""

    proposal: ProposalSummary | None
    can_propose: bool
    can_accept: bool
    choices: list[Slot]


def panel(*, viewer: Any, booking: ConsultationBooking, now: datetime) -> ProposalPanel:
    """Who sees what: the expert side may propose (and sees its open proposal), the
    municipality side may accept the open one; others see nothing."""
    expert_side = services._is_expert_side(viewer, booking)
    municipality_side = services._is_municipality_side(viewer, booking)
    live = booking.status in services.ANNOUNCED and booking.start > now
    if not live or not (expert_side or municipality_side):
        return ProposalPanel(None, False, False, [])
    proposal = open_proposal(booking.pk, now=now)
    choices = proposable_slots(booking, now=now) if expert_side else []
    return ProposalPanel(
        proposal=proposal,
        can_propose=expert_side,
        can_accept=municipality_side and proposal is not None,
        choices=choices,
    )
