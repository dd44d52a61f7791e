"""API load benchmark: our endpoints against bare Django views, served by one real gunicorn.

Starts gunicorn (2 sync workers, `config.wsgi`, like the Procfile) on a free loopback port against
a scratch database it creates, migrates and seeds (`seed_demo --experts 2000`, plus benchmark
events, open requests and bookable experts), with production-like settings (DEBUG=false, a random
SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, no SSL redirect since there is no proxy). The public
throttle is raised (THROTTLE_PUBLIC) so that it does not cap the figures, and the broker is
kombu's filesystem transport inside the scratch directory (no worker runs; a shared Redis is
left alone). The same gunicorn also serves bench/_reference_urls.py, bare `JsonResponse` views
reading the same rows, so "ours / reference" compares the framework and our features against
the floor on one server with the same workers.

This process is the load client: threads with one keep-alive `http.client` connection each,
a fixed number of requests and a time cap, ours and the reference interleaved in rounds.
gunicorn's sync worker closes every connection after its response, so both sides pay a
reconnect per request. Figures: requests/s (ratio target >= 0.5 on reads), p50/p99 latency,
unexpected responses, and the peak RSS of gunicorn's master + workers (VmHWM from /proc).

With a PostgreSQL DATABASE_URL it creates (and drops) a scratch database on that server;
without, it runs on a scratch SQLite file and says so in every figure's name.

Run: .venv/bin/python bench/api_load.py [--smoke] [--json]   (smoke: about 20 seconds)
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the apps live in the repo root

from report import Row, emit, parse_args  # noqa: E402
from scratch import (  # noqa: E402
    create_database,
    drop_scratch,
    free_port,
    is_postgres,
    peak_rss_mb,
    start_gunicorn,
)

WORKERS = 2
CLIENT_THREADS = 4
READ_TARGET_RATIO = 0.5  # the issue: our reads at least half the bare view's throughput
EXPERTS = 2000
BOOKABLE_EXPERTS = 40
EVENTS = 40
SLOT_MINUTES = 60
THROTTLE = "1000000/min"


@dataclass(frozen=True)
class Plan:
    """Sizes of one run."""

    reads: int  # requests per read endpoint and side
    writes: int  # bookings per side
    cap_s: float  # time cap per run
    rounds: int  # ours/reference alternations


FULL = Plan(reads=3000, writes=400, cap_s=30.0, rounds=2)
SMOKE = Plan(reads=200, writes=30, cap_s=2.0, rounds=1)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- scratch database and server ------------------------------------------------------------------


def scratch_database(tmp: Path) -> tuple[str, str, bool]:
    """(DATABASE_URL of a fresh database, label, whether it is a PostgreSQL one to drop)."""
    url = os.environ.get("DATABASE_URL", "")
    if not is_postgres(url):
        return f"sqlite:///{tmp / 'bench.sqlite3'}", "SQLite (no DATABASE_URL)", False
    return create_database(url, f"consult_bench_{os.getpid()}"), "PostgreSQL", True


def service_env(database_url: str, tmp: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="config.settings",
        ROOT_URLCONF="bench._reference_urls",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        DEMO_DATA_ALLOWED="true",
        THROTTLE_PUBLIC=THROTTLE,
        VAR_DIR=str(tmp / "var"),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")


def stop_gunicorn(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- the load client ------------------------------------------------------------------------------

Call = tuple[str, str, bytes | None, dict[str, str]]


def request_once(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            method, path, body=body, headers={"Accept": "application/json"} | (headers or {})
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass
class Run:
    """What one side measured over its rounds."""

    latencies_ms: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    unexpected: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, q: float) -> float:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else 0.0
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[int(q) - 1]


def drive(
    port: int, calls: Iterator[Call], *, count: int, cap_s: float, expect: int, run: Run
) -> None:
    """Send up to ``count`` calls from CLIENT_THREADS threads; stop at the time cap."""
    lock = threading.Lock()
    sent = 0
    started = time.perf_counter()
    deadline = started + cap_s

    def take() -> Call | None:
        nonlocal sent
        with lock:
            if sent >= count or time.perf_counter() > deadline:
                return None
            call = next(calls, None)
            if call is not None:
                sent += 1
            return call

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        try:
            while (call := take()) is not None:
                method, path, body, headers = call
                t0 = time.perf_counter()
                try:
                    connection.request(method, path, body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    status = response.status
                except (OSError, http.client.HTTPException):
                    connection.close()
                    status = 0
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            connection.close()
            with lock:
                run.latencies_ms.extend(latencies)
                for status, n in statuses.items():
                    run.statuses[status] = run.statuses.get(status, 0) + n
                    if status != expect:
                        run.unexpected += n

    threads = [threading.Thread(target=worker) for _ in range(CLIENT_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.elapsed_s += time.perf_counter() - started


def repeat(call: Call) -> Iterator[Call]:
    while True:
        yield call


def compare(
    port: int,
    ours: Iterator[Call],
    reference: Iterator[Call],
    *,
    count: int,
    plan: Plan,
    expect: int,
) -> tuple[Run, Run]:
    """Alternate ours and the reference in rounds, so drift on a shared machine hits both."""
    mine, floor = Run(), Run()
    per_round = max(count // plan.rounds, 1)
    for _ in range(plan.rounds):
        drive(port, ours, count=per_round, cap_s=plan.cap_s / plan.rounds, expect=expect, run=mine)
        drive(
            port,
            reference,
            count=per_round,
            cap_s=plan.cap_s / plan.rounds,
            expect=expect,
            run=floor,
        )
    return mine, floor


# --- benchmark data (inside the scratch settings: `api_load.py --prepare`) ------------------------


def prepare(bookings_needed: int) -> None:
    """Add events, open requests and bookable experts to the seeded scratch database."""
    import django

    django.setup()
    from django.db.models import Count
    from django.utils import timezone

    from consult.models import ConsultationRequest, ParticipationPlan, StaffMembership
    from events.models import Event, EventSession, Registration
    from experts.models import ExpertProfile, ExpertTopic

    now = timezone.now()
    if Event.objects.count() < EVENTS:
        events = Event.objects.bulk_create(
            Event(
                kind=["seminar", "workshop", "webinar"][n % 3],
                title_de=f"Benchmark-Seminar {n}: Bürgerhaushalt in der Praxis",
                description_de="Wie ein Bürgerhaushalt eingeführt und weiterentwickelt wird. " * 5,
                place="Leipzig" if n % 3 != 2 else "",
                capacity=30 + n,
                registration_opens=now - timedelta(days=10),
                registration_closes=now + timedelta(days=20 + n),
                status=Event.Status.PUBLISHED,
            )
            for n in range(EVENTS)
        )
        EventSession.objects.bulk_create(
            EventSession(
                event=event,
                start=now + timedelta(days=30 + n, hours=part * 24),
                end=now + timedelta(days=30 + n, hours=part * 24 + 3),
            )
            for n, event in enumerate(events)
            for part in range(1 + n % 2)
        )
        Registration.objects.bulk_create(
            Registration(
                event=event,
                name=f"Teilnehmer*in {n}-{i}",
                email=f"teilnahme-{n}-{i}@kommune.example",
                status=Registration.Status.CONFIRMED,
                holds_seat=True,
                consent_at=now,
                confirmed_at=now,
            )
            for n, event in enumerate(events)
            for i in range(n % 7)
        )
    membership = (
        StaffMembership.objects.select_related("user")
        .filter(municipality__plans__isnull=False)
        .order_by("pk")
        .first()
    )
    plan = ParticipationPlan.objects.filter(municipality_id=membership.municipality_id).first()
    today = timezone.localdate()
    requests = ConsultationRequest.objects.bulk_create(
        ConsultationRequest(
            plan=plan,
            format="online",
            language="de",
            earliest=today,
            latest=today + timedelta(days=90),
            duration_minutes=SLOT_MINUTES,
            notes="Benchmark",
        )
        for _ in range(bookings_needed)
    )
    online = [
        e
        for e in ExpertProfile.objects.filter(active=True).order_by("pk")
        if "online" in (e.formats or [])
    ][:BOOKABLE_EXPERTS]
    for expert in online:
        expert.durations = sorted({SLOT_MINUTES, *(expert.durations or [])})
        expert.max_per_day = None
        expert.max_per_week = None
        expert.auto_confirm = False
        expert.conflicts.clear()
    ExpertProfile.objects.bulk_update(
        online, ["durations", "max_per_day", "max_per_week", "auto_confirm"]
    )
    topic = (
        ExpertTopic.objects.values("topic__slug")
        .annotate(n=Count("id"))
        .order_by("-n", "topic__slug")
        .first()
    )
    print(
        json.dumps(
            {
                "username": membership.user.username,
                "requests": [r.pk for r in requests],
                "experts": [
                    {"id": e.pk, "gap": e.buffer_before_minutes + e.buffer_after_minutes}
                    for e in online
                ],
                "topic": topic["topic__slug"],
                "topic_experts": topic["n"],
                "events": Event.objects.count(),
            }
        )
    )


# --- the benchmark --------------------------------------------------------------------------------


def bookable_slots(
    port: int, token: str, experts: list[dict], needed: int
) -> list[tuple[int, str]]:
    """(expert id, start) pairs from the slots API that cannot overlap, buffers included."""
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    chosen: list[tuple[int, str]] = []
    for expert in experts:
        status, body = request_once(
            port,
            "GET",
            f"/api/v1/experts/{expert['id']}/slots/?duration={SLOT_MINUTES}&to="
            + (datetime.now().astimezone() + timedelta(days=88)).isoformat().replace("+", "%2B"),
            headers=headers,
        )
        if status != 200:
            raise SystemExit(f"slots of expert {expert['id']}: {status} {body[:300]!r}")
        free_after = None
        for slot in json.loads(body)["results"]:
            start = datetime.fromisoformat(slot["start"])
            if free_after is None or start >= free_after:
                chosen.append((expert["id"], slot["start"]))
                free_after = datetime.fromisoformat(slot["end"]) + timedelta(minutes=expert["gap"])
        if len(chosen) >= needed:
            break
    return chosen


def main() -> None:
    if sys.argv[1:2] == ["--prepare"]:
        prepare(int(sys.argv[2]))
        return
    args = parse_args(__doc__)
    plan = SMOKE if args.smoke else FULL
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="consult-bench-") as scratch:
        tmp = Path(scratch)
        database_url, label, on_postgres = scratch_database(tmp)
        server = None
        try:
            env = service_env(database_url, tmp)
            log(f"scratch database on {label}: migrate, seed_demo --experts {EXPERTS}")
            manage(env, "migrate", "--no-input", "-v0")
            manage(env, "seed_demo", "--experts", str(EXPERTS))
            # Each side books `writes` slots, plus a few for the warm-up.
            needed = 2 * plan.writes + 20
            prepared = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--prepare", str(needed)],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if prepared.returncode != 0:
                raise SystemExit(f"preparing the data failed:\n{prepared.stderr[-3000:]}")
            data = json.loads(prepared.stdout.strip().splitlines()[-1])
            port = free_port()
            server = start_gunicorn(
                env,
                port,
                workers=WORKERS,
                extra_args=("--backlog", "256"),
                log=tmp / "gunicorn.log",
            )
            log(
                f"gunicorn ({WORKERS} workers) on 127.0.0.1:{port}, "
                f"{time.monotonic() - began:.0f} s after the start"
            )
            rows = measure(port, data, plan, label)
            rows.append(
                Row(
                    f"peak RSS, gunicorn master + {WORKERS} workers (VmHWM) [{label}]",
                    peak_rss_mb(server.pid),
                    "MB",
                )
            )
        finally:
            if server is not None:
                stop_gunicorn(server)
            if on_postgres:
                drop_scratch(database_url)
    emit(rows, as_json=args.json)
    if not args.json:
        print(
            f"\n{label}; gunicorn {WORKERS} sync workers, {CLIENT_THREADS} client threads, "
            f"THROTTLE_PUBLIC={THROTTLE} (raised so throttling does not cap the figures); "
            f"reference: bare JsonResponse views (bench/_reference_views.py) on the same server; "
            f"read targets: ours >= {READ_TARGET_RATIO} x reference; "
            f"{time.monotonic() - began:.0f} s{' (smoke)' if args.smoke else ''}"
        )


def measure(port: int, data: dict, plan: Plan, label: str) -> list[Row]:
    json_only = {"Accept": "application/json"}
    rows: list[Row] = []
    unexpected: list[str] = []
    unexpected_total = 0

    def figures(what: str, mine: Run, floor: Run, *, target: bool) -> None:
        rows.append(
            Row(
                f"{what}: requests/s [{label}]",
                mine.rate,
                "req/s",
                reference=floor.rate,
                target=READ_TARGET_RATIO * floor.rate if target else None,
                higher_is_better=True,
            )
        )
        for q in (50, 99):
            rows.append(
                Row(
                    f"{what}: p{q} latency", mine.percentile(q), "ms", reference=floor.percentile(q)
                )
            )
        nonlocal unexpected_total
        for side, run in (("ours", mine), ("reference", floor)):
            unexpected_total += run.unexpected
            if run.unexpected:
                unexpected.append(f"{what} ({side}): {run.statuses}")

    reads = [
        ("GET /api/v1/events/", "/api/v1/events/", "/bench/ref/events/"),
        (
            f"GET /api/v1/experts/?topic= ({data['topic_experts']} match)",
            f"/api/v1/experts/?topic={data['topic']}",
            f"/bench/ref/experts/?topic={data['topic']}",
        ),
    ]
    for what, ours_path, reference_path in reads:
        ours, reference = (
            repeat(("GET", ours_path, None, json_only)),
            repeat(("GET", reference_path, None, json_only)),
        )
        drive(port, ours, count=50, cap_s=5, expect=200, run=Run())  # warm-up: imports, caches
        drive(port, reference, count=50, cap_s=5, expect=200, run=Run())
        log(f"{what} …")
        mine, floor = compare(port, ours, reference, count=plan.reads, plan=plan, expect=200)
        figures(what, mine, floor, target=True)

    status, body = request_once(
        port,
        "POST",
        "/api/v1/auth/token/",
        json.dumps({"username": data["username"], "password": "demo"}).encode(),
        {"Content-Type": "application/json"},
    )
    if status != 200:
        raise SystemExit(f"token login failed: {status} {body[:300]!r}")
    token = json.loads(body)["token"]
    slots = bookable_slots(port, token, data["experts"], 2 * plan.writes + 20)
    requests = iter(data["requests"])
    # Alternate the slots: each side gets every other one, spread over the same experts.
    ours_slots, reference_slots = iter(slots[0::2]), iter(slots[1::2])
    headers = {
        "Authorization": f"Token {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }

    # drive() takes calls under its lock: the generators are never advanced concurrently.
    def bookings(path: str, pool: Iterator[tuple[int, str]]) -> Iterator[Call]:
        for expert, start in pool:
            request_id = next(requests)
            body = {"request": request_id, "expert": expert, "start": start}
            yield (
                "POST",
                path,
                json.dumps(body | {"duration_minutes": SLOT_MINUTES}).encode(),
                headers,
            )

    ours = bookings("/api/v1/bookings/", ours_slots)
    reference = bookings("/bench/ref/bookings/", reference_slots)
    drive(port, ours, count=5, cap_s=5, expect=201, run=Run())
    drive(port, reference, count=5, cap_s=5, expect=201, run=Run())
    log(f"POST /api/v1/bookings/ ({len(slots)} distinct free slots) …")
    writes = min(plan.writes, len(slots) // 2 - 5)
    mine, floor = compare(port, ours, reference, count=writes, plan=plan, expect=201)
    figures("POST /api/v1/bookings/", mine, floor, target=False)
    rows.append(
        Row(
            "unexpected responses (not 200/201), all measured runs",
            float(unexpected_total),
            "responses",
            target=0.0,
        )
    )
    for line in unexpected:
        log(f"unexpected statuses: {line}")
    return rows


if __name__ == "__main__":
    main()
