"""API of joining and of an organisation's people: applications (anyone applies, coordinators
decide), people and invitations (the organisation's admin), city suggestions (anyone)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound as DrfNotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from consult import membership, people
from consult import membership_decisions as decisions
from consult.choices import OrganisationKind
from consult.cities import suggest_cities
from consult.joining_api import ApplicationViewSet
from consult.joining_models import LANGUAGES
from consult.models import Invitation, MembershipApplication, StaffMembership
from core.api_fields import MAX_ID, id_field


class ApplicationCreateSerializer(serializers.Serializer):
    organisation_name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(OrganisationKind.choices)
    country = serializers.CharField(max_length=2, min_length=2, default="DE")
    state = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    ags = serializers.CharField(max_length=8, required=False, allow_blank=True, default="")
    website = serializers.URLField(max_length=200, required=False, allow_blank=True, default="")
    contact_name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    language = serializers.ChoiceField(LANGUAGES, default="de")
    consent = serializers.BooleanField()


class ApplicationCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class ApplicationSerializer(serializers.ModelSerializer):
    organisation = serializers.IntegerField(source="organisation_id", read_only=True)
    decided_by = serializers.CharField(source="decided_by.get_username", read_only=True)

    class Meta:
        model = MembershipApplication
        fields = [
            "id",
            "organisation_name",
            "kind",
            "country",
            "state",
            "ags",
            "website",
            "contact_name",
            "email",
            "language",
            "status",
            "consent_at",
            "confirmed_at",
            "created_at",
            "decided_at",
            "decided_by",
            "reason",
            "info_message",
            "organisation",
        ]
        read_only_fields = fields


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class RequestInfoSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=5000)


@extend_schema_view(
    create=extend_schema(
        request=ApplicationCreateSerializer, responses={201: ApplicationCreatedSerializer}
    ),
    approve=extend_schema(request=None, responses=ApplicationSerializer),
    decline=extend_schema(request=DeclineSerializer, responses=ApplicationSerializer),
)
class MembershipApplicationViewSet(ApplicationViewSet):
    """`POST` anyone (throttled): apply; the rest coordinators only."""

    serializer_class = ApplicationSerializer
    create_serializer = ApplicationCreateSerializer
    decline_serializer = DeclineSerializer
    filterset_fields = ["status", "kind"]
    applications_for = staticmethod(decisions.applications_for)
    approve_application = staticmethod(decisions.approve)
    decline_application = staticmethod(decisions.decline)

    def submit(self, data: dict[str, Any]) -> MembershipApplication:
        return membership.apply(applicant=membership.Applicant(**data))

    @extend_schema(request=RequestInfoSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"], url_path="request-info")
    def request_info(self, request: Request, pk: str | None = None) -> Response:
        data = RequestInfoSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = decisions.request_info(
            actor=request.user, application_id=self._id(), message=data.validated_data["message"]
        )
        return Response(ApplicationSerializer(application).data)


# --- people and invitations -------------------------------------------------------------------


class PersonSerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    active = serializers.BooleanField(source="user.is_active", read_only=True)

    class Meta:
        model = StaffMembership
        fields = ["user", "username", "name", "email", "role", "active", "created_at"]
        read_only_fields = fields


class PeopleViewSet(viewsets.GenericViewSet):
    """`/organisations/{organisation_id}/people/`: members read, the admin manages."""

    serializer_class = PersonSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_field = "user_id"
    lookup_value_regex = r"\d+"

    def _organisation_id(self) -> int:
        value = int(self.kwargs["organisation_id"])
        if value > MAX_ID:
            raise DrfNotFound()
        return value

    def _user_id(self) -> int:
        value = int(self.kwargs["user_id"])
        if value > MAX_ID:
            raise DrfNotFound()
        return value

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no URL
            return StaffMembership.objects.none()
        return people.people_of(actor=self.request.user, organisation_id=self._organisation_id())

    def list(self, request: Request, organisation_id: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, organisation_id: str, user_id: str) -> Response:
        people.remove_person(
            actor=request.user, organisation_id=self._organisation_id(), user_id=self._user_id()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=PersonSerializer)
    @action(detail=True, methods=["post"], url_path="make-admin")
    def make_admin(self, request: Request, organisation_id: str, user_id: str) -> Response:
        person = people.hand_over_admin(
            actor=request.user, organisation_id=self._organisation_id(), user_id=self._user_id()
        )
        return Response(PersonSerializer(person).data)


class InvitationSerializer(serializers.ModelSerializer):
    organisation = id_field(source="organisation_id", required=False)
    language = serializers.ChoiceField(LANGUAGES, default="de")
    role = serializers.ChoiceField(StaffMembership.Role.choices, default="staff")
    status = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = [
            "id",
            "organisation",
            "email",
            "role",
            "language",
            "status",
            "created_at",
            "expires_at",
            "accepted_at",
            "revoked_at",
        ]
        read_only_fields = ["created_at", "expires_at", "accepted_at", "revoked_at"]

    def get_status(self, obj: Invitation) -> str:
        return obj.status()


class InvitationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """An organisation's admin invites colleagues (their own organisation's only); coordinators
    name the organisation."""

    serializer_class = InvitationSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_value_regex = r"\d+"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return people.invitations_for(self.request.user).order_by("-created_at", "-id")

    def get_object(self) -> Invitation:
        if int(self.kwargs["pk"]) > MAX_ID:
            raise DrfNotFound()
        return super().get_object()

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        data = serializer.validated_data
        organisation_id = data.get("organisation_id")
        if organisation_id is None:
            own = people.membership_of(self.request.user)
            organisation_id = own.municipality_id if own else 0
        serializer.instance = people.invite(
            actor=self.request.user,
            organisation_id=organisation_id,
            email=data["email"],
            role=data["role"],
            language=data["language"],
        )

    @extend_schema(request=None, responses=InvitationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        pk_ = int(self.kwargs["pk"])
        if pk_ > MAX_ID:
            raise DrfNotFound()
        invitation = people.revoke_invitation(actor=request.user, invitation_id=pk_)
        return Response(InvitationSerializer(invitation).data)


# --- city suggestions -------------------------------------------------------------------------


class CitySerializer(serializers.Serializer):
    name = serializers.CharField()
    ags = serializers.CharField()
    state = serializers.CharField()
    district = serializers.CharField()


class CitySuggestionView(APIView):
    """`GET /cities/?q=Leip`: German cities for "suggestions while typing" (name → AGS, state)."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public"

    @extend_schema(
        responses=inline_serializer("CitySuggestions", {"results": CitySerializer(many=True)})
    )
    def get(self, request: Request) -> Response:
        text = str(request.query_params.get("q", ""))[:100]
        results = [
            {"name": c.name, "ags": c.ags, "state": c.state, "district": c.district}
            for c in suggest_cities(text)
        ]
        return Response({"results": CitySerializer(results, many=True).data})
