"""The consultations pages in a real browser, axe-checked at every step: the list with a filter,
a request's page with the ranking and why, the reassignment with the no-JS form."""

from __future__ import annotations

import pytest
from django.utils import timezone

from bookings import selectors, services
from bookings.models import ConsultationBooking
from experts.match_selectors import request_window
from tests import factories
from tests.pages.browser import Journey
from tests.pages.test_staff_journey import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def test_coordinator_filters_reads_why_and_reassigns(live_server, browser_page):
    coordinator = factories.coordinator()
    municipality = factories.MunicipalityFactory(name="Görlitz", state="Sachsen")
    staff = factories.staff_for(municipality)
    consultation = factories.RequestFactory(
        plan=factories.PlanFactory(municipality=municipality, title="Jugendbudget Görlitz")
    )
    factories.RequestFactory(
        plan=factories.PlanFactory(
            municipality=factories.MunicipalityFactory(name="Passau", state="Bayern"),
            title="Haushalt Passau",
        )
    )
    old = factories.ExpertProfileFactory(display_name="Olga Alt")
    new = factories.ExpertProfileFactory(display_name="Nora Neu")
    start, end = request_window(consultation)
    now = timezone.now()
    first = selectors.free_slots_for(old, start=start, end=end, duration=60, now=now)[0]
    booking = services.book(
        actor=staff,
        request_id=consultation.pk,
        expert_id=old.pk,
        start=first.start,
        duration_minutes=60,
    )
    journey = Journey(browser_page, "consultations", live_server.url)
    page = browser_page

    log_in(journey, coordinator.username)
    journey.go("/koordination/beratungen/")
    journey.step("consultations list")
    page.get_by_label("Bundesland").select_option("Sachsen")
    page.get_by_role("button", name="Filtern").click()
    assert "Jugendbudget Görlitz" in page.inner_text("main")
    assert "Haushalt Passau" not in page.inner_text("main")
    journey.step("filtered by Land")

    page.get_by_role("link", name="Jugendbudget Görlitz").click()
    assert "Olga Alt" in page.inner_text("main")
    journey.step("request page with ranking")
    page.get_by_role("link", name="Nora Neu zuordnen: freie Termine zeigen").click()
    journey.step("free slots of the new expert")
    page.locator("input[name=start]").first.check()
    page.get_by_label("Anmerkung zur neuen Zuordnung").fill("Fachlich näher dran")
    page.get_by_role("button", name="Anfrage Nora Neu zuordnen").click()
    assert "Nora Neu zugeordnet" in page.inner_text("main")
    journey.step("reassigned")

    booking.refresh_from_db()
    assert booking.status == ConsultationBooking.Status.CANCELLED
    assert (
        ConsultationBooking.objects.get(
            request=consultation, status=ConsultationBooking.Status.REQUESTED
        ).expert
        == new
    )
    assert not any("/admin/" in url for url in journey.requested)
