"""The "Meine Kalender" section of /expertin/verfuegbarkeit/: connect, status in plain words,
sync now, remove; German first, English via gettext; another expert's calendars are 404."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from experts import tasks
from experts.calendar_models import CalendarConnection
from tests import factories

pytestmark = pytest.mark.django_db

FEED = "https://calendar.example.org/secret/abc/basic.ics"


def client_of(user: Any, language: str = "de") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "enqueue", lambda task, *args: None)


def test_availability_page_has_the_calendar_section_with_a_labelled_form(expert: Any) -> None:
    html = client_of(expert.user).get("/expertin/verfuegbarkeit/").content.decode()
    assert 'id="calendars-heading">Meine Kalender</h2>' in html
    assert "Noch kein Kalender verbunden." in html
    for name in ("kind", "url", "username", "password"):
        assert f'for="id_{name}' in html  # every control has its label
    assert 'autocomplete="new-password"' in html


def test_expert_connects_a_calendar_from_the_page(expert: Any) -> None:
    response = client_of(expert.user).post(
        "/expertin/kalender/", {"kind": "ics", "url": FEED}, follow=True
    )
    assert response.redirect_chain[-1][0].endswith("/expertin/verfuegbarkeit/#kalender")
    html = response.content.decode()
    assert "Der Kalender ist verbunden" in html
    assert "Wird gleich abgeglichen." in html
    assert CalendarConnection.objects.filter(expert=expert, url=FEED).exists()


def test_bad_address_is_shown_on_its_field(expert: Any, settings: Any) -> None:
    settings.CALENDAR_ALLOW_PRIVATE_HOSTS = False
    response = client_of(expert.user).post(
        "/expertin/kalender/", {"kind": "ics", "url": "http://10.0.0.5/cal.ics"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_url_errors"' in html and "internes Netz" in html
    assert not CalendarConnection.objects.exists()


def test_caldav_without_password_is_refused_on_the_field(expert: Any) -> None:
    response = client_of(expert.user).post(
        "/expertin/kalender/", {"kind": "caldav", "url": "https://dav.example.org/"}
    )
    assert response.status_code == 400
    assert 'id="id_password_errors"' in response.content.decode()


def test_failing_calendar_says_why_and_when_it_last_worked(expert: Any) -> None:
    CalendarConnection.objects.create(
        expert=expert,
        kind="caldav",
        url="https://dav.example.org/",
        calendar_name="Arbeit",
        last_error_code="unauthorized",
        last_error="x",
        last_success=datetime(2027, 3, 1, 8, 30, tzinfo=UTC),
    )
    html = client_of(expert.user).get("/expertin/verfuegbarkeit/").content.decode()
    assert "Abgleich fehlgeschlagen:" in html
    assert "Der Server hat die Anmeldung abgelehnt (Benutzername oder Passwort)." in html
    assert "Zuletzt erfolgreich: 1. März 2027 09:30" in html
    assert "Arbeit jetzt abgleichen" in html and "Arbeit trennen" in html


def test_section_speaks_english(expert: Any) -> None:
    CalendarConnection.objects.create(
        expert=expert, kind="ics", url=FEED, last_error_code="timeout", last_error="x"
    )
    html = client_of(expert.user, "en").get("/expertin/verfuegbarkeit/").content.decode()
    assert "My calendars" in html
    assert "The server did not answer in time." in html


def test_sync_now_and_remove_from_the_page(expert: Any) -> None:
    connection = CalendarConnection.objects.create(expert=expert, kind="ics", url=FEED)
    client = client_of(expert.user)
    response = client.post(f"/expertin/kalender/{connection.pk}/abgleichen/", follow=True)
    assert "Der Abgleich ist gestartet" in response.content.decode()
    response = client.post(f"/expertin/kalender/{connection.pk}/entfernen/", follow=True)
    assert "Der Kalender ist getrennt" in response.content.decode()
    assert not CalendarConnection.objects.filter(pk=connection.pk).exists()


def test_another_experts_calendar_is_404_on_the_page(expert: Any) -> None:
    connection = CalendarConnection.objects.create(expert=expert, kind="ics", url=FEED)
    other = client_of(factories.ExpertProfileFactory().user)
    assert other.post(f"/expertin/kalender/{connection.pk}/abgleichen/").status_code == 404
    assert other.post(f"/expertin/kalender/{connection.pk}/entfernen/").status_code == 404
    assert CalendarConnection.objects.filter(pk=connection.pk).exists()
    assert FEED not in other.get("/expertin/verfuegbarkeit/").content.decode()
