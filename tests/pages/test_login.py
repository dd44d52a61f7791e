"""The login page: CSRF, throttling of failed attempts (429 with a German message), roles."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.forms import LOGIN_MAX_FAILURES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache(settings):  # type: ignore[no-untyped-def]
    # A private cache: on Redis other tests running in parallel may flush the shared one.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "login-throttle-tests",
        }
    }
    cache.clear()
    yield
    cache.clear()


def _login(client: Client, username: str, password: str, ip: str = "10.0.0.1", **headers):  # type: ignore[no-untyped-def]
    return client.post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, **headers
    )


def test_login_with_right_password_redirects_home(staff_user):
    response = _login(Client(), staff_user.username, "secret-pass-123")
    assert response.status_code == 302
    assert response.url == "/"


def test_wrong_password_shows_error_and_keeps_username(staff_user):
    response = _login(Client(), staff_user.username, "wrong")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert f'value="{staff_user.username}"' in html


def test_eleventh_failed_attempt_is_429_with_german_message(staff_user):
    client = Client()
    for _ in range(LOGIN_MAX_FAILURES):
        assert _login(client, staff_user.username, "wrong").status_code == 200
    response = _login(client, staff_user.username, "wrong")
    assert response.status_code == 429
    assert "Zu viele Anmeldeversuche" in response.content.decode()
    assert 1 <= int(response["Retry-After"]) <= 600
    # Even the right password waits until the window is over.
    assert _login(client, staff_user.username, "secret-pass-123").status_code == 429


def test_throttle_is_per_username_and_address(staff_user, other_staff_user):
    client = Client()
    for _ in range(LOGIN_MAX_FAILURES):
        _login(client, staff_user.username, "wrong")
    assert _login(client, other_staff_user.username, "secret-pass-123").status_code == 302
    other_address = _login(Client(), staff_user.username, "secret-pass-123", ip="10.0.0.2")
    assert other_address.status_code == 302


def test_behind_a_trusted_proxy_the_throttle_counts_per_forwarded_client(staff_user, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client = Client()
    for _ in range(LOGIN_MAX_FAILURES):
        _login(client, staff_user.username, "wrong", HTTP_X_FORWARDED_FOR="203.0.113.5")
    blocked = _login(client, staff_user.username, "x", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert blocked.status_code == 429
    # The same proxy (REMOTE_ADDR) forwarding another client: that client is not locked out.
    other = _login(
        Client(), staff_user.username, "secret-pass-123", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert other.status_code == 302


def test_throttle_window_ends_after_ten_minutes(staff_user, time_machine):
    time_machine.move_to("2027-03-01 10:00:00+01:00", tick=False)
    client = Client()
    for _ in range(LOGIN_MAX_FAILURES):
        _login(client, staff_user.username, "wrong")
    assert _login(client, staff_user.username, "secret-pass-123").status_code == 429
    time_machine.move_to("2027-03-01 10:10:01+01:00", tick=False)
    assert _login(client, staff_user.username, "secret-pass-123").status_code == 302


def test_successful_login_clears_earlier_failures(staff_user):
    client = Client()
    for _ in range(LOGIN_MAX_FAILURES - 1):
        _login(client, staff_user.username, "wrong")
    assert _login(client, staff_user.username, "secret-pass-123").status_code == 302
    for _ in range(LOGIN_MAX_FAILURES - 1):
        assert _login(Client(), staff_user.username, "wrong").status_code == 200


def test_login_form_needs_csrf_token(staff_user):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": staff_user.username, "password": "x"})
    assert response.status_code == 403


def test_wrong_password_says_the_login_data_is_wrong_in_german_and_english(staff_user):
    html = _login(Client(), staff_user.username, "wrong").content.decode()
    assert "Benutzername oder Passwort stimmt nicht." in html
    client = Client()
    client.cookies["django_language"] = "en"
    html = _login(client, staff_user.username, "wrong", ip="10.0.0.9").content.decode()
    assert "The user name or password is wrong." in html
