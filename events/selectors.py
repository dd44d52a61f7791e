"""Reads for seminars, workshops and webinars: event lists with seat counts, participants,
the counts a registration decides on. "Seats taken" and "in line" are the model's status sets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from consult.models import Municipality
from core.roles import is_coordinator
from events.models import Event, EventSession, Registration
from experts.models import ExpertProfile


def _registration_count(condition: Q) -> Subquery:
    # COUNT as a plain function, not an aggregate: no GROUP BY, so the subquery always answers
    # one row (0 for none) and needs no COALESCE.
    counted = (
        Registration.objects.filter(condition, event=OuterRef("pk"))
        .order_by()
        .annotate(n=Func(F("id"), function="COUNT"))
        .values("n")
    )
    return Subquery(counted, output_field=IntegerField())


def _first_start() -> Subquery:
    return Subquery(
        EventSession.objects.filter(event=OuterRef("pk")).order_by("start").values("start")[:1]
    )


def _with_counts(queryset: QuerySet[Event], now: datetime | None) -> QuerySet[Event]:
    now = now or timezone.now()
    return queryset.annotate(
        seats_taken=_registration_count(Registration.q_holds_seat(now)),
        line_length=_registration_count(Registration.q_in_line(now)),
        first_start=_first_start(),
    ).order_by("first_start", "id")


def with_counts(queryset: QuerySet[Event], *, now: datetime | None = None) -> QuerySet[Event]:
    """Annotate `seats_taken`, `line_length`, `first_start`; prefetch sessions and organisers."""
    return _with_counts(queryset, now).prefetch_related(
        Prefetch("sessions", queryset=EventSession.objects.order_by("start", "id")),
        Prefetch("organisers", queryset=get_user_model().objects.select_related("expert_profile")),
    )


def seat_figures(capacity: int, seats_taken: int, line_length: int) -> tuple[int, int]:
    """(seats left, waiting-list length) as the next registrant finds them.

    Equal to (capacity - taken, line) whenever the waiting list has been promoted; between a
    hold's lapse and the next promotion the lapsed seat goes to the first in line, not to a
    newcomer, so it is not shown as free while anybody waits."""
    free = max(capacity - seats_taken, 0)
    return max(free - line_length, 0), max(line_length - free, 0)


def seats_left(event: Event) -> int:
    """Free seats of an event annotated by `events_for` or `with_counts`."""
    return seat_figures(event.capacity, event.seats_taken, event.line_length)[0]


def _visible_to(user: Any) -> QuerySet[Event]:
    events = Event.objects.all()
    if not is_coordinator(user):
        visible = Q(status__in=[Event.Status.PUBLISHED, Event.Status.CANCELLED])
        if getattr(user, "is_authenticated", False):
            # EXISTS, not a join: no DISTINCT over the annotated rows of every list request.
            organised = Event.organisers.through.objects.filter(event=OuterRef("pk"), user=user)
            visible |= Q(Exists(organised))
        events = events.filter(visible)
    return events


def events_for(user: Any, *, now: datetime | None = None) -> QuerySet[Event]:
    """Events `user` may see: coordinators all, organisers their own too, everybody published."""
    return with_counts(_visible_to(user), now=now)


# What the API shows of an event, read as columns (the rows of `event_rows`).
EVENT_COLUMNS = (
    "id",
    "kind",
    "title_de",
    "title_en",
    "description_de",
    "description_en",
    "target_audience",
    "topics",
    "target_groups",
    "language",
    "place",
    "address",
    "online_url",
    "capacity",
    "registration_opens",
    "registration_closes",
    "status",
    "sequence",
)


def event_rows(user: Any, *, now: datetime | None = None) -> QuerySet[dict[str, Any]]:
    """`events_for(user)` as dicts of EVENT_COLUMNS plus `seats_taken` and `line_length`, in
    the same order; `with_sessions_and_organisers` completes the rows that are shown."""
    return _with_counts(_visible_to(user), now).values(*EVENT_COLUMNS, "seats_taken", "line_length")


def _organiser_name(
    display_name: str | None, first_name: str, last_name: str, username: str
) -> str:
    """An organiser as people know them: the expert's display name, else the user's full name,
    else the login (`display_name` is None for a user without an expert profile)."""
    if display_name is not None:
        return display_name
    return f"{first_name} {last_name}".strip() or username


def with_sessions_and_organisers(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add `sessions` ([{"start", "end"}] by start) and `organisers` ([{"id", "name"}], in the
    order they were added) to `event_rows` rows, in place: two queries, none for no rows."""
    by_id: dict[int, dict[str, Any]] = {}
    for row in rows:
        row["sessions"] = []
        row["organisers"] = []
        by_id[row["id"]] = row
    if not by_id:
        return rows
    sessions = (
        EventSession.objects.filter(event_id__in=by_id)
        .order_by("start", "id")
        .values_list("event_id", "start", "end")
    )
    for event_id, start, end in sessions:
        by_id[event_id]["sessions"].append({"start": start, "end": end})
    organisers = (
        Event.organisers.through.objects.filter(event_id__in=by_id)
        .order_by("id")
        .values_list(
            "event_id",
            "user_id",
            "user__expert_profile__display_name",
            "user__first_name",
            "user__last_name",
            "user__username",
        )
    )
    for event_id, user_id, display_name, first_name, last_name, username in organisers:
        name = _organiser_name(display_name, first_name, last_name, username)
        by_id[event_id]["organisers"].append({"id": user_id, "name": name})
    return rows


def event_row(user: Any, event_id: int, *, now: datetime | None = None) -> dict[str, Any] | None:
    """One event as the list shows it, or None when `user` may not see it (or it is gone)."""
    rows = with_sessions_and_organisers(list(event_rows(user, now=now).filter(pk=event_id)))
    return rows[0] if rows else None


def can_manage(user: Any, event: Event) -> bool:
    """Coordinators manage every event; organisers see and mark the participants of theirs."""
    if is_coordinator(user):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return event.organisers.filter(pk=user.pk).exists()


def participants(event: Event, *, now: datetime | None = None) -> list[Registration]:
    """All registrations of `event` in arrival order, each with `position` in the waiting list."""
    now = now or timezone.now()
    registrations = list(
        Registration.objects.filter(event=event, anonymised_at__isnull=True)
        .select_related("municipality")
        .order_by("created_at", "id")
    )
    position = 0
    for registration in registrations:
        if registration.is_in_line(now):
            position += 1
            registration.position = position
        else:
            registration.position = None
    return registrations


def waitlist_position(registration: Registration, *, now: datetime | None = None) -> int | None:
    """Place in line (1 = next), or None when it holds a seat or is no longer live."""
    now = now or timezone.now()
    if not registration.is_in_line(now):
        return None
    ahead = (
        Registration.objects.in_line(now)
        .filter(event_id=registration.event_id)
        .filter(
            Q(created_at__lt=registration.created_at)
            | Q(created_at=registration.created_at, id__lt=registration.id)
        )
        .count()
    )
    return ahead + 1


def registration_counts(event_id: int, *, email: str, now: datetime) -> dict[str, int]:
    """What a registration decides on, in one query: `seats` taken, `line` length, `lapsed`
    holds not yet ended, and live registrations (`mine`) of `email`."""
    counts = Registration.objects.filter(event_id=event_id).aggregate(
        seats=Count("id", filter=Registration.q_holds_seat(now)),
        line=Count("id", filter=Registration.q_in_line(now)),
        lapsed=Count("id", filter=Registration.q_lapsed(now)),
        mine=Count("id", filter=Registration.q_live(now) & Q(email=email)),
    )
    return {name: int(value or 0) for name, value in counts.items()}


def live_registration(event_id: int, email: str, now: datetime) -> Registration | None:
    """The registration of `email` for the event that still holds a seat or a place in line."""
    return (
        Registration.objects.live(now)
        .filter(event_id=event_id, email=email)
        .select_related("event")
        .first()
    )


def feed_events(
    owner: ExpertProfile | Municipality, *, since: datetime
) -> list[tuple[Event, list[EventSession]]]:
    """Published events of a private calendar feed with their sessions (in start order): those
    an expert organises, or those a municipality has a confirmed participant in; none whose
    last session ended before `since`. Cancelled ones are left to the feed's own rule (out)."""
    if isinstance(owner, ExpertProfile):
        mine = Q(
            Exists(
                Event.organisers.through.objects.filter(event=OuterRef("pk"), user_id=owner.user_id)
            )
        )
    else:
        mine = Q(
            Exists(
                Registration.objects.filter(
                    event=OuterRef("pk"), municipality=owner, status=Registration.Status.CONFIRMED
                )
            )
        )
    last_end = Subquery(
        EventSession.objects.filter(event=OuterRef("pk")).order_by("-end").values("end")[:1]
    )
    events = (
        Event.objects.filter(mine, status=Event.Status.PUBLISHED)
        .annotate(last_end=last_end)
        .filter(last_end__gte=since)
        .prefetch_related(
            Prefetch("sessions", queryset=EventSession.objects.order_by("start", "id"))
        )
        .order_by("id")
    )
    return [(event, list(event.sessions.all())) for event in events]


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
