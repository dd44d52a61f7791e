"""Fixtures of the page tests: a headless Chromium per browser test, the topic taxonomy."""

from __future__ import annotations

import fcntl
import importlib
from typing import Any

import pytest
from django.apps import apps
from django.db import connections

from tests.pages.browser import ARTIFACTS, AXE, CHROMIUM, CHROMIUM_ARGS

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def taxonomy(transactional_db: Any) -> None:
    """The topics of the data migration: a transactional test before may have flushed them."""
    migration = importlib.import_module("consult.migrations.0002_topics")
    migration.add_topics(apps, None)


@pytest.fixture
def browser_page(request, monkeypatch, taxonomy):  # type: ignore[no-untyped-def]
    """A fresh Chromium (German, Berlin time) for one test; ``indirect`` param = viewport.

    Playwright's sync API runs an event loop in the test thread, and Django refuses ORM calls
    from a thread with a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set: set for this
    test only (the test thread only sets up data and reads results), so that nothing else in
    the process (or its subprocesses, e.g. `check --deploy`) inherits it.
    """
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make install` (npm install)")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    size = getattr(request, "param", None) or DESKTOP
    ARTIFACTS.mkdir(exist_ok=True)
    # One browser at a time across xdist workers: `xdist_group` alone does not keep them
    # together with this pytest/xdist pair, and two Chromiums on two cores make both slow.
    with open(ARTIFACTS / ".browser.lock", "w") as lock, sync_playwright() as playwright:
        fcntl.flock(lock, fcntl.LOCK_EX)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="de-DE", timezone_id="Europe/Berlin", viewport=size, accept_downloads=True
        )
        context.set_default_timeout(15_000)
        yield context.new_page()
        context.close()
        browser.close()
        # ORM calls inside Playwright's context open their own connections (asgiref's
        # context-local storage): close them here, or PostgreSQL cannot drop the test database.
        connections.close_all()
