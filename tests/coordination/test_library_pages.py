"""The library's review queue and editing in the back office; the public list by country."""

import pytest
from auditlog.models import LogEntry

from library.models import Resource
from notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db


def _submission(**kwargs):  # type: ignore[no-untyped-def]
    staff = factories.staff_for(factories.MunicipalityFactory())
    staff.email = "einreichend@example.org"
    staff.save()
    return factories.ResourceFactory(
        status="in_review", submitted_by=staff, body="Text", published_at=None, **kwargs
    )


def test_library_pages_are_404_for_outsiders(outsider_client):
    resource = _submission()
    assert outsider_client.get("/koordination/bibliothek/").status_code == 404
    assert outsider_client.get(f"/koordination/bibliothek/{resource.pk}/").status_code == 404
    for action in ("veroeffentlichen", "zurueck"):
        url = f"/koordination/bibliothek/{resource.pk}/{action}/"
        assert outsider_client.post(url, {"reason": "x"}).status_code == 404
    resource.refresh_from_db()
    assert resource.status == "in_review"


def test_queue_query_count_is_constant(coordinator_client, django_assert_max_num_queries):
    _submission()
    with django_assert_max_num_queries(15) as few:
        coordinator_client.get("/koordination/bibliothek/")
    for _ in range(10):
        _submission()
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = coordinator_client.get("/koordination/bibliothek/")
    assert len(page.context["queue"]) == 11


def test_sending_back_tells_the_submitter_the_reason(coordinator_client, coordinator):
    resource = _submission(title_de="Zu kurz geraten")
    coordinator_client.post(
        f"/koordination/bibliothek/{resource.pk}/zurueck/", {"reason": "Bitte Quelle ergänzen."}
    )
    resource.refresh_from_db()
    assert resource.status == Resource.Status.DRAFT
    notice = Notification.objects.get(recipient="einreichend@example.org")
    assert "Bitte Quelle ergänzen." in notice.body_text
    assert "Zu kurz geraten" in notice.subject
    entry = LogEntry.objects.get_for_object(resource).latest("timestamp")
    assert entry.actor == coordinator
    assert entry.changes_dict["status"] == ["in_review", "draft"]


def test_sending_back_needs_a_reason(coordinator_client):
    resource = _submission()
    coordinator_client.post(f"/koordination/bibliothek/{resource.pk}/zurueck/", {"reason": ""})
    resource.refresh_from_db()
    assert resource.status == "in_review"
    assert not Notification.objects.exists()


def test_publishing_tells_the_submitter(coordinator_client):
    resource = _submission()
    coordinator_client.post(f"/koordination/bibliothek/{resource.pk}/veroeffentlichen/")
    resource.refresh_from_db()
    assert resource.status == Resource.Status.PUBLISHED
    assert Notification.objects.filter(
        recipient="einreichend@example.org", kind="library.submission_published"
    ).exists()


def test_editing_an_entry_goes_through_the_service_and_shows_its_history(coordinator_client):
    resource = factories.ResourceFactory(title_de="Alt", body="Text")
    url = f"/koordination/bibliothek/{resource.pk}/"
    assert coordinator_client.get(url).status_code == 200
    response = coordinator_client.post(
        url,
        {
            "kind": "example",
            "title_de": "Neu",
            "summary_de": "Zusammenfassung",
            "body": "Text",
            "language": "de",
            "countries": "br, pt",
        },
    )
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.title_de == "Neu"
    assert resource.countries == ["BR", "PT"]
    page = coordinator_client.get(url).content.decode()
    assert "title_de" in page and "Alt" in page


def test_public_library_filters_by_country(client):
    factories.ResourceFactory(title_de="Aus Porto Alegre", countries=["BR"])
    factories.ResourceFactory(title_de="Aus Leipzig", countries=["DE"])
    page = client.get("/bibliothek/", {"country": "BR"}).content.decode()
    assert "Aus Porto Alegre" in page
    assert "Aus Leipzig" not in page


def test_publishing_a_draft_is_404_for_outsiders(outsider_client):
    resource = factories.ResourceFactory(status="draft", body="Text")
    url = f"/koordination/bibliothek/{resource.pk}/veroeffentlichen-entwurf/"
    assert outsider_client.post(url).status_code == 404
    resource.refresh_from_db()
    assert resource.status == "draft"


def test_a_coordinator_publishes_a_draft_from_its_page(coordinator_client):
    resource = factories.ResourceFactory(status="draft", body="Text", published_at=None)
    coordinator_client.post(f"/koordination/bibliothek/{resource.pk}/veroeffentlichen-entwurf/")
    resource.refresh_from_db()
    assert resource.status == Resource.Status.PUBLISHED


def test_all_entries_are_searchable_with_constant_queries(
    coordinator_client, django_assert_max_num_queries
):
    factories.ResourceFactory(title_de="Gesuchter Eintrag")
    with django_assert_max_num_queries(15) as few:
        coordinator_client.get("/koordination/bibliothek/")
    for _ in range(12):
        factories.ResourceFactory()
    with django_assert_max_num_queries(len(few.captured_queries)):
        coordinator_client.get("/koordination/bibliothek/")
    page = coordinator_client.get("/koordination/bibliothek/", {"q": "Gesuchter"})
    assert [r.title_de for r in page.context["page"]] == ["Gesuchter Eintrag"]


def test_a_funding_programme_gets_its_deadline_and_amounts_from_the_edit_page(coordinator_client):
    resource = factories.ResourceFactory(kind="funding", title_de="Förderung", body="Text")
    response = coordinator_client.post(
        f"/koordination/bibliothek/{resource.pk}/",
        {
            "kind": "funding",
            "title_de": "Förderung",
            "summary_de": "Geld für Beteiligung",
            "body": "Text",
            "language": "de",
            "funder": "Land Sachsen",
            "amount_min_eur": "1000",
            "amount_max_eur": "500",
            "deadline": "2027-03-31",
        },
    )
    assert response.status_code == 200  # the upper bound below the lower: shown at the field
    assert "amount_max_eur" in response.context["form"].errors
    response = coordinator_client.post(
        f"/koordination/bibliothek/{resource.pk}/",
        {
            "kind": "funding",
            "title_de": "Förderung",
            "summary_de": "Geld für Beteiligung",
            "body": "Text",
            "language": "de",
            "funder": "Land Sachsen",
            "amount_min_eur": "1000",
            "amount_max_eur": "5000",
            "eligible_states": ["Sachsen"],
            "deadline": "2027-03-31",
        },
    )
    assert response.status_code == 302
    resource.refresh_from_db()
    assert str(resource.deadline) == "2027-03-31"
    assert resource.eligible_states == ["Sachsen"]
