"""Feeds the pure matcher (experts/matching.py) from the ORM and keeps its matrix warm.

Load and feedback come from the bookings, one floor up: bookings/matches.py swaps them in
(``with_booking_stats``). The reasoning: docs/architecture-experts.md, "The warm matrix".
"""

from __future__ import annotations

import copy
import logging
import time as monotonic
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import CharField, Count, Max
from django.db.models.functions import Cast
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from consult.models import ConsultationRequest, Topic
from experts.matching import ExpertFeatures, ExpertMatrix, Match, RequestFeatures, Weights
from experts.models import ExpertProfile, ExpertTopic

log = logging.getLogger(__name__)

VERSION_KEY = "experts:matrix:version"


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


# Experts this process saw change (by the signals below) since its matrix last read them. A
# stamp alone can miss an edit: two writes in one clock tick (a frozen clock in tests, a coarse
# one elsewhere) leave the same updated_at, and a rolled-back row and a new one with the reused
# id can carry the same stamp. A refresh reads these again whatever their stamps say.
_dirty: set[int] = set()


def _mark(expert_ids: Iterable[int]) -> None:
    _dirty.update(expert_ids)


def _touch(expert_ids: Iterable[int]) -> None:
    """Move the profiles' stamps (updated_at): a refresh reads the experts whose stamp moved.

    `update()` sends no signals, so this does not bump again.
    """
    expert_ids = list(expert_ids)
    _mark(expert_ids)
    ExpertProfile.objects.filter(pk__in=expert_ids).update(updated_at=timezone.now())


@receiver(post_save, sender=ExpertProfile)
def _profile_saved(instance: ExpertProfile, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is not None and "updated_at" not in update_fields:
        _touch([instance.pk])  # save(update_fields=...) leaves auto_now columns unwritten
    _mark([instance.pk])
    bump_matrix_version()


@receiver(post_delete, sender=ExpertProfile)
@receiver(post_save, sender=Topic)
@receiver(post_delete, sender=Topic)
def _matrix_input_changed(**kwargs: Any) -> None:
    bump_matrix_version()


@receiver(post_save, sender=ExpertTopic)
@receiver(post_delete, sender=ExpertTopic)
def _topic_level_changed(instance: ExpertTopic, **kwargs: Any) -> None:
    _touch([instance.expert_id])
    bump_matrix_version()


@receiver(m2m_changed, sender=ExpertProfile.conflicts.through)
def _conflicts_changed(
    action: str, instance: Any, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if reverse:  # from the municipality's side: pk_set holds expert ids
        if action == "pre_clear":  # post_clear no longer knows whom it concerned
            through = ExpertProfile.conflicts.through
            _touch(
                through.objects.filter(municipality_id=instance.pk).values_list(
                    "expertprofile_id", flat=True
                )
            )
        elif action in ("post_add", "post_remove") and pk_set:
            _touch(pk_set)
    elif action in ("post_add", "post_remove", "post_clear"):
        _touch([instance.pk])
    if action in ("post_add", "post_remove", "post_clear"):
        bump_matrix_version()


# --- building the matrix ----------------------------------------------------------------------


# A profile's stamp: its updated_at as the database prints it. Text, because turning 10,000
# timestamps into aware datetimes costs more than the query; only equality matters.
_STAMP = Cast("updated_at", output_field=CharField())
# Beyond this many changed experts a rebuild (three scans) beats reading them by id.
MAX_INCREMENTAL = 500


def expert_features(
    ids: Collection[int] | None = None,
) -> tuple[list[ExpertFeatures], dict[int, str]]:
    """The active experts (or those of `ids` still active) as the matcher sees them, without
    load and feedback, and each one's stamp: three queries.

    The profiles are read first: an edit committed after that read has moved the stamp past the
    one returned, so topics or conflicts read newer than the stamp are only read again, never
    missed.
    """
    profiles = ExpertProfile.objects.filter(active=True)
    topic_levels = ExpertTopic.objects.filter(expert__active=True)
    through = ExpertProfile.conflicts.through
    conflict_rows = through.objects.filter(expertprofile__active=True)
    if ids is not None:
        profiles = profiles.filter(pk__in=ids)
        topic_levels = topic_levels.filter(expert_id__in=ids)
        conflict_rows = conflict_rows.filter(expertprofile_id__in=ids)
    rows = list(
        profiles.annotate(stamp=_STAMP).values_list(
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
            "stamp",
        )
    )
    levels: dict[int, dict[str, int]] = {}
    for expert_id, slug, level in topic_levels.values_list("expert_id", "topic__slug", "level"):
        levels.setdefault(expert_id, {})[slug] = level
    conflicts: dict[int, set[int]] = {}
    for expert_id, municipality_id in conflict_rows.values_list(
        "expertprofile_id", "municipality_id"
    ):
        conflicts.setdefault(expert_id, set()).add(municipality_id)
    features = [
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
            _stamp,
        ) in rows
    ]
    return features, {row[0]: row[-1] for row in rows}


def active_stamps() -> dict[int, str]:
    """Every active profile's stamp: one query over two columns."""
    return dict(ExpertProfile.objects.filter(active=True).values_list("id", _STAMP))


@dataclass(frozen=True, slots=True)
class BookingStats:
    """One expert's load and feedback, as the bookings app counts them."""

    bookings_this_month: int = 0
    rating_sum: float = 0.0
    rating_count: int = 0


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


@dataclass(frozen=True, slots=True)
class _Warm:
    version: tuple[Any, ...]
    base: ExpertMatrix  # without load and feedback
    stamps: Mapping[int, str]  # expert id -> the stamp its row in `base` was read at


_warm: _Warm | None = None


def reset_matrix() -> None:
    """Forget the warm matrix (tests; a process that changed the taxonomy)."""
    global _warm
    _warm = None
    _dirty.clear()


def _rebuilt(version: tuple[Any, ...]) -> _Warm:
    # The taxonomy first: renamed after this read, it differs from the matrix's at the next
    # refresh, which then rebuilds.
    topics = list(Topic.objects.values_list("slug", flat=True))
    seen_dirty = set(_dirty)  # before the read: an id marked meanwhile stays marked
    features, stamps = expert_features()
    _dirty.difference_update(seen_dirty)
    return _Warm(version, ExpertMatrix.build(features, topics), stamps)


def _refreshed(warm: _Warm, version: tuple[Any, ...]) -> _Warm | None:
    """`warm` with the experts whose stamp changed read again (three to six queries), or None
    when the change cannot be told from the stamps and a rebuild is due."""
    if tuple(Topic.objects.values_list("slug", flat=True)) != warm.base.topics:
        return None
    seen_dirty = set(_dirty)
    stamps = active_stamps()
    removed = warm.stamps.keys() - stamps.keys()  # deleted or deactivated
    changed = [
        pk for pk, stamp in stamps.items() if warm.stamps.get(pk) != stamp or pk in seen_dirty
    ]
    if not (changed or removed):
        # Something bumped the counter that no active profile's stamp shows: an inactive
        # profile, a rolled-back or not yet committed edit, or an edit path that does not
        # touch the stamp. Only a rebuild is sure to be right.
        return None
    if len(changed) + len(removed) > MAX_INCREMENTAL:
        return None
    features, fresh = expert_features(changed) if changed else ([], {})
    removed |= set(changed) - fresh.keys()  # deactivated or deleted since the stamps were read
    base = warm.base.updated(features, removed)
    _dirty.difference_update(seen_dirty)
    kept = {pk: stamp for pk, stamp in warm.stamps.items() if pk not in removed}
    log.debug("expert matrix refreshed: %d read again, %d removed", len(fresh), len(removed))
    return _Warm(version, base, kept | fresh)


def expert_matrix() -> ExpertMatrix:
    """The warm matrix (without load and feedback), refreshed when the version moved.

    Every state is a new `_Warm` assigned in one step and every matrix a new object, so
    concurrent threads rank on the old or the new one, both whole.
    """
    global _warm
    version = matrix_version()
    warm = _warm
    if warm is not None and warm.version != version:
        warm = _refreshed(warm, version)  # None: rebuild
    if warm is None:
        warm = _rebuilt(version)
    _warm = warm
    return warm.base


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
        topic_names={
            tw.topic.slug: (tw.topic.name_de, tw.topic.name_en)
            for tw in request.topic_weights.all()
        },
        format=format or request.format,
        language=language or request.language,
        window_start=start,
        window_end=end,
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
