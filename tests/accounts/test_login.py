"""Login by user name or e-mail (page and API token), with the 2FA code where an account has
one, and the 2FA requirement for coordinators where DEBUG is off."""

from __future__ import annotations

import pytest
from django.test import Client
from django.test.utils import override_settings
from rest_framework.authtoken.models import Token

from tests import factories
from tests.accounts.helpers import enable_totp, totp_code

pytestmark = pytest.mark.django_db
PASSWORD = "secret-pass-123"


def _login(client: Client, name: str, password: str = PASSWORD, **extra):  # type: ignore[no-untyped-def]
    return client.post("/login/", {"username": name, "password": password, **extra})


def test_login_page_accepts_the_user_name(staff_user):
    response = _login(Client(), staff_user.username)
    assert response.status_code == 302 and response.url == "/"


def test_login_page_accepts_the_email_address_in_any_case(staff_user):
    client = Client()
    response = _login(client, staff_user.email.upper())
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/konto/").status_code == 200


def test_login_page_keeps_next(staff_user):
    response = Client().post(
        "/login/?next=/konto/", {"username": staff_user.email, "password": PASSWORD}
    )
    assert response.url == "/konto/"


def test_allauths_login_address_leads_to_the_one_login_page():
    response = Client().get("/konto/login/?next=/konto/")
    assert response.status_code == 302
    assert response.url == "/login/?next=/konto/"


def test_token_with_the_email_as_username(api, staff_user):
    response = api.post(
        "/api/v1/auth/token/",
        {"username": staff_user.email, "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=staff_user).key


def test_wrong_token_credentials_are_400_in_the_error_shape_without_token(api, staff_user):
    response = api.post(
        "/api/v1/auth/token/", {"username": staff_user.email, "password": "x"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "code", "fields"} and "token" not in body


def test_login_page_with_2fa_asks_for_the_code_before_logging_in(staff_user):
    secret = enable_totp(staff_user)
    client = Client()
    response = _login(client, staff_user.username)
    assert response.status_code == 302
    assert response.url == "/konto/2fa/authenticate/"
    assert client.get("/konto/").status_code == 302  # not logged in yet
    wrong = client.post("/konto/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    done = client.post("/konto/2fa/authenticate/", {"code": totp_code(secret)})
    assert done.status_code == 302 and done.url == "/"
    assert client.get("/konto/").status_code == 200


def test_token_of_an_account_with_2fa_needs_its_code(api, staff_user):
    secret = enable_totp(staff_user)
    url = "/api/v1/auth/token/"
    credentials = {"username": staff_user.username, "password": PASSWORD}

    missing = api.post(url, credentials, format="json")
    assert missing.status_code == 400
    assert missing.json()["code"] == "two_factor_required"
    assert "code" in missing.json()["fields"]

    wrong = api.post(url, {**credentials, "code": "123456"}, format="json")
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "two_factor_invalid"
    assert not Token.objects.filter(user=staff_user).exists()

    right = api.post(url, {**credentials, "code": totp_code(secret)}, format="json")
    assert right.status_code == 200
    assert right.json()["token"] == Token.objects.get(user=staff_user).key


def test_a_totp_code_gives_one_token_only(api, staff_user):
    secret = enable_totp(staff_user)
    code = totp_code(secret)
    credentials = {"username": staff_user.username, "password": PASSWORD, "code": code}
    assert api.post("/api/v1/auth/token/", credentials, format="json").status_code == 200
    replay = api.post("/api/v1/auth/token/", credentials, format="json")
    assert replay.status_code == 400


def test_wrong_codes_are_limited_per_account_across_addresses(api, staff_user):
    enable_totp(staff_user)
    credentials = {"username": staff_user.username, "password": PASSWORD, "code": "000000"}
    codes = [
        api.post(
            "/api/v1/auth/token/", credentials, format="json", REMOTE_ADDR=f"10.1.0.{n}"
        ).status_code
        for n in range(7)
    ]
    # allauth's limit for codes: 5 per account in 5 minutes, whatever the address.
    first_refused = codes.index(429)
    assert 3 <= first_refused <= 5
    assert codes[:first_refused] == [400] * first_refused
    assert set(codes[first_refused:]) == {429}


@override_settings(MFA_REQUIRED_FOR_COORDINATORS=True)
def test_coordinator_without_2fa_must_set_it_up_first_where_required():
    user = factories.coordinator()
    client = Client()
    response = _login(client, user.username)
    assert response.status_code == 302
    page = client.get("/koordination/")
    assert page.status_code == 302 and page.url == "/konto/2fa/totp/activate/"
    assert client.get("/konto/2fa/totp/activate/").status_code in (200, 302)
    api = client.get("/api/v1/plans/")
    assert api.status_code == 403 and api.json()["code"] == "two_factor_setup_required"


@override_settings(MFA_REQUIRED_FOR_COORDINATORS=True)
def test_coordinator_gets_no_token_without_2fa_where_required(api):
    user = factories.coordinator()
    response = api.post(
        "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "two_factor_setup_required"
    assert not Token.objects.filter(user=user).exists()


@override_settings(MFA_REQUIRED_FOR_COORDINATORS=True)
def test_coordinator_with_2fa_works_normally_where_required():
    user = factories.coordinator()
    secret = enable_totp(user)
    client = Client()
    assert _login(client, user.username).url == "/konto/2fa/authenticate/"
    client.post("/konto/2fa/authenticate/", {"code": totp_code(secret)})
    assert client.get("/koordination/").status_code == 200


@override_settings(MFA_REQUIRED_FOR_COORDINATORS=True)
def test_coordinator_with_2fa_gets_a_token_with_the_code_where_required(api):
    user = factories.coordinator()
    secret = enable_totp(user)
    token = api.post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": PASSWORD, "code": totp_code(secret)},
        format="json",
    )
    assert token.status_code == 200


def test_without_the_requirement_a_coordinator_logs_in_with_the_password_alone(settings):
    settings.MFA_REQUIRED_FOR_COORDINATORS = False
    user = factories.coordinator()
    client = Client()
    assert _login(client, user.username).url == "/"
    assert client.get("/koordination/").status_code == 200


def test_staff_need_no_2fa_even_where_coordinators_do(settings, staff_user):
    settings.MFA_REQUIRED_FOR_COORDINATORS = True
    client = Client()
    _login(client, staff_user.username)
    assert client.get("/konto/").status_code == 200


def test_public_sign_up_is_closed():
    page = Client().get("/konto/signup/")
    assert page.status_code == 200
    assert "Keine offene Registrierung" in page.content.decode()
    response = Client().post(
        "/konto/signup/",
        {
            "username": "neu",
            "email": "neu@example.org",
            "password1": "ein-langes-passwort-42",
            "password2": "ein-langes-passwort-42",
        },
    )
    assert response.status_code == 200
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="neu").exists()
