"""An event's topics, target groups and language (issue 19): API, back office, public page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from coordination import services as backoffice_services
from core.errors import Invalid
from events import management
from events.models import Event
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _body(**changes):  # type: ignore[no-untyped-def]
    start = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    return {
        "kind": "seminar",
        "title_de": "Jugendhaushalt einführen",
        "capacity": 12,
        "registration_opens": timezone.now().isoformat(),
        "registration_closes": (start - timedelta(days=2)).isoformat(),
        "sessions": [{"start": start.isoformat(), "end": (start + timedelta(hours=3)).isoformat()}],
        **changes,
    }


def test_the_api_takes_and_shows_topics_target_groups_and_language(coordinator):
    client = client_for(coordinator)
    response = client.post(
        "/api/v1/events/",
        _body(
            topics=["youth-school", "public-relations", "youth-school"],
            target_groups=["administration", "schools"],
            language="en",
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    shown = response.json()
    assert shown["topics"] == ["youth-school", "public-relations"]  # each once
    assert shown["target_groups"] == ["administration", "schools"]
    assert shown["language"] == "en"
    event_id = shown["id"]
    changed = client.patch(f"/api/v1/events/{event_id}/", {"topics": []}, format="json").json()
    assert changed["topics"] == [] and changed["language"] == "en"


def test_the_fields_are_optional(coordinator):
    response = client_for(coordinator).post("/api/v1/events/", _body(), format="json")
    assert response.status_code == 201
    assert (response.json()["topics"], response.json()["target_groups"]) == ([], [])
    assert response.json()["language"] == "de"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"topics": ["no-such-topic"]}, "topics"),
        ({"target_groups": ["aliens"]}, "target_groups"),
        ({"language": "xx"}, "language"),
    ],
)
def test_unknown_values_are_400_naming_the_field(coordinator, changes, field):
    response = client_for(coordinator).post("/api/v1/events/", _body(**changes), format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Event.objects.exists()


def test_the_service_refuses_unknown_topics_too(coordinator):
    start = timezone.now() + timedelta(days=30)
    with pytest.raises(Invalid) as refused:
        management.create_event(
            by=coordinator,
            sessions=[(start, start + timedelta(hours=2))],
            kind="seminar",
            title_de="x",
            capacity=5,
            registration_opens=timezone.now(),
            registration_closes=start - timedelta(days=1),
            topics=["no-such-topic"],
        )
    assert "topics" in refused.value.fields


def test_the_back_office_form_sets_them(client, coordinator):
    client.force_login(coordinator)
    start = timezone.localtime() + timedelta(days=30)

    def local(value):  # type: ignore[no-untyped-def]
        return value.strftime("%Y-%m-%dT%H:%M")

    form = client.get("/koordination/veranstaltungen/neu/").content.decode()
    assert 'name="topics"' in form and 'name="target_groups"' in form and 'name="language"' in form
    response = client.post(
        "/koordination/veranstaltungen/neu/",
        {
            "kind": "workshop",
            "title_de": "Haushaltsrecht kompakt",
            "capacity": "20",
            "registration_opens": local(timezone.localtime()),
            "registration_closes": local(start - timedelta(days=1)),
            "topics": ["budget-law"],
            "target_groups": ["politics", "administration"],
            "language": "de",
            "sessions-TOTAL_FORMS": "1",
            "sessions-INITIAL_FORMS": "0",
            "sessions-MIN_NUM_FORMS": "0",
            "sessions-MAX_NUM_FORMS": "50",
            "sessions-0-start": local(start),
            "sessions-0-end": local(start + timedelta(hours=2)),
        },
    )
    assert response.status_code == 302
    event = Event.objects.get(title_de="Haushaltsrecht kompakt")
    assert event.topics == ["budget-law"]
    assert event.target_groups == ["politics", "administration"]
    # A duplicate keeps them.
    copy = backoffice_services.duplicate_event(event_id=event.pk, by=factories.coordinator())
    assert (copy.topics, copy.target_groups, copy.language) == (
        event.topics,
        event.target_groups,
        "de",
    )


def test_the_public_page_shows_them(client):
    event = factories.EventFactory(
        topics=["youth-school"], target_groups=["schools", "everyone"], language="en"
    )
    text = client.get(f"/veranstaltungen/{event.pk}/").content.decode()
    assert "Kinder-, Jugend- und Schulbeteiligung" in text
    assert "Schulen und Jugendparlamente, alle Interessierten" in text
    assert 'lang="en">English</dd>' in text
