"""API of matching: a request's best experts with their earliest free slots, and the batch
assignment of open requests. Here, not in experts/, because both read the bookings (busy time,
load and feedback)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings import matches as booking_matches
from consult import selectors as consult_selectors
from consult.choices import LANGUAGES, ConsultationFormat
from core.api_fields import id_field
from core.errors import NotFound
from core.roles import is_coordinator
from experts import match_selectors, services
from experts.api import FormatParamNegotiation, english
from experts.matching import Match
from experts.models import AssignmentItem, AssignmentProposal, ExpertProfile

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


class LeftOutSerializer(serializers.Serializer):
    """The experts a request leaves out, by the first reason that applies (coordinators)."""

    count = serializers.IntegerField()
    reasons = serializers.DictField(child=serializers.IntegerField())
    explanation = serializers.CharField()


class MatchesResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="the MatchRecord that keeps this ranking")
    request = serializers.IntegerField()
    status = serializers.CharField()
    params = serializers.DictField()
    weights = serializers.DictField(child=serializers.FloatField())
    results = MatchSerializer(many=True)
    left_out = LeftOutSerializer(allow_null=True, help_text="coordinators only; else null")


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


def left_out_json(left_out: booking_matches.LeftOut, *, en: bool) -> dict[str, Any]:
    return {
        "count": sum(left_out.reasons.values()),
        "reasons": dict(left_out.reasons),
        "explanation": left_out.explanation_en if en else left_out.explanation_de,
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
        now = timezone.now()
        matches = booking_matches.matches_for(
            target, now=now, format=fmt, language=language, weights=weights
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
                "left_out": left_out_json(
                    booking_matches.left_out(target, now=now, format=fmt, language=language),
                    en=en,
                )
                if is_coordinator(request.user)
                else None,
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
        now = timezone.now()
        proposal = services.propose_assignment(
            actor=request.user,
            now=now,
            matrix=booking_matches.expert_matrix(now=now),
            persist=False,
        )
        return Response(proposal_json(proposal, proposal.preview_items))

    @extend_schema(request=ProposalInputSerializer, responses={201: ProposalSerializer})
    def post(self, request: Request) -> Response:
        data = ProposalInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        now = timezone.now()
        proposal = services.propose_assignment(
            actor=request.user,
            now=now,
            matrix=booking_matches.expert_matrix(now=now),
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
            matrix=booking_matches.expert_matrix(now=timezone.now()),
            changes=[dict(c) for c in data.validated_data["items"]],
        )
        items = list(AssignmentItem.objects.filter(proposal=proposal))
        return Response(proposal_json(proposal, items))
