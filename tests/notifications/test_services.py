"""The outbox services: writing with the change, dedup, claiming, retries, the sweep, resend."""

from __future__ import annotations

import math
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from notifications import services, tasks
from notifications.models import Notification
from notifications.services import Rendered, queue_many, queue_notification
from tests.notifications.backends import ScriptedBackend

MESSAGE = Rendered(subject="Hallo", text="Text", html="<p>Text</p>")
Status = Notification.Status


@pytest.fixture(autouse=True)
def scripted_smtp(settings):  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "tests.notifications.backends.ScriptedBackend"
    ScriptedBackend.reset()
    yield ScriptedBackend
    ScriptedBackend.reset()


@pytest.fixture
def enqueued(monkeypatch):  # type: ignore[no-untyped-def]
    """What would have gone to the broker: (task name, args) in order."""
    sent: list[tuple[str, list]] = []
    for task in (tasks.deliver_notification, tasks.deliver_batch):
        monkeypatch.setattr(
            task, "apply_async", lambda args, _name=task.name, **kw: sent.append((_name, args))
        )
    return sent


def _queue(key: str = "k1", **kwargs: object) -> Notification:
    with transaction.atomic():
        return queue_notification(
            recipient=kwargs.pop("recipient", "anna@gemeinde.example"),  # type: ignore[arg-type]
            kind="test",
            dedup_key=key,
            message=kwargs.pop("message", MESSAGE),  # type: ignore[arg-type]
            **kwargs,  # type: ignore[arg-type]
        )


def _unsaved(key: str, recipient: str = "p@gemeinde.example") -> Notification:
    return Notification(
        recipient=recipient, kind="event_changed", dedup_key=key, subject="S", body_text="T"
    )


# --- writing ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_queue_notification_outside_a_transaction_raises():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        queue_notification(recipient="a@b.example", kind="t", dedup_key="x", message=MESSAGE)
    with pytest.raises(RuntimeError, match="inside the transaction"):
        queue_many([_unsaved("y")])
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change_leaves_no_row_and_enqueues_nothing(enqueued):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        queue_notification(recipient="a@b.example", kind="t", dedup_key="x", message=MESSAGE)
        1 / 0  # noqa: B018 - the change fails after writing its notification

    assert not Notification.objects.exists()
    assert enqueued == []


@pytest.mark.django_db
def test_same_dedup_key_twice_keeps_one_row_and_enqueues_once(
    django_capture_on_commit_callbacks, enqueued
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _queue("booking-1:confirmed")
    with django_capture_on_commit_callbacks(execute=True):
        second = _queue("booking-1:confirmed", message=Rendered("Anders", "Anders", ""))

    assert first.pk == second.pk
    assert Notification.objects.get().subject == "Hallo"
    assert enqueued == [("notifications.deliver", [first.pk])]


@pytest.mark.django_db
def test_future_send_after_is_left_to_the_sweep(django_capture_on_commit_callbacks, enqueued):
    with django_capture_on_commit_callbacks(execute=True):
        row = _queue(send_after=timezone.now() + timedelta(days=1))

    assert enqueued == []
    assert services.deliver(row.pk) == "skipped"
    assert services.deliver(row.pk, now=timezone.now() + timedelta(days=2)) == "sent"


@pytest.mark.django_db
def test_queue_many_inserts_in_bulk_and_enqueues_chunks_of_100(
    django_capture_on_commit_callbacks, django_assert_num_queries, enqueued
):
    rows = [_unsaved(f"event-1:3:{i}", f"p{i}@gemeinde.example") for i in range(250)]

    fields = [f for f in Notification._meta.concrete_fields if not f.primary_key]
    # One upsert per batch (500 rows on PostgreSQL; SQLite binds fewer parameters) returning
    # the ids and statuses: never a query per row, nor a second read.
    batches = math.ceil(250 / min(500, connection.ops.bulk_batch_size(fields, rows)))

    with (
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
        django_assert_num_queries(batches),
    ):
        ids = queue_many(rows)

    assert len(ids) == 250 == Notification.objects.count()
    assert [name for name, _ in enqueued] == ["notifications.deliver_batch"] * 3
    assert [len(args[0]) for _, args in enqueued] == [100, 100, 50]
    assert sorted(i for _, args in enqueued for i in args[0]) == sorted(ids)


@pytest.mark.django_db
def test_queue_many_with_partly_existing_keys_keeps_them_and_skips_sent_ones(
    django_capture_on_commit_callbacks, enqueued
):
    sent = _queue("event-1:3:0", recipient="p0@gemeinde.example")
    Notification.objects.filter(pk=sent.pk).update(status=Status.SENT)
    pending = _queue("event-1:3:1", recipient="p1@gemeinde.example")
    enqueued.clear()
    rows = [_unsaved(f"event-1:3:{i}") for i in range(5)] + [_unsaved("event-1:3:4")]

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        ids = queue_many(rows)

    assert Notification.objects.count() == 5
    assert sent.pk not in ids and pending.pk in ids and len(ids) == 4
    # Existing rows keep what they were written with.
    assert Notification.objects.get(pk=pending.pk).subject == "Hallo"
    assert Notification.objects.get(pk=sent.pk).status == Status.SENT
    assert enqueued == [("notifications.deliver_batch", [ids])]


@pytest.mark.django_db
def test_broker_down_never_fails_the_change(django_capture_on_commit_callbacks, monkeypatch):
    def broker_down(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.deliver_notification, "apply_async", broker_down)
    monkeypatch.setattr(tasks.deliver_batch, "apply_async", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        row = _queue()
        with transaction.atomic():
            queue_many([_unsaved(f"m{i}") for i in range(3)])

    assert Notification.objects.count() == 4
    assert row.pk in services.due_ids()
    assert services.sweep() == 4
    assert Notification.objects.filter(status=Status.SENT).count() == 4


# --- delivering -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_delivered_row_is_never_sent_again(scripted_smtp):
    row = _queue()

    assert services.deliver(row.pk) == "sent"
    assert services.deliver(row.pk) == "skipped"
    assert tasks.deliver_batch([row.pk]) == {"skipped": 1}
    assert services.sweep(now=timezone.now() + timedelta(days=1)) == 0

    row.refresh_from_db()
    assert (row.status, row.attempts, row.claimed_until) == (Status.SENT, 1, None)
    assert row.sent_at is not None
    assert len(scripted_smtp.sent) == 1


@pytest.mark.django_db
def test_claimed_row_is_not_sent_by_a_second_delivery(scripted_smtp):
    row = _queue()
    (claimed,) = services.claim([row.pk])

    assert services.deliver(row.pk) == "skipped"
    assert claimed.status == Status.SENDING
    assert scripted_smtp.sent == []


@pytest.mark.django_db
def test_temporary_refusal_is_retried_with_growing_backoff_then_delivered(scripted_smtp):
    row = _queue()
    scripted_smtp.refuse = True
    delays = []
    for attempt in (1, 2, 3):
        before = timezone.now()
        assert services.deliver(row.pk, now=timezone.now() + timedelta(days=attempt)) == "retry"
        row.refresh_from_db()
        assert (row.status, row.attempts) == (Status.PENDING, attempt)
        assert "451" in row.error
        delays.append(row.next_attempt_at - before)

    # Attempt n waits between half and all of 2^(n-1) minutes.
    for n, delay in enumerate(delays, 1):
        ceiling = timedelta(minutes=2 ** (n - 1))
        assert ceiling / 2 - timedelta(seconds=1) <= delay <= ceiling + timedelta(seconds=1)
    assert services.deliver(row.pk) == "skipped"  # not due yet

    scripted_smtp.refuse = False
    assert services.deliver(row.pk, now=row.next_attempt_at) == "sent"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error) == (Status.SENT, 4, "")


@pytest.mark.django_db
def test_a_server_timing_out_ends_the_batch_and_hands_the_rest_back_untried(scripted_smtp):
    ids = [_queue(f"t{i}").pk for i in range(5)]
    scripted_smtp.time_out = True

    outcome = services.deliver_many(ids)

    assert outcome == {"unreachable": 1, "released": 4, "skipped": 0}
    rows = Notification.objects.order_by("next_attempt_at", "id")
    assert {row.status for row in rows} == {Status.PENDING}
    assert sorted(row.attempts for row in rows) == [0, 0, 0, 0, 1]
    assert "timed out" in rows.get(attempts=1).error


@pytest.mark.django_db
def test_a_reply_code_refusal_does_not_end_the_batch(scripted_smtp):
    ids = [_queue(f"r{i}").pk for i in range(3)]
    scripted_smtp.refuse = True

    assert services.deliver_many(ids) == {"retry": 3, "skipped": 0}


@pytest.mark.django_db
def test_after_max_attempts_the_row_fails_and_the_sweep_leaves_it(scripted_smtp, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    row = _queue()
    scripted_smtp.refuse = True
    later = timezone.now()
    results = []
    for _ in range(3):
        later += timedelta(days=1)
        results.append(services.deliver(row.pk, now=later))

    assert results == ["retry", "retry", "failed"]
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 3)
    assert services.due_ids(now=later + timedelta(days=30)) == []


@pytest.mark.django_db
def test_permanent_recipient_rejection_fails_at_once(scripted_smtp):
    row = _queue(recipient="gibtsnicht@gemeinde.example")
    scripted_smtp.reject = {"gibtsnicht@gemeinde.example"}

    assert services.deliver(row.pk) == "failed"

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 1)
    assert "550" in row.error
    assert services.due_ids(now=timezone.now() + timedelta(days=30)) == []


@pytest.mark.django_db
def test_unusable_address_fails_at_once_without_smtp(scripted_smtp):
    row = _queue(recipient="anna@gemeinde.example\nBcc: spy@evil.example")

    assert services.deliver(row.pk) == "failed"
    assert Notification.objects.get(pk=row.pk).error.startswith("ValueError")
    assert scripted_smtp.sent == []


@pytest.mark.django_db
def test_batch_sends_each_due_row_once_and_counts_outcomes(scripted_smtp):
    rows = [_queue(f"b{i}", recipient=f"p{i}@gemeinde.example") for i in range(5)]
    scripted_smtp.reject = {"p3@gemeinde.example"}
    ids = [row.pk for row in rows]

    assert services.deliver_many(ids) == {"sent": 4, "failed": 1, "skipped": 0}
    assert services.deliver_many(ids) == {"skipped": 5}
    assert len(scripted_smtp.sent) == 4


@pytest.mark.django_db
def test_batch_out_of_time_hands_the_rest_back_uncounted(scripted_smtp, settings):
    settings.NOTIFICATION_BATCH_SECONDS = 1e-9
    rows = [_queue(f"b{i}") for i in range(3)]

    outcome = services.deliver_many([row.pk for row in rows])

    assert outcome == {"released": 3, "skipped": 0}
    assert set(Notification.objects.values_list("status", "attempts", "claimed_until")) == {
        (Status.PENDING, 0, None)
    }


# --- sweep, leases, resend --------------------------------------------------------------------


@pytest.mark.django_db
def test_sweep_takes_over_rows_whose_lease_expired_and_leaves_live_claims(scripted_smtp):
    dead = _queue("dead-worker")
    alive = _queue("live-worker")
    services.claim([dead.pk, alive.pk])
    now = timezone.now()
    Notification.objects.filter(pk=dead.pk).update(claimed_until=now - timedelta(seconds=1))

    assert services.due_ids(now=now) == [dead.pk]
    assert services.sweep(now=now) == 1

    assert Notification.objects.get(pk=dead.pk).status == Status.SENT
    assert Notification.objects.get(pk=alive.pk).status == Status.SENDING
    assert len(scripted_smtp.sent) == 1


@pytest.mark.django_db
def test_lease_outlives_the_task_time_limit(settings):
    row = _queue()
    now = timezone.now()

    (claimed,) = services.claim([row.pk], now=now)

    assert claimed.claimed_until - now > timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


@pytest.mark.django_db
def test_resend_puts_a_failed_row_back_and_it_is_delivered(
    scripted_smtp, django_capture_on_commit_callbacks, enqueued
):
    row = _queue(recipient="voll@gemeinde.example")
    scripted_smtp.reject = {"voll@gemeinde.example"}
    services.deliver(row.pk)
    scripted_smtp.reject = set()
    enqueued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert services.resend(row.pk) is True

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.PENDING, 0)
    assert enqueued == [("notifications.deliver", [row.pk])]
    assert services.deliver(row.pk) == "sent"
    assert services.resend(row.pk) is False  # a sent row stays sent


def test_backoff_doubles_with_jitter_and_is_capped():
    for attempts in range(1, 20):
        ceiling = min(60 * 2 ** (attempts - 1), 6 * 3600)
        samples = {services.backoff(attempts).total_seconds() for _ in range(20)}
        assert all(ceiling / 2 <= s <= ceiling for s in samples)
        assert len(samples) > 1  # jitter: a batch that failed together does not retry together


# --- claim races ------------------------------------------------------------------------------


def _race(ids: list[int], threads: int) -> list[list[int]]:
    """``threads`` workers claim from ``ids`` at the same moment; what each got."""
    barrier = threading.Barrier(threads)
    got: list[list[int]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            got[index] = [row.pk for row in services.claim(ids, limit=len(ids))]
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=30)
    assert not errors, errors
    return got


@pytest.mark.django_db(transaction=True)
def test_two_threads_claiming_the_same_row_one_wins():
    row = _queue()

    got = _race([row.pk], threads=2)

    assert sorted(len(g) for g in got) == [0, 1]


@pytest.mark.django_db(transaction=True)
def test_claim_refuses_to_run_inside_a_transaction():
    row = _queue()
    # The lock would then be held across the SMTP conversation.
    with pytest.raises(RuntimeError), transaction.atomic():
        services.claim([row.pk])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_on_postgres_split_rows_without_overlap_or_waiting():
    ids = [_queue(f"r{i}", recipient=f"p{i}@gemeinde.example").pk for i in range(200)]

    got = _race(ids, threads=4)

    claimed = [pk for g in got for pk in g]
    assert sorted(claimed) == sorted(ids)  # every row exactly once
    assert Notification.objects.filter(status=Status.SENDING).count() == 200


def test_celery_and_outbox_timings_fit_together(settings):
    """Nothing is redelivered while it runs, and no claim expires while its task may run."""
    time_limit = settings.CELERY_TASK_TIME_LIMIT
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", float("inf"))

    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < time_limit < visibility
    assert time_limit < settings.NOTIFICATION_LEASE_SECONDS
    # A batch stops taking messages early enough to finish its last one before the soft limit.
    assert (
        settings.NOTIFICATION_BATCH_SECONDS + settings.EMAIL_TIMEOUT + settings.EMAIL_DATA_TIMEOUT
        < settings.CELERY_TASK_SOFT_TIME_LIMIT
    )
