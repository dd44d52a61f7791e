"""Public endpoints are throttled: registration, the API token login and the login page.

DRF reads its rates once at import, so the API tests lower them on the throttle class (and put
them back); the login page counts failures in the cache with its own limit (accounts/forms.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from rest_framework.throttling import ScopedRateThrottle

from accounts.forms import LOGIN_MAX_FAILURES
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates() -> Iterator[None]:
    original = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = {**original, "public": "3/min", "login": "2/min"}
    cache.clear()
    try:
        yield
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original
        cache.clear()


def test_configured_rates_are_finite_per_minute():
    rates = django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    for scope in ("public", "login"):
        count, _, period = rates[scope].partition("/")
        assert int(count) > 0
        assert period in {"s", "sec", "m", "min", "h", "hour"}


def _register(api, event, n: int, **extra):  # type: ignore[no-untyped-def]
    return api.post(
        f"/api/v1/events/{event.pk}/registrations/",
        {"name": f"Person {n}", "email": f"p{n}@kommune.example", "consent": True},
        format="json",
        **extra,
    )


def test_event_registration_is_throttled_with_429_and_retry_after(api, low_rates):
    event = factories.EventFactory(capacity=50)
    assert all(_register(api, event, n).status_code < 300 for n in range(3))
    refused = _register(api, event, 9)
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    assert event.registrations.count() == 3


def test_guessing_registration_tokens_is_throttled(api, low_rates):
    guesses = [f"/api/v1/registrations/{'g' * 40}{n}/" for n in range(4)]
    assert [api.get(url).status_code for url in guesses[:3]] == [404, 404, 404]
    assert api.get(guesses[3]).status_code == 429


def test_token_login_is_throttled_even_with_the_right_password(api, low_rates):
    user = factories.coordinator()
    for _ in range(2):
        wrong = {"username": user.username, "password": "falsch"}
        assert api.post("/api/v1/auth/token/", wrong, format="json").status_code == 400
    right = {"username": user.username, "password": "secret-pass-123"}
    response = api.post("/api/v1/auth/token/", right, format="json")
    assert response.status_code == 429
    assert "token" not in response.json()


def test_login_page_refuses_after_the_failure_limit(client):
    cache.clear()
    user = factories.coordinator()
    for _ in range(LOGIN_MAX_FAILURES):
        response = client.post("/login/", {"username": user.username, "password": "falsch"})
        assert response.status_code == 200  # the form again, with its error
    refused = client.post("/login/", {"username": user.username, "password": "secret-pass-123"})
    assert refused.status_code == 429
    assert not refused.wsgi_request.user.is_authenticated
    cache.clear()


def test_made_up_forwarded_for_does_not_escape_the_throttle(api, low_rates):
    user = factories.coordinator()
    wrong = {"username": user.username, "password": "falsch"}
    for n in range(2):
        api.post("/api/v1/auth/token/", wrong, format="json", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    response = api.post(
        "/api/v1/auth/token/", wrong, format="json", HTTP_X_FORWARDED_FOR="10.9.9.9"
    )
    assert response.status_code == 429
