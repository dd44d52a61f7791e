"""Reads for seminars, workshops and webinars: event lists with seat counts, participants.

Seat counts are subqueries, not joins: joining registrations and sessions in one query would
multiply the counts, and a subquery per column keeps the list at one query however long it is.
The API reads events as plain rows (`event_rows`, `with_sessions_and_organisers`): model
instances, prefetch caches and a serializer field per value made a page of 20 cost 20-30 ms of
CPU in-process; as rows it costs about 11 (bench/api_load.py's bare reference view: 6-7).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
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

from consult.models import Municipality
from core.roles import is_coordinator
from events.models import Event, EventSession, Registration
from experts.models import ExpertProfile

LIVE = [str(status) for status in Registration.LIVE]
# Who is in line for a seat: confirmed waiting-list entries and unconfirmed holds of a place
# in line. Pending holds keep their place too (double opt-in stays first come, first served).
IN_LINE = Q(status__in=LIVE, holds_seat=False)
HOLDS_SEAT = Q(status__in=LIVE, holds_seat=True)


def _registration_count(condition: Q) -> Subquery:
    # COUNT as a plain function, not an aggregate: no GROUP BY, so the subquery always answers
    # one row (0 for none) and needs no COALESCE; cheaper to compile and to plan.
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


# Built once: a query copies the expressions it uses, and building these three per request
# cost about 0.7 ms of CPU, nearly what the database spends answering the list's page query.
_COUNTS = {
    "seats_taken": _registration_count(HOLDS_SEAT),
    "line_length": _registration_count(IN_LINE),
    "first_start": _first_start(),
}


def _with_counts(queryset: QuerySet[Event]) -> QuerySet[Event]:
    return queryset.annotate(**_COUNTS).order_by("first_start", "id")


def with_counts(queryset: QuerySet[Event]) -> QuerySet[Event]:
    """Annotate `seats_taken`, `line_length`, `first_start`; prefetch sessions and organisers."""
    return _with_counts(queryset).prefetch_related(
        Prefetch("sessions", queryset=EventSession.objects.order_by("start", "id")),
        Prefetch("organisers", queryset=get_user_model().objects.select_related("expert_profile")),
    )


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


def events_for(user: Any) -> QuerySet[Event]:
    """Events `user` may see: coordinators all, organisers their own too, everybody published."""
    return with_counts(_visible_to(user))


# What the API shows of an event, read as columns (the rows of `event_rows`).
EVENT_COLUMNS = (
    "id",
    "kind",
    "title_de",
    "title_en",
    "description_de",
    "description_en",
    "target_audience",
    "place",
    "address",
    "online_url",
    "capacity",
    "registration_opens",
    "registration_closes",
    "status",
    "sequence",
)


def event_rows(user: Any) -> QuerySet[dict[str, Any]]:
    """`events_for(user)` as dicts of EVENT_COLUMNS plus `seats_taken` and `line_length`, in
    the same order; `with_sessions_and_organisers` completes the rows that are shown."""
    return _with_counts(_visible_to(user)).values(*EVENT_COLUMNS, "seats_taken", "line_length")


def _organiser_name(
    display_name: str | None, first_name: str, last_name: str, username: str
) -> str:
    """An organiser as people know them: the expert's display name, else the user's full name,
    else the login (`display_name` is None for a user without an expert profile)."""
    if display_name is not None:
        return display_name
    return f"{first_name} {last_name}".strip() or username


# The two look-ups that complete a page, in plain SQL: the ORM spent about three times as long
# building and compiling each of them as the database spent answering (measured: ~1.5 ms of CPU
# against ~0.5 ms per query). Columns by name, tables by the models; the IN list is bound.
_SESSIONS_SQL = (
    "SELECT event_id, {start}, {end} FROM {session} WHERE event_id IN ({ids}) ORDER BY {start}, id"
)
_ORGANISERS_SQL = (
    "SELECT o.event_id, u.id, p.display_name, u.first_name, u.last_name, u.username"
    " FROM {organiser} o JOIN {user} u ON u.id = o.user_id"
    " LEFT JOIN {profile} p ON p.user_id = u.id"
    " WHERE o.event_id IN ({ids}) ORDER BY o.id"
)


def _sql_names(count: int) -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "session": quote(EventSession._meta.db_table),
        "organiser": quote(Event.organisers.through._meta.db_table),
        "user": quote(get_user_model()._meta.db_table),
        "profile": quote(ExpertProfile._meta.db_table),
        "start": quote("start"),
        "end": quote("end"),
        "ids": ", ".join(["%s"] * count),
    }


def _aware(value: datetime) -> datetime:
    # SQLite hands back the stored UTC time naive (the ORM would add the zone the same way).
    return value if value.tzinfo is not None else value.replace(tzinfo=connection.timezone)


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
    ids = list(by_id)
    names = _sql_names(len(ids))
    with connection.cursor() as cursor:
        cursor.execute(_SESSIONS_SQL.format(**names), ids)
        for event_id, start, end in cursor.fetchall():
            by_id[event_id]["sessions"].append({"start": _aware(start), "end": _aware(end)})
        cursor.execute(_ORGANISERS_SQL.format(**names), ids)
        for event_id, user_id, display_name, first_name, last_name, username in cursor.fetchall():
            name = _organiser_name(display_name, first_name, last_name, username)
            by_id[event_id]["organisers"].append({"id": user_id, "name": name})
    return rows


def event_row(user: Any, event_id: int) -> dict[str, Any] | None:
    """One event as the list shows it, or None when `user` may not see it (or it is gone)."""
    rows = with_sessions_and_organisers(list(event_rows(user).filter(pk=event_id)))
    return rows[0] if rows else None


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


def seats_left(event: Event) -> int:
    """Free seats of an event annotated by `events_for` (never below zero)."""
    return max(event.capacity - event.seats_taken, 0)
