"""The members pages in a real browser, axe-checked at every step: the landing page, an
organisation found by its AGS and edited with the no-JS form, a person deactivated, an expert
found by Land and given a capacity."""

from __future__ import annotations

import pytest

from experts.models import ExpertProfile
from tests import factories
from tests.pages.browser import Journey
from tests.pages.test_staff_journey import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def test_coordinator_finds_edits_deactivates_and_sets_capacity(live_server, browser_page):
    coordinator = factories.coordinator()
    leipzig = factories.MunicipalityFactory(name="Leipzig", ags="14713000", listed=False)
    factories.MunicipalityFactory(name="Passau", state="Bayern")
    person = factories.staff_for(leipzig)
    factories.ExpertProfileFactory(display_name="Ida Jugend", states=["Sachsen"])
    factories.ExpertProfileFactory(display_name="Ben Recht", states=["Bayern"])
    journey = Journey(browser_page, "members", live_server.url)
    page = browser_page

    log_in(journey, coordinator.username)
    journey.go("/koordination/")
    page.get_by_role("link", name="Mitglieder", exact=True).first.click()
    journey.step("members landing")

    page.get_by_role("link", name="Organisationen").click()
    page.get_by_label("Name, AGS oder Landkreis").fill("14713")
    page.get_by_role("button", name="Suchen").click()
    assert "Passau" not in page.inner_text("main")
    journey.step("organisations found by AGS")
    page.get_by_role("link", name="Leipzig").click()
    journey.step("organisation page")
    page.get_by_label("im öffentlichen Mitgliederverzeichnis").check()
    page.get_by_label("Amtlicher Gemeindeschlüssel (AGS)").fill("99999999")
    page.get_by_role("button", name="Speichern").click()
    assert "Diesen Gemeindeschlüssel kennen wir nicht." in page.inner_text("main")
    journey.step("unknown AGS at its field")
    page.get_by_label("Amtlicher Gemeindeschlüssel (AGS)").fill("14713000")
    page.get_by_label("im öffentlichen Mitgliederverzeichnis").check()
    page.get_by_role("button", name="Speichern").click()
    assert "Die Angaben sind gespeichert." in page.inner_text("main")
    journey.step("organisation saved, trail shown")
    leipzig.refresh_from_db()
    assert leipzig.listed

    journey.go("/koordination/personen/")
    page.get_by_label("Name, Benutzername oder E-Mail").fill(person.username)
    page.get_by_role("button", name="Suchen").click()
    journey.step("people found")
    page.get_by_role("button", name=f"{person.username} deaktivieren").click()
    assert "ist deaktiviert" in page.inner_text("main")
    journey.step("person deactivated")
    person.refresh_from_db()
    assert not person.is_active

    journey.go("/koordination/expertinnen/")
    page.get_by_label("Bundesland").select_option("Bayern")
    page.get_by_role("button", name="Suchen").click()
    assert "Ida Jugend" not in page.inner_text("main")
    journey.step("experts found by Land")
    page.get_by_label("Beratungen pro Monat (Ben Recht)").fill("6")
    page.get_by_role("button", name="Kapazität von Ben Recht speichern").click()
    assert "6 Beratungen pro Monat" in page.inner_text("main")
    assert "Ida Jugend" not in page.inner_text("main")  # the search is kept
    journey.step("capacity saved")
    assert ExpertProfile.objects.get(display_name="Ben Recht").monthly_capacity == 6
    assert not any("/admin/" in url for url in journey.requested)
