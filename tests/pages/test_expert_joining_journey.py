"""In a real browser (axe-core on every page): the public face (home, member directory, legal
pages, the accessibility feedback form) and an invited expert who sets a password from the
e-mailed link, completes the profile, is activated by a coordinator and appears in matches."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from consult.models import LegalPage
from experts.models import ExpertProfile
from notifications.models import Notification
from tests import factories
from tests.pages.browser import Journey
from tests.pages.test_joining_journey import link_from_eml

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "Sonnenblume-Kiezfonds-42"
EMAIL = "ines.beraterin@example.org"


@pytest.fixture
def legal_pages(transactional_db):  # type: ignore[no-untyped-def]
    if not LegalPage.objects.exists():
        importlib.import_module("consult.migrations.0005_legal_pages").create_pages(apps, None)


def log_in(page, journey: Journey, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    journey.go("/login/")
    page.get_by_label("Benutzername", exact=False).fill(username)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(journey.base_url + "/")


def test_public_pages_directory_legal_pages_and_feedback(live_server, browser_page, legal_pages):
    factories.coordinator()
    leipzig = factories.MunicipalityFactory(name="Leipzig", listed=True)
    factories.PlanFactory(municipality=leipzig, procedure_type="youth-budget")
    factories.MunicipalityFactory(name="Wien", listed=True, country="AT", state="")
    journey = Journey(browser_page, "public-face", live_server.url)
    page = browser_page

    journey.go("/")
    assert page.get_by_role("link", name="Praxisbibliothek").is_visible()
    journey.step("home")
    page.get_by_role("link", name="Mitglieder", exact=True).first.click()
    page.wait_for_url("**/mitglieder/")
    assert "Leipzig" in page.inner_text("main")
    journey.step("directory")
    page.locator("#id_kind").select_option("stadt")
    page.get_by_role("button", name="Filtern").click()
    journey.step("directory filtered")
    for label in ("Impressum", "Datenschutz", "Leichte Sprache"):
        page.locator("footer").get_by_role("link", name=label).click()
        assert page.locator("h1").is_visible()
        journey.step(label)
    page.locator("footer").get_by_role("link", name="Barrierefreiheit").click()
    page.get_by_role("button", name="Rückmeldung senden").click()
    assert page.locator("#id_message_errors").is_visible()
    journey.step("feedback errors inline")
    page.get_by_label("Ihre E-Mail-Adresse").fill("mia@example.org")
    page.get_by_label("Was ist Ihnen aufgefallen?").fill("Der Kontrast der Karte ist zu schwach.")
    page.get_by_role("button", name="Rückmeldung senden").click()
    assert "Vielen Dank" in page.inner_text("main")
    journey.step("feedback sent")
    assert Notification.objects.filter(kind="accessibility_feedback").count() == 1
    journey.go("/expertin-werden/")
    page.get_by_role("button", name="Bewerbung absenden").click()
    assert page.locator("#id_display_name_errors").is_visible()
    journey.step("expert application errors inline")


def test_invited_expert_completes_profile_is_activated_and_appears_in_matches(
    live_server, browser_page, settings, tmp_path, legal_pages
):
    settings.EMAIL_BACKEND = "notifications.mail_backend.EmlFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    settings.SITE_URL = live_server.url
    coordinator = factories.coordinator()
    municipality = factories.MunicipalityFactory(name="Leipzig")
    plan = factories.PlanFactory(municipality=municipality, procedure_type="youth-budget")
    request = factories.RequestFactory(plan=plan, needs={"youth-school": 3})
    journey = Journey(browser_page, "expert-joining", live_server.url)
    page = browser_page
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))

    log_in(page, journey, coordinator.username, "secret-pass-123")
    page.get_by_role("link", name="Expert*innen").first.click()
    page.wait_for_url("**/koordination/expertinnen/")
    journey.step("pool")
    page.get_by_role("link", name="Expert*in einladen").click()
    page.get_by_role("button", name="Einladen").click()
    assert page.locator("#id_display_name_errors").is_visible()
    journey.step("invite errors inline")
    page.get_by_label("Name").fill("Ines Beraterin")
    page.get_by_label("E-Mail-Adresse").fill(EMAIL)
    page.get_by_role("button", name="Einladen").click()
    page.wait_for_url("**/koordination/expertinnen/")
    assert "Einladung ist verschickt" in page.inner_text("main")
    journey.step("invited")
    page.get_by_role("button", name="Abmelden", exact=False).click()

    journey.go(link_from_eml(tmp_path, EMAIL, "/passwort-setzen/"))
    journey.step("set password")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Passwort speichern").click()
    page.wait_for_url("**/login/**")
    log_in(page, journey, EMAIL, PASSWORD)
    page.get_by_role("link", name="Mein Profil").first.click()
    journey.step("profile")
    page.locator("#id_topic_youth-school").select_option("3")
    page.locator("input[name=formats][value=online]").check()
    page.locator("input[name=states][value=Sachsen]").check()
    page.locator("input[name=procedure_types][value=youth-budget]").check()
    page.get_by_role("button", name="Profil speichern").click()
    assert "Ihr Profil ist gespeichert." in page.inner_text("main")
    journey.step("profile saved")
    page.get_by_role("link", name="Verfügbarkeit").first.click()
    for weekday in range(5):
        page.locator("#id_rule-weekday").select_option(str(weekday))
        page.locator("#id_rule-start").fill("09:00")
        page.locator("#id_rule-end").fill("17:00")
        page.get_by_role("button", name="Zeitfenster hinzufügen").click()
    journey.step("availability")
    expert = ExpertProfile.objects.get(email=EMAIL)
    assert not expert.active
    page.get_by_role("button", name="Abmelden", exact=False).click()

    log_in(page, journey, coordinator.username, "secret-pass-123")
    journey.go("/koordination/expertinnen/")
    page.get_by_role("button", name="Ines Beraterin freischalten").click()
    assert "ist für Anfragen freigeschaltet" in page.inner_text("main")
    journey.step("activated")
    expert.refresh_from_db()
    assert expert.active
    journey.go(f"/anfragen/{request.pk}/experten/")
    assert "Ines Beraterin" in page.inner_text("main")
    journey.step("in matches")
    assert not any("/admin/" in url for url in visited)
