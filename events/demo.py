"""Demo seminars, workshops and webinars (idempotent, keyed by German title): five upcoming
events, one a workshop series of three sessions, one nearly full. Data: `demo_data/events.yaml`."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from consult.models import Municipality
from core import demo_data
from events.models import Event, EventSession, Registration

BERLIN = ZoneInfo("Europe/Berlin")

DATA: dict[str, Any] = demo_data.load("events", "events")
EVENTS: list[dict[str, Any]] = DATA["events"]
NEARLY_FULL: str = next(event["title_de"] for event in EVENTS if event.get("nearly_full"))
# The keys of an event in the YAML file that are Event fields as they stand.
EVENT_FIELDS = (
    "kind",
    "title_de",
    "title_en",
    "description_de",
    "place",
    "address",
    "online_url",
    "capacity",
)


def _at(today: datetime, days: int, hour: int) -> datetime:
    return datetime.combine(today.date() + timedelta(days=days), time(hour), BERLIN)


@transaction.atomic
def seed(*, options: dict[str, Any], out: Any) -> None:
    today = timezone.localtime()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=_usernames())}
    created = 0
    for spec in EVENTS:
        if Event.objects.filter(title_de=spec["title_de"]).exists():
            continue
        sessions = [
            (_at(today, span["in_days"], span["hour"]), span["hours"]) for span in spec["sessions"]
        ]
        event = Event.objects.create(
            **{field: spec[field] for field in EVENT_FIELDS},
            target_audience=DATA["target_audience"],
            registration_opens=timezone.now() - timedelta(days=7),
            registration_closes=sessions[0][0] - timedelta(days=2),
            status=Event.Status.PUBLISHED,
        )
        EventSession.objects.bulk_create(
            [
                EventSession(event=event, start=start, end=start + timedelta(hours=hours))
                for start, hours in sessions
            ]
        )
        event.organisers.set([users[name] for name in spec["organisers"] if name in users])
        if spec.get("nearly_full"):
            _fill(event, confirmed=event.capacity - 1, waiting=0)
        created += 1
    out.write(f"  Veranstaltungen: {Event.objects.count()} ({created} neu)")


def _usernames() -> set[str]:
    return {name for event in EVENTS for name in event["organisers"]}


def _fill(event: Event, *, confirmed: int, waiting: int) -> None:
    """Confirmed demo participants (written directly: demo data, no e-mails go out)."""
    now = timezone.now()
    municipalities = list(Municipality.objects.order_by("name")[:confirmed])
    Registration.objects.bulk_create(
        [
            Registration(
                event=event,
                name=DATA["participants"][i % len(DATA["participants"])],
                email=f"teilnehmer-{i + 1}@demo.example",
                municipality=municipalities[i] if i < len(municipalities) else None,
                status=Registration.Status.CONFIRMED,
                holds_seat=True,
                consent_at=now,
                confirmed_at=now,
            )
            for i in range(confirmed)
        ]
    )
