"""The e-mails and calendar invitations of events: what a participant's message shows and who
gets it, handed to notifications.services.send (one participant or a fan-out to many).

Called by the events services inside the transaction of the change (the outbox rows commit with
it); one invitation per session, with the event's stable UID and current SEQUENCE.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.functional import lazy

from events.models import Event, EventSession, Registration
from notifications import ics
from notifications.services import Invite, Recipient, send

CONFIRMED = Registration.Status.CONFIRMED

Span = tuple[datetime, datetime]


def self_service_url(token: str) -> str:
    """The participant's private page (status, confirm, cancel, .ics, delete my data)."""
    return f"{settings.SITE_URL}/registrations/{token}/"


def dedup_key(registration: Registration, what: str) -> str:
    """Every outbox key of a participant starts with the same prefix, so their rows can be
    found and deleted with their data."""
    return f"events.{registration.event_id}.reg.{registration.pk}.{what}"


def event_context(event: Event, sessions: Sequence[Any], *, confirmed: bool) -> dict:
    """What every event e-mail shows; the online link only for confirmed participants. The
    title is read when the message is rendered, in its recipient's language."""
    return {
        "event": event,
        "title": lazy(lambda: event.title, str)(),
        "sessions": sessions,
        "place": event.place,
        "address": event.address,
        "online_url": event.online_url if confirmed else "",
        "show_place": confirmed,
    }


def event_location(event: Event) -> str:
    parts = [part for part in (event.place, event.address) if part]
    if parts:
        return ", ".join(parts)
    return event.online_url


def event_invitation(
    event: Event,
    sessions: Sequence[EventSession | Span],
    *,
    language: str,
    method: str,
    now: datetime,
) -> ics.Invitation:
    """The event as an iTIP invitation with a placeholder attendee (replaced per recipient)."""
    spans = [s if isinstance(s, tuple) else (s.start, s.end) for s in sessions]
    with translation.override(language):
        summary = event.title
        description = (
            (event.description_en or event.description_de)
            if language == "en"
            else (event.description_de)
        )
    return ics.Invitation(
        uid=event.uid,
        sequence=event.sequence,
        summary=summary,
        organizer=ics.Organizer(settings.DEFAULT_FROM_EMAIL, settings.ORGANIZER_NAME),
        attendees=(ics.Attendee("placeholder@invalid.example"),),
        sessions=tuple(ics.Session(start, end) for start, end in spans),
        dtstamp=now,
        method=method,  # type: ignore[arg-type]
        status="CANCELLED" if method == "CANCEL" else "CONFIRMED",
        description=description,
        location=event_location(event),
        url=event.online_url
        if event.online_url.lower().startswith(("http://", "https://"))
        else "",
    )


def for_participant(inv: ics.Invitation, registration: Registration) -> ics.Invitation:
    """``inv`` with the participant as its one ATTENDEE (the .ics download)."""
    # PARTSTAT=NEEDS-ACTION with RSVP=TRUE, as issue 7 specifies for every invitation: the
    # recipient's client offers to accept and files the entry as theirs once they do.
    return dataclasses.replace(
        inv, attendees=(ics.Attendee(registration.email, registration.name),)
    )


def _language(registration: Registration) -> str:
    return registration.language if registration.language in ("de", "en") else "de"


def _recipient(registration: Registration, key: str, **values: Any) -> Recipient:
    """The participant as a recipient: name and link are theirs alone, put in per copy."""
    return Recipient(
        email=registration.email,
        name=registration.name,
        language=_language(registration),
        dedup_key=dedup_key(registration, key),
        values={"name": registration.name, "link": self_service_url(registration.token), **values},
    )


def _invite(
    event: Event,
    sessions: Sequence[EventSession | Span],
    languages: set[str],
    *,
    method: str,
    now: datetime,
    numbers: Sequence[int] | None = None,
    per_session: dict[int, dict[str, Any]] | None = None,
) -> Invite:
    """One iTIP message per session (``numbers``, default all), each participant its one
    attendee: participants never see each other's addresses."""
    return Invite(
        invitations={
            language: event_invitation(event, sessions, language=language, method=method, now=now)
            for language in languages
        },
        personal=True,
        sessions=list(numbers or range(1, len(sessions) + 1)),
        per_session=per_session or {},
    )


def notify(
    registration: Registration,
    template: str,
    *,
    event: Event,
    sessions: Sequence[EventSession],
    now: datetime,
    key: str | None = None,
    method: str | None = None,
    extra: dict | None = None,
) -> None:
    """``template`` for one participant in their language, with the invitation if ``method``."""
    confirmed = registration.status == CONFIRMED
    key = key or template
    invite = None
    if method and sessions:
        invite = _invite(event, sessions, {_language(registration)}, method=method, now=now)
        key = f"{key}.q{event.sequence}"
    send(
        kind=f"event.{template}",
        template=f"events/email/{template}",
        context={
            **event_context(event, sessions, confirmed=confirmed or method == "CANCEL"),
            "registration": registration,
            **(extra or {}),
        },
        recipients=[_recipient(registration, key)],
        invite=invite,
        send_after=now,
    )


def registration_received(
    registration: Registration,
    event: Event,
    sessions: Sequence[EventSession],
    *,
    position: int | None,
    now: datetime,
) -> None:
    """The e-mail with the self-service link to confirm a new registration (and its place in
    line, if any). In a rush every registrant of an event gets the same e-mail but for name,
    link and place: it is rendered once per event version, language and outcome and kept."""
    shared = {
        **event_context(event, sessions, confirmed=False),
        # Only what the reuse key below holds: a rendering shared by registrants must not
        # carry one registrant's data (a template reading the e-mail address, say).
        "registration": {"status": registration.status},
        "hold_hours": settings.REGISTRATION_HOLD_HOURS,
    }
    reuse_key = (
        "events.registration_received",
        event.pk,
        event.updated_at,
        registration.status,
        tuple((s.start, s.end) for s in sessions),
        event.title_de,
        event.title_en,
        shared["place"],
        shared["address"],
        shared["hold_hours"],
        settings.SITE_URL,
        timezone.get_current_timezone_name(),
    )
    send(
        kind="event.registration_received",
        template="events/email/registration_received",
        context=shared,
        recipients=[_recipient(registration, "registration_received", position=position)],
        reuse_key=reuse_key,
        send_after=now,
    )


def fan_out(
    *,
    event: Event,
    registrations: Sequence[Registration],
    template: str,
    key: str,
    now: datetime,
    method: str | None,
    sessions: Sequence[EventSession | Span],
    numbers: Sequence[int] | None = None,
    extra: dict | None = None,
    confirmed: bool = True,
    shown: Sequence[EventSession | Span] | None = None,
) -> list[int]:
    """One message to many participants, written in one bulk INSERT; no query per participant.

    `sessions` are those of the invitation (`numbers` picks which of them get a row). With
    `shown` (a CANCEL of dropped sessions), the text lists `shown`, the sessions that apply now,
    and each row's text names the session it cancels as `dropped`.
    """
    if not registrations:
        return []

    def as_rows(spans: Sequence[EventSession | Span]) -> list:
        return [s if not isinstance(s, tuple) else {"start": s[0], "end": s[1]} for s in spans]

    invite = None
    if method and sessions:
        per_session = None
        if shown is not None:
            per_session = {
                number: {"dropped": as_rows([sessions[number - 1]])[0]}
                for number in numbers or range(1, len(sessions) + 1)
            }
        languages = {_language(registration) for registration in registrations}
        invite = _invite(
            event,
            sessions,
            languages,
            method=method,
            now=now,
            numbers=numbers,
            per_session=per_session,
        )
    return send(
        kind=f"event.{template}",
        template=f"events/email/{template}",
        context={
            **event_context(event, [], confirmed=confirmed),
            "sessions": as_rows(sessions if shown is None else shown),
            **(extra or {}),
        },
        recipients=[_recipient(registration, key) for registration in registrations],
        invite=invite,
        send_after=now,
    )
