"""Fault tests with real components: a Celery worker process, an SMTP server (aiosmtpd), and
a private redis-server that the tests stop, start and starve. Each is bounded (< 60 s).

Time passes by moving ``next_attempt_at``/``claimed_until`` into the past, never by sleeping.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications.models import Notification
from notifications.services import Rendered, queue_notification
from notifications.tasks import deliver_batch, deliver_notification, sweep_outbox
from tests.notifications.servers import (
    FaultySmtpSink,
    kill_worker,
    producer_broker,
    publish,
    queue_fanout,
    redis_server,
    worker_on_private_redis,
)
from tests.workers import celery_worker, wait_for, worker_process

pytestmark = [pytest.mark.celery, pytest.mark.smtp, pytest.mark.django_db(transaction=True)]

Status = Notification.Status
MESSAGE = Rendered(subject="Geänderter Termin", text="Text", html="<p>Text</p>")


def _queue_one(key: str, recipient: str = "kaemmerei@musterstadt.example") -> Notification:
    with transaction.atomic():
        return queue_notification(recipient=recipient, kind="test", dedup_key=key, message=MESSAGE)


def _statuses() -> dict[str, int]:
    return {s: Notification.objects.filter(status=s).count() for s in Status.values}


def _make_due() -> None:
    """Time passes: every retry is due now and every claim has expired."""
    past = timezone.now() - timedelta(seconds=1)
    Notification.objects.filter(status=Status.PENDING).update(next_attempt_at=past)
    Notification.objects.filter(status=Status.SENDING).update(claimed_until=past)


@pytest.mark.redis
def test_broker_down_changes_succeed_and_every_message_arrives_once_when_it_returns():
    with worker_on_private_redis() as (redis, sink, queue):
        redis.stop()

        started = time.monotonic()
        singles = [_queue_one(f"down-{i}", f"person{i}@gemeinde.example") for i in range(3)]
        fanout = queue_fanout("down-event", 40)
        # The broker being down costs each change its publish retries (about a second), never
        # an error: the rows are committed and wait.
        assert time.monotonic() - started < 15
        assert _statuses()[Status.PENDING] == len(singles) + len(fanout) == 43
        assert sink.messages == []

        redis.start()
        publish(sweep_outbox, queue=queue)

        assert wait_for(lambda: _statuses()[Status.SENT] == 43, timeout=40), _statuses()
        ids = sink.message_ids()
        assert len(ids) == 43 and set(ids.values()) == {1}  # every message, once


@pytest.mark.redis
def test_worker_killed_mid_batch_loses_nothing_and_duplicates_only_what_was_in_flight():
    concurrency = 2
    with (
        redis_server() as redis,
        FaultySmtpSink(delay=0.01) as sink,
        producer_broker(redis.url),
    ):
        env = {"CELERY_BROKER_URL": redis.url, "EMAIL_URL": sink.url}
        ids = queue_fanout("kill-event", 500)
        chunks = [ids[i : i + 100] for i in range(0, 500, 100)]
        with worker_process(concurrency=concurrency, extra_env=env) as (queue, worker):
            for chunk in chunks:
                publish(deliver_batch, queue=queue, args=[chunk])
            assert wait_for(lambda: len(sink.messages) >= 120, timeout=40)
            kill_worker(worker)

        at_kill = len(sink.messages)
        recorded_at_kill = set(
            Notification.objects.filter(status=Status.SENT).values_list("pk", flat=True)
        )
        assert at_kill < 500, "the kill came too late to be mid-batch"
        # The killed worker's batches hold their rows until the lease runs out: time passes.
        _make_due()
        with worker_process(concurrency=concurrency, extra_env=env, queue=queue) as (_, _worker):
            # The batches still queued are delivered by the new worker; the sweep takes the rows
            # of the killed batches, whose tasks stay unacknowledged in Redis.
            publish(sweep_outbox, queue=queue)
            assert wait_for(lambda: _statuses()[Status.SENT] == 500, timeout=40), _statuses()

        received = sink.message_ids()
        duplicates = sum(count - 1 for count in received.values())
        assert len(received) == 500  # every message arrived
        # At most one message per pool process was between SMTP's 250 and being recorded as
        # sent when the kill came; nothing recorded as sent was sent again.
        assert duplicates <= concurrency, f"{duplicates} duplicates, {concurrency} in flight"
        print(f"killed after {at_kill} of 500 messages; {duplicates} duplicate(s)")
        duplicated_rows = {mid for mid, count in received.items() if count > 1}
        recorded_ids = set(
            Notification.objects.filter(pk__in=recorded_at_kill).values_list(
                "message_id", flat=True
            )
        )
        assert not duplicated_rows & recorded_ids


def test_smtp_refusing_for_a_while_is_retried_with_backoff_then_delivered():
    with FaultySmtpSink() as sink, celery_worker(extra_env={"EMAIL_URL": sink.url}) as queue:
        sink.refuse = True
        row = _queue_one("refused-for-a-while")
        for attempt in (1, 2, 3):
            deliver_notification.apply_async(args=[row.pk], queue=queue)
            assert wait_for(lambda n=attempt: _attempts(row) == n, timeout=30)
            row.refresh_from_db()
            assert row.status == Status.PENDING and "451" in row.error
            wait = row.next_attempt_at - timezone.now()
            assert timedelta(minutes=2 ** (attempt - 1)) / 2 - timedelta(seconds=5) < wait
            assert wait <= timedelta(minutes=2 ** (attempt - 1))
            _make_due()
        assert sink.messages == []

        sink.refuse = False
        deliver_notification.apply_async(args=[row.pk], queue=queue)
        assert wait_for(lambda: _status(row) == Status.SENT, timeout=30)
        assert len(sink.messages) == 1 and _attempts(row) == 4


def test_slow_smtp_times_out_without_holding_the_worker_then_delivers_each_row():
    # A batch deadline far beyond what one timeout costs: only the first timeout may end it.
    timeout, slow, batch_seconds, rows = 1, 2.0, 30, 20
    env = {
        "EMAIL_TIMEOUT": str(timeout),
        # A server slower than even the patience for DATA's reply (a hung one).
        "EMAIL_DATA_TIMEOUT": str(timeout),
        "NOTIFICATION_BATCH_SECONDS": str(batch_seconds),
    }
    with FaultySmtpSink() as sink, celery_worker(extra_env={"EMAIL_URL": sink.url, **env}) as queue:
        sink.slow_reply = slow  # beyond the worker's EMAIL_TIMEOUT
        ids = queue_fanout("slow", rows)
        started = time.monotonic()
        deliver_batch.apply_async(args=[ids], queue=queue)

        # The batch ends at the first timeout, not after a timeout per row: the task claimed
        # all rows at once, so none "sending" any more means it returned.
        assert wait_for(
            lambda: (
                Notification.objects.filter(attempts__gt=0).exists()
                and not Notification.objects.filter(status=Status.SENDING).exists()
            ),
            timeout=30,
        )
        took = time.monotonic() - started
        assert took < batch_seconds / 2, f"the batch took {took:.1f} s"
        assert _statuses()[Status.PENDING] == rows  # none failed, none sent
        tried = Notification.objects.filter(attempts=1)
        assert tried.count() == 1  # the one that timed out; the rest handed back untried
        assert Notification.objects.filter(attempts=0).count() == rows - 1
        # A timed-out message is retried with backoff (attempt 1: 30-60 s), like a 451.
        for row in tried:
            assert "timed out" in row.error, row.error
            wait = row.next_attempt_at - timezone.now()
            assert timedelta(seconds=25) < wait <= timedelta(seconds=60), wait
        timed_out, in_flight = tried.count(), len(sink.messages)
        assert in_flight <= timed_out  # the server kept only what it was sent

        sink.slow_reply = 0.0
        _make_due()
        publish(sweep_outbox, queue=queue)
        assert wait_for(lambda: _statuses()[Status.SENT] == rows, timeout=30), _statuses()

    received = sink.message_ids()
    duplicates = sum(count - 1 for count in received.values())
    assert len(received) == rows  # every message arrived
    # Only a message the server kept after the worker had given up on it goes out twice.
    assert duplicates <= in_flight, f"{duplicates} duplicates, {in_flight} in flight"
    print(
        f"slow SMTP (DATA answered after {slow:.0f} s, timeout {timeout} s):"
        f" batch of {rows} ended after {took:.1f} s, {timed_out} timed out and retried with"
        f" backoff, {rows - timed_out} handed back, 0 failed; then {rows} sent, lost"
        f" {rows - len(received)}, duplicated {duplicates} (in flight {in_flight})"
    )


def test_smtp_refusing_beyond_the_limit_leaves_the_row_failed_and_visible(client):
    limit = settings.NOTIFICATION_MAX_ATTEMPTS
    with FaultySmtpSink() as sink, celery_worker(extra_env={"EMAIL_URL": sink.url}) as queue:
        sink.refuse = True
        row = _queue_one("refused-for-good")
        for attempt in range(1, limit + 1):
            publish(sweep_outbox, queue=queue)
            assert wait_for(lambda n=attempt: _attempts(row) == n, timeout=30), _attempts(row)
            _make_due()

        assert _status(row) == Status.FAILED
        # Failed is final: the sweep leaves it even when it is long "due".
        publish(sweep_outbox, queue=queue)
        time.sleep(1)  # give a wrong retry the chance to happen (not waiting for backoff)
        assert _attempts(row) == limit and sink.messages == []

    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", "r@x.example", "pw"))
    page = client.get("/admin/notifications/notification/", {"status__exact": "failed"})
    assert "kaemmerei@musterstadt.example" in page.content.decode()


def test_recipient_rejected_permanently_fails_at_once_and_is_not_retried():
    with FaultySmtpSink() as sink, celery_worker(extra_env={"EMAIL_URL": sink.url}) as queue:
        sink.reject = {"gibtsnicht@musterstadt.example"}
        bad = _queue_one("rejected", "gibtsnicht@musterstadt.example")
        good = _queue_one("accepted", "kaemmerei@musterstadt.example")
        deliver_batch.apply_async(args=[[bad.pk, good.pk]], queue=queue)

        assert wait_for(lambda: _status(bad) == Status.FAILED and _status(good) == Status.SENT)
        bad.refresh_from_db()
        assert bad.attempts == 1 and "550" in bad.error

        _make_due()
        publish(sweep_outbox, queue=queue)
        time.sleep(1)  # give a wrong retry the chance to happen (not waiting for backoff)
        assert _attempts(bad) == 1
        assert len(sink.messages) == 1


def _status(row: Notification) -> str:
    return Notification.objects.get(pk=row.pk).status


def _attempts(row: Notification) -> int:
    return Notification.objects.get(pk=row.pk).attempts
