"""Feeds the pure matcher (experts/matching.py) from the ORM and keeps its matrix warm.

DESIGN.md 6: the experts' features live as arrays built once per process, not per request.

- The matrix is rebuilt when its *version* changes: a counter in the cache (shared by all web
  processes when Redis is the cache) that signals on ExpertProfile, ExpertTopic and the conflicts
  bump, plus a database fingerprint (count, max id, max updated_at of the active profiles) so that
  processes with a private cache (the embedded default) see each other's edits too.
- Load and feedback change with every booking, so rebuilding on them would rebuild all the time.
  They come from one grouped query over the bookings, refreshed at most every
  `MATCHING_STATS_SECONDS` (default 60) and swapped into a copy of the matrix (a few numpy
  arrays, about a millisecond for 10,000 experts, against ~150 ms for a rebuild).
- The exact earliest slot is computed for the top K only, in one batch, by
  `experts.selectors.earliest_slots` (which subtracts bookings through the busy source the
  bookings app registers; experts may not import bookings, DESIGN.md 2).
"""

from __future__ import annotations

import copy
import logging
import time as monotonic
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from consult.models import ConsultationRequest, Topic
from experts.matching import (
    ExpertFeatures,
    ExpertMatrix,
    Match,
    RequestFeatures,
    Weights,
    rank_experts,
)
from experts.models import ExpertProfile, ExpertTopic
from experts.selectors import earliest_slots

log = logging.getLogger(__name__)

VERSION_KEY = "experts:matrix:version"
TOP_K = 50  # exact earliest slot for these (DESIGN.md 6)
TOP_N = 10  # explained and shown
# Booking states that use up an expert's monthly capacity (held counts while the hold lasts).
_LOAD_STATES = ("requested", "confirmed", "completed", "no_show")


def current_weights() -> Weights:
    return Weights.from_mapping(settings.MATCHING_WEIGHTS)


# --- the version ------------------------------------------------------------------------------


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no counter yet (or evicted): start one; a lost race only bumps twice
        cache.set(VERSION_KEY, int(monotonic.time() * 1000), timeout=None)
    except Exception:  # the cache is down: the database fingerprint still carries the change
        log.warning("could not bump the expert matrix version", exc_info=True)


def bump_matrix_version(**_kwargs: Any) -> None:
    """Mark the matrix stale: now (this process, this transaction) and again after commit, so
    no other process rebuilds from the uncommitted state and keeps it as the new version."""
    _bump()
    transaction.on_commit(_bump)


def _cached_counter() -> Any:
    try:
        return cache.get(VERSION_KEY)
    except Exception:
        log.warning("cache unavailable; using the database fingerprint only", exc_info=True)
        return None


def matrix_version() -> tuple[Any, ...]:
    """(cache counter, active profiles' count, max id, max updated_at): one cache get, one query."""
    fingerprint = ExpertProfile.objects.filter(active=True).aggregate(
        n=Count("id"), top=Max("id"), last=Max("updated_at")
    )
    return (_cached_counter(), fingerprint["n"], fingerprint["top"], fingerprint["last"])


@receiver(post_save, sender=ExpertProfile)
@receiver(post_delete, sender=ExpertProfile)
@receiver(post_save, sender=ExpertTopic)
@receiver(post_delete, sender=ExpertTopic)
def _profile_changed(**kwargs: Any) -> None:
    bump_matrix_version()


@receiver(m2m_changed, sender=ExpertProfile.conflicts.through)
def _conflicts_changed(action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        bump_matrix_version()


# --- building the matrix ----------------------------------------------------------------------


def expert_features() -> list[ExpertFeatures]:
    """The active experts as the matcher sees them, without load and feedback: three queries."""
    levels: dict[int, dict[str, int]] = {}
    for expert_id, slug, level in ExpertTopic.objects.filter(expert__active=True).values_list(
        "expert_id", "topic__slug", "level"
    ):
        levels.setdefault(expert_id, {})[slug] = level
    conflicts: dict[int, set[int]] = {}
    through = ExpertProfile.conflicts.through
    for expert_id, municipality_id in through.objects.filter(
        expertprofile__active=True
    ).values_list("expertprofile_id", "municipality_id"):
        conflicts.setdefault(expert_id, set()).add(municipality_id)
    rows = ExpertProfile.objects.filter(active=True).values_list(
        "id",
        "display_name",
        "procedure_types",
        "size_classes",
        "home_latitude",
        "home_longitude",
        "travel_radius_km",
        "states",
        "languages",
        "formats",
        "monthly_capacity",
    )
    return [
        ExpertFeatures(
            id=pk,
            name=name,
            active=True,
            topic_levels=levels.get(pk, {}),
            procedure_types=frozenset(procedures or ()),
            size_classes=frozenset(sizes or ()),
            lat=lat,
            lon=lon,
            travel_radius_km=float(radius),
            states=frozenset(states or ()),
            languages=frozenset(languages or ()),
            # Unknown values (a hand-edited row) are dropped rather than failing every match.
            formats=frozenset(f for f in formats or () if f in ("online", "onsite")),
            monthly_capacity=capacity,
            conflicts=frozenset(conflicts.get(pk, ())),
        )
        for (
            pk,
            name,
            procedures,
            sizes,
            lat,
            lon,
            radius,
            states,
            languages,
            formats,
            capacity,
        ) in rows
    ]


@dataclass(frozen=True, slots=True)
class BookingStats:
    bookings_this_month: int = 0
    rating_sum: float = 0.0
    rating_count: int = 0


def booking_stats(*, now: datetime) -> dict[int, BookingStats]:
    """Per expert: bookings this month (Berlin calendar month) and the ratings: one query.

    The bookings app sits above experts, so its model is looked up by name instead of imported;
    without it installed there is no load and no feedback.
    """
    try:
        booking = apps.get_model("bookings", "ConsultationBooking")
    except LookupError:
        return {}
    zone = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(zone)
    month_start = datetime.combine(local.date().replace(day=1), time(), zone)
    next_month = datetime.combine(
        (local.date().replace(day=28) + timedelta(days=4)).replace(day=1), time(), zone
    )
    this_month = Q(start__gte=month_start, start__lt=next_month) & (
        Q(status__in=_LOAD_STATES) | Q(status="held", hold_expires_at__gt=now)
    )
    rows = booking.objects.values("expert_id").annotate(
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


def with_booking_stats(matrix: ExpertMatrix, stats: Mapping[int, BookingStats]) -> ExpertMatrix:
    """A copy of `matrix` whose load and feedback columns hold `stats` (others shared).

    Equal to building the matrix with the stats in the features (tests/experts/
    test_match_selectors.py checks that); the arrays are swapped, never written in place, so a
    request ranking on the old matrix meanwhile is unaffected.
    """
    n = len(matrix)
    bookings = np.zeros(n, dtype=np.int64)
    rating_sum = np.zeros(n, dtype=np.float64)
    rating_count = np.zeros(n, dtype=np.float64)
    for expert_id, row_stats in stats.items():
        row = matrix.row_of.get(expert_id)
        if row is not None:
            bookings[row] = row_stats.bookings_this_month
            rating_sum[row] = row_stats.rating_sum
            rating_count[row] = row_stats.rating_count
    fresh = copy.copy(matrix)
    fresh.bookings = bookings
    load = np.divide(bookings, matrix.capacity, out=np.ones(n), where=matrix.capacity > 0)
    fresh.load_score = np.clip(1.0 - load, 0.0, 1.0)
    fresh.rating_sum = rating_sum
    fresh.rating_count = rating_count
    fresh._feedback = {}
    return fresh


@dataclass(slots=True)
class _Warm:
    version: tuple[Any, ...]
    base: ExpertMatrix
    matrix: ExpertMatrix
    stats_at: float


_warm: _Warm | None = None


def reset_matrix() -> None:
    """Forget the warm matrix (tests; a process that changed the taxonomy)."""
    global _warm
    _warm = None


def expert_matrix(*, now: datetime) -> ExpertMatrix:
    """The warm matrix: rebuilt when the version moved, load and feedback refreshed when due."""
    global _warm
    version = matrix_version()
    warm = _warm
    ttl = float(getattr(settings, "MATCHING_STATS_SECONDS", 60))
    if warm is None or warm.version != version:
        topics = list(Topic.objects.values_list("slug", flat=True))
        base = ExpertMatrix.build(expert_features(), topics)
        warm = _Warm(version, base, with_booking_stats(base, booking_stats(now=now)), 0.0)
        warm.stats_at = monotonic.monotonic()
    elif monotonic.monotonic() - warm.stats_at >= ttl:
        warm = _Warm(
            version,
            warm.base,
            with_booking_stats(warm.base, booking_stats(now=now)),
            monotonic.monotonic(),
        )
    _warm = warm  # one assignment: concurrent threads see the old or the new state, both whole
    return warm.matrix


# --- requests ---------------------------------------------------------------------------------


def request_window(request: ConsultationRequest) -> tuple[datetime, datetime]:
    """The wanted window as aware datetimes: the first day's start to the day after the last."""
    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(request.earliest, time(), zone)
    end = datetime.combine(request.latest + timedelta(days=1), time(), zone)
    return start, end


def request_features(
    request: ConsultationRequest, *, format: str | None = None, language: str | None = None
) -> RequestFeatures:
    """`request` for the matcher; `format`/`language` override the request's (exploring)."""
    municipality = request.plan.municipality
    start, end = request_window(request)
    return RequestFeatures(
        municipality_id=municipality.pk,
        lat=municipality.latitude,
        lon=municipality.longitude,
        state=municipality.state,
        size_class=municipality.size_class,
        procedure_type=request.plan.procedure_type,
        topics={tw.topic.slug: tw.weight for tw in request.topic_weights.all()},
        format=format or request.format,
        language=language or request.language,
        window_start=start,
        window_end=end,
    )


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
    features = request_features(request, format=format, language=language)
    weights = weights or current_weights()
    candidates = rank_experts(matrix, features, weights=weights, top_k=top_k, top_n=top_k)
    if not candidates:
        return []
    slots = earliest_slots(
        [m.expert_id for m in candidates],
        start=features.window_start,
        end=features.window_end,
        duration=request.duration_minutes,
        now=now,
    )
    return rank_experts(
        matrix, features, weights=weights, earliest_slot=dict(slots), top_k=top_k, top_n=top_n
    )


# --- records ----------------------------------------------------------------------------------


def match_result(match: Match) -> dict[str, Any]:
    """One shown match as kept in a MatchRecord (both languages: the reader's may differ)."""
    return {
        "expert": {"id": match.expert_id, "name": match.name},
        "score": round(match.score, 6),
        "criteria": {name: round(value, 6) for name, value in match.criteria.items()},
        "explanation_de": match.explanation_de,
        "explanation_en": match.explanation_en,
        "earliest_slot": match.earliest_slot.isoformat() if match.earliest_slot else None,
    }


def weights_dict(weights: Weights) -> dict[str, float]:
    return {name: getattr(weights, name) for name in weights.__dataclass_fields__}


# --- batch assignment input -------------------------------------------------------------------


def open_requests(request_ids: Iterable[int] | None = None) -> list[ConsultationRequest]:
    """Open requests (optionally only `request_ids`) with what matching reads: two queries."""
    qs = (
        ConsultationRequest.objects.filter(status=ConsultationRequest.Status.OPEN)
        .select_related("plan__municipality")
        .prefetch_related("topic_weights__topic")
        .order_by("created_at", "id")
    )
    if request_ids is not None:
        qs = qs.filter(pk__in=list(request_ids))
    return list(qs)
