"""Joining in a real browser: a new municipality applies, confirms its address from the .eml,
a coordinator approves on the back-office page, the applicant sets a password from the e-mailed
link, logs in, describes a plan, asks for a consultation and books an expert's slot; nobody
opens /admin/. axe-core checks every page."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from pathlib import Path

import pytest
from django.utils import timezone

from bookings.models import ConsultationBooking
from consult.models import MembershipApplication, Municipality, Organisation, ParticipationPlan
from events.models import Registration
from notifications import delivery
from notifications.models import Notification
from tests import factories
from tests.pages.browser import Journey

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "Sonnenblume-Kiezfonds-42"


def delivered(folder: Path, recipient: str) -> list[email.message.EmailMessage]:
    """Deliver what the outbox holds as .eml files; the messages to `recipient`, oldest first."""
    delivery.sweep()
    messages = []
    for file in folder.glob("*.eml"):
        message = email.message_from_bytes(file.read_bytes(), policy=email.policy.default)
        if recipient in str(message["To"]):
            messages.append((file.stat().st_mtime_ns, message))
    return [message for _, message in sorted(messages, key=lambda pair: pair[0])]


def link_from_eml(folder: Path, recipient: str, path_part: str) -> str:
    """Deliver what the outbox holds as .eml files, then read the newest link to `path_part`
    from the plain-text part of the newest message to `recipient`."""
    messages = delivered(folder, recipient)
    assert messages, f"no .eml to {recipient}"
    text = messages[-1].get_body(preferencelist=("plain",)).get_content()
    links = [url for url in re.findall(r"https?://\S+", text) if path_part in url]
    assert links, text
    return "/" + links[-1].split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def mailbox(settings, tmp_path, live_server) -> Path:  # type: ignore[no-untyped-def]
    """Mail as .eml files in a folder of the test; links in it point at the live server."""
    settings.EMAIL_BACKEND = "notifications.mail_backend.EmlFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    settings.SITE_URL = live_server.url
    return tmp_path


def confirm_address(journey: Journey, mailbox: Path, address: str) -> None:
    """Open the double opt-in link of the .eml; only the button on its page confirms."""
    page = journey.page
    journey.go(link_from_eml(mailbox, address, "/bestaetigen/"))
    assert MembershipApplication.objects.get(email=address).status == "email_unverified"
    journey.step("confirm page")
    page.get_by_role("button", name="Adresse bestätigen").click()
    assert "Ihre Adresse ist bestätigt" in page.inner_text("main")
    assert MembershipApplication.objects.get(email=address).status == "pending"
    journey.step("confirmed")


def approve(journey: Journey, coordinator, name: str) -> None:  # type: ignore[no-untyped-def]
    """A coordinator admits the applicant on the back-office page, then logs out."""
    page = journey.page
    journey.go("/login/")
    page.get_by_label("Benutzername", exact=False).fill(coordinator.username)
    page.get_by_label("Passwort").fill("secret-pass-123")
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("link", name="Mitgliedsanträge").first.click()
    page.wait_for_url("**/koordination/mitglieder/")
    journey.step("applications")
    page.get_by_role("button", name=f"„{name}“ aufnehmen").click()
    assert "ist aufgenommen" in page.inner_text("main")
    journey.step("approved")
    page.get_by_role("button", name="Abmelden", exact=False).click()


def save_password(journey: Journey, password: str) -> None:
    page = journey.page
    page.locator("#id_password1").fill(password)
    page.locator("#id_password2").fill(password)
    page.get_by_role("button", name="Passwort speichern").click()


def log_in(journey: Journey, address: str) -> None:
    page = journey.page
    page.get_by_label("Benutzername", exact=False).fill(address)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(journey.base_url + "/")


def test_municipality_applies_is_approved_describes_a_plan_and_books_a_consultation(
    live_server, browser_page, mailbox
):
    coordinator = factories.coordinator()
    expert = factories.ExpertProfileFactory(
        display_name="Dr. Paula Prozess", levels={"procedure-design": 3}
    )
    journey = Journey(browser_page, "joining", live_server.url)
    page = browser_page

    journey.go("/")
    page.get_by_role("link", name="Mitglied werden").first.click()
    page.wait_for_url("**/mitglied-werden/")
    journey.step("join form")

    page.get_by_label("Name der Organisation oder Kommune").fill("Weimar")
    page.locator("#id_kind").select_option("stadt")
    page.get_by_label("Amtlicher Gemeindeschlüssel (AGS)").fill("99999999")
    page.get_by_label("Ihr Name").fill("Wanda Weimar")
    page.get_by_label("Ihre E-Mail-Adresse").fill("beteiligung@weimar.example")
    page.get_by_role("button", name="Antrag absenden").click()
    assert page.locator("#id_consent_errors").is_visible()
    journey.step("join errors inline")

    page.get_by_label("Ich bin einverstanden", exact=False).check()
    page.locator("#id_state").select_option("Thüringen")
    page.get_by_role("button", name="Antrag absenden").click()
    assert "kennen wir nicht" in page.inner_text("#id_ags_errors")
    journey.step("unknown AGS inline")

    page.get_by_label("Amtlicher Gemeindeschlüssel (AGS)").fill("16055000")
    page.get_by_label("Ich bin einverstanden", exact=False).check()
    page.get_by_role("button", name="Antrag absenden").click()
    page.wait_for_url("**/mitglied-werden/danke/")
    journey.step("check your mail")

    confirm_address(journey, mailbox, "beteiligung@weimar.example")
    approve(journey, coordinator, "Weimar")
    assert Municipality.objects.get(ags="16055000").kind == "stadt"

    journey.go(link_from_eml(mailbox, "beteiligung@weimar.example", "/passwort-setzen/"))
    journey.step("set password")
    save_password(journey, "12345678")
    assert page.locator("#id_password2_errors").is_visible()
    journey.step("weak password refused")
    save_password(journey, PASSWORD)
    page.wait_for_url("**/login/**")
    journey.step("password saved")

    log_in(journey, "beteiligung@weimar.example")
    page.get_by_role("link", name="Vorhaben").first.click()
    page.get_by_role("link", name="Neues Vorhaben beschreiben").click()
    page.get_by_label("Titel").fill("Bürgerhaushalt Weimar 2028")
    page.get_by_label("Verfahrensart").select_option("citizens-budget")
    page.get_by_label("Beschreibung").fill("Weimar entscheidet über 200.000 Euro.")
    page.get_by_role("button", name="Vorhaben speichern").click()
    assert "Das Vorhaben ist angelegt." in page.inner_text("main")
    journey.step("plan described")
    plan = ParticipationPlan.objects.get()
    assert plan.municipality.ags == "16055000"

    page.get_by_role("link", name="Beratung zu „Bürgerhaushalt Weimar 2028“ anfragen").click()
    journey.step("request form")
    page.get_by_label("Verfahrensgestaltung", exact=False).select_option("3")
    earliest = timezone.localdate() + dt.timedelta(days=3)
    page.get_by_label("frühestens am").fill(earliest.isoformat())
    page.get_by_label("spätestens am").fill((earliest + dt.timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Anfrage stellen und Expert*innen finden").click()
    page.wait_for_url("**/experten/")
    card = page.locator(f"#expert-{expert.pk}")
    assert "Dr. Paula Prozess" in card.inner_text()
    assert "Frühester freier Termin" in card.inner_text()
    journey.step("matches")

    card.get_by_role("link", name="Termin bei Dr. Paula Prozess wählen").click()
    card.locator("#slot-picker input[type=radio]").first.wait_for()
    journey.step("slots")
    card.locator("#slot-picker input[type=radio]").first.check()
    card.get_by_role("button", name="Diesen Termin anfragen").click()
    page.wait_for_url("**/termine/*/")
    assert "angefragt" in page.inner_text("#booking-status")
    journey.step("booking requested")
    booking = ConsultationBooking.objects.get(request__plan=plan)
    assert booking.expert == expert and booking.status == "requested"
    assert booking.created_by.email == "beteiligung@weimar.example"
    assert Notification.objects.filter(kind="booking_requested", recipient=expert.email).exists()

    page.get_by_role("link", name="Organisation").first.click()
    assert "Weimar" in page.inner_text("main")
    journey.step("organisation page")
    assert journey.requested
    assert not any("/admin/" in url for url in journey.requested)


def test_association_applies_is_approved_and_registers_for_a_seminar_with_its_data_prefilled(
    live_server, browser_page, mailbox
):
    coordinator = factories.coordinator()
    seminar = factories.EventFactory(title_de="Seminar: Jugendbeteiligung im Verein")
    journey = Journey(browser_page, "joining-association", live_server.url)
    page = browser_page
    address = "vorstand@kinderrechte.example"

    journey.go("/mitglied-werden/")
    page.get_by_label("Name der Organisation oder Kommune").fill("Kinderrechte Jena e. V.")
    page.locator("#id_kind").select_option("association")
    page.locator("#id_state").select_option("Thüringen")
    page.get_by_label("Ihr Name").fill("Vera Verein")
    page.get_by_label("Ihre E-Mail-Adresse").fill(address)
    page.get_by_label("Ich bin einverstanden", exact=False).check()
    journey.step("join form filled")
    page.get_by_role("button", name="Antrag absenden").click()
    page.wait_for_url("**/mitglied-werden/danke/")

    confirm_address(journey, mailbox, address)
    approve(journey, coordinator, "Kinderrechte Jena e. V.")
    association = Organisation.objects.get(name="Kinderrechte Jena e. V.")
    assert association.kind == "association" and association.ags == ""

    journey.go(link_from_eml(mailbox, address, "/passwort-setzen/"))
    journey.step("set password")
    save_password(journey, PASSWORD)
    page.wait_for_url("**/login/**")
    log_in(journey, address)
    navigation = page.get_by_role("navigation").first
    assert navigation.get_by_role("link", name="Organisation").is_visible()
    for municipal_only in ("Vorhaben", "Anfragen", "Termine"):
        assert navigation.get_by_role("link", name=municipal_only, exact=True).count() == 0
    journey.step("home without plans")

    page.get_by_role("link", name="Veranstaltungen").first.click()
    page.get_by_role("link", name="Seminar: Jugendbeteiligung im Verein").click()
    assert page.locator("#id_name").input_value() == "Vera Verein"
    assert page.locator("#id_email").input_value() == address
    assert page.locator("#id_municipality_name").input_value() == "Kinderrechte Jena e. V."
    journey.step("registration prefilled")
    page.get_by_label("Ich bin einverstanden", exact=False).check()
    page.get_by_role("button", name="Verbindlich anmelden").click()
    assert f"Wir haben eine E-Mail an {address} geschickt" in page.inner_text("main")
    journey.step("registration received")

    journey.go(link_from_eml(mailbox, address, "/registrations/"))
    page.get_by_role("button", name="Anmeldung bestätigen").click()
    assert "bestätigt" in page.inner_text("#registration-status")
    journey.step("registration confirmed")
    registration = Registration.objects.get(event=seminar)
    assert registration.status == "confirmed"
    assert (registration.name, registration.email) == ("Vera Verein", address)
    assert registration.municipality == association

    journey.go("/vorhaben/neu/")
    assert "nicht gefunden" in page.inner_text("main").lower()
    assert not ParticipationPlan.objects.exists()
    assert not any("/admin/" in url for url in journey.requested)
