"""The one way into the outbox: send/send_many render once, put each recipient in, never mix."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from django.utils.html import escape

from notifications import ics, rendering
from notifications.models import Notification
from notifications.services import Invite, Message, Recipient, send, send_many
from tests.ics_rules import assert_valid_invitation, content_lines

pytestmark = pytest.mark.django_db

START = datetime(2027, 6, 10, 8, 0, tzinfo=UTC)
PEOPLE = [
    ("anna@example.org", 'Anna <b>"A&B"</b>', "https://consult.example/r/aaa"),
    ("bert@example.org", "Bert O'Neill", "https://consult.example/r/bbb"),
    ("cem@example.org", "Cem", "https://consult.example/r/ccc"),
]


@pytest.fixture
def templates(settings, tmp_path):  # type: ignore[no-untyped-def]
    """A calling app's templates: name and link shown as they are, place in line optional."""
    folder = tmp_path / "app" / "email"
    folder.mkdir(parents=True)
    (folder / "hello_subject.txt").write_text("Hallo {{ name }}")
    (folder / "hello.txt").write_text(
        "Guten Tag {{ name }}, {{ title }}.{% if position %} Platz {{ position }}.{% endif %}"
        " Link: {{ link }}"
    )
    (folder / "hello.html").write_text(
        '<p>Guten Tag {{ name }}, {{ title }}</p><a href="{{ link }}">{{ link }}</a>'
    )
    (folder / "shout_subject.txt").write_text("Hallo")
    (folder / "shout.txt").write_text("GUTEN TAG {{ name|upper }} {{ link }}")
    (folder / "shout.html").write_text("<p>{{ name|truncatechars:8 }}</p>{{ link }}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    rendering._text_templates.cache_clear()
    yield
    rendering._text_templates.cache_clear()


@pytest.fixture
def renders(monkeypatch):  # type: ignore[no-untyped-def]
    """How often a whole template was rendered."""
    calls: list[str] = []
    real = rendering.render_message

    def counting(template, context, *, language):  # type: ignore[no-untyped-def]
        calls.append(language)
        return real(template, context, language=language)

    monkeypatch.setattr(rendering, "render_message", counting)
    return calls


def recipients(language: str = "de", **values: object) -> list[Recipient]:
    return [
        Recipient(
            email=email,
            name=name,
            language=language,
            dedup_key=f"test:{email}",
            values={"name": name, "link": link, **values},
        )
        for email, name, link in PEOPLE
    ]


def sent() -> dict[str, Notification]:
    return {row.recipient: row for row in Notification.objects.all()}


def test_a_message_is_rendered_once_and_each_recipient_sees_only_their_own_data(templates, renders):
    with transaction.atomic():
        send(
            kind="test",
            template="app/email/hello",
            context={"title": "Werkstatt & Co"},
            recipients=recipients(),
        )

    assert renders == ["de"]
    rows = sent()
    for email, name, link in PEOPLE:
        row = rows[email]
        assert row.subject == f"Hallo {name}"
        assert f"Guten Tag {name}, Werkstatt & Co." in row.body_text
        assert f"Link: {link}" in row.body_text
        assert f"<p>Guten Tag {escape(name)}, Werkstatt &amp; Co</p>" in row.body_html
        assert row.body_html.count(escape(link)) == 2
        others = [p for p in PEOPLE if p[0] != email]
        for _email, other_name, other_link in others:
            assert other_link not in row.body_text + row.body_html
            assert other_name not in row.subject + row.body_text
            assert escape(other_name) not in row.body_html
        assert rendering._TOKEN[:12] not in row.subject + row.body_text + row.body_html


def test_each_language_and_each_empty_value_gets_its_own_rendering(templates, renders):
    people = [
        *recipients("de", position=3),
        replace(recipients("en", position=None)[0], dedup_key="test:en"),
        replace(recipients("de", position=None)[1], dedup_key="test:de-none"),
    ]
    with transaction.atomic():
        send(kind="test", template="app/email/hello", context={"title": "T"}, recipients=people)

    assert sorted(renders) == ["de", "de", "en"]  # three share one rendering, two are alone
    rows = {row.dedup_key: row for row in Notification.objects.all()}
    assert "Platz 3." in rows["test:anna@example.org"].body_text
    assert "Platz" not in rows["test:de-none"].body_text
    assert rows["test:en"].language == "en"


def test_a_value_the_template_changes_is_rendered_whole_for_that_recipient(templates):
    with transaction.atomic():
        send(kind="test", template="app/email/shout", recipients=recipients())

    for email, name, link in PEOPLE:
        row = sent()[email]
        assert f"GUTEN TAG {name.upper()} {link}" in row.body_text
        assert rendering._TOKEN[:12] not in row.body_text + row.body_html
        assert link in row.body_html


def test_a_reuse_key_keeps_the_rendering_for_the_next_call(templates, renders):
    for number in range(2):
        with transaction.atomic():
            send(
                kind="test",
                template="app/email/hello",
                context={"title": "T"},
                recipients=[replace(r, dedup_key=f"{r.dedup_key}:{number}") for r in recipients()],
                reuse_key=("event", 1, "v1"),
            )

    assert renders == ["de"]
    assert Notification.objects.count() == 6


def invitation(sessions: int = 2) -> ics.Invitation:
    return ics.Invitation(
        uid="event-7@consult.example",
        sequence=2,
        summary="Werkstatt",
        organizer=ics.Organizer("veranstaltungen@consult.example", "Netzwerk"),
        attendees=(ics.Attendee("placeholder@example.org"),),
        sessions=tuple(
            ics.Session(START + timedelta(days=7 * n), START + timedelta(days=7 * n, hours=2))
            for n in range(sessions)
        ),
        dtstamp=START - timedelta(days=30),
    )


def attendees(text: str) -> list[str]:
    return [value for name, _params, value in content_lines(text) if name == "ATTENDEE"]


def test_a_personal_invitation_names_only_its_recipient_one_message_per_session(templates):
    with transaction.atomic():
        send(
            kind="test",
            template="app/email/hello",
            context={"title": "T"},
            recipients=recipients(),
            invite=Invite(invitations={"de": invitation()}, personal=True, sessions=[1, 2]),
        )

    rows = {row.dedup_key: row for row in Notification.objects.all()}
    assert len(rows) == 6
    for email, name, _link in PEOPLE:
        first, second = rows[f"test:{email}.s1"], rows[f"test:{email}.s2"]
        assert first.subject == f"Hallo {name} (Termin 1/2)"
        assert second.subject == f"Hallo {name} (Termin 2/2)"
        for row in (first, second):
            assert row.ics_method == "REQUEST"
            assert_valid_invitation(row.ics, method="REQUEST")
            assert attendees(row.ics) == [f"mailto:{email}"]
        assert "event-7@consult.example-s2" in second.ics


def test_a_shared_invitation_names_its_own_attendees_in_every_copy(templates):
    inv = replace(
        invitation(sessions=1),
        attendees=(ics.Attendee("expert@example.org"), ics.Attendee("anna@example.org")),
    )
    with transaction.atomic():
        send_many(
            [
                Message(
                    kind="test",
                    template="app/email/hello",
                    recipients=recipients()[:2],
                    invite=Invite(invitations={"de": inv}),
                )
            ]
        )

    for row in Notification.objects.all():
        assert not row.dedup_key.endswith(".s1")
        assert attendees(row.ics) == ["mailto:expert@example.org", "mailto:anna@example.org"]


@pytest.mark.django_db(transaction=True)
def test_sending_outside_the_transaction_of_the_change_is_refused(templates):
    with pytest.raises(RuntimeError, match="transaction"):
        send(kind="test", template="app/email/hello", recipients=recipients())
