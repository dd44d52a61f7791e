"""The back office in a real browser (axe-checked at every step, no page of /admin/): create an
event with two sessions, publish, two people register and confirm from their e-mails, move the
second session (updated invitations), export, cancel with a reason (CANCELs), and send a library
submission back with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from events.models import Event
from notifications.models import Notification
from tests import factories
from tests.pages.browser import Journey
from tests.pages.test_participant_journey import register, self_service_path
from tests.pages.test_staff_journey import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def _local(value):  # type: ignore[no-untyped-def]
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def _vevent(row: Notification):  # type: ignore[no-untyped-def]
    return Calendar.from_ical(row.ics).walk("VEVENT")[0]


def test_coordinator_runs_an_event_and_the_library_review_from_the_back_office(
    live_server, browser_page
):
    coordinator = factories.coordinator()
    submitter = factories.staff_for(factories.MunicipalityFactory())
    submitter.email = "einreichend@example.org"
    submitter.save()
    factories.ResourceFactory(
        title_de="Unser Jugendbudget", status="in_review", submitted_by=submitter, body="Text"
    )
    journey = Journey(browser_page, "backoffice", live_server.url)
    page = browser_page
    day = (timezone.localtime() + timedelta(days=20)).replace(hour=10, minute=0)

    log_in(journey, coordinator.username)
    journey.go("/koordination/veranstaltungen/neu/")
    journey.step("new event form")
    page.get_by_label("Art").select_option("workshop")
    page.get_by_label("Titel (deutsch)").fill("Werkstatt Beteiligung")
    page.get_by_label("Plätze").fill("10")
    page.get_by_label("Anmeldung ab").fill(_local(timezone.now() - timedelta(days=1)))
    page.get_by_label("Anmeldung bis").fill(_local(day - timedelta(days=2)))
    page.get_by_label("Ort", exact=True).fill("Rathaus")
    page.locator("#id_sessions-0-start").fill(_local(day))
    page.locator("#id_sessions-0-end").fill(_local(day + timedelta(hours=2)))
    page.get_by_role("button", name="Weiteren Termin hinzufügen").click()
    page.locator("#id_sessions-1-start").fill(_local(day + timedelta(days=7)))
    page.locator("#id_sessions-1-end").fill(_local(day + timedelta(days=7, hours=2)))
    page.get_by_role("button", name="Als Entwurf anlegen").click()
    assert "Der Entwurf ist angelegt" in page.inner_text("main")
    event = Event.objects.get(title_de="Werkstatt Beteiligung")
    assert event.sessions.count() == 2
    page.get_by_role("button", name="Veröffentlichen").click()
    assert "veröffentlicht" in page.inner_text("main")
    journey.step("published")

    for name, email in (("Alex Muster", "alex@example.org"), ("Kim Beispiel", "kim@example.org")):
        register(journey, event, name=name, email=email, shot=f"{name} registered")
        journey.go(self_service_path(email))
        page.get_by_role("button", name="Anmeldung bestätigen").click()
    invitations = Notification.objects.filter(ics_method="REQUEST")
    uids_before = {str(_vevent(n)["UID"]) for n in invitations}
    sequence_before = max(int(_vevent(n)["SEQUENCE"]) for n in invitations)

    journey.go(f"/koordination/veranstaltungen/{event.pk}/")
    page.locator("#id_sessions-1-start").fill(_local(day + timedelta(days=8)))
    page.locator("#id_sessions-1-end").fill(_local(day + timedelta(days=8, hours=2)))
    page.get_by_role("button", name="Änderungen speichern").click()
    assert "Die Änderungen sind gespeichert" in page.inner_text("main")
    journey.step("second session moved")
    updates = Notification.objects.filter(kind="event.event_update", ics_method="REQUEST")
    assert {n.recipient for n in updates} >= {"alex@example.org", "kim@example.org"}
    assert {str(_vevent(n)["UID"]) for n in updates} <= uids_before  # the same entries
    assert all(int(_vevent(n)["SEQUENCE"]) > sequence_before for n in updates)

    page.get_by_role("link", name="Teilnehmende", exact=True).click()
    assert "Kim Beispiel" in page.inner_text("main")
    journey.step("participants")
    with page.expect_download() as download:
        page.get_by_role("link", name="Liste als CSV").click()
    assert "alex@example.org" in download.value.path().read_text(encoding="utf-8-sig")

    journey.go(f"/koordination/veranstaltungen/{event.pk}/")
    page.get_by_label("Grund der Absage").fill("Die Referentin ist erkrankt.")
    page.get_by_role("button", name="Veranstaltung absagen und alle benachrichtigen").click()
    assert "abgesagt" in page.inner_text("main")
    journey.step("cancelled")
    cancels = Notification.objects.filter(kind="event.event_cancelled", ics_method="CANCEL")
    assert {n.recipient for n in cancels} == {"alex@example.org", "kim@example.org"}
    assert all("Die Referentin ist erkrankt." in n.body_text for n in cancels)

    journey.go("/koordination/bibliothek/")
    journey.step("library review queue")
    page.get_by_label("Was fehlt noch?", exact=False).fill("Bitte die Quelle ergänzen.")
    page.get_by_role("button", name="Mit Begründung zurückschicken").click()
    assert "Zurückgeschickt" in page.inner_text("main")
    journey.step("sent back")
    notice = Notification.objects.get(recipient="einreichend@example.org")
    assert "Bitte die Quelle ergänzen." in notice.body_text
    assert not any("/admin/" in url for url in journey.checked)
