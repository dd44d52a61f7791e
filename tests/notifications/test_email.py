"""The e-mail an outbox row becomes: MIME shape, headers, iMIP invitation, layout, languages."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from notifications.email import build_email, message_id
from notifications.ics import Attendee, Invitation, Organizer, Session, build_invitation
from notifications.models import Notification
from notifications.services import Rendered, deliver, queue_notification, render_message
from tests.ics_rules import assert_imip_method_matches, assert_valid_invitation

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def _ics(method: str = "REQUEST") -> str:
    return build_invitation(
        Invitation(
            uid="event-7@consult.example",
            sequence=2,
            summary="Werkstatt Bürgerhaushalt",
            organizer=Organizer("veranstaltungen@consult.example", "Netzwerk"),
            attendees=(Attendee("anna@gemeinde.example", "Anna Schmidt"),),
            sessions=(
                Session(
                    datetime(2027, 3, 28, 10, tzinfo=BERLIN),
                    datetime(2027, 3, 28, 16, tzinfo=BERLIN),
                ),
            ),
            dtstamp=datetime(2027, 2, 1, 9, tzinfo=UTC),
            method=method,  # type: ignore[arg-type]
            status="CANCELLED" if method == "CANCEL" else "CONFIRMED",
        )
    )


def _row(**fields: object) -> Notification:
    defaults: dict[str, object] = {
        "recipient": "anna@gemeinde.example",
        "recipient_name": "Anna Schmidt",
        "kind": "event_changed",
        "dedup_key": "event-7:2:anna",
        "subject": "Geänderter Termin",
        "body_text": "Text",
        "body_html": "<p>Text</p>",
    }
    return Notification.objects.create(**{**defaults, **fields})


def _wire(row: Notification) -> Message:
    """What an SMTP server receives (Django's SMTP backend sends CRLF lines), parsed back."""
    return email.message_from_bytes(build_email(row).message().as_bytes(linesep="\r\n"))


def test_invitation_email_is_mixed_with_alternative_and_ics_attachment():
    message = _wire(_row(ics=_ics(), ics_method="REQUEST"))

    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    calendar = alternative.get_payload()[2]
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content_charset() == "utf-8"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment["Content-Transfer-Encoding"] == "base64"
    assert attachment.get_content_charset() == "utf-8"
    assert attachment.get_payload(decode=True).decode("utf-8") == _ics()


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_calendar_part_and_attachment_carry_the_same_method(method):
    message = _wire(_row(ics=_ics(method), ics_method=method))

    assert assert_imip_method_matches(message) == method
    for part in message.walk():
        if part.get_content_type() in {"text/calendar", "application/ics"}:
            assert_valid_invitation(part.get_payload(decode=True), method=method)


def test_plain_message_without_invitation_is_alternative_only():
    message = _wire(_row())

    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.get_payload()] == ["text/plain", "text/html"]


def test_headers_name_sender_recipient_reply_to_and_automation(settings):
    settings.REPLY_TO_EMAIL = "geschaeftsstelle@netzwerk.example"
    message = _wire(_row())

    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message["To"] == "Anna Schmidt <anna@gemeinde.example>"
    assert message["Reply-To"] == "geschaeftsstelle@netzwerk.example"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Content-Language"] == "de"
    assert message["Date"]


def test_message_id_is_stable_per_row_and_differs_between_rows():
    row = _row()
    other = _row(dedup_key="event-7:2:bernd", recipient="bernd@gemeinde.example")

    first, again = (
        _wire(row)["Message-ID"],
        _wire(Notification.objects.get(pk=row.pk))["Message-ID"],
    )

    assert first == again == message_id(row)
    assert first.startswith("<") and first.endswith(">") and "@" in first
    assert _wire(other)["Message-ID"] != first


def test_sent_row_records_the_message_id_it_went_out_with(mailoutbox):
    with transaction.atomic():
        row = queue_notification(
            recipient="anna@gemeinde.example",
            kind="test",
            dedup_key="mid",
            message=Rendered(subject="Hallo", text="Text", html=""),
        )

    assert deliver(row.pk) == "sent"

    row.refresh_from_db()
    assert row.message_id == mailoutbox[0].extra_headers["Message-ID"] == message_id(row)


@pytest.mark.parametrize(
    "evil",
    [
        "Hallo\r\nBcc: spy@evil.example",
        "Hallo\nBcc: spy@evil.example",
        "Hallo\rBcc: spy@evil.example",
        "Hallo\u2028Bcc: spy@evil.example",
    ],
)
def test_no_header_injection_through_subject_or_recipient_name(evil):
    message = _wire(_row(subject=evil, recipient_name=evil))

    assert message["Bcc"] is None
    # The text stays inside its header: the only address is the recipient's.
    assert getaddresses(message.get_all("To")) == [
        ("Hallo Bcc: spy@evil.example", "anna@gemeinde.example")
    ]
    assert str(make_header(decode_header(message["Subject"]))) == "Hallo Bcc: spy@evil.example"


def test_recipient_address_with_a_line_break_is_refused_not_sent():
    with pytest.raises(ValueError, match="unusable recipient"):
        build_email(_row(recipient="anna@gemeinde.example\r\nBcc: spy@evil.example"))


def test_queueing_strips_line_breaks_from_subject_and_name():
    with transaction.atomic():
        row = queue_notification(
            recipient="anna@gemeinde.example",
            recipient_name="Anna\r\nBcc: x@evil.example",
            kind="test",
            dedup_key="strip",
            message=Rendered(subject="Neu\r\nBcc: x@evil.example", text="Text", html=""),
        )

    assert row.subject == "Neu Bcc: x@evil.example"
    assert row.recipient_name == "Anna Bcc: x@evil.example"


def _notice(language: str) -> Rendered:
    return render_message(
        "notifications/email/notice",
        {
            "subject": "Termin <neu> & verschoben",
            "paragraphs": ['Die Werkstatt "A & B" findet später statt.'],
            "action_url": "https://consult.example/e/7?a=1&b=2",
            "action_label": "Details",
            "recipient_name": "Jörg O'Neill",
        },
        language=language,
    )


def test_german_message_has_german_layout_and_footer():
    rendered = _notice("de")

    assert rendered.subject == "Termin <neu> & verschoben"
    assert rendered.text.startswith("Guten Tag Jörg O'Neill,")
    assert "Mit freundlichen Grüßen" in rendered.text
    assert "Diese Nachricht wurde automatisch versandt" in rendered.text
    assert "Diese Nachricht wurde automatisch versandt" in rendered.html
    assert '<html lang="de">' in rendered.html
    assert "\n\n\n" not in rendered.text


def test_english_message_has_english_layout_and_footer():
    rendered = _notice("en")

    assert rendered.text.startswith("Hello Jörg O'Neill,")
    assert "This message was sent automatically" in rendered.text
    assert "This message was sent automatically" in rendered.html
    assert "Geschäftsstelle" not in rendered.text + rendered.html
    assert '<html lang="en">' in rendered.html


def test_text_parts_are_not_html_escaped_but_html_part_is():
    rendered = _notice("de")

    assert 'Die Werkstatt "A & B"' in rendered.text
    assert "https://consult.example/e/7?a=1&b=2" in rendered.text
    assert "Die Werkstatt &quot;A &amp; B&quot;" in rendered.html
    assert "Jörg O&#x27;Neill" in rendered.html


@pytest.fixture
def own_templates(settings, tmp_path):  # type: ignore[no-untyped-def]
    """A template directory of a calling app, with an English variant of one part."""
    from notifications import services

    folder = tmp_path / "app" / "email"
    folder.mkdir(parents=True)
    (folder / "hello_subject.txt").write_text("Hallo & willkommen")
    (folder / "hello_subject.en.txt").write_text("Hello & welcome")
    (folder / "hello.txt").write_text(
        '{% extends "notifications/email/base.txt" %}{% block content %}Text DE{% endblock %}'
    )
    (folder / "hello.en.txt").write_text(
        '{% extends "notifications/email/base.txt" %}{% block content %}Text EN{% endblock %}'
    )
    (folder / "hello.html").write_text(
        '{% extends "notifications/email/base.html" %}{% block content %}<p>HTML</p>{% endblock %}'
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    services._text_templates.cache_clear()
    yield
    services._text_templates.cache_clear()


def test_language_variant_of_a_template_is_preferred_and_the_common_one_is_the_fallback(
    own_templates,
):
    english = render_message("app/email/hello", {}, language="en")
    german = render_message("app/email/hello", {}, language="de")

    assert (english.subject, german.subject) == ("Hello & welcome", "Hallo & willkommen")
    assert "Text EN" in english.text and "This message was sent automatically" in english.text
    assert "Text DE" in german.text and "Geschäftsstelle" in german.text
    # No .en.html: the common HTML template, laid out in the recipient's language.
    assert "<p>HTML</p>" in english.html and '<html lang="en">' in english.html


@pytest.mark.parametrize(
    ("language", "term", "other"),
    [("de", "als Expert*in vor", "Berater"), ("en", "as your expert", "adviser")],
)
def test_expert_proposal_says_expert_and_links_the_requests_suggestions(language, term, other):
    from django.conf import settings
    from django.urls import resolve

    rendered = render_message(
        "experts/email/expert_proposed",
        {
            "municipality": "Leipzig",
            "plan": "Bürgerhaushalt 2028",
            "request_id": 7,
            "expert": "Dr. Anna Beispiel",
            "organisation": "",
            "earliest": datetime(2027, 6, 1).date(),
            "latest": datetime(2027, 7, 1).date(),
        },
        language=language,
    )

    link = f"{settings.SITE_URL}/anfragen/7/experten/"
    assert resolve("/anfragen/7/experten/").url_name == "request-matches"
    assert link in rendered.text and f'href="{link}"' in rendered.html
    for part in (rendered.subject, rendered.text, rendered.html):
        assert other not in part
    assert term in rendered.text and term in rendered.html
