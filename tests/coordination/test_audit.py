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


def _updates(obj):  # type: ignore[no-untyped-def]
    return list(
        LogEntry.objects.get_for_object(obj)
        .filter(action=LogEntry.Action.UPDATE)
        .order_by("timestamp", "id")
    )


def test_booking_transitions_by_compare_and_swap_are_in_the_trail(municipality, staff_user, expert):  # type: ignore[no-untyped-def]
    from bookings import services

    request = factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality))
    booking = factories.ConsultationBookingFactory(
        request=request, expert=expert, created_by=staff_user, status="requested"
    )
    services.confirm(actor=expert.user, booking_id=booking.pk)
    services.cancel(actor=staff_user, booking_id=booking.pk, reason="Rat tagt früher")
    confirmed, cancelled = _updates(booking)
    assert confirmed.changes_dict["status"] == ["requested", "confirmed"]
    assert confirmed.changes_dict["sequence"] == ["0", "1"]
    assert cancelled.changes_dict["status"] == ["confirmed", "cancelled"]
    assert cancelled.changes_dict["reason"] == ["", "Rat tagt früher"]


def test_a_refused_transition_writes_no_trail_entry(municipality, staff_user, expert):  # type: ignore[no-untyped-def]
    from bookings import services
    from core.errors import Conflict

    request = factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality))
    booking = factories.ConsultationBookingFactory(
        request=request, expert=expert, created_by=staff_user, status="declined"
    )
    with pytest.raises(Conflict):
        services.confirm(actor=expert.user, booking_id=booking.pk)
    assert _updates(booking) == []


def test_library_review_through_the_api_is_in_the_trail(coordinator):  # type: ignore[no-untyped-def]
    from library import services

    resource = factories.ResourceFactory(status="in_review")
    services.send_back_submission(user=coordinator, resource_id=resource.pk, reason="Quelle fehlt")
    (entry,) = _updates(resource)
    assert entry.changes_dict["status"] == ["in_review", "draft"]
    assert entry.changes_dict["review_reason"] == ["", "Quelle fehlt"]
