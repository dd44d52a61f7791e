"""An event with 2,000 confirmed participants is moved: every participant gets the updated
invitation (METHOD:REQUEST, SEQUENCE raised), delivered through Redis by Celery (one worker, two
pool processes) to a local SMTP server. Target: ≤ 20 s from the change to the last message.

Set-up (not timed): a scratch PostgreSQL database `consult_bench_notify` next to the one in
DATABASE_URL (or on 127.0.0.1:5432 with postgres/postgres), dropped, re-created and migrated by
`manage.py migrate` in a subprocess (no PostgreSQL reachable: a scratch SQLite file, and the
rows say so); Redis from REDIS_URL on a private queue, or a redis-server on a free port (skipped
with a message if none is installed); an aiosmtpd sink in this process; the worker started and
answering a ping before the clock starts.

Timed: `events.management.update_event` moving the session (through notifications.services.send:
the message rendered once per language, the invitation prepared once per language and each
participant put in, one bulk outbox insert, commit, 20 `deliver_batch` tasks of 100 ids enqueued
after commit) until the SMTP sink holds all 2,000 messages; checked: every row `sent`, every
Message-ID once.

Figures: end to end (target ≤ 20 s); the change transaction alone; messages/s delivered, against
a bare smtplib loop sending the same 2,000 e-mails over one connection from one process (the
floor of what the sink accepts; the ratio shows what outbox, Celery and two processes give).

Run: .venv/bin/python bench/event_change.py [--smoke] [--json]   (--smoke: 200 participants)
"""

from __future__ import annotations

import os
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from email import message_from_bytes
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import Row, emit, parse_args  # noqa: E402
from bench.scratch import (  # noqa: E402
    create_database,
    drop_scratch,
    free_port,
    is_postgres,
    migrate,
    peak_rss_mb,
    sqlite_scratch,
)

SCRATCH_DB = "consult_bench_notify"
LOCAL_PG = "postgres://postgres:postgres@127.0.0.1:5432/postgres"
TARGET_S = 20.0


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def scratch_database() -> tuple[str, str]:
    """(DATABASE_URL of a fresh scratch database, engine name)."""
    url = os.environ.get("DATABASE_URL", "")
    if not is_postgres(url):
        url = LOCAL_PG
    try:
        return create_database(url, f"{SCRATCH_DB}_{os.getpid()}", connect_timeout=3), "PostgreSQL"
    except Exception as exc:  # no server, no rights: fall back, and say so in the rows
        say(f"PostgreSQL not usable ({exc}); using a scratch SQLite file")
    return sqlite_scratch(ROOT / "var" / f"{SCRATCH_DB}_{os.getpid()}.sqlite3"), "SQLite"


class Sink:
    """aiosmtpd in a thread of this process, keeping every message it accepts."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[bytes] = []
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
                with sink.lock:
                    sink.messages.append(envelope.content)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
        self.controller.start()

    @property
    def port(self) -> int:
        return self.controller.port

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def stop(self) -> None:
        self.controller.stop()


def start_redis() -> tuple[str, subprocess.Popen | None]:
    url = os.environ.get("REDIS_URL", "")
    if url:
        return url, None
    binary = shutil.which("redis-server")
    if binary is None:
        return "", None
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return f"redis://127.0.0.1:{port}/0", process
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def make_event(count: int) -> tuple[int, object]:
    """A published event with `count` confirmed participants (20% English), and a coordinator."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from core.roles import COORDINATOR, ensure_role_groups
    from events.models import Event, EventSession, Registration

    ensure_role_groups()
    coordinator = get_user_model().objects.create_user("bench-coordinator", is_staff=True)
    coordinator.groups.add(Group.objects.get(name=COORDINATOR))
    now = timezone.now()
    event = Event.objects.create(
        kind="workshop",
        title_de="Werkstatt: Bürgerhaushalt einführen – Vorschläge, Prüfung, Abstimmung",
        title_en="Workshop: introducing a participatory budget",
        description_de="Verfahren gestalten; Online-Beteiligung; Machbarkeitsprüfung. " * 4,
        place="Rathaus Musterstadt, Großer Sitzungssaal",
        address="Marktplatz 1, 12345 Musterstadt",
        capacity=count,
        registration_opens=now - timedelta(days=10),
        registration_closes=now + timedelta(days=20),
        status="published",
    )
    start = (now + timedelta(days=30)).replace(hour=9, minute=0, second=0, microsecond=0)
    EventSession.objects.create(event=event, start=start, end=start + timedelta(hours=6))
    names = ["Anna Schmidt", "Jörg Müller", "Ayşe Yılmaz", "Ole O'Neill", 'Gosia "G." Nowak']
    Registration.objects.bulk_create(
        [
            Registration(
                event=event,
                name=names[i % len(names)],
                email=f"teilnehmer{i}@gemeinde{i % 97}.example",
                language="en" if i % 5 == 0 else "de",
                status="confirmed",
                holds_seat=True,
                consent_at=now,
                confirmed_at=now,
            )
            for i in range(count)
        ],
        batch_size=500,
    )
    return event.pk, coordinator


def change_event(event_id: int, coordinator: object) -> str:
    """The change under test; returns how it was made (for the rows)."""
    from datetime import timedelta

    from events import management as event_management
    from events.models import EventSession

    session = EventSession.objects.get(event_id=event_id)
    moved = (session.start + timedelta(days=7), session.end + timedelta(days=7))
    event_management.update_event(event_id=event_id, by=coordinator, sessions=[moved])
    return "event_management.update_event"


def warm_up(sink: Sink) -> None:
    """A few single deliveries first, so both pool processes have imported, connected to the
    database and the SMTP server: the figure is for a running system, not a cold start."""
    from django.db import transaction

    from notifications.services import Rendered, queue_notification

    for number in range(6):
        with transaction.atomic():
            queue_notification(
                recipient=f"warm{number}@consult.example",
                kind="bench.warm_up",
                dedup_key=f"bench-warm-up-{number}",
                message=Rendered(subject="warm-up", text="warm-up", html=""),
            )
    if not wait_until(lambda: sink.count() >= 6, 60):
        raise RuntimeError("warm-up messages did not arrive")
    sink.clear()


def wait_until(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


def bare_smtp_rate(raw: list[bytes], port: int) -> float:
    """The floor: the same e-mails, prebuilt, sent by smtplib over one connection."""
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for data in raw:
            smtp.sendmail("beratung@consult.example", ["x@gemeinde.example"], data)
    return len(raw) / (time.perf_counter() - start)


def main() -> None:
    args = parse_args(__doc__)
    count = 200 if args.smoke else 2000

    redis_url, redis_process = start_redis()
    if not redis_url:
        say("skipped: needs Redis (set REDIS_URL or install redis-server)")
        return
    db_url, engine = scratch_database()
    sink = Sink()
    queue = f"bench-notify-{uuid.uuid4().hex[:6]}"
    var_dir = tempfile.mkdtemp(prefix="bench-notify-")
    env = {
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "VAR_DIR": var_dir,
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    worker = None
    try:
        migrate(db_url, env)
        os.environ.update(env)
        import django

        django.setup()
        from config.celery import app

        # A private queue: other workers on a shared Redis never take these tasks.
        app.conf.task_default_queue = queue
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue]  # noqa: RUF005
            + ["--concurrency", "2", "--without-mingle", "--without-gossip"]
            + ["--loglevel", "WARNING", "-n", f"{queue}@%h"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def answers() -> bool:
            replies = app.control.ping(timeout=0.5)
            return any(name.startswith(f"{queue}@") for reply in replies for name in reply)

        if not wait_until(answers, 60):
            raise RuntimeError("the Celery worker did not answer")

        from notifications.models import Notification

        warm_up(sink)
        event_id, coordinator = make_event(count)
        started = time.perf_counter()
        how = change_event(event_id, coordinator)
        changed = time.perf_counter()
        if not wait_until(lambda: sink.count() >= count, 120):
            raise RuntimeError(f"only {sink.count()} of {count} messages arrived")
        done = time.perf_counter()

        # The last rows are recorded as sent just after their message arrived.
        event_rows = Notification.objects.exclude(kind="bench.warm_up")
        wait_until(lambda: event_rows.filter(status="sent").count() >= count, 10)
        sent = event_rows.filter(status="sent").count()
        ids = Counter(str(message_from_bytes(m)["Message-ID"]) for m in sink.messages)
        assert sent == count == len(ids) == sink.count(), (sent, len(ids), sink.count())
        raw = list(sink.messages)
        sink.clear()
        floor = bare_smtp_rate(raw, sink.port)
        worker_rss = peak_rss_mb(worker.pid)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        sink.stop()
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(timeout=10)
        from django.db import connections

        connections.close_all()
        drop_scratch(db_url)
        shutil.rmtree(var_dir, ignore_errors=True)

    where = f"{engine} + Redis, 2 worker processes"
    say(f"ran on {where}; change made by {how}")
    rate = count / (done - changed)
    emit(
        [
            Row(
                f"event change to {count:,} participants, change → last message at SMTP ({where})",
                done - started,
                "s",
                target=TARGET_S,
            ),
            Row(f"the change transaction alone ({how})", changed - started, "s"),
            Row(
                "messages/s delivered, outbox → Celery → SMTP (ref: bare smtplib loop, 1 process)",
                rate,
                "messages/s",
                reference=floor,
                higher_is_better=True,
            ),
            Row("peak RSS, Celery worker + 2 pool processes (VmHWM)", worker_rss, "MB"),
        ],
        as_json=args.json,
    )


if __name__ == "__main__":
    main()
