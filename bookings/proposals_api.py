"""API of the expert's counter-proposal: ``POST /api/v1/bookings/{id}/propose/`` {starts, note},
``POST …/accept-proposal/`` {start} and ``GET …/proposal/`` (the latest one). Thin: the
serializers check the shape, bookings/proposals.py decides."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings import proposals, selectors
from bookings.serializers import AwareDateTimeField, BookingSerializer, TimeProposalSerializer
from core.errors import NotFound


class ProposeSerializer(serializers.Serializer):
    # The service says how many (1-3) and which; the cap here only keeps absurd input cheap.
    starts = serializers.ListField(child=AwareDateTimeField(), max_length=20)
    note = serializers.CharField(required=False, allow_blank=True, max_length=proposals.MAX_NOTE)


class AcceptProposalSerializer(serializers.Serializer):
    start = AwareDateTimeField()


class ProposeView(APIView):
    """The booking's expert proposes up to three other free starts (held while open)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=ProposeSerializer, responses={201: TimeProposalSerializer})
    def post(self, request: Request, pk: int) -> Response:
        data = ProposeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        now = timezone.now()
        proposal = proposals.propose(
            actor=request.user,
            booking_id=pk,
            starts=data.validated_data["starts"],
            note=data.validated_data.get("note", ""),
            now=now,
        )
        summary = proposals.latest_proposal(proposal.booking_id, now=now)
        return Response(TimeProposalSerializer(summary).data, status=status.HTTP_201_CREATED)


class AcceptProposalView(APIView):
    """The booking's municipality takes one of the proposed starts: the booking moves there."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=AcceptProposalSerializer, responses=BookingSerializer)
    def post(self, request: Request, pk: int) -> Response:
        data = AcceptProposalSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = proposals.accept_proposal(
            actor=request.user, booking_id=pk, start=data.validated_data["start"]
        )
        return Response(BookingSerializer(booking).data)


class ProposalView(APIView):
    """The booking's latest proposal, open or what became of it; 404 when there was none."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=TimeProposalSerializer)
    def get(self, request: Request, pk: int) -> Response:
        if not selectors.bookings_for(request.user).filter(pk=pk).exists():
            raise NotFound(_("Buchung nicht gefunden."))
        summary = proposals.latest_proposal(pk, now=timezone.now())
        if summary is None:
            raise NotFound(_("Für diese Buchung gibt es keinen Terminvorschlag."))
        return Response(TimeProposalSerializer(summary).data)
