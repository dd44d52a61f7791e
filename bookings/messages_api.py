"""API of a consultation's message thread: ``GET/POST /api/v1/bookings/{id}/messages/``. Thin:
the serializer checks the shape, bookings/messages.py decides."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from bookings import messages
from bookings.models import BookingMessage
from bookings.serializers import AwareDateTimeField


class BookingMessageSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author_name", read_only=True)
    created_at = AwareDateTimeField(read_only=True)

    class Meta:
        model = BookingMessage
        fields = ["id", "body", "author", "author_role", "created_at"]
        read_only_fields = fields


class MessageWriteSerializer(serializers.Serializer):
    # Length, blanks and control characters are the service's rules (one message for the page
    # and the API); the shape is only "a text".
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)


class BookingMessagesView(generics.ListAPIView):
    """The thread of one consultation, oldest first: its municipality's staff, its expert and
    the coordinators read and write; for anybody else it does not exist (404)."""

    serializer_class = BookingMessageSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no booking
            return BookingMessage.objects.none()
        return messages.thread(actor=self.request.user, booking_id=self.kwargs["pk"])

    @extend_schema(
        request=MessageWriteSerializer,
        responses={
            201: BookingMessageSerializer,
            429: OpenApiResponse(
                description="Too many messages from this account: retry after `Retry-After` "
                "seconds."
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        data = MessageWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = messages.post_message(
            actor=request.user, booking_id=pk, body=data.validated_data["body"]
        )
        return Response(BookingMessageSerializer(message).data, status=status.HTTP_201_CREATED)
