"""The expert matcher and the batch assignment: plain data in, ranked matches out."""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from experts.matching import (
    CRITERIA,
    PROCEDURE_TYPES,
    SIZE_CLASSES,
    TOPICS,
    ExpertFeatures,
    ExpertMatrix,
    RequestFeatures,
    Weights,
    assign_batch,
    haversine_km,
    rank_experts,
    score_requests,
    size_class,
)

BERLIN = ZoneInfo("Europe/Berlin")
WINDOW_START = datetime(2025, 12, 1, 0, 0, tzinfo=BERLIN)
WINDOW_END = datetime(2025, 12, 19, 23, 59, tzinfo=BERLIN)

LEIPZIG = (51.34, 12.375)
DRESDEN = (51.05, 13.74)
CHEMNITZ = (50.83, 12.92)
MUENCHEN = (48.137, 11.575)
HAMBURG = (53.55, 9.99)


def expert(expert_id: int, **fields: object) -> ExpertFeatures:
    defaults: dict[str, object] = {
        "name": f"Expert {expert_id}",
        # Covers a topic of the default request: one covering none is excluded (DESIGN.md 6).
        "topic_levels": {"procedure-design": 2, "youth-school": 2},
        "procedure_types": frozenset({"consultation-budget"}),
        "size_classes": frozenset({"medium"}),
        "lat": DRESDEN[0],
        "lon": DRESDEN[1],
        "travel_radius_km": 150.0,
        "states": frozenset({"Sachsen"}),
        "languages": frozenset({"de"}),
        "formats": frozenset({"online", "onsite"}),
    }
    defaults.update(fields)
    return ExpertFeatures(id=expert_id, **defaults)  # type: ignore[arg-type]


def request_for(**fields: object) -> RequestFeatures:
    defaults: dict[str, object] = {
        "municipality_id": 1,
        "lat": LEIPZIG[0],
        "lon": LEIPZIG[1],
        "state": "Sachsen",
        "size_class": "large",
        "procedure_type": "youth-budget",
        "topics": {"youth-school": 3, "public-relations": 2},
        "format": "either",
        "language": "de",
        "window_start": WINDOW_START,
        "window_end": WINDOW_END,
    }
    defaults.update(fields)
    return RequestFeatures(**defaults)  # type: ignore[arg-type]


def ranked_ids(experts: list[ExpertFeatures], request: RequestFeatures, **kwargs: object) -> list:
    matrix = ExpertMatrix.build(experts)
    return [m.expert_id for m in rank_experts(matrix, request, **kwargs)]  # type: ignore[arg-type]


# --- hand-built cases ---------------------------------------------------------------------------


def test_saxon_youth_participation_expert_ranks_first_for_youth_budget_in_saxony() -> None:
    saxon_youth = expert(
        7,
        name="Jugendbeteiligung Sachsen",
        topic_levels={"youth-school": 3, "public-relations": 2},
        procedure_types=frozenset({"youth-budget", "school-budget"}),
        size_classes=frozenset({"large", "medium"}),
    )
    bavarian_youth = expert(
        2,
        topic_levels={"youth-school": 3, "public-relations": 2},
        procedure_types=frozenset({"youth-budget"}),
        lat=MUENCHEN[0],
        lon=MUENCHEN[1],
        states=frozenset({"Bayern"}),
        formats=frozenset({"online"}),
    )
    saxon_budget_law = expert(3, topic_levels={"budget-law": 3, "council-politics": 3})
    platform_person = expert(
        4, topic_levels={"online-platform": 3, "public-relations": 3}, states=frozenset()
    )
    matches = rank_experts(
        ExpertMatrix.build([platform_person, saxon_budget_law, bavarian_youth, saxon_youth]),
        request_for(),
    )
    assert matches[0].expert_id == 7
    assert matches[0].topics_covered == 2
    assert "berät in Sachsen" in matches[0].explanation_de
    assert "advises in Saxony" in matches[0].explanation_en


def test_conflicted_expert_never_appears_even_when_best() -> None:
    best = expert(1, topic_levels={"youth-school": 3, "public-relations": 3}, conflicts={1, 9})
    other = expert(2, topic_levels={"public-relations": 1})
    assert ranked_ids([best, other], request_for(municipality_id=1)) == [2]
    assert ranked_ids([best, other], request_for(municipality_id=5))[0] == 1


def test_onsite_request_never_returns_expert_beyond_radius() -> None:
    near = expert(1, lat=CHEMNITZ[0], lon=CHEMNITZ[1], travel_radius_km=100)
    far = expert(2, lat=HAMBURG[0], lon=HAMBURG[1], travel_radius_km=250)  # ~295 km
    far_but_online = expert(3, lat=HAMBURG[0], lon=HAMBURG[1], formats=frozenset({"online"}))
    no_home = expert(4, lat=None, lon=None, travel_radius_km=1000)
    experts = [near, far, far_but_online, no_home]
    assert ranked_ids(experts, request_for(format="onsite")) == [1]
    assert sorted(ranked_ids(experts, request_for(format="online"))) == [1, 2, 3, 4]
    # "either" is feasible online or on-site: the far on-site-only expert is out.
    onsite_only_far = expert(5, lat=HAMBURG[0], lon=HAMBURG[1], formats=frozenset({"onsite"}))
    assert 5 not in ranked_ids([*experts, onsite_only_far], request_for(format="either"))


def test_on_site_distance_counts_only_inside_the_radius_and_nearer_scores_higher() -> None:
    near = expert(1, lat=CHEMNITZ[0], lon=CHEMNITZ[1], travel_radius_km=200)
    farther = expert(2, travel_radius_km=200)  # Dresden, ~100 km
    matches = rank_experts(ExpertMatrix.build([farther, near]), request_for(format="onsite"))
    by_id = {m.expert_id: m for m in matches}
    assert by_id[1].criteria["distance"] > by_id[2].criteria["distance"] > 0
    assert [m.expert_id for m in matches] == [1, 2]


def test_inactive_expert_is_excluded() -> None:
    assert ranked_ids([expert(1, active=False), expert(2)], request_for()) == [2]


def test_expert_without_common_language_is_excluded() -> None:
    english_only = expert(1, languages=frozenset({"en"}))
    bilingual = expert(2, languages=frozenset({"de", "en"}))
    assert ranked_ids([english_only, bilingual], request_for(language="de")) == [2]
    assert ranked_ids([english_only, bilingual], request_for(language="tr")) == []


def test_expert_without_common_format_is_excluded() -> None:
    online_only = expert(1, formats=frozenset({"online"}))
    onsite_only = expert(2, formats=frozenset({"onsite"}))
    assert ranked_ids([online_only, onsite_only], request_for(format="online")) == [1]
    assert ranked_ids([online_only, onsite_only], request_for(format="onsite")) == [2]
    assert sorted(ranked_ids([online_only, onsite_only], request_for(format="either"))) == [1, 2]


def test_either_prefers_experts_who_can_do_both_formats() -> None:
    both = expert(1)
    online_only = expert(2, formats=frozenset({"online"}))
    matches = rank_experts(ExpertMatrix.build([online_only, both]), request_for(format="either"))
    assert [m.expert_id for m in matches] == [1, 2]
    assert matches[1].criteria["format"] == pytest.approx(matches[0].criteria["format"] / 2)
    assert "online only" in matches[1].explanation_en


def test_ties_break_by_expert_id_ascending() -> None:
    twins = [expert(i) for i in (42, 5, 17, 3, 11)]
    assert ranked_ids(twins, request_for()) == [3, 5, 11, 17, 42]


def test_ties_at_the_top_k_boundary_keep_the_lowest_ids() -> None:
    better = expert(100, topic_levels={"youth-school": 3})
    twins = [expert(i) for i in random.Random(4).sample(range(1, 60), 40)]
    got = ranked_ids([*twins, better], request_for(), top_k=3, top_n=3)
    assert got == [100, *sorted(e.id for e in twins)[:2]]


@pytest.mark.parametrize(
    ("levels", "german", "english"),
    [
        ({"youth-school": 2}, "Deckt das benötigte Thema ab", "Covers the needed topic"),
        ({"youth-school": 1}, "Deckt das benötigte Thema ab", "Covers the needed topic"),
    ],
)
def test_explanation_of_a_single_topic_request_reads_naturally(levels, german, english) -> None:
    request = request_for(topics={"youth-school": 3})
    [match] = rank_experts(ExpertMatrix.build([expert(1, topic_levels=levels)]), request)
    assert match.explanation_de.startswith(german + ",") or match.explanation_de == german + "."
    assert match.explanation_en.startswith(english)


def test_explanations_name_topic_count_distance_and_slot() -> None:
    covers_three = expert(
        1,
        topic_levels={"youth-school": 3, "public-relations": 2, "funding": 1},
        lat=CHEMNITZ[0],
        lon=CHEMNITZ[1],
    )
    request = request_for(
        topics={"youth-school": 3, "public-relations": 2, "funding": 1, "budget-law": 2}
    )
    slot = datetime(2025, 12, 3, 10, 0, tzinfo=BERLIN)
    [match] = rank_experts(ExpertMatrix.build([covers_three]), request, earliest_slot={1: slot})
    km = f"{haversine_km(*LEIPZIG, *CHEMNITZ):.0f} km"
    assert match.explanation_de.startswith("Deckt 3 von 4 benötigten Themen ab,")
    assert match.explanation_en.startswith("Covers 3 of 4 needed topics,")
    assert f"{km} entfernt" in match.explanation_de
    assert f"{km} away" in match.explanation_en
    assert "frei ab 3. Dez., 10:00 Uhr" in match.explanation_de
    assert "free from 3 Dec, 10:00" in match.explanation_en
    assert match.distance_km == pytest.approx(haversine_km(*LEIPZIG, *CHEMNITZ))


def test_no_slot_in_window_scores_zero_and_says_so() -> None:
    outside = datetime(2026, 1, 20, 9, 0, tzinfo=BERLIN)
    matrix = ExpertMatrix.build([expert(1), expert(2)])
    matches = rank_experts(matrix, request_for(), earliest_slot={1: outside})
    for match in matches:
        assert match.criteria["availability"] == 0.0
        assert match.earliest_slot is None
        assert "no free slot in the window" in match.explanation_en
        assert "kein freier Termin im Wunschzeitraum" in match.explanation_de


def test_sooner_slot_ranks_higher_and_decays_linearly_over_the_window() -> None:
    matrix = ExpertMatrix.build([expert(1), expert(2), expert(3)])
    slots = {1: WINDOW_END, 2: WINDOW_START + (WINDOW_END - WINDOW_START) / 2, 3: WINDOW_START}
    matches = rank_experts(matrix, request_for(), earliest_slot=slots.get)
    assert [m.expert_id for m in matches] == [3, 2, 1]
    full = Weights().availability
    assert [m.criteria["availability"] for m in matches] == pytest.approx([full, full / 2, 0.0])


def test_slots_are_asked_for_the_top_k_only() -> None:
    experts = [expert(i, topic_levels={"youth-school": 1 + i % 3}) for i in range(1, 201)]
    asked: list[int] = []

    def earliest(expert_id: int) -> datetime | None:
        asked.append(expert_id)
        return WINDOW_START + timedelta(days=expert_id % 7)

    matches = rank_experts(
        ExpertMatrix.build(experts), request_for(), earliest_slot=earliest, top_k=25, top_n=5
    )
    assert len(asked) == 25 and asked == sorted(asked)
    assert len(matches) == 5
    assert {m.expert_id for m in matches} <= set(asked)


def test_without_slot_source_availability_is_not_mentioned() -> None:
    [match] = rank_experts(ExpertMatrix.build([expert(1)]), request_for())
    assert match.criteria["availability"] == 0.0
    assert "slot" not in match.explanation_en and "Termin" not in match.explanation_de


def test_fewer_bookings_against_capacity_rank_higher() -> None:
    busy = expert(1, monthly_capacity=4, bookings_this_month=3)
    free = expert(2, monthly_capacity=4, bookings_this_month=1)
    full = expert(3, monthly_capacity=2, bookings_this_month=5)
    assert ranked_ids([busy, free, full], request_for()) == [2, 1, 3]


def test_feedback_is_smoothed_so_one_perfect_rating_does_not_win() -> None:
    single_five = expert(1, rating_sum=5.0, rating_count=1)
    many_good = expert(2, rating_sum=20 * 4.8, rating_count=20)
    unrated = expert(3)
    matches = rank_experts(ExpertMatrix.build([single_five, many_good, unrated]), request_for())
    assert [m.expert_id for m in matches] == [2, 1, 3]


def test_criteria_add_up_to_the_score() -> None:
    matrix = ExpertMatrix.build([expert(i, bookings_this_month=i) for i in range(1, 6)])
    slots = {2: WINDOW_START + timedelta(days=3)}
    for match in rank_experts(matrix, request_for(), earliest_slot=slots):
        assert list(match.criteria) == list(CRITERIA)
        assert sum(match.criteria.values()) == pytest.approx(match.score)


def test_weights_come_from_the_settings_mapping() -> None:
    weights = Weights.from_mapping({"topics": 0.5, "experience": 0.1, "availability": 0})
    assert (weights.topics, weights.experience, weights.availability) == (0.5, 0.1, 0.0)
    with pytest.raises(ValueError, match="unknown matching weights: topcs"):
        Weights.from_mapping({"topcs": 0.5})
    with pytest.raises(ValueError):
        Weights(region=-1)


def test_zero_weights_switch_a_criterion_off() -> None:
    matrix = ExpertMatrix.build([expert(1, states=frozenset()), expert(2)])
    only_topics = Weights(
        experience=0,
        language=0,
        format=0,
        distance=0,
        region=0,
        availability=0,
        load=0,
        feedback=0,
    )
    matches = rank_experts(matrix, request_for(), weights=only_topics)
    # Both cover youth-school (weight 3) at level 2 and nothing else counts.
    assert [m.score for m in matches] == [3 * 2 * (only_topics.topics / 9)] * 2
    assert [m.expert_id for m in matches] == [1, 2]


def test_size_classes_follow_population() -> None:
    assert [size_class(p) for p in (None, 800, 19_999, 20_000, 99_999, 100_000, 499_999)] == [
        "small",
        "small",
        "small",
        "medium",
        "medium",
        "large",
        "large",
    ]
    assert size_class(500_000) == size_class(3_700_000) == "metro"
    assert SIZE_CLASSES == ("small", "medium", "large", "metro")


def test_adjacent_size_class_counts_half() -> None:
    same = expert(1, size_classes=frozenset({"large"}), procedure_types=frozenset())
    adjacent = expert(2, size_classes=frozenset({"metro"}), procedure_types=frozenset())
    unrelated = expert(3, size_classes=frozenset({"small"}), procedure_types=frozenset())
    matches = rank_experts(ExpertMatrix.build([same, adjacent, unrelated]), request_for())
    experience = {m.expert_id: m.criteria["experience"] for m in matches}
    assert experience[1] == pytest.approx(2 * experience[2]) and experience[3] == 0.0


def test_haversine_matches_known_distances() -> None:
    assert haversine_km(52.52, 13.405, *MUENCHEN) == pytest.approx(504, abs=3)
    assert haversine_km(*LEIPZIG, *LEIPZIG) == 0.0


def test_updated_matrix_replaces_adds_and_removes_profiles() -> None:
    matrix = ExpertMatrix.build([expert(1), expert(2), expert(3)])
    newer = matrix.updated(changed=[expert(2, active=False), expert(4)], removed=[3])
    assert newer.ids.tolist() == [1, 2, 4]
    assert ranked_ids(list(newer.profiles), request_for()) == [1, 4]
    assert matrix.ids.tolist() == [1, 2, 3]  # the old matrix is untouched for readers


def test_duplicate_expert_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        ExpertMatrix.build([expert(1), expert(1)])


# --- properties ---------------------------------------------------------------------------------

LANGS = ("de", "en", "tr")
STATES = ("Sachsen", "Bayern", "Berlin", "Hessen")


# Built once, not inside each draw: hypothesis validates a strategy the first time it is drawn
# from, and building them per expert and per example spent most of these properties' time
# (about 80 %) on that, not on the matcher. The same strategies, so the same examples.
_TOPIC_LEVELS = st.dictionaries(st.sampled_from(TOPICS), st.integers(1, 3), max_size=5)
_PROCEDURE_TYPES = st.frozensets(st.sampled_from(PROCEDURE_TYPES), max_size=3)
_SIZE_CLASSES = st.frozensets(st.sampled_from(SIZE_CLASSES), max_size=2)
_LAT = st.none() | st.floats(47.3, 55.0)
_LON = st.floats(5.9, 15.0)
_RADIUS = st.sampled_from([0.0, 50.0, 150.0, 400.0])
_STATE_SETS = st.frozensets(st.sampled_from(STATES), max_size=3)
_LANGUAGE_SETS = st.frozensets(st.sampled_from(LANGS), max_size=2)
_FORMAT_SETS = st.frozensets(st.sampled_from(("online", "onsite")), max_size=2)
_RATING = st.sampled_from([1.0, 3.5, 4.0, 5.0])
_CONFLICTS = st.frozensets(st.integers(1, 3), max_size=2)
_REQUEST_TOPICS = st.dictionaries(st.sampled_from(TOPICS), st.integers(1, 3), max_size=4)


@st.composite
def experts_st(draw: st.DrawFn, max_size: int = 12) -> list[ExpertFeatures]:
    ids = draw(st.lists(st.integers(1, 500), min_size=1, max_size=max_size, unique=True))
    out = []
    for expert_id in ids:
        count = draw(st.integers(0, 20))
        out.append(
            ExpertFeatures(
                id=expert_id,
                name=f"E{expert_id}",
                active=draw(st.booleans()) or draw(st.booleans()),
                topic_levels=draw(_TOPIC_LEVELS),
                procedure_types=draw(_PROCEDURE_TYPES),
                size_classes=draw(_SIZE_CLASSES),
                lat=draw(_LAT),
                lon=draw(_LON),
                travel_radius_km=draw(_RADIUS),
                states=draw(_STATE_SETS),
                languages=draw(_LANGUAGE_SETS),
                formats=draw(_FORMAT_SETS),
                monthly_capacity=draw(st.integers(0, 6)),
                bookings_this_month=draw(st.integers(0, 8)),
                rating_sum=count * draw(_RATING),
                rating_count=count,
                conflicts=draw(_CONFLICTS),
            )
        )
    return out


@st.composite
def requests_st(draw: st.DrawFn) -> RequestFeatures:
    return request_for(
        municipality_id=draw(st.integers(1, 3)),
        lat=draw(st.floats(47.3, 55.0)),
        lon=draw(_LON),
        state=draw(st.sampled_from(STATES)),
        size_class=draw(st.sampled_from(SIZE_CLASSES)),
        procedure_type=draw(st.sampled_from(PROCEDURE_TYPES)),
        topics=draw(_REQUEST_TOPICS),
        format=draw(st.sampled_from(("online", "onsite", "either"))),
        language=draw(st.sampled_from(LANGS)),
    )


def slots_for(experts: list[ExpertFeatures], seed: int) -> dict[int, datetime | None]:
    rng = random.Random(seed)
    choices = [None, WINDOW_START - timedelta(days=1), WINDOW_END + timedelta(hours=1)]
    return {
        e.id: rng.choice([*choices, WINDOW_START + timedelta(hours=rng.randint(0, 450))])
        for e in experts
    }


def all_scores(experts: list[ExpertFeatures], request: RequestFeatures, slots: dict) -> dict:
    n = len(experts)
    matches = rank_experts(
        ExpertMatrix.build(experts), request, earliest_slot=slots, top_k=n, top_n=n
    )
    return {m.expert_id: m.score for m in matches}


def by_id_covers(experts: list[ExpertFeatures], expert_id: int, topic: str) -> bool:
    return next(e for e in experts if e.id == expert_id).topic_levels.get(topic, 0) > 0


@settings(max_examples=150, deadline=None)
@given(experts_st(), requests_st(), st.sampled_from(TOPICS), st.integers(1, 3), st.integers())
def test_adding_a_needed_topic_an_expert_covers_never_lowers_their_score(
    experts: list[ExpertFeatures], request: RequestFeatures, topic: str, weight: int, seed: int
) -> None:
    if topic in request.topics:
        return
    slots = slots_for(experts, seed)
    before = all_scores(experts, request, slots)
    after = all_scores(experts, replace(request, topics={**request.topics, topic: weight}), slots)
    # Covering none of the needed topics excludes (DESIGN.md 6): a topic the expert covers can
    # only bring them in; a request naming no topics excludes nobody, its first topic those
    # who do not cover it.
    if request.topics:
        assert before.keys() <= after.keys()
    else:
        assert after.keys() == {i for i in before if by_id_covers(experts, i, topic)}
    assert all(by_id_covers(experts, i, topic) for i in after.keys() - before.keys())
    for e in experts:
        if e.id in before and e.id in after:
            if e.topic_levels.get(topic, 0) > 0:
                assert after[e.id] > before[e.id]
            else:
                assert after[e.id] == before[e.id]


@settings(max_examples=150, deadline=None)
@given(experts_st(), requests_st(), st.integers(1, 5), st.integers(), st.randoms())
def test_shuffling_the_experts_gives_the_same_ranking(
    experts: list[ExpertFeatures],
    request: RequestFeatures,
    top_k: int,
    seed: int,
    rnd: random.Random,
) -> None:
    # Clones with new ids create exact ties, so the id tie-break is exercised too.
    experts = experts + [replace(e, id=e.id + 1000) for e in experts[:3]]
    slots = slots_for(experts, seed)
    shuffled = experts[:]
    rnd.shuffle(shuffled)
    first = rank_experts(ExpertMatrix.build(experts), request, earliest_slot=slots, top_k=top_k)
    second = rank_experts(ExpertMatrix.build(shuffled), request, earliest_slot=slots, top_k=top_k)
    assert first == second


@settings(max_examples=150, deadline=None)
@given(experts_st(), requests_st(), st.integers(1, 6))
def test_top_k_without_slots_is_a_prefix_of_the_full_ranking(
    experts: list[ExpertFeatures], request: RequestFeatures, k: int
) -> None:
    experts = experts + [replace(e, id=e.id + 1000) for e in experts[:4]]
    matrix = ExpertMatrix.build(experts)
    full = rank_experts(matrix, request, top_k=len(experts), top_n=len(experts))
    assert [(m.score, m.expert_id) for m in full] == sorted(
        ((m.score, m.expert_id) for m in full), key=lambda s: (-s[0], s[1])
    )
    assert rank_experts(matrix, request, top_k=k, top_n=k) == full[:k]


@settings(max_examples=150, deadline=None)
@given(experts_st(), requests_st())
def test_exclusions_hold_for_any_experts(
    experts: list[ExpertFeatures], request: RequestFeatures
) -> None:
    by_id = {e.id: e for e in experts}
    matches = rank_experts(ExpertMatrix.build(experts), request, top_k=50, top_n=50)
    for match in matches:
        e = by_id[match.expert_id]
        assert e.active
        assert request.municipality_id not in e.conflicts
        assert request.language in e.languages
        onsite_ok = (
            "onsite" in e.formats
            and e.lat is not None
            and haversine_km(e.lat, e.lon, request.lat, request.lon) <= e.travel_radius_km + 1e-6
        )
        if request.format == "onsite":
            assert onsite_ok
        elif request.format == "online":
            assert "online" in e.formats
        else:
            assert onsite_ok or "online" in e.formats
    expected = sum(
        1
        for e in experts
        if e.active
        and request.municipality_id not in e.conflicts
        and request.language in e.languages
        and e.formats
        and (request.format != "onsite" or "onsite" in e.formats)
        and (request.format != "online" or "online" in e.formats)
        and (not request.topics or any(e.topic_levels.get(t, 0) > 0 for t in request.topics))
    )
    assert len(matches) <= expected


@settings(max_examples=50, deadline=None)
@given(st.floats(47, 55), st.floats(6, 15), st.floats(47, 55), st.floats(6, 15))
def test_vectorised_distance_equals_scalar_haversine(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    matrix = ExpertMatrix.build([expert(1, lat=lat1, lon=lon1, travel_radius_km=2000)])
    [match] = rank_experts(matrix, request_for(lat=lat2, lon=lon2))
    assert match.distance_km == pytest.approx(haversine_km(lat1, lon1, lat2, lon2), abs=1e-6)


def assert_same_matrix(got: ExpertMatrix, want: ExpertMatrix) -> None:
    """Every attribute equal (but the feedback cache), arrays bit for bit, dtype and shape."""
    assert vars(got).keys() == vars(want).keys()
    for name, expected in vars(want).items():
        if name == "_feedback":
            continue
        actual = getattr(got, name)
        if isinstance(expected, np.ndarray):
            assert actual.dtype == expected.dtype, name
            np.testing.assert_array_equal(actual, expected, err_msg=name, strict=True)
        elif name == "conflict_rows":
            assert actual.keys() == expected.keys()
            for municipality_id, rows in expected.items():
                np.testing.assert_array_equal(actual[municipality_id], rows, strict=True)
        else:
            assert actual == expected, name


@settings(max_examples=60, deadline=None)
@given(experts_st(), experts_st(max_size=6), st.data())
def test_updated_matrix_equals_a_fresh_build(
    experts: list[ExpertFeatures], changed: list[ExpertFeatures], data: st.DataObject
) -> None:
    removed = data.draw(st.lists(st.sampled_from([e.id for e in experts] + [999]), max_size=4))
    by_id = {e.id: e for e in experts}
    for expert_id in removed:
        by_id.pop(expert_id, None)
    by_id.update((e.id, e) for e in changed)
    before = ExpertMatrix.build(experts)
    updated = before.updated(changed, removed)
    assert_same_matrix(updated, ExpertMatrix.build(list(by_id.values())))
    assert_same_matrix(before, ExpertMatrix.build(experts))  # the old one is untouched
    request = data.draw(requests_st())
    assert rank_experts(updated, request, top_n=20) == rank_experts(
        ExpertMatrix.build(list(by_id.values())), request, top_n=20
    )


# --- batch assignment ---------------------------------------------------------------------------


def brute_force(scores: np.ndarray, capacity: list[int]) -> tuple[int, float]:
    """Best (number assigned, total score) over every way to give each request one or none."""
    n_requests, n_experts = scores.shape
    best = (0, 0.0)
    for choice in itertools.product([None, *range(n_experts)], repeat=n_requests):
        used = [0] * n_experts
        total, count, ok = 0.0, 0, True
        for r, e in enumerate(choice):
            if e is None:
                continue
            if not math.isfinite(scores[r, e]) or used[e] >= capacity[e]:
                ok = False
                break
            used[e] += 1
            total += scores[r, e]
            count += 1
        if ok and (count, total) > (best[0], best[1] + 1e-9):
            best = (count, total)
    return best


score_cells = st.one_of(
    st.just(-math.inf), st.floats(-2, 2, allow_nan=False).map(lambda x: round(x, 3))
)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda r: st.integers(1, 3).flatmap(
            lambda e: st.tuples(
                st.lists(st.lists(score_cells, min_size=e, max_size=e), min_size=r, max_size=r),
                st.lists(st.integers(0, 2), min_size=e, max_size=e),
            )
        )
    )
)
def test_batch_assignment_is_optimal_on_small_cases(data: tuple[list, list[int]]) -> None:
    rows, capacity = data
    scores = np.array(rows, dtype=float)
    ids = [10 + i for i in range(scores.shape[1])]
    result = assign_batch(scores, ids, capacity, candidates_per_request=None)
    count, total = brute_force(scores, capacity)
    assert len(result) == count
    assert sum(a.score for a in result) == pytest.approx(total, abs=1e-9)
    assert len({a.request_index for a in result}) == len(result)
    for a in result:
        assert scores[a.request_index, ids.index(a.expert_id)] == a.score


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([None, 1, 3, 8]))
def test_batch_assignment_respects_capacity(seed: int, k: int | None) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.random((30, 12))
    scores[rng.random(scores.shape) < 0.3] = -np.inf
    capacity = rng.integers(0, 4, size=12)
    ids = np.arange(100, 112)
    result = assign_batch(scores, ids, capacity, candidates_per_request=k)
    per_expert = np.bincount([a.expert_id - 100 for a in result], minlength=12)
    assert np.all(per_expert <= capacity)
    assert len({a.request_index for a in result}) == len(result)
    assert all(math.isfinite(a.score) for a in result)
    assert [a.request_index for a in result] == sorted(a.request_index for a in result)


def textbook_assignment(scores: np.ndarray, capacity: np.ndarray) -> tuple[int, float]:
    """Every expert expanded into `capacity` columns, every pair kept: slow but plainly right."""
    n_requests = scores.shape[0]
    columns = np.repeat(np.arange(scores.shape[1]), capacity)
    big = 2.0 * (n_requests + 1) * (np.abs(scores[np.isfinite(scores)]).max(initial=0) + 1)
    cost = np.full((n_requests, len(columns) + n_requests), np.inf)
    cost[:, : len(columns)] = np.where(np.isfinite(scores[:, columns]), -scores[:, columns], np.inf)
    cost[np.arange(n_requests), len(columns) + np.arange(n_requests)] = big
    rows, cols = linear_sum_assignment(cost)
    real = cols < len(columns)
    return int(real.sum()), float(scores[rows[real], columns[cols[real]]].sum())


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 40), st.integers(1, 12))
def test_batch_stays_exact_when_many_requests_want_the_same_experts(
    seed: int, n_requests: int, n_experts: int
) -> None:
    rng = np.random.default_rng(seed)
    # A shared taste plus a little noise: everybody queues for the same few experts.
    scores = rng.random(n_experts)[None, :] * 3 + rng.random((n_requests, n_experts)) * 0.2
    scores[rng.random(scores.shape) < 0.2] = -np.inf
    capacity = rng.integers(0, 3, size=n_experts)
    result = assign_batch(scores, np.arange(n_experts), capacity)
    count, total = textbook_assignment(scores, capacity)
    assert len(result) == count
    assert sum(a.score for a in result) == pytest.approx(total, abs=1e-9)


def test_batch_assigns_everyone_when_possible_even_at_a_lower_total() -> None:
    # Request 0 likes A most but can also take B; request 1 can only take A (capacity 1 each).
    scores = np.array([[1.0, 0.1], [0.2, -np.inf]])
    result = assign_batch(scores, [1, 2], [1, 1])
    assert sorted((a.request_index, a.expert_id) for a in result) == [(0, 2), (1, 1)]


def test_batch_over_a_matrix_never_assigns_excluded_pairs() -> None:
    experts = [
        expert(1, conflicts=frozenset({1}), monthly_capacity=3),
        expert(2, monthly_capacity=1),
        expert(3, languages=frozenset({"en"}), monthly_capacity=5),
    ]
    matrix = ExpertMatrix.build(experts)
    requests = [request_for(municipality_id=m) for m in (1, 1, 2, 3)]
    scores = score_requests(matrix, requests)
    result = assign_batch(scores, matrix.ids, matrix.remaining_capacity)
    pairs = {(a.request_index, a.expert_id) for a in result}
    assert (0, 1) not in pairs and (1, 1) not in pairs
    assert all(a.expert_id != 3 for a in result)
    assert len(result) == 3  # one of the two requests from municipality 1 stays open
    assert sum(1 for a in result if a.expert_id == 2) == 1


# --- covering none of the needed topics (DESIGN.md 6, issue 18) --------------------------------


def test_expert_covering_none_of_the_needed_topics_is_excluded_not_ranked_last() -> None:
    covers = expert(1, topic_levels={"public-relations": 1})
    budget_law = expert(2, topic_levels={"budget-law": 3, "council-politics": 3})
    matrix = ExpertMatrix.build([covers, budget_law])
    request = request_for(topics={"youth-school": 3, "public-relations": 2})
    assert [m.expert_id for m in rank_experts(matrix, request, top_k=10, top_n=10)] == [1]
    assert not np.isfinite(score_requests(matrix, [request])[0, matrix.row_of[2]])


def test_left_out_experts_are_counted_by_their_first_reason() -> None:
    from experts.match_explain import left_out_text
    from experts.match_scoring import exclusions

    experts = [
        expert(1),  # suggested
        expert(2, conflicts=frozenset({1}), topic_levels={"funding": 1}),  # conflict first
        expert(3, languages=frozenset({"en"})),
        expert(4, formats=frozenset({"onsite"}), lat=HAMBURG[0], lon=HAMBURG[1]),
        expert(5, topic_levels={"funding": 2}),
        expert(6, topic_levels={"budget-law": 1}),
        expert(7, active=False, topic_levels={}),  # inactive: never a candidate, not counted
    ]
    counts = exclusions(ExpertMatrix.build(experts), request_for(municipality_id=1))
    assert counts == {"conflict": 1, "language": 1, "format": 1, "topics": 2}
    german, english = left_out_text(counts)
    assert german == (
        "5 Expert*innen nicht vorgeschlagen: 1 wegen eines Interessenkonflikts, 1 ohne gemeinsame"
        " Sprache, 1 ohne mögliches Format, 2 ohne eines der benötigten Themen."
    )
    assert english == (
        "5 experts not suggested: 1 for a conflict of interest, 1 with no language in common,"
        " 1 with no feasible format, 2 covering none of the needed topics."
    )
    assert left_out_text(dict.fromkeys(counts, 0)) == ("", "")


def test_explanation_names_the_covered_topics_with_their_levels() -> None:
    names = {
        "youth-school": ("Jugendbeteiligung", "youth participation"),
        "public-relations": ("Öffentlichkeitsarbeit", "public relations"),
    }
    request = request_for(topics={"public-relations": 1, "youth-school": 3}, topic_names=names)
    covering = expert(1, topic_levels={"youth-school": 3, "public-relations": 2, "funding": 1})
    [match] = rank_experts(ExpertMatrix.build([covering]), request)
    # The request's weightiest topic first; a topic the request does not need is not named.
    assert match.explanation_de.endswith(
        " Expertise: Jugendbeteiligung (Stufe 3), Öffentlichkeitsarbeit (Stufe 2)."
    )
    assert match.explanation_en.endswith(
        " Expertise: youth participation (level 3), public relations (level 2)."
    )
    assert "funding" not in match.explanation_en


def test_explanation_names_only_the_topics_the_expert_covers() -> None:
    request = request_for(topics={"youth-school": 3, "public-relations": 2})
    [match] = rank_experts(
        ExpertMatrix.build([expert(1, topic_levels={"public-relations": 1})]), request
    )
    assert match.explanation_en.endswith(" Expertise: public-relations (level 1).")
    assert match.explanation_de.startswith("Deckt 1 von 2 benötigten Themen ab,")
