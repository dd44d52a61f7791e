"""Celery tasks of the outbox: thin, idempotent, taking ids.

No task retries through the broker (no countdown or ETA): a failed attempt is recorded on the
row with its next attempt time, and the sweep takes it up then. So nothing waits in Redis longer
than the visibility timeout, and a redelivered task finds its rows sent or held and skips them.
"""

from __future__ import annotations

from celery import shared_task

from notifications import delivery


@shared_task(name="notifications.deliver")
def deliver_notification(notification_id: int) -> str:
    return delivery.deliver(notification_id)


@shared_task(name="notifications.deliver_batch")
def deliver_batch(notification_ids: list[int]) -> dict[str, int]:
    return delivery.deliver_many(notification_ids)


@shared_task(name="notifications.sweep_outbox")
def sweep_outbox() -> int:
    """Every minute (beat): deliver what the broker lost, retries that are due, expired claims."""
    return delivery.sweep()
