"""Peer exchange (Erfahrungsaustausch): which member municipalities have plans like this one.

Pure functions on plain data, no ORM: `consult/selectors.py` turns plans into `PlanFeatures` and
calls `similar_plans`. The municipal size classes live here too because this is the ground floor:
the expert matcher (`experts/matching.py`) imports them from here, never the other way round.

Similarity is a transparent sum of points (each reason a person can check):

====================================  ======  ===============================================
aspect                                points  why
====================================  ======  ===============================================
same procedure type                   3       the procedure shapes almost every question
same size class / adjacent class      2 / 1   a village and a metropolis solve different problems
same stage, or the peer is further    1       learning from someone who already did the step
shared topics (needs of both plans)   1 each  up to 3, so a long topic list cannot dominate
same federal state                    1       same municipal code (Gemeindeordnung), same funding
====================================  ======  ===============================================

Only candidates that are open to exchange, of another municipality and with at least one point
are suggested; a municipality with several similar plans appears once, with its best plan. Ties
break by municipality id so the list is stable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Coarse municipal size classes (Gemeindegrößenklassen as advisers use them), ordered small to
# large so that "adjacent" means one step apart. The boundaries follow the usual German split
# (Kleinstadt/Landgemeinde < 20,000 ≤ Mittelstadt < 100,000 ≤ Großstadt) with the few cities
# above 500,000 apart, because their participatory budgets work district by district.
SIZE_CLASSES: tuple[str, ...] = ("small", "medium", "large", "metro")
_SIZE_LIMITS: tuple[tuple[int, str], ...] = (
    (20_000, "small"),
    (100_000, "medium"),
    (500_000, "large"),
)

# Stages in the order a plan goes through them; "paused" stands outside the order.
STAGE_ORDER: tuple[str, ...] = ("idea", "introducing", "running", "developing")

PROCEDURE_LABELS: dict[str, tuple[str, str]] = {
    "consultation-budget": ("Konsultationshaushalt", "consultation budget"),
    "citizens-budget": ("Bürgerbudget", "citizens' budget"),
    "neighbourhood-fund": ("Kiezfonds", "neighbourhood fund"),
    "youth-budget": ("Jugendbudget", "youth budget"),
    "school-budget": ("Schulbudget", "school budget"),
    "thematic": ("thematischer Bürgerhaushalt", "thematic budget"),
}
# English names of the federal states (stored values are the German names).
STATE_NAMES_EN: dict[str, str] = {
    "Bayern": "Bavaria",
    "Hessen": "Hesse",
    "Mecklenburg-Vorpommern": "Mecklenburg-Western Pomerania",
    "Niedersachsen": "Lower Saxony",
    "Nordrhein-Westfalen": "North Rhine-Westphalia",
    "Rheinland-Pfalz": "Rhineland-Palatinate",
    "Sachsen": "Saxony",
    "Sachsen-Anhalt": "Saxony-Anhalt",
    "Thüringen": "Thuringia",
}
STAGE_LABELS: dict[str, tuple[str, str]] = {
    "idea": ("Idee", "idea"),
    "introducing": ("Einführung", "introducing"),
    "running": ("laufend", "running"),
    "developing": ("Weiterentwicklung", "developing further"),
    "paused": ("pausiert", "paused"),
}

POINTS_PROCEDURE = 3.0
POINTS_SIZE_SAME = 2.0
POINTS_SIZE_ADJACENT = 1.0
POINTS_STAGE = 1.0
POINTS_PER_TOPIC = 1.0
MAX_COUNTED_TOPICS = 3
POINTS_STATE = 1.0


def size_class(population: int | None) -> str:
    """The size class of a municipality; an unknown population counts as small."""
    if population is None:
        return SIZE_CLASSES[0]
    for limit, name in _SIZE_LIMITS:
        if population < limit:
            return name
    return SIZE_CLASSES[-1]


@dataclass(frozen=True, slots=True)
class PlanFeatures:
    """What peer matching needs to know about one participation plan."""

    municipality_id: int
    procedure_type: str
    size_class: str
    stage: str
    topics: frozenset[str] = frozenset()
    state: str = ""
    open_to_exchange: bool = False
    plan_id: int | None = None


@dataclass(frozen=True, slots=True)
class Peer:
    municipality_id: int
    score: float
    reason_de: str
    reason_en: str
    plan_id: int | None = None


def _size_points(a: str, b: str) -> float:
    if a == b:
        return POINTS_SIZE_SAME
    adjacent = (
        a in SIZE_CLASSES
        and b in SIZE_CLASSES
        and abs(SIZE_CLASSES.index(a) - SIZE_CLASSES.index(b)) == 1
    )
    return POINTS_SIZE_ADJACENT if adjacent else 0.0


def _stage_points(target: str, candidate: str) -> float:
    if target == candidate:
        return POINTS_STAGE
    further = (
        target in STAGE_ORDER
        and candidate in STAGE_ORDER
        and STAGE_ORDER.index(candidate) > STAGE_ORDER.index(target)
    )
    return POINTS_STAGE if further else 0.0


def _compare(target: PlanFeatures, candidate: PlanFeatures) -> Peer:
    score = 0.0
    de: list[str] = []
    en: list[str] = []
    if candidate.procedure_type == target.procedure_type:
        score += POINTS_PROCEDURE
        label_de, label_en = PROCEDURE_LABELS.get(
            target.procedure_type, (target.procedure_type, target.procedure_type)
        )
        de.append(f"gleiche Verfahrensart ({label_de})")
        en.append(f"same procedure type ({label_en})")
    size = _size_points(target.size_class, candidate.size_class)
    if size:
        score += size
        same = size == POINTS_SIZE_SAME
        de.append("gleiche Größenklasse" if same else "ähnliche Größe")
        en.append("same size class" if same else "similar size")
    stage = _stage_points(target.stage, candidate.stage)
    if stage:
        score += stage
        stage_de, stage_en = STAGE_LABELS.get(candidate.stage, (candidate.stage, candidate.stage))
        if candidate.stage == target.stage:
            de.append(f"gleicher Stand ({stage_de})")
            en.append(f"same stage ({stage_en})")
        else:
            de.append(f"schon weiter ({stage_de})")
            en.append(f"further along ({stage_en})")
    shared = len(target.topics & candidate.topics)
    if shared:
        score += POINTS_PER_TOPIC * min(shared, MAX_COUNTED_TOPICS)
        de.append(f"{shared} gemeinsame{'s Thema' if shared == 1 else ' Themen'}")
        en.append(f"{shared} shared topic{'' if shared == 1 else 's'}")
    if target.state and candidate.state == target.state:
        score += POINTS_STATE
        de.append(f"ebenfalls in {target.state}")
        en.append(f"also in {STATE_NAMES_EN.get(target.state, target.state)}")
    return Peer(
        municipality_id=candidate.municipality_id,
        score=score,
        reason_de=", ".join(de),
        reason_en=", ".join(en),
        plan_id=candidate.plan_id,
    )


def similar_plans(
    target: PlanFeatures, candidates: Sequence[PlanFeatures], limit: int = 5
) -> list[Peer]:
    """The `limit` most similar peer municipalities, best first (score desc, then id asc)."""
    best: dict[int, Peer] = {}
    for candidate in candidates:
        if not candidate.open_to_exchange or candidate.municipality_id == target.municipality_id:
            continue
        peer = _compare(target, candidate)
        if peer.score <= 0:
            continue
        held = best.get(peer.municipality_id)
        # Among one municipality's plans keep the best; equal scores keep the lower plan id so
        # the chosen reason does not depend on the order the candidates came in.
        if held is None or (peer.score, -(peer.plan_id or 0)) > (held.score, -(held.plan_id or 0)):
            best[peer.municipality_id] = peer
    ranked = sorted(best.values(), key=lambda p: (-p.score, p.municipality_id))
    return ranked[: max(limit, 0)]
