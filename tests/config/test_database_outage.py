"""The database going away while the web serves: 503 (never 500) with Retry-After, in the API's
error shape or as a short page, and recovery without restarting the web process.

The fault test restarts a private PostgreSQL (tests.workers.PostgresServer), never the shared
one other test processes use, under a real gunicorn with persistent connections.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psycopg
import psycopg.errors
import pytest
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.registration import service_env
from bench.scratch import create_database, free_port, migrate, start_gunicorn
from config import errors
from config.exceptions import DATABASE_RETRY_AFTER, database_unreachable
from config.urls import urlpatterns as project_urls
from events.models import Registration
from tests.workers import ROOT, PostgresServer, postgres_server, wait_for


def _wrapped(driver: Exception) -> OperationalError:
    """What Django raises for a driver's error: its own, with the driver's as the cause."""
    error = OperationalError(str(driver))
    error.__cause__ = driver
    return error


def _refused() -> OperationalError:
    return _wrapped(psycopg.OperationalError('connection to "127.0.0.1" failed: refused'))


class _DownApi(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request: Request) -> Response:
        raise _refused()


def _down_page(request: HttpRequest) -> HttpResponse:
    raise _refused()


urlpatterns = [
    path("api/v1/outage/", _DownApi.as_view()),
    path("outage/", _down_page),
    *project_urls,
]


@pytest.mark.parametrize(
    ("error", "unreachable"),
    [
        (_refused(), True),
        (_wrapped(psycopg.errors.AdminShutdown("terminating connection")), True),
        (_wrapped(psycopg.errors.CannotConnectNow("the database system is starting up")), True),
        (_wrapped(psycopg.errors.TooManyConnections("too many clients")), True),
        (InterfaceError("connection already closed"), True),
        (_wrapped(psycopg.errors.LockNotAvailable("lock timeout")), False),
        (_wrapped(psycopg.errors.QueryCanceled("statement timeout")), False),
        (OperationalError("no such table: bookings_event"), False),  # SQLite: a bug, not away
        (ValueError("connection refused"), False),
    ],
)
def test_only_errors_of_an_unreachable_database_count_as_unavailable(error, unreachable):
    assert database_unreachable(error) is unreachable


@pytest.mark.urls(__name__)
def test_api_request_finding_the_database_unreachable_gets_503_in_the_error_shape(client):
    response = client.get("/api/v1/outage/")

    assert response.status_code == 503
    assert response["Retry-After"] == str(DATABASE_RETRY_AFTER)
    assert response.json()["code"] == "database_unavailable"
    assert set(response.json()) == {"detail", "code", "fields"}


@pytest.mark.urls(__name__)
def test_page_finding_the_database_unreachable_gets_a_503_page_that_needs_no_database(client):
    response = client.get("/outage/", HTTP_ACCEPT="text/html")

    assert response.status_code == 503
    assert response["Retry-After"] == str(DATABASE_RETRY_AFTER)
    assert "Datenbank" in response.content.decode()


def test_database_lost_outside_any_view_is_a_503_too(rf):
    request = rf.get("/api/v1/events/")
    try:
        raise _refused()  # say, while the session middleware saves the session
    except OperationalError:
        response = errors.server_error(request)

    assert response.status_code == 503
    assert json.loads(response.content)["code"] == "database_unavailable"


# --- a real PostgreSQL restarted under a real gunicorn ----------------------------------------

OUTAGE_SECONDS = 3.0
REQUEST_BOUND_SECONDS = 8.0  # above connect_timeout (5 s): a request may wait for it once
RECOVERY_BOUND_SECONDS = 10.0


@dataclass(frozen=True)
class Answer:
    kind: str  # "list", "readyz" or "write"
    started: float
    finished: float
    status: int | None  # None: no answer at all (refused, reset, timed out)
    body: dict | None
    retry_after: str | None
    email: str = ""


class Traffic:
    """Clients on threads cycling through the event list, /readyz and a registration with a
    fresh address each, a little apart (the machine is shared), until stopped."""

    def __init__(self, port: int, event_id: int, *, clients: int = 2) -> None:
        self.port, self.event_id = port, event_id
        self.answers: list[Answer] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(clients)
        ]
        self._written = 0

    def __enter__(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=REQUEST_BOUND_SECONDS + 5)

    def _client(self, number: int) -> None:
        kinds = ("list", "readyz", "write")
        turn = number
        while not self._stop.is_set():
            kind = kinds[turn % len(kinds)]
            turn += 1
            email = ""
            if kind == "write":
                with self._lock:
                    self._written += 1
                    email = f"teilnehmerin{self._written}@gemeinde.example"
            answer = request(self.port, kind, self.event_id, email)
            with self._lock:
                self.answers.append(answer)
            self._stop.wait(0.03)

    def seen(self, predicate) -> list[Answer]:  # type: ignore[no-untyped-def]
        with self._lock:
            return [answer for answer in self.answers if predicate(answer)]


def request(port: int, kind: str, event_id: int, email: str = "") -> Answer:
    method, url, body = {
        "list": ("GET", "/api/v1/events/", None),
        "readyz": ("GET", "/readyz", None),
        "write": (
            "POST",
            f"/api/v1/events/{event_id}/registrations/",
            json.dumps(
                {"name": "Anna Beispiel", "email": email, "consent": True, "municipality_name": "X"}
            ),
        ),
        "page": ("GET", "/veranstaltungen/", None),
    }[kind]
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if kind == "page":
        headers = {"Accept": "text/html"}
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_BOUND_SECONDS + 5)
    try:
        conn.request(method, url, body=body, headers=headers)
        response = conn.getresponse()
        raw = response.read()
    except (OSError, http.client.HTTPException):
        return Answer(kind, started, time.monotonic(), None, None, None, email)
    finally:
        conn.close()
    parsed = json.loads(raw) if "json" in (response.getheader("Content-Type") or "") else None
    return Answer(
        kind,
        started,
        time.monotonic(),
        response.status,
        parsed if isinstance(parsed, dict) else {"html": raw.decode()},
        response.getheader("Retry-After"),
        email,
    )


def _seed_event(env: dict[str, str]) -> int:
    """A published event open for registration, written by the project's own factory."""
    code = "from tests.factories import EventFactory; print(EventFactory(capacity=100000).pk)"
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return int(done.stdout.split()[-1])


def _gunicorn_workers(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


def _rows_per_email(server: PostgresServer, event_id: int) -> Counter[str]:
    table = Registration._meta.db_table
    with psycopg.connect(server.url("consult")) as conn:
        rows = conn.execute(
            f"SELECT email, count(*) FROM {table} WHERE event_id = %s GROUP BY email",  # noqa: S608
            [event_id],
        ).fetchall()
    return Counter(dict(rows))


@pytest.mark.postgres
def test_postgres_restart_answers_503_then_recovers_without_restarting_the_web():
    began = time.monotonic()
    with postgres_server() as pg, tempfile.TemporaryDirectory(prefix="outage-") as var_dir:
        url = create_database(pg.url(), "consult")
        env = {**os.environ, **service_env(url, var_dir), "CONN_MAX_AGE": "60"}
        migrate(url, env)
        event_id = _seed_event(env)
        port = free_port()
        # One worker, four threads: four persistent connections that all die with the server.
        web = start_gunicorn(
            env, port, workers=1, threads=4, log=Path(var_dir) / "gunicorn.log", timeout=30
        )
        try:
            workers = _gunicorn_workers(web.pid)
            with Traffic(port, event_id) as traffic:
                assert wait_for(lambda: len(traffic.seen(lambda a: a.status == 201)) >= 3)

                pg.stop("fast")
                down = time.monotonic()
                assert wait_for(
                    lambda: (
                        time.monotonic() - down >= OUTAGE_SECONDS
                        and {a.kind for a in traffic.seen(lambda a: a.started > down)}
                        == {"list", "readyz", "write"}
                    ),
                    timeout=15,
                )
                page = request(port, "page", event_id)
                restarting = time.monotonic()  # pg_ctl returns a little after it accepts again
                pg.start()
                up = time.monotonic()

                def back(kind: str) -> list[Answer]:
                    return traffic.seen(
                        lambda a: a.kind == kind and a.started >= up and a.status == 200
                    )

                assert wait_for(
                    lambda: back("list") and back("readyz"), timeout=RECOVERY_BOUND_SECONDS
                )
                recovered = max(min(a.finished for a in back(k)) for k in ("list", "readyz"))
                # Some traffic after the recovery too.
                assert wait_for(lambda: len(traffic.seen(lambda a: a.started > recovered)) >= 12)

            assert web.poll() is None and _gunicorn_workers(web.pid) == workers
            answers = traffic.seen(lambda a: True)
            retried = [
                request(port, "write", event_id, a.email)
                for a in answers
                if a.kind == "write" and a.status == 503
            ]
        finally:
            web.terminate()
            web.wait(timeout=15)
        stored = _rows_per_email(pg, event_id)

    # Never a 500, never without an answer, never beyond the bound.
    statuses = Counter(a.status for a in answers)
    assert statuses.keys() <= {200, 201, 503}, statuses
    slowest = max(a.finished - a.started for a in answers)
    assert slowest < REQUEST_BOUND_SECONDS
    # Whatever started while the server was away was answered 503: JSON in the error shape
    # with Retry-After; /readyz names the database; a page is a 503 page.
    during = [a for a in answers if a.started > down and a.finished < restarting]
    assert during and all(a.status == 503 for a in during), Counter(
        (a.kind, a.status) for a in during
    )
    for answer in during:
        assert answer.retry_after == str(DATABASE_RETRY_AFTER) or answer.kind == "readyz"
        if answer.kind == "readyz":
            assert answer.body["failing"] == ["database"], answer.body
        else:
            assert answer.body["code"] == "database_unavailable", answer.body
            assert set(answer.body) == {"detail", "code", "fields"}
    assert page.status == 503 and "Datenbank" in page.body["html"]
    # After the restart the same process answers again: every request since is a success.
    assert all(a.status in (200, 201) for a in answers if a.started >= recovered)

    # Writes: every 2xx is stored, none twice; a write answered 503 and sent again (as the
    # client would after Retry-After) is stored once, whether or not the first had committed.
    assert all(r.status in (200, 201) for r in retried), [r.status for r in retried]
    writes = [a for a in answers if a.kind == "write"]
    acknowledged = {a.email for a in writes if a.status in (200, 201)} | {r.email for r in retried}
    lost = acknowledged - set(stored)
    duplicated = sum(count - 1 for count in stored.values())
    assert not lost and duplicated == 0 and set(stored) == acknowledged
    committed_anyway = sum(r.status == 200 for r in retried)
    print(
        f"PostgreSQL down {restarting - down:.1f} s under {len(answers)} requests:"
        f" {statuses[503]} × 503, 0 × 500, slowest {slowest:.2f} s;"
        f" 200 again {recovered - up:.2f} s after the restart, same gunicorn worker."
        f" Writes: {len(writes)} sent, {len(retried)} answered 503 and retried"
        f" ({committed_anyway} had committed), {len(stored)} stored,"
        f" lost {len(lost)}, duplicated {duplicated}. Whole test {time.monotonic() - began:.0f} s"
    )
