"""POST /api/v1/requests/{id}/reassign/ {expert, start}: a coordinator hands a request to
another expert (bookings/reassign.py). For everyone else the request does not exist (404)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings import reassign
from bookings.serializers import AwareDateTimeField, BookingSerializer
from core.api_fields import id_field
from core.errors import NotFound
from core.roles import is_coordinator


class ReassignSerializer(serializers.Serializer):
    expert = id_field()
    start = AwareDateTimeField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ReassignView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=ReassignSerializer, responses={201: BookingSerializer})
    def post(self, request: Request, pk: int) -> Response:
        # Before reading the input: a non-coordinator learns nothing, not even a 400.
        if not is_coordinator(request.user):
            raise NotFound(_("Anfrage nicht gefunden."))
        data = ReassignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = reassign.reassign(
            actor=request.user,
            request_id=pk,
            expert_id=data.validated_data["expert"],
            start=data.validated_data["start"],
            note=data.validated_data["note"],
        )
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)
