"""Batch assignment: one expert per request for many requests, within remaining capacity."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["Assignment", "assign_batch"]


class Assignment(NamedTuple):
    request_index: int
    expert_id: int
    score: float


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
