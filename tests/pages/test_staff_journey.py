"""Journey 1 in a real browser: municipal staff describe a plan, ask for advice, book a slot
with a ranked expert, see it confirmed, reschedule, cancel, give feedback, find peers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bookings import services as booking_services
from bookings.models import ConsultationBooking
from consult.models import ParticipationPlan
from tests import factories
from tests.pages.browser import Journey

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def log_in(journey: Journey, username: str) -> None:
    page = journey.page
    journey.go("/login/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill("secret-pass-123")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(journey.base_url + "/")


def test_staff_plan_request_match_book_reschedule_cancel_feedback(live_server, browser_page):
    municipality = factories.MunicipalityFactory(name="Musterstadt", population=60_000)
    staff = factories.staff_for(municipality)
    expert = factories.ExpertProfileFactory(
        display_name="Dr. Jana Beispiel", levels={"youth-school": 3}, min_notice_hours=24
    )
    peer = factories.MunicipalityFactory(name="Nachbarstadt", open_to_exchange=True)
    factories.PlanFactory(municipality=peer, procedure_type="youth-budget", stage="running")
    journey = Journey(browser_page, "staff", live_server.url)
    page = browser_page

    log_in(journey, staff.username)
    page.get_by_role("link", name="Vorhaben").first.click()
    page.get_by_role("link", name="Neues Vorhaben beschreiben").click()
    journey.step("empty plan form")

    page.get_by_label("Titel").fill("Jugendbudget 2027")
    page.get_by_label("Verfahrensart").select_option("youth-budget")
    page.get_by_label("Stand").select_option("introducing")
    page.get_by_label("Budget (EUR)").fill("-5")
    page.get_by_label("Online").first.check()
    page.get_by_label("Jugendliche").check()
    page.get_by_label("Information: Beginn").fill("2027-03-01")
    page.get_by_label("Information: Ende").fill("2027-02-01")
    page.get_by_label("Jugend- und Schulbeteiligung", exact=False).first.check()
    page.get_by_label("Beschreibung").fill("Jugendliche entscheiden über 50.000 Euro.")
    page.get_by_role("button", name="Vorhaben speichern").click()
    assert page.locator("#id_budget_eur_errors").is_visible()
    assert page.locator("#id_phase_information_end_errors").is_visible()
    assert page.get_by_label("Titel").input_value() == "Jugendbudget 2027"
    assert page.get_by_label("Beschreibung").input_value().startswith("Jugendliche")
    journey.step("plan errors inline")

    page.get_by_label("Budget (EUR)").fill("50000")
    page.get_by_label("Information: Ende").fill("2027-03-31")
    page.get_by_role("button", name="Vorhaben speichern").click()
    assert "Das Vorhaben ist angelegt." in page.inner_text("main")
    plan = ParticipationPlan.objects.get(municipality=municipality)
    assert plan.budget_eur == 50_000 and plan.phases[0]["phase"] == "information"
    journey.step("plan saved")

    page.get_by_role("link", name="Jugendbudget 2027“ bearbeiten", exact=False).click()
    assert page.get_by_label("Budget (EUR)").input_value() in ("50000", "50000.00")
    page.get_by_label("Stand").select_option("running")
    page.get_by_role("button", name="Vorhaben speichern").click()
    assert "gespeichert" in page.inner_text("main")

    page.get_by_role("link", name="Beratung zu „Jugendbudget 2027“ anfragen").click()
    page.get_by_label("Jugend- und Schulbeteiligung", exact=False).select_option("3")
    earliest = timezone.localdate() + dt.timedelta(days=3)
    page.get_by_label("frühestens am").fill(earliest.isoformat())
    page.get_by_label("spätestens am").fill((earliest - dt.timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Anfrage stellen und Expert*innen finden").click()
    assert page.locator("#id_latest_errors").is_visible()
    journey.step("request errors inline")
    page.get_by_label("spätestens am").fill((earliest + dt.timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Anfrage stellen und Expert*innen finden").click()

    page.wait_for_url("**/experten/")
    card = page.locator(f"#expert-{expert.pk}")
    assert "Dr. Jana Beispiel" in card.inner_text()
    assert "Frühester freier Termin" in card.inner_text()
    assert card.locator(".explanation").inner_text().strip()
    journey.step("ranked experts")

    card.get_by_role("link", name="Termin bei Dr. Jana Beispiel wählen").click()  # htmx, inline
    card.locator("#slot-picker input[type=radio]").first.wait_for()
    journey.step("slots inline")
    card.locator("#slot-picker input[type=radio]").first.check()
    card.get_by_role("button", name="Diesen Termin anfragen").click()
    page.wait_for_url("**/termine/*/")
    assert "angefragt" in page.inner_text("#booking-status")
    journey.step("booking requested")

    booking = ConsultationBooking.objects.get(request__plan=plan)
    booking_services.confirm(actor=expert.user, booking_id=booking.pk)
    page.reload()
    assert "bestätigt" in page.inner_text("#booking-status")
    journey.step("booking confirmed")

    first_start = booking.start
    page.locator("input[name=reschedule-start]").nth(3).check()
    page.get_by_role("button", name="Auf diesen Termin verschieben").click()
    assert "verschoben" in page.inner_text("main")
    booking.refresh_from_db()
    assert booking.start != first_start and booking.status == "requested"
    journey.step("rescheduled")

    page.get_by_label("Begründung").fill("Der Gemeinderat tagt an diesem Tag.")
    page.get_by_role("button", name="Termin absagen").click()
    assert "abgesagt" in page.inner_text("#booking-status")
    journey.step("cancelled")

    past = timezone.now() - dt.timedelta(days=2)
    done = factories.ConsultationBookingFactory(
        request=factories.RequestFactory(plan=plan), expert=expert, start=past, status="completed"
    )
    journey.go(f"/termine/{done.pk}/")
    page.get_by_label("4 – hilfreich").check()
    page.get_by_label("Kommentar (freiwillig)").fill("Sehr konkrete Tipps.")
    page.get_by_role("button", name="Rückmeldung senden").click()
    assert "Danke für Ihre Rückmeldung" in page.inner_text("main")
    assert ConsultationBooking.objects.get(pk=done.pk).rating == 4
    journey.step("feedback given")

    page.get_by_role("link", name="Austausch").click()
    assert "Nachbarstadt" in page.inner_text("main")
    assert "Warum ähnlich" in page.inner_text("main")
    journey.step("municipalities like yours")
