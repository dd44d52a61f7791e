"""The back office's event pages: who may open them, query counts, writes through the services
(SEQUENCE, CANCEL rows), exports formula-safe, certificates only for attendees."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from events.models import Event, EventSession, Registration
from notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db


def _confirmed(event, n, *, prefix="p", attended=None):  # type: ignore[no-untyped-def]
    now = timezone.now()
    return Registration.objects.bulk_create(
        [
            Registration(
                event=event,
                name=f"{prefix} {i}",
                email=f"{prefix}{i}@example.org",
                status=Registration.Status.CONFIRMED,
                holds_seat=True,
                consent_at=now,
                confirmed_at=now,
                attended=attended,
            )
            for i in range(n)
        ]
    )


def _waiting(event, n, *, prefix="w"):  # type: ignore[no-untyped-def]
    now = timezone.now()
    return Registration.objects.bulk_create(
        [
            Registration(
                event=event,
                name=f"{prefix} {i}",
                email=f"{prefix}{i}@example.org",
                status=Registration.Status.WAITLISTED,
                holds_seat=False,
                consent_at=now,
                confirmed_at=now,
            )
            for i in range(n)
        ]
    )


def _local(value):  # type: ignore[no-untyped-def]
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def _form_data(event, sessions):  # type: ignore[no-untyped-def]
    data = {
        "kind": event.kind,
        "title_de": event.title_de,
        "title_en": event.title_en,
        "description_de": event.description_de,
        "description_en": "",
        "target_audience": "",
        "place": event.place,
        "address": event.address,
        "online_url": "",
        "capacity": str(event.capacity),
        "registration_opens": _local(event.registration_opens),
        "registration_closes": _local(event.registration_closes),
        "sessions-TOTAL_FORMS": str(len(sessions)),
        "sessions-INITIAL_FORMS": "0",
        "sessions-MIN_NUM_FORMS": "0",
        "sessions-MAX_NUM_FORMS": "50",
    }
    for i, (start, end) in enumerate(sessions):
        data[f"sessions-{i}-start"] = _local(start)
        data[f"sessions-{i}-end"] = _local(end)
    return data


def _pages(event, registration):  # type: ignore[no-untyped-def]
    base = f"/koordination/veranstaltungen/{event.pk}"
    return [
        "/koordination/veranstaltungen/",
        "/koordination/veranstaltungen/neu/",
        f"{base}/",
        f"{base}/teilnehmende/",
        f"{base}/anwesenheit/",
        f"{base}/teilnehmende.csv",
        f"{base}/teilnehmende.xlsx",
        f"{base}/teilnehmende/{registration.pk}/bescheinigung.pdf",
    ]


def _posts(event, registration):  # type: ignore[no-untyped-def]
    base = f"/koordination/veranstaltungen/{event.pk}"
    return [
        f"{base}/veroeffentlichen/",
        f"{base}/absagen/",
        f"{base}/kopieren/",
        f"{base}/nachricht/",
        f"{base}/teilnehmende/{registration.pk}/entfernen/",
        f"{base}/teilnehmende/{registration.pk}/nachruecken/",
    ]


def test_every_event_page_and_export_is_404_for_outsiders(outsider_client):
    event = factories.EventFactory()
    (registration,) = _confirmed(event, 1, attended=True)
    for url in _pages(event, registration):
        assert outsider_client.get(url).status_code == 404, url
    for url in _posts(event, registration):
        assert outsider_client.post(url, {"reason": "x"}).status_code == 404, url
    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED


def test_every_event_page_opens_for_a_coordinator(coordinator_client):
    event = factories.EventFactory()
    (registration,) = _confirmed(event, 1, attended=True)
    for url in _pages(event, registration):
        assert coordinator_client.get(url).status_code == 200, url


def test_event_list_query_count_is_constant(coordinator_client, django_assert_max_num_queries):
    event = factories.EventFactory()
    _confirmed(event, 3)
    with django_assert_max_num_queries(20) as few:
        coordinator_client.get("/koordination/veranstaltungen/")
    for _ in range(12):
        _confirmed(factories.EventFactory(), 3, prefix="x" + str(_))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = coordinator_client.get("/koordination/veranstaltungen/")
    assert len(page.context["events"]) == 13


def test_participant_list_query_count_is_constant(
    coordinator_client, django_assert_max_num_queries
):
    event = factories.EventFactory(capacity=2)
    _confirmed(event, 2)
    _waiting(event, 1)
    url = f"/koordination/veranstaltungen/{event.pk}/teilnehmende/"
    with django_assert_max_num_queries(20) as few:
        coordinator_client.get(url)
    _waiting(event, 30, prefix="more")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = coordinator_client.get(url)
    assert len(page.context["registrations"]) == 33


def test_creating_an_event_with_two_sessions_makes_a_draft(coordinator_client, coordinator):
    day = timezone.now() + timedelta(days=20)
    template = factories.EventFactory.build(
        sessions=[],
        title_de="Neu angelegt",
        registration_opens=timezone.now().replace(second=0, microsecond=0),
        registration_closes=(day - timedelta(days=2)).replace(second=0, microsecond=0),
    )
    sessions = [
        (
            day.replace(second=0, microsecond=0),
            (day + timedelta(hours=2)).replace(second=0, microsecond=0),
        ),
        (
            (day + timedelta(days=1)).replace(second=0, microsecond=0),
            (day + timedelta(days=1, hours=2)).replace(second=0, microsecond=0),
        ),
    ]
    response = coordinator_client.post(
        "/koordination/veranstaltungen/neu/", _form_data(template, sessions)
    )
    event = Event.objects.get(title_de="Neu angelegt")
    assert response.status_code == 302
    assert event.status == Event.Status.DRAFT
    assert event.sessions.count() == 2


def test_adding_a_session_row_works_without_javascript(coordinator_client):
    template = factories.EventFactory.build(
        sessions=[],
    )
    day = timezone.now() + timedelta(days=20)
    data = _form_data(template, [(day, day + timedelta(hours=1))]) | {"add_session": "1"}
    page = coordinator_client.post("/koordination/veranstaltungen/neu/", data)
    assert page.status_code == 200
    assert len(page.context["formset"].forms) == 2
    assert not Event.objects.filter(title_de=template.title_de).exists()


def test_invalid_event_shows_errors_next_to_the_fields(coordinator_client):
    template = factories.EventFactory.build(sessions=[], title_de="Falsches Fenster")
    day = timezone.now() + timedelta(days=5)
    template.registration_closes = day + timedelta(days=3)  # after the first session
    page = coordinator_client.post(
        "/koordination/veranstaltungen/neu/",
        _form_data(template, [(day, day + timedelta(hours=1))]),
    )
    assert page.status_code == 200
    assert "registration_closes" in page.context["form"].errors
    assert 'id="id_registration_closes_error"' in page.content.decode()


def test_moving_a_session_from_the_page_raises_sequence_and_tells_every_participant(
    coordinator_client,
):
    event = factories.EventFactory()
    participants = _confirmed(event, 2)
    moved = [
        (s.start + timedelta(days=1), s.end + timedelta(days=1))
        for s in EventSession.objects.filter(event=event)
    ]
    response = coordinator_client.post(
        f"/koordination/veranstaltungen/{event.pk}/", _form_data(event, moved)
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.sequence == 1
    updates = Notification.objects.filter(kind="event.event_update", ics_method="REQUEST")
    assert {n.recipient for n in updates} == {p.email for p in participants}


def test_cancelling_from_the_page_writes_a_cancel_per_participant(coordinator_client):
    event = factories.EventFactory()
    participants = _confirmed(event, 2)
    response = coordinator_client.post(
        f"/koordination/veranstaltungen/{event.pk}/absagen/", {"reason": "Referentin erkrankt"}
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED
    cancels = Notification.objects.filter(kind="event.event_cancelled", ics_method="CANCEL")
    assert {n.recipient for n in cancels} == {p.email for p in participants}
    assert all("Referentin erkrankt" in n.body_text for n in cancels)


def test_cancelling_needs_a_reason(coordinator_client):
    event = factories.EventFactory()
    coordinator_client.post(f"/koordination/veranstaltungen/{event.pk}/absagen/", {"reason": ""})
    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED


def test_publishing_a_draft(coordinator_client):
    event = factories.EventFactory(status="draft")
    coordinator_client.post(f"/koordination/veranstaltungen/{event.pk}/veroeffentlichen/")
    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED


def test_duplicating_makes_a_shifted_draft(coordinator_client):
    event = factories.EventFactory()
    first = event.sessions.get().start
    response = coordinator_client.post(
        f"/koordination/veranstaltungen/{event.pk}/kopieren/", {"shift_days": "7"}
    )
    copy = Event.objects.exclude(pk=event.pk).get()
    assert response.status_code == 302
    assert copy.status == Event.Status.DRAFT
    assert copy.title_de == event.title_de
    assert copy.sessions.get().start == first + timedelta(days=7)
    assert copy.uid != event.uid


def test_adding_and_removing_a_participant(coordinator_client):
    event = factories.EventFactory()
    url = f"/koordination/veranstaltungen/{event.pk}/teilnehmende/"
    coordinator_client.post(
        url, {"name": "Hand Eingetragen", "email": "hand@example.org", "language": "de"}
    )
    registration = Registration.objects.get(email="hand@example.org")
    assert registration.status == Registration.Status.CONFIRMED
    coordinator_client.post(f"{url}{registration.pk}/entfernen/")
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED


def test_moving_someone_up_skips_the_line_and_adds_a_seat_when_full(coordinator_client):
    event = factories.EventFactory(capacity=1)
    _confirmed(event, 1)
    first, second = _waiting(event, 2)
    coordinator_client.post(
        f"/koordination/veranstaltungen/{event.pk}/teilnehmende/{second.pk}/nachruecken/"
    )
    second.refresh_from_db()
    first.refresh_from_db()
    event.refresh_from_db()
    assert second.status == Registration.Status.CONFIRMED and second.holds_seat
    assert first.status == Registration.Status.WAITLISTED
    assert event.capacity == 2
    assert Notification.objects.filter(
        kind="event.registration_promoted", recipient=second.email
    ).exists()


def test_attendance_is_one_post_per_person_and_the_search_filters(coordinator_client):
    start = timezone.now() - timedelta(hours=1)
    event = factories.EventFactory(
        registration_opens=start - timedelta(days=3),
        registration_closes=start - timedelta(days=1),
        sessions=[(start, start + timedelta(hours=3))],
    )
    anna, bert = Registration.objects.bulk_create(
        [
            Registration(
                event=event,
                name=name,
                email=f"{name}@example.org",
                status="confirmed",
                holds_seat=True,
                consent_at=start,
                confirmed_at=start,
            )
            for name in ("Anna", "Bert")
        ]
    )
    url = f"/koordination/veranstaltungen/{event.pk}/anwesenheit/"
    page = coordinator_client.get(url, {"q": "ann"}).content.decode()
    assert "Anna" in page and "Bert" not in page
    assert "min-height: 48px" in page
    coordinator_client.post(url, {"registration": anna.pk, "attended": "yes"})
    anna.refresh_from_db()
    bert.refresh_from_db()
    assert anna.attended is True and bert.attended is None


def test_csv_and_xlsx_exports_are_formula_safe(coordinator_client):
    event = factories.EventFactory()
    now = timezone.now()
    Registration.objects.create(
        event=event,
        name='=HYPERLINK("http://x")',
        email="f@example.org",
        status="confirmed",
        holds_seat=True,
        consent_at=now,
        confirmed_at=now,
        municipality_name="+SUM(1)",
    )
    csv_text = coordinator_client.get(
        f"/koordination/veranstaltungen/{event.pk}/teilnehmende.csv"
    ).content.decode()
    assert "'=HYPERLINK" in csv_text and "'+SUM(1)" in csv_text
    xlsx = coordinator_client.get(f"/koordination/veranstaltungen/{event.pk}/teilnehmende.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert all(cell.data_type == "s" for cell in cells if cell.value is not None)
    assert all(not str(cell.value or "").startswith(("=", "+", "-", "@")) for cell in cells)


def test_certificate_only_for_those_who_attended(coordinator_client):
    event = factories.EventFactory()
    (came,) = _confirmed(event, 1, prefix="came", attended=True)
    (absent,) = _confirmed(event, 1, prefix="absent", attended=False)
    (unknown,) = _confirmed(event, 1, prefix="unknown")
    base = f"/koordination/veranstaltungen/{event.pk}/teilnehmende"
    pdf = coordinator_client.get(f"{base}/{came.pk}/bescheinigung.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    english = coordinator_client.get(f"{base}/{came.pk}/bescheinigung.pdf?sprache=en")
    assert english.content.startswith(b"%PDF") and english.content != pdf.content
    for other in (absent, unknown):
        assert coordinator_client.get(f"{base}/{other.pk}/bescheinigung.pdf").status_code == 404


def test_message_to_the_waiting_list_goes_through_the_outbox(coordinator_client):
    event = factories.EventFactory(capacity=1)
    _confirmed(event, 1)
    waiting = _waiting(event, 2)
    coordinator_client.post(
        f"/koordination/veranstaltungen/{event.pk}/nachricht/",
        {"audience": "waitlist", "subject": "Neuigkeiten", "body": "Es gibt <b>Hoffnung</b>."},
    )
    rows = Notification.objects.filter(kind="event.message")
    assert {n.recipient for n in rows} == {w.email for w in waiting}
    assert all(n.subject == "Neuigkeiten" for n in rows)
    assert all("&lt;b&gt;" in n.body_html for n in rows)


def test_the_participant_table_is_one_form_with_a_button_per_row(coordinator_client):
    event = factories.EventFactory(capacity=1)
    _confirmed(event, 1)
    (waiting,) = _waiting(event, 1)
    url = f"/koordination/veranstaltungen/{event.pk}/teilnehmende/"
    page = coordinator_client.get(url).content.decode()
    assert f'name="move_up" value="{waiting.pk}"' in page
    coordinator_client.post(url, {"remove": waiting.pk})
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.CANCELLED


def test_pages_speak_english(coordinator_client):
    event = factories.EventFactory()
    url = f"/koordination/veranstaltungen/{event.pk}/teilnehmende/"
    page = coordinator_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Participants" in page
    assert "Add a person" in page


def test_attendance_page_query_count_is_constant(coordinator_client, django_assert_max_num_queries):
    event = factories.EventFactory()
    _confirmed(event, 2)
    url = f"/koordination/veranstaltungen/{event.pk}/anwesenheit/"
    with django_assert_max_num_queries(15) as few:
        coordinator_client.get(url)
    _confirmed(event, 40, prefix="more")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = coordinator_client.get(url)
    assert len(page.context["registrations"]) == 42
