"""The exchange in a real browser: a staff member of Leipzig asks the forum, a staff member of
Jena answers, each hears of the other's post by e-mail (.eml), the asker marks the answer
solved; then Leipzig asks Jena for contact, Jena accepts from the e-mailed link, and both see
each other's contact person; a coordinator opens a debate, writes news and adds a partner
network, and an invited school contributes from its e-mail. axe-core checks every page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from exchange.models import ContactRequest, Thread
from tests import factories
from tests.pages.browser import Journey
from tests.pages.test_joining_journey import link_from_eml

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "secret-pass-123"  # tests.factories.UserFactory's


def _member(name: str, person: str):  # type: ignore[no-untyped-def]
    municipality = factories.MunicipalityFactory(name=name, open_to_exchange=True)
    user = factories.staff_for(municipality)
    first, last = person.split()
    # Older than the new-account window: one post each is no flood.
    get_user_model().objects.filter(pk=user.pk).update(
        first_name=first,
        last_name=last,
        email=f"{first.lower()}@{name.lower()}.example",
        date_joined=timezone.now() - dt.timedelta(days=60),
    )
    user.refresh_from_db()
    return municipality, user


def _log_in(journey: Journey, user, *, path: str = "/login/") -> None:  # type: ignore[no-untyped-def]
    journey.go(path)
    page = journey.page
    page.get_by_label("Benutzername", exact=False).fill(user.username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()


def _log_out(journey: Journey) -> None:
    journey.page.get_by_role("button", name="Abmelden", exact=False).click()
    journey.page.wait_for_load_state()


def test_question_answered_notified_solved_and_contact_accepted_from_the_email(
    live_server, browser_page, settings, tmp_path
):
    settings.EMAIL_BACKEND = "notifications.mail_backend.EmlFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    settings.SITE_URL = live_server.url
    _leipzig, asker = _member("Leipzig", "Lea Fragner")
    jena, answerer = _member("Jena", "Jan Antwort")
    journey = Journey(browser_page, "exchange", live_server.url)
    page = browser_page

    # Leipzig asks the network.
    _log_in(journey, asker)
    page.get_by_role("link", name="Forum").first.click()
    page.wait_for_url("**/austausch/forum/")
    journey.step("forum")
    form = page.locator("section[aria-labelledby=new-heading] form")
    form.get_by_label("Titel").fill("Wie startet man ein Jugendbudget?")
    form.get_by_label("Thema").select_option("youth-school")
    form.get_by_label("Frage").check()
    form.locator("textarea[name=body]").fill("Wir planen ein **Jugendbudget** an Schulen.")
    form.get_by_role("button", name="Thema eröffnen").click()
    page.wait_for_url("**/austausch/forum/*/")
    thread = Thread.objects.get()
    assert "Jugendbudget" in page.inner_text("main")
    journey.step("question asked")
    _log_out(journey)

    # Jena answers.
    _log_in(journey, answerer, path=f"/austausch/forum/{thread.pk}/")
    page.wait_for_url(f"**/austausch/forum/{thread.pk}/**")
    page.get_by_label("Ihre Antwort").fill("Fangen Sie mit einer Schule und 5.000 Euro an.")
    page.get_by_role("button", name="Antwort senden").click()
    assert "5.000 Euro" in page.inner_text("main")
    journey.step("answered")
    _log_out(journey)

    # Leipzig hears of the answer from the e-mail, thanks, Jena hears of the follow-up.
    answer_link = link_from_eml(tmp_path, asker.email, f"/austausch/forum/{thread.pk}/")
    _log_in(journey, asker, path=answer_link)
    assert "5.000 Euro" in page.inner_text("main")
    page.get_by_label("Ihre Antwort").fill("Danke, genau das hilft uns!")
    page.get_by_role("button", name="Antwort senden").click()
    journey.step("follow-up")
    follow_up = link_from_eml(tmp_path, answerer.email, f"/austausch/forum/{thread.pk}/")
    assert f"/austausch/forum/{thread.pk}/" in follow_up

    # The asker marks the answer solved.
    page.get_by_role("button", name="Als Lösung markieren").first.click()
    page.wait_for_load_state()
    thread.refresh_from_db()
    assert thread.solved_post_id is not None
    assert "Fangen Sie mit einer Schule" in thread.solved_post.body
    journey.step("solved")

    # Leipzig asks Jena for contact.
    journey.go(f"/austausch/kontakte/neu/{jena.pk}/")
    journey.step("contact form")
    page.get_by_label("Ihre Nachricht").fill("Wir würden gern von Ihrem Jugendbudget lernen.")
    page.get_by_role("button", name="Kontaktanfrage senden").click()
    page.wait_for_load_state()
    request = ContactRequest.objects.get()
    assert request.status == "pending"
    journey.step("contact requested")
    _log_out(journey)

    # Jena accepts from the e-mailed link.
    accept_link = link_from_eml(tmp_path, answerer.email, f"/austausch/kontakte/{request.pk}/")
    _log_in(journey, answerer, path=accept_link)
    page.wait_for_url(f"**/austausch/kontakte/{request.pk}/")
    assert "Wir würden gern von Ihrem Jugendbudget lernen." in page.inner_text("main")
    journey.step("contact request received")
    page.get_by_role("button", name="Annehmen").click()
    page.wait_for_load_state()
    assert asker.email in page.inner_text("main")
    journey.step("accepted: Leipzig's contact")
    page.get_by_role("link", name="Meine Kontakte").first.click()
    assert asker.email in page.inner_text("main")
    _log_out(journey)

    # Leipzig sees Jena's contact too.
    _log_in(journey, asker, path="/austausch/kontakte/")
    page.wait_for_url("**/austausch/kontakte/")
    assert answerer.email in page.inner_text("main")
    journey.step("Leipzig sees Jena's contact")
    request.refresh_from_db()
    assert request.status == "accepted"


def test_coordinator_opens_a_debate_writes_news_adds_a_partner_and_a_school_contributes(
    live_server, browser_page, settings, tmp_path
):
    settings.EMAIL_BACKEND = "notifications.mail_backend.EmlFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    settings.SITE_URL = live_server.url
    coordinator = factories.coordinator()
    school = factories.MunicipalityFactory(name="Gymnasium Jena", kind="school")
    pupil_council = factories.staff_for(school)
    get_user_model().objects.filter(pk=pupil_council.pk).update(
        email="sv@gymnasium-jena.example", date_joined=timezone.now() - dt.timedelta(days=60)
    )
    pupil_council.refresh_from_db()
    factories.ResourceFactory(title_de="Leitfaden Schulbudget")
    journey = Journey(browser_page, "exchange-debate", live_server.url)
    page = browser_page
    local = timezone.localtime()

    _log_in(journey, coordinator)
    page.get_by_role("link", name="Debatten").first.click()
    page.get_by_role("link", name="Neue Debatte eröffnen").click()
    journey.step("debate form")
    page.get_by_label("Titel (Deutsch)").fill("Jugendbudgets an Schulen")
    page.get_by_label("Titel (Englisch)").fill("Youth budgets at schools")
    page.get_by_label("Beschreibung (Deutsch)").fill("Wie gelingt ein **Schulbudget**?")
    page.locator("select[name=topic]").select_option("youth-school")
    start, end = local - dt.timedelta(hours=1), local + dt.timedelta(days=28)
    page.get_by_label("Beginn").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Ende").fill(end.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Schule oder Schüler*innenvertretung").check()
    page.get_by_label("Leitfaden Schulbudget").check()
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_url("**/austausch/debatten/*/")
    assert "Leitfaden Schulbudget" in page.inner_text("main")
    journey.step("debate opened")

    journey.go("/austausch/neuigkeiten/neu/")
    page.get_by_label("Titel (Deutsch)").fill("Debatte eröffnet")
    page.get_by_label("Text (Deutsch)").fill("Schulen sind **eingeladen**.")
    page.get_by_label("Veröffentlichen am").fill(local.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_url("**/austausch/neuigkeiten/*/")
    journey.step("news written")

    journey.go("/austausch/netzwerke/neu/")
    page.get_by_label("Name").fill("People Powered")
    page.get_by_label("Adresse").fill("https://www.peoplepowered.org/")
    page.get_by_label("Beschreibung (Deutsch)").fill("Globales Netzwerk für Bürgerhaushalte.")
    page.get_by_label("Was es bietet (Deutsch)").fill("Leitfäden und Webinare.")
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_url("**/austausch/netzwerke/")
    journey.step("partner added")
    _log_out(journey)

    # The school's staff got the invitation and contributes from its link.
    invitation = link_from_eml(tmp_path, pupil_council.email, "/austausch/debatten/")
    _log_in(journey, pupil_council, path=invitation)
    page.wait_for_url("**/austausch/debatten/*/")
    page.get_by_label("Ihr Beitrag").fill("Unsere SV entscheidet über 2.000 Euro im Jahr.")
    page.get_by_role("button", name="Beitrag senden").click()
    assert "2.000 Euro" in page.inner_text("main")
    journey.step("school contributed")
    _log_out(journey)

    journey.go("/austausch/neuigkeiten/")
    assert "Debatte eröffnet" in page.inner_text("main")
    journey.step("news public")
    journey.go("/austausch/netzwerke/")
    assert "Leitfäden und Webinare." in page.inner_text("main")
    journey.step("partners public")
