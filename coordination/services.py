"""Back-office writes that compose the apps' services: duplicating an event, and a message to
an event's participants or waiting list through the outbox."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Invalid, NotFound
from core.roles import is_coordinator
from events import management
from events.models import Event, EventSession, Registration
from events.registration import clean_text
from notifications.services import Recipient, send


def duplicate_event(*, event_id: int, by: Any, shift_days: int | None = None) -> Event:
    """A new draft with the same fields, organisers and sessions, shifted by `shift_days`
    (the registration window with them); unshifted, the coordinator edits the dates next."""
    event = Event.objects.filter(pk=event_id).prefetch_related("organisers").first()
    if event is None or not is_coordinator(by):
        raise NotFound(_("Diese Veranstaltung gibt es nicht."))
    shift = timedelta(days=shift_days or 0)
    values = {field: getattr(event, field) for field in management.EVENT_FIELDS}
    values["registration_opens"] += shift
    values["registration_closes"] += shift
    sessions = [
        (s.start + shift, s.end + shift)
        for s in EventSession.objects.filter(event=event).order_by("start", "id")
    ]
    return management.create_event(
        by=by,
        sessions=sessions,
        organiser_ids=[user.pk for user in event.organisers.all()],
        **values,
    )


@transaction.atomic(durable=True)
def message_event(
    *,
    event_id: int,
    by: Any,
    audience: str,
    subject: str,
    body: str,
    now: datetime | None = None,
) -> int:
    """Write one outbox row per confirmed participant (`participants`) or per person in line
    (`waitlist`); returns how many."""
    now = now or timezone.now()
    if not is_coordinator(by):
        raise NotFound(_("Diese Veranstaltung gibt es nicht."))
    errors: dict[str, str] = {}
    subject = clean_text(subject, field="subject", max_length=150, required=True, errors=errors)
    body = body.strip()
    if not body:
        errors["body"] = _("Bitte eine Nachricht eingeben.")
    if audience not in ("participants", "waitlist"):
        errors["audience"] = _("Unbekannte Empfängergruppe.")
    if errors:
        raise Invalid(_("Bitte die markierten Angaben prüfen."), fields=errors)
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        raise NotFound(_("Diese Veranstaltung gibt es nicht."))
    registrations = Registration.objects.filter(event=event, anonymised_at__isnull=True)
    if audience == "participants":
        registrations = registrations.filter(status=Registration.Status.CONFIRMED)
    else:
        registrations = registrations.in_line(now)
    batch = uuid.uuid4().hex[:12]
    recipients = [
        Recipient(
            email=r.email,
            name=r.name,
            language=r.language,
            # The events prefix: a participant's rows go with their data (events/retention).
            dedup_key=f"events.{event.pk}.reg.{r.pk}.message.{batch}",
            values={"name": r.name},
        )
        for r in registrations.order_by("created_at", "id")
    ]
    if recipients:
        send(
            kind="event.message",
            template="coordination/email/event_message",
            recipients=recipients,
            context={
                "subject": subject,
                "body": body,
                "title_de": event.title_de,
                "title_en": event.title_en or event.title_de,
            },
        )
    return len(recipients)
