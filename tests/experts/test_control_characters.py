"""Control characters in expert names, organisations and exception notes: a 400 on the field
(API) or a form error (page), and nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from core.errors import Invalid
from experts import availability, services
from experts.models import AvailabilityException
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Anna Weber\r\nBcc: alle@example.org"),
        ("name", "Anna\u2028Weber"),
        ("organisation", "Büro\nfür Beteiligung"),
        ("organisation", "Büro\x1b[1m"),
        ("home_city", "Leip\x85zig"),
    ],
)
def test_expert_name_or_organisation_with_a_control_character_is_a_400(expert, field, value):
    before = (expert.display_name, expert.organisation, expert.home_city)
    response = client_for(expert.user).patch(
        f"/api/v1/experts/{expert.pk}/", {field: value}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["fields"]
    expert.refresh_from_db()
    assert (expert.display_name, expert.organisation, expert.home_city) == before


def test_expert_bio_keeps_line_breaks(expert):
    response = client_for(expert.user).patch(
        f"/api/v1/experts/{expert.pk}/", {"bio_de": "Absatz 1\r\n\r\nAbsatz 2"}, format="json"
    )
    assert response.status_code == 200, response.json()


def test_profile_service_refuses_control_characters(expert):
    with pytest.raises(Invalid) as caught:
        services.update_profile(
            actor=expert.user, expert=expert, display_name="A\x00B", organisation="\t"
        )
    assert set(caught.value.fields) == {"display_name", "organisation"}


def test_exception_note_with_crlf_is_a_400_on_note_and_nothing_is_written(expert):
    day = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    client = client_for(expert.user)
    response = client.post(
        f"/api/v1/experts/{expert.pk}/availability/exceptions/",
        {"date": day, "kind": "block", "note": "Urlaub\r\nBcc: x@example.org"},
        format="json",
    )
    assert response.status_code == 400
    assert "note" in response.json()["fields"]
    put = client.put(
        f"/api/v1/experts/{expert.pk}/availability/",
        {"rules": [], "exceptions": [{"date": day, "kind": "block", "note": "a\u2029b"}]},
        format="json",
    )
    assert put.status_code == 400
    assert "exceptions" in put.json()["fields"]
    assert not AvailabilityException.objects.exists()


def test_exception_service_refuses_a_note_with_a_line_break(expert):
    day = timezone.localdate() + dt.timedelta(days=10)
    with pytest.raises(Invalid) as caught:
        availability.add_exception(actor=expert.user, expert=expert, day=day, note="a\nb")
    assert "note" in caught.value.fields
    with pytest.raises(Invalid):
        availability.replace_exceptions(
            actor=expert.user,
            expert=expert,
            exceptions=[availability.ExceptionSpec(day=day, note="\x07")],
            from_day=day,
        )
    assert not AvailabilityException.objects.exists()


def test_availability_page_shows_the_error_at_the_note(expert):
    client = Client()
    client.force_login(expert.user)
    day = timezone.localdate() + dt.timedelta(days=10)
    response = client.post(
        "/expertin/verfuegbarkeit/",
        {
            "add_exception": "1",
            "exception-day": day.isoformat(),
            "exception-kind": "block",
            "exception-note": "Urlaub\x1b[2J",
        },
    )
    assert not AvailabilityException.objects.exists()
    assert 'id="id_exception-note_errors"' in response.content.decode()
