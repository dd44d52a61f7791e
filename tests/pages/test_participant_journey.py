"""Journey 3 in a real browser: a participant (no account) registers for a workshop on a phone."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from events.models import Event, EventSession, Registration
from notifications.models import Notification
from tests.pages.browser import Journey

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]
PHONE = {"width": 390, "height": 844}


def published_workshop(*, capacity: int) -> Event:
    now = timezone.now()
    event = Event.objects.create(
        kind=Event.Kind.WORKSHOP,
        title_de="Werkstatt Jugendbudget",
        title_en="Youth budget workshop",
        description_de="Wie Jugendliche über ein eigenes Budget entscheiden.",
        place="Leipzig, Neues Rathaus",
        capacity=capacity,
        registration_opens=now - dt.timedelta(days=1),
        registration_closes=now + dt.timedelta(days=20),
        status=Event.Status.PUBLISHED,
    )
    start = now + dt.timedelta(days=30)
    EventSession.objects.create(event=event, start=start, end=start + dt.timedelta(hours=3))
    return event


def self_service_path(email: str) -> str:
    """The link the participant got by e-mail (the outbox row's text), as a path."""
    body = Notification.objects.filter(recipient=email).latest("id").body_text
    return re.search(r"https?://[^/\s]+(/registrations/[^/\s]+/)", body).group(1)


def register(journey: Journey, event: Event, *, name: str, email: str, shot: str) -> None:
    page = journey.page
    journey.go(f"/veranstaltungen/{event.pk}/")
    page.get_by_label("Name", exact=False).first.fill(name)
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Kommune (freiwillig)").fill("Musterstadt")
    page.get_by_label("Ich bin einverstanden", exact=False).check()
    page.get_by_role("button", name="Verbindlich anmelden").click()
    page.wait_for_load_state()
    journey.step(shot)


@pytest.mark.parametrize("browser_page", [PHONE], indirect=True)
def test_participant_registers_confirms_downloads_ics_and_cancels(live_server, browser_page):
    event = published_workshop(capacity=1)
    journey = Journey(browser_page, "participant", live_server.url)
    page = browser_page

    journey.go("/veranstaltungen/")
    assert page.get_by_role("link", name="Werkstatt Jugendbudget").is_visible()
    assert "Noch 1 Platz frei" in page.inner_text("main")
    journey.step("upcoming events")

    page.get_by_role("link", name="Werkstatt Jugendbudget").click()
    page.get_by_role("button", name="Verbindlich anmelden").click()  # empty: errors inline
    assert page.locator("#id_name_errors").is_visible()
    assert page.locator("#id_consent_errors").is_visible()
    page.get_by_label("E-Mail-Adresse").fill("not-an-address")
    page.get_by_role("button", name="Verbindlich anmelden").click()
    assert page.get_by_label("E-Mail-Adresse").input_value() == "not-an-address"
    assert page.locator("#id_email_errors").is_visible()
    journey.step("form errors next to fields")

    register(journey, event, name="Alex Muster", email="alex@example.org", shot="registered")
    # The page answers the same for every address (issue 16); the e-mail says what was reserved.
    assert "Wir haben eine E-Mail an alex@example.org geschickt" in page.inner_text("main")
    first_mail = Notification.objects.filter(recipient="alex@example.org").earliest("id")
    assert "Platz" in first_mail.body_text and "reserviert" in first_mail.body_text

    journey.go(self_service_path("alex@example.org"))
    assert "noch nicht bestätigt" in page.inner_text("#registration-status")
    journey.step("e-mail link opened")
    page.get_by_role("button", name="Anmeldung bestätigen").click()
    assert "bestätigt" in page.inner_text("#registration-status")
    journey.step("confirmed")

    with page.expect_download() as download:
        page.get_by_role("link", name="Termin für den Kalender herunterladen (.ics)").click()
    ics = download.value.path().read_text().replace("\r\n ", "").replace("\n ", "")
    assert "METHOD:REQUEST" in ics and "SUMMARY:Werkstatt Jugendbudget" in ics

    # A second participant finds the workshop full and queues on the waiting list.
    register(journey, event, name="Kim Beispiel", email="kim@example.org", shot="waiting list")
    assert "Wir haben eine E-Mail an kim@example.org geschickt" in page.inner_text("main")
    kim_mail = Notification.objects.filter(recipient="kim@example.org").earliest("id")
    assert "Warteliste" in kim_mail.body_text and "1" in kim_mail.body_text
    kim = self_service_path("kim@example.org")
    journey.go(kim)
    page.get_by_role("button", name="Anmeldung bestätigen").click()
    assert "Warteliste, Platz 1" in page.inner_text("#registration-status")
    journey.step("waitlisted with position")

    journey.go(self_service_path("alex@example.org"))
    page.get_by_role("button", name="Anmeldung stornieren").click()
    assert "storniert" in page.inner_text("#registration-status")
    journey.step("cancelled via link")

    journey.go(kim)
    assert "bestätigt" in page.inner_text("#registration-status")
    assert Registration.objects.get(email="kim@example.org").status == "confirmed"
    journey.step("moved up from waiting list")
