"""The library API: search and filters, submissions, review actions, recommendations for a plan."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from consult.models import Topic
from library.models import Resource
from tests import factories
from tests.conftest import client_for
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/resources/"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def test_anyone_lists_published_resources_in_few_queries(  # type: ignore[no-untyped-def]
    api, django_assert_max_num_queries
) -> None:
    for i in range(15):
        ResourceFactory(title_de=f"Beispiel {i}", topic_slugs=["public-relations"])
    ResourceFactory(status="draft", published_at=None)
    with django_assert_max_num_queries(4):
        response = api.get(URL)
    assert response.status_code == 200
    assert response.data["count"] == 15
    assert response.data["results"][0]["topics"] == ["public-relations"]


def test_search_returns_rank_and_escaped_highlight(api, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        ResourceFactory(summary_de=f"<img src=x onerror=alert({i})> Jugendbudget Nummer {i}")
    ResourceFactory(title_de="Anderes Thema")
    with django_assert_max_num_queries(5):
        response = api.get(URL, {"q": "Jugendbudget"})
    assert response.status_code == 200
    assert response.data["count"] == 5
    first = response.data["results"][0]
    assert "<mark>Jugendbudget</mark>" in first["highlight"]
    assert "<img" not in first["highlight"]
    assert first["rank"] > 0


def test_filters_by_kind_topic_procedure_state_and_year(api) -> None:  # type: ignore[no-untyped-def]
    hit = ResourceFactory(
        kind="study",
        topic_slugs=["funding"],
        procedure_types=["school-budget"],
        states=["Hessen"],
        year=2022,
    )
    ResourceFactory(kind="study", year=2022)
    response = api.get(
        URL,
        {
            "kind": "study",
            "topic": "funding",
            "procedure_type": "school-budget",
            "state": "Hessen",
            "year": 2022,
        },
    )
    assert [r["id"] for r in response.data["results"]] == [hit.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "x" * 501}, "q"),
        ({"q": "Jugend " * 2000}, "q"),
        ({"kind": "novel"}, "kind"),
        ({"year": "zwanzig"}, "year"),
        ({"state": "Atlantis"}, "state"),
    ],
)
def test_bad_search_parameters_are_a_400_naming_the_field(api, params, field) -> None:  # type: ignore[no-untyped-def]
    response = api.get(URL, params)
    assert response.status_code == 400
    assert response.data["code"] in ("invalid", "query_too_long")
    assert field in response.data["fields"]


@pytest.mark.parametrize(
    "q", ['"', "((((", "NOT AND OR NEAR", "*:*", "' OR '1'='1", "-" * 500, "🙂 ∑ ≠", "a\tb\x1f"]
)
def test_operator_soup_is_a_safe_200(api, q) -> None:  # type: ignore[no-untyped-def]
    ResourceFactory(title_de="NOT AND OR")
    response = api.get(URL, {"q": q})
    assert response.status_code == 200


def test_nul_character_in_query_is_a_400_naming_q(api) -> None:  # type: ignore[no-untyped-def]
    response = api.get(URL, {"q": "Jugend\x00budget"})
    assert response.status_code == 400
    assert "q" in response.data["fields"]


def test_drafts_are_hidden_from_others_but_visible_to_their_submitter(staff_user, api) -> None:  # type: ignore[no-untyped-def]
    resource = ResourceFactory(status="in_review", published_at=None, submitted_by=staff_user)
    assert api.get(f"{URL}{resource.pk}/").status_code == 404
    assert client_for(staff_user).get(f"{URL}{resource.pk}/").status_code == 200
    mine = client_for(staff_user).get(URL, {"mine": "true"})
    assert [r["id"] for r in mine.data["results"]] == [resource.pk]


def test_staff_submits_with_a_pdf_and_coordinator_publishes(staff_user, coordinator) -> None:  # type: ignore[no-untyped-def]
    response = client_for(staff_user).post(
        URL,
        {
            "kind": "pr-example",
            "title_de": "Flyer <b>Bürgerhaushalt</b>",
            "summary_de": "Unser Flyer für alle Haushalte.",
            "topics": ["public-relations"],
            "states": ["Sachsen"],
            "file": SimpleUploadedFile("flyer.pdf", PDF, content_type="application/pdf"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.data
    assert response.data["status"] == "in_review"
    assert response.data["file"]["type"] == "application/pdf"
    pk = response.data["id"]
    assert client_for(staff_user).post(f"{URL}{pk}/publish/").status_code == 404
    published = client_for(coordinator).post(f"{URL}{pk}/publish/")
    assert published.status_code == 200
    assert published.data["status"] == "published"
    assert published.data["credit"] == staff_user.municipal_staff.municipality.name
    again = client_for(coordinator).post(f"{URL}{pk}/publish/")
    assert again.status_code == 409
    assert again.data["code"] == "invalid_transition"


def test_lying_upload_is_a_400_naming_the_file(staff_user) -> None:  # type: ignore[no-untyped-def]
    response = client_for(staff_user).post(
        URL,
        {
            "kind": "brochure",
            "title_de": "Broschüre",
            "summary_de": "Kurz.",
            "file": SimpleUploadedFile(
                "broschuere.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
            ),
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert "file" in response.data["fields"]
    assert not Resource.objects.exists()


def test_javascript_link_is_a_400(staff_user) -> None:  # type: ignore[no-untyped-def]
    response = client_for(staff_user).post(
        URL,
        {
            "kind": "example",
            "title_de": "Beispiel",
            "summary_de": "Kurz.",
            "url": "javascript:alert(document.cookie)",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "url" in response.data["fields"]


def test_request_body_over_the_cap_is_refused_before_parsing(staff_user, settings) -> None:  # type: ignore[no-untyped-def]
    settings.UPLOAD_MAX_BYTES = 2000
    response = client_for(staff_user).post(
        URL,
        {
            "kind": "brochure",
            "title_de": "Groß",
            "summary_de": "Kurz.",
            "file": SimpleUploadedFile("g.pdf", PDF + b"0" * 5000, content_type="application/pdf"),
        },
        format="multipart",
    )
    assert response.status_code == 413


def test_anonymous_cannot_submit(api) -> None:  # type: ignore[no-untyped-def]
    response = api.post(URL, {"kind": "example"}, format="json")
    assert response.status_code in (401, 403)


def test_unknown_resource_is_404(api) -> None:  # type: ignore[no-untyped-def]
    assert api.get(f"{URL}999999/").status_code == 404
    assert api.get(f"{URL}abc/").status_code == 404


# --- recommendations for a plan --------------------------------------------------------------


def _plan(municipality):  # type: ignore[no-untyped-def]
    plan = factories.PlanFactory(municipality=municipality, procedure_type="youth-budget")
    plan.topics.set(Topic.objects.filter(slug__in=["public-relations", "youth-school"]))
    return plan


def test_recommendations_explain_and_list_eligible_funding_by_deadline(  # type: ignore[no-untyped-def]
    staff_user, municipality
) -> None:
    plan = _plan(municipality)
    best = ResourceFactory(
        kind="pr-example",
        procedure_types=["youth-budget"],
        states=["Sachsen"],
        topic_slugs=["public-relations"],
    )
    ResourceFactory(kind="pr-example", topic_slugs=["voting-methods"])
    today = timezone.localdate()
    later = ResourceFactory(kind="funding", deadline=today + dt.timedelta(days=60))
    sooner = ResourceFactory(
        kind="funding", deadline=today + dt.timedelta(days=5), eligible_states=["Sachsen"]
    )
    ResourceFactory(
        kind="funding", deadline=today + dt.timedelta(days=5), eligible_states=["Bayern"]
    )
    ResourceFactory(kind="funding", deadline=today - dt.timedelta(days=1))
    ResourceFactory(
        kind="funding", deadline=today + dt.timedelta(days=9), eligible_kinds=["landkreis"]
    )

    response = client_for(staff_user).get(f"/api/v1/plans/{plan.pk}/recommendations/")
    assert response.status_code == 200
    (top,) = response.data["results"]["pr-example"]
    assert top["resource"]["id"] == best.pk
    assert top["explanation"] == "Jugendbudget, Sachsen, deckt Öffentlichkeitsarbeit ab"
    assert [f["id"] for f in response.data["funding"]] == [sooner.pk, later.pk]
    assert response.data["funding"][0]["days_left"] == 5

    english = client_for(staff_user).get(
        f"/api/v1/plans/{plan.pk}/recommendations/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.data["results"]["pr-example"][0]["explanation"] == (
        "youth budget, Saxony, covers public relations"
    )


def test_recommendations_follow_library_changes(staff_user, municipality, coordinator) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(municipality)
    url = f"/api/v1/plans/{plan.pk}/recommendations/"
    first = ResourceFactory(kind="study", topic_slugs=["youth-school"])
    assert client_for(staff_user).get(url).data["results"]["study"][0]["resource"]["id"] == first.pk
    client_for(coordinator).post(f"{URL}{first.pk}/archive/")
    assert "study" not in client_for(staff_user).get(url).data["results"]


def test_other_municipalitys_plan_is_404_and_coordinator_sees_all(  # type: ignore[no-untyped-def]
    staff_user, other_staff_user, coordinator, municipality, api
) -> None:
    plan = _plan(municipality)
    url = f"/api/v1/plans/{plan.pk}/recommendations/"
    assert client_for(other_staff_user).get(url).status_code == 404
    assert client_for(coordinator).get(url).status_code == 200
    assert client_for(factories.ExpertProfileFactory().user).get(url).status_code == 404
    assert api.get(url).status_code in (401, 403)
