"""Fixtures of the exchange tests: members of two municipalities, an expert, a coordinator,
a signed-in person who is no member, and a helper to open threads."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from core.rate_limits import RateLimit
from exchange import forum, limits
from exchange.models import Thread
from tests import factories


def _settled(user):  # type: ignore[no-untyped-def]
    """Accounts older than the new-account window, so that only flood tests meet its limit."""
    get_user_model().objects.filter(pk=user.pk).update(
        date_joined=timezone.now() - dt.timedelta(days=60)
    )
    user.refresh_from_db()
    return user


@pytest.fixture(autouse=True)
def _roomy_flood_limit(monkeypatch):  # type: ignore[no-untyped-def]
    """Tests write many posts quickly; the flood tests put the real limits back themselves.
    Counters start at zero (user ids repeat across tests, the process's cache does not)."""
    cache.clear()
    monkeypatch.setattr(
        limits, "POSTS_PER_WINDOW", RateLimit("forum-posts", limit=10_000, window=600)
    )


@pytest.fixture
def asker(db):  # type: ignore[no-untyped-def]
    return _settled(factories.staff_for(factories.MunicipalityFactory(name="Leipzig")))


@pytest.fixture
def answerer(db):  # type: ignore[no-untyped-def]
    return _settled(factories.staff_for(factories.MunicipalityFactory(name="Jena")))


@pytest.fixture
def member_expert(db):  # type: ignore[no-untyped-def]
    return _settled(factories.ExpertProfileFactory().user)


@pytest.fixture
def outsider(db):  # type: ignore[no-untyped-def]
    return _settled(factories.UserFactory(username="outsider"))


@pytest.fixture
def coord(db):  # type: ignore[no-untyped-def]
    return _settled(factories.coordinator())


@pytest.fixture
def make_thread(asker):  # type: ignore[no-untyped-def]
    def make(
        title: str = "Wie startet man ein Jugendbudget?",
        body: str = "Wir planen ein **Jugendbudget** an Schulen.",
        *,
        user=None,  # type: ignore[no-untyped-def]
        kind: str = Thread.Kind.QUESTION,
        topic: str = "youth-school",
    ) -> Thread:
        return forum.create_thread(
            user=user or asker, title=title, body=body, topic_slug=topic, kind=kind
        )

    return make
