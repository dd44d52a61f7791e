"""A consultation's message thread (issue 18): who reads and writes (invariant 4), plain text
only, the e-mail to the other side through the outbox, the flood limit, the page's form."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bookings import messages
from bookings.models import BookingMessage
from consult.models import StaffMembership
from core.preferences import set_language
from core.rate_limits import RateLimit
from notifications.models import Notification
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

SITE = "https://beratung.example.org"


@pytest.fixture(autouse=True)
def _site_and_fresh_limits(settings):  # type: ignore[no-untyped-def]
    settings.SITE_URL = SITE
    cache.clear()


@pytest.fixture
def booking(municipality, staff_user, expert):  # type: ignore[no-untyped-def]
    request = factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality))
    return factories.ConsultationBookingFactory(
        request=request, expert=expert, created_by=staff_user, status="confirmed"
    )


def url(booking) -> str:  # type: ignore[no-untyped-def]
    return f"/api/v1/bookings/{booking.pk}/messages/"


def page_client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def write(user, booking, body="Guten Tag, eine Frage vorab.") -> BookingMessage:  # type: ignore[no-untyped-def]
    return messages.post_message(actor=user, booking_id=booking.pk, body=body)


def outbox() -> dict[str, Notification]:
    return {row.recipient: row for row in Notification.objects.filter(kind="booking_message")}


# --- who reads and writes (invariant 4) -------------------------------------------------------


@pytest.mark.parametrize(
    ("writer", "role"),
    [("staff", "municipality"), ("expert", "expert"), ("coordinator", "coordinator")],
)
def test_both_sides_and_coordinators_write_and_all_three_read(
    booking, staff_user, expert, coordinator, writer, role
):
    people = {"staff": staff_user, "expert": expert.user, "coordinator": coordinator}
    response = client_for(people[writer]).post(
        url(booking), {"body": "  Wir bringen den Ratsbeschluss mit.\n"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["body"] == "Wir bringen den Ratsbeschluss mit."
    assert body["author_role"] == role
    assert body["author"] == (
        expert.display_name if writer == "expert" else people[writer].username
    )
    assert body["created_at"].endswith(("+01:00", "+02:00"))
    for reader in people.values():
        listed = client_for(reader).get(url(booking))
        assert listed.status_code == 200
        assert [m["id"] for m in listed.json()["results"]] == [body["id"]]
        assert listed.json()["results"][0].keys() == {
            "id",
            "body",
            "author",
            "author_role",
            "created_at",
        }


def test_thread_is_paginated_oldest_first(booking, staff_user, expert):
    for n in range(25):
        write(staff_user if n % 2 else expert.user, booking, f"Nachricht {n}")
    client = client_for(staff_user)
    first = client.get(url(booking)).json()
    assert first["count"] == 25 and first["next"] and first["previous"] is None
    assert [m["body"] for m in first["results"]] == [f"Nachricht {n}" for n in range(20)]
    second = client.get(first["next"]).json()
    assert [m["body"] for m in second["results"]] == [f"Nachricht {n}" for n in range(20, 25)]


@pytest.fixture
def outsiders(other_staff_user):  # type: ignore[no-untyped-def]
    """Another municipality's staff, another expert, and a plain account."""
    return {
        "other municipality": other_staff_user,
        "other expert": factories.ExpertProfileFactory().user,
        "plain account": factories.UserFactory(),
    }


@pytest.mark.parametrize("who", ["other municipality", "other expert", "plain account"])
def test_outsiders_get_404_on_read_and_write_and_nothing_is_written(
    booking, staff_user, outsiders, who
):
    write(staff_user, booking)
    client = client_for(outsiders[who])
    assert client.get(url(booking)).status_code == 404
    response = client.post(url(booking), {"body": "Hallo"}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert BookingMessage.objects.count() == 1
    assert Notification.objects.filter(kind="booking_message").count() == 1
    # On the page: the form's address is as unknown as the booking.
    page = page_client(outsiders[who]).post(
        f"/termine/{booking.pk}/nachricht/", {"message-body": "Hallo"}
    )
    assert page.status_code == 404
    assert BookingMessage.objects.count() == 1


def test_anonymous_is_refused_alike_for_a_real_and_an_unknown_booking(api, booking):
    unknown = f"/api/v1/bookings/{booking.pk + 1000}/messages/"
    for address in (url(booking), unknown):
        assert api.get(address).status_code == 401
        assert api.post(address, {"body": "Hallo"}, format="json").status_code == 401
    for pk in (booking.pk, booking.pk + 1000):
        page = Client().post(f"/termine/{pk}/nachricht/", {"message-body": "Hallo"})
        assert page.status_code == 302 and page["Location"].startswith("/login/")
    assert not BookingMessage.objects.exists()


@pytest.mark.parametrize("pk", ["0", "9223372036854775808", "99999999999999999999999"])
def test_an_id_out_of_range_is_404_not_an_error(staff_user, pk):
    client = client_for(staff_user)
    assert client.get(f"/api/v1/bookings/{pk}/messages/").status_code == 404
    response = client.post(f"/api/v1/bookings/{pk}/messages/", {"body": "x"}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize("status", ["held", "lapsed hold"])
def test_a_hold_has_no_thread(booking, staff_user, expert, status):
    if status == "held":
        booking.status, booking.hold_expires_at = "held", booking.start
    else:
        booking.status, booking.hold_expires_at = "cancelled", booking.start
    booking.save()
    # The expert never heard of it: not found.
    assert client_for(expert.user).get(url(booking)).status_code == 404
    refused = client_for(expert.user).post(url(booking), {"body": "Hallo"}, format="json")
    assert refused.status_code == 404
    # The municipality made it: nothing to read yet, and told why it cannot write.
    assert client_for(staff_user).get(url(booking)).json()["results"] == []
    response = client_for(staff_user).post(url(booking), {"body": "Hallo"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "not_announced"
    assert not BookingMessage.objects.exists() and not Notification.objects.exists()
    page = page_client(staff_user).get(f"/termine/{booking.pk}/").content.decode()
    assert 'id="messages"' not in page


@pytest.mark.parametrize("status", ["requested", "declined", "cancelled", "completed", "no_show"])
def test_every_announced_status_carries_messages(booking, staff_user, expert, status):
    booking.status = status
    booking.save()
    assert write(staff_user, booking).pk
    assert write(expert.user, booking).pk


# --- plain text, length ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("", "invalid"),
        (" \n\t \r\n ", "invalid"),
        ("x" * 4001, "too_long"),
        ("Hallo\x00Welt", "invalid"),  # DRF's own check refuses NUL before the service
        ("Hallo\x1b[31mrot", "control_characters"),
        ("Zeile\rohne Zeilenvorschub", "control_characters"),
        ("unsichtbar\u2028Umbruch", "control_characters"),
        ("C1\x85Steuerzeichen", "control_characters"),
        ("am Ende ein Trennzeichen\x1f", "control_characters"),
        ("\x0c", "control_characters"),
    ],
)
def test_empty_too_long_or_control_characters_are_400_and_nothing_is_written(
    booking, staff_user, body, code
):
    response = client_for(staff_user).post(url(booking), {"body": body}, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code
    assert response.json()["fields"]["body"]
    assert not BookingMessage.objects.exists() and not Notification.objects.exists()


@pytest.mark.parametrize("body", [None, ["a"], {"a": 1}])
def test_a_body_that_is_no_text_is_400(booking, staff_user, body):
    response = client_for(staff_user).post(url(booking), {"body": body}, format="json")
    assert response.status_code == 400
    assert "body" in response.json()["fields"]
    assert not BookingMessage.objects.exists()


def test_length_counts_after_trimming_and_line_breaks_once(booking, staff_user):
    longest = "  \r\n" + "a\r\n" * 1999 + "bb" + "\n  "
    response = client_for(staff_user).post(url(booking), {"body": longest}, format="json")
    assert response.status_code == 201, response.json()
    stored = BookingMessage.objects.get()
    assert len(stored.body) == 4000 and "\r" not in stored.body and stored.body.startswith("a\n")


# --- the e-mail to the other side ------------------------------------------------------------


def test_municipality_writes_the_expert_gets_it_in_their_language_with_the_link(
    booking, staff_user, expert
):
    set_language(expert.user, "en")
    message = write(staff_user, booking, "Können wir <b>online</b> sprechen?\nDanke!")
    rows = outbox()
    assert set(rows) == {expert.email}
    row = rows[expert.email]
    link = f"{SITE}/termine/{booking.pk}/#messages"
    assert row.language == "en"
    assert row.subject.startswith(f"Message from {staff_user.username} about the consultation")
    assert "Können wir <b>online</b> sprechen?\nDanke!" in row.body_text
    assert link in row.body_text and link in row.body_html
    assert "Können wir &lt;b&gt;online&lt;/b&gt; sprechen?<br>Danke!" in row.body_html
    assert "<b>online</b>" not in row.body_html
    assert row.dedup_key == f"booking-message:{message.pk}:{expert.email}"


def test_expert_writes_the_municipality_people_taking_part_get_it_each_in_their_language(
    booking, municipality, staff_user, expert
):
    set_language(staff_user, "en")
    write(expert.user, booking, "Ich schicke vorab eine Checkliste.")
    rows = outbox()
    # Who booked it (in English, their choice) and the municipality's contact address (in the
    # request's language); not the expert who wrote.
    assert set(rows) == {staff_user.email, municipality.contact_email}
    assert rows[staff_user.email].language == "en"
    assert rows[staff_user.email].subject.startswith(f"Message from {expert.display_name}")
    assert rows[municipality.contact_email].language == "de"
    assert rows[municipality.contact_email].subject.startswith(
        f"Nachricht von {expert.display_name} zur Beratung am"
    )
    assert "Ich schicke vorab eine Checkliste." in rows[municipality.contact_email].body_text
    assert f"{SITE}/termine/{booking.pk}/#messages" in rows[staff_user.email].body_text


def test_coordinator_writes_both_sides_get_it_but_not_the_coordinator(
    booking, municipality, staff_user, expert, coordinator
):
    coordinator.email = municipality.contact_email  # also the municipality's contact address
    coordinator.save()
    write(coordinator, booking, "Bitte denken Sie an die Unterlagen.")
    assert set(outbox()) == {expert.email, staff_user.email}
    assert BookingMessage.objects.get().author_role == "coordinator"


def test_the_municipality_side_is_who_booked_who_wrote_and_the_contact(
    booking, municipality, staff_user, expert
):
    colleague = factories.UserFactory(username="kollegin-im-amt")
    StaffMembership.objects.create(user=colleague, municipality=municipality)
    set_language(colleague, "en")
    write(expert.user, booking, "Erste Antwort.")
    assert colleague.email not in outbox()  # not taking part yet
    write(colleague, booking, "Ich übernehme ab jetzt.")
    assert set(outbox()) == {expert.email, staff_user.email, municipality.contact_email}
    Notification.objects.all().delete()
    write(expert.user, booking, "Willkommen!")
    rows = outbox()
    assert set(rows) == {staff_user.email, municipality.contact_email, colleague.email}
    assert rows[colleague.email].language == "en"


def test_with_nobody_named_every_staff_member_hears_of_it(municipality, expert):
    municipality.contact_email = ""
    municipality.save()
    staff = [factories.staff_for(municipality)]
    request = factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality))
    booking = factories.ConsultationBookingFactory(request=request, expert=expert)
    write(expert.user, booking, "Hallo")
    assert set(outbox()) == {user.email for user in staff}


def test_a_message_and_its_mail_are_written_together(booking, staff_user, monkeypatch):
    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("outbox down")

    monkeypatch.setattr(messages, "send", broken)
    with pytest.raises(RuntimeError):
        write(staff_user, booking)
    assert not BookingMessage.objects.exists()


# --- the flood limit --------------------------------------------------------------------------


def test_flood_limit_is_429_with_a_message_and_per_user(booking, staff_user, expert, monkeypatch):
    monkeypatch.setattr(messages, "MESSAGES_PER_USER", RateLimit("test-messages", 3, 600))
    client = client_for(staff_user)
    for n in range(3):
        assert client.post(url(booking), {"body": f"{n}"}, format="json").status_code == 201
    refused = client.post(url(booking), {"body": "noch eine"}, format="json")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert "Zu viele Nachrichten" in refused.json()["detail"]
    assert 1 <= int(refused["Retry-After"]) <= 600
    assert BookingMessage.objects.count() == 3
    # The other side is not held back by it.
    assert client_for(expert.user).post(url(booking), {"body": "ok"}, format="json").status_code
    assert BookingMessage.objects.count() == 4
    # The page says so on the form.
    page = page_client(staff_user).post(
        f"/termine/{booking.pk}/nachricht/", {"message-body": "und noch eine"}
    )
    assert page.status_code == 429 and page["Retry-After"]
    assert "Zu viele Nachrichten" in page.content.decode()
    assert "und noch eine" in page.content.decode()  # the text is not lost


def test_refused_input_does_not_use_up_the_limit(booking, staff_user, monkeypatch):
    monkeypatch.setattr(messages, "MESSAGES_PER_USER", RateLimit("test-messages-2", 1, 600))
    client = client_for(staff_user)
    assert client.post(url(booking), {"body": ""}, format="json").status_code == 400
    assert client.post(url(booking), {"body": "jetzt"}, format="json").status_code == 201


# --- query counts ------------------------------------------------------------------------------


def _queries(call) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200
    return len(captured)


def test_reading_the_thread_costs_the_same_queries_for_1_and_40_messages(
    booking, staff_user, expert
):
    write(staff_user, booking)
    client = client_for(expert.user)
    page = page_client(expert.user)
    # Warm: the API client hands the same user object to every request, which caches its roles.
    _queries(lambda: client.get(url(booking)))
    one_api = _queries(lambda: client.get(url(booking) + "?page_size=50"))
    one_page = _queries(lambda: page.get(f"/termine/{booking.pk}/"))
    for n in range(39):
        write(staff_user if n % 2 else expert.user, booking, f"Nachricht {n}")
    assert _queries(lambda: client.get(url(booking) + "?page_size=50")) == one_api
    assert _queries(lambda: page.get(f"/termine/{booking.pk}/")) == one_page


# --- the page ----------------------------------------------------------------------------------


def test_the_page_form_sends_and_shows_the_message(booking, staff_user, expert):
    client = page_client(staff_user)
    page = client.get(f"/termine/{booking.pk}/").content.decode()
    assert 'id="messages-heading"' in page
    assert 'for="id_message-body"' in page and "Ihre Nachricht" in page
    response = client.post(
        f"/termine/{booking.pk}/nachricht/", {"message-body": "Wir freuen uns auf Sie!"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/termine/{booking.pk}/#messages"
    assert f'action="/termine/{booking.pk}/nachricht/#messages"' in page
    shown = client.get(response["Location"]).content.decode()
    assert "Wir freuen uns auf Sie!" in shown
    assert "Ihre Nachricht ist gesendet." in shown
    assert expert.email in outbox()
    # The expert reads it on their page and answers there.
    answer = page_client(expert.user).post(
        f"/termine/{booking.pk}/nachricht/", {"message-body": "Danke, bis dann."}
    )
    assert answer.status_code == 302
    assert list(BookingMessage.objects.values_list("author_role", flat=True)) == [
        "municipality",
        "expert",
    ]


def test_the_page_form_shows_the_error_on_the_field_and_keeps_nothing(booking, staff_user):
    response = page_client(staff_user).post(
        f"/termine/{booking.pk}/nachricht/", {"message-body": "   "}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_message-body_errors"' in page
    assert "Bitte schreiben Sie eine Nachricht." in page
    assert not BookingMessage.objects.exists()
    too_long = page_client(staff_user).post(
        f"/termine/{booking.pk}/nachricht/", {"message-body": "x" * 4001}
    )
    assert too_long.status_code == 400
    assert "Höchstens 4000 Zeichen (jetzt 4001)." in too_long.content.decode()


def test_html_in_a_message_is_shown_as_text(booking, staff_user, expert):
    write(
        staff_user, booking, '<script>alert("x")</script>\n<a href="https://evil.example">hier</a>'
    )
    page = page_client(expert.user).get(f"/termine/{booking.pk}/").content.decode()
    assert "<script>alert" not in page and '<a href="https://evil.example">' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>" in page
    assert "&lt;a href=&quot;https://evil.example&quot;&gt;hier&lt;/a&gt;" in page


def test_the_page_in_english(booking, staff_user):
    write(staff_user, booking, "Hallo")
    page = (
        page_client(staff_user)
        .get(f"/termine/{booking.pk}/", HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "Messages" in page and "Your message" in page and "Send message" in page


def test_a_long_thread_shows_its_latest_messages_oldest_first(
    booking, staff_user, expert, monkeypatch
):
    monkeypatch.setattr(messages, "PAGE_MESSAGES", 3)
    for n in range(5):
        write(expert.user, booking, f"Nachricht Nummer {n}")
    page = page_client(staff_user).get(f"/termine/{booking.pk}/").content.decode()
    shown = [n for n in range(5) if f"Nachricht Nummer {n}<" in page]
    assert shown == [2, 3, 4]
    assert page.index("Nummer 2") < page.index("Nummer 3") < page.index("Nummer 4")
    assert "Es werden die letzten 3 Nachrichten gezeigt." in page
    # The API still lists them all.
    assert client_for(staff_user).get(url(booking)).json()["count"] == 5
