"""Expert matching: ranks advisers for a consultation request by a transparent weighted score.

Pure functions on plain data (DESIGN.md section 6): no ORM, no I/O, no Django. The selectors turn
profiles into `ExpertFeatures`, keep one `ExpertMatrix` (built once, `updated` when a profile
changes, never per request) and call `rank_experts` per request with `Weights` from settings
(`Weights.from_mapping(settings.MATCHING_WEIGHTS)`).

Score. Each criterion yields a value in [0, 1] (topics: see below), multiplied by its weight; the
total is the sum and `Match.criteria` holds every product, so the sheet adds up:

- topics: sum over the needed topics of (request weight 1-3 / 3) x (expert level 0-3 / 3). A sum
  of points, deliberately not a ratio: every covered topic adds, so asking for one more topic an
  expert covers can never lower that expert's score (a ratio to the request's maximum can). The
  weights 1-3 are absolute ("nice to have" .. "essential"); one essential topic covered at level
  3 is worth exactly `Weights.topics`.
- experience: (procedure type worked with + 0.5 x size class) / 1.5, where the size class counts
  1 when the municipality's class is among the expert's, 0.5 when an adjacent one is.
- language: 1 (a gate: experts without the request's language are excluded; kept so the criteria
  list the whole decision).
- format: 1 when the requested format is feasible; for "either" 1 when both online and on-site
  are feasible, 0.5 when only one is.
- distance: 1 - distance / travel radius when an on-site meeting is possible (format "onsite" or
  "either" and the municipality inside the radius), else 0. Great-circle (haversine) distance
  from the expert's home to the municipality.
- region: 1 when the expert serves the municipality's federal state (German name, "Sachsen").
- availability: 1 - (earliest slot - window start) / (window end - window start) for a slot
  inside the wanted window (sooner is better), 0 when there is none (not excluded).
- load: 1 - bookings this month / monthly capacity, floored at 0 (fairness: the less booked rank
  higher); capacity 0 scores 0.
- feedback: Bayesian average of ratings 1-5, (prior_mean x prior_count + rating sum) /
  (prior_count + rating count), mapped to [0, 1] by (avg - 1) / 4; few ratings stay near the
  prior, so one 5-star review does not beat twenty 4.8s.

Excluded, never merely down-ranked: inactive experts, conflicts of interest (the municipality is
in `conflicts`), no common language, no feasible format (online needs "online" among the expert's
formats; on-site needs "onsite", a known home and the municipality within the travel radius;
"either" needs one of the two).

Ranking (why 10,000 experts take well under a millisecond of arithmetic): every criterion but
availability is computed vectorised over the matrix; `np.argpartition` picks the top K (default
50) by that partial score, the caller's earliest slots are looked up for those K only, the K are
re-ranked by the full score and explanations are built for the top N (default 10) only. The
contract therefore is: availability re-orders the K best by every other criterion. Ties break by
score descending, then expert id ascending, also at the K boundary; rows are kept in id order, so
the order of the input profiles never changes a result.

Batch (`assign_batch`): one expert per request for many requests at once, as a min-cost
assignment that respects each expert's remaining capacity. It first assigns as many requests as
possible, then maximises the total score, exactly: each request keeps only its best experts until
their capacity covers the whole batch (provably enough, see the code), each kept expert becomes
min(capacity, demand) identical columns, and `scipy.optimize.linear_sum_assignment` solves it.
A fixed top-K per request instead (`candidates_per_request`) is no safe shortcut: when many
requests want the same few experts it leaves requests unassigned (bench/matching.py measures it).

Size classes come from `consult.peers` (the ground floor; peers use them too) and are re-exported
here: "small" < 20,000 <= "medium" < 100,000 <= "large" < 500,000 <= "metro".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
from scipy.optimize import linear_sum_assignment

from consult.peers import SIZE_CLASSES, STATE_NAMES_EN, size_class

__all__ = [
    "CRITERIA",
    "FEDERAL_STATES",
    "PROCEDURE_TYPES",
    "SIZE_CLASSES",
    "TOPICS",
    "Assignment",
    "ExpertFeatures",
    "ExpertMatrix",
    "Match",
    "RequestFeatures",
    "Weights",
    "assign_batch",
    "haversine_km",
    "rank_experts",
    "score_requests",
    "size_class",
]

TOPICS: tuple[str, ...] = (
    "procedure-design",
    "online-platform",
    "public-relations",
    "youth-school",
    "outreach-inclusion",
    "voting-methods",
    "feasibility-administration",
    "budget-law",
    "council-politics",
    "accountability-evaluation",
    "funding",
    "neighbourhood-funds",
)
PROCEDURE_TYPES: tuple[str, ...] = (
    "consultation-budget",
    "citizens-budget",
    "neighbourhood-fund",
    "youth-budget",
    "school-budget",
    "thematic",
)
FEDERAL_STATES: tuple[str, ...] = (
    "Baden-Württemberg",
    "Bayern",
    "Berlin",
    "Brandenburg",
    "Bremen",
    "Hamburg",
    "Hessen",
    "Mecklenburg-Vorpommern",
    "Niedersachsen",
    "Nordrhein-Westfalen",
    "Rheinland-Pfalz",
    "Saarland",
    "Sachsen",
    "Sachsen-Anhalt",
    "Schleswig-Holstein",
    "Thüringen",
)
EXPERT_FORMATS: tuple[str, ...] = ("online", "onsite")
REQUEST_FORMATS: tuple[str, ...] = ("online", "onsite", "either")
CRITERIA: tuple[str, ...] = (
    "topics",
    "experience",
    "language",
    "format",
    "distance",
    "region",
    "availability",
    "load",
    "feedback",
)

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
DISPLAY_TZ = ZoneInfo("Europe/Berlin")
MAX_LEVEL = 3
MAX_TOPIC_WEIGHT = 3

_MONTHS_DE = (
    "Jan.",
    "Feb.",
    "März",
    "Apr.",
    "Mai",
    "Juni",
    "Juli",
    "Aug.",
    "Sept.",
    "Okt.",
    "Nov.",
    "Dez.",
)
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class Weights:
    """Weights of the criteria (see the module docstring) and the feedback prior.

    The defaults equal `settings.MATCHING_WEIGHTS`; `distance` is the on-site proximity share.
    """

    topics: float = 0.35
    experience: float = 0.15
    language: float = 0.05
    format: float = 0.05
    distance: float = 0.05
    region: float = 0.10
    availability: float = 0.15
    load: float = 0.10
    feedback: float = 0.05
    feedback_prior_mean: float = 4.0
    feedback_prior_count: float = 5.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            # Negative weights would turn "covers one more topic" into a penalty.
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"weight {f.name} must be a finite number >= 0, got {value!r}")
        if not 1 <= self.feedback_prior_mean <= 5:
            raise ValueError("feedback_prior_mean must lie within the rating scale 1..5")
        if self.feedback_prior_count <= 0:
            raise ValueError("feedback_prior_count must be > 0")

    @classmethod
    def from_mapping(cls, values: Mapping[str, float]) -> Weights:
        """Weights from a settings dict; unknown keys are refused so a typo cannot go unnoticed."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown matching weights: {', '.join(unknown)}")
        return cls(**{key: float(value) for key, value in values.items()})


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True, slots=True)
class ExpertFeatures:
    """One expert as the matcher sees it (built by the selectors from ExpertProfile)."""

    id: int
    name: str = ""
    active: bool = True
    topic_levels: Mapping[str, int] = field(default_factory=dict)  # slug -> level 1..3
    procedure_types: frozenset[str] = frozenset()
    size_classes: frozenset[str] = frozenset()
    lat: float | None = None  # home, degrees
    lon: float | None = None
    travel_radius_km: float = 0.0
    states: frozenset[str] = frozenset()  # federal states served, German names
    languages: frozenset[str] = frozenset({"de"})
    formats: frozenset[str] = frozenset({"online"})  # subset of EXPERT_FORMATS
    monthly_capacity: int = 4
    bookings_this_month: int = 0
    rating_sum: float = 0.0
    rating_count: int = 0
    conflicts: frozenset[int] = frozenset()  # municipality ids the expert must not advise


@dataclass(frozen=True, slots=True)
class RequestFeatures:
    """One consultation request: its municipality, its plan and what it asks for.

    The window is given as datetimes (aware, as the slots are): the selector turns the request's
    earliest/latest dates into the start of the first and the end of the last day.
    """

    municipality_id: int
    lat: float
    lon: float
    state: str
    size_class: str
    procedure_type: str
    topics: Mapping[str, int]  # slug -> weight 1..3
    format: str  # one of REQUEST_FORMATS
    language: str
    window_start: datetime
    window_end: datetime

    def __post_init__(self) -> None:
        if self.format not in REQUEST_FORMATS:
            raise ValueError(f"format must be one of {REQUEST_FORMATS}, got {self.format!r}")
        for slug, weight in self.topics.items():
            if not 1 <= weight <= MAX_TOPIC_WEIGHT:
                raise ValueError(f"topic weight of {slug!r} must be 1..3, got {weight!r}")
        if self.window_end < self.window_start:
            raise ValueError("window_end lies before window_start")


@dataclass(frozen=True, slots=True)
class Match:
    expert_id: int
    name: str
    score: float
    criteria: dict[str, float]  # CRITERIA name -> contribution (weight x criterion value)
    explanation_de: str
    explanation_en: str
    earliest_slot: datetime | None  # inside the window, else None
    distance_km: float | None
    topics_covered: int
    topics_needed: int


class Assignment(NamedTuple):
    request_index: int
    expert_id: int
    score: float


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


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def _distances_km(
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


def _column(table: np.ndarray, index: Mapping[str, int], key: str) -> np.ndarray:
    col = index.get(key)
    return table[:, col] if col is not None else np.zeros(table.shape[0], dtype=bool)


def _onsite_ok(matrix: ExpertMatrix, rows: slice | np.ndarray, distance: np.ndarray) -> np.ndarray:
    return matrix.onsite[rows] & matrix.has_home[rows] & (distance <= matrix.radius_km[rows])


def _parts(
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
                adjacent |= _column(matrix.sizes, matrix.size_index, SIZE_CLASSES[near])[rows]
    same_size = _column(matrix.sizes, matrix.size_index, request.size_class)[rows]
    experience = np.where(same_size, 0.5, np.where(adjacent, 0.25, 0.0))
    experience += _column(matrix.procedures, matrix.procedure_index, request.procedure_type)[rows]
    experience *= weights.experience / 1.5

    format_part: np.ndarray | float = weights.format
    distance_part: np.ndarray | float = 0.0
    if request.format != "online":
        assert distance is not None and onsite_ok is not None
        if request.format == "either":
            format_part = np.where(matrix.online[rows] & onsite_ok, 1.0, 0.5)
            format_part *= weights.format
        closeness = distance / np.maximum(matrix.radius_km[rows], 1e-9)
        np.subtract(1.0, closeness, out=closeness)
        np.copyto(closeness, 0.0, where=~onsite_ok)
        closeness *= weights.distance
        distance_part = closeness

    region = _column(matrix.serves, matrix.state_index, request.state)[rows] * weights.region
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


def _score_all(matrix: ExpertMatrix, request: RequestFeatures, weights: Weights) -> np.ndarray:
    """Every expert's score without availability; -inf for the excluded."""
    everyone = slice(None)
    feasible = matrix.active & _column(matrix.speaks, matrix.language_index, request.language)
    distance = onsite_ok = None
    if request.format == "online":
        feasible &= matrix.online
    else:
        distance = _distances_km(matrix, request.lat, request.lon, everyone)
        onsite_ok = _onsite_ok(matrix, everyone, distance)
        feasible &= onsite_ok if request.format == "onsite" else matrix.online | onsite_ok
    conflicted = matrix.conflict_rows.get(request.municipality_id)
    if conflicted is not None:
        feasible[conflicted] = False

    parts = _parts(matrix, request, weights, everyone, distance, onsite_ok)
    total = np.asarray(parts.pop("topics"))
    for value in parts.values():
        total += value
    total[~feasible] = -np.inf
    return total


def _top_rows(total: np.ndarray, k: int) -> np.ndarray:
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


def _availability(slot: datetime | None, start: datetime, end: datetime) -> float:
    if slot is None or slot < start or slot > end:
        return 0.0
    span = (end - start).total_seconds()
    if span <= 0:
        return 1.0
    return 1.0 - (slot - start).total_seconds() / span


def _when(slot: datetime) -> tuple[str, str]:
    local = slot.astimezone(DISPLAY_TZ) if slot.tzinfo is not None else slot
    month = local.month - 1
    return (
        f"{local.day}. {_MONTHS_DE[month]}, {local:%H:%M} Uhr",
        f"{local.day} {_MONTHS_EN[month]}, {local:%H:%M}",
    )


def _sentence(parts: list[str]) -> str:
    text = ", ".join(parts)
    return f"{text[:1].upper()}{text[1:]}." if text else ""


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the explanation of one match says, gathered per row of the top N."""

    covered: int
    same_procedure: bool
    same_size: bool
    serves_state: bool
    onsite_ok: bool
    distance_km: float | None
    slot: datetime | None
    slots_known: bool


def _explain(request: RequestFeatures, facts: _Facts) -> tuple[str, str]:
    de: list[str] = []
    en: list[str] = []
    needed = len(request.topics)
    if needed == 1:
        # "1 von 1 benötigten Thema" is neither good German nor good English.
        negation = "" if facts.covered else " nicht"
        de.append(f"deckt das benötigte Thema{negation} ab")
        en.append("covers the needed topic" if facts.covered else "does not cover the needed topic")
    elif needed:
        de.append(f"deckt {facts.covered} von {needed} benötigten Themen ab")
        en.append(f"covers {facts.covered} of {needed} needed topics")
    if facts.same_procedure:
        de.append("Erfahrung mit dieser Verfahrensart")
        en.append("has worked with this procedure type")
    if facts.same_size:
        de.append("kennt Kommunen dieser Größe")
        en.append("knows municipalities of this size")
    if facts.serves_state:
        de.append(f"berät in {request.state}")
        en.append(f"advises in {STATE_NAMES_EN.get(request.state, request.state)}")
    if facts.distance_km is not None:
        de.append(f"{facts.distance_km:.0f} km entfernt")
        en.append(f"{facts.distance_km:.0f} km away")
    if request.format == "either" and not facts.onsite_ok:
        de.append("nur online")
        en.append("online only")
    if facts.slots_known:
        if facts.slot is None:
            de.append("kein freier Termin im Wunschzeitraum")
            en.append("no free slot in the window")
        else:
            when_de, when_en = _when(facts.slot)
            de.append(f"frei ab {when_de}")
            en.append(f"free from {when_en}")
    return _sentence(de), _sentence(en)


def rank_experts(
    matrix: ExpertMatrix,
    request: RequestFeatures,
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    earliest_slot: Callable[[int], datetime | None] | Mapping[int, datetime | None] | None = None,
    top_k: int = 50,
    top_n: int = 10,
) -> list[Match]:
    """The `top_n` best experts for `request`, best first.

    `earliest_slot` gives an expert's earliest free slot (or None); it is asked for the top K
    experts only, in ascending id order. Without it availability is unknown: it scores 0 for all
    and the explanations do not mention slots.
    """
    total = _score_all(matrix, request, weights)
    candidates = _top_rows(total, max(top_k, top_n))
    if isinstance(earliest_slot, Mapping):
        lookup: Callable[[int], datetime | None] | None = earliest_slot.get
    else:
        lookup = earliest_slot

    ranked: list[tuple[float, int, int, datetime | None, float]] = []
    for row in sorted(candidates.tolist()):
        expert_id = int(matrix.ids[row])
        slot = lookup(expert_id) if lookup is not None else None
        value = _availability(slot, request.window_start, request.window_end)
        if value == 0.0:
            slot = None  # outside the window it is of no use to this request
        contribution = value * weights.availability
        ranked.append((float(total[row]) + contribution, expert_id, row, slot, contribution))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    ranked = ranked[:top_n]
    if not ranked:
        return []

    # The criteria and facts are worked out again for the N shown only, by the same formulas.
    rows = np.fromiter((item[2] for item in ranked), dtype=np.intp, count=len(ranked))
    distance = _distances_km(matrix, request.lat, request.lon, rows)
    onsite_ok = _onsite_ok(matrix, rows, distance)
    parts = _parts(matrix, request, weights, rows, distance, onsite_ok)
    needed_cols = [matrix.topic_index[s] for s in request.topics if s in matrix.topic_index]
    covered = np.count_nonzero(matrix.levels[np.ix_(rows, needed_cols)], axis=1)
    same_procedure = _column(matrix.procedures, matrix.procedure_index, request.procedure_type)
    same_size = _column(matrix.sizes, matrix.size_index, request.size_class)
    serves_state = _column(matrix.serves, matrix.state_index, request.state)

    matches = []
    for i, (score, expert_id, row, slot, availability) in enumerate(ranked):
        criteria = {
            name: float(value[i]) if isinstance(value, np.ndarray) else float(value)
            for name, value in parts.items()
        }
        criteria["availability"] = availability
        facts = _Facts(
            covered=int(covered[i]),
            same_procedure=bool(same_procedure[row]),
            same_size=bool(same_size[row]),
            serves_state=bool(serves_state[row]),
            onsite_ok=bool(onsite_ok[i]),
            distance_km=float(distance[i]) if matrix.has_home[row] else None,
            slot=slot,
            slots_known=lookup is not None,
        )
        explanation_de, explanation_en = _explain(request, facts)
        matches.append(
            Match(
                expert_id=expert_id,
                name=matrix.names[row],
                score=score,
                criteria={name: criteria[name] for name in CRITERIA},
                explanation_de=explanation_de,
                explanation_en=explanation_en,
                earliest_slot=slot,
                distance_km=facts.distance_km,
                topics_covered=facts.covered,
                topics_needed=len(request.topics),
            )
        )
    return matches


def score_requests(
    matrix: ExpertMatrix, requests: Sequence[RequestFeatures], *, weights: Weights = DEFAULT_WEIGHTS
) -> np.ndarray:
    """Scores (requests x experts, columns in `matrix.ids` order) for `assign_batch`.

    Availability is left out (it would need every expert's slots); excluded pairs are -inf.
    """
    out = np.empty((len(requests), len(matrix)))
    for index, request in enumerate(requests):
        out[index] = _score_all(matrix, request, weights)
    return out


def assign_batch(
    scores: np.ndarray,
    expert_ids: Sequence[int] | np.ndarray,
    remaining_capacity: Sequence[int] | np.ndarray,
    *,
    candidates_per_request: int | None = None,
) -> list[Assignment]:
    """At most one expert per request, no expert beyond their remaining capacity.

    `scores[r, e]` is request r's score for expert `expert_ids[e]` (non-finite: not allowed).
    Maximises first the number of requests assigned, then the total score. Exact by default;
    `candidates_per_request` additionally cuts each request to its best few experts, which is
    faster on huge batches but can leave requests unassigned when many want the same experts.
    Sorted by request index.
    """
    scores = np.asarray(scores, dtype=np.float64)
    n_requests, n_experts = scores.shape
    expert_ids = np.asarray(expert_ids)
    capacity = np.maximum(np.asarray(remaining_capacity, dtype=np.int64), 0)
    if expert_ids.shape != (n_experts,) or capacity.shape != (n_experts,):
        raise ValueError("expert_ids and remaining_capacity need one entry per score column")
    if candidates_per_request is not None and candidates_per_request <= 0:
        return []
    allowed = np.isfinite(scores) & (capacity > 0)[None, :]

    # Each request keeps its best experts until their capacity adds up to the number of
    # requests. That loses nothing: were a request assigned to a worse expert in an optimum,
    # the other requests could fill at most n - 1 of the kept places, so a kept expert at least
    # as good has room and moving the request there is no worse. It drops most pairs.
    order = np.argsort(np.where(allowed, -scores, np.inf), axis=1)
    allowed_sorted = np.take_along_axis(allowed, order, axis=1)
    capacity_sorted = np.where(allowed_sorted, capacity[order], 0)
    capacity_before = np.cumsum(capacity_sorted, axis=1) - capacity_sorted
    keep_sorted = allowed_sorted & (capacity_before < n_requests)
    if candidates_per_request is not None:
        keep_sorted[:, candidates_per_request:] = False
    allowed = np.zeros_like(allowed)
    np.put_along_axis(allowed, order, keep_sorted, axis=1)
    pair_request, pair_expert = np.nonzero(allowed)
    if len(pair_request) == 0:
        return []

    # An expert with capacity c becomes min(c, demand) identical columns: more copies than
    # requests wanting them could never be used and only grow the problem.
    copies = np.minimum(capacity, np.bincount(pair_expert, minlength=n_experts))
    first_column = np.cumsum(copies) - copies
    column_expert = np.repeat(np.arange(n_experts), copies)
    n_columns = len(column_expert)
    repeats = copies[pair_expert]
    pair_scores = scores[pair_request, pair_expert]
    offsets = np.arange(repeats.sum()) - np.repeat(np.cumsum(repeats) - repeats, repeats)

    # One private "unassigned" column per request keeps the problem feasible; its cost exceeds
    # the score any rearrangement of n requests can gain, so the solver assigns as many requests
    # as possible before it weighs scores.
    unassigned_cost = 2.0 * (n_requests + 1) * (float(np.abs(pair_scores).max()) + 1.0)
    cost = np.full((n_requests, n_columns + n_requests), np.inf)
    cost[
        np.repeat(pair_request, repeats), np.repeat(first_column[pair_expert], repeats) + offsets
    ] = -np.repeat(pair_scores, repeats)
    cost[np.arange(n_requests), n_columns + np.arange(n_requests)] = unassigned_cost
    rows, columns = linear_sum_assignment(cost)

    result = []
    for row, column in zip(rows.tolist(), columns.tolist(), strict=True):
        if column < n_columns:
            expert = int(column_expert[column])
            result.append(Assignment(row, int(expert_ids[expert]), float(scores[row, expert])))
    return result
