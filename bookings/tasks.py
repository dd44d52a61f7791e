"""Periodic tasks of consultation bookings (thin: each calls one idempotent service)."""

from __future__ import annotations

from celery import shared_task

from bookings import proposals, services


@shared_task(name="bookings.expire_holds")
def expire_holds() -> int:
    """Every minute: release holds past their expiry."""
    return services.expire_holds()


@shared_task(name="bookings.send_due_reminders")
def send_due_reminders() -> int:
    """Every minute: queue the consultation reminders that are due (each once)."""
    return services.send_due_reminders()


@shared_task(name="bookings.lapse_proposals")
def lapse_proposals() -> int:
    """Every minute: end the experts' counter-proposals past their expiry, telling both sides."""
    return proposals.lapse_proposals()
