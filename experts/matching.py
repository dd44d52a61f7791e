"""Expert matching: ranks advisers for a consultation request by a transparent weighted score.

Pure (no ORM, no I/O); the formulas and the reasons for them: docs/architecture-experts.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from experts.assignment import Assignment, assign_batch
from experts.match_explain import Facts, expertise_text, explain
from experts.match_features import (
    CRITERIA,
    DEFAULT_WEIGHTS,
    FEDERAL_STATES,
    PROCEDURE_TYPES,
    SIZE_CLASSES,
    TOPICS,
    ExpertFeatures,
    RequestFeatures,
    Weights,
    size_class,
)
from experts.match_matrix import ExpertMatrix
from experts.match_scoring import (
    availability_value,
    column,
    criterion_parts,
    distances_km,
    haversine_km,
    onsite_feasible,
    score_all,
    score_requests,
    top_rows,
)

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
    total = score_all(matrix, request, weights)
    candidates = top_rows(total, max(top_k, top_n))
    if isinstance(earliest_slot, Mapping):
        lookup: Callable[[int], datetime | None] | None = earliest_slot.get
    else:
        lookup = earliest_slot

    # Python lists, not numpy scalars, in the loops: each scalar access costs more than the
    # arithmetic (bench/matching.py).
    rows_in_order = sorted(candidates.tolist())
    window_start, window_end = request.window_start, request.window_end
    ranked: list[tuple[float, int, int, datetime | None, float]] = []
    for row, expert_id, partial in zip(
        rows_in_order,
        matrix.ids[rows_in_order].tolist(),
        total[rows_in_order].tolist(),
        strict=True,
    ):
        slot = lookup(expert_id) if lookup is not None else None
        value = 0.0 if slot is None else availability_value(slot, window_start, window_end)
        if value == 0.0:
            slot = None  # outside the window it is of no use to this request
        contribution = value * weights.availability
        ranked.append((partial + contribution, expert_id, row, slot, contribution))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    ranked = ranked[:top_n]
    if not ranked:
        return []

    # The criteria and facts are worked out again for the N shown only, by the same formulas.
    rows = np.fromiter((item[2] for item in ranked), dtype=np.intp, count=len(ranked))
    distance = distances_km(matrix, request.lat, request.lon, rows)
    onsite_ok = onsite_feasible(matrix, rows, distance)
    parts = {
        name: value.tolist() if isinstance(value, np.ndarray) else [float(value)] * len(rows)
        for name, value in criterion_parts(
            matrix, request, weights, rows, distance, onsite_ok
        ).items()
    }
    # The request's weightiest topics first (its order among equals).
    needed = sorted(
        (s for s in request.topics if s in matrix.topic_index), key=lambda s: -request.topics[s]
    )
    needed_levels = (
        matrix.levels[np.ix_(rows, [matrix.topic_index[s] for s in needed])]
        .astype(np.int64)
        .tolist()
    )
    same_procedure = column(matrix.procedures, matrix.procedure_index, request.procedure_type)
    same_size = column(matrix.sizes, matrix.size_index, request.size_class)
    serves_state = column(matrix.serves, matrix.state_index, request.state)
    facts_by_row = zip(
        same_procedure[rows].tolist(),
        same_size[rows].tolist(),
        serves_state[rows].tolist(),
        onsite_ok.tolist(),
        distance.tolist(),
        matrix.has_home[rows].tolist(),
        needed_levels,
        strict=True,
    )

    # Experts often cover the same topics at the same levels: each text is built once.
    expertise: dict[tuple[tuple[str, int], ...], tuple[str, str]] = {}
    matches = []
    for i, ((score, expert_id, row, slot, availability), by_row) in enumerate(
        zip(ranked, facts_by_row, strict=True)
    ):
        procedure, size, state, onsite, km, has_home, levels = by_row
        criteria = {name: values[i] for name, values in parts.items()}
        criteria["availability"] = availability
        covered = tuple((slug, level) for slug, level in zip(needed, levels, strict=True) if level)
        text = expertise.get(covered)
        if text is None:
            text = expertise[covered] = expertise_text(request, covered)
        facts = Facts(
            len(covered),
            procedure,
            size,
            state,
            onsite,
            km if has_home else None,
            slot,
            lookup is not None,
            text,
        )
        explanation_de, explanation_en = explain(request, facts)
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
