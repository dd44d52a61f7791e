"""Benchmark of event registration: throughput through the service and over HTTP, and the
200-way race for 20 places over HTTP.

Creates its own scratch database (PostgreSQL: `consult_bench_reg` next to the one in
DATABASE_URL, dropped and re-created; without a PostgreSQL DATABASE_URL a scratch SQLite file,
and the rows say so), migrates it, and starts gunicorn (2 workers, gthread with 4 threads each:
measured faster here than 8 or 16, less GIL contention; BENCH_GUNICORN_THREADS overrides) on a
free loopback port against it. Tasks go to a throw-away filesystem broker: delivery is not
measured here.

The public throttle (THROTTLE_PUBLIC, 60/min by default) is raised to 1,000,000/min for the
gunicorn run: otherwise the benchmark would measure the throttle, not registering.

Figures:
- sequential registrations/s through `events.registration.register` (in-process, one connection),
  and the CPU time this process spends per registration (steady when the machine is shared);
- sequential registrations/s over HTTP (one keep-alive client), reference: pretix on this kind
  of machine, 4.7/s (from the issue); target ≥ 50/s;
- the race: 200 clients released together by a barrier for 20 places, total time until the
  last answer, reference: pretix 5.9 s; target ≤ 1.5 s. Checked: exactly 20 hold seats.

Run: DATABASE_URL=postgres://… .venv/bin/python bench/registration.py [--smoke] [--json]
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import Row, emit, parse_args  # noqa: E402
from bench.scratch import drop_scratch, free_port, scratch_database, start_gunicorn  # noqa: E402

SCRATCH_DB = "consult_bench_reg"
PRETIX_RACE_S = 5.9
PRETIX_SEQUENTIAL_PER_S = 4.7
TARGET_RACE_S = 1.5
TARGET_HTTP_PER_S = 50.0


def service_env(url: str, var_dir: str) -> dict[str, str]:
    """The environment of the service processes: production-like, scratch DB, no throttle."""
    return {
        "DATABASE_URL": url,
        "VAR_DIR": var_dir,
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "filesystem://",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "THROTTLE_PUBLIC": "1000000/min",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_event(capacity: int) -> int:
    from datetime import timedelta

    from django.utils import timezone

    from events.models import Event, EventSession

    now = timezone.now()
    event = Event.objects.create(
        kind="workshop",
        title_de="Werkstatt: Bürgerhaushalt einführen",
        place="Rathaus",
        address="Marktplatz 1, 04109 Leipzig",
        capacity=capacity,
        registration_opens=now - timedelta(days=1),
        registration_closes=now + timedelta(days=20),
        status="published",
    )
    start = now + timedelta(days=30)
    EventSession.objects.create(event=event, start=start, end=start + timedelta(hours=4))
    return event.pk


def register_many(event_id: int, count: int, prefix: str) -> None:
    """``count`` registrations of distinct people for ``event_id`` through the service."""
    from events import registration as event_registration

    for n in range(count):
        event_registration.register(
            event_id=event_id,
            name=f"Teilnehmerin {n}",
            email=f"{prefix}{n}@gemeinde.example",
            consent=True,
            municipality_name="Leipzig",
        )


def bench_service(count: int) -> tuple[float, float]:
    """Registrations/s, and this process's CPU ms per registration: the second is what the
    code costs (ORM compilation included) and barely moves when other processes load the
    machine, which the first does."""
    # Warm-up on an event of its own, as the HTTP run warms its workers: imports, the first
    # template compilation and the connection are not what is measured.
    register_many(make_event(capacity=5), 5, "warm")
    event_id = make_event(capacity=count // 2)
    started, cpu = time.perf_counter(), time.process_time()
    register_many(event_id, count, "service")
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return count / wall, cpu * 1000 / count


def post(conn: http.client.HTTPConnection, event_id: int, n: int, prefix: str) -> int:
    body = json.dumps(
        {
            "name": f"Teilnehmer {n}",
            "email": f"{prefix}{n}@gemeinde.example",
            "municipality_name": "Leipzig",
            "consent": True,
        }
    )
    conn.request(
        "POST",
        f"/api/v1/events/{event_id}/registrations/",
        body=body,
        headers={"Content-Type": "application/json", "Accept-Language": "de"},
    )
    response = conn.getresponse()
    response.read()
    return response.status


def bench_http_sequential(port: int, count: int) -> float:
    event_id = make_event(capacity=count // 2)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for n in range(5):  # warm-up: imports, connections, template caches in both workers
        post(conn, event_id, n, "warm")
    started = time.perf_counter()
    for n in range(count):
        status = post(conn, event_id, n, "seq")
        assert status == 201, status
    return count / (time.perf_counter() - started)


def bench_race(port: int, clients: int, places: int) -> float:
    from events.models import Registration

    event_id = make_event(capacity=places)
    barrier = threading.Barrier(clients + 1)
    statuses: list[int] = []
    finished: list[float] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.connect()
        barrier.wait()
        status = post(conn, event_id, n, "race")
        done = time.perf_counter()
        with lock:
            statuses.append(status)
            finished.append(done)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    took = max(finished) - started
    assert statuses.count(201) == clients, statuses
    holders = Registration.objects.filter(event_id=event_id, holds_seat=True).count()
    waiting = Registration.objects.filter(event_id=event_id, holds_seat=False).count()
    assert (holders, waiting) == (places, clients - places), (holders, waiting)
    return took


def main() -> None:
    args = parse_args(__doc__)
    sequential = 40 if args.smoke else 300
    clients = 50 if args.smoke else 200
    places = 5 if args.smoke else 20
    url, engine = scratch_database(SCRATCH_DB)
    var_dir = tempfile.mkdtemp(prefix="bench-reg-")
    env = service_env(url, var_dir)
    setup_django(env)
    service_rate, service_cpu_ms = bench_service(sequential)
    port = free_port()
    gunicorn = start_gunicorn(
        {**os.environ, **env},
        port,
        threads=int(os.environ.get("BENCH_GUNICORN_THREADS", "4")),
        log=Path(var_dir) / "gunicorn.log",
        timeout=30,
    )
    try:
        http_rate = bench_http_sequential(port, sequential)
        race = bench_race(port, clients, places)
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=15)
        from django.db import connections

        connections.close_all()
        drop_scratch(url)
    emit(
        [
            Row(
                f"registrations/s, events.registration.register, sequential ({engine})",
                service_rate,
                "registrations/s",
                higher_is_better=True,
            ),
            Row(
                f"CPU of this process per registration, events.registration.register ({engine})",
                service_cpu_ms,
                "ms",
            ),
            Row(
                f"registrations/s over HTTP, gunicorn 2 workers, sequential ({engine}; "
                "ref: pretix)",
                http_rate,
                "registrations/s",
                reference=PRETIX_SEQUENTIAL_PER_S,
                target=TARGET_HTTP_PER_S,
                higher_is_better=True,
            ),
            Row(
                f"{clients}-way race for {places} places over HTTP, total ({engine}; "
                "ref: pretix 200-way)",
                race,
                "s",
                reference=PRETIX_RACE_S,
                target=TARGET_RACE_S if not args.smoke else None,
            ),
        ],
        as_json=args.json,
    )


if __name__ == "__main__":
    main()
