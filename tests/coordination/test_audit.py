"""The audit trail: changes are recorded with who and when, searchable, constant queries."""

import pytest
from auditlog.models import LogEntry
from django.db import transaction
from django.utils import timezone

from events import management
from events.models import Registration
from tests import factories

pytestmark = pytest.mark.django_db


def test_trail_page_is_404_for_everyone_but_coordinators(outsider_client):
    assert outsider_client.get("/koordination/protokoll/").status_code == 404


def test_change_through_a_page_records_the_acting_coordinator(coordinator_client, coordinator):
    event = factories.EventFactory(status="draft")
    coordinator_client.post(f"/koordination/veranstaltungen/{event.pk}/veroeffentlichen/")
    entry = LogEntry.objects.get_for_object(event).filter(action=LogEntry.Action.UPDATE).first()
    assert entry is not None
    assert entry.actor == coordinator
    assert entry.changes_dict["status"] == ["draft", "published"]


def test_change_outside_a_request_has_no_user(coordinator):
    event = factories.EventFactory(status="draft")
    management.publish_event(event_id=event.pk, by=coordinator)
    entry = LogEntry.objects.get_for_object(event).latest("timestamp")
    assert entry.actor is None


def test_registration_diffs_leave_out_personal_data():
    event = factories.EventFactory()
    with transaction.atomic():
        Registration.objects.create(
            event=event, name="Erika Muster", email="erika@example.org", consent_at=timezone.now()
        )
    entry = LogEntry.objects.filter(content_type__model="registration").latest("timestamp")
    assert "email" not in entry.changes_dict
    assert "name" not in entry.changes_dict


def test_trail_filters_by_kind_and_id(coordinator_client):
    event = factories.EventFactory(title_de="Gesuchte Veranstaltung")
    factories.ResourceFactory(title_de="Anderer Eintrag")
    page = coordinator_client.get(f"/koordination/protokoll/?kind=event&object_id={event.pk}")
    assert page.status_code == 200
    assert "Gesuchte Veranstaltung" in page.content.decode()
    assert "Anderer Eintrag" not in page.content.decode()


def test_trail_query_count_is_constant(coordinator_client, django_assert_max_num_queries):
    factories.EventFactory()
    with django_assert_max_num_queries(8) as few:
        coordinator_client.get("/koordination/protokoll/")
    for _ in range(15):
        factories.ResourceFactory()
    with django_assert_max_num_queries(len(few.captured_queries)):
        coordinator_client.get("/koordination/protokoll/")
