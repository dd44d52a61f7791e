"""Reads of the municipal side, scoped by who asks (invariant 4)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from consult.models import ConsultationRequest, Municipality, ParticipationPlan, Topic
from consult.peers import Peer, PlanFeatures, similar_plans
from core.roles import is_coordinator, municipality_id_of


def topics() -> QuerySet[Topic]:
    return Topic.objects.all()


def municipalities_for(user: Any) -> QuerySet[Municipality]:
    """Coordinators see all; staff their own; everyone else nothing."""
    if is_coordinator(user):
        return Municipality.objects.all()
    municipality_id = municipality_id_of(user)
    if municipality_id is None:
        return Municipality.objects.none()
    return Municipality.objects.filter(pk=municipality_id)


def plans_for(user: Any) -> QuerySet[ParticipationPlan]:
    qs = ParticipationPlan.objects.select_related("municipality").prefetch_related("topics")
    if is_coordinator(user):
        return qs
    municipality_id = municipality_id_of(user)
    if municipality_id is None:
        return qs.none()
    return qs.filter(municipality_id=municipality_id)


def requests_for(user: Any) -> QuerySet[ConsultationRequest]:
    qs = ConsultationRequest.objects.select_related("plan__municipality").prefetch_related(
        "topic_weights__topic"
    )
    if is_coordinator(user):
        return qs
    municipality_id = municipality_id_of(user)
    if municipality_id is None:
        return qs.none()
    return qs.filter(plan__municipality_id=municipality_id)


def plan_features(plan: ParticipationPlan) -> PlanFeatures:
    """What the peer matcher knows of a plan (topics from a prefetch when there is one)."""
    municipality = plan.municipality
    return PlanFeatures(
        municipality_id=plan.municipality_id,
        procedure_type=plan.procedure_type,
        size_class=municipality.size_class,
        stage=plan.stage,
        topics=frozenset(t.slug for t in plan.topics.all()),
        state=municipality.state,
        open_to_exchange=municipality.open_to_exchange,
        plan_id=plan.pk,
    )


def peers_for(plan: ParticipationPlan, *, limit: int = 5) -> list[tuple[Peer, Municipality]]:
    """Up to `limit` other member municipalities open to exchange with plans like `plan`.

    Two queries (the candidate plans with their municipality, their topics) whatever the count.
    """
    candidates = list(
        ParticipationPlan.objects.filter(municipality__open_to_exchange=True)
        .exclude(municipality_id=plan.municipality_id)
        .select_related("municipality")
        .prefetch_related("topics")
    )
    municipalities = {c.municipality_id: c.municipality for c in candidates}
    peers = similar_plans(plan_features(plan), [plan_features(c) for c in candidates], limit)
    return [(peer, municipalities[peer.municipality_id]) for peer in peers]


def member_names() -> list[str]:
    """Names of the member municipalities, for "choose a member or type one" (public)."""
    return list(Municipality.objects.order_by("name").values_list("name", flat=True))
