"""Library writes: who may submit what, upload checks, review transitions, deadline reminders."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core import uploads as files
from core.errors import Conflict, Forbidden, Invalid, NotFound
from library import services
from library.models import Resource
from library.services import ResourceDraft, submit_resource
from notifications.models import Notification
from tests import factories
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def draft(**fields: object) -> ResourceDraft:
    values: dict[str, object] = {
        "kind": "pr-example",
        "title_de": "Plakatkampagne zum Bürgerhaushalt",
        "summary_de": "Plakate, Postkarten und ein Stand auf dem Wochenmarkt.",
        "body": "So haben wir es gemacht.",
        "topics": ("public-relations",),
    }
    values.update(fields)
    return ResourceDraft(**values)  # type: ignore[arg-type]


def test_staff_submission_waits_for_review_and_credits_the_municipality(staff_user) -> None:  # type: ignore[no-untyped-def]
    resource = submit_resource(user=staff_user, draft=draft())
    assert resource.status == Resource.Status.IN_REVIEW
    assert resource.credit == staff_user.municipal_staff.municipality.name
    assert [t.slug for t in resource.topics.all()] == ["public-relations"]


def test_staff_may_not_submit_funding_programmes(staff_user) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid) as caught:
        submit_resource(user=staff_user, draft=draft(kind="funding"))
    assert "kind" in caught.value.fields
    assert not Resource.objects.exists()


def test_expert_recommends_only_on_own_topics(expert) -> None:  # type: ignore[no-untyped-def]
    ok = submit_resource(
        user=expert.user, draft=draft(kind="recommendation", topics=("youth-school",))
    )
    assert ok.author_expert == expert
    assert ok.credit == expert.display_name
    with pytest.raises(Invalid) as caught:
        submit_resource(
            user=expert.user, draft=draft(kind="recommendation", topics=("budget-law",))
        )
    assert "topics" in caught.value.fields


def test_user_without_role_may_not_submit(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Forbidden):
        submit_resource(user=factories.UserFactory(), draft=draft())


def test_coordinator_creates_a_draft_of_any_kind(coordinator) -> None:  # type: ignore[no-untyped-def]
    resource = submit_resource(
        user=coordinator,
        draft=draft(
            kind="funding",
            funder="Land Sachsen",
            amount_min_eur=1000,
            amount_max_eur=5000,
            eligible_states=("Sachsen",),
            deadline=dt.date(2030, 1, 1),
        ),
    )
    assert resource.status == Resource.Status.DRAFT
    assert resource.eligible_states == ["Sachsen"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "javascript:alert(1)", "body": ""}, "url"),
        ({"url": "ftp://example.org/x.pdf"}, "url"),
        ({"url": "JaVaScRiPt:alert(1)"}, "url"),
        ({"body": "", "url": ""}, "body"),
        ({"title_de": "   "}, "title_de"),
        ({"states": ("Atlantis",)}, "states"),
        ({"procedure_types": ("lottery",)}, "procedure_types"),
        ({"countries": ("Deutschland",)}, "countries"),
        ({"topics": ("no-such-topic",)}, "topics"),
        ({"kind": "funding", "amount_min_eur": 500, "amount_max_eur": 100}, "amount_max_eur"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(coordinator, fields, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid) as caught:
        submit_resource(user=coordinator, draft=draft(**fields))
    assert field in caught.value.fields
    assert not Resource.objects.exists()


def test_html_and_control_characters_are_kept_as_text_without_controls(coordinator) -> None:  # type: ignore[no-untyped-def]
    resource = submit_resource(
        user=coordinator, draft=draft(title_de="<b>Fett</b>\x00 Titel\ue000")
    )
    assert resource.title_de == "<b>Fett</b>  Titel"


@pytest.mark.parametrize(
    ("name", "content", "content_type", "stored_type"),
    [
        ("flyer.pdf", PDF, "application/pdf", "application/pdf"),
        ("plakat.png", PNG, "image/png", "image/png"),
        ("foto.JPEG", JPEG, "image/jpeg", "image/jpeg"),
        ("ohne-typ.pdf", PDF, "application/octet-stream", "application/pdf"),
    ],
)
def test_good_uploads_are_stored_under_a_fresh_name(  # type: ignore[no-untyped-def]
    staff_user, name, content, content_type, stored_type
) -> None:
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    resource = submit_resource(user=staff_user, draft=draft(body=""), upload=upload)
    assert resource.file_type == stored_type
    assert resource.file_name == name
    assert resource.file_size == len(content)
    assert name not in resource.file.name
    with resource.file.open("rb") as stored:
        assert stored.read() == content


@pytest.mark.parametrize(
    ("name", "content", "content_type", "code"),
    [
        ("flyer.pdf", b"<html><script>alert(1)</script></html>", "application/pdf", "file_type"),
        ("plakat.png", PDF, "image/png", "file_type_mismatch"),
        ("flyer.pdf", PNG, "application/pdf", "file_type_mismatch"),
        ("flyer.pdf", PDF, "image/png", "file_type_mismatch"),
        ("bild.svg", b"<svg onload=alert(1)>", "image/svg+xml", "file_type"),
        ("leer.pdf", b"", "application/pdf", "file_empty"),
        ("flyer.exe", PDF, "application/pdf", "file_type_mismatch"),
    ],
)
def test_lying_or_wrong_uploads_are_refused_and_nothing_is_stored(  # type: ignore[no-untyped-def]
    staff_user, tmp_path, name, content, content_type, code
) -> None:
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    with pytest.raises(Invalid) as caught:
        submit_resource(user=staff_user, draft=draft(), upload=upload)
    assert caught.value.code == code
    assert "file" in caught.value.fields
    assert not Resource.objects.exists()
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_too_big_upload_is_refused(staff_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(files, "FILE_MAX_BYTES", 1000)
    upload = SimpleUploadedFile("gross.pdf", PDF + b"0" * 2000, content_type="application/pdf")
    with pytest.raises(Invalid) as caught:
        submit_resource(user=staff_user, draft=draft(), upload=upload)
    assert caught.value.code == "file_too_large"


def test_upload_name_is_reduced_to_a_safe_display_name() -> None:
    assert files.display_name('../../etc/"passwd<x>.pdf') == "passwdx.pdf"
    assert files.display_name("C:\\Users\\a\\flyer.pdf") == "flyer.pdf"


def test_coordinator_publishes_a_submission_once(staff_user, coordinator) -> None:  # type: ignore[no-untyped-def]
    resource = submit_resource(user=staff_user, draft=draft())
    published = services.publish_resource(user=coordinator, resource_id=resource.pk)
    assert published.status == Resource.Status.PUBLISHED
    assert published.published_at is not None
    assert published.reviewed_by == coordinator
    with pytest.raises(Conflict):
        services.publish_resource(user=coordinator, resource_id=resource.pk)
    archived = services.archive_resource(user=coordinator, resource_id=resource.pk)
    assert archived.status == Resource.Status.ARCHIVED


def test_only_coordinators_review_and_others_see_404(staff_user) -> None:  # type: ignore[no-untyped-def]
    resource = submit_resource(user=staff_user, draft=draft())
    with pytest.raises(NotFound):
        services.publish_resource(user=staff_user, resource_id=resource.pk)


# --- funding deadline reminders --------------------------------------------------------------

TODAY = dt.date(2026, 3, 2)


def funding(**fields: object) -> Resource:
    values: dict[str, object] = {
        "kind": "funding",
        "title_de": "Demokratie vor Ort",
        "funder": "Landesstiftung",
        "deadline": TODAY + dt.timedelta(days=10),
        "eligible_states": ["Sachsen"],
    }
    values.update(fields)
    return ResourceFactory(**values)


def test_deadline_within_14_days_reminds_each_eligible_municipality_once(db) -> None:  # type: ignore[no-untyped-def]
    saxon = factories.MunicipalityFactory(state="Sachsen")
    staff = factories.staff_for(saxon)
    factories.staff_for(factories.MunicipalityFactory(state="Bayern"))
    programme = funding()
    funding(title_de="Noch Zeit", deadline=TODAY + dt.timedelta(days=30))
    funding(title_de="Vorbei", deadline=TODAY - dt.timedelta(days=1))
    funding(title_de="Entwurf", status="draft")

    assert services.remind_funding_deadlines(today=TODAY) == 1
    assert services.remind_funding_deadlines(today=TODAY) == 0
    assert services.remind_funding_deadlines(today=TODAY + dt.timedelta(days=1)) == 0
    (note,) = Notification.objects.all()
    assert note.recipient == staff.email
    assert note.dedup_key == services.reminder_key(
        programme_id=programme.pk, municipality_id=saxon.pk, deadline=programme.deadline
    )
    assert "Demokratie vor Ort" in note.subject
    assert "10 Tagen" in note.body_text


def test_moved_deadline_reminds_again(db) -> None:  # type: ignore[no-untyped-def]
    factories.staff_for(factories.MunicipalityFactory(state="Sachsen"))
    programme = funding()
    assert services.remind_funding_deadlines(today=TODAY) == 1
    Resource.objects.filter(pk=programme.pk).update(deadline=TODAY + dt.timedelta(days=12))
    assert services.remind_funding_deadlines(today=TODAY) == 1
    assert Notification.objects.count() == 2


def test_kind_restriction_and_contact_fallback(db) -> None:  # type: ignore[no-untyped-def]
    county = factories.MunicipalityFactory(state="Sachsen", kind="landkreis")
    factories.MunicipalityFactory(state="Sachsen", kind="stadt")
    funding(eligible_kinds=["landkreis"])
    assert services.remind_funding_deadlines(today=TODAY) == 1
    assert Notification.objects.get().recipient == county.contact_email


def test_beat_task_runs_the_sweep(db) -> None:  # type: ignore[no-untyped-def]
    from django.conf import settings

    from library import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["library-funding-deadline-reminders"]
    assert entry["task"] == tasks.remind_funding_deadlines.name
    assert tasks.remind_funding_deadlines() == 0


def _deadline_mail(programme: Resource, days_left: int, language: str):  # type: ignore[no-untyped-def]
    from notifications.services import render_message

    return render_message(
        "library/email/funding_deadline",
        {
            "programme": programme,
            "municipality": factories.MunicipalityFactory(name="Leipzig"),
            "days_left": days_left,
            "recipient_name": "",
        },
        language=language,
    )


def test_deadline_reminder_without_funder_or_on_the_last_day_reads_right(db) -> None:  # type: ignore[no-untyped-def]
    factories.staff_for(factories.MunicipalityFactory(state="Sachsen"))
    funding(funder="", deadline=TODAY)

    assert services.remind_funding_deadlines(today=TODAY) == 1
    note = Notification.objects.get()
    assert "„Demokratie vor Ort“ endet die Antragsfrist heute" in note.body_text
    assert "()" not in note.body_text + note.body_html
    assert "0 Tagen" not in note.body_text


def test_english_deadline_reminder_is_english_throughout(db) -> None:  # type: ignore[no-untyped-def]
    programme = funding(
        title_en="Democracy on the ground",
        summary_de="Fördert Beteiligung.",
        summary_en="Funds participation.",
        deadline=dt.date(2027, 6, 10),
    )

    mail = _deadline_mail(programme, 5, "en")
    assert mail.subject == "Application deadline on 10 Jun 2027: Democracy on the ground"
    assert mail.text.startswith("Hello,\n\nThe application deadline for the funding programme")
    assert "“Democracy on the ground” (Landesstiftung) ends in 5 days, on 10 Jun 2027." in mail.text
    assert "Funds participation." in mail.text and "Funds participation." in mail.html
    assert '<html lang="en">' in mail.html
    for german in ("Demokratie", "Fördert", "10.06.2027", "Bürgerhaushalt"):
        assert german not in mail.subject + mail.text + mail.html
    assert _deadline_mail(programme, 5, "de").subject == (
        "Antragsfrist am 10.06.2027: Demokratie vor Ort"
    )
