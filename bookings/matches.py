"""Matches for a consultation request: the experts' matrix with load and feedback from the
bookings, ranked by the pure matcher, with each top candidate's earliest free slot."""

from __future__ import annotations

import time as monotonic
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, Sum

from bookings import selectors
from bookings.models import ConsultationBooking
from consult.models import ConsultationRequest
from experts import match_selectors
from experts.match_explain import left_out_text
from experts.match_scoring import exclusions
from experts.match_selectors import BookingStats, with_booking_stats
from experts.matching import ExpertMatrix, Match, Weights, rank_experts

TOP_K = 50  # exact earliest slot for these (DESIGN.md 6)
TOP_N = 10  # explained and shown
Status = ConsultationBooking.Status


def booking_stats(*, now: datetime) -> dict[int, BookingStats]:
    """Per expert: bookings this month (Berlin calendar month) and the ratings: one query."""
    zone = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(zone)
    month_start = datetime.combine(local.date().replace(day=1), time(), zone)
    next_month = datetime.combine(
        (local.date().replace(day=28) + timedelta(days=4)).replace(day=1), time(), zone
    )
    this_month = Q(start__gte=month_start, start__lt=next_month) & (
        Q(status__in=ConsultationBooking.USES_CAPACITY)
        | Q(status=Status.HELD, hold_expires_at__gt=now)
    )
    rows = ConsultationBooking.objects.values("expert_id").annotate(
        month=Count("id", filter=this_month),
        rating_sum=Sum("rating"),
        rating_count=Count("rating"),
    )
    return {
        row["expert_id"]: BookingStats(
            row["month"], float(row["rating_sum"] or 0), row["rating_count"]
        )
        for row in rows
    }


@dataclass(frozen=True, slots=True)
class _Loaded:
    base: ExpertMatrix  # the experts' warm matrix this was built on
    matrix: ExpertMatrix  # base with `stats` swapped in
    stats: Mapping[int, BookingStats]
    stats_at: float


_loaded: _Loaded | None = None


def expert_matrix(*, now: datetime) -> ExpertMatrix:
    """The experts' warm matrix with load and feedback swapped in.

    Load and feedback change with every booking, so they are read again at most every
    ``MATCHING_STATS_SECONDS`` (default 60) and whenever the experts' matrix is a new one;
    swapping them in costs about a millisecond for 10,000 experts.
    """
    global _loaded
    base = match_selectors.expert_matrix()
    loaded = _loaded
    ttl = float(getattr(settings, "MATCHING_STATS_SECONDS", 60))
    if loaded is None or loaded.base is not base or monotonic.monotonic() - loaded.stats_at >= ttl:
        stats = booking_stats(now=now)
        loaded = _Loaded(base, with_booking_stats(base, stats), stats, monotonic.monotonic())
        _loaded = loaded
    return loaded.matrix


def reset_matrix() -> None:
    """Forget the warm matrices, the experts' and this one (tests; a changed taxonomy)."""
    global _loaded
    _loaded = None
    match_selectors.reset_matrix()


def matches_for(
    request: ConsultationRequest,
    *,
    now: datetime,
    format: str | None = None,
    language: str | None = None,
    weights: Weights | None = None,
    top_k: int = TOP_K,
    top_n: int = TOP_N,
) -> list[Match]:
    """The best experts for `request`, with exact earliest slots for the top K only.

    Ranks twice on the warm matrix (about a millisecond each for 10,000 experts): first without
    availability to learn the K candidates, then with their slots, fetched in one batch.
    """
    matrix = expert_matrix(now=now)
    features = match_selectors.request_features(request, format=format, language=language)
    weights = weights or match_selectors.current_weights()
    candidates = rank_experts(matrix, features, weights=weights, top_k=top_k, top_n=top_k)
    if not candidates:
        return []
    slots = selectors.earliest_slots(
        [m.expert_id for m in candidates],
        start=features.window_start,
        end=features.window_end,
        duration=request.duration_minutes,
        now=now,
    )
    return rank_experts(
        matrix, features, weights=weights, earliest_slot=dict(slots), top_k=top_k, top_n=top_n
    )


@dataclass(frozen=True, slots=True)
class LeftOut:
    """The active experts a request leaves out, by the first reason that applies."""

    reasons: Mapping[str, int]
    explanation_de: str
    explanation_en: str


def left_out(
    request: ConsultationRequest,
    *,
    now: datetime,
    format: str | None = None,
    language: str | None = None,
) -> LeftOut:
    """Who `matches_for` leaves out and why (for the coordinator's view): no queries beyond
    the warm matrix's."""
    features = match_selectors.request_features(request, format=format, language=language)
    reasons = exclusions(expert_matrix(now=now), features)
    explanation_de, explanation_en = left_out_text(reasons)
    return LeftOut(reasons, explanation_de, explanation_en)
