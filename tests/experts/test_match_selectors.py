"""The warm matrix: built once, refreshed from the changed rows on version changes (equal to a
rebuild), rebuilt when a change cannot be attributed, load and feedback swapped in."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pytest
import time_machine

from consult.models import Topic
from experts import match_selectors, services
from experts.match_selectors import BookingStats, with_booking_stats
from experts.matching import ExpertFeatures, ExpertMatrix, RequestFeatures, Weights, rank_experts
from experts.models import ExpertProfile, ExpertTopic
from tests import factories
from tests.experts.test_matching import assert_same_matrix

NOW = dt.datetime(2030, 3, 4, 8, 0, tzinfo=dt.UTC)


def test_swapped_stats_equal_a_fresh_build():
    features = [
        ExpertFeatures(id=i, monthly_capacity=c, topic_levels={"funding": 2})
        for i, c in ((1, 4), (2, 0), (5, 3))
    ]
    stats = {1: BookingStats(2, 9.0, 2), 5: BookingStats(5, 20.0, 5), 99: BookingStats(1, 1, 1)}
    swapped = with_booking_stats(ExpertMatrix.build(features), stats)
    built = ExpertMatrix.build(
        [
            ExpertFeatures(
                id=f.id,
                monthly_capacity=f.monthly_capacity,
                topic_levels=f.topic_levels,
                bookings_this_month=stats.get(f.id, BookingStats()).bookings_this_month,
                rating_sum=stats.get(f.id, BookingStats()).rating_sum,
                rating_count=stats.get(f.id, BookingStats()).rating_count,
            )
            for f in features
        ]
    )
    weights = Weights()
    np.testing.assert_array_equal(swapped.load_score, built.load_score)
    np.testing.assert_array_equal(swapped.remaining_capacity, built.remaining_capacity)
    np.testing.assert_array_equal(swapped.feedback_score(weights), built.feedback_score(weights))


@pytest.mark.django_db
def test_matrix_is_reused_until_a_profile_changes(django_assert_max_num_queries):
    match_selectors.reset_matrix()
    expert = factories.ExpertProfileFactory()
    first = match_selectors.expert_matrix()
    with django_assert_max_num_queries(1):  # the version fingerprint only
        assert match_selectors.expert_matrix() is first
    expert.travel_radius_km = 10
    expert.save()
    rebuilt = match_selectors.expert_matrix()
    assert rebuilt is not first
    assert rebuilt.radius_km[rebuilt.row_of[expert.pk]] == 10
    match_selectors.reset_matrix()


@pytest.mark.django_db
def test_conflicts_change_bumps_the_version(municipality):
    match_selectors.reset_matrix()
    expert = factories.ExpertProfileFactory()
    before = match_selectors.matrix_version()
    expert.conflicts.add(municipality)
    after = match_selectors.matrix_version()
    assert before != after
    assert municipality.pk in match_selectors.expert_matrix().conflict_rows
    match_selectors.reset_matrix()


# --- incremental refresh ------------------------------------------------------------------------


def rebuilt_from_scratch() -> ExpertMatrix:
    features, _stamps = match_selectors.expert_features()
    return ExpertMatrix.build(features, list(Topic.objects.values_list("slug", flat=True)))


def a_request(municipality_id: int) -> RequestFeatures:
    return RequestFeatures(
        municipality_id=municipality_id,
        lat=51.34,
        lon=12.37,
        state="Sachsen",
        size_class="medium",
        procedure_type="youth-budget",
        topics={"youth-school": 3, "funding": 2},
        format="either",
        language="de",
        window_start=NOW,
        window_end=NOW + dt.timedelta(days=30),
    )


@pytest.fixture
def rebuilds(monkeypatch) -> list[None]:  # type: ignore[no-untyped-def]
    """One entry per full rebuild of the warm matrix."""
    calls: list[None] = []
    rebuild = match_selectors._rebuilt

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(None)
        return rebuild(*args, **kwargs)

    monkeypatch.setattr(match_selectors, "_rebuilt", counted)
    return calls


@pytest.fixture
def warm(db, municipality, rebuilds):  # type: ignore[no-untyped-def]
    """Five experts (the first in conflict with `municipality`) and a warm matrix."""
    match_selectors.reset_matrix()
    experts = [
        factories.ExpertProfileFactory(levels={"youth-school": 1 + i % 3, "funding": 2})
        for i in range(5)
    ]
    experts[0].conflicts.add(municipality)
    match_selectors.expert_matrix()
    rebuilds.clear()
    yield experts
    match_selectors.reset_matrix()


def assert_refreshed_like_a_rebuild(
    municipality_id: int, rebuilds: list[None], *, rebuilt: bool = False
) -> ExpertMatrix:
    """The warm matrix now equals one built from scratch, array for array and in its ranking,
    and it got there by a refresh (or, `rebuilt`, by one rebuild)."""
    matrix = match_selectors.expert_matrix()
    assert len(rebuilds) == (1 if rebuilt else 0)
    warm = match_selectors._warm
    assert warm is not None and warm.base is matrix
    fresh = rebuilt_from_scratch()
    assert_same_matrix(warm.base, fresh)
    # Load and feedback are the bookings app's (bookings/matches.py): none here.
    assert_same_matrix(matrix, with_booking_stats(fresh, {}))
    request = a_request(municipality_id)
    assert rank_experts(matrix, request) == rank_experts(with_booking_stats(fresh, {}), request)
    return matrix


def test_refresh_after_a_profile_edit_equals_a_rebuild(warm, rebuilds, coordinator, municipality):
    services.update_profile(
        actor=coordinator, expert=warm[2], travel_radius_km=7, languages=["de", "fr"]
    )
    matrix = assert_refreshed_like_a_rebuild(municipality.pk, rebuilds)
    assert matrix.radius_km[matrix.row_of[warm[2].pk]] == 7
    assert "fr" in matrix.languages


def test_refresh_after_an_added_expert_equals_a_rebuild(warm, rebuilds, municipality):
    added = factories.ExpertProfileFactory(levels={"funding": 3})
    assert added.pk in assert_refreshed_like_a_rebuild(municipality.pk, rebuilds).row_of


def test_refresh_after_a_deactivation_equals_a_rebuild(warm, rebuilds, municipality):
    warm[0].active = False
    warm[0].save()
    assert warm[0].pk not in assert_refreshed_like_a_rebuild(municipality.pk, rebuilds).row_of


def test_refresh_after_a_deactivation_without_signals_equals_a_rebuild(
    warm, rebuilds, municipality
):
    ExpertProfile.objects.filter(pk=warm[1].pk).update(active=False)  # no signal, no stamp
    assert warm[1].pk not in assert_refreshed_like_a_rebuild(municipality.pk, rebuilds).row_of


def test_refresh_after_a_deletion_equals_a_rebuild(warm, rebuilds, municipality):
    warm[0].delete()
    matrix = assert_refreshed_like_a_rebuild(municipality.pk, rebuilds)
    assert warm[0].pk not in matrix.row_of
    assert municipality.pk not in matrix.conflict_rows


def test_refresh_after_topics_replaced_by_the_service_equals_a_rebuild(
    warm, rebuilds, coordinator, municipality
):
    topics = [{"topic": "budget-law", "level": 3}, {"topic": "youth-school", "level": 3}]
    services.update_profile(actor=coordinator, expert=warm[3], topics=topics)
    matrix = assert_refreshed_like_a_rebuild(municipality.pk, rebuilds)
    row = matrix.row_of[warm[3].pk]
    assert matrix.levels[row, matrix.topic_index["budget-law"]] == 3


@pytest.mark.parametrize("how", ["save", "delete"])
def test_refresh_after_a_topic_level_saved_alone_equals_a_rebuild(
    warm, rebuilds, municipality, how
):
    # The admin's inline saves ExpertTopic rows one by one: the signal moves the profile's stamp.
    level = ExpertTopic.objects.get(expert=warm[4], topic__slug="funding")
    if how == "save":
        level.level = 3
        level.save()
    else:
        level.delete()
    assert_refreshed_like_a_rebuild(municipality.pk, rebuilds)


@pytest.mark.parametrize(
    "how", ["add", "remove", "clear", "reverse add", "reverse remove", "reverse clear"]
)
def test_refresh_after_a_conflict_change_equals_a_rebuild(warm, rebuilds, municipality, how):
    other = factories.MunicipalityFactory()
    match how:
        case "add":
            warm[1].conflicts.add(municipality)
        case "remove":
            warm[0].conflicts.remove(municipality)
        case "clear":
            warm[0].conflicts.clear()
        case "reverse add":
            other.conflicted_experts.add(warm[2], warm[3])
        case "reverse remove":
            municipality.conflicted_experts.remove(warm[0])
        case "reverse clear":
            municipality.conflicted_experts.clear()
    assert_refreshed_like_a_rebuild(municipality.pk, rebuilds)


def test_refresh_after_a_conflict_change_by_the_service_equals_a_rebuild(
    warm, rebuilds, coordinator, municipality
):
    services.update_profile(actor=coordinator, expert=warm[0], conflicts=[])
    services.update_profile(actor=coordinator, expert=warm[4], conflicts=[municipality.pk])
    matrix = assert_refreshed_like_a_rebuild(municipality.pk, rebuilds)
    assert matrix.ids[matrix.conflict_rows[municipality.pk]].tolist() == [warm[4].pk]


def test_an_edit_committed_with_an_older_stamp_is_not_missed(warm, rebuilds, municipality):
    # A transaction that saved before another but committed after it: its updated_at is older
    # than the newest the matrix has seen, yet it differs from the stamp the matrix holds.
    older = warm[1].updated_at - dt.timedelta(hours=1)
    ExpertProfile.objects.filter(pk=warm[1].pk).update(updated_at=older, travel_radius_km=3)
    factories.ExpertProfileFactory()  # an edit with a newer stamp, as the other transaction
    matrix = assert_refreshed_like_a_rebuild(municipality.pk, rebuilds)
    assert matrix.radius_km[matrix.row_of[warm[1].pk]] == 3


@pytest.mark.parametrize("changed", [1, 4])
def test_refresh_takes_a_constant_number_of_queries(
    warm, coordinator, municipality, changed, django_assert_num_queries
):
    for expert in warm[:changed]:
        services.update_profile(actor=coordinator, expert=expert, travel_radius_km=9)
    factories.ExpertProfileFactory()
    warm[-1].delete()
    # version, taxonomy, stamps, then profiles, topic levels and conflicts of the changed ones
    with django_assert_num_queries(6):
        matrix = match_selectors.expert_matrix()
    assert matrix.radius_km[matrix.row_of[warm[0].pk]] == 9


def test_removals_alone_read_no_profiles(warm, rebuilds, django_assert_num_queries):
    ExpertProfile.objects.filter(pk=warm[1].pk).update(active=False)
    with django_assert_num_queries(3):  # version, taxonomy, stamps
        match_selectors.expert_matrix()


# --- falling back to a rebuild ------------------------------------------------------------------


def test_a_changed_taxonomy_rebuilds(warm, rebuilds, municipality):
    Topic.objects.create(slug="climate", name_de="Klima", name_en="Climate", position=99)
    matrix = assert_refreshed_like_a_rebuild(municipality.pk, rebuilds, rebuilt=True)
    assert "climate" in matrix.topics


def test_many_changed_rows_rebuild(warm, rebuilds, municipality, monkeypatch):
    monkeypatch.setattr(match_selectors, "MAX_INCREMENTAL", 2)
    for expert in warm[:3]:
        expert.save()
    assert_refreshed_like_a_rebuild(municipality.pk, rebuilds, rebuilt=True)


def test_a_version_bump_no_stamp_shows_rebuilds(warm, rebuilds, municipality):
    # E.g. a conflict written straight into the through table by a path that only bumps.
    ExpertProfile.conflicts.through.objects.create(
        expertprofile_id=warm[3].pk, municipality_id=municipality.pk
    )
    match_selectors.bump_matrix_version()
    matrix = assert_refreshed_like_a_rebuild(municipality.pk, rebuilds, rebuilt=True)
    assert warm[3].pk in matrix.ids[matrix.conflict_rows[municipality.pk]].tolist()


def test_several_kinds_of_change_at_once_refresh(warm, rebuilds, coordinator, municipality):
    services.update_profile(actor=coordinator, expert=warm[1], monthly_capacity=1)
    factories.ExpertProfileFactory()
    warm[2].conflicts.add(municipality)
    warm[4].delete()
    assert_refreshed_like_a_rebuild(municipality.pk, rebuilds)


def test_refresh_leaves_the_old_matrix_intact_for_readers(
    warm, rebuilds, coordinator, municipality
):
    old = match_selectors.expert_matrix()
    snapshot = copy.deepcopy(old)
    services.update_profile(actor=coordinator, expert=warm[0], travel_radius_km=1, conflicts=[])
    factories.ExpertProfileFactory()
    warm[3].delete()
    assert match_selectors.expert_matrix() is not old
    assert_same_matrix(old, snapshot)


@pytest.mark.parametrize("edit", ["profile", "topic level"])
def test_an_edit_in_the_same_clock_tick_as_the_build_is_not_missed(
    db, municipality, coordinator, edit
):
    # A frozen (or coarse) clock gives the edit the stamp the matrix was built with; an expert
    # added alongside makes the refresh read only the stamps that moved, which must still
    # include the edited one.
    match_selectors.reset_matrix()
    with time_machine.travel(NOW, tick=False):
        edited = factories.ExpertProfileFactory(levels={"funding": 1})
        factories.ExpertProfileFactory()
        match_selectors.expert_matrix()
        if edit == "profile":
            services.update_profile(actor=coordinator, expert=edited, travel_radius_km=7)
        else:
            ExpertTopic.objects.filter(expert=edited, topic__slug="funding").update(level=3)
            ExpertTopic.objects.get(expert=edited, topic__slug="funding").save()
        factories.ExpertProfileFactory()
        matrix = match_selectors.expert_matrix()
    row = matrix.row_of[edited.pk]
    assert matrix.radius_km[row] == (7 if edit == "profile" else edited.travel_radius_km)
    assert matrix.levels[row, matrix.topic_index["funding"]] == (1 if edit == "profile" else 3)
    assert_same_matrix(matrix, with_booking_stats(rebuilt_from_scratch(), {}))
    match_selectors.reset_matrix()
