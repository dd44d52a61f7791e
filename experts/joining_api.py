"""API of experts joining: `POST /api/v1/expert-applications/` (anyone, throttled), the
coordinators' list and decisions, `POST /api/v1/expert-invitations/`, and activation."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound as DrfNotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from consult.membership_api import IsCoordinatorOr404
from core.api_fields import MAX_ID
from core.roles import is_coordinator
from experts import joining
from experts.joining_models import ExpertApplication

LANGUAGES = [("de", "Deutsch"), ("en", "English")]


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


class ExpertApplicationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """`POST` anyone (throttled): apply; the rest coordinators only (404 for others)."""

    serializer_class = ExpertApplicationSerializer
    permission_classes = [IsCoordinatorOr404]
    lookup_value_regex = r"\d+"
    throttle_scope = "membership"
    filterset_fields = ["status", "source"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return joining.applications_for(self.request.user).order_by("-created_at", "-id")

    def get_throttles(self):  # type: ignore[no-untyped-def]
        return [ScopedRateThrottle()] if self.action == "create" else super().get_throttles()

    def _id(self) -> int:
        pk = int(self.kwargs["pk"])
        if pk > MAX_ID:
            raise DrfNotFound()
        return pk

    def get_object(self) -> ExpertApplication:
        self._id()
        return super().get_object()

    @extend_schema(
        request=ExpertApplicationCreateSerializer,
        responses={201: ExpertApplicationCreatedSerializer},
    )
    def create(self, request: Request) -> Response:
        data = ExpertApplicationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = joining.apply(candidate=joining.Candidate(**data.validated_data))
        # The same answer whether or not the address is in use (no account enumeration).
        return Response(
            {"id": application.pk, "status": ExpertApplication.Status.EMAIL_UNVERIFIED},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses=ExpertApplicationSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        application = joining.approve(actor=request.user, application_id=self._id())
        return Response(ExpertApplicationSerializer(application).data)

    @extend_schema(request=ExpertDeclineSerializer, responses=ExpertApplicationSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        data = ExpertDeclineSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = joining.decline(
            actor=request.user, application_id=self._id(), reason=data.validated_data["reason"]
        )
        return Response(ExpertApplicationSerializer(application).data)


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
