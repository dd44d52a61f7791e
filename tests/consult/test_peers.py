"""Peer suggestions: similar plans of other municipalities that agreed to be contacted."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from consult.peers import SIZE_CLASSES, STAGE_ORDER, PlanFeatures, similar_plans, size_class

TARGET = PlanFeatures(
    municipality_id=1,
    procedure_type="youth-budget",
    size_class="medium",
    stage="idea",
    topics=frozenset({"youth-school", "public-relations", "voting-methods"}),
    state="Sachsen",
    open_to_exchange=True,
    plan_id=10,
)


def plan(municipality_id: int, **fields: object) -> PlanFeatures:
    defaults: dict[str, object] = {
        "procedure_type": "consultation-budget",
        "size_class": "metro",
        "stage": "paused",
        "topics": frozenset(),
        "state": "Bremen",
        "open_to_exchange": True,
        "plan_id": municipality_id * 100,
    }
    defaults.update(fields)
    return PlanFeatures(municipality_id=municipality_id, **defaults)  # type: ignore[arg-type]


def test_most_similar_open_plan_comes_first_with_its_reasons() -> None:
    twin = plan(
        5,
        procedure_type="youth-budget",
        size_class="medium",
        stage="running",
        topics=frozenset({"youth-school", "public-relations"}),
        state="Sachsen",
    )
    same_procedure = plan(3, procedure_type="youth-budget")
    same_size = plan(4, size_class="medium")
    peers = similar_plans(TARGET, [same_size, same_procedure, twin])
    assert [p.municipality_id for p in peers] == [5, 3, 4]
    best = peers[0]
    assert best.score == 3 + 2 + 1 + 2 + 1
    assert best.plan_id == 500
    assert best.reason_de == (
        "gleiche Verfahrensart (Jugendbudget), gleiche Größenklasse, schon weiter (laufend), "
        "2 gemeinsame Themen, ebenfalls in Sachsen"
    )
    assert best.reason_en == (
        "same procedure type (youth budget), same size class, further along (running), "
        "2 shared topics, also in Saxony"
    )


def test_closed_plans_and_the_own_municipality_are_never_suggested() -> None:
    closed = plan(2, procedure_type="youth-budget", open_to_exchange=False)
    own_other_plan = plan(1, procedure_type="youth-budget", plan_id=11)
    open_one = plan(3, procedure_type="youth-budget")
    assert [
        p.municipality_id for p in similar_plans(TARGET, [closed, own_other_plan, open_one])
    ] == [3]


def test_plans_with_nothing_in_common_are_left_out() -> None:
    assert similar_plans(TARGET, [plan(2)]) == []


def test_a_municipality_appears_once_with_its_best_plan() -> None:
    weak = plan(2, size_class="large", plan_id=21)
    strong = plan(2, procedure_type="youth-budget", plan_id=22)
    [peer] = similar_plans(TARGET, [weak, strong])
    assert (peer.plan_id, peer.score) == (22, 3)


def test_ties_break_by_municipality_id_and_limit_applies() -> None:
    peers = similar_plans(TARGET, [plan(m, size_class="small") for m in (9, 4, 7, 2)], limit=3)
    assert [p.municipality_id for p in peers] == [2, 4, 7]
    assert all(p.reason_en == "similar size" for p in peers)


def test_stage_counts_when_equal_or_further_along_only() -> None:
    assert STAGE_ORDER == ("idea", "introducing", "running", "developing")
    running = PlanFeatures(3, "thematic", "metro", "running", open_to_exchange=True)
    later = PlanFeatures(4, "thematic", "metro", "developing", open_to_exchange=True)
    earlier = PlanFeatures(5, "thematic", "metro", "idea", open_to_exchange=True)
    target = PlanFeatures(1, "citizens-budget", "small", "running")
    assert [p.municipality_id for p in similar_plans(target, [earlier, later, running])] == [3, 4]


def test_shared_topics_count_up_to_three() -> None:
    many = frozenset({"a", "b", "c", "d", "e"})
    target = PlanFeatures(1, "thematic", "small", "idea", topics=many)
    [peer] = similar_plans(target, [plan(2, topics=many)])
    assert peer.score == 3
    assert peer.reason_de == "5 gemeinsame Themen"


def test_size_class_thresholds() -> None:
    populations = (None, 19_999, 20_000, 99_999, 100_000, 499_999, 500_000)
    assert [size_class(p) for p in populations] == [
        "small",
        "small",
        "medium",
        "medium",
        "large",
        "large",
        "metro",
    ]


candidates_st = st.lists(
    st.builds(
        PlanFeatures,
        municipality_id=st.integers(1, 30),
        procedure_type=st.sampled_from(["youth-budget", "thematic", "citizens-budget"]),
        size_class=st.sampled_from(SIZE_CLASSES),
        stage=st.sampled_from([*STAGE_ORDER, "paused"]),
        topics=st.frozensets(st.sampled_from(["youth-school", "funding", "voting-methods"])),
        state=st.sampled_from(["Sachsen", "Bayern"]),
        open_to_exchange=st.booleans(),
        plan_id=st.integers(1, 10_000),
    ),
    max_size=25,
    unique_by=lambda p: p.plan_id,
)


@settings(max_examples=150, deadline=None)
@given(candidates_st, st.randoms(), st.integers(0, 8))
def test_peers_do_not_depend_on_candidate_order(
    candidates: list[PlanFeatures], rnd: random.Random, limit: int
) -> None:
    shuffled = candidates[:]
    rnd.shuffle(shuffled)
    peers = similar_plans(TARGET, candidates, limit=limit)
    assert peers == similar_plans(TARGET, shuffled, limit=limit)
    assert len(peers) <= limit
    assert len({p.municipality_id for p in peers}) == len(peers)
    assert all(p.municipality_id != TARGET.municipality_id and p.score > 0 for p in peers)
    assert [(-p.score, p.municipality_id) for p in peers] == sorted(
        (-p.score, p.municipality_id) for p in peers
    )
