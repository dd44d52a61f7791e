"""The warm matrix: built once, rebuilt on version changes, load and feedback swapped in."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from experts import match_selectors
from experts.match_selectors import BookingStats, with_booking_stats
from experts.matching import ExpertFeatures, ExpertMatrix, Weights
from tests import factories

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
    first = match_selectors.expert_matrix(now=NOW)
    with django_assert_max_num_queries(1):  # the version fingerprint only
        assert match_selectors.expert_matrix(now=NOW) is first
    expert.travel_radius_km = 10
    expert.save()
    rebuilt = match_selectors.expert_matrix(now=NOW)
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
    assert municipality.pk in match_selectors.expert_matrix(now=NOW).conflict_rows
    match_selectors.reset_matrix()
