"""The consultation booking lifecycle: book, hold, request, confirm, decline, cancel, reschedule,
complete, no-show, feedback; expiring holds; reminders; feed tokens.

Concurrency (invariant 1) is settled by the database, never in Python:
- every write that takes an expert's time first locks the expert's row
  (``SELECT … FOR NO KEY UPDATE``), so bookings of one expert are checked and written one at a
  time (PostgreSQL); on SQLite the IMMEDIATE transaction already serialises all writers;
- PostgreSQL's exclusion constraint ``booking_no_overlap`` (migration 0002) refuses any overlap
  of active bookings even from raw SQL; a violation becomes 409 "Termin nicht mehr frei";
- state changes are compare-and-swap updates (``UPDATE … WHERE status IN (…)``): of two racing
  transitions exactly one matches; the other gets 409 with the current status. A caller may
  also pass the ``sequence`` it last saw: then any change in between (a confirmation racing a
  cancellation) makes its action lose, too;
- a lock wait beyond ``lock_timeout`` becomes ``Busy`` (409 + Retry-After).

Each transition writes its e-mails (with the .ics invitation) to the outbox in its own
transaction (invariant 3).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict, Unpack

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings import selectors, slot_checks
from bookings.booking_notifications import notify
from bookings.models import ConsultationBooking
from bookings.proposal_holds import withdraw_open
from bookings.sweeps import expire_holds as expire_holds
from bookings.sweeps import send_due_reminders as send_due_reminders
from consult.models import ConsultationRequest
from core import audit, locking
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.roles import is_coordinator, municipality_id_of
from experts import calendars
from experts.models import ExpertProfile

Status = ConsultationBooking.Status
Format = ConsultationBooking.Format
OPEN_REQUEST = (ConsultationRequest.Status.OPEN, ConsultationRequest.Status.MATCHED)
# Active and announced (a hold is known only to the municipality that made it).
ANNOUNCED = (Status.REQUESTED, Status.CONFIRMED)
MAX_REASON = 2000

# --- who is who -------------------------------------------------------------------------------


def _is_expert_side(user: Any, booking: ConsultationBooking) -> bool:
    return is_coordinator(user) or booking.expert.user_id == user.pk


def _is_municipality_side(user: Any, booking: ConsultationBooking) -> bool:
    return is_coordinator(user) or (
        municipality_id_of(user) == booking.request.plan.municipality_id
    )


def _visible(actor: Any, booking_id: int) -> ConsultationBooking:
    booking = selectors.bookings_for(actor).filter(pk=booking_id).first()
    if booking is None:
        raise NotFound(_("Buchung nicht gefunden."))
    return booking


def _require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden(_("Diese Aktion steht Ihnen für diese Buchung nicht zu."))


# --- database errors --------------------------------------------------------------------------


def _sqlstate(exc: Exception) -> str | None:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)


@contextmanager
def _database_refusals() -> Iterator[None]:
    """Turn the database's last word into domain errors: overlap → 409, lock timeout → Busy."""
    try:
        yield
    except IntegrityError as exc:
        if _sqlstate(exc) == "23P01" or "booking_no_overlap" in str(exc):
            raise Conflict(_("Termin nicht mehr frei."), code="slot_taken") from exc
        raise
    except OperationalError as exc:
        if locking.is_lock_timeout(exc):
            raise locking.busy() from exc
        raise


def _lock_expert(expert_id: int, *, municipality_id: int | None = None) -> ExpertProfile | None:
    """Lock the expert's row (core.locking): their bookings are written one at a time. With
    ``municipality_id`` the same query tells (``conflicted``) whether the expert has a
    conflict of interest with that municipality."""
    query = ExpertProfile.objects.select_related("user")
    if municipality_id is not None:
        query = query.annotate(
            conflicted=Exists(
                ExpertProfile.conflicts.through.objects.filter(
                    expertprofile_id=OuterRef("pk"), municipality_id=municipality_id
                )
            )
        )
    return locking.lock(query.filter(pk=expert_id))


def _release_request(request_id: int) -> None:
    """A request whose booking ended before taking place is open again (if nothing else holds)."""
    if not ConsultationBooking.objects.filter(request_id=request_id, status__in=ANNOUNCED).exists():
        ConsultationRequest.objects.filter(
            pk=request_id, status=ConsultationRequest.Status.BOOKED
        ).update(status=ConsultationRequest.Status.OPEN)


def _claim_request(request_id: int) -> None:
    """Mark the request booked, compare-and-swap: of two bookings for it only one gets it."""
    claimed = ConsultationRequest.objects.filter(pk=request_id, status__in=OPEN_REQUEST).update(
        status=ConsultationRequest.Status.BOOKED
    )
    if not claimed:
        current = (
            ConsultationRequest.objects.filter(pk=request_id)
            .values_list("status", flat=True)
            .first()
        )
        raise Conflict(
            _("Für diese Anfrage besteht schon eine Buchung, oder sie ist abgeschlossen."),
            code="request_not_open",
            fields={"request": [_("Nicht mehr offen.")]},
            extra={"request_status": current},
        )


def _mirror(booking: ConsultationBooking, *, was_confirmed: bool) -> None:
    """Keep a confirmed consultation in the expert's own CalDAV calendars (after commit)."""
    if booking.status == Status.CONFIRMED:
        calendars.push_booking_after_commit(
            expert_id=booking.expert_id,
            uid=booking.uid,
            start=booking.start,
            end=booking.end,
            summary=_("Beratung: %(name)s") % {"name": booking.request.plan.municipality.name},
            sequence=booking.sequence,
            location=booking.meeting_url or booking.location,
        )
    elif was_confirmed:
        calendars.remove_booking_after_commit(expert_id=booking.expert_id, uid=booking.uid)


def _reload(booking_id: int) -> ConsultationBooking:
    return ConsultationBooking.objects.select_related(
        "expert__user", "request__plan__municipality", "created_by"
    ).get(pk=booking_id)


# --- booking ----------------------------------------------------------------------------------


def book(
    *,
    actor: Any,
    request_id: int,
    expert_id: int,
    start: datetime,
    duration_minutes: int,
    format: str | None = None,
    hold: bool = False,
    now: datetime | None = None,
    nested: bool = False,
) -> ConsultationBooking:
    """Book (or only hold) ``expert`` at ``start`` for the actor's consultation request.

    Without ``hold`` the booking is ``requested`` (``confirmed`` when the expert auto-confirms)
    and the request becomes ``booked``; with ``hold`` it is ``held`` for
    ``settings.BOOKING_HOLD_MINUTES`` and turns into a request with ``request_hold``.
    ``nested``: part of the caller's transaction (bookings/reassign.py), not its own.
    """
    slot_checks.require_aware(start)
    now = now or timezone.now()
    with _database_refusals(), transaction.atomic(durable=not nested):
        request = (
            ConsultationRequest.objects.select_related("plan__municipality")
            .filter(pk=request_id)
            .first()
        )
        if request is None or not (
            is_coordinator(actor) or municipality_id_of(actor) == request.plan.municipality_id
        ):
            raise NotFound(_("Anfrage nicht gefunden."), fields={"request": [_("Nicht gefunden.")]})
        if request.status not in OPEN_REQUEST:
            raise Conflict(
                _("Diese Anfrage ist nicht mehr offen."),
                code="request_not_open",
                fields={"request": [_("Nicht mehr offen.")]},
                extra={"request_status": request.status},
            )
        expert = _lock_expert(expert_id, municipality_id=request.plan.municipality_id)
        if expert is None:
            raise Invalid(_("Expert*in nicht gefunden."), fields={"expert": [_("Nicht gefunden.")]})
        slot_checks.require_active(expert)
        if expert.conflicted:
            raise Invalid(
                _("Diese Expert*in kann Ihre Kommune nicht beraten (Interessenkonflikt)."),
                code="conflict_of_interest",
                fields={"expert": [_("Interessenkonflikt.")]},
            )
        if duration_minutes not in (expert.durations or []):
            raise Invalid(
                _("Diese Dauer wird nicht angeboten."),
                code="bad_duration",
                fields={"duration_minutes": [_("Angeboten: %(d)s") % {"d": expert.durations}]},
            )
        chosen_format = slot_checks.resolve_format(format, request, expert)
        slot_checks.check_slot(expert, start=start, duration=duration_minutes, now=now)

        end = start + timedelta(minutes=duration_minutes)
        status = (
            Status.HELD if hold else (Status.CONFIRMED if expert.auto_confirm else Status.REQUESTED)
        )
        municipality = request.plan.municipality
        room, meeting_url = (
            slot_checks.online_room(expert) if chosen_format == Format.ONLINE else ("", "")
        )
        booking = ConsultationBooking.objects.create(
            request=request,
            expert=expert,
            start=start,
            end=end,
            blocked_start=start - timedelta(minutes=expert.buffer_before_minutes),
            blocked_end=end + timedelta(minutes=expert.buffer_after_minutes),
            format=chosen_format,
            location=slot_checks.location(municipality) if chosen_format == Format.ONSITE else "",
            room=room,
            meeting_url=meeting_url,
            status=status,
            hold_expires_at=now + timedelta(minutes=settings.BOOKING_HOLD_MINUTES)
            if hold
            else None,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        if not hold:
            _claim_request(request.pk)
            request.status = ConsultationRequest.Status.BOOKED
            # The objects at hand are the fresh state (request, expert and their relations were
            # read in this transaction): no reload needed for the messages.
            notify(booking, "confirmed" if status == Status.CONFIRMED else "requested", now=now)
            _mirror(booking, was_confirmed=False)
        return booking


def request_hold(
    *, actor: Any, booking_id: int, now: datetime | None = None
) -> ConsultationBooking:
    """Turn the actor's unexpired hold into a request (or a confirmed booking: auto-confirm)."""
    now = now or timezone.now()
    with _database_refusals(), transaction.atomic(durable=True):
        booking = _visible(actor, booking_id)
        _require(_is_municipality_side(actor, booking))
        if booking.status == Status.HELD and (
            booking.hold_expires_at is None or booking.hold_expires_at <= now
        ):
            # Still "held" until the sweep runs, but no longer the actor's: say why.
            raise Conflict(
                _("Die Vormerkung ist abgelaufen; bitte den Termin neu buchen."),
                code="hold_expired",
                extra={"status": booking.status},
            )
        target = Status.CONFIRMED if booking.expert.auto_confirm else Status.REQUESTED
        _swap(
            booking,
            Q(status=Status.HELD, hold_expires_at__gt=now),
            now=now,
            status=target,
            hold_expires_at=None,
        )
        _claim_request(booking.request_id)
        booking = _reload(booking.pk)
        notify(booking, "confirmed" if target == Status.CONFIRMED else "requested", now=now)
        _mirror(booking, was_confirmed=False)
        return booking


def _swap(
    booking: ConsultationBooking,
    expected: Q,
    *,
    now: datetime,
    bump: bool = False,
    **changes: Any,
) -> None:
    """Compare-and-swap one booking: change it only if it still matches ``expected``.

    The UPDATE's WHERE is re-checked on the row after any concurrent writer commits, so of two
    racing transitions exactly one matches; the loser learns the current status (409). The
    change goes into the audit trail (an UPDATE sends no model signal).
    """
    trail = {name: [getattr(booking, name), value] for name, value in changes.items()}
    if bump:
        changes["sequence"] = F("sequence") + 1
        trail["sequence"] = [booking.sequence, booking.sequence + 1]
    booking_id = booking.pk
    updated = ConsultationBooking.objects.filter(expected, pk=booking_id).update(
        updated_at=now, **changes
    )
    if updated:
        audit.record(booking, trail)
    else:
        current = (
            ConsultationBooking.objects.filter(pk=booking_id)
            .values_list("status", flat=True)
            .first()
        )
        raise Conflict(
            _("Das geht im jetzigen Zustand der Buchung nicht (%(status)s).")
            % {"status": Status(current).label if current else "?"},
            code="invalid_transition",
            extra={"status": current},
        )


def _seen(sequence: int | None) -> Q:
    """Optimistic concurrency for clients that send the SEQUENCE they last saw (like If-Match):
    any change since then (a confirmation, a move) makes their action a 409 instead of applying
    it to a booking they have not seen. Without it, only the status decides."""
    return Q() if sequence is None else Q(sequence=sequence)


def _future(booking: ConsultationBooking, now: datetime) -> None:
    if booking.start <= now:
        raise Conflict(
            _("Der Termin hat schon begonnen."),
            code="already_started",
            extra={"status": booking.status},
        )


def _past(booking: ConsultationBooking, now: datetime) -> None:
    if booking.start > now:
        raise Conflict(
            _("Der Termin hat noch nicht stattgefunden."),
            code="not_yet_started",
            extra={"status": booking.status},
        )


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise Invalid(
            _("Die Begründung ist zu lang."),
            fields={"reason": [_("Höchstens %(n)d Zeichen.") % {"n": MAX_REASON}]},
        )
    return reason


class _Seen(TypedDict, total=False):
    sequence: int | None  # the booking's SEQUENCE as the caller last saw it (like If-Match)
    now: datetime | None
    nested: bool  # part of the caller's transaction (bookings/reassign.py), not its own


@dataclass(frozen=True, slots=True)
class _Step:
    """One step of the lifecycle: who may, from which states, to which, and the message.

    A held booking was never announced, so its end is no news to anyone: only a booking that
    was requested or confirmed writes ``notice`` to the outbox.
    """

    may: Callable[[Any, ConsultationBooking], bool]
    from_states: tuple[str, ...]
    to: str
    notice: str
    before_start: bool = True
    release_request: bool = False

    def run(
        self,
        actor: Any,
        booking_id: int,
        *,
        sequence: int | None = None,
        now: datetime | None = None,
        nested: bool = False,
        **changes: Any,
    ) -> ConsultationBooking:
        now = now or timezone.now()
        with _database_refusals(), transaction.atomic(durable=not nested):
            booking = _visible(actor, booking_id)
            _require(self.may(actor, booking))
            if self.before_start:
                _future(booking, now)
            was_announced = booking.status in ANNOUNCED
            was_confirmed = booking.status == Status.CONFIRMED
            _swap(
                booking,
                Q(status__in=self.from_states) & _seen(sequence),
                now=now,
                bump=True,
                status=self.to,
                **changes,
            )
            if self.release_request:
                _release_request(booking.request_id)
                withdraw_open(booking.pk, now=now)
            booking = _reload(booking.pk)
            if was_announced:
                notify(booking, self.notice, now=now, actor=actor)
            _mirror(booking, was_confirmed=was_confirmed)
            return booking


def _either_side(user: Any, booking: ConsultationBooking) -> bool:
    return _is_expert_side(user, booking) or _is_municipality_side(user, booking)


_CONFIRM = _Step(_is_expert_side, (Status.REQUESTED,), Status.CONFIRMED, "confirmed")
_DECLINE = _Step(
    _is_expert_side,
    (Status.REQUESTED,),
    Status.DECLINED,
    "declined",
    before_start=False,
    release_request=True,
)
_CANCEL = _Step(
    _either_side, (Status.HELD, *ANNOUNCED), Status.CANCELLED, "cancelled", release_request=True
)


def confirm(*, actor: Any, booking_id: int, **seen: Unpack[_Seen]) -> ConsultationBooking:
    """The expert (or a coordinator) accepts a requested consultation."""
    return _CONFIRM.run(actor, booking_id, **seen)


def decline(
    *, actor: Any, booking_id: int, reason: str = "", **seen: Unpack[_Seen]
) -> ConsultationBooking:
    """The expert (or a coordinator) turns a request down; the request is open again."""
    return _DECLINE.run(actor, booking_id, reason=_reason(reason), **seen)


def cancel(
    *, actor: Any, booking_id: int, reason: str = "", **seen: Unpack[_Seen]
) -> ConsultationBooking:
    """Either side calls a held, requested or confirmed consultation off before it starts."""
    return _CANCEL.run(actor, booking_id, reason=_reason(reason), **seen)


def reschedule(
    *,
    actor: Any,
    booking_id: int,
    start: datetime,
    sequence: int | None = None,
    now: datetime | None = None,
    agreed: bool = False,
    nested: bool = False,
) -> ConsultationBooking:
    """The municipality moves a requested or confirmed consultation to a new free start.

    Same booking (same UID, SEQUENCE + 1) with the same duration; checked like a new booking
    with itself left out of the busy times; it needs the expert's confirmation again unless
    they auto-confirm or ``agreed`` to the time (their proposal, bookings/proposals.py). An
    open proposal is withdrawn: it answered the old time.
    """
    slot_checks.require_aware(start)
    now = now or timezone.now()
    with _database_refusals(), transaction.atomic(durable=not nested):
        booking = _visible(actor, booking_id)
        _require(_is_municipality_side(actor, booking))
        if booking.status not in ANNOUNCED:
            raise Conflict(
                _("Nur angefragte oder bestätigte Termine lassen sich verschieben."),
                code="invalid_transition",
                extra={"status": booking.status},
            )
        if start == booking.start:
            # Moved to where it is: nothing changes (a confirmed booking stays confirmed, no
            # new SEQUENCE, no messages), so a repeated request is harmless.
            return booking
        expert = _lock_expert(booking.expert_id)
        assert expert is not None  # PROTECT keeps a booked expert's row
        slot_checks.require_active(expert)
        was_confirmed = booking.status == Status.CONFIRMED
        duration = int((booking.end - booking.start).total_seconds() // 60)
        slot_checks.check_slot(
            expert, start=start, duration=duration, now=now, exclude_booking_id=booking.pk
        )
        end = start + timedelta(minutes=duration)
        _swap(
            booking,
            Q(status__in=ANNOUNCED, start=booking.start) & _seen(sequence),
            now=now,
            bump=True,
            status=Status.CONFIRMED if expert.auto_confirm or agreed else Status.REQUESTED,
            start=start,
            end=end,
            blocked_start=start - timedelta(minutes=expert.buffer_before_minutes),
            blocked_end=end + timedelta(minutes=expert.buffer_after_minutes),
        )
        withdraw_open(booking.pk, now=now)
        booking = _reload(booking.pk)
        notify(booking, "rescheduled", now=now, context={"agreed": agreed})
        _mirror(booking, was_confirmed=was_confirmed)
        return booking


def complete(*, actor: Any, booking_id: int, now: datetime | None = None) -> ConsultationBooking:
    """The expert records that the consultation took place; the municipality is asked for
    feedback."""
    now = now or timezone.now()
    with _database_refusals(), transaction.atomic(durable=True):
        booking = _visible(actor, booking_id)
        _require(_is_expert_side(actor, booking))
        _past(booking, now)
        _swap(booking, Q(status=Status.CONFIRMED), now=now, status=Status.COMPLETED)
        ConsultationRequest.objects.filter(
            pk=booking.request_id, status=ConsultationRequest.Status.BOOKED
        ).update(status=ConsultationRequest.Status.CLOSED)
        booking = _reload(booking.pk)
        notify(booking, "completed", now=now)
        return booking


def no_show(*, actor: Any, booking_id: int, now: datetime | None = None) -> ConsultationBooking:
    """The expert records that nobody from the municipality came."""
    now = now or timezone.now()
    with _database_refusals(), transaction.atomic(durable=True):
        booking = _visible(actor, booking_id)
        _require(_is_expert_side(actor, booking))
        _past(booking, now)
        _swap(booking, Q(status=Status.CONFIRMED), now=now, status=Status.NO_SHOW)
        booking = _reload(booking.pk)
        notify(booking, "no_show", now=now)
        return booking


def give_feedback(
    *,
    actor: Any,
    booking_id: int,
    rating: int,
    comment: str = "",
    now: datetime | None = None,
) -> ConsultationBooking:
    """The municipality rates a completed consultation (1–5), once."""
    now = now or timezone.now()
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise Invalid(_("Bewertung von 1 bis 5."), fields={"rating": [_("1 bis 5.")]})
    comment = (comment or "").strip()
    if len(comment) > MAX_REASON:
        raise Invalid(_("Der Kommentar ist zu lang."), fields={"comment": [_("Zu lang.")]})
    with _database_refusals(), transaction.atomic(durable=True):
        booking = _visible(actor, booking_id)
        _require(_is_municipality_side(actor, booking))
        _swap(
            booking,
            Q(status=Status.COMPLETED, rating__isnull=True),
            now=now,
            rating=rating,
            feedback_comment=comment,
        )
        booking = _reload(booking.pk)
        notify(booking, "feedback", now=now)
        return booking
