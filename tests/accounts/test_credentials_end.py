"""A new password ends every other way in: other browsers' sessions and the account's API
tokens, whether the password was changed on the account page or reset by e-mail; and the
login answers an unknown account exactly like a wrong password (no enumeration)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.accounts.helpers import link_in, mails_to

pytestmark = pytest.mark.django_db
PASSWORD = "secret-pass-123"
NEW_PASSWORD = "ein-neues-langes-Passwort-7"


def _token_client(user) -> APIClient:  # type: ignore[no-untyped-def]
    api = APIClient()
    response = api.post(
        "/api/v1/auth/token/", {"username": user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api.get("/api/v1/me/export/").status_code == 200
    return api


def _logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    login = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert login.status_code == 302
    return client


def test_password_change_ends_the_accounts_api_tokens(staff_user):
    api, here = _token_client(staff_user), _logged_in(staff_user)
    changed = here.post(
        "/konto/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert api.get("/api/v1/me/export/").status_code == 401


def test_password_reset_ends_sessions_and_api_tokens(staff_user):
    api, browser = _token_client(staff_user), _logged_in(staff_user)
    Client().post("/konto/password/reset/", {"email": staff_user.email})
    client = Client()
    form = client.get(link_in(mails_to(staff_user.email)[0]), follow=True)
    done = client.post(
        form.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert browser.get("/konto/").status_code == 302  # back to the login
    assert api.get("/api/v1/me/export/").status_code == 401


def test_tokens_of_other_accounts_stay(staff_user, other_staff_user):
    other = _token_client(other_staff_user)
    here = _logged_in(staff_user)
    here.post(
        "/konto/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert other.get("/api/v1/me/export/").status_code == 200


def test_login_page_answers_an_unknown_account_like_a_wrong_password(staff_user):
    def error_of(username: str) -> tuple[int, str]:
        response = Client().post("/login/", {"username": username, "password": "falsch-123"})
        text = response.content.decode()
        start = text.index('role="alert"') if 'role="alert"' in text else text.index("errorlist")
        return response.status_code, text[start : start + 300].replace(username, "…")

    assert error_of(staff_user.email) == error_of("niemand@nirgendwo.example")
    assert error_of(staff_user.username) == error_of("niemand")


def test_token_api_answers_an_unknown_account_like_a_wrong_password(staff_user):
    def answer(username: str) -> tuple[int, dict]:
        response = APIClient().post(
            "/api/v1/auth/token/", {"username": username, "password": "falsch-123"}, format="json"
        )
        return response.status_code, response.json()

    assert answer(staff_user.email) == answer("niemand@nirgendwo.example")
