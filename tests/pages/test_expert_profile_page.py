"""In a real browser: the expert reads a request's needs on the booking page and follows the link
to their public profile; a visitor without an account reads that profile in German and English.
Every page is checked with axe-core, held to every rule (ANY_IMPACT)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from tests.pages.browser import ANY_IMPACT, Journey
from tests.pages.test_staff_journey import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def test_expert_reads_the_request_and_anyone_the_profile(live_server, browser_page):
    expert = factories.ExpertProfileFactory(
        display_name="Dr. Jana Beispiel",
        organisation="Institut für Beteiligung",
        bio_de="Berät Kommunen seit 2010 zu Jugendbudgets.",
        bio_en="Has advised municipalities on youth budgets since 2010.",
        levels={"youth-school": 3, "public-relations": 2},
        min_notice_hours=0,
    )
    municipality = factories.MunicipalityFactory(name="Musterstadt", population=60_000)
    plan = factories.PlanFactory(
        municipality=municipality,
        title="Jugendbudget Musterstadt",
        phases=[{"phase": "vote", "start": "2031-09-01", "end": "2031-09-15"}],
        description="Jugendliche entscheiden über 50.000 Euro.",
    )
    consultation = factories.RequestFactory(
        plan=plan,
        notes="Bitte mit Blick auf die Schulen.",
        needs={"youth-school": 3, "public-relations": 1},
    )
    booking = factories.ConsultationBookingFactory(
        expert=expert,
        request=consultation,
        start=timezone.now() + dt.timedelta(days=5),
        status="requested",
    )
    factories.ConsultationBookingFactory(
        expert=expert,
        start=timezone.now() - dt.timedelta(days=20),
        status="completed",
        rating=5,
    )
    journey = Journey(browser_page, "expert-profile", live_server.url)
    page = browser_page

    log_in(journey, expert.user.username)
    journey.go(f"/termine/{booking.pk}/")
    summary = page.locator("section.request-summary")
    assert "Kinder-, Jugend- und Schulbeteiligung" in summary.inner_text()
    assert "Bitte mit Blick auf die Schulen." in summary.inner_text()
    assert "Jugendliche entscheiden über 50.000 Euro." in summary.inner_text()
    assert "Warum Sie vorgeschlagen wurden" in summary.inner_text()
    journey.step("booking page with the request", impacts=ANY_IMPACT)

    page.get_by_role("link", name="Ihr öffentliches Profil, wie Kommunen es sehen").click()
    page.wait_for_url(f"{live_server.url}/expertinnen/{expert.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Dr. Jana Beispiel"
    journey.step("own public profile", impacts=ANY_IMPACT)

    page.context.clear_cookies()  # logged out: the profile is public
    journey.go(f"/expertinnen/{expert.pk}/")
    main = page.inner_text("main")
    assert "Berät Kommunen seit 2010 zu Jugendbudgets." in main
    assert "Durchschnittlich 5 von 5 Punkten aus 1 bewerteten Beratung." in main
    assert page.locator("ul.next-slots li").count() == 5
    journey.step("public profile German", impacts=ANY_IMPACT)

    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    journey.go(f"/expertinnen/{expert.pk}/")
    main = page.inner_text("main")
    assert "Has advised municipalities on youth budgets since 2010." in main
    assert "Next free slots" in main
    journey.step("public profile English", impacts=ANY_IMPACT)
