"""Journey 4 in a real browser: the coordinators' dashboard (open requests, pending
confirmations, events with fill level and waiting list, failed notifications) and accepting a
batch-assignment proposal."""

from __future__ import annotations

import pytest

from consult.models import ConsultationRequest
from events import registration as event_registration
from experts.models import AssignmentProposal
from notifications.models import Notification
from tests import factories
from tests.pages.browser import Journey
from tests.pages.test_staff_journey import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def test_coordinator_dashboard_and_batch_assignment(live_server, browser_page):
    coordinator = factories.coordinator()
    factories.ExpertProfileFactory(display_name="Jana Beispiel", monthly_capacity=5)
    open_requests = [factories.RequestFactory() for _ in range(2)]
    pending = factories.ConsultationBookingFactory(status="requested")
    event = factories.EventFactory(title_de="Seminar Rechenschaft", capacity=1)
    for n in range(3):
        registered = event_registration.register(
            event_id=event.pk, name=f"Person {n}", email=f"p{n}@example.org", consent=True
        )
        event_registration.confirm(token=registered.registration.token)
    Notification.objects.create(
        recipient="bounce@example.org",
        kind="booking_requested",
        subject="Neue Anfrage",
        body_text="…",
        dedup_key="test:failed:1",
        status=Notification.Status.FAILED,
        error="550 mailbox unavailable",
    )
    journey = Journey(browser_page, "coordinator", live_server.url)
    page = browser_page

    log_in(journey, coordinator.username)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Koordination"
    ).click()
    main = page.inner_text("main")
    assert f"#{open_requests[0].pk}" in main and f"#{open_requests[1].pk}" in main
    assert str(pending.request.plan) in page.inner_text("#pending")
    events = page.inner_text("#events")
    assert "Seminar Rechenschaft" in events and "1 von 1 Plätzen (100 %)" in events
    assert "2" in page.locator("#events td").nth(3).inner_text()  # two on the waiting list
    assert "550 mailbox unavailable" in page.inner_text("#failed")
    journey.step("dashboard")

    page.get_by_role("button", name="Erneut senden an bounce@example.org").click()
    assert "erneut gesendet" in page.inner_text("main")
    assert Notification.objects.get(dedup_key="test:failed:1").status != "failed"

    page.get_by_role("button", name="Neuen Zuordnungsvorschlag berechnen").click()
    assert "Jana Beispiel" in page.inner_text("#assignment")
    journey.step("assignment proposed")
    page.get_by_role("button", name="Vorschlag annehmen und Kommunen informieren").click()
    assert "Der Vorschlag ist angenommen" in page.inner_text("main")
    assert AssignmentProposal.objects.get().status == "accepted"
    matched = set(ConsultationRequest.objects.filter(status="matched").values_list("pk", flat=True))
    assert {r.pk for r in open_requests} <= matched
    journey.step("assignment accepted")
