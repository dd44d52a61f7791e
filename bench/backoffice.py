"""Benchmark of the back office: the participant page of an event with 2,000 registrations, the
reports page over 5,000 bookings, the consultations list over the same 5,000 requests (first
page, and filtered by Land and month) and their CSV export, the organisations and people lists,
rendered whole (middleware, view, template) as a coordinator's browser gets them.
Target: ≤ 300 ms median for each page on PostgreSQL (the CSV of all rows: its figure only).

Creates its own scratch database (see bench/scratch.py), bulk-inserts the rows and times
GET requests through Django's test client (no network), against the bare list query as reference.

Run: DATABASE_URL=postgres://… .venv/bin/python bench/backoffice.py [--smoke] [--json]
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report import Row, emit, parse_args  # noqa: E402
from scratch import migrate, scratch_database  # noqa: E402

TARGET_MS = 300.0
SCRATCH_DB = "consult_bench_backoffice"


def _times(fn: Callable[[], object], repeat: int) -> list[float]:
    fn()  # warm: templates compiled, connections open
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def populate(registrations: int, bookings: int) -> tuple[int, object]:
    """One event with `registrations` (three in four confirmed, the rest in line) and
    `bookings` completed consultations over the last year; (event id, coordinator)."""
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from bookings.models import ConsultationBooking
    from consult.models import (
        ConsultationRequest,
        Municipality,
        ParticipationPlan,
        RequestTopic,
        Topic,
    )
    from core.roles import COORDINATOR
    from events.models import Event, EventSession, Registration
    from experts.models import ExpertProfile

    rng = random.Random(7)
    now = timezone.now()
    coordinator = User.objects.create_user("bench-coordinator", password="x")
    coordinator.groups.add(Group.objects.get_or_create(name=COORDINATOR)[0])
    capacity = registrations * 3 // 4
    event = Event.objects.create(
        kind="seminar",
        title_de="Großes Netzwerktreffen",
        capacity=capacity,
        registration_opens=now - dt.timedelta(days=30),
        registration_closes=now + dt.timedelta(days=10),
        status="published",
        place="Leipzig",
    )
    start = now + dt.timedelta(days=14)
    EventSession.objects.create(event=event, start=start, end=start + dt.timedelta(hours=6))
    Registration.objects.bulk_create(
        [
            Registration(
                event=event,
                name=f"Teilnehmerin {i}",
                email=f"t{i}@bench.example",
                municipality_name=f"Gemeinde {i % 300}",
                status="confirmed" if i < capacity else "waitlisted",
                holds_seat=i < capacity,
                consent_at=now - dt.timedelta(minutes=registrations - i),
                confirmed_at=now,
            )
            for i in range(registrations)
        ],
        batch_size=1000,
    )
    states = ["Sachsen", "Bayern", "Berlin", "Hessen", "Bremen", "Saarland"]
    municipalities = Municipality.objects.bulk_create(
        [
            Municipality(
                name=f"Bench-Stadt {i}",
                slug=f"bench-stadt-{i}",
                state=states[i % len(states)],
                population=20_000 + i,
                latitude=51.0,
                longitude=12.0,
            )
            for i in range(60)
        ]
    )
    plans = ParticipationPlan.objects.bulk_create(
        [
            ParticipationPlan(
                municipality=m,
                title=f"Plan {m.pk}",
                stage="introducing",
                procedure_type="youth-budget",
                budget_eur=10_000,
                channels=["online"],
                target_groups=["youth"],
            )
            for m in municipalities
        ]
    )
    experts = []
    for i in range(20):
        user = User.objects.create_user(f"bench-expert-{i}")
        experts.append(
            ExpertProfile.objects.create(
                user=user, display_name=f"Expertin {i}", email=f"e{i}@bench.example"
            )
        )
    topics = list(Topic.objects.all())
    today = now.date()
    requests = ConsultationRequest.objects.bulk_create(
        [
            ConsultationRequest(
                plan=rng.choice(plans),
                format="online",
                language="de",
                earliest=today,
                latest=today + dt.timedelta(days=30),
                duration_minutes=60,
                status=ConsultationRequest.Status.BOOKED,
            )
            for _ in range(bookings)
        ],
        batch_size=1000,
    )
    RequestTopic.objects.bulk_create(
        [RequestTopic(request=r, topic=rng.choice(topics), weight=3) for r in requests],
        batch_size=1000,
    )
    rows = []
    for i, request in enumerate(requests):
        begin = now - dt.timedelta(days=rng.randrange(1, 360), hours=i % 9)
        rows.append(
            ConsultationBooking(
                request=request,
                expert=experts[i % len(experts)],
                start=begin,
                end=begin + dt.timedelta(hours=1),
                blocked_start=begin,
                blocked_end=begin + dt.timedelta(hours=1),
                status="completed",
                rating=rng.randint(1, 5) if i % 3 else None,
            )
        )
    ConsultationBooking.objects.bulk_create(rows, batch_size=1000)
    # created_at is auto_now_add: spread the request dates so the wait report has a shape.
    for request in requests[:: max(len(requests) // 50, 1)]:
        ConsultationRequest.objects.filter(pk=request.pk).update(
            created_at=now - dt.timedelta(days=rng.randrange(1, 400))
        )
    return event.pk, coordinator


def main() -> None:
    args = parse_args(__doc__)
    registrations, bookings = (200, 500) if args.smoke else (2_000, 5_000)
    url, engine = scratch_database(SCRATCH_DB)
    migrate(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("MFA_REQUIRED_FOR_COORDINATORS", "false")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from events.models import Event, Registration

    started = time.perf_counter()
    event_id, coordinator = populate(registrations, bookings)
    if engine == "PostgreSQL":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    if not args.json:
        print(
            f"database: {engine} (scratch: {connection.settings_dict['NAME']}); "
            f"{registrations:,} registrations and {bookings:,} bookings loaded in "
            f"{time.perf_counter() - started:.1f} s"
        )
    client = Client()
    client.force_login(coordinator)
    repeat = 3 if args.smoke else 15

    def page(path: str) -> Callable[[], None]:
        def get() -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        return get

    event = Event.objects.get(pk=event_id)

    def bare_list() -> None:
        list(Registration.objects.filter(event=event).select_related("municipality"))

    participants = _times(page(f"/koordination/veranstaltungen/{event_id}/teilnehmende/"), repeat)
    bare = _times(bare_list, repeat)
    reports = _times(page("/koordination/berichte/"), repeat)
    month = (dt.date.today().replace(day=1) - dt.timedelta(days=40)).strftime("%Y-%m")
    consultations = _times(page("/koordination/beratungen/"), repeat)
    filtered = _times(page(f"/koordination/beratungen/?land=Sachsen&month={month}"), repeat)
    export = _times(page("/koordination/beratungen.csv"), max(repeat // 3, 1))
    organisations = _times(page("/koordination/organisationen/"), repeat)
    people = _times(page("/koordination/personen/"), repeat)
    rows = [
        Row(
            f"consultations list, {bookings:,} requests, first page (median)",
            statistics.median(consultations),
            "ms",
            target=TARGET_MS,
        ),
        Row(
            f"consultations list filtered by Land and month, {bookings:,} requests (median)",
            statistics.median(filtered),
            "ms",
            target=TARGET_MS,
        ),
        Row(
            f"consultations CSV, all {bookings:,} bookings (median)",
            statistics.median(export),
            "ms",
        ),
        Row(
            "organisations list, first page (median)",
            statistics.median(organisations),
            "ms",
            target=TARGET_MS,
        ),
        Row("people list, first page (median)", statistics.median(people), "ms", target=TARGET_MS),
        Row(
            f"participant page, {registrations:,} registrations (median)",
            statistics.median(participants),
            "ms",
            reference=statistics.median(bare),
            target=TARGET_MS,
        ),
        Row(
            f"reports page, {bookings:,} bookings (median)",
            statistics.median(reports),
            "ms",
            target=TARGET_MS,
        ),
    ]
    emit(rows, as_json=args.json)


if __name__ == "__main__":
    main()
