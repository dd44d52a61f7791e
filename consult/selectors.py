"""Reads of the municipal side, scoped by who asks (invariant 4)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from consult.models import ConsultationRequest, Municipality, ParticipationPlan, Topic
from consult.roles import is_coordinator, municipality_id_of


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
