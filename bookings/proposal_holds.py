"""What an expert's counter-proposal holds: the definition of a held proposed slot (it blocks the
expert's time like a hold) and its release when the consultation ends or moves."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from bookings.models import BookingProposal

Proposal = BookingProposal.Status


def held_q(now: datetime) -> Q:
    """ProposedSlot rows that hold the expert's time at ``now``: their proposal is open and has
    not expired (a lapsed one no sweep has ended yet holds nothing, like a lapsed hold)."""
    return Q(proposal__status=Proposal.OPEN, proposal__expires_at__gt=now)


def withdraw_open(booking_id: int, *, now: datetime) -> int:
    """Withdraw the consultation's open proposal, if any (its slots are free again)."""
    return BookingProposal.objects.filter(booking_id=booking_id, status=Proposal.OPEN).update(
        status=Proposal.WITHDRAWN, decided_at=now
    )
