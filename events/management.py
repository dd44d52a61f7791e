"""Running events: create, change, publish and cancel them (with calendar updates to the
participants), and the organisers' participant tools (add, remove, attendance)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consult.choices import LANGUAGES
from consult.models import Topic
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.roles import is_coordinator
from core.validators import MESSAGE as CONTROL_MESSAGE
from core.validators import has_control_characters
from events import selectors
from events.models import Event, EventAudience, EventSession, Registration
from events.notifications import Span, fan_out
from events.registration import (
    check_participant,
    clean_text,
    notify_confirmed_or_waiting,
    participant_language,
)
from events.waitinglist import (
    expire_lapsed,
    lock_event,
    promote,
    promote_one,
    release,
    seats_taken,
    sessions_of,
    settle,
)
from notifications import ics

CONFIRMED = Registration.Status.CONFIRMED
WAITLISTED = Registration.Status.WAITLISTED
CANCELLED = Registration.Status.CANCELLED
_MAX_SESSIONS = 50
_MAX_CAPACITY = 100_000


def _require_manager(user: Any, event: Event) -> None:
    if not selectors.can_manage(user, event):
        raise NotFound(_("Diese Veranstaltung gibt es nicht."))


def _require_coordinator(user: Any) -> None:
    if not is_coordinator(user):
        raise Forbidden(_("Nur die Koordination darf Veranstaltungen anlegen und ändern."))


# --- participants -----------------------------------------------------------------------------


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
    now = now or timezone.now()
    name, email, municipality, municipality_name = check_participant(
        name=name, email=email, municipality_id=municipality_id, municipality_name=municipality_name
    )
    event = lock_event(event_id)
    _require_manager(by, event)
    if event.status != Event.Status.PUBLISHED:
        raise Conflict(_("Nur bei veröffentlichten Veranstaltungen möglich."), code="not_published")
    sessions = sessions_of(event)
    settle(event, now=now, sessions=sessions)
    if selectors.live_registration(event.pk, email, now) is not None:
        message = _("Diese E-Mail-Adresse ist bereits angemeldet.")
        raise Conflict(message, code="already_registered", fields={"email": message})
    holds_seat = seats_taken(event, now=now) < event.capacity
    registration = Registration.objects.create(
        event=event,
        name=name,
        email=email,
        municipality=municipality,
        municipality_name=municipality_name,
        language=participant_language(language),
        status=CONFIRMED if holds_seat else WAITLISTED,
        holds_seat=holds_seat,
        consent_at=now,
        confirmed_at=now,
    )
    notify_confirmed_or_waiting(registration, event=event, sessions=sessions, now=now)
    return registration


@transaction.atomic(durable=True)
def remove_participant(
    *, event_id: int, registration_id: int, by: Any, now: datetime | None = None
) -> Registration:
    """A coordinator removes a registration; the first in line moves up."""
    now = now or timezone.now()
    event = lock_event(event_id)
    _require_manager(by, event)
    registration = Registration.objects.filter(
        pk=registration_id, event=event, anonymised_at__isnull=True
    ).first()
    if registration is None:
        raise NotFound(_("Diese Anmeldung gibt es nicht."))
    return release(registration, event, now=now, by_participant=False)


@transaction.atomic(durable=True)
def move_up(
    *, event_id: int, registration_id: int, by: Any, now: datetime | None = None
) -> Registration:
    """A coordinator gives one person in line a seat now, ahead of the others. If no seat is
    free the event gains one (the capacity is the coordinator's to raise; never overbooked)."""
    now = now or timezone.now()
    _require_coordinator(by)
    event = lock_event(event_id)
    registration = Registration.objects.filter(
        pk=registration_id, event=event, anonymised_at__isnull=True
    ).first()
    if registration is None:
        raise NotFound(_("Diese Anmeldung gibt es nicht."))
    expire_lapsed(event, now=now)
    if not registration.is_in_line(now):
        raise Conflict(_("Diese Anmeldung steht nicht auf der Warteliste."), code="not_in_line")
    if seats_taken(event, now=now) >= event.capacity:
        event.capacity = seats_taken(event, now=now) + 1
        event.save(update_fields=["capacity", "updated_at"])
    if promote_one(registration, event, now=now) is None:
        raise Conflict(
            _("Nachrücken ist nur vor Beginn einer veröffentlichten Veranstaltung möglich."),
            code="not_promotable",
        )
    return registration


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
    now = now or timezone.now()
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
    "topics",
    "target_groups",
    "language",
)
_EVENT_DEFAULTS = dict.fromkeys(_EVENT_TEXT_FIELDS, "") | {
    "online_url": "",
    "topics": [],
    "target_groups": [],
    "language": "de",
}


def _check_lists(values: dict[str, Any], errors: dict[str, Any]) -> None:
    """Topics are slugs of the taxonomy, target groups EventAudience values, each once; the
    language one the network speaks."""
    known = {
        "topics": set(Topic.objects.values_list("slug", flat=True)),
        "target_groups": set(EventAudience.values),
    }
    for field, allowed in known.items():
        items = values.get(field) or []
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            errors[field] = _("Bitte eine Liste angeben.")
        elif unknown := sorted(set(items) - allowed):
            errors[field] = _("Unbekannt: %(values)s") % {"values": ", ".join(unknown)}
        else:
            values[field] = list(dict.fromkeys(items))
    if values.get("language") not in LANGUAGES:
        errors["language"] = _("Unbekannte Sprache.")


def _check_event(values: dict[str, Any], sessions: Sequence[Span]) -> None:
    """Rules for a whole event (after merging changes); raises Invalid naming the fields."""
    errors: dict[str, Any] = {}
    _check_lists(values, errors)
    if values.get("kind") not in Event.Kind.values:
        errors["kind"] = _("Unbekannte Art.")
    if not str(values.get("title_de") or "").strip():
        errors["title_de"] = _("Bitte einen deutschen Titel angeben.")
    for field, limit in _EVENT_TEXT_FIELDS.items():
        value = str(values.get(field) or "")
        if len(value) > limit:
            errors[field] = _("Höchstens %(n)d Zeichen.") % {"n": limit}
        elif field in ("title_de", "title_en", "place") and has_control_characters(value):
            errors[field] = str(CONTROL_MESSAGE)
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
    values = _EVENT_DEFAULTS | values
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
    now = now or timezone.now()
    _require_coordinator(by)
    unknown = set(changes) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown event fields: {sorted(unknown)}")
    event = lock_event(event_id)
    if event.status == Event.Status.CANCELLED:
        raise Conflict(_("Eine abgesagte Veranstaltung lässt sich nicht mehr ändern."))
    old_sessions = sessions_of(event)
    old_spans = [(s.start, s.end) for s in old_sessions]
    new_spans = sorted(sessions) if sessions is not None else old_spans
    merged = {field: getattr(event, field) for field in EVENT_FIELDS} | changes
    _check_event(merged, new_spans)
    organisers = _check_organisers(organiser_ids) if organiser_ids is not None else None

    # Lapsed holds end first: they hold no seat, and their rows must not outnumber capacity.
    expire_lapsed(event, now=now)
    taken = seats_taken(event, now=now)
    if merged["capacity"] < taken:
        confirmed = Registration.objects.filter(event=event, status=CONFIRMED).count()
        message = _(
            "Es sind schon %(taken)d Plätze vergeben (%(confirmed)d bestätigt, %(held)d "
            "reserviert); die Kapazität kann nicht unter %(taken)d sinken."
        ) % {"taken": taken, "confirmed": confirmed, "held": taken - confirmed}
        raise Conflict(message, code="capacity_below_taken", fields={"capacity": message})

    place_before = (event.place, event.address, event.online_url)
    for field in changes:
        setattr(event, field, merged[field])  # as checked (lists without repeats)
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
    if merged["capacity"] > taken:
        promote(event, now=now)
    return event


@transaction.atomic(durable=True)
def publish_event(*, event_id: int, by: Any) -> Event:
    _require_coordinator(by)
    event = lock_event(event_id)
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
    now = now or timezone.now()
    _require_coordinator(by)
    errors: dict[str, str] = {}
    reason = clean_text(reason, field="reason", max_length=2000, required=False, errors=errors)
    if errors:
        raise Invalid(_("Bitte die markierten Angaben prüfen."), fields=errors)
    event = lock_event(event_id)
    if event.status == Event.Status.CANCELLED:
        return event
    was_published = event.status == Event.Status.PUBLISHED
    event.status = Event.Status.CANCELLED
    event.sequence += 1
    event.save(update_fields=["status", "sequence", "updated_at"])
    live = list(
        Registration.objects.filter(event=event, status__in=Registration.LIVE).order_by(
            "created_at", "id"
        )
    )
    if was_published and live:
        spans = [(s.start, s.end) for s in sessions_of(event)]
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
