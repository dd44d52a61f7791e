"""Pure scoring of "for your plan" (library/relevance.py): no database."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from library.relevance import PlanProfile, ResourceFeatures, ResourceMatrix, recommend

NAMES = {
    "public-relations": ("Öffentlichkeitsarbeit", "Public relations"),
    "youth-school": ("Kinder-, Jugend- und Schulbeteiligung", "Youth and school participation"),
    "voting-methods": ("Abstimmungsverfahren", "Voting methods"),
    "funding": ("Fördermittel", "Funding"),
}
PLAN = PlanProfile(
    procedure_type="youth-budget",
    topics=frozenset({"public-relations", "youth-school"}),
    size_class="medium",
    state="Sachsen",
    topic_names=NAMES,
)


def res(pk: int, kind: str = "example", **fields: object) -> ResourceFeatures:
    return ResourceFeatures(id=pk, kind=kind, **fields)  # type: ignore[arg-type]


def test_best_match_comes_first_with_the_matchers_style_of_explanation() -> None:
    matrix = ResourceMatrix(
        [
            res(1, topics=frozenset({"voting-methods"}), procedure_types=frozenset({"thematic"})),
            res(
                2,
                topics=frozenset({"public-relations"}),
                procedure_types=frozenset({"youth-budget"}),
                states=frozenset({"Sachsen"}),
                year=2024,
            ),
            res(3, topics=frozenset({"public-relations"}), year=2015),
        ]
    )
    ranked = recommend(matrix, PLAN, this_year=2026)
    top = ranked["example"][0]
    assert [r.id for r in ranked["example"]] == [2, 3]
    assert top.explanation_de == "Jugendbudget, Sachsen, deckt Öffentlichkeitsarbeit ab"
    assert top.explanation_en == "youth budget, Saxony, covers public relations"
    assert top.score == round(sum(top.criteria.values()), 4)


def test_resource_sharing_nothing_with_the_plan_is_not_recommended() -> None:
    matrix = ResourceMatrix([res(1, topics=frozenset({"voting-methods"}))])
    assert recommend(matrix, PLAN, this_year=2026) == {}


def test_results_are_grouped_per_kind_and_capped() -> None:
    matrix = ResourceMatrix(
        [
            res(i, kind, topics=frozenset({"youth-school"}))
            for i in range(1, 21)
            for kind in ("study",)
        ]
        + [res(100 + i, "brochure", topics=frozenset({"public-relations"})) for i in range(5)]
    )
    ranked = recommend(matrix, PLAN, this_year=2026, per_kind=3)
    assert set(ranked) == {"study", "brochure"}
    assert all(len(v) == 3 for v in ranked.values())
    # Equal scores break by id, newest first: the order is stable.
    assert [r.id for r in ranked["study"]] == [20, 19, 18]


def test_many_covered_topics_are_summarised() -> None:
    plan = PlanProfile(
        procedure_type="thematic",
        topics=frozenset(NAMES),
        size_class="small",
        state="Bayern",
        topic_names=NAMES,
    )
    matrix = ResourceMatrix([res(1, topics=frozenset(NAMES))])
    (top,) = recommend(matrix, plan, this_year=2026)["example"]
    assert "2 weitere Themen" in top.explanation_de
    assert "2 more topics" in top.explanation_en


def test_empty_library_recommends_nothing() -> None:
    assert recommend(ResourceMatrix([]), PLAN, this_year=2026) == {}


TOPICS = sorted(NAMES)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["example", "study", "brochure"]),
            st.sets(st.sampled_from(TOPICS)),
            st.sets(st.sampled_from(["youth-budget", "thematic", "school-budget"])),
            st.one_of(st.none(), st.integers(2000, 2026)),
        ),
        max_size=40,
    )
)
def test_scores_are_sorted_and_every_pick_is_relevant(rows: list) -> None:  # type: ignore[type-arg]
    resources = [
        res(i + 1, kind, topics=frozenset(t), procedure_types=frozenset(p), year=y)
        for i, (kind, t, p, y) in enumerate(rows)
    ]
    ranked = recommend(ResourceMatrix(resources), PLAN, this_year=2026, per_kind=5)
    by_id = {r.id: r for r in resources}
    for picks in ranked.values():
        scores = [p.score for p in picks]
        assert scores == sorted(scores, reverse=True)
        for pick in picks:
            chosen = by_id[pick.id]
            assert chosen.topics & PLAN.topics or "youth-budget" in chosen.procedure_types
            assert 0 <= pick.score <= 1
