"""Control characters in library titles, sources and texts: a 400 on the field (API), a form
error (page), and nothing written; the older cleaning of NUL and the like stays."""

from __future__ import annotations

import pytest
from django.test import Client

from core.errors import Invalid
from library.models import Resource
from library.services import ResourceDraft, submit_resource
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/resources/"
GOOD = {"kind": "pr-example", "title_de": "Plakat", "summary_de": "Kurz.", "body": "Text."}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title_de", "Plakat\r\nBcc: alle@example.org"),
        ("title_en", "Poster\u2028two"),
        ("source", "Stadt\nLeipzig"),
        ("licence", "CC\tBY"),
        ("summary_de", "Kurz\x1b[2J"),
        ("body", "Text\rmit altem Mac-Zeilenende"),
    ],
)
def test_submission_with_a_control_character_is_a_400_on_the_field(staff_user, field, value):
    response = client_for(staff_user).post(URL, {**GOOD, field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Resource.objects.exists()


def test_summary_and_body_keep_line_breaks(staff_user):
    response = client_for(staff_user).post(
        URL, {**GOOD, "summary_de": "Eins\nZwei", "body": "A\r\n\r\nB\tC"}, format="json"
    )
    assert response.status_code == 201, response.json()


def test_service_refuses_a_line_break_in_a_title_and_writes_nothing(coordinator):
    draft = ResourceDraft(
        kind="funding", title_de="Förderung\nBcc: x", summary_de="Kurz.", body="Text."
    )
    with pytest.raises(Invalid) as caught:
        submit_resource(user=coordinator, draft=draft)
    assert "title_de" in caught.value.fields
    assert not Resource.objects.exists()


def test_submission_page_shows_the_error_at_the_title(staff_user):
    client = Client()
    client.force_login(staff_user)
    response = client.post(
        "/bibliothek/einreichen/", {**GOOD, "title_de": "Plakat\r\nX", "language": "de"}
    )
    assert response.status_code == 400
    assert 'id="id_title_de-errors"' in response.content.decode()
    assert not Resource.objects.exists()
