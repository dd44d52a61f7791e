"""Writes to the outbox and delivers from it.

Invariant 3 (DESIGN.md 5): callers write outbox rows inside the transaction of their change
(`queue_notification`); delivery is enqueued after commit, and the periodic sweep delivers
whatever the broker lost. A row is claimed by compare-and-swap with a lease, sent with no
database lock held, then recorded as sent: once recorded, no retry sends it again.
"""

from __future__ import annotations

import logging
import random
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from notifications.email import build_email, one_line
from notifications.models import Notification

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render_message(template: str, context: dict, *, language: str) -> Rendered:
    """Render `<template>_subject.txt`, `.txt` and `.html` in the recipient's language, now.

    Rendering happens when the change is made (translated when raised), never in the worker.
    """
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", context)
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    return Rendered(subject=one_line(subject), text=text, html=html)


def queue_notification(
    *,
    recipient: str,
    kind: str,
    dedup_key: str,
    message: Rendered,
    recipient_name: str = "",
    language: str = "de",
    ics: str = "",
    ics_method: str = "",
    send_after: datetime | None = None,
) -> Notification:
    """Write one outbox row in the caller's transaction; delivery starts once it commits.

    The dedup key makes the write idempotent: writing the same key twice keeps the first row.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("queue_notification must run inside the transaction of the change")
    notification, created = Notification.objects.get_or_create(
        dedup_key=dedup_key[:200],
        defaults={
            "recipient": recipient,
            "recipient_name": one_line(recipient_name, 200),
            "kind": kind,
            "language": language,
            "subject": message.subject,
            "body_text": message.text,
            "body_html": message.html,
            "ics": ics,
            "ics_method": ics_method,
            "next_attempt_at": send_after or timezone.now(),
        },
    )
    if created and send_after is None:
        from notifications.tasks import deliver_notification

        transaction.on_commit(lambda: _enqueue(deliver_notification, notification.pk))
    return notification


def queue_many(rows: Iterable[Notification]) -> list[int]:
    """Bulk outbox write (one INSERT) for large fan-outs; delivery goes in chunked tasks."""
    if not connection.in_atomic_block:
        raise RuntimeError("queue_many must run inside the transaction of the change")
    rows = list(rows)
    Notification.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    keys = [row.dedup_key for row in rows]
    ids = list(
        Notification.objects.filter(dedup_key__in=keys, status=Notification.Status.PENDING)
        .order_by("id")
        .values_list("id", flat=True)
    )
    from notifications.tasks import deliver_batch

    chunks = [ids[i : i + 100] for i in range(0, len(ids), 100)]
    transaction.on_commit(lambda: [_enqueue(deliver_batch, chunk) for chunk in chunks])
    return ids


def _enqueue(task, *args) -> None:  # type: ignore[no-untyped-def]
    """Hand work to the broker; if it is down the sweep delivers later (the row is safe)."""
    try:
        task.delay(*args)
    except Exception:  # broker down: kombu raises many kinds; the outbox sweep covers it
        log.warning("broker unavailable; outbox sweep will deliver %s later", args, exc_info=True)


def claim(notification_id: int, *, now: datetime | None = None) -> Notification | None:
    """Take the row for sending (compare-and-swap); None if someone else has it or it is done."""
    now = now or timezone.now()
    claimable = Q(status=Notification.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Notification.Status.SENDING, claimed_until__lt=now
    )
    updated = Notification.objects.filter(claimable, pk=notification_id).update(
        status=Notification.Status.SENDING, claimed_until=now + LEASE
    )
    if not updated:
        return None
    return Notification.objects.get(pk=notification_id)


def backoff(attempts: int) -> timedelta:
    """Exponential with full jitter: 1, 2, 4 … minutes, capped at 6 hours."""
    ceiling = min(60 * 2 ** max(attempts - 1, 0), 6 * 3600)
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def deliver(notification_id: int, *, now: datetime | None = None) -> str:
    """Send one outbox row if it is due and unclaimed. Returns what happened (for logs/tests)."""
    notification = claim(notification_id, now=now)
    if notification is None:
        return "skipped"
    return _send_claimed(notification)


def deliver_many(notification_ids: list[int]) -> dict[str, int]:
    """Send a chunk over one SMTP connection."""
    outcome: dict[str, int] = {}
    claimed = [n for n in (claim(pk) for pk in notification_ids) if n is not None]
    if claimed:
        with get_connection(fail_silently=False) as smtp:
            for notification in claimed:
                result = _send_claimed(notification, smtp=smtp)
                outcome[result] = outcome.get(result, 0) + 1
    outcome["skipped"] = len(notification_ids) - len(claimed)
    return outcome


def _send_claimed(notification: Notification, smtp=None) -> str:  # type: ignore[no-untyped-def]
    email = build_email(notification)
    message_id = email.extra_headers["Message-ID"]
    try:
        email.connection = smtp or get_connection(fail_silently=False)
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        # A permanent refusal (5xx) will not heal by retrying.
        permanent = all(code >= 500 for code, _msg in exc.recipients.values())
        return _record_failure(notification, exc, permanent=permanent)
    except Exception as exc:  # SMTP down, timeout, DNS: retried with backoff
        return _record_failure(notification, exc, permanent=False)
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.SENT,
        sent_at=timezone.now(),
        attempts=notification.attempts + 1,
        claimed_until=None,
        message_id=message_id,
        error="",
    )
    return "sent"


def _record_failure(notification: Notification, exc: Exception, *, permanent: bool) -> str:
    attempts = notification.attempts + 1
    failed = permanent or attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.FAILED if failed else Notification.Status.PENDING,
        attempts=attempts,
        claimed_until=None,
        next_attempt_at=timezone.now() + backoff(attempts),
        error=f"{type(exc).__name__}: {exc}"[:2000],
    )
    log.warning("notification %s attempt %s failed: %s", notification.pk, attempts, exc)
    return "failed" if failed else "retry"


def due_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Rows the sweep should (re)deliver: due pending rows and expired claims."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(
            Q(status=Notification.Status.PENDING, next_attempt_at__lte=now)
            | Q(status=Notification.Status.SENDING, claimed_until__lt=now)
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def resend(notification_id: int) -> None:
    """Coordinator action: put a failed row back in the queue."""
    with transaction.atomic():
        Notification.objects.filter(pk=notification_id, status=Notification.Status.FAILED).update(
            status=Notification.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
        )
        from notifications.tasks import deliver_notification

        transaction.on_commit(lambda: _enqueue(deliver_notification, notification_id))
