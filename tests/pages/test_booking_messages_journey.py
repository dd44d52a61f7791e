"""Journey in a real browser: the municipality and the expert write to each other on the
consultation's page (no JavaScript needed), a refused message comes back on the form, and each
message reaches the other side's outbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from notifications.models import Notification
from tests import factories
from tests.pages.browser import ANY_IMPACT, Journey
from tests.pages.test_staff_journey import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def test_municipality_and_expert_exchange_a_message_each_way(live_server, browser_page):
    cache.clear()
    municipality = factories.MunicipalityFactory(name="Musterstadt")
    staff = factories.staff_for(municipality)
    expert = factories.ExpertProfileFactory(display_name="Dr. Jana Beispiel")
    booking = factories.ConsultationBookingFactory(
        expert=expert,
        request=factories.RequestFactory(plan__municipality=municipality),
        start=timezone.now() + dt.timedelta(days=5),
        status="confirmed",
        created_by=staff,
    )
    journey = Journey(browser_page, "booking-messages", live_server.url)
    page = browser_page

    log_in(journey, staff.username)
    journey.go(f"/termine/{booking.pk}/")
    section = page.locator("#messages")
    assert "Noch keine Nachrichten" in section.inner_text()
    journey.step("no messages yet")

    # An empty message comes back on the form, the field marked and described by the error.
    page.get_by_role("button", name="Nachricht senden").click()
    field = page.get_by_label("Ihre Nachricht")
    assert field.get_attribute("aria-invalid") == "true"
    assert "id_message-body_errors" in field.get_attribute("aria-describedby").split()
    assert "Bitte schreiben Sie eine Nachricht." in page.inner_text("#id_message-body_errors")
    journey.step("empty message refused", impacts=ANY_IMPACT)

    field.fill("Können wir über <b>Jugendbeteiligung</b> sprechen?\nDanke!")
    page.get_by_role("button", name="Nachricht senden").click()
    page.wait_for_url(f"**/termine/{booking.pk}/#messages")
    thread = page.locator("#messages ol")
    assert "Können wir über <b>Jugendbeteiligung</b> sprechen?" in thread.inner_text()
    assert thread.locator("b").count() == 0  # shown as text, never as markup
    journey.step("message sent")

    page.context.clear_cookies()
    log_in(journey, expert.user.username)
    journey.go(f"/termine/{booking.pk}/")
    assert "Musterstadt" in page.locator("#messages ol").inner_text()
    page.get_by_label("Ihre Nachricht").fill("Gern, ich bringe Beispiele mit.")
    page.get_by_role("button", name="Nachricht senden").click()
    page.wait_for_url(f"**/termine/{booking.pk}/#messages")
    items = page.locator("#messages ol > li")
    assert items.count() == 2
    assert "Gern, ich bringe Beispiele mit." in items.nth(1).inner_text()
    journey.step("answer sent", impacts=ANY_IMPACT)

    rows = Notification.objects.filter(kind="booking_message")
    assert {(row.recipient, row.body_text.count("Jugendbeteiligung")) for row in rows} >= {
        (expert.email, 1),
        (staff.email, 0),
    }
