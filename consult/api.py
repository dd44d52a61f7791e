"""API of the municipal side: topics, municipalities, login tokens."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import ScopedRateThrottle

from consult import selectors, services
from consult.models import Municipality, Topic
from consult.roles import is_coordinator


class TopicSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Topic
        fields = ["slug", "name", "name_de", "name_en"]


class TopicViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TopicSerializer
    permission_classes = [permissions.AllowAny]
    lookup_field = "slug"
    pagination_class = None

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
        serializer.instance = services.create_municipality(**serializer.validated_data)

    def perform_update(self, serializer):  # type: ignore[no-untyped-def]
        serializer.instance = services.update_municipality(
            municipality=serializer.instance, **serializer.validated_data
        )


class TokenView(ObtainAuthToken):
    """POST username + password → {"token": …}; throttled against guessing."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {"username": serializers.CharField(), "password": serializers.CharField()},
        ),
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        return super().post(request, *args, **kwargs)
