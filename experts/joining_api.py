"""API of experts joining: `POST /api/v1/expert-applications/` (anyone, throttled), the
coordinators' list and decisions, `POST /api/v1/expert-invitations/`, and activation."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound as DrfNotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from consult.joining_api import ApplicationViewSet
from consult.joining_models import LANGUAGES
from core.api_fields import MAX_ID
from core.roles import is_coordinator
from experts import joining
from experts.joining_models import ExpertApplication


class TopicLevelInput(serializers.Serializer):
    topic = serializers.SlugField(max_length=50)
    level = serializers.IntegerField(min_value=1, max_value=3, default=2)


class ExpertApplicationCreateSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    organisation = serializers.CharField(max_length=200, required=False, allow_blank=True)
    bio = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    topics = TopicLevelInput(many=True, required=False)
    references = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    language = serializers.ChoiceField(LANGUAGES, default="de")
    consent = serializers.BooleanField()


class ExpertApplicationCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class ExpertApplicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExpertApplication
        fields = [
            "id",
            "source",
            "display_name",
            "email",
            "organisation",
            "bio",
            "topics",
            "references",
            "language",
            "status",
            "confirmed_at",
            "decided_at",
            "reason",
            "expert",
            "created_at",
        ]
        read_only_fields = fields


class ExpertDeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


@extend_schema_view(
    create=extend_schema(
        request=ExpertApplicationCreateSerializer,
        responses={201: ExpertApplicationCreatedSerializer},
    ),
    approve=extend_schema(request=None, responses=ExpertApplicationSerializer),
    decline=extend_schema(request=ExpertDeclineSerializer, responses=ExpertApplicationSerializer),
)
class ExpertApplicationViewSet(ApplicationViewSet):
    """`POST` anyone (throttled): apply; the rest coordinators only (404 for others)."""

    serializer_class = ExpertApplicationSerializer
    create_serializer = ExpertApplicationCreateSerializer
    decline_serializer = ExpertDeclineSerializer
    filterset_fields = ["status", "source"]
    applications_for = staticmethod(joining.applications_for)
    approve_application = staticmethod(joining.approve)
    decline_application = staticmethod(joining.decline)

    def submit(self, data: dict[str, Any]) -> ExpertApplication:
        return joining.apply(candidate=joining.Candidate(**data))


class ExpertInvitationSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    organisation = serializers.CharField(max_length=200, required=False, allow_blank=True)
    language = serializers.ChoiceField(LANGUAGES, default="de")


class ExpertInvitationView(APIView):
    """Coordinators invite an expert (account, inactive profile, set-password e-mail)."""

    @extend_schema(request=ExpertInvitationSerializer, responses={201: ExpertApplicationSerializer})
    def post(self, request: Request) -> Response:
        if not is_coordinator(request.user):
            raise DrfNotFound()
        data = ExpertInvitationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = joining.invite(actor=request.user, **data.validated_data)
        return Response(
            ExpertApplicationSerializer(application).data, status=status.HTTP_201_CREATED
        )


class ActivationSerializer(serializers.Serializer):
    active = serializers.BooleanField()
    monthly_capacity = serializers.IntegerField(min_value=0, max_value=100, required=False)


class ExpertActivationView(APIView):
    """Coordinators activate an expert for matching or pause them (404 for everyone else)."""

    @extend_schema(request=ActivationSerializer, responses=ActivationSerializer)
    def post(self, request: Request, pk: int) -> Response:
        if pk > MAX_ID:
            raise DrfNotFound()
        data = ActivationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        expert = joining.set_activity(actor=request.user, expert_id=pk, **data.validated_data)
        return Response({"active": expert.active, "monthly_capacity": expert.monthly_capacity})


urlpatterns_api = [
    ("expert-invitations/", ExpertInvitationView, "expert-invitations"),
    ("experts/<int:pk>/activation/", ExpertActivationView, "expert-activation"),
]
