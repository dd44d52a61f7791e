"""The e-mails and calendar invitations of events: one participant's message (``notify``), a
fan-out to many in one INSERT (``fan_out``), the event as an iTIP invitation.

Called by events/services.py inside the transaction of the change (the outbox rows
commit with it). Each participant gets the message in their language; one invitation per
session (notifications/ics.py), with the event's stable UID and current SEQUENCE.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.utils import timezone, translation
from django.utils.html import escape

from events.models import Event, EventSession, Registration
from notifications import ics
from notifications.models import Notification
from notifications.services import Rendered, queue_many, render_message

CONFIRMED = Registration.Status.CONFIRMED

Span = tuple[datetime, datetime]


def self_service_url(token: str) -> str:
    """The participant's private page (status, confirm, cancel, .ics, delete my data)."""
    return f"{settings.SITE_URL}/registrations/{token}/"


def dedup_key(registration: Registration, what: str) -> str:
    """Every outbox key of a participant starts with the same prefix, so their rows can be
    found and deleted with their data."""
    return f"events.{registration.event_id}.reg.{registration.pk}.{what}"


def event_context(event: Event, sessions: Sequence[EventSession], *, confirmed: bool) -> dict:
    """What every event e-mail shows; the online link only for confirmed participants."""
    return {
        "event": event,
        "title": event.title,
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
    # PARTSTAT=NEEDS-ACTION with RSVP=TRUE, as issue 7 specifies for every invitation: the
    # recipient's client offers to accept and files the entry as theirs once they do.
    attendee = ics.Attendee(registration.email, registration.name)
    return dataclasses.replace(inv, attendees=(attendee,))


def session_subject(subject: str, number: int, total: int, language: str) -> str:
    if total == 1:
        return subject
    label = "session" if language == "en" else "Termin"
    return f"{subject} ({label} {number}/{total})"


def queue_with_invitations(
    *,
    registration: Registration,
    kind: str,
    key: str,
    message: Rendered,
    invitation: ics.Invitation | None,
    now: datetime,
) -> None:
    """One outbox row per session (one iTIP message per session, see notifications/ics.py),
    written with one INSERT."""

    def row(*, subject: str, dedup: str, text: str = "", method: str = "") -> Notification:
        return Notification(
            recipient=registration.email,
            recipient_name=" ".join(registration.name.split())[:200],
            kind=kind,
            language=registration.language,
            subject=subject,
            body_text=message.text,
            body_html=message.html,
            ics=text,
            ics_method=method,
            dedup_key=dedup_key(registration, dedup),
            next_attempt_at=now,
        )

    if invitation is None:
        queue_many([row(subject=message.subject, dedup=key)])
        return
    personal = for_participant(invitation, registration)
    total = len(invitation.sessions)
    queue_many(
        [
            row(
                subject=session_subject(message.subject, number, total, registration.language),
                dedup=f"{key}.q{invitation.sequence}.s{number}",
                text=ics.build_invitation(personal, number),
                method=invitation.method,
            )
            for number in range(1, total + 1)
        ]
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
    """Render `template` for one participant in their language and write it to the outbox."""
    confirmed = registration.status == CONFIRMED
    with translation.override(registration.language):
        context = {
            **event_context(event, sessions, confirmed=confirmed or method == "CANCEL"),
            "registration": registration,
            "name": registration.name,
            "link": self_service_url(registration.token),
            **(extra or {}),
        }
        message = render_message(
            f"events/email/{template}", context, language=registration.language
        )
        invitation = (
            event_invitation(
                event, sessions, language=registration.language, method=method, now=now
            )
            if method and sessions
            else None
        )
    queue_with_invitations(
        registration=registration,
        kind=f"event.{template}",
        key=key or template,
        message=message,
        invitation=invitation,
        now=now,
    )


# A registration's first e-mail, rendered once per kind of outcome: in a rush every registrant
# of an event gets the same e-mail but for name, link and place in line, and rendering the
# three templates cost ~2 ms of ~20 per registration. So it is rendered with markers for those
# three, kept per process under everything else it is rendered from, and each registrant gets
# a copy with their own values put in (escaped for HTML as the template would).
_MARK = uuid.uuid4().hex
_MARKED = re.compile(f"(name|link|position)-{_MARK}")
_RECEIVED_TEMPLATE = "events/email/registration_received"
_received_cache: dict[tuple, Rendered] = {}
_RECEIVED_CACHE_SIZE = 256


def registration_received(
    registration: Registration,
    event: Event,
    sessions: Sequence[EventSession],
    *,
    position: int | str | None,
) -> Rendered:
    """The e-mail with the self-service link to confirm a new registration (its place in line
    if `position`, a number or a marker the caller replaces later)."""
    language = registration.language
    with translation.override(language):
        shared = {
            **event_context(event, sessions, confirmed=False),
            # Only what the key below holds: a rendering shared by registrants must not
            # carry one registrant's data (a template reading the e-mail address, say).
            "registration": {"status": registration.status},
            "hold_hours": settings.REGISTRATION_HOLD_HOURS,
        }
        key = (
            event.pk,
            event.updated_at,
            language,
            registration.status,
            position is None,
            tuple((s.start, s.end) for s in sessions),
            shared["title"],
            shared["place"],
            shared["address"],
            shared["hold_hours"],
            settings.SITE_URL,
            timezone.get_current_timezone_name(),
        )
        marked = _received_cache.get(key)
        if marked is None:
            marked = render_message(
                _RECEIVED_TEMPLATE,
                {
                    **shared,
                    "name": f"name-{_MARK}",
                    "link": f"link-{_MARK}",
                    "position": None if position is None else f"position-{_MARK}",
                },
                language=language,
            )
            if len(_received_cache) >= _RECEIVED_CACHE_SIZE:
                _received_cache.clear()
            _received_cache[key] = marked
        link = self_service_url(registration.token)
        values = {"name": registration.name, "link": link, "position": str(position)}
        escaped = {field: escape(value) for field, value in values.items()}
        message = Rendered(
            subject=marked.subject,
            text=_MARKED.sub(lambda m: values[m[1]], marked.text),
            html=_MARKED.sub(lambda m: escaped[m[1]], marked.html),
        )
        if _MARK in message.subject + message.text + message.html:
            # A marker the template changed (a filter on the name, a cut subject): render as is.
            return render_message(
                _RECEIVED_TEMPLATE,
                {**shared, "name": registration.name, "link": link, "position": position},
                language=language,
            )
        return message


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
    """Outbox rows for many participants in one bulk INSERT (queue_many).

    The message is rendered once per language with placeholders for name and link, which are
    substituted per recipient; the invitation is built once per language and only its attendee
    changes per recipient. No query per participant.

    `sessions` are those of the invitation (`numbers` picks which of them get a row). With
    `shown` (a CANCEL of dropped sessions), the text lists `shown`, the sessions that apply now,
    and each row's text names the session it cancels as `dropped` (rendered once per language
    and session).
    """
    if not registrations:
        return []
    marker = uuid.uuid4().hex
    name_mark, link_mark = f"name-{marker}", f"link-{marker}"
    total = len(sessions)
    numbers = list(numbers or range(1, total + 1))
    messages: dict[tuple[str, int], Rendered] = {}
    invitations: dict[str, ics.Invitation | None] = {}
    rows: list[Notification] = []

    def as_rows(spans: Sequence[EventSession | Span]) -> list:
        return [s if not isinstance(s, tuple) else {"start": s[0], "end": s[1]} for s in spans]

    def rendered(language: str, number: int) -> Rendered:
        """The message in `language`; with `shown`, the one naming session `number` as dropped."""
        at = (language, number if shown is not None else 0)
        if at not in messages:
            with translation.override(language):
                context = {
                    **event_context(event, [], confirmed=confirmed),
                    "sessions": as_rows(sessions if shown is None else shown),
                    "name": name_mark,
                    "link": link_mark,
                    **(extra or {}),
                }
                if shown is not None and number:
                    context["dropped"] = as_rows([sessions[number - 1]])[0]
                messages[at] = render_message(
                    f"events/email/{template}", context, language=language
                )
        return messages[at]

    for registration in registrations:
        language = registration.language if registration.language in ("de", "en") else "de"
        if language not in invitations:
            with translation.override(language):
                invitations[language] = (
                    event_invitation(event, sessions, language=language, method=method, now=now)
                    if method and sessions
                    else None
                )
        invitation = invitations[language]
        link = self_service_url(registration.token)
        personal = for_participant(invitation, registration) if invitation else None
        for number in numbers if personal else [0]:
            message = rendered(language, number)
            text = message.text.replace(name_mark, registration.name).replace(link_mark, link)
            html = message.html.replace(name_mark, escape(registration.name)).replace(
                link_mark, escape(link)
            )
            rows.append(
                Notification(
                    recipient=registration.email,
                    recipient_name=" ".join(registration.name.split())[:200],
                    kind=f"event.{template}",
                    language=language,
                    subject=session_subject(message.subject, number, total, language)
                    if personal
                    else message.subject,
                    body_text=text,
                    body_html=html,
                    ics=ics.build_invitation(personal, number) if personal else "",
                    ics_method=personal.method if personal else "",
                    dedup_key=dedup_key(registration, f"{key}.s{number}" if personal else key),
                    next_attempt_at=now,
                )
            )
    return queue_many(rows)
