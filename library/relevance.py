"""What to read, copy or apply for, given a plan: pure scoring on plain data (numpy), no ORM.

`library/selectors.py` turns published resources into `ResourceFeatures`, builds a
`ResourceMatrix` once per library revision (not per request) and calls `recommend`, which scores
every resource in one vectorised pass and keeps the best few per kind, each with a short
explanation in the matcher's style ("Jugendbudget, Sachsen, deckt Öffentlichkeitsarbeit ab").

Score, each part in 0..1 times its weight (RELEVANCE_WEIGHTS):

============  ======  ==========================================================================
part          weight  how
============  ======  ==========================================================================
topics        0.45    share of the plan's topics the resource covers
procedure     0.25    the plan's procedure type is listed (1), the resource is general (0.3)
size          0.10    the municipality's size class is listed (1), general (0.3)
state         0.10    written for the municipality's federal state (same law, same funders)
recency       0.05    linear over the last 10 years
language      0.05    German 1, English 0.5, others 0
============  ======  ==========================================================================

Resources that share neither a topic nor the procedure type with the plan are not recommended.
Ties break by id (newer first) so the list is stable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from consult.peers import PROCEDURE_LABELS, STATE_NAMES_EN

RELEVANCE_WEIGHTS: dict[str, float] = {
    "topics": 0.45,
    "procedure": 0.25,
    "size": 0.10,
    "state": 0.10,
    "recency": 0.05,
    "language": 0.05,
}
GENERAL_CREDIT = 0.3
RECENCY_YEARS = 10
LANGUAGE_CREDIT = {"de": 1.0, "en": 0.5}
MAX_NAMED_TOPICS = 2


@dataclass(frozen=True, slots=True)
class ResourceFeatures:
    id: int
    kind: str
    topics: frozenset[str] = frozenset()
    procedure_types: frozenset[str] = frozenset()
    size_classes: frozenset[str] = frozenset()
    states: frozenset[str] = frozenset()
    language: str = "de"
    year: int | None = None


@dataclass(frozen=True, slots=True)
class PlanProfile:
    procedure_type: str
    topics: frozenset[str]
    size_class: str
    state: str
    # slug -> (German name, English name), for the explanation.
    topic_names: Mapping[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Recommendation:
    id: int
    kind: str
    score: float
    criteria: dict[str, float]
    explanation_de: str
    explanation_en: str


def _vocabulary(rows: Sequence[frozenset[str]]) -> dict[str, int]:
    return {value: i for i, value in enumerate(sorted(set().union(*rows)))} if rows else {}


def _membership(rows: Sequence[frozenset[str]], vocabulary: Mapping[str, int]) -> np.ndarray:
    table = np.zeros((len(rows), max(len(vocabulary), 1)), dtype=bool)
    for r, values in enumerate(rows):
        for value in values:
            table[r, vocabulary[value]] = True
    return table


class ResourceMatrix:
    """Resources as columns of booleans and numbers, built once per library revision."""

    def __init__(self, resources: Sequence[ResourceFeatures]) -> None:
        self.ids = np.array([r.id for r in resources], dtype=np.int64)
        self.kinds = np.array([r.kind for r in resources], dtype=object)
        self.kind_rows = {
            kind: np.flatnonzero(self.kinds == kind) for kind in sorted(set(self.kinds.tolist()))
        }
        columns = {
            "topics": [r.topics for r in resources],
            "procedure": [r.procedure_types for r in resources],
            "size": [r.size_classes for r in resources],
            "state": [r.states for r in resources],
        }
        self.vocabulary = {name: _vocabulary(rows) for name, rows in columns.items()}
        self.tables = {
            name: _membership(rows, self.vocabulary[name]) for name, rows in columns.items()
        }
        self.general = {name: ~self.tables[name].any(axis=1) for name in ("procedure", "size")}
        self.years = np.array([r.year or 0 for r in resources], dtype=np.float64)
        self.language = np.array(
            [LANGUAGE_CREDIT.get(r.language, 0.0) for r in resources], dtype=np.float64
        )

    def __len__(self) -> int:
        return len(self.ids)

    def column(self, name: str, value: str) -> np.ndarray:
        index = self.vocabulary[name].get(value)
        if index is None:
            return np.zeros(len(self), dtype=bool)
        return self.tables[name][:, index]


def _topic_hits(matrix: ResourceMatrix, topics: frozenset[str]) -> tuple[np.ndarray, list[str]]:
    known = sorted(t for t in topics if t in matrix.vocabulary["topics"])
    if not known:
        return np.zeros((len(matrix), 0), dtype=bool), []
    columns = [matrix.vocabulary["topics"][t] for t in known]
    return matrix.tables["topics"][:, columns], known


def score_all(
    matrix: ResourceMatrix, plan: PlanProfile, *, this_year: int
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, list[str]]:
    """Total score of every resource, its parts, the topic hits and their slugs (column order)."""
    w = RELEVANCE_WEIGHTS
    hits, hit_slugs = _topic_hits(matrix, plan.topics)
    topics = hits.sum(axis=1) / max(len(plan.topics), 1)
    procedure_match = matrix.column("procedure", plan.procedure_type)
    size_match = matrix.column("size", plan.size_class)
    parts = {
        "topics": topics,
        "procedure": np.where(
            procedure_match, 1.0, np.where(matrix.general["procedure"], GENERAL_CREDIT, 0.0)
        ),
        "size": np.where(size_match, 1.0, np.where(matrix.general["size"], GENERAL_CREDIT, 0.0)),
        "state": matrix.column("state", plan.state).astype(np.float64),
        "recency": np.clip((matrix.years - (this_year - RECENCY_YEARS)) / RECENCY_YEARS, 0.0, 1.0),
        "language": matrix.language,
    }
    total = sum(w[name] * values for name, values in parts.items())
    relevant = (topics > 0) | procedure_match
    total = np.where(relevant, total, -1.0)
    return total, parts, hits, hit_slugs


def _best(rows: np.ndarray, total: np.ndarray, ids: np.ndarray, n: int) -> np.ndarray:
    rows = rows[total[rows] >= 0]
    if len(rows) > n:
        # Partition first: only rows scoring at least the n-th best (ties included, so the
        # tie-break stays deterministic) need the exact sort.
        nth = np.partition(-total[rows], n - 1)[n - 1]
        rows = rows[-total[rows] <= nth]
    order = np.lexsort((-ids[rows], -total[rows]))
    return rows[order][:n]


def _join(names: list[str], word: str) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {word} {names[-1]}"


def explain(
    plan: PlanProfile, parts: Mapping[str, float], covered: Sequence[str]
) -> tuple[str, str]:
    """German and English reasons, most telling first: procedure, state, topics, size."""
    de: list[str] = []
    en: list[str] = []
    if parts["procedure"] >= 1.0:
        label_de, label_en = PROCEDURE_LABELS.get(
            plan.procedure_type, (plan.procedure_type, plan.procedure_type)
        )
        de.append(label_de)
        en.append(label_en)
    if parts["state"] >= 1.0:
        de.append(plan.state)
        en.append(STATE_NAMES_EN.get(plan.state, plan.state))
    if covered:
        names = [plan.topic_names.get(slug, (slug, slug)) for slug in covered]
        shown_de = [n[0] for n in names[:MAX_NAMED_TOPICS]]
        shown_en = [n[1].lower() for n in names[:MAX_NAMED_TOPICS]]
        more = len(names) - MAX_NAMED_TOPICS
        if more > 0:
            shown_de.append("1 weiteres Thema" if more == 1 else f"{more} weitere Themen")
            shown_en.append(f"{more} more topic{'' if more == 1 else 's'}")
        de.append(f"deckt {_join(shown_de, 'und')} ab")
        en.append(f"covers {_join(shown_en, 'and')}")
    if parts["size"] >= 1.0:
        de.append("für Kommunen dieser Größe")
        en.append("for municipalities of this size")
    return ", ".join(de), ", ".join(en)


def recommend(
    matrix: ResourceMatrix,
    plan: PlanProfile,
    *,
    this_year: int,
    per_kind: int = 3,
    kinds: Sequence[str] | None = None,
) -> dict[str, list[Recommendation]]:
    """The best `per_kind` resources of each kind for `plan`, with score and explanation."""
    if len(matrix) == 0:
        return {}
    total, parts, hits, hit_slugs = score_all(matrix, plan, this_year=this_year)
    w = RELEVANCE_WEIGHTS
    result: dict[str, list[Recommendation]] = {}
    for kind, rows in matrix.kind_rows.items():
        if kinds is not None and kind not in kinds:
            continue
        chosen = []
        for row in _best(rows, total, matrix.ids, per_kind):
            row_parts = {name: float(values[row]) for name, values in parts.items()}
            covered = [slug for slug, hit in zip(hit_slugs, hits[row], strict=True) if hit]
            explanation_de, explanation_en = explain(plan, row_parts, covered)
            chosen.append(
                Recommendation(
                    id=int(matrix.ids[row]),
                    kind=kind,
                    score=round(float(total[row]), 4),
                    criteria={name: round(w[name] * v, 4) for name, v in row_parts.items()},
                    explanation_de=explanation_de,
                    explanation_en=explanation_en,
                )
            )
        if chosen:
            result[kind] = chosen
    return result
