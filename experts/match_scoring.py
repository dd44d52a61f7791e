"""The matcher's formulas, vectorised over the matrix: feasibility, each criterion, the total."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np

from experts.match_features import (
    DEFAULT_WEIGHTS,
    MAX_LEVEL,
    MAX_TOPIC_WEIGHT,
    SIZE_CLASSES,
    RequestFeatures,
    Weights,
)
from experts.match_matrix import ExpertMatrix

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def distances_km(
    matrix: ExpertMatrix, lat: float, lon: float, rows: slice | np.ndarray
) -> np.ndarray:
    """Haversine from the point to the experts' homes; in place, since every fresh array of
    100,000 floats costs page faults that dwarf the arithmetic."""
    lat2, lon2 = math.radians(lat), math.radians(lon)
    a = matrix.lat_rad[rows] - lat2
    a *= 0.5
    np.sin(a, out=a)
    np.square(a, out=a)
    b = matrix.lon_rad[rows] - lon2
    b *= 0.5
    np.sin(b, out=b)
    np.square(b, out=b)
    b *= matrix.cos_lat[rows]
    b *= math.cos(lat2)
    a += b
    np.minimum(a, 1.0, out=a)
    np.sqrt(a, out=a)
    np.arcsin(a, out=a)
    a *= 2 * EARTH_RADIUS_KM
    return a


def column(table: np.ndarray, index: Mapping[str, int], key: str) -> np.ndarray:
    col = index.get(key)
    return table[:, col] if col is not None else np.zeros(table.shape[0], dtype=bool)


def onsite_feasible(
    matrix: ExpertMatrix, rows: slice | np.ndarray, distance: np.ndarray
) -> np.ndarray:
    return matrix.onsite[rows] & matrix.has_home[rows] & (distance <= matrix.radius_km[rows])


def criterion_parts(
    matrix: ExpertMatrix,
    request: RequestFeatures,
    weights: Weights,
    rows: slice | np.ndarray,
    distance: np.ndarray | None,
    onsite_ok: np.ndarray | None,
) -> dict[str, np.ndarray | float]:
    """Every criterion's contribution (without availability) for the experts in `rows`.

    The one place the formulas live: called over all rows to rank and over the top N to
    explain. `distance` and `onsite_ok` (for `rows`) are needed unless the request is online.
    """
    needed = np.zeros(len(matrix.topics))
    for slug, weight in request.topics.items():
        col = matrix.topic_index.get(slug)
        if col is not None:
            needed[col] = weight
    topics = matrix.levels[rows] @ needed
    topics *= weights.topics / (MAX_LEVEL * MAX_TOPIC_WEIGHT)

    adjacent = np.zeros(len(matrix), dtype=bool)[rows]
    if request.size_class in SIZE_CLASSES:
        step = SIZE_CLASSES.index(request.size_class)
        for near in (step - 1, step + 1):
            if 0 <= near < len(SIZE_CLASSES):
                adjacent |= column(matrix.sizes, matrix.size_index, SIZE_CLASSES[near])[rows]
    same_size = column(matrix.sizes, matrix.size_index, request.size_class)[rows]
    experience = np.where(same_size, 0.5, np.where(adjacent, 0.25, 0.0))
    experience += column(matrix.procedures, matrix.procedure_index, request.procedure_type)[rows]
    experience *= weights.experience / 1.5

    format_part: np.ndarray | float = weights.format
    distance_part: np.ndarray | float = 0.0
    if request.format != "online":
        if distance is None or onsite_ok is None:
            raise ValueError("a request that may meet on site needs distance and onsite_ok")
        if request.format == "either":
            format_part = np.where(matrix.online[rows] & onsite_ok, 1.0, 0.5)
            format_part *= weights.format
        closeness = distance / np.maximum(matrix.radius_km[rows], 1e-9)
        np.subtract(1.0, closeness, out=closeness)
        np.copyto(closeness, 0.0, where=~onsite_ok)
        closeness *= weights.distance
        distance_part = closeness

    region = column(matrix.serves, matrix.state_index, request.state)[rows] * weights.region
    return {
        "topics": topics,
        "experience": experience,
        "language": weights.language,
        "format": format_part,
        "distance": distance_part,
        "region": region,
        "load": matrix.load_score[rows] * weights.load,
        "feedback": matrix.feedback_score(weights)[rows] * weights.feedback,
    }


# Why an expert is left out, in the order the reasons are told (the first that applies counts).
EXCLUSION_REASONS: tuple[str, ...] = ("conflict", "language", "format", "topics")


def covers_needed(matrix: ExpertMatrix, request: RequestFeatures) -> np.ndarray:
    """Per expert: covers at least one needed topic (all True for a request naming none)."""
    if not request.topics:
        return np.ones(len(matrix), dtype=bool)
    needed = np.zeros(len(matrix.topics))
    for slug in request.topics:
        col = matrix.topic_index.get(slug)
        if col is not None:
            needed[col] = 1.0
    # Levels are 0..3, so the sum over the needed topics is positive exactly when one is covered.
    return matrix.levels @ needed > 0


def _format_gate(
    matrix: ExpertMatrix, request: RequestFeatures
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Who can meet in the request's format, with the distances and on-site feasibility a
    request that may meet on site needs."""
    if request.format == "online":
        return matrix.online, None, None
    distance = distances_km(matrix, request.lat, request.lon, slice(None))
    onsite_ok = onsite_feasible(matrix, slice(None), distance)
    format_ok = onsite_ok if request.format == "onsite" else matrix.online | onsite_ok
    return format_ok, distance, onsite_ok


# From this many experts on, working out the criteria for the admitted rows only (fancy
# indexing) beats whole-array arithmetic when at most a quarter are admitted; below it the
# indexing costs more than it saves (bench/matching.py, 1,000 and 10,000 experts).
_SUBSET_FROM = 4_000


def score_all(matrix: ExpertMatrix, request: RequestFeatures, weights: Weights) -> np.ndarray:
    """Every expert's score without availability; -inf for the excluded.

    The gates come first; on a large matrix where they admit few experts (topics, language and
    format exclude most) the criteria are worked out for the admitted rows only.
    """
    format_ok, distance, onsite_ok = _format_gate(matrix, request)
    feasible = matrix.active & column(matrix.speaks, matrix.language_index, request.language)
    feasible &= format_ok
    conflicted = matrix.conflict_rows.get(request.municipality_id)
    if conflicted is not None:
        feasible[conflicted] = False
    feasible &= covers_needed(matrix, request)
    rows: slice | np.ndarray = slice(None)
    if len(matrix) >= _SUBSET_FROM and 4 * np.count_nonzero(feasible) < len(matrix):
        rows = np.flatnonzero(feasible)
        if distance is not None and onsite_ok is not None:
            distance, onsite_ok = distance[rows], onsite_ok[rows]
    parts = criterion_parts(matrix, request, weights, rows, distance, onsite_ok)
    subtotal = np.asarray(parts.pop("topics"))
    for value in parts.values():
        subtotal += value
    if isinstance(rows, slice):
        subtotal[~feasible] = -np.inf
        return subtotal
    total = np.full(len(matrix), -np.inf)
    total[rows] = subtotal
    return total


def exclusions(matrix: ExpertMatrix, request: RequestFeatures) -> dict[str, int]:
    """How many active experts `request` leaves out, by the first reason that applies
    (EXCLUSION_REASONS order); the same gates as `score_all`."""
    format_ok, _distance, _onsite_ok = _format_gate(matrix, request)
    no_conflict = np.ones(len(matrix), dtype=bool)
    conflicted = matrix.conflict_rows.get(request.municipality_id)
    if conflicted is not None:
        no_conflict[conflicted] = False
    gates = {
        "conflict": no_conflict,
        "language": column(matrix.speaks, matrix.language_index, request.language),
        "format": format_ok,
        "topics": covers_needed(matrix, request),
    }
    remaining = matrix.active.copy()
    counts: dict[str, int] = {}
    for reason in EXCLUSION_REASONS:
        counts[reason] = int(np.count_nonzero(remaining & ~gates[reason]))
        remaining &= gates[reason]
    return counts


def top_rows(total: np.ndarray, k: int) -> np.ndarray:
    """Rows of the k best finite scores, ordered by score desc then row (= id) asc.

    argpartition alone picks arbitrarily among scores tied at the boundary; taking the tied rows
    in ascending order keeps "lowest id wins" true there too.
    """
    feasible = np.flatnonzero(np.isfinite(total))
    k = min(k, len(feasible))
    if k <= 0:
        return np.empty(0, dtype=np.intp)
    if k < len(feasible):
        part = np.argpartition(-total, k - 1)[:k]
        threshold = total[part].min()
        above = np.flatnonzero(total > threshold)
        tied = np.flatnonzero(total == threshold)[: k - len(above)]
        rows = np.concatenate([above, tied])
    else:
        rows = feasible
    return rows[np.lexsort((rows, -total[rows]))]


def availability_value(slot: datetime | None, start: datetime, end: datetime) -> float:
    if slot is None or slot < start or slot > end:
        return 0.0
    span = (end - start).total_seconds()
    if span <= 0:
        return 1.0
    return 1.0 - (slot - start).total_seconds() / span


def score_requests(
    matrix: ExpertMatrix, requests: Sequence[RequestFeatures], *, weights: Weights = DEFAULT_WEIGHTS
) -> np.ndarray:
    """Scores (requests x experts, columns in `matrix.ids` order) for `assign_batch`.

    Availability is left out (it would need every expert's slots); excluded pairs are -inf.
    """
    out = np.empty((len(requests), len(matrix)))
    for index, request in enumerate(requests):
        out[index] = score_all(matrix, request, weights)
    return out
