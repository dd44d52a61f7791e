"""A consultation's message thread: its municipality's staff, its expert and the coordinators
write to each other before and after the consultation; each message is e-mailed to the other
side through the outbox (invariant 4: nobody else reads it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from bookings import selectors
from bookings.models import BookingMessage, ConsultationBooking
from core import validators
from core.api_fields import MAX_ID
from core.errors import Conflict, Invalid, NotFound, RateLimited
from core.preferences import DEFAULT_LANGUAGE, SUPPORTED, language_of
from core.rate_limits import RateLimit
from core.roles import is_coordinator, municipality_id_of
from notifications.services import Recipient, send

Role = BookingMessage.Role
Status = ConsultationBooking.Status
# Against floods, per author: a conversation rarely needs more than a few messages a minute.
MESSAGES_PER_USER = RateLimit("booking-messages", limit=20, window=600)
# The page shows the latest messages; the API pages through all of them.
PAGE_MESSAGES = 200


@dataclass(frozen=True, slots=True)
class Thread:
    """What the booking's page shows of its thread to one viewer."""

    messages: list[BookingMessage]
    # Older messages than the page shows exist (the API lists them all).
    truncated: bool


def _role(actor: Any, booking: ConsultationBooking) -> str | None:
    """The side ``actor`` writes for in this booking's thread, or None for anybody else."""
    if not getattr(actor, "is_authenticated", False):
        return None
    if booking.expert.user_id == actor.pk:
        return Role.EXPERT
    if municipality_id_of(actor) == booking.request.plan.municipality_id:
        return Role.MUNICIPALITY
    if is_coordinator(actor):
        return Role.COORDINATOR
    return None


def _announced(booking: ConsultationBooking) -> bool:
    """A hold, and a hold that lapsed, was never sent to the expert: it has no thread."""
    if booking.status == Status.HELD:
        return False
    return not (booking.status == Status.CANCELLED and booking.hold_expires_at is not None)


def _participant(actor: Any, booking_id: int) -> tuple[ConsultationBooking, str]:
    """The booking and the actor's side in it; 404 for anybody who is not in its thread. The
    expert does not learn of a hold, so its thread is "not found" for them too."""
    booking = None
    if 0 < booking_id <= MAX_ID:  # a larger id is no row and no database error either
        booking = (
            selectors.bookings_for(actor)
            .select_related("expert__user__account_preference")
            .filter(pk=booking_id)
            .first()
        )
    role = _role(actor, booking) if booking is not None else None
    if booking is None or role is None or (role == Role.EXPERT and not _announced(booking)):
        raise NotFound(_("Buchung nicht gefunden."))
    return booking, role


# --- reads ------------------------------------------------------------------------------------


def _messages_of(booking_id: int) -> QuerySet[BookingMessage]:
    return BookingMessage.objects.filter(booking_id=booking_id).order_by("created_at", "id")


def thread(*, actor: Any, booking_id: int) -> QuerySet[BookingMessage]:
    """The booking's messages, oldest first, for one of its sides or a coordinator (else 404)."""
    booking, _side = _participant(actor, booking_id)
    return _messages_of(booking.pk)


def page_thread(*, viewer: Any, booking: ConsultationBooking) -> Thread | None:
    """The thread as the booking's page shows it to ``viewer`` (who may see the booking): the
    latest ``PAGE_MESSAGES``, oldest first; None where there is no thread for them."""
    role = _role(viewer, booking)
    if role is None or not _announced(booking):
        return None
    latest = list(_messages_of(booking.pk).order_by("-created_at", "-id")[: PAGE_MESSAGES + 1])
    return Thread(
        messages=latest[:PAGE_MESSAGES][::-1],
        truncated=len(latest) > PAGE_MESSAGES,
    )


# --- writing ----------------------------------------------------------------------------------


def clean_body(body: Any) -> str:
    """The message as stored: plain text, line breaks as LF, trimmed, 1 to MAX_BODY characters;
    anything else is a 400 that says what is wrong."""
    if not isinstance(body, str):
        raise Invalid(_("Bitte eine Nachricht als Text senden."), fields={"body": [_("Text.")]})
    # Checked before trimming: str.strip() would quietly drop separators such as U+001F at
    # either end, while the same character inside the text is refused.
    text = body.replace("\r\n", "\n")
    if validators.has_control_characters(text, multiline=True):
        raise Invalid(
            _("Die Nachricht enthält unzulässige Steuerzeichen."),
            code=validators.CODE,
            fields={"body": [validators.MESSAGE]},
        )
    text = text.strip()
    if not text:
        raise Invalid(
            _("Die Nachricht ist leer."),
            fields={"body": [_("Bitte schreiben Sie eine Nachricht.")]},
        )
    if len(text) > BookingMessage.MAX_BODY:
        limit = {"max": BookingMessage.MAX_BODY, "n": len(text)}
        raise Invalid(
            _("Die Nachricht ist zu lang: höchstens %(max)s Zeichen, sie hat %(n)s.") % limit,
            code="too_long",
            fields={"body": [_("Höchstens %(max)s Zeichen (jetzt %(n)s).") % limit]},
        )
    return text


def _check_rate(actor: Any) -> None:
    if wait := MESSAGES_PER_USER.hit(str(actor.pk)):
        raise RateLimited(
            _("Zu viele Nachrichten in kurzer Zeit. Bitte in %(s)s Sekunden noch einmal versuchen.")
            % {"s": wait},
            retry_after=wait,
        )


def _author_name(actor: Any, booking: ConsultationBooking, role: str) -> str:
    if role == Role.EXPERT:
        return booking.expert.display_name
    return (actor.get_full_name() or actor.get_username())[:200]


def post_message(*, actor: Any, booking_id: int, body: Any) -> BookingMessage:
    """Write ``body`` into the booking's thread and e-mail it to the other side (outbox, same
    transaction). 404 for anybody outside the thread, 400 for an empty, too long or unclean
    text, 409 for a hold (the expert knows nothing of it yet), 429 beyond the flood limit."""
    with transaction.atomic(durable=True):
        booking, role = _participant(actor, booking_id)
        text = clean_body(body)
        if not _announced(booking):
            raise Conflict(
                _("Eine Vormerkung hat noch keine Nachrichten: fragen Sie den Termin erst an."),
                code="not_announced",
                extra={"status": booking.status},
            )
        _check_rate(actor)
        message = BookingMessage.objects.create(
            booking=booking,
            author=actor,
            author_name=_author_name(actor, booking, role),
            author_role=role,
            body=text,
        )
        _notify(booking, message)
    return message


# --- who hears of it --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Person:
    email: str
    name: str
    language: str


def _expert_side(booking: ConsultationBooking) -> list[_Person]:
    expert = booking.expert
    email = expert.email or expert.user.email
    return [_Person(email, expert.display_name, language_of(expert.user))] if email else []


def _municipality_side(booking: ConsultationBooking) -> list[_Person]:
    """The municipality's people who take part in this consultation: who booked it and who
    wrote in its thread (while still on its staff), and its contact address; all of its staff
    when none of these is known."""
    municipality = booking.request.plan.municipality
    staff = (
        get_user_model()
        .objects.filter(municipal_staff__municipality_id=municipality.pk, is_active=True)
        .exclude(email="")
        .select_related("account_preference")
        .order_by("pk")
    )
    taking_part = Q(pk=booking.created_by_id) | Q(
        pk__in=BookingMessage.objects.filter(
            booking_id=booking.pk, author_role=Role.MUNICIPALITY
        ).values("author_id")
    )
    contact = municipality.contact_email
    if contact:
        taking_part |= Q(email__iexact=contact)
    users = list(staff.filter(taking_part)) or ([] if contact else list(staff))
    people = [
        _Person(user.email, user.get_full_name() or municipality.name, language_of(user))
        for user in users
    ]
    if contact and contact.lower() not in {p.email.lower() for p in people}:
        # A shared address with no account: the language the consultation was asked for in.
        language = booking.request.language
        people.append(
            _Person(
                contact,
                municipality.name,
                language if language in SUPPORTED else DEFAULT_LANGUAGE,
            )
        )
    return people


def recipients(booking: ConsultationBooking, message: BookingMessage) -> list[_Person]:
    """The other side of ``message``: both sides when a coordinator wrote; never its author."""
    people: list[_Person] = []
    if message.author_role != Role.EXPERT:
        people += _expert_side(booking)
    if message.author_role != Role.MUNICIPALITY:
        people += _municipality_side(booking)
    own = (getattr(message.author, "email", "") or "").lower()
    unique: dict[str, _Person] = {}
    for person in people:
        unique.setdefault(person.email.lower(), person)
    unique.pop(own, None)
    return list(unique.values())


def _notify(booking: ConsultationBooking, message: BookingMessage) -> None:
    people = recipients(booking, message)
    if not people:
        return
    send(
        kind="booking_message",
        template="bookings/email/booking_message",
        context={
            "booking": booking,
            "message": message,
            "municipality_name": booking.request.plan.municipality.name,
            "expert_name": booking.expert.display_name,
            "tz": booking.expert.timezone,
            "booking_url": settings.SITE_URL
            + reverse("booking-detail", args=[booking.pk])
            + "#messages",
        },
        recipients=[
            Recipient(
                email=person.email,
                name=person.name,
                language=person.language,
                dedup_key=f"booking-message:{message.pk}:{person.email.lower()}",
                values={"recipient_name": person.name},
            )
            for person in people
        ],
    )
