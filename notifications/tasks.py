"""Celery tasks of the outbox: thin, idempotent, taking ids."""

from __future__ import annotations

from celery import shared_task

from notifications import services


@shared_task(name="notifications.deliver")
def deliver_notification(notification_id: int) -> str:
    return services.deliver(notification_id)


@shared_task(name="notifications.deliver_batch")
def deliver_batch(notification_ids: list[int]) -> dict[str, int]:
    return services.deliver_many(notification_ids)


@shared_task(name="notifications.sweep_outbox")
def sweep_outbox() -> int:
    """Every minute: deliver what the broker lost or what is due for a retry, in chunks."""
    ids = services.due_ids()
    for start in range(0, len(ids), 100):
        services.deliver_many(ids[start : start + 100])
    return len(ids)
