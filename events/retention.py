"""Data retention of participants: personal data go after the event (or on request), the
statistics stay (status, attendance, municipality)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Max, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from consult.models import new_token
from events.models import Event, Registration
from notifications.models import Notification


def anonymise(registrations: QuerySet[Registration], *, now: datetime) -> int:
    """Replace the participants' personal data by placeholders. The token changes too, so the
    old link leads nowhere."""
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


@transaction.atomic
def anonymise_registrations(*, registration_ids: Sequence[int], now: datetime | None = None) -> int:
    """Anonymise these registrations (ended ones: nothing to cancel) and drop their outbox
    rows, e.g. when their person deletes their account."""
    now = now or timezone.now()
    registrations = list(
        Registration.objects.filter(pk__in=registration_ids).values_list("pk", "event_id")
    )
    for pk, event_id in registrations:
        Notification.objects.filter(dedup_key__startswith=f"events.{event_id}.reg.{pk}.").exclude(
            status=Notification.Status.SENDING
        ).delete()
    return anonymise(
        Registration.objects.filter(pk__in=[pk for pk, _event in registrations]), now=now
    )


def anonymise_past_participants(*, now: datetime | None = None) -> int:
    """Daily: personal data of participants go settings.PARTICIPANT_DATA_RETENTION_DAYS after
    the event's last session, together with the e-mails that carried them."""
    now = now or timezone.now()
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
