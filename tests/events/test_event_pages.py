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


def test_a_logged_in_member_finds_name_address_and_organisation_filled_in():
    association = factories.MunicipalityFactory(name="Kinderrechte e. V.", kind="association")
    member = factories.staff_for(association)
    member.first_name, member.last_name = "Vera", "Verein"
    member.save()
    event = factories.EventFactory()
    client = Client()
    client.force_login(member)
    form = client.get(f"/veranstaltungen/{event.pk}/").context["form"]
    assert form["name"].value() == "Vera Verein"
    assert form["email"].value() == member.email
    assert form["municipality_name"].value() == "Kinderrechte e. V."


def test_a_member_may_change_the_prefilled_data_and_still_confirms_by_e_mail():
    member = factories.staff_for(factories.MunicipalityFactory(name="Kinderrechte e. V."))
    event = factories.EventFactory()
    client = Client()
    client.force_login(member)
    response = client.post(
        f"/veranstaltungen/{event.pk}/",
        {"name": "Vertretung", "email": "vertretung@example.org", "consent": "on"},
    )
    assert response.status_code == 302
    registration = Registration.objects.get(event=event)
    assert (registration.name, registration.email) == ("Vertretung", "vertretung@example.org")
    assert registration.municipality is None and registration.status == "pending"


def test_a_visitor_gets_an_empty_form():
    form = Client().get(f"/veranstaltungen/{factories.EventFactory().pk}/").context["form"]
    assert not any(form[name].value() for name in ("name", "email", "municipality_name"))
