"""Benchmark of consultation booking: throughput through the service layer against a plain insert
loop, and the 50-way race for one slot.

Creates its own scratch database (PostgreSQL: `consult_bench` next to the one in DATABASE_URL,
dropped and re-created; without a PostgreSQL DATABASE_URL a scratch SQLite file, and every row
says which it ran on) and migrates it with `manage.py migrate` in a subprocess. Tasks go to
kombu's in-memory broker: e-mail delivery is not measured, the outbox rows are written.

Figures:
- bookings/s through `bookings.services.book` over distinct free slots (sequential, one
  connection): lock the expert, expire holds, check the slot against rules, exceptions, limits
  and bookings, insert, mark the request booked, render and write three outbox e-mails with
  the .ics; reference: the same rows inserted by a plain psycopg (sqlite3) autocommit loop in
  the same run; target ratio >= 0.25;
- the race: 50 threads (own connections) released together book the same slot; time until all
  50 have their answer. Checked: exactly one wins, 49 get 409.

Run: DATABASE_URL=postgres://… .venv/bin/python bench/booking.py [--smoke] [--json]
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import Row, emit, parse_args  # noqa: E402
from bench.scratch import migrate, scratch_database  # noqa: E402

SCRATCH_DB = "consult_bench"
TARGET_RATIO = 0.25
RACE_THREADS = 50
NOW = datetime(2027, 6, 1, 4, 0, tzinfo=UTC)  # a Tuesday, 06:00 in Berlin


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def seed(bookings: int, experts: int):  # type: ignore[no-untyped-def]
    """A municipality with one staff login, experts free 06:00-22:00 every day, one open request
    per booking, and the distinct start times to book (60 minutes, 15-minute buffers)."""
    from django.contrib.auth import get_user_model

    from consult.models import (
        ConsultationRequest,
        Municipality,
        ParticipationPlan,
        StaffMembership,
    )
    from experts.models import AvailabilityRule, ExpertProfile

    user_model = get_user_model()
    municipality = Municipality.objects.create(
        name="Benchstadt",
        slug="benchstadt",
        state="Sachsen",
        latitude=51.0,
        longitude=13.7,
        contact_email="kontakt@benchstadt.example",
    )
    staff = user_model.objects.create(username="bench-staff", email="staff@benchstadt.example")
    StaffMembership.objects.create(user=staff, municipality=municipality)
    plan = ParticipationPlan.objects.create(municipality=municipality, procedure_type="thematic")
    profiles = []
    for n in range(experts):
        user = user_model.objects.create(username=f"bench-expert-{n}", email=f"e{n}@x.example")
        profiles.append(
            ExpertProfile.objects.create(
                user=user,
                display_name=f"Bench Expert {n}",
                email=f"e{n}@x.example",
                formats=["online"],
                languages=["de"],
                durations=[60],
                min_notice_hours=0,
                horizon_days=365,
                meeting_url=f"https://meet.example/bench-{n}",
            )
        )
    AvailabilityRule.objects.bulk_create(
        AvailabilityRule(expert=p, weekday=d, start_time=time(6), end_time=time(22))
        for p in profiles
        for d in range(7)
    )
    requests = ConsultationRequest.objects.bulk_create(
        ConsultationRequest(
            plan=plan,
            format="online",
            earliest=NOW.date(),
            latest=NOW.date() + timedelta(days=300),
        )
        for _ in range(bookings)
    )
    # 90 blocked minutes per booking → starts 1.5 h apart, ten a day (06:00-21:00), per expert.
    first = datetime(2027, 6, 2, 4, 0, tzinfo=UTC)  # 06:00 Berlin (CEST)
    slots = []
    for i in range(bookings):
        expert = profiles[i % experts]
        k = i // experts
        day, index = divmod(k, 10)
        slots.append((expert, first + timedelta(days=day, minutes=90 * index)))
    return staff, requests, slots


def plain_insert_rate(url: str, engine: str, rows: list[tuple]) -> float:
    """Rows/s of the same INSERTs in a plain autocommit loop (one statement, one commit each)."""
    sql = (
        'INSERT INTO bookings_consultationbooking (request_id, expert_id, start, "end", '
        "blocked_start, blocked_end, format, location, meeting_url, status, reason, uid, "
        "sequence, feedback_comment, created_at, updated_at) VALUES "
        "({p}, {p}, {p}, {p}, {p}, {p}, 'online', '', {p}, 'requested', '', {p}, 0, '', {p}, {p})"
    )
    now = datetime.now(UTC)
    if engine == "PostgreSQL":
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            statement = sql.format(p="%s")
            started = clock.perf_counter()
            for n, row in enumerate(rows):
                conn.execute(statement, (*row, f"plain-{n}@bench", now, now))
            elapsed = clock.perf_counter() - started
            conn.execute("DELETE FROM bookings_consultationbooking")
    else:
        import sqlite3

        conn = sqlite3.connect(urlparse(url).path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        statement = sql.format(p="?")
        started = clock.perf_counter()
        for n, row in enumerate(rows):
            values = [v.isoformat(sep=" ") if isinstance(v, datetime) else v for v in row]
            conn.execute(
                statement,
                (*values, f"plain-{n}@bench", now.isoformat(sep=" "), now.isoformat(sep=" ")),
            )
        elapsed = clock.perf_counter() - started
        conn.execute("DELETE FROM bookings_consultationbooking")
        conn.close()
    return len(rows) / elapsed


def service_rate(staff, requests, slots) -> tuple[float, list[tuple]]:  # type: ignore[no-untyped-def]
    from bookings import services

    made = []
    started = clock.perf_counter()
    for request, (expert, start) in zip(requests, slots, strict=True):
        made.append(
            services.book(
                actor=staff,
                request_id=request.pk,
                expert_id=expert.pk,
                start=start,
                duration_minutes=60,
                now=NOW,
            )
        )
    elapsed = clock.perf_counter() - started
    rows = [
        (
            b.request_id,
            b.expert_id,
            b.start,
            b.end,
            b.blocked_start,
            b.blocked_end,
            b.meeting_url,
        )
        for b in made
    ]
    return len(made) / elapsed, rows


def race(staff, expert, start: datetime) -> tuple[float, int, int]:  # type: ignore[no-untyped-def]
    """Seconds until all RACE_THREADS answered; (winners, conflicts)."""
    from django.db import connection

    from bookings import services
    from consult.errors import Conflict
    from consult.models import ConsultationRequest

    plan_id = ConsultationRequest.objects.values_list("plan_id", flat=True).first()
    requests = ConsultationRequest.objects.bulk_create(
        ConsultationRequest(
            plan_id=plan_id, format="online", earliest=NOW.date(), latest=NOW.date()
        )
        for _ in range(RACE_THREADS)
    )
    barrier = threading.Barrier(RACE_THREADS + 1)
    outcome: list[str] = []
    lock = threading.Lock()

    def run(request_id: int) -> None:
        try:
            barrier.wait()
            services.book(
                actor=staff,
                request_id=request_id,
                expert_id=expert.pk,
                start=start,
                duration_minutes=60,
                now=NOW,
            )
            result = "won"
        except Conflict:
            result = "conflict"
        except Exception as exc:  # reported, never hidden
            result = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcome.append(result)

    threads = [threading.Thread(target=run, args=(r.pk,)) for r in requests]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = clock.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = clock.perf_counter() - started
    errors = [o for o in outcome if o.startswith("error")]
    if errors:
        raise RuntimeError(f"race errors: {errors[:3]}")
    return elapsed, outcome.count("won"), outcome.count("conflict")


def main() -> None:
    args = parse_args(__doc__)
    bookings = 150 if args.smoke else 2000
    experts = 5 if args.smoke else 20
    sqlite_path = Path(tempfile.mkdtemp(prefix="consult-bench-")) / "bench.sqlite3"
    url, engine = scratch_database(SCRATCH_DB, sqlite_path=sqlite_path)
    migrate(url, {"DEMO_DATA_ALLOWED": "false"})
    setup_django(url)
    staff, requests, slots = seed(bookings, experts)

    # Warm up (imports, template compilation, connection) outside the measurement.
    from django.db import connection

    from bookings import services

    warm_start = slots[-1][1] + timedelta(days=30)
    services.cancel(
        actor=staff,
        booking_id=services.book(
            actor=staff,
            request_id=requests[0].pk,
            expert_id=slots[0][0].pk,
            start=warm_start,
            duration_minutes=60,
            now=NOW,
        ).pk,
        now=NOW,
    )
    from consult.models import ConsultationRequest

    ConsultationRequest.objects.filter(pk=requests[0].pk).update(status="open")

    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one_booking:
        service_rate(staff, requests[-1:], slots[-1:])
    per_s, rows = service_rate(staff, requests[:-1], slots[:-1])
    connection.close()
    # The plain loop inserts the very rows the service wrote, into the same (emptied) table.
    from bookings.models import ConsultationBooking
    from notifications.models import Notification

    outbox_rows = Notification.objects.count()
    ConsultationBooking.objects.all().delete()
    connection.close()
    plain = plain_insert_rate(url, engine, rows)

    race_start = slots[-1][1] + timedelta(days=60)
    rounds = 1 if args.smoke else 3
    times = []
    for n in range(rounds):
        elapsed, won, conflicts = race(staff, slots[0][0], race_start + timedelta(days=n))
        if (won, conflicts) != (1, RACE_THREADS - 1):
            raise RuntimeError(f"race broke invariant 1: {won} won, {conflicts} conflicts")
        times.append(elapsed)

    on = f"[{engine}]"
    emit(
        [
            Row(
                f"bookings/s through services.book, {len(rows)} distinct slots {on}",
                per_s,
                "bookings/s",
                reference=plain,
                target=TARGET_RATIO * plain,
                higher_is_better=True,
            ),
            Row(f"plain autocommit insert loop, same rows {on}", plain, "rows/s"),
            Row(f"outbox rows written per booking {on}", outbox_rows / (bookings + 1), "rows"),
            Row(
                f"SQL statements per booking, BEGIN and COMMIT included {on}",
                len(one_booking.captured_queries),
                "statements",
            ),
            Row(
                f"{RACE_THREADS}-way race for one slot, all answered (worst of {rounds}) {on}",
                max(times),
                "s",
            ),
        ],
        as_json=args.json,
    )


if __name__ == "__main__":
    main()
