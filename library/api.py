"""The library's API: resources (search, submissions, review) and recommendations for a plan."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from consult.choices import LANGUAGES, FederalState, ProcedureType
from core.errors import NotFound
from core.roles import is_coordinator
from core.validators import no_control_characters, no_control_characters_multiline
from library import search, selectors, services
from library.models import Resource

Kind = Resource.Kind
Status = Resource.Status


def _list_of(choices: Any = None, *, max_length: int = 40, max_items: int = 40) -> Any:
    child = (
        serializers.ChoiceField(choices=choices)
        if choices is not None
        else serializers.CharField(max_length=max_length)
    )
    return serializers.ListField(child=child, required=False, max_length=max_items)


class SearchParamsSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    topic = serializers.SlugField(required=False, max_length=50)
    procedure_type = serializers.ChoiceField(choices=ProcedureType.choices, required=False)
    state = serializers.ChoiceField(choices=FederalState.choices, required=False)
    country = serializers.RegexField(r"^[A-Za-z]{2}$", required=False)
    year = serializers.IntegerField(required=False, min_value=1900, max_value=2100)
    language = serializers.CharField(required=False, max_length=8)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    mine = serializers.BooleanField(required=False, default=False)

    def validate_q(self, value: str) -> str:
        # Too long is a clear 400 naming "q"; operators and noise become a safe plain query.
        return search.clean_query(value)


def search_params(data: Any, user: Any) -> selectors.SearchParams:
    serializer = SearchParamsSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    values = dict(serializer.validated_data)
    if values.get("status") and not is_coordinator(user):
        # Only the coordination browses other statuses; others see what is published.
        values.pop("status")
    if values.get("country"):
        values["country"] = values["country"].upper()
    return selectors.SearchParams(**values)


@extend_schema_field(
    {
        "type": "string",
        "anyOf": [{"format": "uri"}, {"enum": [""]}],
        "description": "An http(s) link, or empty when the entry has none (a file, a text).",
    }
)
class LinkOrEmptyField(serializers.CharField):
    """The stored link as it is: "" where there is none (a URLField's schema says "uri")."""


class ResourceSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)
    url = LinkOrEmptyField(read_only=True)
    summary = serializers.CharField(read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    topics = serializers.SerializerMethodField()
    file = serializers.SerializerMethodField()
    credit = serializers.CharField(read_only=True)
    detail_url = serializers.SerializerMethodField()

    class Meta:
        model = Resource
        fields = [
            "id",
            "kind",
            "kind_label",
            "title",
            "summary",
            "title_de",
            "title_en",
            "summary_de",
            "summary_en",
            "body",
            "url",
            "file",
            "topics",
            "procedure_types",
            "size_classes",
            "states",
            "countries",
            "language",
            "year",
            "source",
            "licence",
            "status",
            "status_label",
            "funder",
            "amount_min_eur",
            "amount_max_eur",
            "eligible_states",
            "eligible_kinds",
            "deadline",
            "credit",
            "published_at",
            "detail_url",
        ]
        read_only_fields = fields

    def get_topics(self, resource: Resource) -> list[str]:
        return [topic.slug for topic in resource.topics.all()]

    def get_file(self, resource: Resource) -> dict[str, Any] | None:
        if not resource.file:
            return None
        return {
            "url": reverse("library:file", args=[resource.pk]),
            "name": resource.file_name,
            "type": resource.file_type,
            "size": resource.file_size,
        }

    def get_detail_url(self, resource: Resource) -> str:
        return reverse("library:detail", args=[resource.pk])


class ResourceListSerializer(ResourceSerializer):
    """The list leaves out the long text; a search adds its rank and highlighted excerpt."""

    highlight = serializers.SerializerMethodField()
    rank = serializers.SerializerMethodField()

    class Meta(ResourceSerializer.Meta):
        fields = [f for f in ResourceSerializer.Meta.fields if f != "body"] + [
            "highlight",
            "rank",
        ]
        read_only_fields = fields

    def get_highlight(self, resource: Resource) -> str | None:
        return self.context.get("headlines", {}).get(resource.pk)

    def get_rank(self, resource: Resource) -> float | None:
        rank = getattr(resource, "rank", None)
        return None if rank is None else round(float(rank), 6)


class SubmissionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    title_de = serializers.CharField(max_length=250, validators=[no_control_characters])
    title_en = serializers.CharField(
        max_length=250, required=False, allow_blank=True, validators=[no_control_characters]
    )
    summary_de = serializers.CharField(
        max_length=4000, validators=[no_control_characters_multiline]
    )
    summary_en = serializers.CharField(
        max_length=4000,
        required=False,
        allow_blank=True,
        validators=[no_control_characters_multiline],
    )
    body = serializers.CharField(
        max_length=50_000,
        required=False,
        allow_blank=True,
        validators=[no_control_characters_multiline],
    )
    url = serializers.CharField(max_length=500, required=False, allow_blank=True)
    file = serializers.FileField(required=False, allow_empty_file=True)
    topics = _list_of(max_length=50)
    procedure_types = _list_of()
    size_classes = _list_of()
    states = _list_of()
    countries = _list_of(max_length=2)
    language = serializers.CharField(max_length=8, required=False, default="de")
    year = serializers.IntegerField(required=False, allow_null=True, min_value=1980, max_value=2100)
    source = serializers.CharField(
        max_length=250, required=False, allow_blank=True, validators=[no_control_characters]
    )
    licence = serializers.CharField(
        max_length=120, required=False, allow_blank=True, validators=[no_control_characters]
    )
    funder = serializers.CharField(
        max_length=250, required=False, allow_blank=True, validators=[no_control_characters]
    )
    amount_min_eur = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, min_value=0
    )
    amount_max_eur = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, min_value=0
    )
    eligible_states = _list_of()
    eligible_kinds = _list_of()
    deadline = serializers.DateField(required=False, allow_null=True)

    def validate_language(self, value: str) -> str:
        if value not in LANGUAGES:
            raise serializers.ValidationError(_("Unbekannte Sprache."))
        return value


@extend_schema_view(
    list=extend_schema(parameters=[SearchParamsSerializer], responses=ResourceListSerializer),
    create=extend_schema(request=SubmissionSerializer, responses=ResourceSerializer),
    publish=extend_schema(request=None),
    archive=extend_schema(request=None),
    return_to_draft=extend_schema(request=None),
)
class ResourceViewSet(GenericViewSet):
    """`/api/v1/resources/`: published to anyone; submissions by staff and experts; review by
    coordinators (`publish/`, `archive/`, `return-to-draft/`)."""

    # For the schema only: reads go through library.selectors, writes through services.
    queryset = Resource.objects.none()
    serializer_class = ResourceSerializer
    lookup_value_regex = "[0-9]+"

    def list(self, request: Request) -> Response:
        params = search_params(request.query_params, request.user)
        queryset = selectors.search_resources(user=request.user, params=params)
        page = self.paginate_queryset(queryset) or []
        headlines = selectors.headlines_for(page, params.q) if params.q else {}
        data = ResourceListSerializer(page, many=True, context={"headlines": headlines}).data
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        resource = selectors.resource_for(user=request.user, resource_id=_id(pk))
        return Response(ResourceSerializer(resource).data)

    def create(self, request: Request) -> Response:
        serializer = SubmissionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        upload = values.pop("file", None)
        resource = services.submit_resource(
            user=request.user, draft=services.ResourceDraft.from_data(values), upload=upload
        )
        resource = selectors.resource_for(user=request.user, resource_id=resource.pk)
        return Response(ResourceSerializer(resource).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        return self._review(services.publish_resource, request, pk)

    @action(detail=True, methods=["post"])
    def archive(self, request: Request, pk: str | None = None) -> Response:
        return self._review(services.archive_resource, request, pk)

    @action(detail=True, methods=["post"], url_path="return-to-draft")
    def return_to_draft(self, request: Request, pk: str | None = None) -> Response:
        return self._review(services.return_to_draft, request, pk)

    def _review(self, service: Any, request: Request, pk: str | None) -> Response:
        resource = service(user=request.user, resource_id=_id(pk))
        resource = selectors.resource_for(user=request.user, resource_id=resource.pk)
        return Response(ResourceSerializer(resource).data)


def _id(pk: str | None) -> int:
    try:
        value = int(pk or "")
    except ValueError:
        value = 0
    if not 0 < value < 2**63:
        raise NotFound(_("Diesen Bibliothekseintrag gibt es nicht."))
    return value


class PlanRecommendationsView(APIView):
    """`GET /api/v1/plans/{id}/recommendations/`: what to read, copy or apply for."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, plan_id: int) -> Response:
        plan = selectors.plan_for(user=request.user, plan_id=plan_id)
        today = timezone.localdate()
        ranked = selectors.recommendations_for_plan(plan=plan, today=today)
        english = translation.get_language() == "en"
        results = {
            kind: [
                {
                    "resource": {
                        "id": entry.resource.pk,
                        "kind": entry.resource.kind,
                        "title": entry.resource.title,
                        "summary": entry.resource.summary,
                        "detail_url": reverse("library:detail", args=[entry.resource.pk]),
                    },
                    "score": entry.recommendation.score,
                    "criteria": entry.recommendation.criteria,
                    "explanation": entry.recommendation.explanation_en
                    if english
                    else entry.recommendation.explanation_de,
                }
                for entry in entries
            ]
            for kind, entries in ranked.items()
        }
        funding = [
            {
                "id": programme.pk,
                "title": programme.title,
                "funder": programme.funder,
                "amount_min_eur": programme.amount_min_eur,
                "amount_max_eur": programme.amount_max_eur,
                "deadline": programme.deadline,
                "days_left": (programme.deadline - today).days if programme.deadline else None,
                "detail_url": reverse("library:detail", args=[programme.pk]),
            }
            for programme in selectors.eligible_funding(municipality=plan.municipality, today=today)
        ]
        return Response({"plan": plan.pk, "results": results, "funding": funding})
