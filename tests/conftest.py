"""Fixtures shared by the whole suite, and the skipping of tests whose server is absent."""

from __future__ import annotations

import fcntl
import importlib
import importlib.util
import os
import shutil
import socket
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.utils import translation
from rest_framework.test import APIClient

from tests import factories


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1
        ):
            return True
    except OSError:
        return False


def _absent(marker: str) -> str | None:
    """Why a test with this marker cannot run here, or None when its server is present."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if marker == "postgres" and "postgresql" not in engine:
        return "needs PostgreSQL: set DATABASE_URL=postgres://…"
    if marker == "redis" and not (settings.REDIS_URL and _reachable(settings.REDIS_URL, 6379)):
        return "needs Redis: set REDIS_URL=redis://… to a running server"
    if marker == "browser" and not (
        shutil.which("chromium") or os.path.exists("/usr/bin/chromium")
    ):
        return "needs Chromium (apt-get install chromium)"
    if marker == "caldav" and importlib.util.find_spec("radicale") is None:
        return "needs Radicale (pip install -r requirements-dev.txt)"
    return None


# Tests of the plain modules (pure functions on plain data: experts/matching.py, experts/slots.py,
# notifications/ics.py, consult/peers.py, library/relevance.py, the e-mail headers): none reads
# the database, a broker, a server or the services' environment, so the engine under them cannot
# change their outcome.
ENGINE_INDEPENDENT_MODULES = (
    "tests/experts/test_matching.py",
    "tests/experts/test_slots.py",
    "tests/experts/test_busy_time.py",
    "tests/notifications/test_ics.py",
    "tests/consult/test_peers.py",
    "tests/library/test_relevance.py",
    "tests/security/test_email_headers.py",
)
_SERVICE_MARKERS = ("postgres", "redis", "celery", "smtp", "browser", "caldav")
_DB_FIXTURES = {"db", "transactional_db", "live_server"}
# Thread races holding up to 50 and 40 PostgreSQL connections at once, of the 100 that the
# machine's server grants all test processes together.
MANY_CONNECTIONS_MODULES = (
    "tests/bookings/test_booking_concurrency.py",
    "tests/events/test_registration_concurrency.py",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--engine-dependent-only",
        action="store_true",
        help="leave out the tests of ENGINE_INDEPENDENT_MODULES that use no database and no "
        "service (CI's run on PostgreSQL + Redis: `make test` ran them on the same commit)",
    )


def _uses_database(node: pytest.Item, fixturenames: list[str]) -> bool:
    return bool(node.get_closest_marker("django_db") or _DB_FIXTURES & set(fixturenames))


def _engine_independent(item: pytest.Item) -> bool:
    return (
        item.nodeid.split("::")[0] in ENGINE_INDEPENDENT_MODULES
        and not _uses_database(item, item.fixturenames)  # type: ignore[attr-defined]
        and not any(item.get_closest_marker(marker) for marker in _SERVICE_MARKERS)
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for marker in ("postgres", "redis", "browser", "caldav"):
            if item.get_closest_marker(marker) and (reason := _absent(marker)):
                item.add_marker(pytest.mark.skip(reason=reason))
    if config.getoption("engine_dependent_only"):
        kept: list[pytest.Item] = []
        left_out: list[pytest.Item] = []
        for item in items:
            (left_out if _engine_independent(item) else kept).append(item)
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


@pytest.fixture(autouse=True)
def _topic_taxonomy(request: pytest.FixtureRequest) -> None:
    """The topics come from a data migration; a transactional test's flush deletes them, so
    every database test starts with them present again (as a fresh deployment has them)."""
    if not _uses_database(request.node, request.fixturenames):
        return
    request.getfixturevalue("_django_db_helper")
    from django.apps import apps

    from consult.models import Topic

    if not Topic.objects.exists():
        importlib.import_module("consult.migrations.0002_topics").add_topics(apps, None)


@pytest.fixture(autouse=True)
def _private_cache(settings):  # type: ignore[no-untyped-def]
    """Each test process gets its own cache: with Redis as the cache, xdist workers would share
    throttle counters, and a test's cache.clear() (FLUSHDB) would wipe the other's state and
    the broker's queues on the same Redis database."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"tests-{os.getpid()}",
        }
    }


@pytest.fixture(autouse=True)
def _one_connection_race_at_a_time(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """On PostgreSQL, a test of MANY_CONNECTIONS_MODULES waits until no other one runs on this
    machine: two 50-thread races on both xdist workers asked for more than 100 connections
    ("too many clients already"). A lock, because xdist_group does not keep tests together with
    this pytest/xdist pair (see tests/pages/conftest.py)."""
    if request.node.nodeid.split("::")[0] not in MANY_CONNECTIONS_MODULES or (
        "postgresql" not in settings.DATABASES["default"]["ENGINE"]
    ):
        yield
        return
    path = Path(tempfile.gettempdir()) / "consult-tests-postgres-connections.lock"
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings):  # type: ignore[no-untyped-def]
    """The factories' users need a password, not PBKDF2's cost: about a second per user on a
    busy 2-core box, minutes of every run (test_idor alone builds 41 worlds of 5 users).
    Production keeps its hashers: no test is about them, and `check --deploy` runs on the
    production settings in a subprocess."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _mail_in_memory(settings):  # type: ignore[no-untyped-def]
    """Tests read sent mail from django.core.mail.outbox unless a test sets a backend itself."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _default_language():  # type: ignore[no-untyped-def]
    """Each test starts and ends in the default language: LocaleMiddleware activates a
    request's language for the thread, and an English request must not leak into the next
    test of the same process."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def coordinator(db):  # type: ignore[no-untyped-def]
    return factories.coordinator()


@pytest.fixture
def municipality(db):  # type: ignore[no-untyped-def]
    return factories.MunicipalityFactory()


@pytest.fixture
def staff_user(municipality):  # type: ignore[no-untyped-def]
    return factories.staff_for(municipality)


@pytest.fixture
def other_staff_user(db):  # type: ignore[no-untyped-def]
    return factories.staff_for(factories.MunicipalityFactory())


@pytest.fixture
def expert(db):  # type: ignore[no-untyped-def]
    return factories.ExpertProfileFactory()


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client
