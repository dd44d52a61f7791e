"""The e-mails and calendar invitations a consultation booking's transitions send.

Called by bookings/services.py inside the transaction of the change (the outbox rows commit with
it). Each recipient gets the message in their language; the .ics travels with it: METHOD:REQUEST
for a new, confirmed or moved consultation, METHOD:CANCEL for a declined or cancelled one, always
with the booking's stable UID and its current SEQUENCE.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from bookings.models import ConsultationBooking
from notifications.ics import Attendee, Invitation, Organizer, Session, build_invitation
from notifications.models import Notification
from notifications.services import Rendered, queue_many, render_message

Status = ConsultationBooking.Status
TEMPLATES = "bookings/email/booking_"

# transition → (who hears of it, METHOD of the attached invitation or "" for none)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "requested": (("expert", "municipality"), "REQUEST"),
    "confirmed": (("expert", "municipality"), "REQUEST"),
    "rescheduled": (("expert", "municipality"), "REQUEST"),
    "declined": (("expert", "municipality"), "CANCEL"),
    "cancelled": (("expert", "municipality"), "CANCEL"),
    "completed": (("municipality",), ""),
    "no_show": (("municipality",), ""),
    "feedback": (("expert",), ""),
    "reminder": (("expert", "municipality"), ""),
}


@dataclass(frozen=True, slots=True)
class Recipient:
    email: str
    name: str
    language: str
    role: str  # "expert" or "municipality"


def _language(candidates: Iterable[str]) -> str:
    """German unless the recipient works in English but not in German."""
    values = list(candidates)
    return "en" if "en" in values and "de" not in values else "de"


def recipients(booking: ConsultationBooking, roles: Iterable[str]) -> list[Recipient]:
    result: list[Recipient] = []
    for role in roles:
        if role == "expert":
            expert = booking.expert
            email = expert.email or expert.user.email
            if email:
                result.append(
                    Recipient(email, expert.display_name, _language(expert.languages or []), role)
                )
        else:
            municipality = booking.request.plan.municipality
            language = _language([booking.request.language])
            emails = [municipality.contact_email]
            if booking.created_by is not None:
                emails.append(booking.created_by.email)
            emails = [e for e in dict.fromkeys(emails) if e]
            if not emails:
                # Nobody named: every staff member of the municipality hears of it.
                emails = list(
                    get_user_model()
                    .objects.filter(municipal_staff__municipality=municipality)
                    .exclude(email="")
                    .order_by("pk")
                    .values_list("email", flat=True)
                )
            result.extend(Recipient(e, municipality.name, language, role) for e in emails)
    return result


def _attendee(recipient: Recipient) -> Attendee | None:
    try:
        # NEEDS-ACTION with RSVP for everybody (issue 7): the invitation asks each person to
        # answer in their calendar; the booking's own state is the VEVENT's STATUS.
        return Attendee(email=recipient.email, name=recipient.name)
    except ValueError:  # an address iCalendar cannot carry: leave it out of the invitation
        return None


def _invitation_text(
    booking: ConsultationBooking, method: str, people: list[Recipient], language: str, now: datetime
) -> str:
    # Everybody the message goes to is an attendee: a calendar shows a meeting its owner is not
    # invited to as someone else's (Outlook, Google).
    by_address: dict[str, Attendee] = {}
    for person in sorted(people, key=lambda p: p.role != "expert"):  # the expert first
        attendee = _attendee(person)
        if attendee is not None:
            by_address.setdefault(attendee.email.lower(), attendee)
    attendees = tuple(by_address.values())
    if not attendees:
        return ""
    names = (booking.request.plan.municipality.name, booking.expert.display_name)
    if language == "en":
        summary = "Participatory budget consultation: {} with {}".format(*names)
        where = "Online" if booking.format == "online" else "On site"
    else:
        summary = "Beratung Bürgerhaushalt: {} mit {}".format(*names)
        where = "Online" if booking.format == "online" else "Vor Ort"
    if method == "CANCEL":
        status = "CANCELLED"
    else:
        status = "CONFIRMED" if booking.status == Status.CONFIRMED else "TENTATIVE"
    invitation = Invitation(
        uid=booking.uid,
        sequence=booking.sequence,
        summary=summary,
        organizer=Organizer(email=settings.DEFAULT_FROM_EMAIL, name=settings.ORGANIZER_NAME),
        attendees=attendees,
        sessions=(Session(booking.start, booking.end),),
        dtstamp=now,
        method=method,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        description=f"{where}. {booking.reason}".strip() if booking.reason else where,
        location=booking.meeting_url or booking.location,
        url=booking.meeting_url,
    )
    return build_invitation(invitation)


def _rows(
    booking: ConsultationBooking,
    transition: str,
    people: list[Recipient],
    *,
    now: datetime,
    key: str,
    context: dict | None = None,
) -> list[Notification]:
    _roles, method = TRANSITIONS[transition]
    # Absolute links: the booking's page (confirm, decline, cancel, move, rate) and, for a
    # request that is open again, the request's expert suggestions.
    links = {
        "booking_url": settings.SITE_URL + reverse("booking-detail", args=[booking.pk]),
        "matches_url": settings.SITE_URL + reverse("request-matches", args=[booking.request_id]),
    }
    invitations: dict[str, str] = {}
    # Recipients of one side share name, role and language: one rendering serves them all.
    messages: dict[tuple[str, str, str], Rendered] = {}
    rows = []
    for person in people:
        if method and person.language not in invitations:
            invitations[person.language] = _invitation_text(
                booking, method, people, person.language, now
            )
        key_ = (person.role, person.name, person.language)
        if key_ not in messages:
            messages[key_] = render_message(
                f"{TEMPLATES}{transition}",
                {
                    "booking": booking,
                    "role": person.role,
                    "recipient_name": person.name,
                    "expert_name": booking.expert.display_name,
                    "municipality_name": booking.request.plan.municipality.name,
                    "tz": booking.expert.timezone,
                    "site_url": settings.SITE_URL,
                    **links,
                    **(context or {}),
                },
                language=person.language,
            )
        message = messages[key_]
        ics = invitations.get(person.language, "") if method else ""
        rows.append(
            Notification(
                recipient=person.email,
                recipient_name=person.name[:200],
                kind=f"booking_{transition}",
                language=person.language,
                subject=message.subject,
                body_text=message.text,
                body_html=message.html,
                ics=ics,
                ics_method=method if ics else "",
                dedup_key=f"booking:{booking.pk}:{key}:{booking.sequence}:{person.email}"[:200],
            )
        )
    return rows


def notify(booking: ConsultationBooking, transition: str, *, now: datetime, actor=None) -> int:  # type: ignore[no-untyped-def]
    """Write the outbox rows of one transition (inside the caller's transaction)."""
    roles, _method = TRANSITIONS[transition]
    people = recipients(booking, roles)
    context = {"cancelled_by_expert": actor is not None and booking.expert.user_id == actor.pk}
    rows = _rows(booking, transition, people, now=now, key=transition, context=context)
    if rows:
        queue_many(rows)
    return len(rows)


def notify_reminders(bookings: list[ConsultationBooking], *, hours: int, now: datetime) -> int:
    """Reminders for ``bookings`` ``hours`` ahead, each (booking, sequence, recipient) once."""
    key = f"reminder-{hours}h"
    planned = [(b, recipients(b, TRANSITIONS["reminder"][0])) for b in bookings]
    keys = [
        f"booking:{b.pk}:{key}:{b.sequence}:{p.email}"[:200]
        for b, people in planned
        for p in people
    ]
    done = set(Notification.objects.filter(dedup_key__in=keys).values_list("dedup_key", flat=True))
    rows: list[Notification] = []
    for booking, people in planned:
        todo = [
            p
            for p in people
            if f"booking:{booking.pk}:{key}:{booking.sequence}:{p.email}"[:200] not in done
        ]
        if todo:
            rows.extend(
                _rows(booking, "reminder", todo, now=now, key=key, context={"hours": hours})
            )
    if rows:
        queue_many(rows)
    return len(rows)
