"""The API both kinds of application share (`/api/v1/membership-applications/`,
`/api/v1/expert-applications/`): anyone applies (throttled); coordinators list, read, approve
and decline; for everyone else the rest does not exist (404)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound as DrfNotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from consult.joining_models import EMAIL_UNVERIFIED
from core.api_fields import MAX_ID
from core.roles import is_coordinator


class IsCoordinatorOr404(permissions.BasePermission):
    """Everyone but coordinators: the list and the decisions do not exist (404)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if view.action == "create":
            return True
        if not is_coordinator(request.user):
            raise DrfNotFound()
        return True


class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """`POST` anyone (throttled): apply; the rest coordinators only. A kind names its
    serializers and services below and describes its schema with `extend_schema_view`."""

    permission_classes = [IsCoordinatorOr404]
    lookup_value_regex = r"\d+"
    throttle_scope = "membership"
    create_serializer: type[serializers.Serializer]
    decline_serializer: type[serializers.Serializer]
    # The kind's services, as staticmethods: the coordinators' queryset, approve, decline.
    applications_for: Callable[..., Any]
    approve_application: Callable[..., Any]
    decline_application: Callable[..., Any]

    def submit(self, data: dict[str, Any]) -> Any:
        """Apply with the validated `create_serializer` data; returns the application."""
        raise NotImplementedError

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return self.applications_for(self.request.user).order_by("-created_at", "-id")

    def get_throttles(self):  # type: ignore[no-untyped-def]
        return [ScopedRateThrottle()] if self.action == "create" else super().get_throttles()

    def _id(self) -> int:
        pk = int(self.kwargs["pk"])
        if pk > MAX_ID:
            raise DrfNotFound()
        return pk

    def get_object(self) -> Any:
        self._id()
        return super().get_object()

    def create(self, request: Request) -> Response:
        data = self.create_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = self.submit(data.validated_data)
        # The same answer whether or not the address is in use (no account enumeration).
        return Response(
            {"id": application.pk, "status": EMAIL_UNVERIFIED}, status=status.HTTP_201_CREATED
        )

    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        application = self.approve_application(actor=request.user, application_id=self._id())
        return Response(self.get_serializer_class()(application).data)

    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        data = self.decline_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = self.decline_application(
            actor=request.user, application_id=self._id(), reason=data.validated_data["reason"]
        )
        return Response(self.get_serializer_class()(application).data)
