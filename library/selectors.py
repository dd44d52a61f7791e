"""Reads of the library: who sees what, search with filters, and "for your plan"."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils.translation import gettext as _

from consult.models import Municipality, ParticipationPlan, Topic
from consult.peers import size_class
from core.errors import NotFound
from core.roles import is_coordinator, municipality_id_of
from library import search
from library.models import Resource
from library.relevance import (
    PlanProfile,
    Recommendation,
    ResourceFeatures,
    ResourceMatrix,
    recommend,
)

Status = Resource.Status
Kind = Resource.Kind


def visible_resources(user: Any) -> QuerySet[Resource]:
    """Published for everybody; coordinators see all; submitters also their own submissions."""
    queryset = Resource.objects.all()
    if is_coordinator(user):
        return queryset
    if getattr(user, "is_authenticated", False):
        return queryset.filter(Q(status=Status.PUBLISHED) | Q(submitted_by=user))
    return queryset.filter(status=Status.PUBLISHED)


def with_relations(queryset: QuerySet[Resource]) -> QuerySet[Resource]:
    return queryset.select_related("submitted_for", "author_expert").prefetch_related("topics")


@dataclass(frozen=True, slots=True)
class SearchParams:
    q: str = ""
    kind: str = ""
    topic: str = ""
    procedure_type: str = ""
    state: str = ""
    country: str = ""
    year: int | None = None
    language: str = ""
    # "" means published only; a coordinator may ask for another status, a submitter for "mine".
    status: str = ""
    mine: bool = False


def search_resources(*, user: Any, params: SearchParams) -> QuerySet[Resource]:
    """Resources matching the filters (and the cleaned query, ranked), visible to `user`."""
    queryset = visible_resources(user)
    if params.mine:
        queryset = queryset.filter(submitted_by=user) if user.is_authenticated else queryset.none()
    elif params.status:
        queryset = queryset.filter(status=params.status)
    else:
        queryset = queryset.filter(status=Status.PUBLISHED)
    if params.kind:
        queryset = queryset.filter(kind=params.kind)
    if params.topic:
        queryset = queryset.filter(topics__slug=params.topic)
    if params.procedure_type:
        queryset = queryset.filter(procedure_types__has=params.procedure_type)
    if params.state:
        queryset = queryset.filter(states__has=params.state)
    if params.country:
        queryset = queryset.filter(countries__has=params.country)
    if params.year is not None:
        queryset = queryset.filter(year=params.year)
    if params.language:
        queryset = queryset.filter(language=params.language)
    queryset = with_relations(queryset)
    if params.q:
        return search.apply(queryset, params.q, vendor=connection.vendor)
    return queryset.order_by("-published_at", "-id")


def headlines_for(resources: list[Resource], q: str) -> dict[int, Any]:
    """Highlighted excerpts for one page of search results (one query)."""
    return search.headlines(
        [r.pk for r in resources], q, vendor=connection.vendor, connection=connection
    )


def resource_for(*, user: Any, resource_id: int) -> Resource:
    resource = with_relations(visible_resources(user)).filter(pk=resource_id).first()
    if resource is None:
        raise NotFound(_("Diesen Bibliothekseintrag gibt es nicht."))
    return resource


def plan_for(*, user: Any, plan_id: int) -> ParticipationPlan:
    """The plan if `user` may see it: staff their municipality's, coordinators all (else 404)."""
    queryset = ParticipationPlan.objects.select_related("municipality").prefetch_related("topics")
    if not is_coordinator(user):
        municipality_id = municipality_id_of(user)
        if municipality_id is None:
            raise NotFound(_("Dieses Vorhaben gibt es nicht."))
        queryset = queryset.filter(municipality_id=municipality_id)
    plan = queryset.filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(_("Dieses Vorhaben gibt es nicht."))
    return plan


# --- "for your plan" ----------------------------------------------------------------------------

_matrix_lock = threading.Lock()
_matrix_cache: dict[str, Any] = {"revision": None, "matrix": None}


def _recommendable() -> QuerySet[Resource]:
    return Resource.objects.filter(status=Status.PUBLISHED).exclude(kind=Kind.FUNDING)


def library_revision() -> tuple[Any, ...]:
    """Changes whenever any resource is added, changed (status included) or deleted.

    Over all rows on purpose: a filtered count needs the wide table (about 100 ms at 50,000 rows
    on PostgreSQL); this one is answered from the primary-key and `updated_at` indexes.
    """
    # Two scalar subqueries: together in one aggregate PostgreSQL would scan the table.
    figures = Resource.objects.aggregate(n=Count("id"))
    last = Resource.objects.aggregate(last=Max("updated_at"))["last"]
    return (connection.alias, connection.settings_dict["NAME"], figures["n"], last)


def resource_matrix() -> ResourceMatrix:
    """The published resources as arrays; rebuilt only when the library changed (one query)."""
    revision = library_revision()
    cached = _matrix_cache
    if cached["revision"] == revision:
        return cached["matrix"]
    rows = list(
        _recommendable().values_list(
            "id", "kind", "procedure_types", "size_classes", "states", "language", "year"
        )
    )
    topics: dict[int, set[str]] = {}
    through = Resource.topics.through.objects.filter(resource__status=Status.PUBLISHED).values_list(
        "resource_id", "topic__slug"
    )
    for resource_id, slug in through:
        topics.setdefault(resource_id, set()).add(slug)
    matrix = ResourceMatrix(
        [
            ResourceFeatures(
                id=pk,
                kind=kind,
                topics=frozenset(topics.get(pk, ())),
                procedure_types=frozenset(procedures or ()),
                size_classes=frozenset(sizes or ()),
                states=frozenset(states or ()),
                language=language,
                year=year,
            )
            for pk, kind, procedures, sizes, states, language, year in rows
        ]
    )
    with _matrix_lock:
        _matrix_cache.update(revision=revision, matrix=matrix)
    return matrix


def plan_profile(plan: ParticipationPlan) -> PlanProfile:
    topics = list(plan.topics.all())
    return PlanProfile(
        procedure_type=plan.procedure_type,
        topics=frozenset(t.slug for t in topics),
        size_class=size_class(plan.municipality.population),
        state=plan.municipality.state,
        topic_names={t.slug: (t.name_de, t.name_en) for t in Topic.objects.all()},
    )


@dataclass(frozen=True, slots=True)
class RecommendedResource:
    resource: Resource
    recommendation: Recommendation


def recommendations_for_plan(
    *, plan: ParticipationPlan, today: dt.date, per_kind: int = 3
) -> dict[str, list[RecommendedResource]]:
    """The most relevant published resources per kind (funding programmes apart)."""
    ranked = recommend(
        resource_matrix(), plan_profile(plan), this_year=today.year, per_kind=per_kind
    )
    wanted = [rec.id for recs in ranked.values() for rec in recs]
    resources = Resource.objects.defer("body", "search_vector").in_bulk(wanted)
    result: dict[str, list[RecommendedResource]] = {}
    for kind in Kind.values:
        entries = [
            RecommendedResource(resources[rec.id], rec)
            for rec in ranked.get(kind, [])
            if rec.id in resources
        ]
        if entries:
            result[kind] = entries
    return result


def eligible_funding(
    *, municipality: Municipality, today: dt.date, limit: int = 20
) -> QuerySet[Resource]:
    """Open funding programmes the municipality may apply for, the nearest deadline first."""
    return (
        Resource.objects.filter(kind=Kind.FUNDING, status=Status.PUBLISHED)
        .filter(Q(deadline__isnull=True) | Q(deadline__gte=today))
        .filter(Q(eligible_states=[]) | Q(eligible_states__has=municipality.state))
        .filter(Q(eligible_kinds=[]) | Q(eligible_kinds__has=municipality.kind))
        .defer("body", "search_vector")
        .order_by(F("deadline").asc(nulls_last=True), "id")[:limit]
    )
