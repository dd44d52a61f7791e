"""Registering for an event (double opt-in, first come first served) and the participant's
self-service behind the e-mailed link: confirm, cancel, forget, the calendar file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from consult.models import Municipality
from core import locking
from core.errors import Conflict, Invalid, NotFound
from core.validators import MESSAGE as CONTROL_MESSAGE
from core.validators import has_control_characters
from events import selectors
from events.models import Event, Registration
from events.notifications import (
    dedup_key,
    event_invitation,
    for_participant,
    notify,
    registration_received,
)
from events.retention import anonymise
from events.waitinglist import lock_event, release, sessions_of, settle
from notifications import ics
from notifications.models import Notification

PENDING = Registration.Status.PENDING
CONFIRMED = Registration.Status.CONFIRMED
WAITLISTED = Registration.Status.WAITLISTED

# Control characters (and the Unicode line/paragraph separators) have no place in a name: they
# break e-mail headers, CSV cells and calendar parameters.


def participant_language(language: str | None) -> str:
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    return "en" if language.lower().startswith("en") else "de"


def clean_text(
    value: Any, *, field: str, max_length: int, required: bool, errors: dict[str, str]
) -> str:
    text = " ".join(str(value or "").split()) if field == "name" else str(value or "").strip()
    if required and not text:
        errors[field] = _("Bitte ausfüllen.")
    elif len(text) > max_length:
        errors[field] = _("Höchstens %(n)d Zeichen.") % {"n": max_length}
    elif has_control_characters(str(value or "")):
        errors[field] = str(CONTROL_MESSAGE)
    return text


def _clean_email(value: Any, errors: dict[str, str]) -> str:
    email = str(value or "").strip().lower()
    try:
        if not email or len(email) > 254:
            raise ValidationError("length")
        validate_email(email)
        # The address goes into calendar invitations verbatim: what ics refuses, we refuse.
        ics.Attendee(email)
    except (ValidationError, ValueError):
        errors["email"] = _("Bitte eine gültige E-Mail-Adresse angeben.")
    return email


def _municipality(municipality_id: Any, name: str, errors: dict[str, str]) -> Municipality | None:
    """A member chosen by id, or the member a typed name is the name of ("choose a member or
    type one"); a typed name of no member stays text."""
    if municipality_id in (None, ""):
        if not name:
            return None
        return Municipality.objects.filter(name__iexact=name).order_by("id").first()
    try:
        found = Municipality.objects.filter(pk=int(municipality_id)).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        errors["municipality"] = _("Diese Kommune gibt es nicht.")
    return found


def check_participant(
    *, name: Any, email: Any, municipality_id: Any, municipality_name: Any
) -> tuple[str, str, Municipality | None, str]:
    """The participant's data, cleaned; Invalid naming every field that is not right."""
    errors: dict[str, str] = {}
    name = clean_text(name, field="name", max_length=200, required=True, errors=errors)
    email = _clean_email(email, errors)
    municipality_name = clean_text(
        municipality_name, field="municipality_name", max_length=200, required=False, errors=errors
    )
    municipality = _municipality(municipality_id, municipality_name, errors)
    if errors:
        raise Invalid(_("Bitte die markierten Angaben prüfen."), fields=errors)
    return name, email, municipality, municipality_name


def _check_open(event: Event, now: datetime) -> None:
    if event.status == Event.Status.DRAFT:
        raise NotFound(
            _("Diese Veranstaltung gibt es nicht."),
            fields={"event": _("Die Veranstaltung ist nicht veröffentlicht.")},
        )
    if event.status == Event.Status.CANCELLED:
        message = _("Die Veranstaltung ist abgesagt.")
        raise Conflict(message, code="event_cancelled", fields={"event": message})
    if now < event.registration_opens:
        message = _("Die Anmeldung ist erst ab %(when)s möglich.") % {
            "when": timezone.localtime(event.registration_opens).strftime("%d.%m.%Y %H:%M")
        }
        raise Conflict(
            message, code="registration_not_open", fields={"registration_opens": message}
        )
    if now >= event.registration_closes:
        message = _("Die Anmeldefrist ist abgelaufen.")
        raise Conflict(message, code="registration_closed", fields={"registration_closes": message})


@dataclass(frozen=True)
class Registered:
    """What registering did. `created` and `position` are for the e-mail and the tests; what
    a registrant is told (API, page) must not depend on them: that would reveal whether an
    address was registered already."""

    registration: Registration
    created: bool
    position: int | None


def register(
    *,
    event_id: int,
    name: str,
    email: str,
    consent: bool,
    municipality_id: int | str | None = None,
    municipality_name: str = "",
    language: str | None = None,
    now: datetime | None = None,
) -> Registered:
    """Register for an event (anyone, no account): reserve a seat or a place in line now,
    held until the e-mailed link confirms it. The same e-mail twice gets the link again."""
    now = now or timezone.now()
    name, email, municipality, municipality_name = check_participant(
        name=name, email=email, municipality_id=municipality_id, municipality_name=municipality_name
    )
    if consent is not True:
        message = _("Bitte der Datenschutzerklärung zustimmen.")
        raise Invalid(message, fields={"consent": message})
    registration = Registration(
        event_id=event_id,
        name=name,
        email=email,
        municipality=municipality,
        municipality_name=municipality_name,
        language=participant_language(language),
        status=PENDING,
        hold_expires_at=now + timedelta(hours=settings.REGISTRATION_HOLD_HOURS),
        consent_at=now,
    )
    with locking.busy_on_lock_timeout(), transaction.atomic(durable=True):
        event = lock_event(event_id)
        _check_open(event, now)
        counts = selectors.registration_counts(event.pk, email=email, now=now)
        if counts["lapsed"]:  # holds no sweep has ended yet: their places go to the line first
            settle(event, now=now)
            counts = selectors.registration_counts(event.pk, email=email, now=now)
        sessions = sessions_of(event)
        if counts["mine"]:
            existing = selectors.live_registration(event.pk, email, now)
            if existing is not None:
                return _again(existing, event=event, sessions=sessions, now=now)
        registration.holds_seat = counts["seats"] < event.capacity
        registration.save(force_insert=True)
        # Under the lock nobody else changes the line: the newcomer is at its end.
        position = None if registration.holds_seat else counts["line"] + 1
        registration_received(registration, event, sessions, position=position, now=now)
    return Registered(registration=registration, created=True, position=position)


def _again(
    registration: Registration, *, event: Event, sessions: list[Any], now: datetime
) -> Registered:
    """A second registration with the same e-mail: the link goes out again (at most hourly),
    with the registration's real state; the registrant is told no more than a newcomer."""
    position = selectors.waitlist_position(registration, now=now)
    notify(
        registration,
        "registration_received",
        event=event,
        sessions=sessions,
        now=now,
        key=f"again.{now:%Y%m%d%H}",
        extra={
            "position": position,
            "hold_hours": settings.REGISTRATION_HOLD_HOURS,
            "again": True,
        },
    )
    return Registered(registration=registration, created=False, position=position)


def _by_token(token: str) -> Registration:
    registration = selectors.registration_by_token(token)
    if registration is None:
        raise NotFound(_("Diese Anmeldung gibt es nicht."))
    return registration


def _reload(registration: Registration) -> Registration:
    return Registration.objects.select_related("event").get(pk=registration.pk)


def notify_confirmed_or_waiting(
    registration: Registration, *, event: Event, sessions: Any, now: datetime
) -> None:
    """A confirmed registration gets its seat's invitation, or its place in line."""
    if registration.holds_seat:
        notify(
            registration,
            "registration_confirmed",
            event=event,
            sessions=sessions,
            now=now,
            method="REQUEST",
        )
    else:
        notify(
            registration,
            "registration_waitlisted",
            event=event,
            sessions=sessions,
            now=now,
            extra={"position": selectors.waitlist_position(registration, now=now)},
        )


@transaction.atomic(durable=True)
def confirm(*, token: str, now: datetime | None = None) -> Registration:
    """The e-mailed link was followed: a held seat becomes confirmed, a place in line becomes
    a confirmed waiting-list entry. Idempotent."""
    now = now or timezone.now()
    registration = _by_token(token)
    if registration.status in (CONFIRMED, WAITLISTED):
        return registration
    event = lock_event(registration.event_id)
    registration = _reload(registration)
    if registration.status in (CONFIRMED, WAITLISTED):
        return registration
    if event.status == Event.Status.CANCELLED:
        raise Conflict(_("Die Veranstaltung ist abgesagt."), code="event_cancelled")
    if registration.status != PENDING or registration.is_lapsed(now):
        raise Conflict(
            _("Die Reservierung ist abgelaufen. Bitte melden Sie sich erneut an."),
            code="hold_expired",
        )
    sessions = sessions_of(event)
    settle(event, now=now, sessions=sessions)  # may just have given this one a seat
    registration = _reload(registration)
    registration.status = CONFIRMED if registration.holds_seat else WAITLISTED
    registration.confirmed_at = now
    registration.hold_expires_at = None
    registration.save(update_fields=["status", "confirmed_at", "hold_expires_at"])
    notify_confirmed_or_waiting(registration, event=event, sessions=sessions, now=now)
    return registration


@transaction.atomic(durable=True)
def cancel(*, token: str, now: datetime | None = None) -> Registration:
    """The participant cancels through their link; the first in line moves up. Idempotent."""
    now = now or timezone.now()
    registration = _by_token(token)
    event = lock_event(registration.event_id)
    return release(_reload(registration), event, now=now, by_participant=True)


@transaction.atomic(durable=True)
def forget(*, token: str, now: datetime | None = None) -> None:
    """ "Delete my data": cancel, anonymise, and drop the participant's outbox rows."""
    now = now or timezone.now()
    registration = _by_token(token)
    event = lock_event(registration.event_id)
    registration = release(_reload(registration), event, now=now, by_participant=True)
    anonymise(Registration.objects.filter(pk=registration.pk), now=now)
    Notification.objects.filter(dedup_key__startswith=dedup_key(registration, "")).exclude(
        status=Notification.Status.SENDING
    ).delete()


def invitation_for(*, token: str, now: datetime | None = None) -> str:
    """The .ics of a confirmed registration: one session an iTIP REQUEST; a series a plain
    calendar file (no METHOD) with one entry per session, with the same UIDs and SEQUENCE as
    the e-mailed invitations (which update and cancel the entries)."""
    now = now or timezone.now()
    registration = _by_token(token)
    if registration.status != CONFIRMED:
        raise NotFound(_("Eine Kalendereinladung gibt es erst nach der Bestätigung."))
    event = registration.event
    sessions = list(event.sessions.all())
    if not sessions:
        raise NotFound(_("Für diese Veranstaltung gibt es noch keinen Termin."))
    inv = for_participant(
        event_invitation(
            event, sessions, language=registration.language, method="REQUEST", now=now
        ),
        registration,
    )
    if len(sessions) == 1:
        return ics.build_invitation(inv)
    return ics.build_feed(
        [
            ics.FeedEntry(
                uid=ics.session_uid(event.uid, number),
                sequence=event.sequence,
                summary=inv.summary,
                start=session.start,
                end=session.end,
                dtstamp=now,
                description=inv.description,
                location=inv.location,
                url=inv.url,
            )
            for number, session in enumerate(sessions, 1)
        ],
        inv.summary,
        method="",  # one entry per session, each its own UID: a file to import, no iTIP
    )
