"""The e-mails and calendar invitations a consultation booking's transitions send.

Called by bookings/services.py inside the transaction of the change; it says who hears of it and
what they see, and hands that to notifications.services.send_many.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from bookings.models import BookingProposal, ConsultationBooking, ProposedSlot
from bookings.request_summary import request_summary
from notifications import ics
from notifications.models import Notification
from notifications.services import Invite, Message, send_many
from notifications.services import Recipient as Addressee

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
    "proposed": (("municipality",), ""),
    "proposal_lapsed": (("expert", "municipality"), ""),
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


def _attendees(people: Iterable[Recipient]) -> tuple[ics.Attendee, ...]:
    """Everybody the message goes to, the expert first: a calendar shows a meeting its owner
    is not invited to as someone else's (Outlook, Google). NEEDS-ACTION with RSVP for all
    (issue 7); the booking's own state is the VEVENT's STATUS. An address iCalendar cannot
    carry is left out."""
    by_address: dict[str, ics.Attendee] = {}
    for person in sorted(people, key=lambda p: p.role != "expert"):
        try:
            attendee = ics.Attendee(email=person.email, name=person.name)
        except ValueError:
            continue
        by_address.setdefault(attendee.email.lower(), attendee)
    return tuple(by_address.values())


def _invitation(
    booking: ConsultationBooking,
    method: str,
    attendees: tuple[ics.Attendee, ...],
    language: str,
    now: datetime,
) -> ics.Invitation:
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
    return ics.Invitation(
        uid=booking.uid,
        sequence=booking.sequence,
        summary=summary,
        organizer=ics.Organizer(email=settings.DEFAULT_FROM_EMAIL, name=settings.ORGANIZER_NAME),
        attendees=attendees,
        sessions=(ics.Session(booking.start, booking.end),),
        dtstamp=now,
        method=method,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        description=f"{where}. {booking.reason}".strip() if booking.reason else where,
        location=booking.meeting_url or booking.location,
        url=booking.meeting_url,
    )


def _key(booking: ConsultationBooking, key: str, email: str) -> str:
    return f"booking:{booking.pk}:{key}:{booking.sequence}:{email}"


def _messages(
    booking: ConsultationBooking,
    transition: str,
    people: list[Recipient],
    *,
    now: datetime,
    key: str,
    context: dict[str, Any] | None = None,
) -> list[Message]:
    """One message per side: the templates branch on the side, its people share the text."""
    _roles, method = TRANSITIONS[transition]
    invite = None
    attendees = _attendees(people)
    if method and attendees:
        languages = {person.language for person in people}
        invite = Invite(
            invitations={
                language: _invitation(booking, method, attendees, language, now)
                for language in languages
            }
        )
    # Absolute links: the booking's page (confirm, decline, cancel, move, rate) and, for a
    # request that is open again, the request's expert suggestions.
    shared = {
        "booking": booking,
        "expert_name": booking.expert.display_name,
        "municipality_name": booking.request.plan.municipality.name,
        "tz": booking.expert.timezone,
        "booking_url": settings.SITE_URL + reverse("booking-detail", args=[booking.pk]),
        "matches_url": settings.SITE_URL + reverse("request-matches", args=[booking.request_id]),
        **(context or {}),
    }
    messages = []
    for role in dict.fromkeys(person.role for person in people):
        side = [person for person in people if person.role == role]
        messages.append(
            Message(
                kind=f"booking_{transition}",
                template=f"{TEMPLATES}{transition}",
                context={**shared, "role": role, "recipient_name": side[0].name},
                recipients=[
                    Addressee(
                        email=person.email,
                        name=person.name,
                        language=person.language,
                        dedup_key=_key(booking, key, person.email),
                    )
                    for person in side
                ],
                invite=invite,
            )
        )
    return messages


def _uninvited(
    booking: ConsultationBooking, people: list[Recipient], method: str, *, now: datetime
) -> list[Message]:
    """CANCELs for those the last invitation went to who are not among ``people`` now (a
    municipality's contact changed), and the booking's record of who holds the invitation."""
    current = [attendee.email.lower() for attendee in _attendees(people)]
    gone = [address for address in booking.invited or [] if address not in current]
    holding = current if method == "REQUEST" else []
    if holding != (booking.invited or []):
        ConsultationBooking.objects.filter(pk=booking.pk).update(invited=holding)
        booking.invited = holding
    messages = []
    language = _language([booking.request.language])
    for address in gone:
        try:
            attendee = ics.Attendee(address)
        except ValueError:
            continue
        messages.append(
            Message(
                kind="booking_uninvited",
                template=f"{TEMPLATES}uninvited",
                context={
                    "booking": booking,
                    "expert_name": booking.expert.display_name,
                    "municipality_name": booking.request.plan.municipality.name,
                    "tz": booking.expert.timezone,
                },
                recipients=[
                    Addressee(
                        email=address,
                        language=language,
                        dedup_key=_key(booking, "uninvited", address),
                    )
                ],
                invite=Invite(
                    invitations={
                        language: _invitation(booking, "CANCEL", (attendee,), language, now)
                    },
                    personal=True,
                ),
            )
        )
    return messages


def notify(  # type: ignore[no-untyped-def]
    booking: ConsultationBooking,
    transition: str,
    *,
    now: datetime,
    actor=None,
    context: dict[str, Any] | None = None,
) -> int:
    """Write the outbox rows of one transition (inside the caller's transaction); ``context``
    adds to what the templates see."""
    roles, method = TRANSITIONS[transition]
    people = recipients(booking, roles)
    context = {
        "cancelled_by_expert": actor is not None and booking.expert.user_id == actor.pk,
        **(context or {}),
    }
    if transition == "requested" or (transition == "confirmed" and actor is None):
        # A new consultation (confirmed without an actor: the expert confirms automatically):
        # the expert's mail says what is asked, so that they decide and prepare from it.
        context["request_summary"] = request_summary(booking)
    messages = _messages(booking, transition, people, now=now, key=transition, context=context)
    if method:
        messages += _uninvited(booking, people, method, now=now)
    if messages:
        send_many(messages)
    return sum(len(message.recipients) for message in messages)


def notify_reminders(bookings: list[ConsultationBooking], *, hours: int, now: datetime) -> int:
    """Reminders for ``bookings`` ``hours`` ahead, each (booking, sequence, recipient) once."""
    key = f"reminder-{hours}h"
    planned = [(b, recipients(b, TRANSITIONS["reminder"][0])) for b in bookings]
    keys = [_key(b, key, p.email)[:200] for b, people in planned for p in people]
    done = set(Notification.objects.filter(dedup_key__in=keys).values_list("dedup_key", flat=True))
    messages: list[Message] = []
    for booking, people in planned:
        todo = [p for p in people if _key(booking, key, p.email)[:200] not in done]
        if todo:
            messages += _messages(
                booking, "reminder", todo, now=now, key=key, context={"hours": hours}
            )
    if messages:
        send_many(messages)
    return sum(len(message.recipients) for message in messages)


def notify_proposal(
    booking: ConsultationBooking,
    proposal: BookingProposal,
    slots: list[ProposedSlot],
    transition: str,
    *,
    now: datetime,
) -> int:
    """The expert's counter-proposal: ``proposed`` tells the municipality the times and links
    to where it accepts one; ``proposal_lapsed`` tells both sides nobody did. Times are shown
    in the municipality's zone (the network's, settings.TIME_ZONE), the expert's in theirs."""
    people = recipients(booking, TRANSITIONS[transition][0])
    booking_url = settings.SITE_URL + reverse("booking-detail", args=[booking.pk])
    context = {
        "proposal": proposal,
        "slots": slots,
        "local_tz": settings.TIME_ZONE,
        "accept_url": f"{booking_url}#proposal",
    }
    key = f"{transition}-{proposal.pk}"
    messages = _messages(booking, transition, people, now=now, key=key, context=context)
    if messages:
        send_many(messages)
    return sum(len(message.recipients) for message in messages)
