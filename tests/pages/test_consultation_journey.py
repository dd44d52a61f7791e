"""The consultation journey of issue 18 in a real browser: the expert follows the e-mailed
request to the booking page, reads what the municipality needs, proposes two other times; the
municipality accepts one from its page; both get the updated invitation (read from the
delivered .eml files), the other time is free again; they write a message each way, each
following the other's e-mail. axe-core checks every page against every rule; nobody opens
/admin/."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import icalendar
import pytest
from django.core.cache import cache
from django.utils import timezone

from bookings import selectors, services
from bookings.models import ConsultationBooking
from tests import factories
from tests.ics_rules import assert_valid_invitation
from tests.pages.browser import ANY_IMPACT, Journey
from tests.pages.test_joining_journey import delivered, link_from_eml
from tests.pages.test_staff_journey import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]

NOTES = "Bitte mit Blick auf die Schulen und die Schülervertretungen."


def attached_invitations(folder: Path, recipient: str) -> list[icalendar.Calendar]:
    """The invite.ics attachments of the messages to ``recipient``, each a valid iTIP REQUEST
    (the attachment, not the inline text/calendar part: it proves the file is really there)."""
    invitations = []
    for message in delivered(folder, recipient):
        for part in message.iter_attachments():
            if part.get_filename() == "invite.ics":
                assert part.get_content_type() == "application/ics"
                data = part.get_payload(decode=True)
                invitations.append(assert_valid_invitation(data, method="REQUEST"))
    return invitations


def event_of(calendar: icalendar.Calendar) -> icalendar.Event:
    (event,) = calendar.walk("VEVENT")
    return event


def free_starts(page, base_url: str, expert_id: int, around: dt.datetime) -> set[dt.datetime]:  # type: ignore[no-untyped-def]
    """The expert's free starts on ``around``'s day, read from the slots API with the
    browser's session (the municipality's view)."""
    day = timezone.localtime(around).replace(hour=0, minute=0, second=0, microsecond=0)
    response = page.request.get(
        f"{base_url}/api/v1/experts/{expert_id}/slots/",
        params={
            "from": day.isoformat(),
            "to": (day + dt.timedelta(days=1)).isoformat(),
            "duration": "60",
        },
    )
    assert response.status == 200, response.text()
    return {dt.datetime.fromisoformat(slot["start"]) for slot in response.json()["results"]}


def write(journey: Journey, booking_id: int, text: str) -> None:
    """Send a message with the booking page's form; it shows in the thread."""
    page = journey.page
    page.get_by_label("Ihre Nachricht").fill(text)
    page.get_by_role("button", name="Nachricht senden").click()
    page.wait_for_url(f"**/termine/{booking_id}/#messages")
    assert text in page.locator("#messages ol").inner_text()


def open_from_mail(journey: Journey, folder: Path, address: str, username: str, text: str) -> None:
    """``address`` got exactly one message e-mail, saying ``text``; its owner logs in and
    follows its link to the thread, where ``text`` shows."""
    (mail,) = [m for m in delivered(folder, address) if m["Subject"].startswith("Nachricht")]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert text in body
    (link,) = re.findall(rf"{re.escape(journey.base_url)}(/termine/\d+/)", body)
    log_in(journey, username)
    journey.go(link)
    assert text in journey.page.locator("#messages ol").inner_text()


def test_expert_proposes_municipality_accepts_both_invited_and_they_write(
    live_server, browser_page, settings, tmp_path
):
    settings.EMAIL_BACKEND = "notifications.mail_backend.EmlFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    settings.SITE_URL = live_server.url
    cache.clear()  # the message flood limit counts in the cache
    municipality = factories.MunicipalityFactory(name="Musterstadt", population=60_000)
    staff = factories.staff_for(municipality)
    expert = factories.ExpertProfileFactory(
        display_name="Dr. Jana Beispiel", levels={"youth-school": 3, "public-relations": 2}
    )
    consultation = factories.RequestFactory(
        plan=factories.PlanFactory(municipality=municipality, title="Jugendbudget Musterstadt"),
        notes=NOTES,
        needs={"youth-school": 3, "public-relations": 1},
    )
    now = timezone.now()
    first_free = selectors.free_slots_for(
        expert,
        start=now + dt.timedelta(days=3),
        end=now + dt.timedelta(days=10),
        duration=60,
        now=now,
    )[0].start
    booking = services.book(
        actor=staff,
        request_id=consultation.pk,
        expert_id=expert.pk,
        start=first_free,
        duration_minutes=60,
    )
    assert booking.status == ConsultationBooking.Status.REQUESTED
    (first_invitation,) = attached_invitations(tmp_path, expert.email)
    assert first_invitation["METHOD"] == "REQUEST"
    first_uid = str(event_of(first_invitation)["UID"])
    first_sequence = int(event_of(first_invitation)["SEQUENCE"])
    journey = Journey(browser_page, "consultation", live_server.url)
    page = browser_page

    # The expert follows the new request's e-mail and reads what the municipality needs.
    request_link = link_from_eml(tmp_path, expert.email, f"/termine/{booking.pk}/")
    log_in(journey, expert.user.username)
    journey.go(request_link)
    summary = page.locator("section.request-summary").inner_text()
    assert "Kinder-, Jugend- und Schulbeteiligung" in summary
    assert "Öffentlichkeitsarbeit" in summary
    assert NOTES in summary
    assert "Jugendbudget Musterstadt" in summary
    journey.step("booking page with the request", impacts=ANY_IMPACT)

    # Two other times on two other days, picked by their labels.
    boxes = page.locator("input[name='propose-starts']")
    choices = [
        dt.datetime.fromisoformat(value)
        for value in boxes.evaluate_all("inputs => inputs.map(i => i.value)")
    ]
    booked_day = timezone.localtime(first_free).date()
    by_day: dict[dt.date, dt.datetime] = {}
    for start in choices:
        if timezone.localtime(start).date() != booked_day:
            by_day.setdefault(timezone.localtime(start).date(), start)
    freed, accepted = sorted(by_day.values())[:2]
    labels = {}
    for start in (freed, accepted):
        box_id = f"propose-{int(start.timestamp())}"
        labels[start] = page.locator(f"label[for='{box_id}']").inner_text()
        page.get_by_label(labels[start], exact=True).check()
    page.get_by_label("Anmerkung für die Kommune (freiwillig)").fill(
        "Am Vormittag habe ich mehr Zeit für Ihre Fragen."
    )
    page.get_by_role("button", name="Termine vorschlagen").click()
    page.wait_for_url(f"**/termine/{booking.pk}/#proposal")
    assert "Ihr Vorschlag ist an die Kommune gesendet" in page.inner_text("main")
    assert page.locator("ul.proposal-list li").count() == 2
    journey.step("two times proposed", impacts=ANY_IMPACT)

    # The municipality follows the proposal's e-mail; the proposed times are held for it.
    page.context.clear_cookies()
    proposal_link = link_from_eml(tmp_path, staff.email, f"/termine/{booking.pk}/")
    log_in(journey, staff.username)
    journey.go(proposal_link)
    section = page.locator("#proposal")
    assert "Terminvorschlag der Expert*in" in section.inner_text()
    assert "Am Vormittag habe ich mehr Zeit für Ihre Fragen." in section.inner_text()
    assert section.get_by_role("button", name="Diesen Termin annehmen").count() == 2
    for start in (freed, accepted):
        assert start not in free_starts(page, live_server.url, expert.pk, start)
    journey.step("proposal seen by the municipality", impacts=ANY_IMPACT)

    # The button names its time: "Diesen Termin annehmen (Fr, …)".
    name = re.compile(rf"^Diesen Termin annehmen \({re.escape(labels[accepted])}\)$")
    section.get_by_role("button", name=name).click()
    page.wait_for_url(f"**/termine/{booking.pk}/")
    assert "Der neue Termin ist bestätigt" in page.inner_text("main")
    assert "bestätigt" in page.inner_text("#booking-status")
    assert page.locator("#proposal").count() == 0  # nothing open any more
    journey.step("proposal accepted", impacts=ANY_IMPACT)

    booking.refresh_from_db()
    assert booking.status == ConsultationBooking.Status.CONFIRMED
    assert booking.start == accepted
    assert booking.end == accepted + dt.timedelta(minutes=60)
    # Both sides get the updated invitation: same UID, higher SEQUENCE, the new time.
    for address in (expert.email, staff.email):
        invitations = attached_invitations(tmp_path, address)
        assert len(invitations) == 2, address
        latest = max(invitations, key=lambda calendar: int(event_of(calendar)["SEQUENCE"]))
        event = event_of(latest)
        assert latest["METHOD"] == "REQUEST"
        assert str(event["UID"]) == first_uid
        assert int(event["SEQUENCE"]) > first_sequence
        assert event.decoded("DTSTART") == accepted
        assert str(event["STATUS"]) == "CONFIRMED"
        attendees = {str(a).lower().removeprefix("mailto:") for a in event.get("ATTENDEE")}
        assert {expert.email, staff.email} <= attendees
    # The other proposed time is free again, for the API and on the page's reschedule form.
    assert freed in free_starts(page, live_server.url, expert.pk, freed)
    assert accepted not in free_starts(page, live_server.url, expert.pk, accepted)
    assert page.locator(f"#re-{int(freed.timestamp())}").count() == 1

    # A message each way; each side follows the other's e-mail to the page and reads it.
    question = "Sollen wir die Schülervertretung zur Beratung einladen?"
    write(journey, booking.pk, question)
    journey.step("municipality wrote", impacts=ANY_IMPACT)
    page.context.clear_cookies()
    open_from_mail(journey, tmp_path, expert.email, expert.user.username, question)
    answer = "Ja, gern – zwei Schüler*innen wären ideal."
    write(journey, booking.pk, answer)
    assert page.locator("#messages ol > li").count() == 2
    journey.step("expert answered", impacts=ANY_IMPACT)
    page.context.clear_cookies()
    open_from_mail(journey, tmp_path, staff.email, staff.username, answer)
    assert question in page.locator("#messages ol").inner_text()
    journey.step("municipality reads the answer", impacts=ANY_IMPACT)

    assert journey.steps == 7
    assert not [url for url in journey.requested if "/admin/" in url]
