"""Where and when a consultation can take place: the checks book and reschedule share (an
aware start, a free slot in the expert's calendar, a format both sides offer, the room)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bookings import selectors
from bookings.meeting_rooms import new_room_id
from bookings.models import ConsultationBooking
from bookings.room_services import room_url
from consult.models import ConsultationRequest, Municipality
from core.errors import Conflict, Invalid
from experts import selectors as expert_selectors
from experts.models import ExpertProfile
from experts.slots import Reason

Status = ConsultationBooking.Status
Format = ConsultationBooking.Format
HOLD_EXPIRED = gettext_lazy("Vormerkung abgelaufen.")

# How each refusal of experts.slots.check_slot reaches the client: rules of the expert's
# calendar are 400 (the input can never work), a full day/week or a taken slot are 409.
_REFUSALS: dict[Reason, tuple[type[Invalid] | type[Conflict], str, Any]] = {
    Reason.BAD_DURATION: (
        Invalid,
        "duration_minutes",
        gettext_lazy("Diese Dauer wird nicht angeboten."),
    ),
    Reason.TOO_SOON: (
        Invalid,
        "start",
        gettext_lazy("Zu kurzfristig: die Mindestvorlaufzeit ist nicht eingehalten."),
    ),
    Reason.BEYOND_HORIZON: (
        Invalid,
        "start",
        gettext_lazy("Zu weit in der Zukunft: jenseits des Buchungshorizonts."),
    ),
    Reason.OUTSIDE_AVAILABILITY: (
        Invalid,
        "start",
        gettext_lazy("Außerhalb der Verfügbarkeit der Expert*in."),
    ),
    Reason.OFF_GRID: (
        Invalid,
        "start",
        gettext_lazy("Kein angebotener Beginn: bitte einen freien Termin aus der Liste wählen."),
    ),
    Reason.DAY_LIMIT: (
        Conflict,
        "start",
        gettext_lazy("An diesem Tag sind keine weiteren Termine möglich."),
    ),
    Reason.WEEK_LIMIT: (
        Conflict,
        "start",
        gettext_lazy("In dieser Woche sind keine weiteren Termine möglich."),
    ),
    Reason.OVERLAPS: (Conflict, "start", gettext_lazy("Termin nicht mehr frei.")),
}
_REFUSAL_CODES = {Reason.OVERLAPS: "slot_taken"}


# No consultation is booked this far out; beyond it the slot arithmetic (the start's ISO week,
# buffers) could overflow datetime: a 500 where a 400 is due.
LATEST_START = datetime(9000, 1, 1, tzinfo=UTC)


def require_aware(start: datetime) -> None:
    if start.tzinfo is None or start.utcoffset() is None:
        raise Invalid(
            _("Bitte mit Zeitzone angeben, z. B. 2027-03-01T10:00:00+01:00."),
            fields={"start": [_("Ohne Zeitzone.")]},
        )
    if start > LATEST_START:
        raise Invalid(
            _("Zu weit in der Zukunft: jenseits des Buchungshorizonts."),
            code="beyond_horizon",
            fields={"start": [_("Außerhalb des möglichen Bereichs.")]},
        )


def require_active(expert: ExpertProfile) -> None:
    """An inactive expert takes no new time: no booking, no move, no proposal."""
    if not expert.active:
        raise Invalid(
            _("Diese Expert*in nimmt derzeit keine Buchungen an."),
            code="expert_inactive",
            fields={"expert": [_("Nicht aktiv.")]},
        )


def check_slot(
    expert: ExpertProfile,
    *,
    start: datetime,
    duration: int,
    now: datetime,
    exclude_booking_id: int | None = None,
) -> None:
    """Refuse a start the expert's calendar does not offer (400) or that is taken (409).

    Lapsed holds in the way are released here: they occupy no time, but the exclusion
    constraint counts them until their status changes (the periodic sweep may not have run)."""
    if start <= now:
        raise Invalid(
            _("Der Termin liegt in der Vergangenheit."),
            code="in_past",
            fields={"start": [_("Liegt in der Vergangenheit.")]},
        )
    calendar = selectors.calendar_for_expert(
        expert,
        start=start,
        end=start + timedelta(minutes=duration),
        now=now,
        exclude_booking_id=exclude_booking_id,
    )
    reason = expert_selectors.check_slot_for(
        expert, start=start, duration=duration, now=now, busy=calendar.busy
    )
    if reason is not None:
        error, field, message = _REFUSALS[reason]
        raise error(
            message,
            code=_REFUSAL_CODES.get(reason, reason.value),
            fields={field: [str(message)]},
        )
    if calendar.lapsed_holds:
        release_holds(
            ConsultationBooking.objects.filter(pk__in=calendar.lapsed_holds, status=Status.HELD),
            now=now,
        )


def release_holds(holds: QuerySet[ConsultationBooking], *, now: datetime) -> int:
    return holds.update(status=Status.CANCELLED, reason=str(HOLD_EXPIRED), updated_at=now)


def resolve_format(
    requested: str | None, request: ConsultationRequest, expert: ExpertProfile
) -> str:
    offered = set(expert.formats or [])
    wanted = {request.format} if request.format in Format.values else set(Format.values)
    possible = offered & wanted
    if requested:
        if requested not in Format.values or requested not in possible:
            raise Invalid(
                _("Dieses Format passt nicht zur Anfrage oder zur Expert*in."),
                code="bad_format",
                fields={"format": [_("Möglich: %(formats)s") % {"formats": sorted(possible)}]},
            )
        return requested
    if not possible:
        raise Invalid(
            _("Die Expert*in bietet das gewünschte Format nicht an."),
            code="bad_format",
            fields={"format": [_("Kein gemeinsames Format.")]},
        )
    return Format.ONLINE if Format.ONLINE in possible else Format.ONSITE


def online_room(expert: ExpertProfile) -> tuple[str, str]:
    """(room, meeting_url) of a new online consultation: the expert's standing room if they
    have one; else with MEETING_PROVIDER=bbb the service's own room (bookings/room_services.py),
    else a Jitsi room under MEETING_BASE_URL. Fixed when booked, kept across reschedules."""
    if expert.meeting_url:
        return "", expert.meeting_url
    # Unguessable either way: the link is the only thing keeping strangers out.
    room = new_room_id()
    if settings.MEETING_PROVIDER == "bbb":
        return room, room_url(room)
    base = settings.MEETING_BASE_URL.rstrip("/") + "/"
    return "", f"{base}buergerhaushalt-{room}"


def location(municipality: Municipality) -> str:
    parts = [municipality.name, municipality.district, municipality.state]
    return ", ".join(p for p in parts if p)
