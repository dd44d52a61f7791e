"""All experts' features as column arrays (`ExpertMatrix`): built once, spliced on change."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from experts.match_features import (
    EXPERT_FORMATS,
    FEDERAL_STATES,
    MAX_LEVEL,
    PROCEDURE_TYPES,
    SIZE_CLASSES,
    TOPICS,
    ExpertFeatures,
    Weights,
)

__all__ = ["ExpertMatrix"]


def _vocabulary(base: Sequence[str], seen: Iterable[frozenset[str]]) -> tuple[str, ...]:
    """The known values first, then any others the profiles use, so nothing is silently lost."""
    extra = set().union(*seen) - set(base)
    return (*base, *sorted(extra))


def _membership(rows: Sequence[frozenset[str]], vocabulary: Sequence[str]) -> np.ndarray:
    index = {value: col for col, value in enumerate(vocabulary)}
    out = np.zeros((len(rows), len(vocabulary)), dtype=bool)
    for row, values in enumerate(rows):
        for value in values:
            out[row, index[value]] = True
    return out


# Per-row arrays of ExpertMatrix that `updated` splices as they are, and the membership tables
# with their vocabularies: (table, vocabulary, index, the known values that always come first).
# An attribute added to ExpertMatrix belongs here too (the tests compare every attribute).
_ROW_ARRAYS: tuple[str, ...] = (
    "ids",
    "active",
    "levels",
    "online",
    "onsite",
    "has_home",
    "lat_rad",
    "lon_rad",
    "cos_lat",
    "radius_km",
    "capacity",
    "bookings",
    "load_score",
    "rating_sum",
    "rating_count",
)
_MEMBERSHIPS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("procedures", "procedure_types", "procedure_index", PROCEDURE_TYPES),
    ("sizes", "size_classes", "size_index", SIZE_CLASSES),
    ("serves", "states", "state_index", FEDERAL_STATES),
    ("speaks", "languages", "language_index", ()),
)


def _spliced_membership(
    old: tuple[Sequence[str], np.ndarray],
    fresh: tuple[Sequence[str], np.ndarray],
    base: Sequence[str],
    take: np.ndarray,
) -> tuple[tuple[str, ...], np.ndarray]:
    """Membership rows `take` of old's rows followed by fresh's, over the vocabulary a build
    of those rows would have: `base`, then the other values still in use, sorted."""
    (old_values, old_table), (fresh_values, fresh_table) = old, fresh
    if tuple(old_values) == tuple(fresh_values):
        return tuple(old_values), np.concatenate([old_table, fresh_table])[take]
    union = (*base, *sorted((set(old_values) | set(fresh_values)) - set(base)))
    col = {value: i for i, value in enumerate(union)}
    stacked = np.zeros((len(old_table) + len(fresh_table), len(union)), dtype=bool)
    stacked[: len(old_table), [col[v] for v in old_values]] = old_table
    stacked[len(old_table) :, [col[v] for v in fresh_values]] = fresh_table
    merged = stacked[take]
    used = [i for i in range(len(union)) if i < len(base) or merged[:, i].any()]
    return tuple(union[i] for i in used), merged[:, used]


def _spliced_conflicts(
    old: ExpertMatrix, fresh: ExpertMatrix, take: np.ndarray
) -> dict[int, np.ndarray]:
    """`conflict_rows` of the rows `take` of old's rows followed by fresh's, without a Python
    loop over the experts: each (municipality, row) pair is renumbered, dropped rows vanish."""
    new_row = np.full(len(old) + len(fresh), -1, dtype=np.intp)
    new_row[take] = np.arange(len(take), dtype=np.intp)
    municipalities = [np.empty(0, dtype=np.int64)]
    rows = [np.empty(0, dtype=np.intp)]
    for table, offset in ((old.conflict_rows, 0), (fresh.conflict_rows, len(old))):
        if table:
            lengths = [len(r) for r in table.values()]
            municipalities.append(np.repeat(np.fromiter(table, np.int64, len(table)), lengths))
            rows.append(new_row[np.concatenate(list(table.values())) + offset])
    municipality = np.concatenate(municipalities)
    row = np.concatenate(rows)
    kept = row >= 0
    municipality, row = municipality[kept], row[kept]
    if not len(row):
        return {}
    order = np.lexsort((row, municipality))
    municipality, row = municipality[order], row[order]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(municipality)) + 1]).tolist()
    ends = [*starts[1:], len(row)]
    return {
        int(municipality[start]): row[start:end] for start, end in zip(starts, ends, strict=True)
    }


class ExpertMatrix:
    """All experts' features as column arrays, one row per expert in ascending id order.

    Build it once with `build` and replace it with `updated` when profiles change; ranking only
    reads it, so one matrix can serve concurrent requests.
    """

    def __init__(self, profiles: Sequence[ExpertFeatures], topics: Sequence[str]) -> None:
        ordered = sorted(profiles, key=lambda p: p.id)
        n = len(ordered)
        self.profiles: tuple[ExpertFeatures, ...] = tuple(ordered)
        self.ids = np.fromiter((p.id for p in ordered), dtype=np.int64, count=n)
        if n > 1 and bool(np.any(self.ids[1:] == self.ids[:-1])):
            raise ValueError("expert ids must be unique")
        self.row_of: dict[int, int] = {int(i): row for row, i in enumerate(self.ids)}
        self.names: tuple[str, ...] = tuple(p.name for p in ordered)
        self.active = np.fromiter((p.active for p in ordered), dtype=bool, count=n)

        self.topics: tuple[str, ...] = tuple(topics)
        if len(set(self.topics)) != len(self.topics):
            raise ValueError("topics must be unique")
        self.topic_index = {slug: col for col, slug in enumerate(self.topics)}
        # Levels are small integers stored as float64: products and sums with integer request
        # weights stay exact, so identical experts tie exactly whatever their row.
        self.levels = np.zeros((n, len(self.topics)), dtype=np.float64)
        for row, p in enumerate(ordered):
            for slug, level in p.topic_levels.items():
                if not 0 <= level <= MAX_LEVEL:
                    raise ValueError(f"expert {p.id}: level of {slug!r} must be 0..3")
                col = self.topic_index.get(slug)
                if col is not None:
                    self.levels[row, col] = level

        self.procedure_types = _vocabulary(PROCEDURE_TYPES, (p.procedure_types for p in ordered))
        self.procedure_index = {v: i for i, v in enumerate(self.procedure_types)}
        self.procedures = _membership([p.procedure_types for p in ordered], self.procedure_types)
        self.size_classes = _vocabulary(SIZE_CLASSES, (p.size_classes for p in ordered))
        self.size_index = {v: i for i, v in enumerate(self.size_classes)}
        self.sizes = _membership([p.size_classes for p in ordered], self.size_classes)
        self.states = _vocabulary(FEDERAL_STATES, (p.states for p in ordered))
        self.state_index = {v: i for i, v in enumerate(self.states)}
        self.serves = _membership([p.states for p in ordered], self.states)
        self.languages = _vocabulary((), (p.languages for p in ordered))
        self.language_index = {v: i for i, v in enumerate(self.languages)}
        self.speaks = _membership([p.languages for p in ordered], self.languages)
        for p in ordered:
            if not p.formats <= set(EXPERT_FORMATS):
                raise ValueError(f"expert {p.id}: formats must be within {EXPERT_FORMATS}")
        self.online = np.fromiter(("online" in p.formats for p in ordered), dtype=bool, count=n)
        self.onsite = np.fromiter(("onsite" in p.formats for p in ordered), dtype=bool, count=n)

        self.has_home = np.fromiter(
            (p.lat is not None and p.lon is not None for p in ordered), dtype=bool, count=n
        )
        # Unknown homes hold 0 so the vectorised trigonometry never sees NaN; has_home masks.
        lat = np.fromiter((p.lat or 0.0 for p in ordered), dtype=np.float64, count=n)
        lon = np.fromiter((p.lon or 0.0 for p in ordered), dtype=np.float64, count=n)
        self.lat_rad = np.radians(lat)
        self.lon_rad = np.radians(lon)
        self.cos_lat = np.cos(self.lat_rad)
        self.radius_km = np.fromiter(
            (p.travel_radius_km for p in ordered), dtype=np.float64, count=n
        )

        self.capacity = np.fromiter((p.monthly_capacity for p in ordered), np.int64, count=n)
        self.bookings = np.fromiter((p.bookings_this_month for p in ordered), np.int64, count=n)
        load = np.divide(self.bookings, self.capacity, out=np.ones(n), where=self.capacity > 0)
        self.load_score = np.clip(1.0 - load, 0.0, 1.0)
        self.rating_sum = np.fromiter((p.rating_sum for p in ordered), np.float64, count=n)
        self.rating_count = np.fromiter((p.rating_count for p in ordered), np.float64, count=n)

        conflicts: dict[int, list[int]] = {}
        for row, p in enumerate(ordered):
            for municipality_id in p.conflicts:
                conflicts.setdefault(municipality_id, []).append(row)
        self.conflict_rows = {m: np.asarray(rows, dtype=np.intp) for m, rows in conflicts.items()}
        self._feedback: dict[tuple[float, float], np.ndarray] = {}

    @classmethod
    def build(
        cls, profiles: Sequence[ExpertFeatures], topics: Sequence[str] = TOPICS
    ) -> ExpertMatrix:
        return cls(profiles, topics)

    def updated(
        self, changed: Iterable[ExpertFeatures] = (), removed: Iterable[int] = ()
    ) -> ExpertMatrix:
        """A new matrix with `changed` profiles added or replaced and `removed` ids dropped.

        Equal, array for array, to building one from the resulting profiles, but only the
        changed rows go through the per-expert Python of `__init__`: they are built as a small
        matrix and spliced into copies of this one's arrays (about 10 ms for 10,000 experts
        against about 150 ms for a build). `self` is never written, so requests ranking on it
        meanwhile are safe.
        """
        replacing = {p.id: p for p in changed}
        fresh = ExpertMatrix(list(replacing.values()), self.topics)
        keep = np.ones(len(self), dtype=bool)
        gone = [self.row_of[i] for i in {*removed, *replacing} if i in self.row_of]
        keep[gone] = False
        # Rows of the pool (this matrix's rows, then fresh's) that make the result, in id order.
        candidates = np.concatenate(
            [np.flatnonzero(keep), len(self) + np.arange(len(fresh), dtype=np.intp)]
        )
        pool_ids = np.concatenate([self.ids, fresh.ids])
        take = candidates[np.argsort(pool_ids[candidates], kind="stable")]

        out = ExpertMatrix.__new__(ExpertMatrix)
        for name in _ROW_ARRAYS:
            setattr(out, name, np.concatenate([getattr(self, name), getattr(fresh, name)])[take])
        pool = self.profiles + fresh.profiles
        out.profiles = tuple(pool[i] for i in take.tolist())
        out.row_of = {expert_id: row for row, expert_id in enumerate(out.ids.tolist())}
        out.names = tuple(p.name for p in out.profiles)
        out.topics = self.topics
        out.topic_index = self.topic_index
        for table, vocabulary, index, base in _MEMBERSHIPS:
            values, merged = _spliced_membership(
                (getattr(self, vocabulary), getattr(self, table)),
                (getattr(fresh, vocabulary), getattr(fresh, table)),
                base,
                take,
            )
            setattr(out, vocabulary, values)
            setattr(out, index, {v: i for i, v in enumerate(values)})
            setattr(out, table, merged)
        out.conflict_rows = _spliced_conflicts(self, fresh, take)
        out._feedback = {}
        return out

    def __len__(self) -> int:
        return len(self.ids)

    def feedback_score(self, weights: Weights) -> np.ndarray:
        """Smoothed rating mapped to [0, 1] per expert; cached per prior, it is the same for
        every request."""
        key = (weights.feedback_prior_mean, weights.feedback_prior_count)
        score = self._feedback.get(key)
        if score is None:
            mean, count = key
            average = (mean * count + self.rating_sum) / (count + self.rating_count)
            score = (average - 1.0) / 4.0
            self._feedback[key] = score  # a race only computes the same array twice
        return score

    @property
    def remaining_capacity(self) -> np.ndarray:
        """Consultations each expert can still take this month (for `assign_batch`)."""
        return np.maximum(self.capacity - self.bookings, 0)
