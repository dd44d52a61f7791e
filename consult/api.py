"""API of the municipal side: topics, municipalities, plans, requests, peers, login tokens.

Serializers check the shape; the services check the rules and the scope (invariant 4: another
municipality's plans and requests are 404).
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.utils import translation
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from consult import organisations, selectors, services
from consult.choices import (
    LANGUAGE_CHOICES,
    Channel,
    ConsultationFormat,
    ProcedureType,
    Stage,
    TargetGroup,
)
from consult.models import ConsultationRequest, Municipality, ParticipationPlan, Topic
from core.api_fields import id_field
from core.roles import is_coordinator


class TopicSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Topic
        fields = ["slug", "name", "name_de", "name_en"]


class TopicViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TopicSerializer
    permission_classes = [permissions.AllowAny]
    lookup_field = "slug"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.topics()


class MunicipalitySerializer(serializers.ModelSerializer):
    size_class = serializers.CharField(read_only=True)

    class Meta:
        model = Municipality
        fields = [
            "id",
            "name",
            "slug",
            "ags",
            "state",
            "kind",
            "district",
            "population",
            "size_class",
            "latitude",
            "longitude",
            "member_since",
            "open_to_exchange",
            "contact_email",
        ]
        read_only_fields = ["slug"]


class IsCoordinatorOrReadOwn(permissions.BasePermission):
    """Staff may read and update their own municipality; only coordinators create or delete."""

    def has_permission(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        if not request.user.is_authenticated:
            return False
        if view.action in ("create", "destroy"):
            return is_coordinator(request.user)
        return True


class MunicipalityFilter(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Municipality
        fields = ["state", "kind", "open_to_exchange", "name"]


class MunicipalityViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = MunicipalitySerializer
    permission_classes = [IsCoordinatorOrReadOwn]
    filterset_class = MunicipalityFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.municipalities_for(self.request.user).order_by("name", "id")

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        serializer.instance = organisations.create_municipality(**serializer.validated_data)

    def perform_update(self, serializer):  # type: ignore[no-untyped-def]
        serializer.instance = organisations.update_municipality(
            municipality=serializer.instance, **serializer.validated_data
        )


def english() -> bool:
    """Is the caller's language English (Accept-Language, via LocaleMiddleware)? German else."""
    return (translation.get_language() or "de").startswith("en")


def aliased(data: Any, name: str, alias: str) -> Any:
    """`data` with `name`'s value also under `alias` (unless the client sent that itself).

    A form or multipart body is a QueryDict: unpacked with ** it would turn every field into
    the list of its values ("youth-budget" into ['youth-budget']), so it is copied instead.
    """
    if not hasattr(data, "get") or name not in data or alias in data:
        return data
    if isinstance(data, QueryDict):
        data = data.copy()
        data.setlist(alias, data.getlist(name))
        return data
    return {**data, alias: data[name]}


class PhaseSerializer(serializers.Serializer):
    phase = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()


class PlanSerializer(serializers.ModelSerializer):
    # Written as a plain id: the service decides whether the caller may use it (never "exists").
    municipality = id_field(source="municipality_id", required=False)
    stage = serializers.ChoiceField(Stage.choices, default=Stage.IDEA)
    procedure_type = serializers.ChoiceField(ProcedureType.choices)
    # A JSON number, as it was sent (DRF's default would answer 50000 with "50000.00"); cents
    # up to 10^12 EUR are exact in a double.
    budget_eur = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, coerce_to_string=False
    )
    channels = serializers.ListField(child=serializers.ChoiceField(Channel.choices), default=list)
    target_groups = serializers.ListField(
        child=serializers.ChoiceField(TargetGroup.choices), default=list
    )
    phases = PhaseSerializer(many=True, default=list)
    topics = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    topic_slugs = serializers.ListField(
        child=serializers.CharField(max_length=50), write_only=True, required=False
    )

    class Meta:
        model = ParticipationPlan
        fields = [
            "id",
            "municipality",
            *services.PLAN_FIELDS,
            "topics",
            "topic_slugs",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def to_internal_value(self, data: Any) -> Any:
        # "topics" is a list of slugs both ways; written through "topic_slugs" internally so
        # the read side can stay a plain related field.
        return super().to_internal_value(aliased(data, "topics", "topic_slugs"))

    def validate_budget_eur(self, value: Any) -> Any:
        # Also a rule in the service; said here too so the message names the field at once.
        if value is not None and value < 0:
            raise serializers.ValidationError(_("Das Budget darf nicht negativ sein."))
        return value


def _plan_arguments(data: dict[str, Any]) -> dict[str, Any]:
    arguments = dict(data)
    if "municipality_id" in arguments:
        arguments["municipality_id"] = arguments.pop("municipality_id")
    if "topic_slugs" in arguments:
        arguments["topics"] = arguments.pop("topic_slugs")
    if "phases" in arguments:
        # A PATCH validates nested phases partially too (DRF skips their missing fields): a
        # phase without its name or dates reaches the service, which names what is missing.
        arguments["phases"] = [
            {"phase": p.get("phase"), "start": p.get("start"), "end": p.get("end")}
            for p in arguments["phases"]
        ]
    return arguments


class PeerMunicipalitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    state = serializers.CharField()


class PeerSerializer(serializers.Serializer):
    municipality = PeerMunicipalitySerializer()
    reason = serializers.CharField()
    score = serializers.FloatField()


class PeerListSerializer(serializers.Serializer):
    """The peers of a plan: at most five, best first, in one piece (no pages)."""

    count = serializers.IntegerField()
    results = PeerSerializer(many=True)


class PlanFilter(filters.FilterSet):
    class Meta:
        model = ParticipationPlan
        fields = ["municipality", "stage", "procedure_type"]


class PlanViewSet(viewsets.ModelViewSet):
    """Staff: their municipality's plans; coordinators: all (invariant 4)."""

    serializer_class = PlanSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = PlanFilter

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.plans_for(self.request.user).order_by("-updated_at", "-id")

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        serializer.instance = services.create_plan(
            actor=self.request.user, **_plan_arguments(serializer.validated_data)
        )

    def perform_update(self, serializer):  # type: ignore[no-untyped-def]
        arguments = _plan_arguments(serializer.validated_data)
        arguments.pop("municipality_id", None)  # a plan never moves to another municipality
        serializer.instance = services.update_plan(
            actor=self.request.user, plan=serializer.instance, **arguments
        )

    def perform_destroy(self, instance):  # type: ignore[no-untyped-def]
        services.delete_plan(actor=self.request.user, plan=instance)

    @extend_schema(responses=PeerListSerializer)
    @action(detail=True, methods=["get"])
    def peers(self, request, pk=None):  # type: ignore[no-untyped-def]
        """Up to five member municipalities open to exchange with similar plans."""
        plan = self.get_object()
        en = english()
        results = [
            {
                "municipality": {"id": m.pk, "name": m.name, "state": m.state},
                "reason": peer.reason_en if en else peer.reason_de,
                "score": peer.score,
            }
            for peer, m in selectors.peers_for(plan)
        ]
        return Response({"count": len(results), "results": PeerSerializer(results, many=True).data})


class TopicWeightSerializer(serializers.Serializer):
    topic = serializers.CharField(max_length=50)
    weight = serializers.IntegerField(default=2)


class RequestSerializer(serializers.ModelSerializer):
    plan = id_field(source="plan_id")
    topics = serializers.SerializerMethodField()
    topic_weights = TopicWeightSerializer(many=True, write_only=True, required=False)
    format = serializers.ChoiceField(ConsultationFormat.choices, default=ConsultationFormat.EITHER)
    language = serializers.ChoiceField(LANGUAGE_CHOICES, default="de")
    duration_minutes = serializers.IntegerField(default=60)
    municipality = serializers.IntegerField(source="plan.municipality_id", read_only=True)

    class Meta:
        model = ConsultationRequest
        fields = [
            "id",
            "plan",
            "municipality",
            "topics",
            "topic_weights",
            "format",
            "language",
            "earliest",
            "latest",
            "duration_minutes",
            "notes",
            "status",
            "created_at",
        ]
        read_only_fields = ["status", "created_at"]

    def to_internal_value(self, data: Any) -> Any:
        # "topics" is [{"topic", "weight"}] both ways (see PlanSerializer for the trick).
        return super().to_internal_value(aliased(data, "topics", "topic_weights"))

    def get_topics(self, obj: ConsultationRequest) -> list[dict[str, Any]]:
        return [{"topic": tw.topic.slug, "weight": tw.weight} for tw in obj.topic_weights.all()]


class RequestDetailSerializer(RequestSerializer):
    latest_match = serializers.SerializerMethodField()

    class Meta(RequestSerializer.Meta):
        fields = [*RequestSerializer.Meta.fields, "latest_match"]

    def get_latest_match(self, obj: ConsultationRequest) -> dict[str, Any] | None:
        # The experts app records what staff were shown (experts.MatchRecord, related name
        # "match_records"). Read through the reverse relation so consult imports nothing above it.
        records = getattr(obj, "match_records", None)
        record = records.order_by("-created_at", "-id").first() if records is not None else None
        if record is None:
            return None
        return {
            "id": record.pk,
            "created_at": serializers.DateTimeField().to_representation(record.created_at),
            "source": record.source,
            "weights": record.weights,
            "results": record.results,
        }


class RequestFilter(filters.FilterSet):
    class Meta:
        model = ConsultationRequest
        fields = ["plan", "status", "format", "language"]


class RequestViewSet(viewsets.ModelViewSet):
    """Consultation requests: staff of the municipality create and edit; coordinators see all."""

    permission_classes = [permissions.IsAuthenticated]
    filterset_class = RequestFilter
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return RequestDetailSerializer if self.action == "retrieve" else RequestSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.requests_for(self.request.user).order_by("-created_at", "-id")

    def _plan(self, plan_id: int) -> ParticipationPlan:
        plan = selectors.plans_for(self.request.user).filter(pk=plan_id).first()
        if plan is None:
            raise serializers.ValidationError({"plan": [_("Unbekanntes Vorhaben.")]})
        return plan

    @staticmethod
    def _arguments(data: dict[str, Any]) -> dict[str, Any]:
        arguments = dict(data)
        arguments.pop("plan_id", None)
        if "topic_weights" in arguments:
            arguments["topics"] = [dict(t) for t in arguments.pop("topic_weights")]
        return arguments

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        data = serializer.validated_data
        serializer.instance = services.create_request(
            actor=self.request.user,
            plan=self._plan(data["plan_id"]),
            **{"topics": [], **self._arguments(data)},
        )

    def perform_update(self, serializer):  # type: ignore[no-untyped-def]
        arguments = self._arguments(serializer.validated_data)
        serializer.instance = services.update_request(
            actor=self.request.user, request=serializer.instance, **arguments
        )

    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):  # type: ignore[no-untyped-def]
        closed = services.close_request(actor=request.user, request=self.get_object())
        return Response(RequestSerializer(closed).data, status=status.HTTP_200_OK)
