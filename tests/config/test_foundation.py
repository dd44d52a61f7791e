"""The skeleton: probes, error shape, auth, pagination, schema, settings, demo data."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from config.exceptions import exception_handler
from consult.models import Municipality, Topic
from core.errors import Busy, Unavailable
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_healthz_says_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_readyz_names_the_failing_broker(client, settings):
    from config.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/readyz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]
    assert response.json()["checks"]["database"] == "ok"


def test_unknown_api_route_is_json_404(api):
    response = api.get("/api/v1/does-not-exist/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert set(response.json()) == {"detail", "code", "fields"}


def test_unknown_api_route_is_json_404_with_debug_on_too(api, settings):
    settings.DEBUG = True
    response = api.get("/api/v1/nope/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Nicht gefunden.", "code": "not_found", "fields": {}}
    assert api.get("/api/v1/topics/nope/").json()["code"] == "not_found"


def test_malformed_json_is_400_in_error_shape(coordinator):
    client = client_for(coordinator)
    response = client.post(
        "/api/v1/municipalities/", data='{"name": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert response.json()["fields"] == {}


def test_wrong_content_type_is_415(coordinator):
    client = client_for(coordinator)
    response = client.post("/api/v1/municipalities/", data="name=x", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_oversize_body_is_413(coordinator, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = client_for(coordinator)
    response = client.post(
        "/api/v1/municipalities/",
        data=json.dumps({"name": "x" * 5000}),
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_validation_error_names_the_field(coordinator):
    client = client_for(coordinator)
    response = client.post(
        "/api/v1/municipalities/",
        {"name": "Nirgendwo", "state": "Sachsen", "latitude": 200, "longitude": 12},
        format="json",
    )
    assert response.status_code == 400
    assert "latitude" in response.json()["fields"]
    assert not Municipality.objects.filter(name="Nirgendwo").exists()


@pytest.mark.parametrize(
    ("error", "status", "retry_after"),
    [(Busy("busy", retry_after=1), 409, "1"), (Unavailable("away", retry_after=30), 503, "30")],
)
def test_retryable_domain_errors_say_when_to_try_again(error, status, retry_after):
    response = exception_handler(error, {})

    assert response.status_code == status
    assert response["Retry-After"] == retry_after
    assert set(response.data) >= {"detail", "code", "fields"}


def test_token_login_and_token_auth(api):
    user = factories.coordinator()
    response = api.post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": "secret-pass-123"},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=user).key == token
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/municipalities/").status_code == 200


def test_wrong_password_gets_400_not_token(api):
    user = factories.coordinator()
    response = api.post(
        "/api/v1/auth/token/", {"username": user.username, "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "token" not in response.json()


def test_anonymous_cannot_list_municipalities(api):
    assert api.get("/api/v1/municipalities/").status_code in (401, 403)


@pytest.mark.parametrize("credentials", [{}, {"HTTP_AUTHORIZATION": "Token not-a-real-token"}])
def test_missing_or_invalid_credentials_get_401_in_error_shape(api, credentials):
    response = api.get("/api/v1/plans/", **credentials)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"detail", "code", "fields"}


def test_session_login_still_authenticates_the_api(staff_user):
    client = APIClient()
    client.force_login(staff_user)
    assert client.get("/api/v1/plans/").status_code == 200


@pytest.fixture
def low_login_rate():  # type: ignore[no-untyped-def]
    # DRF reads its rates once at import: lowered on the class, and put back.
    original = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = {**original, "login": "3/min"}
    cache.clear()
    yield
    ScopedRateThrottle.THROTTLE_RATES = original
    cache.clear()


def test_successful_token_logins_do_not_use_up_the_login_limit(api, low_login_rate):
    users = [factories.UserFactory() for _ in range(6)]
    for user in users:
        response = api.post(
            "/api/v1/auth/token/",
            {"username": user.username, "password": "secret-pass-123"},
            format="json",
        )
        assert response.status_code == 200, response.json()
        assert "token" in response.json()


def test_failed_token_logins_use_up_the_login_limit(api, low_login_rate):
    user = factories.UserFactory()
    wrong = {"username": user.username, "password": "falsch"}
    assert api.post("/api/v1/auth/token/", wrong, format="json").status_code == 400
    malformed = api.post("/api/v1/auth/token/", data="{", content_type="application/json")
    assert malformed.status_code == 400
    assert api.post("/api/v1/auth/token/", {}, format="json").status_code == 400
    right = {"username": user.username, "password": "secret-pass-123"}
    refused = api.post("/api/v1/auth/token/", right, format="json")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"


def test_lists_are_paginated(coordinator, django_assert_max_num_queries):
    factories.MunicipalityFactory.create_batch(25)
    client = client_for(coordinator)
    with django_assert_max_num_queries(4):
        body = client.get("/api/v1/municipalities/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 25
    assert len(body["results"]) == 20


def test_staff_see_only_their_municipality(staff_user, municipality):
    factories.MunicipalityFactory()
    client = client_for(staff_user)
    body = client.get("/api/v1/municipalities/").json()
    assert [row["id"] for row in body["results"]] == [municipality.pk]
    other = Municipality.objects.exclude(pk=municipality.pk).get()
    assert client.get(f"/api/v1/municipalities/{other.pk}/").status_code == 404


def test_topics_are_public_with_slug_and_name(api):
    body = api.get("/api/v1/topics/").json()
    assert body["count"] == 12
    topics = body["results"]
    assert {"slug": "budget-law", "name": "Haushaltsrecht"}.items() <= topics[7].items()
    english = api.get("/api/v1/topics/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert english[7]["name"] == "Budget law"


def test_topics_list_is_paginated_like_every_list(api):
    body = api.get("/api/v1/topics/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["next"] is None and len(body["results"]) == body["count"]


def test_openapi_schema_and_docs(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/topics/" in schema.json()["paths"]
    assert client.get("/api/docs/").status_code == 200


def test_seed_demo_is_idempotent():
    call_command("seed_demo", stdout=io.StringIO())
    counts = (Municipality.objects.count(), Topic.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Municipality.objects.count(), Topic.objects.count()) == counts
    assert counts[0] >= 40
    assert Municipality.objects.filter(name="Leipzig", state="Sachsen").exists()


def _settings_process(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={
            # The browser tests allow async-unsafe DB access in this process; a deployment never.
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_default_secret_key():
    result = _settings_process({"DEBUG": "false", "SECRET_KEY": ""}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_pass_check_deploy():
    result = _settings_process(
        {
            "DEBUG": "false",
            "SECRET_KEY": "k" * 20 + "-Zq8!vR2#pL9@xT4$wN6%yB1^cM3&hJ5*",
            "ALLOWED_HOSTS": "beratung.example",
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stderr + result.stdout
