"""Library pages (Django test client): list + search, detail, file download, submission form."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from consult.models import Topic
from library.models import Resource
from tests import factories
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_list_is_german_first_accessible_and_escapes_html(client) -> None:  # type: ignore[no-untyped-def]
    ResourceFactory(title_de="<script>alert(1)</script> Jugendbudget", summary_de="<b>fett</b>")
    response = client.get("/bibliothek/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="de">' in html
    assert "Praxisbibliothek" in html
    assert '<main id="main"' in html
    assert 'role="search"' in html
    assert '<label for="id_q">' in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_search_page_highlights_and_filters(client) -> None:  # type: ignore[no-untyped-def]
    ResourceFactory(title_de="Kiezfonds Neukölln", summary_de="Ein Kiezfonds im Bezirk.")
    ResourceFactory(title_de="Anderes", kind="study")
    response = client.get("/bibliothek/", {"q": "Kiezfonds", "kind": "example"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<mark>Kiezfonds</mark>" in html
    assert "Anderes" not in html


def test_overlong_search_is_a_400_page_with_the_error_at_the_field(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/bibliothek/", {"q": "a" * 10_000})
    assert response.status_code == 400
    assert 'id="id_q-errors"' in response.content.decode()


def test_operator_soup_page_is_safe(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/bibliothek/", {"q": '"( NEAR OR * ^'}).status_code == 200
    assert client.get("/bibliothek/", {"page": "999999"}).status_code == 200


def test_detail_shows_credit_and_hides_drafts(client, staff_user) -> None:  # type: ignore[no-untyped-def]
    municipality = staff_user.municipal_staff.municipality
    published = ResourceFactory(submitted_for=municipality, url="https://example.org/flyer")
    draft = ResourceFactory(status="in_review", published_at=None, submitted_by=staff_user)
    html = client.get(f"/bibliothek/{published.pk}/").content.decode()
    assert municipality.name in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert client.get(f"/bibliothek/{draft.pk}/").status_code == 404
    assert logged_in(staff_user).get(f"/bibliothek/{draft.pk}/").status_code == 200


def test_submission_form_needs_login_and_a_role(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/bibliothek/einreichen/").status_code == 302
    nobody = factories.UserFactory()
    assert logged_in(nobody).get("/bibliothek/einreichen/").status_code == 403


def test_staff_submits_a_png_through_the_form_and_downloads_it(staff_user) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(staff_user)
    page = client.get("/bibliothek/einreichen/").content.decode()
    assert '<label for="id_title_de">' in page
    assert '<option value="funding"' not in page
    response = client.post(
        "/bibliothek/einreichen/",
        {
            "kind": "pr-example",
            "title_de": "Plakat Bürgerhaushalt",
            "summary_de": "Unser Plakat.",
            "topics": ["public-relations"],
            "language": "de",
            "file": SimpleUploadedFile("plakat.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    resource = Resource.objects.get()
    assert resource.status == "in_review"
    download = client.get(f"/bibliothek/{resource.pk}/datei/")
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content) == PNG


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"url": "javascript:alert(1)", "body": "Text"}, "url"),
        (
            {"file": SimpleUploadedFile("plakat.pdf", PNG, content_type="application/pdf")},
            "file",
        ),
    ],
)
def test_form_shows_field_errors_for_bad_input(staff_user, extra, field) -> None:  # type: ignore[no-untyped-def]
    response = logged_in(staff_user).post(
        "/bibliothek/einreichen/",
        {"kind": "pr-example", "title_de": "Plakat", "summary_de": "Kurz.", "language": "de"}
        | extra,
    )
    assert response.status_code == 400
    assert not Resource.objects.exists()
    assert f'id="id_{field}-errors"' in response.content.decode()


def test_for_your_plan_page_explains_and_lists_funding_for_own_plan_only(  # type: ignore[no-untyped-def]
    staff_user, other_staff_user, municipality
) -> None:
    plan = factories.PlanFactory(municipality=municipality, procedure_type="youth-budget")
    plan.topics.set(Topic.objects.filter(slug__in=["public-relations"]))
    ResourceFactory(
        kind="pr-example",
        title_de="Plakatkampagne Jugendbudget",
        procedure_types=["youth-budget"],
        states=["Sachsen"],
        topic_slugs=["public-relations"],
    )
    ResourceFactory(
        kind="funding",
        title_de="Landesprogramm Beteiligung",
        deadline=timezone.localdate() + dt.timedelta(days=30),
    )
    response = logged_in(staff_user).get(f"/bibliothek/vorhaben/{plan.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Plakatkampagne Jugendbudget" in html
    assert "Öffentlichkeitsarbeit" in html  # the explanation names the covered topic
    assert "Landesprogramm Beteiligung" in html
    assert logged_in(other_staff_user).get(f"/bibliothek/vorhaben/{plan.pk}/").status_code == 404


def test_detail_names_procedure_types_and_states_not_their_stored_values(client) -> None:  # type: ignore[no-untyped-def]
    resource = ResourceFactory(procedure_types=["youth-budget"], states=["Nordrhein-Westfalen"])
    html = client.get(f"/bibliothek/{resource.pk}/").content.decode()
    assert "Jugendbudget" in html and "youth-budget" not in html
    client.cookies["django_language"] = "en"
    html = client.get(f"/bibliothek/{resource.pk}/").content.decode()
    assert "Youth budget" in html and "North Rhine-Westphalia" in html


def test_submission_form_labels_the_file_field_in_english(staff_user) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(staff_user)
    client.cookies["django_language"] = "en"
    html = client.get("/bibliothek/einreichen/").content.decode()
    assert "File (PDF, PNG, JPEG or WebP" in html and "höchstens" not in html
