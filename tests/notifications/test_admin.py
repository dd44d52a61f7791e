"""The outbox in the coordinators' admin: failed rows are visible, filterable and re-sendable."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from notifications.models import Notification

pytestmark = pytest.mark.django_db

Status = Notification.Status
LIST = "admin:notifications_notification_changelist"


@pytest.fixture
def admin_client_() -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-123456789")
    client = Client()
    client.force_login(user)
    return client


def _row(key: str, status: str, recipient: str, kind: str = "booking_confirmed") -> Notification:
    return Notification.objects.create(
        recipient=recipient,
        kind=kind,
        dedup_key=key,
        subject="Betreff",
        body_text="Text",
        status=status,
        attempts=8 if status == Status.FAILED else 1,
        error="SMTPRecipientsRefused: 550" if status == Status.FAILED else "",
    )


def test_failed_rows_are_listed_and_filtered_by_status_and_kind(admin_client_):
    _row("a", Status.FAILED, "kaputt@gemeinde.example")
    _row("b", Status.SENT, "gut@gemeinde.example")
    _row("c", Status.FAILED, "anders@gemeinde.example", kind="event_changed")

    page = admin_client_.get(
        reverse(LIST), {"status__exact": "failed", "kind": "booking_confirmed"}
    )

    assert page.status_code == 200
    html = page.content.decode()
    assert "kaputt@gemeinde.example" in html
    assert "gut@gemeinde.example" not in html and "anders@gemeinde.example" not in html


def test_search_finds_rows_by_recipient(admin_client_):
    _row("a", Status.FAILED, "kaputt@gemeinde.example")
    _row("b", Status.SENT, "gut@gemeinde.example")

    html = admin_client_.get(reverse(LIST), {"q": "kaputt"}).content.decode()

    assert "kaputt@gemeinde.example" in html and "gut@gemeinde.example" not in html


def test_detail_shows_the_error(admin_client_):
    row = _row("a", Status.FAILED, "kaputt@gemeinde.example")

    page = admin_client_.get(reverse("admin:notifications_notification_change", args=[row.pk]))

    assert page.status_code == 200
    assert "SMTPRecipientsRefused: 550" in page.content.decode()


def test_erneut_senden_puts_failed_rows_back_and_leaves_sent_ones(
    admin_client_, django_capture_on_commit_callbacks, monkeypatch
):
    from notifications import tasks

    enqueued: list[list[int]] = []
    monkeypatch.setattr(
        tasks.deliver_notification, "apply_async", lambda args, **kw: enqueued.append(args)
    )
    failed = _row("a", Status.FAILED, "kaputt@gemeinde.example")
    sent = _row("b", Status.SENT, "gut@gemeinde.example")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            reverse(LIST),
            {"action": "resend", "_selected_action": [failed.pk, sent.pk]},
            follow=True,
        )

    assert response.status_code == 200
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.PENDING, 0)
    assert sent.status == Status.SENT
    assert enqueued == [[failed.pk]]
    text = response.content.decode()
    assert "1 Benachrichtigung wird erneut gesendet." in text
    assert "1 war nicht fehlgeschlagen" in text


def test_admin_offers_the_action_and_no_adding(admin_client_):
    _row("a", Status.FAILED, "kaputt@gemeinde.example")

    html = admin_client_.get(reverse(LIST)).content.decode()

    assert 'value="resend"' in html and "erneut senden" in html
    assert admin_client_.get(reverse("admin:notifications_notification_add")).status_code == 403
