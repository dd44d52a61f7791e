"""Seminars, workshops and webinars: registration with double opt-in, capacity, waiting list,
event changes with calendar updates, reminders and data retention. Their e-mails and
invitations are built in events/notifications.py.

Invariant 2 (DESIGN.md 5): no event ever has more seat-holding registrations (confirmed, or
pending with a held seat) than its capacity. Every change of seats locks the event row
(`_lock_event`: late, once per transaction) and counts inside that transaction; whoever frees a
seat promotes the first in line (arrival order: created_at, id) in the same transaction.

Double opt-in that stays first come, first served: sending the form reserves a seat or a place
in line at once, held for settings.REGISTRATION_HOLD_HOURS until the e-mailed link confirms it;
an expired hold frees its place for the next in line.

Self-service link (e-mailed, never returned by the API): ``self_service_url(token)`` =
``{SITE_URL}/registrations/{token}/``. The page there shows the registration and offers confirm,
cancel, the .ics and "delete my data", each a POST (never a change on GET: mail scanners follow
links); the API behind it is ``/api/v1/registrations/{token}/``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import OperationalError, connection, transaction
from django.db.models import CharField, Max, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from consult.models import Municipality, new_token
from core.errors import Busy, Conflict, Forbidden, Invalid, NotFound
from core.roles import is_coordinator
from events import selectors as selectors
from events.models import Event, EventSession, Registration
from events.notifications import (
    Span,
    dedup_key,
    event_invitation,
    fan_out,
    for_participant,
    notify,
    queue_with_invitations,
    registration_received,
)
from notifications import ics
from notifications.models import Notification
from notifications.services import Rendered

PENDING = Registration.Status.PENDING
CONFIRMED = Registration.Status.CONFIRMED
WAITLISTED = Registration.Status.WAITLISTED
CANCELLED = Registration.Status.CANCELLED
EXPIRED = Registration.Status.EXPIRED

# Control characters (and the Unicode line/paragraph separators) have no place in a name: they
# break e-mail headers, CSV cells and calendar parameters.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_LOCK_NOT_AVAILABLE = "55P03"
_MAX_SESSIONS = 50
_MAX_CAPACITY = 100_000

# --- small helpers ----------------------------------------------------------------------------


def _language(language: str | None) -> str:
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    return "en" if language.lower().startswith("en") else "de"


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


_EVENT_FIELDS = Event._meta.concrete_fields
_SESSION_FIELDS = tuple(EventSession._meta.get_field(name) for name in ("id", "start", "end"))
_EVENT_SQL = """
SELECT {columns} FROM {table} WHERE id = %s
""".format(
    columns=", ".join(f'"{field.column}"' for field in _EVENT_FIELDS), table=Event._meta.db_table
)


def _from_db(model: Any, fields: Sequence[Any], values: Sequence[Any]) -> Any:
    """A model instance from raw column values, converted as the ORM would (SQLite returns
    naive datetimes and 0/1 for booleans; PostgreSQL needs no conversion)."""
    converted = []
    for field, value in zip(fields, values, strict=True):
        column = field.get_col(model._meta.db_table)
        for convert in connection.ops.get_db_converters(column) + field.get_db_converters(
            connection
        ):
            value = convert(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, [field.attname for field in fields], converted)


def _lock_event(event_id: int) -> Event:
    """Lock the event row for the rest of the transaction: seats are counted under this lock.

    FOR NO KEY UPDATE on the event row only: it serialises seat changes of this event but
    still lets registrations be inserted (their foreign key takes KEY SHARE). A lock that
    cannot be had within lock_timeout becomes Busy (409 + Retry-After). In plain SQL: it is on
    the hot path of every registration, and compiling the ORM's select_for_update cost more
    than the database spends on it. SQLite has no row locks; its IMMEDIATE transactions
    serialise the writers already.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("_lock_event needs the caller's transaction")
    sql = _EVENT_SQL.strip()
    if connection.features.has_select_for_no_key_update:
        sql += " FOR NO KEY UPDATE"
    elif connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    try:
        with connection.cursor() as cursor:
            # Out-of-range ids match nothing (the ORM's rule; raw SQL would overflow SQLite).
            cursor.execute(sql, [_as_id(event_id)])
            row = cursor.fetchone()
    except OperationalError as exc:
        if (
            getattr(exc.__cause__, "sqlstate", None) == _LOCK_NOT_AVAILABLE
            or "lock" in str(exc).lower()
        ):
            raise Busy(_("Gerade viel Andrang, bitte gleich noch einmal versuchen.")) from exc
        raise
    if row is None:
        raise NotFound(_("Diese Veranstaltung gibt es nicht."))
    return _from_db(Event, _EVENT_FIELDS, row)


def _sessions(event: Event) -> list[EventSession]:
    return list(EventSession.objects.filter(event=event).order_by("start", "id"))


def _seats_taken(event: Event) -> int:
    return Registration.objects.filter(selectors.HOLDS_SEAT, event=event).count()


def _clean_text(
    value: Any, *, field: str, max_length: int, required: bool, errors: dict[str, str]
) -> str:
    text = " ".join(str(value or "").split()) if field == "name" else str(value or "").strip()
    if required and not text:
        errors[field] = _("Bitte ausfüllen.")
    elif len(text) > max_length:
        errors[field] = _("Höchstens %(n)d Zeichen.") % {"n": max_length}
    elif _CONTROL.search(str(value or "")):
        errors[field] = _("Enthält unzulässige Steuerzeichen.")
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


# Who registers names their municipality on the hot path: plain SQL, as the ORM spends longer
# compiling these lookups than the database answering them. The name as Django's iexact
# compares it on PostgreSQL (SQLite's LIKE, which Django uses there, folds ASCII only, as
# its UPPER does).
_MUNICIPALITY_FIELDS = Municipality._meta.concrete_fields
_MUNICIPALITY_SQL = """
SELECT {columns} FROM {table} WHERE {where} ORDER BY id LIMIT 1
"""
_MUNICIPALITY_BY_ID, _MUNICIPALITY_BY_NAME = (
    _MUNICIPALITY_SQL.format(
        columns=", ".join(f'"{field.column}"' for field in _MUNICIPALITY_FIELDS),
        table=Municipality._meta.db_table,
        where=where,
    )
    for where in ("id = %s", "UPPER(name) = UPPER(%s)")
)
_MAX_ID = 2**63 - 1  # a bigint primary key


def _as_id(value: Any) -> int:
    """A primary key as a number; 0 (which matches nothing) for anything else."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 0 < number <= _MAX_ID else 0


def _municipality(sql: str, value: Any) -> Municipality | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, [value])
        row = cursor.fetchone()
    return None if row is None else _from_db(Municipality, _MUNICIPALITY_FIELDS, row)


def _check_participant(
    *, name: Any, email: Any, municipality_id: Any, municipality_name: Any
) -> tuple[str, str, Municipality | None, str]:
    errors: dict[str, str] = {}
    name = _clean_text(name, field="name", max_length=200, required=True, errors=errors)
    email = _clean_email(email, errors)
    municipality_name = _clean_text(
        municipality_name, field="municipality_name", max_length=200, required=False, errors=errors
    )
    municipality = None
    if municipality_id not in (None, ""):
        municipality = _municipality(_MUNICIPALITY_BY_ID, _as_id(municipality_id))
        if municipality is None:
            errors["municipality"] = _("Diese Kommune gibt es nicht.")
    elif municipality_name:
        # "Choose a member or type one": a typed name that is a member's links to it.
        municipality = _municipality(_MUNICIPALITY_BY_NAME, municipality_name)
    if errors:
        raise Invalid(_("Bitte die markierten Angaben prüfen."), fields=errors)
    return name, email, municipality, municipality_name


def _require_manager(user: Any, event: Event) -> None:
    if not selectors.can_manage(user, event):
        raise NotFound(_("Diese Veranstaltung gibt es nicht."))


def _require_coordinator(user: Any) -> None:
    if not is_coordinator(user):
        raise Forbidden(_("Nur die Koordination darf Veranstaltungen anlegen und ändern."))


# --- holds and the waiting list ---------------------------------------------------------------


def _settle(event: Event, *, now: datetime, sessions: Sequence[EventSession] | None = None) -> None:
    """Expire stale holds of `event` and promote the first in line into free seats.

    Needs the event lock (the caller's transaction). Promoted waiting-list entries become
    confirmed (with an invitation); promoted unconfirmed holds keep waiting for their link.
    """
    stale = list(
        Registration.objects.filter(
            event=event, status=PENDING, hold_expires_at__lte=now
        ).values_list("id", flat=True)
    )
    if stale:
        Registration.objects.filter(pk__in=stale).update(
            status=EXPIRED, holds_seat=False, hold_expires_at=None
        )
    _promote(event, now=now, sessions=sessions)


def _promote(
    event: Event, *, now: datetime, sessions: Sequence[EventSession] | None = None
) -> list[Registration]:
    if event.status != Event.Status.PUBLISHED:
        return []
    free = event.capacity - _seats_taken(event)
    if free <= 0:
        return []
    line = list(
        Registration.objects.filter(selectors.IN_LINE, event=event).order_by("created_at", "id")[
            :free
        ]
    )
    if not line:
        return []
    sessions = list(sessions) if sessions is not None else _sessions(event)
    if sessions and sessions[0].start <= now:
        return []  # the event has begun: nobody is pulled in any more
    # Whoever still has to confirm gets a fresh hold from now: the e-mail saying a seat is free
    # may arrive minutes before their old one lapsed. Never past the event's start.
    confirm_by = now + timedelta(hours=settings.REGISTRATION_HOLD_HOURS)
    if sessions:
        confirm_by = min(confirm_by, sessions[0].start)
    for registration in line:
        registration.holds_seat = True
        if registration.status == WAITLISTED:
            registration.status = CONFIRMED
        elif registration.hold_expires_at is not None:
            registration.hold_expires_at = max(registration.hold_expires_at, confirm_by)
    Registration.objects.bulk_update(line, ["holds_seat", "status", "hold_expires_at"])
    for registration in line:
        confirmed = registration.status == CONFIRMED
        notify(
            registration,
            "registration_promoted",
            event=event,
            sessions=sessions,
            now=now,
            key=f"promoted.{'confirmed' if confirmed else 'held'}",
            method="REQUEST" if confirmed else None,
            extra={"needs_confirmation": not confirmed},
        )
    return line


# --- registration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Registered:
    registration: Registration
    created: bool
    position: int | None


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


# The hot path's one counting query, in plain SQL: the ORM spends longer compiling four
# filtered aggregates than the database spends answering them (measured: ~2 ms of ~15 ms per
# registration). CASE instead of FILTER keeps it portable to SQLite.
_COUNTS_SQL = """
SELECT
  COALESCE(SUM(CASE WHEN {live} AND holds_seat = %s THEN 1 ELSE 0 END), 0) AS seats,
  COALESCE(SUM(CASE WHEN {live} AND holds_seat = %s THEN 1 ELSE 0 END), 0) AS line,
  COALESCE(SUM(CASE WHEN {stale} THEN 1 ELSE 0 END), 0) AS stale,
  COALESCE(SUM(CASE WHEN {live} AND email = %s THEN 1 ELSE 0 END), 0) AS mine
FROM {table} WHERE event_id = %s
""".format(
    table=Registration._meta.db_table,
    stale="(status = 'pending' AND hold_expires_at IS NOT NULL AND hold_expires_at <= %s)",
    live="(status IN ('pending', 'confirmed', 'waitlisted') AND NOT (status = 'pending' AND "
    "hold_expires_at IS NOT NULL AND hold_expires_at <= %s))",
)


def _counts_params(event_id: int, email: str, now: datetime) -> list[Any]:
    at = connection.ops.adapt_datetimefield_value(now)
    return [at, True, at, False, at, at, email, event_id]


def _counted(seats: Any, line: Any, stale: Any, mine: Any) -> dict[str, int]:
    return {"seats": int(seats), "line": int(line), "stale": int(stale), "mine": int(mine)}


def _counts(event_id: int, *, email: str, now: datetime) -> dict[str, int]:
    """Seats taken, length of the line, stale holds, and live registrations of `email`."""
    with connection.cursor() as cursor:
        cursor.execute(_COUNTS_SQL, _counts_params(event_id, email, now))
        return _counted(*cursor.fetchone())


# The look before the lock, in one round trip instead of three (event, sessions, counts) and
# without compiling ORM queries (measured over HTTP: 26 -> 22 ms per registration): the
# event's columns, the unlocked counts (a guess, see register) and the sessions, one row per
# session (a LEFT JOIN, so an event without sessions still answers).
_PREVIEW_SQL = """
SELECT {event}, c.seats, c.line, c.stale, c.mine, {session}
FROM {event_table} e CROSS JOIN ({counts}) c
LEFT JOIN {session_table} s ON s.event_id = e.id
WHERE e.id = %s ORDER BY s.start, s.id
""".format(
    event=", ".join(f'e."{field.column}"' for field in _EVENT_FIELDS),
    session=", ".join(f's."{field.column}"' for field in _SESSION_FIELDS),
    event_table=Event._meta.db_table,
    session_table=EventSession._meta.db_table,
    counts=_COUNTS_SQL,
)


def _preview(
    event_id: int, *, email: str, now: datetime
) -> tuple[Event, list[EventSession], dict[str, int]] | None:
    """The event, its sessions and the unlocked counts; None if there is no such event."""
    event_id = _as_id(event_id)  # out of range: no such event (not an overflow)
    with connection.cursor() as cursor:
        cursor.execute(_PREVIEW_SQL, [*_counts_params(event_id, email, now), event_id])
        rows = cursor.fetchall()
    if not rows:
        return None
    n = len(_EVENT_FIELDS)
    event = _from_db(Event, _EVENT_FIELDS, rows[0][:n])
    sessions = []
    for row in rows:
        if row[n + 4] is not None:
            session = _from_db(EventSession, _SESSION_FIELDS, row[n + 4 :])
            session.event_id = event.pk
            sessions.append(session)
    return event, sessions, _counted(*rows[0][n : n + 4])


def _live_registration(event_id: int, email: str, now: datetime) -> Registration | None:
    return (
        Registration.objects.filter(event_id=event_id, email=email, status__in=selectors.LIVE)
        .exclude(status=PENDING, hold_expires_at__lte=now)
        .first()
    )


def register(
    *,
    event_id: int,
    name: str,
    email: str,
    consent: bool,
    municipality_id: int | None = None,
    municipality_name: str = "",
    language: str | None = None,
    now: datetime | None = None,
) -> Registered:
    """Register for an event (anyone, no account): reserve a seat or a place in line now,
    held until the e-mailed link confirms it. The same e-mail twice returns the existing one.
    """
    now = _now(now)
    name, email, municipality, municipality_name = _check_participant(
        name=name, email=email, municipality_id=municipality_id, municipality_name=municipality_name
    )
    if consent is not True:
        message = _("Bitte der Datenschutzerklärung zustimmen.")
        raise Invalid(message, fields={"consent": message})
    language = _language(language)

    registration = Registration(
        event_id=event_id,
        name=name,
        email=email,
        municipality=municipality,
        municipality_name=municipality_name,
        language=language,
        status=PENDING,
        hold_expires_at=now + timedelta(hours=settings.REGISTRATION_HOLD_HOURS),
        consent_at=now,
    )
    # Lock late: the e-mail is rendered before the lock, for the outcome an unlocked count
    # predicts (seat or line, the position left as a marker). Only when the locked count
    # decides otherwise (at the capacity boundary) is it rendered again under the lock.
    looked = _preview(event_id, email=email, now=now)
    if looked is None:
        raise NotFound(_("Diese Veranstaltung gibt es nicht."))
    preview, sessions, guess = looked
    marker = f"position-{uuid.uuid4().hex}"
    if guess["mine"]:  # registering twice: no need to queue for the lock
        existing = _live_registration(event_id, email, now)
        if existing is not None:
            with transaction.atomic(durable=True):
                return _again(existing, now=now)
    guess_seat = guess["seats"] < preview.capacity
    message = registration_received(
        registration, preview, sessions, position=None if guess_seat else marker
    )
    with transaction.atomic(durable=True):
        event = _lock_event(event_id)
        _check_open(event, now)
        # One query for everything the decision needs (this is the hot path of a rush).
        counts = _counts(event.pk, email=email, now=now)
        if counts["stale"]:
            _settle(event, now=now)
            counts = _counts(event.pk, email=email, now=now)
        if counts["mine"]:
            existing = _live_registration(event_id, email, now)
            return _again(existing, now=now)
        registration.holds_seat = counts["seats"] < event.capacity
        registration.save(force_insert=True)
        # Under the lock nobody else changes the line: we are at its end.
        position = None if registration.holds_seat else counts["line"] + 1
        changed = event.updated_at != preview.updated_at
        if changed:  # the event changed meanwhile, and its sessions may have moved with it
            sessions = _sessions(event)
        if changed or registration.holds_seat != guess_seat:
            message = registration_received(registration, event, sessions, position=position)
        elif position is not None:
            message = Rendered(
                subject=message.subject.replace(marker, str(position)),
                text=message.text.replace(marker, str(position)),
                html=message.html.replace(marker, str(position)),
            )
        queue_with_invitations(
            registration=registration,
            kind="event.registration_received",
            key="registration_received",
            message=message,
            invitation=None,
            now=now,
        )
    return Registered(registration=registration, created=True, position=position)


def _again(registration: Registration, *, now: datetime) -> Registered:
    """A second registration with the same e-mail: the link goes out again, at most hourly."""
    position = selectors.waitlist_position(registration)
    notify(
        registration,
        "registration_received",
        event=registration.event,
        sessions=_sessions(registration.event),
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


@transaction.atomic(durable=True)
def confirm(*, token: str, now: datetime | None = None) -> Registration:
    """The e-mailed link was followed: a held seat becomes confirmed, a place in line becomes
    a confirmed waiting-list entry. Idempotent."""
    now = _now(now)
    registration = _by_token(token)
    if registration.status in (CONFIRMED, WAITLISTED):
        return registration
    event = _lock_event(registration.event_id)
    registration = _reload(registration)
    if registration.status in (CONFIRMED, WAITLISTED):
        return registration
    if event.status == Event.Status.CANCELLED:
        raise Conflict(_("Die Veranstaltung ist abgesagt."), code="event_cancelled")
    if registration.status != PENDING or registration.hold_expires_at <= now:
        raise Conflict(
            _("Die Reservierung ist abgelaufen. Bitte melden Sie sich erneut an."),
            code="hold_expired",
        )
    sessions = _sessions(event)
    _settle(event, now=now, sessions=sessions)  # may just have given this one a seat
    registration = _reload(registration)
    registration.status = CONFIRMED if registration.holds_seat else WAITLISTED
    registration.confirmed_at = now
    registration.hold_expires_at = None
    registration.save(update_fields=["status", "confirmed_at", "hold_expires_at"])
    _notify_confirmed_or_waiting(registration, event=event, sessions=sessions, now=now)
    return registration


def _notify_confirmed_or_waiting(
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
            extra={"position": selectors.waitlist_position(registration)},
        )


def _cancel_locked(
    registration: Registration, event: Event, *, now: datetime, by_participant: bool
) -> Registration:
    if registration.status not in selectors.LIVE:
        return registration
    was_confirmed = registration.status == CONFIRMED
    freed = registration.holds_seat
    registration.status = CANCELLED
    registration.holds_seat = False
    registration.hold_expires_at = None
    registration.cancelled_at = now
    registration.save(update_fields=["status", "holds_seat", "hold_expires_at", "cancelled_at"])
    sessions = _sessions(event)
    if was_confirmed:
        # The participant's calendar entry changes (it is cancelled): RFC 5546 wants SEQUENCE
        # raised, and a later REQUEST for the same UID (registering again, a promotion) must
        # not be older than this CANCEL, so the event's SEQUENCE itself goes up.
        event.sequence += 1
        event.save(update_fields=["sequence", "updated_at"])
    if registration.confirmed_at is not None:  # unconfirmed addresses get no further mail
        notify(
            registration,
            "registration_cancelled",
            event=event,
            sessions=sessions,
            now=now,
            method="CANCEL" if was_confirmed else None,
            extra={"by_participant": by_participant},
        )
    if freed:
        _settle(event, now=now, sessions=sessions)
    return registration


@transaction.atomic(durable=True)
def cancel(*, token: str, now: datetime | None = None) -> Registration:
    """The participant cancels through their link; the first in line moves up. Idempotent."""
    now = _now(now)
    registration = _by_token(token)
    event = _lock_event(registration.event_id)
    return _cancel_locked(_reload(registration), event, now=now, by_participant=True)


@transaction.atomic(durable=True)
def forget(*, token: str, now: datetime | None = None) -> None:
    """ "Delete my data": cancel, anonymise, and drop the participant's outbox rows."""
    now = _now(now)
    registration = _by_token(token)
    event = _lock_event(registration.event_id)
    registration = _cancel_locked(_reload(registration), event, now=now, by_participant=True)
    _anonymise(Registration.objects.filter(pk=registration.pk), now=now)
    Notification.objects.filter(dedup_key__startswith=dedup_key(registration, "")).exclude(
        status=Notification.Status.SENDING
    ).delete()


def invitation_for(*, token: str, now: datetime | None = None) -> str:
    """The .ics of a confirmed registration: one session an iTIP REQUEST; a series a plain
    calendar file (no METHOD) with one entry per session, with the same UIDs and SEQUENCE as
    the e-mailed invitations (which update and cancel the entries)."""
    now = _now(now)
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


# --- coordinator tools ------------------------------------------------------------------------


@transaction.atomic(durable=True)
def add_participant(
    *,
    event_id: int,
    by: Any,
    name: str,
    email: str,
    municipality_id: int | None = None,
    municipality_name: str = "",
    language: str = "de",
    now: datetime | None = None,
) -> Registration:
    """A coordinator adds someone by hand: confirmed if a seat is free, else on the waiting
    list (never beyond capacity)."""
    now = _now(now)
    name, email, municipality, municipality_name = _check_participant(
        name=name, email=email, municipality_id=municipality_id, municipality_name=municipality_name
    )
    event = _lock_event(event_id)
    _require_manager(by, event)
    if event.status != Event.Status.PUBLISHED:
        raise Conflict(_("Nur bei veröffentlichten Veranstaltungen möglich."), code="not_published")
    sessions = _sessions(event)
    _settle(event, now=now, sessions=sessions)
    if _live_registration(event.pk, email, now) is not None:
        message = _("Diese E-Mail-Adresse ist bereits angemeldet.")
        raise Conflict(message, code="already_registered", fields={"email": message})
    holds_seat = _seats_taken(event) < event.capacity
    registration = Registration.objects.create(
        event=event,
        name=name,
        email=email,
        municipality=municipality,
        municipality_name=municipality_name,
        language=_language(language),
        status=CONFIRMED if holds_seat else WAITLISTED,
        holds_seat=holds_seat,
        consent_at=now,
        confirmed_at=now,
    )
    _notify_confirmed_or_waiting(registration, event=event, sessions=sessions, now=now)
    return registration


@transaction.atomic(durable=True)
def remove_participant(
    *, event_id: int, registration_id: int, by: Any, now: datetime | None = None
) -> Registration:
    """A coordinator removes a registration; the first in line moves up."""
    now = _now(now)
    event = _lock_event(event_id)
    _require_manager(by, event)
    registration = Registration.objects.filter(
        pk=registration_id, event=event, anonymised_at__isnull=True
    ).first()
    if registration is None:
        raise NotFound(_("Diese Anmeldung gibt es nicht."))
    return _cancel_locked(registration, event, now=now, by_participant=False)


@transaction.atomic(durable=True)
def mark_attendance(
    *,
    event_id: int,
    by: Any,
    registration_ids: Sequence[int],
    attended: bool | None,
    now: datetime | None = None,
) -> int:
    """After the event has begun: who came (True), who did not (False), unknown (None)."""
    now = _now(now)
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        raise NotFound(_("Diese Veranstaltung gibt es nicht."))
    _require_manager(by, event)
    first = EventSession.objects.filter(event=event).order_by("start").first()
    if first is None or first.start > now:
        raise Conflict(
            _("Die Teilnahme lässt sich erst ab Beginn der Veranstaltung erfassen."),
            code="not_started",
        )
    ids = set(registration_ids)
    confirmed = Registration.objects.filter(pk__in=ids, event=event, status=CONFIRMED)
    found = set(confirmed.values_list("id", flat=True))
    if missing := sorted(ids - found):
        raise Invalid(
            _("Diese Anmeldungen sind nicht bestätigt oder gehören nicht dazu: %(ids)s")
            % {"ids": ", ".join(map(str, missing))},
            fields={"registrations": [str(pk) for pk in missing]},
        )
    return Registration.objects.filter(pk__in=found).update(attended=attended)


# --- events -----------------------------------------------------------------------------------

_EVENT_TEXT_FIELDS = {
    "title_de": 200,
    "title_en": 200,
    "description_de": 20_000,
    "description_en": 20_000,
    "target_audience": 300,
    "place": 200,
    "address": 300,
}
EVENT_FIELDS = (
    "kind",
    *_EVENT_TEXT_FIELDS,
    "online_url",
    "capacity",
    "registration_opens",
    "registration_closes",
)


def _check_event(values: dict[str, Any], sessions: Sequence[Span]) -> None:
    """Rules for a whole event (after merging changes); raises Invalid naming the fields."""
    errors: dict[str, Any] = {}
    if values.get("kind") not in Event.Kind.values:
        errors["kind"] = _("Unbekannte Art.")
    if not str(values.get("title_de") or "").strip():
        errors["title_de"] = _("Bitte einen deutschen Titel angeben.")
    for field, limit in _EVENT_TEXT_FIELDS.items():
        value = str(values.get(field) or "")
        if len(value) > limit:
            errors[field] = _("Höchstens %(n)d Zeichen.") % {"n": limit}
        elif field in ("title_de", "title_en", "place") and _CONTROL.search(value):
            errors[field] = _("Enthält unzulässige Steuerzeichen.")
    url = str(values.get("online_url") or "")
    if url:
        try:
            ics.Invitation(
                uid="check",
                sequence=0,
                summary="check",
                organizer=ics.Organizer("check@example.org"),
                attendees=(ics.Attendee("check@example.org"),),
                sessions=(ics.Session(timezone.now(), timezone.now() + timedelta(hours=1)),),
                dtstamp=timezone.now(),
                url=url,
            )
        except ValueError:
            errors["online_url"] = _("Bitte einen http(s)-Link ohne Leerzeichen angeben.")
    capacity = values.get("capacity")
    if not isinstance(capacity, int) or not 1 <= capacity <= _MAX_CAPACITY:
        errors["capacity"] = _("Zwischen 1 und %(n)d Plätzen.") % {"n": _MAX_CAPACITY}
    opens, closes = values.get("registration_opens"), values.get("registration_closes")
    for field, value in (("registration_opens", opens), ("registration_closes", closes)):
        if not isinstance(value, datetime) or timezone.is_naive(value):
            errors[field] = _("Bitte Datum und Uhrzeit mit Zeitzone angeben.")
    if (
        "registration_closes" not in errors
        and "registration_opens" not in errors
        and (closes <= opens)
    ):
        errors["registration_closes"] = _("Die Anmeldung muss nach ihrem Beginn enden.")
    if not sessions:
        errors["sessions"] = _("Mindestens ein Termin.")
    elif len(sessions) > _MAX_SESSIONS:
        errors["sessions"] = _("Höchstens %(n)d Termine.") % {"n": _MAX_SESSIONS}
    else:
        for start, end in sessions:
            if timezone.is_naive(start) or timezone.is_naive(end) or end <= start:
                errors["sessions"] = _("Jeder Termin braucht Beginn und ein späteres Ende.")
                break
        else:
            first = min(start for start, _end in sessions)
            if "registration_closes" not in errors and closes > first:
                errors["registration_closes"] = _(
                    "Die Anmeldung muss spätestens mit dem ersten Termin enden."
                )
    if errors:
        raise Invalid(_("Bitte die markierten Angaben prüfen."), fields=errors)


def _check_organisers(organiser_ids: Sequence[int]) -> list[Any]:
    users = list(get_user_model().objects.filter(pk__in=set(organiser_ids)))
    allowed = [
        user
        for user in users
        if is_coordinator(user) or (hasattr(user, "expert_profile") and user.expert_profile)
    ]
    if len(allowed) != len(set(organiser_ids)):
        raise Invalid(
            _("Organisator*innen müssen Koordinator*innen oder Expert*innen sein."),
            fields={"organisers": _("Unbekannt oder nicht zulässig.")},
        )
    return allowed


@transaction.atomic(durable=True)
def create_event(
    *,
    by: Any,
    sessions: Sequence[Span],
    organiser_ids: Sequence[int] = (),
    **values: Any,
) -> Event:
    """A coordinator creates an event (as a draft); publishing is a separate step."""
    _require_coordinator(by)
    unknown = set(values) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown event fields: {sorted(unknown)}")
    defaults = dict.fromkeys(_EVENT_TEXT_FIELDS, "") | {"online_url": ""}
    values = defaults | values
    sessions = sorted(sessions)
    _check_event(values, sessions)
    organisers = _check_organisers(organiser_ids)
    event = Event.objects.create(**values)
    EventSession.objects.bulk_create(
        [EventSession(event=event, start=start, end=end) for start, end in sessions]
    )
    event.organisers.set(organisers)
    return event


@transaction.atomic(durable=True)
def update_event(
    *,
    event_id: int,
    by: Any,
    sessions: Sequence[Span] | None = None,
    organiser_ids: Sequence[int] | None = None,
    now: datetime | None = None,
    **changes: Any,
) -> Event:
    """Change an event. Moving a session or changing the place raises SEQUENCE and sends every
    confirmed participant an updated invitation (METHOD:REQUEST) in this transaction; raising
    the capacity promotes from the waiting list; lowering it below the seats taken is refused.
    """
    now = _now(now)
    _require_coordinator(by)
    unknown = set(changes) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown event fields: {sorted(unknown)}")
    event = _lock_event(event_id)
    if event.status == Event.Status.CANCELLED:
        raise Conflict(_("Eine abgesagte Veranstaltung lässt sich nicht mehr ändern."))
    old_sessions = _sessions(event)
    old_spans = [(s.start, s.end) for s in old_sessions]
    new_spans = sorted(sessions) if sessions is not None else old_spans
    merged = {field: getattr(event, field) for field in EVENT_FIELDS} | changes
    _check_event(merged, new_spans)
    organisers = _check_organisers(organiser_ids) if organiser_ids is not None else None

    seats_taken = _seats_taken(event)
    if merged["capacity"] < seats_taken:
        confirmed = Registration.objects.filter(event=event, status=CONFIRMED).count()
        message = _(
            "Es sind schon %(taken)d Plätze vergeben (%(confirmed)d bestätigt, %(held)d "
            "reserviert); die Kapazität kann nicht unter %(taken)d sinken."
        ) % {"taken": seats_taken, "confirmed": confirmed, "held": seats_taken - confirmed}
        raise Conflict(message, code="capacity_below_taken", fields={"capacity": message})

    place_before = (event.place, event.address, event.online_url)
    for field, value in changes.items():
        setattr(event, field, value)
    moved = [(s, e) for s, e in new_spans] != old_spans
    place_changed = (event.place, event.address, event.online_url) != place_before
    if moved:
        EventSession.objects.filter(event=event).delete()
        EventSession.objects.bulk_create(
            [EventSession(event=event, start=start, end=end) for start, end in new_spans]
        )
    notify = (moved or place_changed) and event.status == Event.Status.PUBLISHED
    if notify:
        event.sequence += 1
    event.save()
    if organisers is not None:
        event.organisers.set(organisers)
    if notify:
        confirmed = list(
            Registration.objects.filter(event=event, status=CONFIRMED).order_by("created_at", "id")
        )
        fan_out(
            event=event,
            registrations=confirmed,
            template="event_update",
            key=f"update.q{event.sequence}",
            now=now,
            method="REQUEST",
            sessions=new_spans,
        )
        if len(new_spans) < len(old_spans):
            # Sessions that no longer exist are cancelled in the calendars (ics.py: numbering).
            fan_out(
                event=event,
                registrations=confirmed,
                template="event_update",
                key=f"update.q{event.sequence}.dropped",
                now=now,
                method="CANCEL",
                sessions=old_spans,
                numbers=range(len(new_spans) + 1, len(old_spans) + 1),
                # The invitation cancels the old session; the text shows what applies now.
                shown=new_spans,
            )
    if merged["capacity"] > seats_taken:
        _settle(event, now=now)
    return event


@transaction.atomic(durable=True)
def publish_event(*, event_id: int, by: Any) -> Event:
    _require_coordinator(by)
    event = _lock_event(event_id)
    if event.status == Event.Status.CANCELLED:
        raise Conflict(_("Eine abgesagte Veranstaltung lässt sich nicht veröffentlichen."))
    if event.status == Event.Status.DRAFT:
        event.status = Event.Status.PUBLISHED
        event.save(update_fields=["status", "updated_at"])
    return event


@transaction.atomic(durable=True)
def cancel_event(*, event_id: int, by: Any, reason: str = "", now: datetime | None = None) -> Event:
    """Cancel the event: SEQUENCE up, METHOD:CANCEL to every confirmed participant, a notice to
    the waiting list, every registration ends; all in this transaction."""
    now = _now(now)
    _require_coordinator(by)
    errors: dict[str, str] = {}
    reason = _clean_text(reason, field="reason", max_length=2000, required=False, errors=errors)
    if errors:
        raise Invalid(_("Bitte die markierten Angaben prüfen."), fields=errors)
    event = _lock_event(event_id)
    if event.status == Event.Status.CANCELLED:
        return event
    was_published = event.status == Event.Status.PUBLISHED
    event.status = Event.Status.CANCELLED
    event.sequence += 1
    event.save(update_fields=["status", "sequence", "updated_at"])
    live = list(
        Registration.objects.filter(event=event, status__in=selectors.LIVE).order_by(
            "created_at", "id"
        )
    )
    if was_published and live:
        spans = [(s.start, s.end) for s in _sessions(event)]
        confirmed = [r for r in live if r.status == CONFIRMED]
        waitlisted = [r for r in live if r.status == WAITLISTED]
        key = f"cancel.q{event.sequence}"
        fan_out(
            event=event,
            registrations=confirmed,
            template="event_cancelled",
            key=key,
            now=now,
            method="CANCEL",
            sessions=spans,
            extra={"reason": reason},
        )
        fan_out(
            event=event,
            registrations=waitlisted,
            template="event_cancelled",
            key=key,
            now=now,
            method=None,
            sessions=spans,
            extra={"reason": reason},
            confirmed=False,
        )
    Registration.objects.filter(pk__in=[r.pk for r in live]).update(
        status=CANCELLED, holds_seat=False, hold_expires_at=None, cancelled_at=now
    )
    return event


# --- sweeps (beat) ----------------------------------------------------------------------------


def expire_holds(*, now: datetime | None = None) -> int:
    """Every few minutes: expire unconfirmed holds and give their places to the next in line."""
    now = _now(now)
    event_ids = list(
        Registration.objects.filter(status=PENDING, hold_expires_at__lte=now)
        .values_list("event_id", flat=True)
        .distinct()
    )
    for event_id in event_ids:
        with transaction.atomic(durable=True):
            _settle(_lock_event(event_id), now=now)
    return len(event_ids)


def send_reminders(*, now: datetime | None = None) -> int:
    """Remind confirmed participants settings.REMINDER_EVENT_HOURS before each session.

    Each reminder once: its key holds the session's number and start and the lead time, so a
    moved session is reminded again at its new time, never at the old one (not the SEQUENCE:
    it also rises when one participant cancels, which must not remind everybody again).
    Cancelled registrations are not confirmed and get none.
    """
    now = _now(now)
    written = 0
    for hours in settings.REMINDER_EVENT_HOURS:
        due = (
            EventSession.objects.filter(
                event__status=Event.Status.PUBLISHED,
                start__gt=now,
                start__lte=now + timedelta(hours=hours),
            )
            .values_list("event_id", flat=True)
            .distinct()
        )
        for event_id in due:
            with transaction.atomic():
                event = Event.objects.get(pk=event_id)
                sessions = _sessions(event)
                spans = [(s.start, s.end) for s in sessions]
                for number, session in enumerate(sessions, 1):
                    if not now < session.start <= now + timedelta(hours=hours):
                        continue
                    key = f"remind.{session.start.astimezone(UTC):%Y%m%dT%H%M%S}.s{number}.h{hours}"
                    confirmed = list(
                        Registration.objects.filter(event=event, status=CONFIRMED).order_by(
                            "created_at", "id"
                        )
                    )
                    sent = set(
                        Notification.objects.filter(
                            dedup_key__startswith=f"events.{event.pk}.reg.",
                            dedup_key__endswith=f".{key}",
                        ).values_list("dedup_key", flat=True)
                    )
                    todo = [r for r in confirmed if dedup_key(r, key) not in sent]
                    fan_out(
                        event=event,
                        registrations=todo,
                        template="event_reminder",
                        key=key,
                        now=now,
                        method=None,
                        sessions=spans,
                        extra={"session": session, "number": number},
                    )
                    written += len(todo)
    return written


def _anonymise(registrations: Any, *, now: datetime) -> int:
    """Replace a participant's personal data by placeholders; statistics stay (status,
    attendance, municipality). The token changes too, so the old link leads nowhere."""
    count = 0
    for pk in registrations.filter(anonymised_at__isnull=True).values_list("id", flat=True):
        Registration.objects.filter(pk=pk).update(
            name="",
            email=f"anonymised-{pk}@invalid",
            municipality_name="",
            token=new_token(),
            anonymised_at=now,
        )
        count += 1
    return count


def anonymise_past_participants(*, now: datetime | None = None) -> int:
    """Daily: personal data of participants go settings.PARTICIPANT_DATA_RETENTION_DAYS after
    the event's last session, together with the e-mails that carried them."""
    now = _now(now)
    cutoff = now - timedelta(days=settings.PARTICIPANT_DATA_RETENTION_DAYS)
    events = (
        Event.objects.annotate(last_end=Max("sessions__end"))
        .filter(last_end__lt=cutoff, registrations__anonymised_at__isnull=True)
        .values_list("id", flat=True)
        .distinct()
    )
    count = 0
    for event_id in list(events):
        with transaction.atomic():
            registrations = Registration.objects.filter(
                event_id=event_id, anonymised_at__isnull=True
            )
            # One UPDATE for the lot: unique e-mail and token derived from the row id.
            count += registrations.update(
                name="",
                email=Concat(Value("anonymised-"), Cast("id", CharField()), Value("@invalid")),
                token=Concat(Value("anonymised-"), Cast("id", CharField())),
                municipality_name="",
                anonymised_at=now,
            )
            Notification.objects.filter(dedup_key__startswith=f"events.{event_id}.reg.").exclude(
                status=Notification.Status.SENDING
            ).delete()
    return count
