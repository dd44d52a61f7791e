"""Journey 2 in a real browser: an expert edits the profile, manages availability on the week
view, answers incoming requests (confirm, decline with a reason) and copies the calendar feed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings.models import ConsultationBooking
from experts.models import AvailabilityException, AvailabilityRule, ExpertProfile
from tests import factories
from tests.pages.browser import Journey
from tests.pages.test_staff_journey import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def test_expert_profile_availability_answers_and_feed(live_server, browser_page):
    expert = factories.ExpertProfileFactory(
        display_name="Jana Beispiel", weekly=[(0, "09:00", "12:00")]
    )
    start = timezone.now() + dt.timedelta(days=10)
    asked = factories.ConsultationBookingFactory(expert=expert, start=start, status="requested")
    other = factories.ConsultationBookingFactory(
        expert=expert, start=start + dt.timedelta(days=1), status="requested"
    )
    journey = Journey(browser_page, "expert", live_server.url)
    page = browser_page
    browser_page.context.grant_permissions(["clipboard-read", "clipboard-write"])

    log_in(journey, expert.user.username)
    page.get_by_role("link", name="Mein Profil").click()
    page.get_by_label("Reiseradius (km)").fill("-3")
    page.get_by_label("Organisation").fill("Beteiligung & Co.")
    page.get_by_role("button", name="Profil speichern").click()
    assert page.locator("#id_travel_radius_km_errors").is_visible()
    assert page.get_by_label("Organisation").input_value() == "Beteiligung & Co."
    journey.step("profile errors inline")
    page.get_by_label("Reiseradius (km)").fill("250")
    page.get_by_label("Öffentlichkeitsarbeit", exact=False).select_option("2")
    page.get_by_role("button", name="Profil speichern").click()
    assert "Ihr Profil ist gespeichert." in page.inner_text("main")
    expert.refresh_from_db()
    assert expert.travel_radius_km == 250 and expert.organisation == "Beteiligung & Co."
    journey.step("profile saved")

    page.get_by_role("link", name="Verfügbarkeit").click()
    journey.step("week view")
    page.get_by_label("Wochentag").select_option("2")
    page.locator("#id_rule-start").fill("14:00")
    page.locator("#id_rule-end").fill("13:00")
    page.get_by_role("button", name="Zeitfenster hinzufügen").click()
    assert page.locator("#id_rule-end_errors").is_visible()
    page.locator("#id_rule-end").fill("18:00")
    page.get_by_role("button", name="Zeitfenster hinzufügen").click()
    assert "Das Zeitfenster ist hinzugefügt." in page.inner_text("main")
    assert AvailabilityRule.objects.filter(expert=expert, weekday=2).exists()
    holiday = timezone.localdate() + dt.timedelta(days=14)
    page.get_by_label("Datum").fill(holiday.isoformat())
    page.get_by_label("Notiz (nur für Sie)").fill("Urlaub")
    page.get_by_role("button", name="Ausnahme eintragen").click()
    assert AvailabilityException.objects.filter(expert=expert, date=holiday).exists()
    for _ in range(2):  # htmx swaps the week only
        heading = page.locator("#week-heading").inner_text()
        page.get_by_role("link", name="nächste Woche").click()
        page.wait_for_function(
            "old => document.querySelector('#week-heading').innerText !== old", arg=heading
        )
    assert "Urlaub" in page.locator("#week .exception-block").inner_text()
    journey.step("week with window and holiday")

    page.get_by_role("link", name="Meine Termine").click()
    municipality = asked.request.plan.municipality.name
    journey.step("incoming requests")
    page.get_by_role("button", name=f"Termin mit {municipality} bestätigen").first.click()
    assert "Der Termin ist bestätigt." in page.inner_text("main")
    assert ConsultationBooking.objects.get(pk=asked.pk).status == "confirmed"

    other_municipality = other.request.plan.municipality.name
    page.get_by_text("Ablehnen …").first.click()
    page.get_by_label("Begründung für die Absage").first.fill("Im Urlaub, bitte Kollegin fragen.")
    page.get_by_role("button", name=f"Anfrage von {other_municipality} ablehnen").click()
    assert "abgelehnt" in page.inner_text("main")
    declined = ConsultationBooking.objects.get(pk=other.pk)
    assert declined.status == "declined" and declined.reason.startswith("Im Urlaub")
    journey.step("answered")

    feed = page.get_by_label("Adresse des Kalender-Feeds").input_value()
    assert feed.endswith(f"/feeds/{ExpertProfile.objects.get(pk=expert.pk).feed_token}.ics")
    page.get_by_role("button", name="Adresse kopieren").click()
    expect(page.locator("#feed-url-status")).to_have_text("Kopiert.")
    assert page.evaluate("navigator.clipboard.readText()") == feed
    journey.step("feed copied")
