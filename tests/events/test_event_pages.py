"""The event page's answer to registering says the same for a new and a known address."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from events.models import Registration
from tests import factories

pytestmark = pytest.mark.django_db


def _register(event, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    response = Client().post(
        f"/veranstaltungen/{event.pk}/",
        {"name": f"Person {n}", "email": f"person{n}@gemeinde.example", "consent": "on"},
    )
    assert response.status_code == 302
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_page_says_only_that_the_link_was_e_mailed_for_new_and_known_addresses():
    event = factories.EventFactory(capacity=1)
    first = _register(event, 1)  # a seat
    second = _register(event, 2)  # the waiting list
    again = _register(event, 1)  # known address
    assert Registration.objects.filter(event=event).count() == 2
    assert first == [
        "Vielen Dank! Wir haben eine E-Mail an person1@gemeinde.example geschickt. Bitte "
        "bestätigen Sie Ihre Anmeldung über den Link darin; dort steht auch, ob Sie einen Platz "
        "oder einen Platz auf der Warteliste haben."
    ]
    assert again == first
    assert second == [first[0].replace("person1", "person2")]
    for text in (*first, *second):
        assert "reserviert" not in text and "Platz 1" not in text
