"""``/api/v1/experts/{id}/calendars/``: the expert's own only, coordinators may look, everyone
else gets 404; passwords are write-only and encrypted; bad input is a 400 with fields."""

from __future__ import annotations

from typing import Any

import pytest

from experts import tasks
from experts.calendar_models import CalendarConnection
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

FEED = "https://calendar.example.org/secret/abc123/basic.ics"


def url(expert_id: int, cid: int | None = None, action: str = "") -> str:
    base = f"/api/v1/experts/{expert_id}/calendars/"
    return base if cid is None else f"{base}{cid}/{action}"


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    sent: list[Any] = []
    monkeypatch.setattr(tasks, "enqueue", lambda task, *args: sent.append((task.name, *args)))
    return sent


@pytest.fixture
def ics_calendar(expert: Any) -> CalendarConnection:
    return CalendarConnection.objects.create(expert=expert, kind="ics", url=FEED)


def test_expert_connects_an_ical_address_and_it_is_synced_after_commit(
    expert: Any, enqueued: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(expert.user).post(
            url(expert.pk), {"kind": "ics", "url": FEED}, format="json"
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "ics" and body["url"] == FEED
    assert body["last_synced"] is None and body["last_error"] == ""
    assert enqueued == [("experts.sync_calendar", body["id"])]


def test_webcal_link_is_read_as_https(expert: Any) -> None:
    response = client_for(expert.user).post(
        url(expert.pk), {"kind": "ics", "url": "webcal://p01-caldav.icloud.com/published/2/x"}
    )
    assert response.status_code == 201
    assert response.json()["url"] == "https://p01-caldav.icloud.com/published/2/x"


def test_caldav_password_is_encrypted_and_never_returned(expert: Any) -> None:
    client = client_for(expert.user)
    response = client.post(
        url(expert.pk),
        {
            "kind": "caldav",
            "url": "https://cloud.example.org/remote.php/dav/",
            "username": "anna",
            "password": "app-pass-1234",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert "password" not in response.json()
    stored = CalendarConnection.objects.get(pk=response.json()["id"])
    assert stored.password_encrypted and "app-pass-1234" not in stored.password_encrypted
    listed = client.get(url(expert.pk)).json()
    assert listed["count"] == 1
    assert "password" not in listed["results"][0]
    assert "password_encrypted" not in listed["results"][0]
    assert "app-pass-1234" not in str(listed)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "outlook", "url": FEED}, "kind"),
        ({"kind": "ics", "url": "file:///etc/passwd"}, "url"),
        ({"kind": "ics", "url": "ftp://example.org/cal.ics"}, "url"),
        ({"kind": "ics"}, "url"),
        ({"kind": "caldav", "url": "https://cloud.example.org/dav/"}, "password"),
    ],
)
def test_bad_input_is_a_400_with_the_field(
    expert: Any, payload: dict[str, str], field: str
) -> None:
    response = client_for(expert.user).post(url(expert.pk), payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) >= {"detail", "code", "fields"}
    assert field in body["fields"]


def test_private_address_is_a_400_when_private_hosts_are_not_allowed(
    expert: Any, settings: Any
) -> None:
    settings.CALENDAR_ALLOW_PRIVATE_HOSTS = False
    response = client_for(expert.user).post(
        url(expert.pk), {"kind": "ics", "url": "http://169.254.169.254/latest/"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "calendar_url"
    assert "url" in response.json()["fields"]


def test_eleventh_calendar_is_a_409(expert: Any) -> None:
    for n in range(10):
        CalendarConnection.objects.create(expert=expert, kind="ics", url=f"{FEED}?{n}")
    response = client_for(expert.user).post(
        url(expert.pk), {"kind": "ics", "url": FEED}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "too_many_calendars"


def test_expert_removes_a_calendar_and_its_busy_time(
    expert: Any, ics_calendar: CalendarConnection
) -> None:
    response = client_for(expert.user).delete(url(expert.pk, ics_calendar.pk))
    assert response.status_code == 204
    assert not CalendarConnection.objects.filter(pk=ics_calendar.pk).exists()


def test_sync_now_is_queued_and_answers_202(
    expert: Any,
    ics_calendar: CalendarConnection,
    enqueued: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(expert.user).post(url(expert.pk, ics_calendar.pk, "sync/"))
    assert response.status_code == 202
    assert enqueued == [("experts.sync_calendar", ics_calendar.pk)]


def test_error_is_shown_in_plain_words_with_when_it_last_worked(
    expert: Any, ics_calendar: CalendarConnection
) -> None:
    from datetime import UTC, datetime

    ics_calendar.last_error_code = "unauthorized"
    ics_calendar.last_error = "Der Server hat die Anmeldung abgelehnt (Benutzername oder Passwort)."
    ics_calendar.last_success = datetime(2027, 3, 1, 8, tzinfo=UTC)
    ics_calendar.save()
    item = client_for(expert.user).get(url(expert.pk)).json()["results"][0]
    assert item["last_error_code"] == "unauthorized"
    assert "Anmeldung" in item["last_error_message"]
    assert item["last_success"].startswith("2027-03-01")
    english = client_for(expert.user).get(url(expert.pk), HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["results"][0]["last_error_code"] == "unauthorized"


def test_list_is_two_queries_whatever_the_number_of_calendars(
    expert: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(5):
        CalendarConnection.objects.create(expert=expert, kind="ics", url=f"{FEED}?{n}")
    client = client_for(expert.user)
    with django_assert_max_num_queries(3):
        assert client.get(url(expert.pk)).json()["count"] == 5


def test_coordinator_sees_an_experts_calendars_without_the_secret_address(
    expert: Any, ics_calendar: CalendarConnection, coordinator: Any
) -> None:
    client = client_for(coordinator)
    listed = client.get(url(expert.pk)).json()["results"]
    assert [c["id"] for c in listed] == [ics_calendar.pk]
    assert listed[0]["url"] == "https://calendar.example.org/…"
    assert "abc123" not in str(listed)
    # Looking is all: connecting, removing and syncing are the expert's.
    assert client.post(url(expert.pk), {"kind": "ics", "url": FEED}).status_code == 404
    assert client.delete(url(expert.pk, ics_calendar.pk)).status_code == 404


def test_calendars_of_another_expert_are_404(
    expert: Any, ics_calendar: CalendarConnection, staff_user: Any
) -> None:
    other = factories.ExpertProfileFactory()
    mine = CalendarConnection.objects.create(expert=other, kind="ics", url=FEED + "?other")
    for user in (other.user, staff_user):
        client = client_for(user)
        assert client.get(url(expert.pk)).status_code == 404
        assert client.get(url(expert.pk, ics_calendar.pk)).status_code == 404
        assert client.post(url(expert.pk), {"kind": "ics", "url": FEED}).status_code == 404
        assert client.delete(url(expert.pk, ics_calendar.pk)).status_code == 404
        assert client.post(url(expert.pk, ics_calendar.pk, "sync/")).status_code == 404
    # Nor can an expert reach another's calendar through their own expert id.
    client = client_for(other.user)
    assert client.get(url(other.pk, ics_calendar.pk)).status_code == 404
    assert client.delete(url(other.pk, ics_calendar.pk)).status_code == 404
    assert client.get(url(other.pk, mine.pk)).status_code == 200
    assert CalendarConnection.objects.filter(pk=ics_calendar.pk).exists()


def test_anonymous_is_refused(expert: Any, ics_calendar: CalendarConnection, api: Any) -> None:
    assert api.get(url(expert.pk)).status_code in (401, 403)
    assert api.post(url(expert.pk), {"kind": "ics", "url": FEED}).status_code in (401, 403)
