"""Delivery from the outbox (DESIGN.md 8, invariant 3): claim due rows, send, record each.

docs/architecture-notifications.md describes the claim, the lease and the retries.
"""

from __future__ import annotations

import logging
import random
import smtplib
import socket
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from notifications.email import build_email
from notifications.models import Notification

log = logging.getLogger(__name__)

Status = Notification.Status
CHUNK = 100  # ids per deliver_batch task: one SMTP connection, a few seconds of work


def enqueue(task: Any, arg_lists: Sequence[list[Any]]) -> None:
    """Hand work to the broker after commit; if it is down, the sweep delivers later.

    Stops at the first failure: a down broker would otherwise cost its publish retries once
    per chunk, inside the request that made the change.
    """
    for args in arg_lists:
        try:
            task.apply_async(args=args)
        except Exception:  # kombu raises many kinds; the row is safe in the outbox
            log.warning("broker unavailable; the outbox sweep delivers later", exc_info=True)
            return


def _lease() -> timedelta:
    return timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)


def _claimable(now: datetime) -> Q:
    return Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Status.SENDING, claimed_until__lt=now
    )


def claim(
    ids: Sequence[int] | None = None, *, now: datetime | None = None, limit: int = CHUNK
) -> list[Notification]:
    """Take up to ``limit`` due rows (of ``ids``, or any) for sending; skip rows others hold.

    Its own short, durable transaction: it must never run inside another one, or the row
    locks would be held across the SMTP conversation that follows.
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        query = Notification.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            _claimable(now)
        )
        if ids is not None:
            query = query.filter(pk__in=list(ids))
        rows = list(query.order_by("next_attempt_at", "id")[:limit])
        if rows:
            until = now + _lease()
            Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
                status=Status.SENDING, claimed_until=until
            )
            for row in rows:
                row.status, row.claimed_until = Status.SENDING, until
    return rows


def backoff(attempts: int) -> timedelta:
    """Exponential with jitter: after attempt n, between half and all of 2^(n-1) minutes.

    Capped at 6 hours; the jitter spreads the retries of a large batch that failed together.
    """
    ceiling = min(60 * 2 ** max(attempts - 1, 0), 6 * 3600)
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def deliver(notification_id: int, *, now: datetime | None = None) -> str:
    """Send one outbox row if it is due and nobody holds it: "sent", "retry" (an SMTP 4xx),
    "unreachable" (timeout or no connection; retried like a 4xx), "failed", "skipped"."""
    claimed = claim([notification_id], now=now, limit=1)
    if not claimed:
        return "skipped"
    smtp = get_connection(fail_silently=False)
    try:
        return _send_claimed(claimed[0], smtp)
    finally:
        smtp.close()


def deliver_many(notification_ids: Sequence[int], *, now: datetime | None = None) -> dict[str, int]:
    """Send the due rows among ``notification_ids`` over one SMTP connection."""
    claimed = claim(notification_ids, now=now, limit=len(notification_ids))
    outcome = _send_all(claimed, deadline=_deadline())
    outcome["skipped"] = len(notification_ids) - len(claimed)
    return outcome


def sweep(*, now: datetime | None = None, seconds: float | None = None) -> int:
    """Deliver what is due (lost by the broker, retries, expired claims), 100 rows at a time.

    Stops taking new rows after ``seconds`` (default NOTIFICATION_BATCH_SECONDS); the next
    sweep goes on. Returns how many rows it took.
    """
    deadline = _deadline(seconds)
    taken = 0
    while time.monotonic() < deadline:
        claimed = claim(now=now)
        if not claimed:
            break
        taken += len(claimed)
        _send_all(claimed, deadline=deadline)
    return taken


def _deadline(seconds: float | None = None) -> float:
    return time.monotonic() + (seconds or settings.NOTIFICATION_BATCH_SECONDS)


def _send_all(claimed: list[Notification], *, deadline: float) -> dict[str, int]:
    outcome: dict[str, int] = {}
    if not claimed:
        return outcome
    smtp = get_connection(fail_silently=False)
    try:
        for number, notification in enumerate(claimed):
            if time.monotonic() >= deadline:
                # Out of time (a slow server): hand the rest back untouched, before the task's
                # time limit could kill it with rows claimed.
                _release(claimed[number:])
                outcome["released"] = len(claimed) - number
                break
            result = _send_claimed(notification, smtp)
            outcome[result] = outcome.get(result, 0) + 1
            if result == "unreachable" and number + 1 < len(claimed):
                # The server timed out or went away: every further message would wait out
                # EMAIL_TIMEOUT too. Hand the rest back; the next sweep tries again.
                _release(claimed[number + 1 :])
                outcome["released"] = len(claimed) - number - 1
                break
    finally:
        smtp.close()
    return outcome


def _release(rows: list[Notification]) -> None:
    Notification.objects.filter(pk__in=[row.pk for row in rows], status=Status.SENDING).update(
        status=Status.PENDING, claimed_until=None
    )


def _no_delay(smtp: BaseEmailBackend) -> None:
    """Send SMTP commands at once (TCP_NODELAY).

    Between messages the worker talks to the database; the idle connection falls back to
    delayed ACKs, and Nagle then holds each small command for them: measured 16 ms per message
    instead of 3 ms against a local server.
    """
    sock = getattr(getattr(smtp, "connection", None), "sock", None)
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _unreachable(exc: Exception) -> bool:
    """Whether the server itself failed (timeout, refused or lost connection), as opposed to
    answering this message with an SMTP reply code."""
    return isinstance(exc, OSError) and not isinstance(
        exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused
    )


def _permanent(exc: Exception) -> bool:
    """Whether retrying cannot help: the recipient or the message was refused with a 5xx."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPDataError):
        return exc.smtp_code >= 500
    return False


def _send_claimed(notification: Notification, smtp: BaseEmailBackend) -> str:
    try:
        email = build_email(notification)
    except ValueError as exc:  # bad address or header data: no retry makes it better
        return _record_failure(notification, exc, permanent=True)
    try:
        # Opened here, not by send(): a connection send() opens it also closes again.
        if smtp.open():
            _no_delay(smtp)
        email.connection = smtp
        email.send()
    except Exception as exc:  # SMTP down, 4xx, timeout, refused recipient
        if not _permanent(exc):
            # The connection may be broken; the next message opens a fresh one.
            smtp.close()
        result = _record_failure(notification, exc, permanent=_permanent(exc))
        return "unreachable" if result == "retry" and _unreachable(exc) else result
    _record(
        notification,
        status=Status.SENT,
        sent_at=timezone.now(),
        attempts=notification.attempts + 1,
        claimed_until=None,
        message_id=email.extra_headers["Message-ID"],
        error="",
    )
    return "sent"


def _record(notification: Notification, **fields: Any) -> None:
    """Write the outcome of one attempt, right after it (so a dead worker loses at most one).

    On PostgreSQL without waiting for the WAL flush (``synchronous_commit = off``): a flush per
    message cost 4.5 ms here, more than sending it. The record survives any death of the
    worker (the server has it); only a crash of the database server within a fraction of a
    second could lose it, and then the row's claim expires and the message goes out again,
    with the same Message-ID. The claim itself stays fully durable.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        Notification.objects.filter(pk=notification.pk, status=Status.SENDING).update(**fields)


def _record_failure(notification: Notification, exc: Exception, *, permanent: bool) -> str:
    attempts = notification.attempts + 1
    failed = permanent or attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
    _record(
        notification,
        status=Status.FAILED if failed else Status.PENDING,
        attempts=attempts,
        claimed_until=None,
        next_attempt_at=timezone.now() + backoff(attempts),
        error=f"{type(exc).__name__}: {exc}"[:2000],
    )
    log.warning("notification %s attempt %s failed: %s", notification.pk, attempts, exc)
    return "failed" if failed else "retry"


def due_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Rows a sweep would take now: due pending rows and expired claims (for monitoring)."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(_claimable(now))
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def resend(notification_id: int) -> bool:
    """Coordinator action: put a failed row back in the queue with fresh attempts.

    Returns False if the row is not failed (sent rows are never sent again from here).
    """
    with transaction.atomic():
        requeued = Notification.objects.filter(pk=notification_id, status=Status.FAILED).update(
            status=Status.PENDING, next_attempt_at=timezone.now(), attempts=0, claimed_until=None
        )
        if requeued:
            from notifications.tasks import deliver_notification

            transaction.on_commit(lambda: enqueue(deliver_notification, [[notification_id]]))
    return bool(requeued)
