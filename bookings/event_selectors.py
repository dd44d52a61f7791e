"""Reads for seminars, workshops and webinars: event lists with seat counts, participants.

Seat counts are subqueries, not joins: joining registrations and sessions in one query would
multiply the counts, and a subquery per column keeps the list at one query however long it is.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from bookings.models import Event, EventSession, Registration
from consult.roles import is_coordinator

LIVE = [str(status) for status in Registration.LIVE]
# Who is in line for a seat: confirmed waiting-list entries and unconfirmed holds of a place
# in line. Pending holds keep their place too (double opt-in stays first come, first served).
IN_LINE = Q(status__in=LIVE, holds_seat=False)
HOLDS_SEAT = Q(status__in=LIVE, holds_seat=True)


def _registration_count(condition: Q) -> Coalesce:
    counted = (
        Registration.objects.filter(condition, event=OuterRef("pk"))
        .order_by()
        .values("event")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _first_start() -> Subquery:
    return Subquery(
        EventSession.objects.filter(event=OuterRef("pk")).order_by("start").values("start")[:1]
    )


def with_counts(queryset: QuerySet[Event]) -> QuerySet[Event]:
    """Annotate `seats_taken`, `line_length`, `first_start`; prefetch sessions and organisers."""
    return queryset.annotate(
        seats_taken=_registration_count(HOLDS_SEAT),
        line_length=_registration_count(IN_LINE),
        first_start=_first_start(),
    ).prefetch_related(
        Prefetch("sessions", queryset=EventSession.objects.order_by("start", "id")),
        Prefetch("organisers", queryset=get_user_model().objects.select_related("expert_profile")),
    )


def events_for(user: Any) -> QuerySet[Event]:
    """Events `user` may see: coordinators all, organisers their own too, everybody published."""
    events = Event.objects.all()
    if not is_coordinator(user):
        visible = Q(status__in=[Event.Status.PUBLISHED, Event.Status.CANCELLED])
        if getattr(user, "is_authenticated", False):
            # EXISTS, not a join: no DISTINCT over the annotated rows of every list request.
            organised = Event.organisers.through.objects.filter(event=OuterRef("pk"), user=user)
            visible |= Q(Exists(organised))
        events = events.filter(visible)
    return with_counts(events).order_by("first_start", "id")


def can_manage(user: Any, event: Event) -> bool:
    """Coordinators manage every event; organisers see and mark the participants of theirs."""
    if is_coordinator(user):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return event.organisers.filter(pk=user.pk).exists()


def participants(event: Event) -> list[Registration]:
    """All registrations of `event` in arrival order, each with `position` in the waiting list."""
    registrations = list(
        Registration.objects.filter(event=event, anonymised_at__isnull=True)
        .select_related("municipality")
        .order_by("created_at", "id")
    )
    position = 0
    for registration in registrations:
        if registration.status in LIVE and not registration.holds_seat:
            position += 1
            registration.position = position
        else:
            registration.position = None
    return registrations


def waitlist_position(registration: Registration) -> int | None:
    """Place in line (1 = next), or None when it holds a seat or is no longer live."""
    if registration.status not in LIVE or registration.holds_seat:
        return None
    ahead = (
        Registration.objects.filter(IN_LINE, event_id=registration.event_id)
        .filter(
            Q(created_at__lt=registration.created_at)
            | Q(created_at=registration.created_at, id__lt=registration.id)
        )
        .count()
    )
    return ahead + 1


def registration_by_token(token: str) -> Registration | None:
    """The registration behind a self-service link, or None (anonymised ones are gone)."""
    return (
        Registration.objects.filter(token=token, anonymised_at__isnull=True)
        .select_related("event", "municipality")
        .prefetch_related(
            Prefetch("event__sessions", queryset=EventSession.objects.order_by("start", "id"))
        )
        .first()
    )
