"""What the matcher reads: the vocabularies, the weights, an expert's and a request's features."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime

from consult.peers import SIZE_CLASSES, size_class

__all__ = [
    "CRITERIA",
    "DEFAULT_WEIGHTS",
    "EXPERT_FORMATS",
    "FEDERAL_STATES",
    "MAX_LEVEL",
    "MAX_TOPIC_WEIGHT",
    "PROCEDURE_TYPES",
    "REQUEST_FORMATS",
    "SIZE_CLASSES",
    "TOPICS",
    "ExpertFeatures",
    "RequestFeatures",
    "Weights",
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

MAX_LEVEL = 3
MAX_TOPIC_WEIGHT = 3


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
    # slug -> (German name, English name) for the explanations; a slug not here reads as itself.
    topic_names: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.format not in REQUEST_FORMATS:
            raise ValueError(f"format must be one of {REQUEST_FORMATS}, got {self.format!r}")
        for slug, weight in self.topics.items():
            if not 1 <= weight <= MAX_TOPIC_WEIGHT:
                raise ValueError(f"topic weight of {slug!r} must be 1..3, got {weight!r}")
        if self.window_end < self.window_start:
            raise ValueError("window_end lies before window_start")
