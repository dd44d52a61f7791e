"""Celery tasks of the exchange: thin, idempotent."""

from __future__ import annotations

from celery import shared_task

from exchange import following


@shared_task(name="exchange.send_digests")
def send_digests() -> int:
    """Daily: one e-mail per digest reader with the posts gathered since the last one."""
    return following.send_digests()
