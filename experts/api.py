"""API of the experts app: public profiles (own edit), matches for a request, batch assignment.

`GET /api/v1/requests/{id}/matches/` lives here, not in consult: it ranks experts (DESIGN.md 2).
"""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from consult import selectors as consult_selectors
from consult.choices import LANGUAGES, ConsultationFormat
from core.api_fields import id_field
from core.errors import NotFound
from core.roles import is_coordinator
from core.validators import no_control_characters, no_control_characters_multiline
from experts import match_selectors, services
from experts.matching import Match
from experts.models import AssignmentItem, AssignmentProposal, ExpertProfile, ExpertTopic


def english() -> bool:
    return (translation.get_language() or "de").startswith("en")


class _FormatIsNotARenderer:
    """DRF settings with `?format=` free: here it is the consultation format, not a renderer."""

    URL_FORMAT_OVERRIDE = None

    def __getattr__(self, name: str) -> Any:
        return getattr(api_settings, name)


class FormatParamNegotiation(DefaultContentNegotiation):
    settings = _FormatIsNotARenderer()


# --- profiles ---------------------------------------------------------------------------------


class TopicLevelSerializer(serializers.Serializer):
    topic = serializers.CharField(max_length=50)
    level = serializers.IntegerField(default=2)


class BioSerializer(serializers.Serializer):
    de = serializers.CharField(allow_blank=True, required=False)
    en = serializers.CharField(allow_blank=True, required=False)


class ExpertSerializer(serializers.ModelSerializer):
    """The public profile; the owner and coordinators also see the private fields."""

    name = serializers.CharField(
        source="display_name", max_length=200, validators=[no_control_characters]
    )
    topics = TopicLevelSerializer(many=True, required=False)
    # Read: the text in the caller's language and both texts; write: each language on its own.
    bio = serializers.CharField(read_only=True)
    bio_by_language = BioSerializer(read_only=True)
    bio_de = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        validators=[no_control_characters_multiline],
    )
    bio_en = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        validators=[no_control_characters_multiline],
    )
    procedure_types = serializers.ListField(child=serializers.CharField(), required=False)
    size_classes = serializers.ListField(child=serializers.CharField(), required=False)
    states = serializers.ListField(child=serializers.CharField(), required=False)
    languages = serializers.ListField(child=serializers.CharField(), required=False)
    formats = serializers.ListField(child=serializers.CharField(), required=False)
    durations = serializers.ListField(child=serializers.IntegerField(), required=False)
    # Range rules live in the service (one place, one message); the serializer checks types.
    home_latitude = serializers.FloatField(required=False, allow_null=True)
    home_longitude = serializers.FloatField(required=False, allow_null=True)
    travel_radius_km = serializers.IntegerField(required=False)
    monthly_capacity = serializers.IntegerField(required=False)
    buffer_before_minutes = serializers.IntegerField(required=False)
    buffer_after_minutes = serializers.IntegerField(required=False)
    min_notice_hours = serializers.IntegerField(required=False)
    horizon_days = serializers.IntegerField(required=False)
    max_per_day = serializers.IntegerField(required=False, allow_null=True)
    max_per_week = serializers.IntegerField(required=False, allow_null=True)
    conflicts = serializers.ListField(child=id_field(), required=False)
    username = serializers.CharField(write_only=True, required=False, max_length=150)

    WRITE_ONLY = ("username", "bio_de", "bio_en")
    PRIVATE = (
        "email",
        "conflicts",
        "home_latitude",
        "home_longitude",
        "meeting_url",
        "timezone",
    )

    class Meta:
        model = ExpertProfile
        fields = [
            "id",
            "name",
            "organisation",
            "bio",
            "bio_by_language",
            "bio_de",
            "bio_en",
            "topics",
            "procedure_types",
            "size_classes",
            "states",
            "languages",
            "formats",
            "home_city",
            "travel_radius_km",
            "monthly_capacity",
            "durations",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "min_notice_hours",
            "horizon_days",
            "max_per_day",
            "max_per_week",
            "auto_confirm",
            "active",
            # private: the owner and coordinators only
            "email",
            "conflicts",
            "home_latitude",
            "home_longitude",
            "meeting_url",
            "timezone",
            "username",
        ]

    def to_representation(self, instance: ExpertProfile) -> dict[str, Any]:
        user = self.context["request"].user
        private = is_coordinator(user) or instance.user_id == getattr(user, "pk", None)
        en = english()
        data: dict[str, Any] = {
            "id": instance.pk,
            "name": instance.display_name,
            "organisation": instance.organisation,
            "bio": (instance.bio_en or instance.bio_de) if en else instance.bio_de,
            "bio_by_language": {"de": instance.bio_de, "en": instance.bio_en},
            "topics": [
                {"topic": tl.topic.slug, "level": tl.level} for tl in instance.topic_levels.all()
            ],
        }
        for name in self.Meta.fields:
            if name in data or name in self.PRIVATE or name in self.WRITE_ONLY:
                continue
            data[name] = getattr(instance, name)
        if private:
            data.update(
                email=instance.email,
                conflicts=[m.pk for m in instance.conflicts.all()],
                home_latitude=instance.home_latitude,
                home_longitude=instance.home_longitude,
                meeting_url=instance.meeting_url,
                timezone=instance.timezone,
            )
        return data


def _profile_arguments(data: dict[str, Any]) -> dict[str, Any]:
    arguments = dict(data)
    if "topics" in arguments:
        arguments["topics"] = [dict(t) for t in arguments["topics"]]
    return arguments


class ProfilePermission(permissions.BasePermission):
    """Reading is public; creating is for coordinators; editing for the owner and coordinators.

    The profile is public, so editing someone else's is a plain 403 (nothing to hide).
    """

    def has_permission(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        if view.action in ("list", "retrieve"):
            return True
        if view.action == "create":
            return is_coordinator(request.user)
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj) -> bool:  # type: ignore[no-untyped-def]
        if view.action in ("list", "retrieve"):
            return True
        return services.can_edit_profile(request.user, obj)


def _json_list_has(field: str, value: str) -> Q:
    """Rows whose JSON list `field` contains `value` (PostgreSQL: jsonb @>; else the text)."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__contains": [value]})
    # SQLite has no JSON containment; the list is stored as JSON text with ASCII escapes, and
    # the quotes around the needle make it match a whole item ("Sachsen", not "Sachsen-Anhalt").
    return Q(**{f"{field}__icontains": json.dumps(value)})


class ExpertViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Public adviser profiles. Filters: ?topic=<slug>&state=&language=&format=."""

    serializer_class = ExpertSerializer
    permission_classes = [ProfilePermission]
    content_negotiation_class = FormatParamNegotiation
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[ExpertProfile]:
        user = self.request.user
        qs = ExpertProfile.objects.prefetch_related(
            Prefetch("topic_levels", queryset=ExpertTopic.objects.select_related("topic"))
        ).order_by("display_name", "id")
        if is_coordinator(user):
            return qs.prefetch_related("conflicts")
        if getattr(user, "is_authenticated", False):
            # The owner sees their profile even when inactive, with its conflicts.
            return qs.filter(Q(active=True) | Q(user_id=user.pk)).prefetch_related("conflicts")
        return qs.filter(active=True)

    def filter_queryset(self, queryset: QuerySet[ExpertProfile]) -> QuerySet[ExpertProfile]:
        params = self.request.query_params
        if self.action != "list":
            return queryset
        if topic := params.get("topic"):
            queryset = queryset.filter(
                Exists(ExpertTopic.objects.filter(expert=OuterRef("pk"), topic__slug=topic))
            )
        for param, field in (("state", "states"), ("language", "languages"), ("format", "formats")):
            if value := params.get(param):
                queryset = queryset.filter(_json_list_has(field, value))
        return queryset

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        arguments = _profile_arguments(serializer.validated_data)
        username = arguments.pop("username", "")
        if not username:
            raise serializers.ValidationError({"username": [_("Pflichtfeld.")]})
        serializer.instance = services.create_profile(
            actor=self.request.user, username=username, **arguments
        )

    def perform_update(self, serializer):  # type: ignore[no-untyped-def]
        arguments = _profile_arguments(serializer.validated_data)
        arguments.pop("username", None)
        serializer.instance = services.update_profile(
            actor=self.request.user, expert=serializer.instance, **arguments
        )

    def update(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        response = super().update(request, *args, **kwargs)
        # Re-read so the response shows the relations as saved (prefetch caches are stale).
        fresh = self.get_queryset().get(pk=kwargs["pk"])
        response.data = self.get_serializer(fresh).data
        return response

    def create(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        response = super().create(request, *args, **kwargs)
        fresh = self.get_queryset().get(pk=response.data["id"])
        response.data = self.get_serializer(fresh).data
        return response


# --- matches ----------------------------------------------------------------------------------


class ExpertRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MatchSerializer(serializers.Serializer):
    """One ranked expert (documentation of the response; built by `match_json`)."""

    expert = ExpertRefSerializer()
    score = serializers.FloatField()
    criteria = serializers.DictField(child=serializers.FloatField())
    explanation = serializers.CharField()
    earliest_slot = serializers.DateTimeField(allow_null=True)
    distance_km = serializers.FloatField(allow_null=True)
    topics_covered = serializers.IntegerField()
    topics_needed = serializers.IntegerField()


class MatchesResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="the MatchRecord that keeps this ranking")
    request = serializers.IntegerField()
    status = serializers.CharField()
    params = serializers.DictField()
    weights = serializers.DictField(child=serializers.FloatField())
    results = MatchSerializer(many=True)


def match_json(match: Match, *, en: bool) -> dict[str, Any]:
    return {
        "expert": {"id": match.expert_id, "name": match.name},
        "score": round(match.score, 6),
        "criteria": {name: round(value, 6) for name, value in match.criteria.items()},
        "explanation": match.explanation_en if en else match.explanation_de,
        "earliest_slot": match.earliest_slot.isoformat() if match.earliest_slot else None,
        "distance_km": None if match.distance_km is None else round(match.distance_km, 1),
        "topics_covered": match.topics_covered,
        "topics_needed": match.topics_needed,
    }


class RequestMatchesView(APIView):
    """The best experts for a request, explained; what was shown is kept (MatchRecord)."""

    permission_classes = [permissions.IsAuthenticated]
    content_negotiation_class = FormatParamNegotiation

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=list(ConsultationFormat.values)),
            OpenApiParameter("language", str, enum=list(LANGUAGES)),
        ],
        responses=MatchesResponseSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        target = consult_selectors.requests_for(request.user).filter(pk=pk).first()
        if target is None:
            raise NotFound(_("Nicht gefunden."))
        fmt = request.query_params.get("format") or None
        language = request.query_params.get("language") or None
        errors: dict[str, list[str]] = {}
        if fmt is not None and fmt not in ConsultationFormat.values:
            errors["format"] = [_("Unbekanntes Format.")]
        if language is not None and language not in LANGUAGES:
            errors["language"] = [_("Unbekannte Sprache.")]
        if errors:
            raise serializers.ValidationError(errors)
        weights = match_selectors.current_weights()
        matches = match_selectors.matches_for(
            target, now=timezone.now(), format=fmt, language=language, weights=weights
        )
        params = {"format": fmt or target.format, "language": language or target.language}
        record = services.record_matches(
            actor=request.user, request=target, matches=matches, weights=weights, params=params
        )
        en = english()
        return Response(
            {
                "id": record.pk,
                "request": target.pk,
                "status": target.status,
                "params": params,
                "weights": record.weights,
                "results": [match_json(m, en=en) for m in matches],
            }
        )


# --- batch assignment -------------------------------------------------------------------------


class IsCoordinator(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        return is_coordinator(request.user)


def proposal_json(proposal: AssignmentProposal, items: list[AssignmentItem]) -> dict[str, Any]:
    names = dict(
        ExpertProfile.objects.filter(pk__in={i.expert_id for i in items}).values_list(
            "pk", "display_name"
        )
    )
    return {
        "id": proposal.pk,
        "status": proposal.status,
        "created_at": serializers.DateTimeField().to_representation(proposal.created_at)
        if proposal.created_at
        else None,
        "weights": proposal.weights,
        "items": [
            {
                "request": item.request_id,
                "expert": {"id": item.expert_id, "name": names.get(item.expert_id, "")},
                "score": item.score,
            }
            for item in sorted(items, key=lambda i: i.request_id)
        ],
        "unassigned": proposal.unassigned,
    }


class AssignmentItemSerializer(serializers.Serializer):
    request = serializers.IntegerField()
    expert = ExpertRefSerializer()
    score = serializers.FloatField()


class ProposalSerializer(serializers.Serializer):
    """A proposal as answered (documentation; built by `proposal_json`)."""

    id = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    created_at = serializers.DateTimeField(allow_null=True)
    weights = serializers.DictField(child=serializers.FloatField())
    items = AssignmentItemSerializer(many=True)
    unassigned = serializers.ListField(child=serializers.IntegerField())


class ProposalInputSerializer(serializers.Serializer):
    requests = serializers.ListField(
        child=id_field(), required=False, allow_null=True, max_length=5000
    )


class AssignmentChangeSerializer(serializers.Serializer):
    request = id_field()
    expert = id_field()


class AcceptSerializer(serializers.Serializer):
    items = AssignmentChangeSerializer(many=True, required=False, default=list)


class AssignmentProposalView(APIView):
    """GET: a preview of the best batch assignment of the open requests (nothing saved).
    POST: the same, saved as a proposal to accept (optionally only some `requests`)."""

    permission_classes = [IsCoordinator]

    @extend_schema(responses=ProposalSerializer)
    def get(self, request: Request) -> Response:
        proposal = services.propose_assignment(
            actor=request.user, now=timezone.now(), persist=False
        )
        return Response(proposal_json(proposal, proposal.preview_items))

    @extend_schema(request=ProposalInputSerializer, responses={201: ProposalSerializer})
    def post(self, request: Request) -> Response:
        data = ProposalInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = services.propose_assignment(
            actor=request.user,
            now=timezone.now(),
            request_ids=data.validated_data.get("requests"),
        )
        return Response(
            proposal_json(proposal, proposal.preview_items), status=status.HTTP_201_CREATED
        )


class AssignmentProposalViewSet(viewsets.ReadOnlyModelViewSet):
    """Saved proposals (coordinators); `POST …/{id}/accept/` with optional changed items."""

    permission_classes = [IsCoordinator]
    serializer_class = ProposalSerializer  # the shape; answers are built by `proposal_json`
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[AssignmentProposal]:
        return AssignmentProposal.objects.prefetch_related("items").order_by("-created_at", "-id")

    def list(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([proposal_json(p, list(p.items.all())) for p in page])

    def retrieve(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        proposal = self.get_object()
        return Response(proposal_json(proposal, list(proposal.items.all())))

    @extend_schema(request=AcceptSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):  # type: ignore[no-untyped-def]
        data = AcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = services.accept_assignment(
            actor=request.user,
            proposal_id=int(pk),
            changes=[dict(c) for c in data.validated_data["items"]],
        )
        items = list(AssignmentItem.objects.filter(proposal=proposal))
        return Response(proposal_json(proposal, items))
